package ghost_test

import (
	"context"
	"fmt"
	"log"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// A client for the Komoju customers API: the secret key is the Basic auth
// username (with an empty password), creates need payment_details, updates
// are PATCH and destroy returns the deleted customer.
func ExampleConvention_komoju() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileKomoju))
	defer srv.Close()

	client, err := ghost.NewClient(
		ghost.WithBaseURL(srv.URL), // https://komoju.com in production
		ghost.WithSecretKey(ghosttest.DefaultSecretKey),
		ghost.WithConvention(ghost.ConventionKomoju),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.Customers.Create(ctx, ghost.CustomerParams{
		Email:          "test@example.com",
		Currency:       "JPY",
		Metadata:       map[string]string{"order_id": "abcdefg"},
		PaymentDetails: ghost.PaymentToken("tok_38e6c5838b91e5d4e3771431b275f6de"),
	}, ghost.WithIdempotencyKey("create-test@example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Email, c.Currency, c.Source.Brand, c.Source.LastFourDigits)

	page, err := client.Customers.List(ctx, &ghost.CustomerListParams{Page: 1, PerPage: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("total:", page.Meta.Total.Or(0), "last page:", page.Meta.LastPage.Or(0))

	deleted, err := client.Customers.DeleteReturning(ctx, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", deleted.Email)
	// Output:
	// test@example.com JPY visa 1111
	// total: 1 last page: 1
	// deleted: test@example.com
}
