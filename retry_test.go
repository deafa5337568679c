package ghost_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const orderDoc = `{"doc":{"id":1,"amount":5000,"orderItems":[{"amount":5000,"type":"item"}]}}`

var someOrder = ghost.OrderCreateParams{Amount: 5000, OrderItems: []ghost.OrderItem{{Amount: 5000, Type: ghost.OrderItemTypeItem}}}

func TestRetryGetSucceedsAfter503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			reply(503, `{"message":"down","status":503,"error":"Service Unavailable"}`),
			reply(200, orderDoc),
		}}
		c := newFakeClient(t, f)
		var resp ghost.Response
		o, err := c.Orders.Get(t.Context(), "1", ghost.WithResponse(&resp))
		require.NoError(t, err)
		assert.Equal(t, ghost.IntID(1), o.ID)
		assert.Equal(t, 2, f.count())
		assert.Equal(t, 2, resp.Attempts)
	})
}

func TestRetryPolicyByMethod(t *testing.T) {
	down := reply(503, `{"message":"down","status":503,"error":"Service Unavailable"}`)
	reset := failWith(syscall.ECONNRESET)
	tests := []struct {
		name      string
		fault     func(*http.Request) (*http.Response, error)
		call      func(c *ghost.Client) error
		wantCalls int
	}{
		{"GET 503 retried", down, func(c *ghost.Client) error { _, err := c.Orders.Get(context.Background(), "1"); return err }, 4},
		{"DELETE 503 retried", down, func(c *ghost.Client) error { return c.Orders.Delete(context.Background(), "1") }, 4},
		{"POST with keys off 503 not retried", down, func(c *ghost.Client) error {
			_, err := c.Orders.Create(context.Background(), someOrder, ghost.WithoutIdempotencyKey())
			return err
		}, 1},
		{"POST with keys off reset not retried", reset, func(c *ghost.Client) error {
			_, err := c.Orders.Create(context.Background(), someOrder, ghost.WithoutIdempotencyKey())
			return err
		}, 1},
		{"POST with generated key retried", down, func(c *ghost.Client) error {
			_, err := c.Orders.Create(context.Background(), someOrder)
			return err
		}, 4},
		{"POST WithMaxRetries(1)", down, func(c *ghost.Client) error {
			_, err := c.Orders.Create(context.Background(), someOrder, ghost.WithMaxRetries(1))
			return err
		}, 2},
		{"GET WithMaxRetries(0)", down, func(c *ghost.Client) error {
			_, err := c.Orders.Get(context.Background(), "1", ghost.WithMaxRetries(0))
			return err
		}, 1},
		{"GET WithMaxRetries(5) above the policy", down, func(c *ghost.Client) error {
			_, err := c.Orders.Get(context.Background(), "1", ghost.WithMaxRetries(5))
			return err
		}, 6},
		{"GET WithMaxRetries(-1) refused before sending", down, func(c *ghost.Client) error {
			_, err := c.Orders.Get(context.Background(), "1", ghost.WithMaxRetries(-1))
			if !errors.Is(err, ghost.ErrValidation) {
				return fmt.Errorf("want ErrValidation, got %w", err)
			}
			return err
		}, 0},
		{"POST with key retried", down, func(c *ghost.Client) error {
			_, err := c.Orders.Create(context.Background(), someOrder, ghost.WithIdempotencyKey("order-1"))
			return err
		}, 4},
		{"GET reset retried", reset, func(c *ghost.Client) error { _, err := c.Orders.Get(context.Background(), "1"); return err }, 4},
		{"GET 404 not retried", reply(404, `{"message":"nope","status":404,"error":"Not Found"}`),
			func(c *ghost.Client) error { _, err := c.Orders.Get(context.Background(), "1"); return err }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){tt.fault}}
				c := newFakeClient(t, f)
				err := tt.call(c)
				require.Error(t, err)
				assert.Equal(t, tt.wantCalls, f.count())
			})
		})
	}
}

func TestRetrySameIdempotencyKeyEveryAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			failWith(syscall.ECONNRESET),
			reply(502, `<html>bad gateway</html>`, "Content-Type", "text/html"),
			reply(201, orderDoc),
		}}
		c := newFakeClient(t, f)
		_, err := c.Orders.Create(t.Context(), someOrder, ghost.WithIdempotencyKey("key-123"))
		require.NoError(t, err)
		require.Equal(t, 3, f.count())
		for i, r := range f.reqs {
			assert.Equal(t, "key-123", r.Header.Get("Idempotency-Key"), "attempt %d", i+1)
			assert.JSONEq(t, `{"amount":5000,"orderItems":[{"amount":5000,"type":"item"}]}`, string(f.bodies[i]), "attempt %d body", i+1)
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter func(now time.Time) string
		wantWait   time.Duration
	}{
		{"seconds", func(time.Time) string { return "2" }, 2 * time.Second},
		{"http date", func(now time.Time) string { return now.Add(3 * time.Second).UTC().Format(http.TimeFormat) }, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var times []time.Time
				f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
					func(r *http.Request) (*http.Response, error) {
						times = append(times, time.Now())
						return reply(429, `{"success":false,"error":{"code":"RATE_LIMITED","message":"slow down"}}`,
							"Retry-After", tt.retryAfter(time.Now()))(r)
					},
					func(r *http.Request) (*http.Response, error) {
						times = append(times, time.Now())
						return reply(200, orderDoc)(r)
					},
				}}
				c := newFakeClient(t, f)
				_, err := c.Orders.Get(t.Context(), "1")
				require.NoError(t, err)
				require.Len(t, times, 2)
				wait := times[1].Sub(times[0])
				// The HTTP-date form has one-second resolution.
				assert.GreaterOrEqual(t, wait, tt.wantWait-time.Second)
				assert.LessOrEqual(t, wait, tt.wantWait+tt.wantWait/10+time.Millisecond)
			})
		})
	}
}

