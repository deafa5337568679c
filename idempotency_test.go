package ghost_test

import (
	"context"
	"net/http"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func requestsTo(srv *ghosttest.Server, method, path string) []ghosttest.RecordedRequest {
	var out []ghosttest.RecordedRequest
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// A POST without a caller's key carries a generated one, the same on every
// attempt, and is retried: the mock's ledger holds one object.
func TestGeneratedKeyRetriesPostSafely(t *testing.T) {
	faults := map[string]ghosttest.Fault{
		"503":                      {Status: http.StatusServiceUnavailable},
		"answer lost mid-body":     {CutBody: true},
		"connection dropped first": {Drop: true},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost),
				ghosttest.WithClientOptions(ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 2})))
			t.Cleanup(srv.Close)
			f.Method, f.PathPrefix = "POST", "/api/v1/orders"
			srv.InjectFault(f)
			var resp ghost.Response
			o, err := srv.Client.Orders.Create(t.Context(), ghost.OrderCreateParams{Amount: 4200, GatID: "gen-key",
				OrderItems: []ghost.OrderItem{{Amount: 4200, Type: ghost.OrderItemTypeItem}}}, ghost.WithResponse(&resp))
			require.NoError(t, err)
			assert.NotEmpty(t, o.ID)
			assert.Len(t, resp.IdempotencyKey, 26)
			assert.Equal(t, 2, resp.Attempts)
			reqs := requestsTo(srv, "POST", "/api/v1/orders")
			require.Len(t, reqs, 2)
			for _, r := range reqs {
				assert.Equal(t, resp.IdempotencyKey, r.Header.Get("Idempotency-Key"))
			}
			p, err := srv.Client.Orders.List(context.Background(), &ghost.OrderListParams{GatID: "gen-key", Limit: 100})
			require.NoError(t, err)
			assert.Len(t, p.Items, 1, "one order in the ledger")

			var again ghost.Response
			_, err = srv.Client.Orders.Create(t.Context(), ghost.OrderCreateParams{Amount: 4200, GatID: "gen-key",
				OrderItems: []ghost.OrderItem{{Amount: 4200, Type: ghost.OrderItemTypeItem}}}, ghost.WithResponse(&again))
			require.NoError(t, err)
			assert.NotEqual(t, resp.IdempotencyKey, again.IdempotencyKey, "a key per logical call")
		})
	}
}

