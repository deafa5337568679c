package ghost_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// checkoutEpoch is when the checkout tests freeze the mock clock.
var checkoutEpoch = time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)

func newCheckoutServer(t *testing.T, opts ...ghosttest.Option) *ghosttest.Server {
	t.Helper()
	return newMockAt(t, ghosttest.ProfileCheckout, checkoutEpoch, opts...)
}

// checkoutRequest asserts the last request the mock received.
func checkoutRequest(t *testing.T, srv *ghosttest.Server, method, path, rawQuery, body string) {
	t.Helper()
	req, ok := srv.LastRequest()
	require.True(t, ok, "no request received")
	assert.Equal(t, method, req.Method)
	assert.Equal(t, path, req.Path)
	assert.Equal(t, rawQuery, req.RawQuery)
	assert.Equal(t, ghosttest.DefaultAPIKey, req.Header.Get("X-Api-Key"))
	assert.Empty(t, req.Header.Get("Authorization"), "checkout uses x-api-key only")
	assertJSONBody(t, req, body)
}

func cartMoney(t *testing.T, s string) ghost.Money {
	t.Helper()
	m, err := ghost.ParseMoney(s)
	require.NoError(t, err)
	return m
}

func createCart(t *testing.T, c *ghost.Client, email string, items ...ghost.CartItem) *ghost.Cart {
	t.Helper()
	cart, err := c.Carts.Create(context.Background(), ghost.CartCreateParams{CustomerEmail: email, CustomerName: "Test Customer", Items: items})
	require.NoError(t, err)
	return cart
}

func TestCartsCreate(t *testing.T) {
	srv := newCheckoutServer(t)
	cart, err := srv.Client.Carts.Create(context.Background(), ghost.CartCreateParams{
		CustomerEmail: "customer@example.com",
		CustomerName:  "John Doe",
		Items:         []ghost.CartItem{{Name: "Product Name", Quantity: 2, Price: cartMoney(t, "49.99")}},
	})
	require.NoError(t, err)
	checkoutRequest(t, srv, "POST", "/api/carts", "",
		`{"customerEmail":"customer@example.com","customerName":"John Doe","items":[{"name":"Product Name","quantity":2,"price":49.99}]}`)

	assert.Equal(t, &ghost.Cart{
		ID:            "cart_000001",
		CustomerEmail: "customer@example.com",
		CustomerName:  "John Doe",
		Items:         []ghost.CartItem{{Name: "Product Name", Quantity: 2, Price: ghost.MoneyFromCents(4999)}},
		TotalValue:    ghost.MoneyFromCents(9998),
		Status:        ghost.CartAbandoned,
		AbandonedAt:   checkoutEpoch,
		CreatedAt:     checkoutEpoch,
		UpdatedAt:     checkoutEpoch,
	}, cart)
	assert.False(t, cart.PaymentLink.IsSet(), "paymentLink is null")
	total, err := cart.ItemsTotal()
	require.NoError(t, err)
	assert.Equal(t, cart.TotalValue, total)
}

// The cart total is exactly Σ quantity × price, to the cent, on both sides.
func TestCartTotalIsExact(t *testing.T) {
	srv := newCheckoutServer(t)
	items := []ghost.CartItem{
		{Name: "a", Quantity: 3, Price: cartMoney(t, "0.1")},
		{Name: "b", Quantity: 7, Price: cartMoney(t, "0.29")},
		{Name: "c", Quantity: 3, Price: cartMoney(t, "19.99")},
		{Name: "d", Quantity: 1, Price: cartMoney(t, "1234567.89")},
		{Name: "e", Quantity: 1000, Price: cartMoney(t, "0.01")},
	}
	cart := createCart(t, srv.Client, "exact@example.com", items...)
	checkoutRequest(t, srv, "POST", "/api/carts", "", `{"customerEmail":"exact@example.com","customerName":"Test Customer","items":[
		{"name":"a","quantity":3,"price":0.10},{"name":"b","quantity":7,"price":0.29},
		{"name":"c","quantity":3,"price":19.99},{"name":"d","quantity":1,"price":1234567.89},
		{"name":"e","quantity":1000,"price":0.01}]}`)

	// 0.30 + 2.03 + 59.97 + 1234567.89 + 10.00
	assert.Equal(t, "1234640.19", cart.TotalValue.String())
	sum, err := cart.ItemsTotal()
	require.NoError(t, err)
	assert.Equal(t, cart.TotalValue, sum)
	assert.Equal(t, items, cart.Items)
}

