package ghost_test

import (
	"context"
	"fmt"
	"log"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

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
		ghost.WithEndpoint(ghost.PartSpark, ghost.Endpoint{BaseURL: mock.BaseURL(ghosttest.ProfileSparkPay), // your store's host
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
