package contract_test

import (
	"net/http"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// komojuScenario calls every Komoju operation through the SDK, answered
// with success and with errors.
func komojuScenario(e *env) {
	t, ctx, k := e.t, e.t.Context(), e.client.Komoju.Customers
	c, err := k.Create(ctx, ghost.KomojuCustomerCreateParams{Email: "test@example.com", Currency: "jpy",
		Metadata: map[string]string{"order_id": "abcdefg"}, PaymentDetails: ghost.KomojuPaymentToken("tok_38e6c5838b91e5d4")})
	require.NoError(t, err)
	c2, err := k.Create(ctx, ghost.KomojuCustomerCreateParams{PaymentDetails: ghost.KomojuPaymentHash(map[string]any{
		"type": "credit_card", "number": "4111111111111111", "month": 7, "year": 2031, "verification_value": "123"})})
	require.NoError(t, err)
	_, err = k.Get(ctx, c.ID)
	require.NoError(t, err)
	_, err = k.Get(ctx, "missing")
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = k.Update(ctx, c.ID, ghost.KomojuCustomerUpdateParams{Email: ghost.Some("new@example.com"), PaymentDetails: ghost.Some(ghost.KomojuPaymentToken("tok_840321a7a542"))})
	require.NoError(t, err)
	_, err = k.Update(ctx, "missing", ghost.KomojuCustomerUpdateParams{Email: ghost.Some("x@example.com")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = k.List(ctx, &ghost.KomojuListParams{PerPage: 1, StartTime: time.Now().Add(-time.Hour), EndTime: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	_, err = k.Delete(ctx, c.ID)
	require.NoError(t, err)
	_, err = k.Delete(ctx, c.ID)
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	b := e.bad.Komoju.Customers
	_, err = b.List(ctx, nil)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Create(ctx, ghost.KomojuCustomerCreateParams{PaymentDetails: ghost.KomojuPaymentToken("tok_1")})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Get(ctx, "x")
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Update(ctx, "x", ghost.KomojuCustomerUpdateParams{Email: ghost.Some("x@example.com")})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Delete(ctx, "x")
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)

	// The seed's curl example, form-encoded; a bad list parameter; a
	// reused idempotency key.
	kp := ghost.PartKomoju
	assert.Equal(t, 200, e.raw(kp, "POST", "/api/v1/customers", "application/x-www-form-urlencoded",
		"email=test%40example.com&metadata%5Border_id%5D=abcdefg&payment_details=tok_38e6c5838b91e5d4e3771431b275f6de29fb3822", true).status)
	assert.Equal(t, 400, e.raw(kp, "GET", "/api/v1/customers?start_time=yesterday", "", "", false).status)
	assert.Equal(t, 400, e.raw(kp, "POST", "/api/v1/customers", "application/json", `{"payment_details":"not_a_token"}`, false).status)
	assert.Equal(t, 400, e.raw(kp, "PATCH", "/api/v1/customers/"+string(c2.ID), "application/json", `{"currency":"yen"}`, false).status)
	key := []string{"X-KOMOJU-IDEMPOTENCY", "contract-komoju-1"}
	assert.Equal(t, 200, e.raw(kp, "POST", "/api/v1/customers", "application/json", `{"payment_details":"tok_a"}`, true, key...).status)
	assert.Equal(t, 409, e.raw(kp, "POST", "/api/v1/customers", "application/json", `{"payment_details":"tok_b"}`, true, key...).status)
}

// checkoutScenario calls every Checkout operation through the SDK, and
// the Stripe webhook as Stripe would, answered with success and errors.
func checkoutScenario(e *env) {
	t, ctx, c := e.t, e.t.Context(), e.client
	cart, err := c.Carts.Create(ctx, ghost.CartCreateParams{CustomerEmail: "customer@example.com", CustomerName: "John Doe",
		Items: []ghost.CartItem{{Name: "Product Name", Quantity: 2, Price: ghost.MoneyFromCents(4999)}}})
	require.NoError(t, err)
	_, err = c.Carts.Get(ctx, cart.ID)
	require.NoError(t, err)
	_, err = c.Carts.Get(ctx, "cart_missing")
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Carts.List(ctx, &ghost.CartListParams{Status: ghost.CartAbandoned, Page: 1, Limit: 5})
	require.NoError(t, err)
	link, err := c.Carts.CreatePaymentLink(ctx, cart.ID)
	require.NoError(t, err)
	require.NotEmpty(t, link.URL)
	_, err = c.Carts.CreatePaymentLink(ctx, "cart_missing")
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Carts.Update(ctx, cart.ID, ghost.CartUpdateParams{CustomerName: ghost.Some("Jane Doe")})
	require.NoError(t, err)
	_, err = c.Carts.Update(ctx, "cart_missing", ghost.CartUpdateParams{CustomerName: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Analytics.Get(ctx, ghost.AnalyticsParams{Period: ghost.Period7Days})
	require.NoError(t, err)
	_, err = c.Analytics.Get(ctx, ghost.AnalyticsParams{StartDate: time.Now().Add(-48 * time.Hour), EndDate: time.Now()})
	require.NoError(t, err)

	// Stripe pays the cart; a second event for an expired cart is a 422;
	// one naming no cart a 404; one that is not an event a 400.
	cp := ghost.PartCheckout
	event := `{"id":"evt_1","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_1","object":"checkout.session","metadata":{"cartId":"` + string(cart.ID) + `"}}}}`
	assert.Equal(t, 200, e.raw(cp, "POST", "/api/webhooks/stripe", "application/json", event, true, "X-Api-Key", "").status)
	_, err = c.Carts.CreatePaymentLink(ctx, cart.ID)
	assert.ErrorIs(t, err, ghost.ErrValidation, "a recovered cart gets no link (422)")
	expired, err := c.Carts.Create(ctx, ghost.CartCreateParams{CustomerEmail: "e@example.com", Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: ghost.MoneyFromCents(100)}}})
	require.NoError(t, err)
	_, err = c.Carts.Update(ctx, expired.ID, ghost.CartUpdateParams{Status: ghost.Some(ghost.CartExpired)})
	require.NoError(t, err)
	_, err = c.Carts.Update(ctx, expired.ID, ghost.CartUpdateParams{Status: ghost.Some(ghost.CartAbandoned)})
	assert.ErrorIs(t, err, ghost.ErrValidation, "expired is final (422)")
	expiredEvent := `{"id":"evt_2","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","metadata":{"cartId":"` + string(expired.ID) + `"}}}}`
	assert.Equal(t, 422, e.raw(cp, "POST", "/api/webhooks/stripe", "application/json", expiredEvent, true, "X-Api-Key", "").status)
	noCart := `{"id":"evt_3","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_2","metadata":{"cartId":"cart_missing"}}}}`
	assert.Equal(t, 404, e.raw(cp, "POST", "/api/webhooks/stripe", "application/json", noCart, true, "X-Api-Key", "").status)
	assert.Equal(t, 400, e.raw(cp, "POST", "/api/webhooks/stripe", "application/json", `{"hello":"world"}`, false, "X-Api-Key", "").status)

	require.NoError(t, c.Carts.Delete(ctx, expired.ID))
	assert.ErrorIs(t, c.Carts.Delete(ctx, expired.ID), ghost.ErrNotFound)

	b := e.bad
	_, err = b.Carts.List(ctx, nil)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Carts.Create(ctx, ghost.CartCreateParams{CustomerEmail: "a@example.com", Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: ghost.MoneyFromCents(100)}}})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Carts.Get(ctx, "cart_1")
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Carts.Update(ctx, "cart_1", ghost.CartUpdateParams{CustomerName: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	assert.ErrorIs(t, b.Carts.Delete(ctx, "cart_1"), ghost.ErrUnauthorized)
	_, err = b.Carts.CreatePaymentLink(ctx, "cart_1")
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Analytics.Get(ctx, ghost.AnalyticsParams{})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)

	// Bad query parameters: 400.
	assert.Equal(t, 400, e.raw(cp, "GET", "/api/carts?limit=101", "", "", false).status)
	assert.Equal(t, 400, e.raw(cp, "GET", "/api/analytics?period=1y", "", "", false).status)
}

// checkoutRateLimit drives the Checkout rate limit to its 429.
func checkoutRateLimit(e *env) {
	cp := ghost.PartCheckout
	e.exhaust(cp, "/api/carts", 3)
	for _, p := range []struct{ m, path string }{{"POST", "/api/carts"}, {"GET", "/api/carts/cart_1"}, {"PATCH", "/api/carts/cart_1"},
		{"DELETE", "/api/carts/cart_1"}, {"POST", "/api/carts/cart_1/payment-link"}, {"GET", "/api/analytics"}} {
		body := ""
		if p.m == "POST" && p.path == "/api/carts" || p.m == "PATCH" {
			body = `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":1}]}`
		}
		assert.Equal(e.t, http.StatusTooManyRequests, e.raw(cp, p.m, p.path, "application/json", body, false).status, p.m+" "+p.path)
	}
}

var checkoutLimited = []ghosttest.Option{ghosttest.WithConfig(ghosttest.Config{CheckoutRateLimit: 3})}