func TestCartsCreateRefusesBeforeSending(t *testing.T) {
	srv := newCheckoutServer(t)
	item := ghost.CartItem{Name: "x", Quantity: 1, Price: ghost.MoneyFromCents(100)}
	tests := []struct {
		name   string
		params ghost.CartCreateParams
		param  string
	}{
		{"missing email", ghost.CartCreateParams{Items: []ghost.CartItem{item}}, "customerEmail"},
		{"bad email", ghost.CartCreateParams{CustomerEmail: "not-an-email", Items: []ghost.CartItem{item}}, "customerEmail"},
		{"display name email", ghost.CartCreateParams{CustomerEmail: "Jo <jo@example.com>", Items: []ghost.CartItem{item}}, "customerEmail"},
		{"no items", ghost.CartCreateParams{CustomerEmail: "a@example.com"}, "items"},
		{"unnamed item", ghost.CartCreateParams{CustomerEmail: "a@example.com", Items: []ghost.CartItem{{Quantity: 1}}}, "items"},
		{"zero quantity", ghost.CartCreateParams{CustomerEmail: "a@example.com", Items: []ghost.CartItem{{Name: "x", Quantity: 0}}}, "items"},
		{"negative price", ghost.CartCreateParams{CustomerEmail: "a@example.com", Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: ghost.MoneyFromCents(-1)}}}, "items"},
		{"total overflows", ghost.CartCreateParams{CustomerEmail: "a@example.com", Items: []ghost.CartItem{{Name: "x", Quantity: 1 << 62, Price: ghost.MoneyFromCents(100)}}}, "items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Client.Carts.Create(context.Background(), tt.params)
			requireInvalid(t, err, tt.param)
		})
	}
	assert.Empty(t, srv.Requests(), "nothing may be sent")
}

func TestCartsGet(t *testing.T) {
	srv := newCheckoutServer(t)
	created := createCart(t, srv.Client, "get@example.com", ghost.CartItem{Name: "Mug", Quantity: 1, Price: cartMoney(t, "12.50")})

	got, err := srv.Client.Carts.Get(context.Background(), created.ID)
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/carts/cart_000001", "", "")
	assert.Equal(t, created, got)
	assert.Equal(t, "12.50", got.TotalValue.String())
}

func TestCartsGetErrors(t *testing.T) {
	srv := newCheckoutServer(t)
	_, err := srv.Client.Carts.Get(context.Background(), "cart_999999")
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	assert.Equal(t, http.StatusNotFound, ge.StatusCode)
	assert.Equal(t, "NOT_FOUND", ge.Code)
	assert.Equal(t, "Cart not found", ge.Message)
	checkoutRequest(t, srv, "GET", "/api/carts/cart_999999", "", "")

	// An id is one escaped path segment.
	_, err = srv.Client.Carts.Get(context.Background(), "../analytics")
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	checkoutRequest(t, srv, "GET", "/api/carts/..%2Fanalytics", "", "")

	n := len(srv.Requests())
	for _, id := range []ghost.ID{"", ".", ".."} {
		_, err = srv.Client.Carts.Get(context.Background(), id)
		require.ErrorAs(t, err, &ge)
		assert.Equal(t, ghost.CodeInvalidParams, ge.Code)
		assert.Equal(t, "cartID", ge.Param)
	}
	assert.Len(t, srv.Requests(), n)
}

