package ghost_test

import (
	"context"
	"errors"
	"fmt"

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
