package ghost_test

import (
	"context"
	"fmt"
	"log"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

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

// A client for a Spark Pay store: X-AC-Auth-Token auth and typed resources.
func ExampleResource_spark() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileSparkPay), ghosttest.WithSeed(3))
	defer srv.Close()

	client, err := ghost.NewClient(
		ghost.WithEndpoint(ghost.PartSpark, ghost.Endpoint{
			BaseURL:     srv.URL, // https://mystorename.com in production
			Credentials: ghost.Credentials{AuthToken: ghosttest.DefaultAuthToken},
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	products := ghost.Resource[ghost.Product](client, "products")
	var resp ghost.Response
	page, err := products.List(ctx, &ghost.ListParams{
		Count:   2,
		Sort:    []ghost.SortField{ghost.Desc("price")},
		Filters: []ghost.Filter{ghost.Where("price", ghost.OpGTE, 20)},
		Expand:  []string{"variants"},
	}, ghost.WithResponse(&resp))
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range page.Items {
		fmt.Println(p.ItemName, p.Price, len(p.Variants), "variants")
	}
	fmt.Println("total:", page.Meta.Total.Or(0), "calls used:", resp.CallLimit.Used)

	p, created, err := products.Upsert(ctx, ghost.Product{ItemName: "Hat", Price: ghost.SparkDecimalFromCents(1250)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", created, p.ID, p.Price)
	// Output:
	// Item 3 30.99 2 variants
	// Item 2 20.99 2 variants
	// total: 2 calls used: 1
	// created: true 4 12.50
}

// Any Spark root resource is reachable with Resource and a model of your own.
func ExampleResource() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileSparkPay), ghosttest.WithSeed(2))
	defer srv.Close()

	type category struct {
		ID   ghost.ID `json:"id"`
		Name string   `json:"name"`
	}
	categories := ghost.Resource[category](srv.Client, "categories")
	for c, err := range categories.All(context.Background(), &ghost.ListParams{Count: 1}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.ID, c.Name)
	}
	// Output:
	// 1 Category 1
	// 2 Category 2
}