func TestCartsUnauthorized(t *testing.T) {
	srv := newCheckoutServer(t)
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithAPIKey("wrong_key"))
	require.NoError(t, err)
	_, err = c.Carts.List(context.Background(), nil)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	assert.Equal(t, "UNAUTHORIZED", ge.Code)
	assert.NotContains(t, err.Error(), "wrong_key")
	req, _ := srv.LastRequest()
	assert.Equal(t, "wrong_key", req.Header.Get("X-Api-Key"))

	// No key configured: refused before sending.
	n := len(srv.Requests())
	c, err = ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithKeys("pk", "sk"))
	require.NoError(t, err)
	_, err = c.Analytics.Get(context.Background(), ghost.AnalyticsParams{})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, ghost.CodeMissingCredentials, ge.Code)
	assert.Len(t, srv.Requests(), n)
}

// seedCarts creates n carts a minute apart and marks every third recovered.
func seedCarts(t *testing.T, srv *ghosttest.Server, n int) []*ghost.Cart {
	t.Helper()
	var carts []*ghost.Cart
	for i := range n {
		srv.Clock.Set(checkoutEpoch.Add(time.Duration(i) * time.Minute))
		cart := createCart(t, srv.Client, "list@example.com", ghost.CartItem{Name: "Item", Quantity: int64(i + 1), Price: cartMoney(t, "1.01")})
		if i%3 == 0 {
			var err error
			cart, err = srv.Client.Carts.Update(context.Background(), cart.ID, ghost.CartUpdateParams{Status: ghost.Some(ghost.CartRecovered)})
			require.NoError(t, err)
		}
		carts = append(carts, cart)
	}
	return carts
}

func TestCartsList(t *testing.T) {
	srv := newCheckoutServer(t)
	carts := seedCarts(t, srv, 7) // recovered: 0, 3, 6

	page, err := srv.Client.Carts.List(context.Background(), &ghost.CartListParams{Status: ghost.CartRecovered, Page: 1, Limit: 2})
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/carts", "limit=2&page=1&status=recovered", "")
	assert.Equal(t, []ghost.Cart{*carts[6], *carts[3]}, page.Items, "newest first")
	assert.Equal(t, ghost.PageMeta{
		Total: ghost.Some(3), Page: ghost.Some(1), PerPage: ghost.Some(2), LastPage: ghost.Some(2),
	}, page.Meta)

	page, err = srv.Client.Carts.List(context.Background(), nil)
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/carts", "", "")
	assert.Len(t, page.Items, 7)
	assert.Equal(t, ghost.PageMeta{
		Total: ghost.Some(7), Page: ghost.Some(1), PerPage: ghost.Some(10), LastPage: ghost.Some(1),
	}, page.Meta)
	for _, c := range page.Items {
		sum, err := c.ItemsTotal()
		require.NoError(t, err)
		assert.Equal(t, c.TotalValue, sum)
	}
}

func TestCartsListRefusesBeforeSending(t *testing.T) {
	srv := newCheckoutServer(t)
	tests := []struct {
		params ghost.CartListParams
		param  string
	}{
		{ghost.CartListParams{Limit: 101}, "limit"},
		{ghost.CartListParams{Limit: -1}, "limit"},
		{ghost.CartListParams{Page: -2}, "page"},
		{ghost.CartListParams{Status: "paid"}, "status"},
	}
	for _, tt := range tests {
		_, err := srv.Client.Carts.List(context.Background(), &tt.params)
		requireInvalid(t, err, tt.param)
	}
	assert.Empty(t, srv.Requests())
}