func TestIdempotencyKeyPerPart(t *testing.T) {
	t.Run("keys turned off: sent once, no header", func(t *testing.T) {
		srv := newGhostMock(t)
		srv.InjectFault(ghosttest.Fault{Method: "POST", Status: http.StatusServiceUnavailable})
		var resp ghost.Response
		_, err := srv.Client.Orders.Create(t.Context(), someOrder, ghost.WithoutIdempotencyKey(), ghost.WithResponse(&resp))
		require.ErrorIs(t, err, ghost.ErrUnavailable)
		reqs := requestsTo(srv, "POST", "/api/v1/orders")
		require.Len(t, reqs, 1)
		assert.Empty(t, reqs[0].Header.Get("Idempotency-Key"))
		assert.Empty(t, resp.IdempotencyKey)
	})
	t.Run("caller's key wins", func(t *testing.T) {
		srv := newGhostMock(t)
		var resp ghost.Response
		_, err := srv.Client.Orders.Create(t.Context(), someOrder, ghost.WithIdempotencyKey("mine-1"), ghost.WithResponse(&resp))
		require.NoError(t, err)
		assert.Equal(t, "mine-1", lastRequest(t, srv).Header.Get("Idempotency-Key"))
		assert.Equal(t, "mine-1", resp.IdempotencyKey)
	})
	t.Run("komoju: X-KOMOJU-IDEMPOTENCY", func(t *testing.T) {
		srv := newKomoju(t)
		var resp ghost.Response
		_, err := srv.Client.Komoju.Customers.Create(t.Context(), ghost.KomojuCustomerCreateParams{Email: "k@example.com",
			PaymentDetails: ghost.KomojuPaymentToken("tok_1")}, ghost.WithResponse(&resp))
		require.NoError(t, err)
		r := lastRequest(t, srv)
		assert.Len(t, r.Header.Get("X-KOMOJU-IDEMPOTENCY"), 26)
		assert.Equal(t, resp.IdempotencyKey, r.Header.Get("X-KOMOJU-IDEMPOTENCY"))
		assert.Empty(t, r.Header.Get("Idempotency-Key"))
	})
	t.Run("checkout documents none: a caller's key is sent, not retried", func(t *testing.T) {
		srv := newCheckoutServer(t)
		srv.InjectFault(ghosttest.Fault{Method: "POST", Status: http.StatusServiceUnavailable})
		_, err := srv.Client.Carts.Create(t.Context(), ghost.CartCreateParams{CustomerEmail: "c@example.com", CustomerName: "C",
			Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: cartMoney(t, "1.00")}}}, ghost.WithIdempotencyKey("cart-1"))
		require.ErrorIs(t, err, ghost.ErrUnavailable)
		reqs := requestsTo(srv, "POST", "/api/carts")
		require.Len(t, reqs, 1, "the part documents no key: a second attempt could make a second cart")
		assert.Equal(t, "cart-1", reqs[0].Header.Get("Idempotency-Key"))
	})
	t.Run("checkout documents none: no key, not retried", func(t *testing.T) {
		srv := newCheckoutServer(t)
		srv.InjectFault(ghosttest.Fault{Method: "POST", Status: http.StatusServiceUnavailable})
		_, err := srv.Client.Carts.Create(t.Context(), ghost.CartCreateParams{CustomerEmail: "c@example.com", CustomerName: "C",
			Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: cartMoney(t, "1.00")}}})
		require.ErrorIs(t, err, ghost.ErrUnavailable)
		reqs := requestsTo(srv, "POST", "/api/carts")
		require.Len(t, reqs, 1)
		assert.Empty(t, reqs[0].Header.Get("Idempotency-Key"))
	})
}

// A 2xx whose body cannot be decoded, on a call that changed something, says
// the server accepted the request, and is not retried.
func TestDecodeFailureAfterWriteIsAccepted(t *testing.T) {
	bodies := map[string]string{
		"malformed": `{"doc":{"id":1,,}`,
		"truncated": `{"doc":{"id":1,"amo`,
		"null":      `{"doc":null}`,
		"empty":     ``,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			srv := newCountingServer(t, fixed(http.StatusCreated, body))
			c := clientFor(t, srv.URL)
			o, err := c.Orders.Create(t.Context(), someOrder)
			assert.Nil(t, o)
			require.ErrorIs(t, err, ghost.ErrDecode)
			ge := requireCode(t, err, ghost.CodeBadResponse)
			assert.True(t, ge.Accepted)
			assert.Equal(t, http.StatusCreated, ge.StatusCode)
			assert.Equal(t, body, string(ge.Body))
			assert.Contains(t, ge.Error(), "accepted")
			assert.EqualValues(t, 1, srv.n.Load(), "not retried")
		})
	}
	t.Run("GET is not 'accepted'", func(t *testing.T) {
		srv := newCountingServer(t, fixed(http.StatusOK, `{"doc":{"id":1,,}`))
		_, err := clientFor(t, srv.URL).Orders.Get(t.Context(), "1")
		require.ErrorIs(t, err, ghost.ErrDecode)
		assert.False(t, requireCode(t, err, ghost.CodeBadResponse).Accepted)
	})
}

// WithRawBody keeps the body of a successful call in the Response.
func TestRawBody(t *testing.T) {
	body := `{"doc":{"id":1,"amount":5000,"notModelledYet":{"x":1}}}`
	srv := newCountingServer(t, fixed(http.StatusOK, body))
	c := clientFor(t, srv.URL)
	var resp ghost.Response
	_, err := c.Orders.Get(t.Context(), "1", ghost.WithResponse(&resp), ghost.WithRawBody())
	require.NoError(t, err)
	assert.Equal(t, body, string(resp.RawBody))

	var plain ghost.Response
	_, err = c.Orders.Get(t.Context(), "1", ghost.WithResponse(&plain))
	require.NoError(t, err)
	assert.Nil(t, plain.RawBody, "only when asked for")
}
