// Command quickstart walks a real payment flow with ghost-go: create a
// customer, add a card, charge it, create an order, list orders, and handle a
// typed error.
//
// With no environment set it starts the ghosttest mock in-process, so it runs
// anywhere:
//
//	go run ./examples/quickstart
//
// Set GHOST_BASE_URL, GHOST_PUBLIC_KEY and GHOST_SECRET_KEY to run the same
// flow against a live server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	client, where, closeFn, err := connect(getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	fmt.Fprintf(out, "ghost-go quickstart against %s\n\n", where)

	cus, err := client.Customers.Create(ctx, ghost.CustomerCreateParams{
		Email:       "ada@example.com",
		Description: "Ada Lovelace",
	})
	if err != nil {
		return fmt.Errorf("create customer: %w", err)
	}
	fmt.Fprintf(out, "1. created customer %s <%s>\n", cus.ID, cus.Email)

	card, err := client.Cards.Create(ctx, cus.ID, ghost.CardCreateParams{
		Number: "4242424242424242", ExpMonth: "02", ExpYear: "2030", CVC: "123",
	})
	if err != nil {
		return fmt.Errorf("add card: %w", err)
	}
	fmt.Fprintf(out, "2. added card %s (%s ending %s, exp %s/%s)\n", card.ID, card.Brand, card.Last4, card.ExpMonth, card.ExpYear)

	charge, err := client.Charges.Create(ctx, ghost.ChargeCreateParams{
		Amount: 1000, CardID: card.ID, CustomerID: cus.ID, Description: "first charge",
	}, ghost.WithIdempotencyKey("quickstart-charge-"+cus.ID.String()))
	if err != nil {
		return fmt.Errorf("charge: %w", err)
	}
	fmt.Fprintf(out, "3. charged %s: %s (status %s)\n", charge.ID, cents(charge.Amount), charge.Status)

	order, err := client.Orders.Create(ctx, ghost.OrderCreateParams{
		Amount:     5000,
		CustomerID: cus.ID,
		CardID:     card.ID,
		GatID:      "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
		OrderItems: []ghost.OrderItem{
			{Amount: 3000, Type: ghost.OrderItemTypeItem, Description: "book"},
			{Amount: 1000, Type: ghost.OrderItemTypeItem, Description: "bookmark"},
			{Amount: 1000, Type: ghost.OrderItemTypeFee, Description: "processing fee"},
		},
	}, ghost.WithIdempotencyKey("quickstart-order-"+cus.ID.String()))
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	fmt.Fprintf(out, "4. created order %s for %s with %d items\n", order.ID, cents(order.Amount), len(order.OrderItems))

	fmt.Fprintf(out, "5. orders of %s:\n", cus.ID)
	n := 0
	for o, err := range client.Orders.All(ctx, &ghost.OrderListParams{CustomerID: cus.ID, Limit: 10}) {
		if err != nil {
			return fmt.Errorf("list orders: %w", err)
		}
		n++
		fmt.Fprintf(out, "   - order %s: %s, %s\n", o.ID, cents(o.Amount), o.Status)
	}
	fmt.Fprintf(out, "   (%d in all)\n", n)

	// A mistake the SDK catches before sending: the amount must equal the items.
	_, err = client.Orders.Create(ctx, ghost.OrderCreateParams{
		Amount:     999,
		OrderItems: []ghost.OrderItem{{Amount: 1000, Type: ghost.OrderItemTypeItem}},
	})
	var ge *ghost.Error
	if errors.As(err, &ge) && errors.Is(err, ghost.ErrValidation) {
		fmt.Fprintf(out, "6. refused before sending: %s (param %s)\n", ge.Message, ge.Param)
	} else {
		return fmt.Errorf("expected a validation error, got %v", err)
	}

	// A mistake the API answers: an unknown customer.
	_, err = client.Customers.Get(ctx, "cus_does_not_exist")
	if errors.As(err, &ge) && errors.Is(err, ghost.ErrNotFound) {
		fmt.Fprintf(out, "7. the API answered %d: %s\n", ge.StatusCode, ge.Message)
	} else {
		return fmt.Errorf("expected a not-found error, got %v", err)
	}
	fmt.Fprintln(out, "\ndone.")
	return nil
}

// connect returns a client for the live API when GHOST_BASE_URL is set, and
// for an in-process mock otherwise.
func connect(getenv func(string) string) (*ghost.Client, string, func(), error) {
	if base := getenv("GHOST_BASE_URL"); base != "" {
		c, err := ghost.NewClient(
			ghost.WithBaseURL(base),
			ghost.WithKeys(getenv("GHOST_PUBLIC_KEY"), getenv("GHOST_SECRET_KEY")),
		)
		return c, base, func() {}, err
	}
	srv, err := ghosttest.Start(ghosttest.WithProfile(ghosttest.ProfileGhost))
	if err != nil {
		return nil, "", nil, err
	}
	return srv.Client, "an in-process mock (" + srv.URL + "); set GHOST_BASE_URL to use a live server", srv.Close, nil
}

func cents(n int64) string { return fmt.Sprintf("$%d.%02d", n/100, n%100) }