func TestCartsAll(t *testing.T) {
	srv := newCheckoutServer(t)
	carts := seedCarts(t, srv, 7)
	srv.ResetRequests()

	var ids []ghost.ID
	for c, err := range srv.Client.Carts.All(context.Background(), &ghost.CartListParams{Limit: 3}) {
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	var want []ghost.ID
	for i := len(carts) - 1; i >= 0; i-- {
		want = append(want, carts[i].ID)
	}
	assert.Equal(t, want, ids)

	var queries []string
	for _, r := range srv.Requests() {
		assert.Equal(t, "/api/carts", r.Path)
		queries = append(queries, r.RawQuery)
	}
	assert.Equal(t, []string{"limit=3&page=1", "limit=3&page=2", "limit=3&page=3"}, queries,
		"stops at totalPages without asking for page 4")

	// A filter travels with every page; totalPages of 1 ends it at once.
	srv.ResetRequests()
	n := 0
	for c, err := range srv.Client.Carts.All(context.Background(), &ghost.CartListParams{Status: ghost.CartRecovered}) {
		require.NoError(t, err)
		assert.Equal(t, ghost.CartRecovered, c.Status)
		n++
	}
	assert.Equal(t, 3, n)
	checkoutRequest(t, srv, "GET", "/api/carts", "limit=100&page=1&status=recovered", "")
	assert.Len(t, srv.Requests(), 1)
}

func TestCartsUpdate(t *testing.T) {
	srv := newCheckoutServer(t)
	cart := createCart(t, srv.Client, "upd@example.com", ghost.CartItem{Name: "Lamp", Quantity: 1, Price: cartMoney(t, "30")})

	srv.Clock.Set(checkoutEpoch.Add(time.Hour))
	got, err := srv.Client.Carts.Update(context.Background(), cart.ID, ghost.CartUpdateParams{
		CustomerName: ghost.Some("Jane Roe"),
		Items:        ghost.Some([]ghost.CartItem{{Name: "Lamp", Quantity: 3, Price: cartMoney(t, "29.99")}}),
	})
	require.NoError(t, err)
	checkoutRequest(t, srv, "PATCH", "/api/carts/cart_000001", "",
		`{"customerName":"Jane Roe","items":[{"name":"Lamp","quantity":3,"price":29.99}]}`)
	assert.Equal(t, "Jane Roe", got.CustomerName)
	assert.Equal(t, "89.97", got.TotalValue.String())
	assert.Equal(t, ghost.CartAbandoned, got.Status)
	assert.Equal(t, checkoutEpoch.Add(time.Hour), got.UpdatedAt)
	assert.Equal(t, checkoutEpoch, got.CreatedAt)

	got, err = srv.Client.Carts.Update(context.Background(), cart.ID, ghost.CartUpdateParams{Status: ghost.Some(ghost.CartRecovered)})
	require.NoError(t, err)
	checkoutRequest(t, srv, "PATCH", "/api/carts/cart_000001", "", `{"status":"recovered"}`)
	assert.Equal(t, ghost.CartRecovered, got.Status)

	// Recovered is final.
	_, err = srv.Client.Carts.Update(context.Background(), cart.ID, ghost.CartUpdateParams{Status: ghost.Some(ghost.CartAbandoned)})
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, http.StatusUnprocessableEntity, ge.StatusCode)
	assert.Equal(t, "VALIDATION_ERROR", ge.Code)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	checkoutRequest(t, srv, "PATCH", "/api/carts/cart_000001", "", `{"status":"abandoned"}`)

	_, err = srv.Client.Carts.Update(context.Background(), "cart_424242", ghost.CartUpdateParams{Status: ghost.Some(ghost.CartExpired)})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
}

func TestCartsUpdateRefusesBeforeSending(t *testing.T) {
	srv := newCheckoutServer(t)
	tests := []struct {
		params ghost.CartUpdateParams
		param  string
	}{
		{ghost.CartUpdateParams{}, ""},
		{ghost.CartUpdateParams{Status: ghost.Some(ghost.CartStatus("paid"))}, "status"},
		{ghost.CartUpdateParams{CustomerEmail: ghost.Some("nope")}, "customerEmail"},
		{ghost.CartUpdateParams{Items: ghost.Some([]ghost.CartItem{})}, "items"},
		{ghost.CartUpdateParams{Items: ghost.Some([]ghost.CartItem{{Name: "x", Quantity: -1}})}, "items"},
	}
	for _, tt := range tests {
		_, err := srv.Client.Carts.Update(context.Background(), "cart_000001", tt.params)
		requireInvalid(t, err, tt.param)
	}
	assert.Empty(t, srv.Requests())
}

