package ghost_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// countingServer is an httptest server answering every request with h and
// counting the requests that reached it.
type countingServer struct {
	*httptest.Server
	n atomic.Int64
}

func newCountingServer(t *testing.T, h http.HandlerFunc) *countingServer {
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.n.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func fixed(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func clientFor(t *testing.T, url string, opts ...ghost.Option) *ghost.Client {
	t.Helper()
	base := []ghost.Option{
		ghost.WithBaseURL(url),
		ghost.WithCredentials(ghost.Credentials{PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey,
			AuthToken: testToken, BearerToken: testBearer}),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}),
	}
	c, err := ghost.NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c
}

func requireCode(t *testing.T, err error, code string) *ghost.Error {
	t.Helper()
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge, "%v", err)
	assert.Equal(t, code, ge.Code, "%v", err)
	return ge
}

// A 200 whose envelope holds null is not a zero-value object: it is a
// bad_response error.
func TestNullPayloadIsBadResponse(t *testing.T) {
	objects := []string{`{"doc":null}`, `{"data":null}`, `{"success":true,"data":null}`, `null`, ` null `, `{"docs":null}`}
	gets := map[string]func(ctx context.Context, c *ghost.Client) (any, error){
		"order": func(ctx context.Context, c *ghost.Client) (any, error) { return c.Orders.Get(ctx, "1") },
		"cart":  func(ctx context.Context, c *ghost.Client) (any, error) { return c.Carts.Get(ctx, "cart_1") },
	}
	for _, body := range objects {
		for name, get := range gets {
			t.Run(name+" "+body, func(t *testing.T) {
				srv := newCountingServer(t, fixed(200, body))
				o, err := get(t.Context(), clientFor(t, srv.URL))
				assert.Nil(t, o)
				requireCode(t, err, ghost.CodeBadResponse)
			})
		}
	}
	lists := []string{`{"docs":null}`, `{"data":null}`, `{"success":true,"data":null}`, `null`, `{}`}
	for _, body := range lists {
		t.Run("list "+body, func(t *testing.T) {
			srv := newCountingServer(t, fixed(200, body))
			c := clientFor(t, srv.URL)
			p, err := c.Orders.List(t.Context(), nil)
			assert.Nil(t, p)
			requireCode(t, err, ghost.CodeBadResponse)
		})
	}
	t.Run("checkout list items null", func(t *testing.T) {
		srv := newCountingServer(t, fixed(200, `{"success":true,"data":{"carts":null,"pagination":{"page":1,"limit":20,"total":3,"totalPages":1}}}`))
		c := clientFor(t, srv.URL)
		p, err := c.Carts.List(t.Context(), nil)
		assert.Nil(t, p)
		requireCode(t, err, ghost.CodeBadResponse)
	})
}

// refusingDialer refuses the first n dials like a closed port, then dials
// for real.
func refusingDialer(n int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var mu sync.Mutex
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		refuse := n > 0
		n--
		mu.Unlock()
		if refuse {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		return d.DialContext(ctx, network, addr)
	}
}

// A DELETE whose first attempt never reached the server returns the 404 of
// its retry; one whose answer was lost counts the 404 as done.
func TestDeleteNotFoundAfterUnsentAttempt(t *testing.T) {
	notFound := `{"message":"Order not found","status":404,"error":"Not Found"}`
	t.Run("connection refused then 404", func(t *testing.T) {
		srv := newCountingServer(t, fixed(404, notFound))
		hc := &http.Client{Transport: &http.Transport{DialContext: refusingDialer(1)}}
		c := clientFor(t, srv.URL, ghost.WithHTTPClient(hc))
		err := c.Orders.Delete(t.Context(), "1")
		assert.ErrorIs(t, err, ghost.ErrNotFound)
		assert.EqualValues(t, 1, srv.n.Load())
	})
	t.Run("answer lost then 404", func(t *testing.T) {
		var n atomic.Int64
		srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 { // the request arrived; its answer is lost
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
				return
			}
			fixed(404, notFound)(w, r)
		})
		c := clientFor(t, srv.URL)
		require.NoError(t, c.Orders.Delete(t.Context(), "1"))
		assert.EqualValues(t, 2, srv.n.Load())
	})
}