func TestRetryAfterBeyondMaxWaitIsNotSlept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			reply(429, `{"success":false,"error":{"code":"RATE_LIMITED","message":"slow down"}}`, "Retry-After", "3600"),
		}}
		c := newFakeClient(t, f)
		start := time.Now()
		_, err := c.Orders.Get(t.Context(), "1")
		assert.Zero(t, time.Since(start), "must not sleep an hour")
		assert.Equal(t, 1, f.count())
		require.ErrorIs(t, err, ghost.ErrRateLimited)
		var ge *ghost.Error
		require.ErrorAs(t, err, &ge)
		assert.Equal(t, time.Hour, ge.RetryAfter)
		assert.Equal(t, "RATE_LIMITED", ge.Code)
	})
}

func TestRetriesExhaustedReturnLastError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			reply(503, `{"message":"first","status":503,"error":"Service Unavailable"}`),
			reply(503, `{"message":"still down","status":503,"error":"Service Unavailable"}`, "X-Request-Id", "req_42"),
		}}
		c := newFakeClient(t, f, ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 2, MinWait: time.Second, MaxWait: 10 * time.Second}))
		var resp ghost.Response
		_, err := c.Orders.Get(t.Context(), "1", ghost.WithResponse(&resp))
		require.ErrorIs(t, err, ghost.ErrUnavailable)
		var ge *ghost.Error
		require.ErrorAs(t, err, &ge)
		assert.Equal(t, 503, ge.StatusCode)
		assert.Equal(t, "still down", ge.Message)
		assert.Equal(t, "req_42", ge.RequestID)
		assert.Equal(t, 3, f.count())
		assert.Equal(t, 3, resp.Attempts)
	})
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Time
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			func(r *http.Request) (*http.Response, error) {
				times = append(times, time.Now())
				return reply(500, `{"message":"boom","status":500,"error":"Internal Server Error"}`)(r)
			},
		}}
		c := newFakeClient(t, f, ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: time.Second, MaxWait: time.Minute}))
		_, err := c.Orders.Get(t.Context(), "1")
		require.Error(t, err)
		require.Len(t, times, 4)
		for i := 1; i < 4; i++ {
			base := time.Second << (i - 1)
			wait := times[i].Sub(times[i-1])
			assert.GreaterOrEqual(t, wait, base/2, "retry %d", i)
			assert.LessOrEqual(t, wait, base, "retry %d", i)
		}
	})
}

func TestContextEndsRetrySleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			reply(503, `{"message":"down","status":503,"error":"Service Unavailable"}`, "Retry-After", "20"),
		}}
		c := newFakeClient(t, f)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Orders.Get(ctx, "1")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 5*time.Second, time.Since(start))
	})
}

// truncatedBody fails mid-read, like a connection reset in the body.
type truncatedBody struct{ data []byte }

func (b *truncatedBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}
func (b *truncatedBody) Close() error { return nil }

func TestTruncatedBodyRetriedForGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			func(r *http.Request) (*http.Response, error) {
				resp, _ := reply(200, "")(r)
				resp.Body = &truncatedBody{data: []byte(orderDoc[:20])}
				return resp, nil
			},
			reply(200, orderDoc),
		}}
		c := newFakeClient(t, f)
		o, err := c.Orders.Get(t.Context(), "1")
		require.NoError(t, err)
		assert.Equal(t, int64(5000), o.Amount)
		assert.Equal(t, 2, f.count())
	})
}

func TestTruncatedBodyNotRetriedForPostWithKeysOff(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
		func(r *http.Request) (*http.Response, error) {
			resp, _ := reply(201, "")(r)
			resp.Body = &truncatedBody{data: []byte(orderDoc[:20])}
			return resp, nil
		},
	}}
	c := newFakeClient(t, f)
	_, err := c.Orders.Create(t.Context(), someOrder, ghost.WithoutIdempotencyKey())
	require.Error(t, err)
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "got %v", err)
	assert.Equal(t, 1, f.count())
}

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