func TestCartsDelete(t *testing.T) {
	srv := newCheckoutServer(t)
	cart := createCart(t, srv.Client, "del@example.com", ghost.CartItem{Name: "Pen", Quantity: 1, Price: cartMoney(t, "1")})

	require.NoError(t, srv.Client.Carts.Delete(context.Background(), cart.ID))
	checkoutRequest(t, srv, "DELETE", "/api/carts/cart_000001", "", "")

	_, err := srv.Client.Carts.Get(context.Background(), cart.ID)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	err = srv.Client.Carts.Delete(context.Background(), cart.ID)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
}

func TestCartsCreatePaymentLink(t *testing.T) {
	srv := newCheckoutServer(t)
	cart := createCart(t, srv.Client, "pay@example.com", ghost.CartItem{Name: "Shoes", Quantity: 1, Price: cartMoney(t, "89.90")})

	srv.Clock.Set(checkoutEpoch.Add(30 * time.Minute))
	link, err := srv.Client.Carts.CreatePaymentLink(context.Background(), cart.ID)
	require.NoError(t, err)
	checkoutRequest(t, srv, "POST", "/api/carts/cart_000001/payment-link", "", "")
	want := &ghost.PaymentLink{
		URL:       "https://checkout.stripe.com/pay/cs_test_cart_000001_1",
		ExpiresAt: checkoutEpoch.Add(30*time.Minute + 7*24*time.Hour),
	}
	assert.Equal(t, want, link)

	got, err := srv.Client.Carts.Get(context.Background(), cart.ID)
	require.NoError(t, err)
	assert.Equal(t, ghost.Some(link.URL), got.PaymentLink)

	// Past its expiry the link is gone; a new one replaces it.
	srv.Clock.Set(link.ExpiresAt)
	got, err = srv.Client.Carts.Get(context.Background(), cart.ID)
	require.NoError(t, err)
	assert.False(t, got.PaymentLink.IsSet())
	assert.Equal(t, ghost.CartAbandoned, got.Status)

	link2, err := srv.Client.Carts.CreatePaymentLink(context.Background(), cart.ID)
	require.NoError(t, err)
	assert.Equal(t, "https://checkout.stripe.com/pay/cs_test_cart_000001_2", link2.URL)
	assert.Equal(t, link.ExpiresAt.Add(7*24*time.Hour), link2.ExpiresAt)

	// An expired cart gets no link.
	_, err = srv.Client.Carts.Update(context.Background(), cart.ID, ghost.CartUpdateParams{Status: ghost.Some(ghost.CartExpired)})
	require.NoError(t, err)
	_, err = srv.Client.Carts.CreatePaymentLink(context.Background(), cart.ID)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, http.StatusUnprocessableEntity, ge.StatusCode)
	assert.Equal(t, "VALIDATION_ERROR", ge.Code)

	_, err = srv.Client.Carts.CreatePaymentLink(context.Background(), "cart_777777")
	assert.ErrorIs(t, err, ghost.ErrNotFound)
}

// With a limit of 5 per minute, the sixth request is refused with 429. A
// Retry-After longer than the retry policy's MaxWait is not waited for, and
// without retries the 429 surfaces at once: either way the caller gets a
// rate-limited *Error carrying RetryAfter.
func TestCheckoutRateLimitSurfaces(t *testing.T) {
	noRetry := ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 0})
	srv := newCheckoutServer(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileCheckout, CheckoutRateLimit: 5}),
		ghosttest.WithClientOptions(noRetry))
	ctx := context.Background()
	for i := range 5 {
		_, err := srv.Client.Carts.List(ctx, nil)
		require.NoError(t, err, "request %d", i+1)
	}

	var resp ghost.Response
	_, err := srv.Client.Carts.List(ctx, nil, ghost.WithResponse(&resp))
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.Equal(t, http.StatusTooManyRequests, ge.StatusCode)
	assert.Equal(t, "RATE_LIMITED", ge.Code)
	assert.Equal(t, time.Minute, ge.RetryAfter, "the clock is frozen: a whole minute to wait")
	assert.Equal(t, 1, resp.Attempts)

	// A client that retries (MaxWait 2s) does not wait 30 s for the server.
	srv.Clock.Advance(30 * time.Second)
	retrying, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithAPIKey(ghosttest.DefaultAPIKey),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 2 * time.Second}))
	require.NoError(t, err)
	start := time.Now()
	_, err = retrying.Analytics.Get(ctx, ghost.AnalyticsParams{}, ghost.WithResponse(&resp))
	require.ErrorAs(t, err, &ge)
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.Equal(t, 30*time.Second, ge.RetryAfter)
	assert.Equal(t, 1, resp.Attempts)
	assert.Less(t, time.Since(start), time.Second)

	// Once the minute has passed, requests go through again.
	srv.Clock.Advance(30 * time.Second)
	_, err = srv.Client.Carts.List(ctx, nil)
	require.NoError(t, err)
}

