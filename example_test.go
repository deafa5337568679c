package ghost_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// A payment flow against the mock server: in production, build the client
// with ghost.NewClient(ghost.WithKeys(publicKey, secretKey)).
func Example() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost))
	defer srv.Close()
	client, ctx := srv.Client, context.Background()

	cus, err := client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "ada@example.com"})
	if err != nil {
		fmt.Println(err)
		return
	}
	card, err := client.Cards.Create(ctx, cus.ID, ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "02", ExpYear: "2030", CVC: "123"})
	if err != nil {
		fmt.Println(err)
		return
	}
	charge, err := client.Charges.Create(ctx, ghost.ChargeCreateParams{Amount: 1000, CardID: card.ID, CustomerID: cus.ID},
		ghost.WithIdempotencyKey("invoice-42"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cus.Email, card.Brand, card.Last4, charge.Amount)
	// Output: ada@example.com visa 4242 1000
}

func ExampleOrdersService_All() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost))
	defer srv.Close()
	ctx := context.Background()
	for _, amount := range []int64{1000, 2500, 4000} {
		_, err := srv.Client.Orders.Create(ctx, ghost.OrderCreateParams{Amount: amount,
			OrderItems: []ghost.OrderItem{{Amount: amount, Type: ghost.OrderItemTypeItem}}})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	// All walks every page (here two items at a time) until a short page.
	for o, err := range srv.Client.Orders.All(ctx, &ghost.OrderListParams{Limit: 2}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(o.ID, o.Amount)
	}
	// Output:
	// 1 1000
	// 2 2500
	// 3 4000
}

func ExampleError() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost))
	defer srv.Close()

	_, err := srv.Client.Customers.Get(context.Background(), "cus_missing")
	var ge *ghost.Error
	if errors.As(err, &ge) {
		fmt.Println(ge.StatusCode, errors.Is(err, ghost.ErrNotFound))
	}

	// Rules the documents state are checked before anything is sent.
	_, err = srv.Client.Orders.Create(context.Background(), ghost.OrderCreateParams{
		Amount:     999,
		OrderItems: []ghost.OrderItem{{Amount: 1000, Type: ghost.OrderItemTypeItem}},
	})
	if errors.As(err, &ge) {
		fmt.Println(ge.StatusCode, ge.Code, ge.Param, errors.Is(err, ghost.ErrValidation))
	}
	// Output:
	// 404 true
	// 0 invalid_params amount true
}