// Retry-After values too large for an integer are longer than MaxWait.
func TestRetryAfterOverflow(t *testing.T) {
	for _, v := range []string{"99999999999999999999", "9223372036854775808", "9223372036854775807"} {
		t.Run(v, func(t *testing.T) {
			srv := newCountingServer(t, fixed(503, `{"message":"down","status":503,"error":"Service Unavailable"}`, "Retry-After", v))
			c := clientFor(t, srv.URL)
			_, err := c.Orders.Get(t.Context(), "1")
			ge := requireCode(t, err, "Service Unavailable")
			assert.ErrorIs(t, err, ghost.ErrUnavailable)
			assert.Equal(t, ghost.MaxRetryAfter, ge.RetryAfter)
			assert.EqualValues(t, 1, srv.n.Load(), "not retried")
		})
	}
}

// The context ending during a backoff wait still returns the last API error.
func TestContextEndsDuringBackoffKeepsLastError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			reply(503, `{"message":"down for maintenance","status":503,"error":"Service Unavailable"}`, "Retry-After", "5"),
		}}
		c := newFakeClient(t, f, ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: time.Second, MaxWait: time.Minute}))
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		_, err := c.Orders.Get(ctx, "1")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, ghost.ErrUnavailable)
		var ge *ghost.Error
		require.ErrorAs(t, err, &ge)
		assert.Equal(t, 503, ge.StatusCode)
		assert.Contains(t, string(ge.Body), "down for maintenance")
		assert.Equal(t, 1, f.count())
	})
}

// The client-side limiter that cannot grant a token before the deadline
// gives a typed error, and the call is not retried.
func TestLimiterBeyondDeadline(t *testing.T) {
	srv := newCountingServer(t, fixed(200, orderDoc))
	c := clientFor(t, srv.URL, ghost.WithRateLimit(rate.Every(time.Hour), 1))
	_, err := c.Orders.Get(t.Context(), "1")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err = c.Orders.Get(ctx, "1")
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge, "%v", err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.EqualValues(t, 1, srv.n.Load(), "the second call never reached the server")
}

// closeSecondRequest serves the first request on each connection and closes
// the connection, unanswered, on the second: what a server that dropped an
// idle keep-alive connection looks like to Go's transport.
func closeSecondRequest(t *testing.T, body string) *countingServer {
	var mu sync.Mutex
	perConn := map[string]int{}
	return newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		perConn[r.RemoteAddr]++
		n := perConn[r.RemoteAddr]
		mu.Unlock()
		if n >= 2 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		fixed(200, body)(w, r)
	})
}

// MaxRetries bounds what reaches the wire: Go's transport would re-send a
// GET (or a POST with an Idempotency-Key) on a new connection by itself.
func TestMaxRetriesBoundsTheWire(t *testing.T) {
	calls := []struct {
		name string
		call func(ctx context.Context, c *ghost.Client) error
	}{
		{"GET", func(ctx context.Context, c *ghost.Client) error { _, err := c.Orders.Get(ctx, "1"); return err }},
		{"POST with key", func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Orders.Create(ctx, someOrder, ghost.WithIdempotencyKey("k-1"))
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			srv := closeSecondRequest(t, orderDoc)
			c := clientFor(t, srv.URL, ghost.WithRetryPolicy(ghost.RetryPolicy{}))
			require.NoError(t, tc.call(t.Context(), c)) // opens the connection
			require.EqualValues(t, 1, srv.n.Load())
			err := tc.call(t.Context(), c) // on the reused connection
			require.Error(t, err)
			assert.EqualValues(t, 2, srv.n.Load(), "MaxRetries 0: sent once")
		})
	}
}

// Caller headers named like credentials do not follow a redirect to another
// origin; another port on the same host is another origin.
func TestCallerCredentialHeadersDroppedOnRedirect(t *testing.T) {
	var got http.Header
	other := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		fixed(200, orderDoc)(w, r)
	})
	first := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	})
	c := clientFor(t, first.URL)
	_, err := c.Orders.Get(t.Context(), "1",
		ghost.WithHeader("Cookie", "session=COOKIE_SENTINEL"),
		ghost.WithHeader("Proxy-Authorization", "Basic PROXY_SENTINEL"),
		ghost.WithHeader("X-Session-Token", "SESSION_SENTINEL"),
		ghost.WithHeader("X-Trace", "keep-me"))
	require.NoError(t, err)
	require.NotNil(t, got)
	for _, h := range []string{"Cookie", "Proxy-Authorization", "X-Session-Token", "Authorization", "X-Api-Key", "X-Ac-Auth-Token"} {
		assert.Empty(t, got.Get(h), h)
	}
	assert.Equal(t, "keep-me", got.Get("X-Trace"))
}