// A 429 whose Retry-After fits the policy is retried for idempotent calls
// (GET) and for POSTs carrying an idempotency key, not for bare POSTs.
func TestCheckoutRateLimitRetried(t *testing.T) {
	srv := newCheckoutServer(t)
	ctx := context.Background()
	limited := ghosttest.Fault{
		Status: http.StatusTooManyRequests, RetryAfter: "0",
		Body: `{"success":false,"error":{"code":"RATE_LIMITED","message":"slow down"}}`,
	}

	f := limited
	f.Method = "GET"
	srv.InjectFault(f)
	var resp ghost.Response
	_, err := srv.Client.Carts.List(ctx, nil, ghost.WithResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)

	params := ghost.CartCreateParams{CustomerEmail: "r@example.com", Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: cartMoney(t, "2.50")}}}
	f.Method = "POST"
	srv.InjectFault(f)
	_, err = srv.Client.Carts.Create(ctx, params, ghost.WithResponse(&resp))
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.Equal(t, 1, resp.Attempts, "a POST without an idempotency key is not repeated")

	srv.InjectFault(f)
	_, err = srv.Client.Carts.Create(ctx, params, ghost.WithIdempotencyKey("cart-r-1"), ghost.WithResponse(&resp))
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.Equal(t, 1, resp.Attempts, "Checkout documents no idempotency key: a caller's key does not make the POST safe to repeat")
	reqs := srv.Requests()
	assert.Equal(t, "cart-r-1", reqs[len(reqs)-1].Header.Get("Idempotency-Key"), "the key is still sent")
}

// scaledClock drives the mock clock from real time, sped up: 1 ms of real
// time is scale ms on the mock, so a mock minute passes in 60/scale seconds.
type scaledClock struct {
	next  http.RoundTripper
	clock *ghosttest.Clock
	base  time.Time
	start time.Time
	scale time.Duration
}

func (s *scaledClock) RoundTrip(r *http.Request) (*http.Response, error) {
	s.clock.Set(s.base.Add(time.Since(s.start) * s.scale))
	return s.next.RoundTrip(r)
}