// The README's tour: one client reaching all five parts of the API, each on
// its own endpoint with its own credentials. Here one mock server serves
// every part, each under its own base URL (Komoju and Spark, whose paths
// collide with Ghost's, under their own prefixes); in production each
// WithEndpoint names the real host.
func Example_tour() {
	mock := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{ExportDuration: 50 * time.Millisecond}))
	defer mock.Close()

	client, err := ghost.NewClient(
		ghost.WithEndpoint(ghost.PartGhost, ghost.Endpoint{BaseURL: mock.URL, // default https://analytics.ghostcreative.io
			Credentials: ghost.Credentials{PublicKey: ghosttest.DefaultPublicKey, SecretKey: ghosttest.DefaultSecretKey}}),
		ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{BaseURL: mock.BaseURL(ghosttest.ProfileKomoju), // default https://komoju.com
			Credentials: ghost.Credentials{SecretKey: ghosttest.DefaultSecretKey}}),
		ghost.WithEndpoint(ghost.PartCheckout, ghost.Endpoint{BaseURL: mock.URL, // your application's host
			Credentials: ghost.Credentials{APIKey: ghosttest.DefaultAPIKey}}),
		ghost.WithEndpoint(ghost.PartSpark, ghost.Endpoint{BaseURL: mock.BaseURL(ghosttest.ProfileSpark), // your store's host
			Credentials: ghost.Credentials{AuthToken: ghosttest.DefaultAuthToken}}),
		ghost.WithEndpoint(ghost.PartExports, ghost.Endpoint{BaseURL: mock.URL, // default https://api.clover.com
			Credentials: ghost.Credentials{BearerToken: ghosttest.DefaultBearerToken}}),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// Ghost (top level): a customer and an order whose amount is the sum of its items.
	cus, err := client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "ada@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	order, err := client.Orders.Create(ctx, ghost.OrderCreateParams{
		Amount: 5000, CustomerID: cus.ID,
		OrderItems: []ghost.OrderItem{
			{Amount: 4000, Type: ghost.OrderItemTypeItem},
			{Amount: 1000, Type: ghost.OrderItemTypeFee},
		},
	}, ghost.WithIdempotencyKey("order-for-invoice-42"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ghost:", cus.Email, order.Amount)

	// Komoju: its own customers, types and key.
	kc, err := client.Komoju.Customers.Create(ctx, ghost.KomojuCustomerCreateParams{
		Email: "ada@example.com", Currency: "JPY",
		PaymentDetails: ghost.KomojuPaymentToken("tok_38e6c5838b91e5d4"),
	}, ghost.WithIdempotencyKey("komoju-ada")) // sent as X-KOMOJU-IDEMPOTENCY
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("komoju:", kc.Email, kc.Currency, kc.Source.Brand)

	// Checkout: carts with exact decimal money, and a payment link.
	price, err := ghost.ParseMoney("49.99")
	if err != nil {
		log.Fatal(err)
	}
	cart, err := client.Carts.Create(ctx, ghost.CartCreateParams{
		CustomerEmail: "ada@example.com",
		Items:         []ghost.CartItem{{Name: "Book", Quantity: 2, Price: price}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.Carts.CreatePaymentLink(ctx, cart.ID); err != nil {
		log.Fatal(err)
	}
	fmt.Println("checkout:", cart.TotalValue)

	// Spark: the store's products (and any other root resource with SparkResource).
	p, created, err := client.Spark.Products.Upsert(ctx, ghost.SparkProduct{ItemName: "Hat"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("spark:", p.ItemName, created)

	// Exports: create, wait, stream.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ex, err := client.Exports.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{
		Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 1),
	})
	if err != nil {
		log.Fatal(err)
	}
	ex, err = client.Exports.Wait(ctx, "MERCHANT1", ex.ID, ghost.WaitOptions{Interval: 20 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for _, err := range client.Exports.Orders(ctx, ex) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Println("exports:", ex.Status, n > 0)
	// Output:
	// ghost: ada@example.com 5000
	// komoju: ada@example.com JPY visa
	// checkout: 99.98
	// spark: Hat true
	// exports: DONE true
}

// Komoju customers live under client.Komoju: the secret key is the Basic
// auth username (with an empty password), creates need payment details,
// updates are PATCH and Delete returns the deleted customer.
func ExampleKomojuCustomersService() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileKomoju))
	defer srv.Close()

	client, err := ghost.NewClient(
		ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{
			BaseURL:     srv.URL, // DefaultKomojuBaseURL in production
			Credentials: ghost.Credentials{SecretKey: ghosttest.DefaultSecretKey},
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.Komoju.Customers.Create(ctx, ghost.KomojuCustomerCreateParams{
		Email:          "test@example.com",
		Currency:       "JPY",
		Metadata:       map[string]string{"order_id": "abcdefg"},
		PaymentDetails: ghost.KomojuPaymentToken("tok_38e6c5838b91e5d4e3771431b275f6de"),
	}, ghost.WithIdempotencyKey("create-test@example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Email, c.Currency, c.Source.Brand, c.Source.LastFourDigits)

	page, err := client.Komoju.Customers.List(ctx, &ghost.KomojuListParams{Page: 1, PerPage: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("total:", page.Meta.Total.Or(0), "last page:", page.Meta.LastPage.Or(0), "more:", page.HasMore())

	deleted, err := client.Komoju.Customers.Delete(ctx, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", deleted.Email)
	// Output:
	// test@example.com JPY visa 1111
	// total: 1 last page: 1 more: false
	// deleted: test@example.com
}

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

// A call hook sees each logical call once, whatever its retries; a
// transport middleware sees each attempt, and learns which call it belongs
// to from the request's context.
func ExampleWithCallHook() {
	hook := func(ctx context.Context, info ghost.CallInfo) (context.Context, func(ghost.CallResult)) {
		return ctx, func(r ghost.CallResult) {
			fmt.Printf("call %s %s %s: %d attempts, %d retries, status %d, error %q\n",
				info.Operation, info.Method, info.URLTemplate, r.Attempts, r.Retries, r.StatusCode, r.ErrorKind)
		}
	}
	middleware := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			a, _ := ghost.AttemptFromContext(req.Context())
			fmt.Printf("  attempt %d of %s\n", a.Number, a.Operation)
			return next.RoundTrip(req)
		})
	}
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost),
		ghosttest.WithClientOptions(ghost.WithCallHook(hook), ghost.WithTransportMiddleware(middleware)))
	defer srv.Close()
	srv.InjectFault(ghosttest.Fault{Method: "GET", Status: http.StatusServiceUnavailable})

	ctx := context.Background()
	cus, _ := srv.Client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "a@example.com"})
	srv.Client.Customers.Get(ctx, cus.ID)
	srv.Client.Customers.Get(ctx, "missing")
	// Output:
	//   attempt 1 of Customers.Create
	// call Customers.Create POST /api/v1/customers: 1 attempts, 0 retries, status 201, error ""
	//   attempt 1 of Customers.Get
	//   attempt 2 of Customers.Get
	// call Customers.Get GET /api/v1/customers/{customerID}: 2 attempts, 1 retries, status 200, error ""
	//   attempt 1 of Customers.Get
	// call Customers.Get GET /api/v1/customers/{customerID}: 1 attempts, 0 retries, status 404, error "404"
}