// lyingServer declares a Content-Length of declared bytes, sends body and
// closes the connection.
func lyingServer(t *testing.T, declared int, body string) *countingServer {
	return newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", declared, body)
		buf.Flush()
	})
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A declared Content-Length does not size an allocation before the bytes
// arrive.
func TestDeclaredLengthIsNotAllocatedUpFront(t *testing.T) {
	srv := lyingServer(t, 32<<20, `{"doc":{"id":1,"amo`)
	c := clientFor(t, srv.URL, ghost.WithRetryPolicy(ghost.RetryPolicy{}))
	var err error
	n := allocated(func() { _, err = c.Orders.Get(t.Context(), "1") })
	require.Error(t, err)
	assert.Less(t, n, uint64(1<<20), "allocated %d bytes for a 20-byte body", n)
}

// A body over the limit costs about the limit.
func TestOversizedBodyCostsAboutTheLimit(t *testing.T) {
	const limit = 8 << 20
	chunk := strings.Repeat("x", 64<<10)
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		bw := bufio.NewWriter(w)
		io.WriteString(bw, `{"doc":{"note":"`)
		for range (4 * limit) / len(chunk) {
			if _, err := io.WriteString(bw, chunk); err != nil {
				return
			}
		}
		bw.Flush()
	})
	c := clientFor(t, srv.URL, ghost.WithMaxResponseBytes(limit), ghost.WithRetryPolicy(ghost.RetryPolicy{}))
	var err error
	n := allocated(func() { _, err = c.Orders.Get(t.Context(), "1") })
	assert.ErrorIs(t, err, ghost.ErrResponseTooLarge)
	t.Logf("allocated %.1f MiB for a %d MiB limit", float64(n)/(1<<20), limit>>20)
	assert.Less(t, n, uint64(limit*3/2), "allocated %d bytes: about the limit, not a multiple", n)
}

// A nil context is refused with a typed error, never a panic.
func TestNilContextIsRefused(t *testing.T) {
	srv := newGhostMock(t)
	//lint:ignore SA1012 the test is about a nil context: it must be refused, not panic
	_, err := srv.Client.Customers.Get(nil, "1")
	requireCode(t, err, ghost.CodeInvalidParams)
	//lint:ignore SA1012 the test is about a nil context: the iterator yields the refusal
	for _, err := range srv.Client.Customers.All(nil, nil) {
		requireCode(t, err, ghost.CodeInvalidParams)
	}
	//lint:ignore SA1012 the test is about a nil context: Range yields the refusal
	for _, err := range srv.Client.Exports.Range(nil, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders,
		Start: time.Now().Add(-time.Hour), End: time.Now()}) {
		requireCode(t, err, ghost.CodeInvalidParams)
	}
	assert.Empty(t, srv.Requests(), "nothing sent")
}

// An attempt that wrote nothing (here net/http's transport fails before it
// connects) is repeated whatever the method, and does not count as a retry;
// an attempt that wrote its request and lost the answer is not, for a POST
// of a part that documents no idempotency key.
func TestAttemptThatWroteNothingIsRepeated(t *testing.T) {
	cart := `{"success":true,"data":{"id":"cart_1","status":"abandoned"}}`
	newCart := func(c *ghost.Client, opts ...ghost.RequestOption) error {
		_, err := c.Carts.Create(t.Context(), ghost.CartCreateParams{CustomerEmail: "c@example.com", CustomerName: "C",
			Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: cartMoney(t, "1.00")}}}, opts...)
		return err
	}
	t.Run("failed before writing: repeated, even with MaxRetries 0", func(t *testing.T) {
		srv := newCountingServer(t, fixed(http.StatusCreated, cart))
		var proxyCalls atomic.Int64
		tr := &http.Transport{Proxy: func(*http.Request) (*url.URL, error) {
			if proxyCalls.Add(1) == 1 {
				return nil, errors.New("proxy unavailable")
			}
			return nil, nil
		}}
		t.Cleanup(tr.CloseIdleConnections)
		c := clientFor(t, srv.URL, ghost.WithHTTPClient(&http.Client{Transport: tr}),
			ghost.WithRetryPolicy(ghost.RetryPolicy{}))
		var resp ghost.Response
		require.NoError(t, newCart(c, ghost.WithResponse(&resp)))
		assert.EqualValues(t, 1, srv.n.Load(), "sent once")
		assert.Equal(t, 2, resp.Attempts)
	})
	t.Run("written, answer lost: not repeated", func(t *testing.T) {
		srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		c := clientFor(t, srv.URL)
		err := newCart(c)
		require.Error(t, err)
		assert.EqualValues(t, 1, srv.n.Load(), "the server saw it: a second cart could follow")
	})
}