// The client-side limiter spreads a burst so the server's per-minute limit
// is never reached. The server allows 5 requests a minute; a mock minute
// lasts 40 ms of real time and the limiter lets one request through every
// 16 ms (24 s of mock time), so at most 3 (4 with scheduling noise) fall in
// any mock minute, and a burst of 6 passes where, unlimited, the sixth is
// refused.
func TestCheckoutClientLimiterKeepsUnderLimit(t *testing.T) {
	ctx := context.Background()
	cfg := ghosttest.Config{Profile: ghosttest.ProfileCheckout, CheckoutRateLimit: 5}

	// Unlimited, a burst of 6 trips the server's limit.
	srv := newCheckoutServer(t, ghosttest.WithConfig(cfg), ghosttest.WithClientOptions(ghost.WithRetryPolicy(ghost.RetryPolicy{})))
	var errs []error
	for range 6 {
		_, err := srv.Client.Carts.List(ctx, nil)
		errs = append(errs, err)
	}
	for _, err := range errs[:5] {
		require.NoError(t, err)
	}
	assert.ErrorIs(t, errs[5], ghost.ErrRateLimited)

	// Limited, the same burst passes.
	srv = newCheckoutServer(t, ghosttest.WithConfig(cfg))
	sc := &scaledClock{next: http.DefaultTransport, clock: srv.Clock, base: checkoutEpoch, start: time.Now(), scale: 1500}
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithAPIKey(ghosttest.DefaultAPIKey),
		ghost.WithHTTPClient(&http.Client{Transport: sc}),
		ghost.WithRetryPolicy(ghost.RetryPolicy{}),
		ghost.WithRateLimit(rate.Every(16*time.Millisecond), 1))
	require.NoError(t, err)
	for i := range 6 {
		_, err := c.Carts.List(ctx, nil)
		require.NoError(t, err, "request %d", i+1)
	}
	reqs := srv.Requests()
	require.Len(t, reqs, 6)
	assert.GreaterOrEqual(t, reqs[5].Time.Sub(checkoutEpoch), 5*24*time.Second,
		"the limiter spread the burst over more than a mock minute")
}

// WithCheckoutRateLimit presets one request per 600 ms with no burst beyond
// one: a second immediate request would have to wait, which a short
// deadline shows without waiting for it.
func TestWithCheckoutRateLimit(t *testing.T) {
	srv := newCheckoutServer(t)
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithAPIKey(ghosttest.DefaultAPIKey),
		ghost.WithRetryPolicy(ghost.RetryPolicy{}), ghost.WithCheckoutRateLimit())
	require.NoError(t, err)

	_, err = c.Carts.List(context.Background(), nil)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Carts.List(ctx, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), ghost.CodeClientRateLimited, "refused by the client, not the server")
	assert.Less(t, time.Since(start), 100*time.Millisecond, "refused at once, not after waiting")
	assert.Len(t, srv.Requests(), 1, "the second request never left the client")
}

// Money in a response decodes exactly whether the server writes numbers or
// strings; a value finer than cents is refused, not rounded.
func TestCartsDecodeMoneyFromServer(t *testing.T) {
	srv := newCheckoutServer(t)
	srv.InjectFault(ghosttest.Fault{Method: "GET", Status: http.StatusOK, Body: `{"success":true,"data":{
		"id":"cart_123","customerEmail":"customer@example.com","customerName":"John Doe",
		"items":[{"name":"Product Name","quantity":2,"price":"49.99"},{"name":"Tip","quantity":1,"price":1e-2}],
		"totalValue":99.99,"status":"abandoned","abandonedAt":"2024-01-15T10:30:00Z",
		"paymentLink":"https://checkout.stripe.com/pay/cs_test_x","createdAt":"2024-01-15T10:00:00Z",
		"updatedAt":"2024-01-15T10:30:00Z"}}`})
	cart, err := srv.Client.Carts.Get(context.Background(), "cart_123")
	require.NoError(t, err)
	assert.Equal(t, ghost.MoneyFromCents(4999), cart.Items[0].Price)
	assert.Equal(t, ghost.MoneyFromCents(1), cart.Items[1].Price)
	assert.Equal(t, ghost.MoneyFromCents(9999), cart.TotalValue)
	assert.Equal(t, ghost.Some("https://checkout.stripe.com/pay/cs_test_x"), cart.PaymentLink)
	assert.Equal(t, time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), cart.AbandonedAt)
	sum, err := cart.ItemsTotal()
	require.NoError(t, err)
	assert.Equal(t, cart.TotalValue, sum)

	srv.InjectFault(ghosttest.Fault{Method: "GET", Status: http.StatusOK,
		Body: `{"success":true,"data":{"id":"cart_123","items":[],"totalValue":99.999,"status":"abandoned"}}`})
	_, err = srv.Client.Carts.Get(context.Background(), "cart_123")
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, ghost.CodeBadResponse, ge.Code)
	assert.Contains(t, ge.Message, "more precision than cents")
}
