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
