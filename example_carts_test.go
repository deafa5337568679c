package ghost_test

import (
	"context"
	"fmt"
	"log"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// Create an abandoned cart, send the customer a payment link, and walk the
// carts still waiting. Prices are exact decimals: 2 × 49.99 is 99.98.
func ExampleCartsService_Create() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout))
	defer srv.Close()
	srv.Clock.Set(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC))
	c := srv.Client // in production: ghost.NewClient(ghost.WithAPIKey(key), ghost.WithCheckoutRateLimit())
	ctx := context.Background()

	price, err := ghost.ParseMoney("49.99")
	if err != nil {
		log.Fatal(err)
	}
	cart, err := c.Carts.Create(ctx, ghost.CartCreateParams{
		CustomerEmail: "customer@example.com",
		CustomerName:  "John Doe",
		Items:         []ghost.CartItem{{Name: "Product Name", Quantity: 2, Price: price}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cart.ID, cart.Status, cart.TotalValue, cart.AbandonedAt.Format(time.RFC3339))

	link, err := c.Carts.CreatePaymentLink(ctx, cart.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.URL, "expires", link.ExpiresAt.Format(time.RFC3339))

	for cart, err := range c.Carts.All(ctx, &ghost.CartListParams{Status: ghost.CartAbandoned}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cart.ID, cart.CustomerEmail, cart.PaymentLink.Or("no link"))
	}
	// Output:
	// cart_000001 abandoned 99.98 2024-01-15T10:30:00Z
	// https://checkout.stripe.com/pay/cs_test_cart_000001_1 expires 2024-01-22T10:30:00Z
	// cart_000001 customer@example.com https://checkout.stripe.com/pay/cs_test_cart_000001_1
}

// Report how many carts were recovered over the last week.
func ExampleAnalyticsService_Get() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout))
	defer srv.Close()
	c := srv.Client
	ctx := context.Background()

	for i, price := range []string{"19.99", "0.10", "1234567.89"} {
		srv.Clock.Set(time.Date(2024, 1, 14+i, 9, 0, 0, 0, time.UTC))
		p, err := ghost.ParseMoney(price)
		if err != nil {
			log.Fatal(err)
		}
		cart, err := c.Carts.Create(ctx, ghost.CartCreateParams{
			CustomerEmail: fmt.Sprintf("buyer%d@example.com", i),
			Items:         []ghost.CartItem{{Name: "Gift", Quantity: 3, Price: p}},
		})
		if err != nil {
			log.Fatal(err)
		}
		if i != 1 {
			if _, err := c.Carts.Update(ctx, cart.ID, ghost.CartUpdateParams{Status: ghost.Some(ghost.CartRecovered)}); err != nil {
				log.Fatal(err)
			}
		}
	}
	srv.Clock.Set(time.Date(2024, 1, 17, 12, 0, 0, 0, time.UTC))

	a, err := c.Analytics.Get(ctx, ghost.AnalyticsParams{Period: ghost.Period7Days})
	if err != nil {
		log.Fatal(err)
	}
	s := a.Summary
	fmt.Printf("abandoned %d (%s), recovered %d (%s), rate %.1f%%\n",
		s.TotalAbandoned, s.TotalAbandonedValue, s.TotalRecovered, s.TotalRecoveredValue, s.RecoveryRate)
	for _, d := range a.DailyStats[len(a.DailyStats)-4:] {
		fmt.Println(d.Date, d.Abandoned, d.Recovered, d.AbandonedValue, d.RecoveredValue)
	}
	// Output:
	// abandoned 3 (3703763.94), recovered 2 (3703763.64), rate 66.7%
	// 2024-01-14 1 1 59.97 59.97
	// 2024-01-15 1 0 0.30 0.00
	// 2024-01-16 1 1 3703703.67 3703703.67
	// 2024-01-17 0 0 0.00 0.00
}
