package ghost_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serviceCalls exercises every service once, successes and failures alike,
// and returns what it saw (errors included) as text.
func serviceCalls(ctx context.Context, c *ghost.Client, g int) []string {
	var seen []string
	note := func(v any, err error) {
		if err != nil {
			seen = append(seen, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
		seen = append(seen, fmt.Sprintf("%+v", v))
	}
	cus, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{Email: fmt.Sprintf("g%d@example.com", g)})
	note(cus, err)
	if err == nil {
		card, err := c.Cards.Create(ctx, cus.ID, ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "02", ExpYear: "2030", CVC: "123"})
		note(card, err)
		if err == nil {
			note(c.Charges.Create(ctx, ghost.ChargeCreateParams{Amount: 500, CardID: card.ID, CustomerID: cus.ID}, ghost.WithIdempotencyKey(fmt.Sprintf("g%d", g))))
		}
		note(c.Customers.Get(ctx, cus.ID))
	}
	note(c.Accounts.Get(ctx, "1"))
	note(c.Accounts.Get(ctx, "404"))
	ident, err := c.Identities.Create(ctx, ghost.IdentityCreateParams{Name: "n"})
	note(ident, err)
	if err == nil {
		note(c.Events.Create(ctx, ident.ID, ghost.EventCreateParams{Name: "click"}))
		note(c.Identities.Get(ctx, ident.ID))
	}
	typ, err := c.IdentityTypes.Create(ctx, ghost.IdentityTypeCreateParams{Name: "t"})
	note(typ, err)
	note(c.Orders.Create(ctx, ghost.OrderCreateParams{Amount: 100, OrderItems: []ghost.OrderItem{{Amount: 100, Type: ghost.OrderItemTypeItem}}}))
	for o, err := range c.Orders.All(ctx, &ghost.OrderListParams{Limit: 5}) {
		note(o, err)
	}
	cart, err := c.Carts.Create(ctx, ghost.CartCreateParams{CustomerEmail: "c@example.com", Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: ghost.MoneyFromCents(999)}}})
	note(cart, err)
	if err == nil {
		note(c.Carts.Get(ctx, cart.ID))
		note(c.Carts.CreatePaymentLink(ctx, cart.ID))
	}
	note(c.Carts.Get(ctx, "cart_missing"))
	note(c.Analytics.Get(ctx, ghost.AnalyticsParams{Period: "7d"}))
	products := c.Spark.Products
	p, _, err := products.Upsert(ctx, ghost.SparkProduct{ItemName: fmt.Sprintf("hat %d", g), Price: ghost.SparkDecimalFromCents(1250)})
	note(p, err)
	for p, err := range products.All(ctx, &ghost.SparkListParams{Count: 5}) {
		note(p, err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ex, err := c.Exports.Create(ctx, ghost.ID(fmt.Sprintf("m%d", g)), ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(24 * time.Hour)})
	note(ex, err)
	if err == nil {
		note(c.Exports.Get(ctx, ghost.ID(fmt.Sprintf("m%d", g)), ex.ID))
	}
	return seen
}

// TestAllServicesConcurrentlyWithoutLeaks shares one client between many
// goroutines calling every service of the "all" profile (run with -race),
// logging at Debug, then scans everything captured for the credentials.
func TestAllServicesConcurrentlyWithoutLeaks(t *testing.T) {
	creds := ghost.Credentials{PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey, AuthToken: testToken, BearerToken: testBearer}
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{CheckoutRateLimit: -1}),
		ghosttest.WithProfile(ghosttest.ProfileAll),
		ghosttest.WithKeys(testPublic, testSecret), ghosttest.WithAPIKey(testAPIKey),
		ghosttest.WithAuthToken(testToken), ghosttest.WithBearerToken(testBearer),
		ghosttest.WithClientOptions(ghost.WithLogger(logger)))
	defer srv.Close()
	require.Equal(t, testSecret, srv.Config.SecretKey)

	const goroutines = 16
	var wg sync.WaitGroup
	results := make([][]string, goroutines)
	for g := range goroutines {
		wg.Go(func() { results[g] = serviceCalls(t.Context(), srv.Client, g) })
	}
	wg.Wait()

	var all []string
	for _, r := range results {
		all = append(all, r...)
	}
	all = append(all, logs.String(), fmt.Sprintf("%v %+v %#v", srv.Client, srv.Client, srv.Client), fmt.Sprintf("%+v", creds))
	captured := strings.Join(all, "\n")
	assert.Greater(t, strings.Count(logs.String(), `"msg":"ghost request"`), goroutines*19, "every attempt is logged")
	encoded := []string{
		base64.StdEncoding.EncodeToString([]byte(testPublic + ":" + testSecret)),
		base64.StdEncoding.EncodeToString([]byte(testSecret + ":")),
	}
	for _, s := range append(allSecrets, encoded...) {
		assert.NotContains(t, captured, s)
	}
	assert.NotContains(t, captured, "4242424242424242")
}
