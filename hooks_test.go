package ghost_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// callLog records what a CallHook saw.
type callLog struct {
	mu    sync.Mutex
	infos []ghost.CallInfo
	res   []ghost.CallResult
}

func (l *callLog) hook(ctx context.Context, info ghost.CallInfo) (context.Context, func(ghost.CallResult)) {
	return ctx, func(r ghost.CallResult) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.infos = append(l.infos, info)
		l.res = append(l.res, r)
	}
}

func (l *callLog) last(t *testing.T) (ghost.CallInfo, ghost.CallResult) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotEmpty(t, l.infos, "no call observed")
	return l.infos[len(l.infos)-1], l.res[len(l.res)-1]
}

func TestCallHookSeesOneLogicalCall(t *testing.T) {
	ok := reply(200, `{"doc":{"id":"c1"}}`)
	okCart := reply(200, `{"success":true,"data":{"id":"cart_1"}}`)
	tests := []struct {
		name    string
		replies []func(*http.Request) (*http.Response, error)
		opts    []ghost.Option
		call    func(ctx context.Context, c *ghost.Client) error
		info    ghost.CallInfo
		want    ghost.CallResult // Err and Duration are not compared
		wait    [2]time.Duration // bounds of RetryWait (jitter)
	}{{
		name:    "success",
		replies: []func(*http.Request) (*http.Response, error){ok},
		call: func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Customers.Get(ctx, "cus_secret_id")
			return err
		},
		info: ghost.CallInfo{Operation: "Customers.Get", Part: "ghost", Method: "GET", Host: "api.ghost.test", URLTemplate: "/api/v1/customers/{customerID}"},
		want: ghost.CallResult{Attempts: 1, StatusCode: 200},
	}, {
		name:    "retried after Retry-After",
		replies: []func(*http.Request) (*http.Response, error){reply(503, `{}`, "Retry-After", "2"), ok},
		call: func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Customers.Get(ctx, "c1")
			return err
		},
		info: ghost.CallInfo{Operation: "Customers.Get", Part: "ghost", Method: "GET", Host: "api.ghost.test", URLTemplate: "/api/v1/customers/{customerID}"},
		want: ghost.CallResult{Attempts: 2, Retries: 1, StatusCode: 200, RetryAfterWait: 2 * time.Second},
		wait: [2]time.Duration{2 * time.Second, 2200 * time.Millisecond},
	}, {
		name:    "retried after backoff",
		replies: []func(*http.Request) (*http.Response, error){reply(500, `{}`), failWith(errors.New("connection reset")), ok},
		opts:    []ghost.Option{ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: 2 * time.Second, MaxWait: 2 * time.Second})},
		call: func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Customers.Get(ctx, "c1")
			return err
		},
		info: ghost.CallInfo{Operation: "Customers.Get", Part: "ghost", Method: "GET", Host: "api.ghost.test", URLTemplate: "/api/v1/customers/{customerID}"},
		want: ghost.CallResult{Attempts: 3, Retries: 2, StatusCode: 200},
		wait: [2]time.Duration{2 * time.Second, 4 * time.Second}, // two waits of 1-2s (equal jitter)
	}, {
		name:    "API error",
		replies: []func(*http.Request) (*http.Response, error){reply(404, `{"message":"no"}`)},
		call: func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Accounts.Get(ctx, "42")
			return err
		},
		info: ghost.CallInfo{Operation: "Accounts.Get", Part: "ghost", Method: "GET", Host: "api.ghost.test", URLTemplate: "/api/v1/accounts/{accountID}"},
		want: ghost.CallResult{Attempts: 1, StatusCode: 404, ErrorKind: "404"},
	}, {
		name:    "cancelled while waiting for Retry-After",
		replies: []func(*http.Request) (*http.Response, error){reply(429, `{}`, "Retry-After", "10")},
		call: func(ctx context.Context, c *ghost.Client) error {
			ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			_, err := c.Customers.Get(ctx, "c1")
			return err
		},
		info: ghost.CallInfo{Operation: "Customers.Get", Part: "ghost", Method: "GET", Host: "api.ghost.test", URLTemplate: "/api/v1/customers/{customerID}"},
		want: ghost.CallResult{Attempts: 1, StatusCode: 429, ErrorKind: "timeout", RetryAfterWait: 3 * time.Second},
		wait: [2]time.Duration{3 * time.Second, 3 * time.Second},
	}, {
		name:    "limiter wait",
		replies: []func(*http.Request) (*http.Response, error){okCart},
		opts:    []ghost.Option{ghost.WithRateLimit(rate.Every(5*time.Second), 1)},
		call: func(ctx context.Context, c *ghost.Client) error {
			if _, err := c.Carts.Get(ctx, "cart_1"); err != nil {
				return err
			}
			_, err := c.Carts.Get(ctx, "cart_1")
			return err
		},
		info: ghost.CallInfo{Operation: "Carts.Get", Part: "checkout", Method: "GET", Host: "api.ghost.test", URLTemplate: "/api/carts/{cartID}"},
		want: ghost.CallResult{Attempts: 1, StatusCode: 200, LimiterWait: 5 * time.Second},
	}, {
		name:    "refused before sending",
		replies: []func(*http.Request) (*http.Response, error){ok},
		opts:    []ghost.Option{ghost.WithAPIKey("")},
		call: func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Carts.Get(ctx, "cart_1")
			return err
		},
		info: ghost.CallInfo{Operation: "Carts.Get", Part: "checkout", Method: "GET", Host: "api.ghost.test", URLTemplate: "/api/carts/{cartID}"},
		want: ghost.CallResult{ErrorKind: ghost.CodeMissingCredentials},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log callLog
				f := &fakeAPI{replies: tt.replies}
				c := newFakeClient(t, f, append(tt.opts, ghost.WithCallHook(log.hook))...)
				err := tt.call(t.Context(), c)
				info, res := log.last(t)
				assert.Equal(t, tt.info, info)
				assert.Equal(t, err, res.Err)
				if tt.want.ErrorKind == "" {
					require.NoError(t, err)
				}
				assert.GreaterOrEqual(t, res.RetryWait, tt.wait[0])
				assert.LessOrEqual(t, res.RetryWait, tt.wait[1])
				res.Err, res.Duration, res.RetryWait = nil, 0, 0
				assert.Equal(t, tt.want, res)
			})
		})
	}
}

// TestCallHookContextReachesAttempts checks that the context a hook returns
// is the one the attempts run under, that the hooks nest, and that a
// middleware sees each attempt's number.
func TestCallHookContextReachesAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key string
		var order []string
		hook := func(name string) ghost.CallHook {
			return func(ctx context.Context, info ghost.CallInfo) (context.Context, func(ghost.CallResult)) {
				order = append(order, "start "+name)
				return context.WithValue(ctx, key(name), true), func(ghost.CallResult) { order = append(order, "end "+name) }
			}
		}
		var seen []string
		mw := func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				a, ok := ghost.AttemptFromContext(r.Context())
				require.True(t, ok)
				seen = append(seen, fmt.Sprintf("%s #%d %s %v %v", a.Operation, a.Number, a.URLTemplate,
					r.Context().Value(key("a")), r.Context().Value(key("b"))))
				return next.RoundTrip(r)
			})
		}
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(503, `{}`), reply(200, `{"doc":{"id":"o1"}}`)}}
		c := newFakeClient(t, f, ghost.WithCallHook(hook("a")), ghost.WithCallHook(hook("b")), ghost.WithTransportMiddleware(mw))
		_, err := c.Orders.Get(t.Context(), "o1")
		require.NoError(t, err)
		assert.Equal(t, []string{"start a", "start b", "end b", "end a"}, order)
		assert.Equal(t, []string{
			"Orders.Get #1 /api/v1/orders/{orderID} true true",
			"Orders.Get #2 /api/v1/orders/{orderID} true true",
		}, seen)
		_, ok := ghost.AttemptFromContext(t.Context())
		assert.False(t, ok)
	})
}

// TestCallHookNamesEveryService runs every service against the mock and
// checks each call's operation, part and URL template: one name per SDK
// method, and no id in any template. Four goroutines share the client.
func TestCallHookNamesEveryService(t *testing.T) {
	var log callLog
	srv := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{CheckoutRateLimit: -1}),
		ghosttest.WithProfile(ghosttest.ProfileAll), ghosttest.WithClientOptions(ghost.WithCallHook(log.hook)))
	defer srv.Close()
	var wg sync.WaitGroup
	for g := range 4 { // concurrently, for the race detector
		wg.Go(func() { serviceCalls(t.Context(), srv.Client, g) })
	}
	wg.Wait()

	got := map[string]bool{}
	for _, in := range log.infos {
		got[fmt.Sprintf("%s %s %s %s", in.Operation, in.Part, in.Method, in.URLTemplate)] = true
		assert.Equal(t, strings.TrimPrefix(srv.URL, "http://"), in.Host)
	}
	want := []string{
		"Customers.Create ghost POST /api/v1/customers",
		"Cards.Create ghost POST /api/v1/customers/{customerID}/cards",
		"Charges.Create ghost POST /api/v1/charges",
		"Customers.Get ghost GET /api/v1/customers/{customerID}",
		"Accounts.Get ghost GET /api/v1/accounts/{accountID}",
		"Identities.Create ghost POST /api/v1/identities",
		"Events.Create ghost POST /api/v1/identities/{identityID}/events",
		"Identities.Get ghost GET /api/v1/identities/{identityID}",
		"IdentityTypes.Create ghost POST /api/v1/identity-types",
		"Orders.Create ghost POST /api/v1/orders",
		"Orders.List ghost GET /api/v1/orders",
		"Carts.Create checkout POST /api/carts",
		"Carts.Get checkout GET /api/carts/{cartID}",
		"Carts.CreatePaymentLink checkout POST /api/carts/{cartID}/payment-link",
		"Analytics.Get checkout GET /api/analytics",
		"Spark.Products.Upsert spark POST /spark/api/v1/products",
		"Spark.Products.List spark GET /spark/api/v1/products",
		"exports.POST exports POST ",
		"exports.GET exports GET ",
	}
	var wantSet = map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	assert.Equal(t, wantSet, got)
}

func TestTransportMiddlewareKeepsTheSDKTransport(t *testing.T) {
	var pool *http.Transport
	var hops []string
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"doc":{"id":"1"}}`)
	}))
	defer foreign.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreign.URL+"/api/v1/accounts/1", http.StatusFound)
	}))
	defer api.Close()
	mw := func(next http.RoundTripper) http.RoundTripper {
		pool, _ = next.(*http.Transport)
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			a, _ := ghost.AttemptFromContext(r.Context())
			hops = append(hops, fmt.Sprintf("#%d %s auth=%q", a.Number, r.URL.Host, r.Header.Get("Authorization")))
			return next.RoundTrip(r)
		})
	}
	c, err := ghost.NewClient(ghost.WithBaseURL(api.URL), ghost.WithKeys(testPublic, testSecret), ghost.WithTransportMiddleware(mw))
	require.NoError(t, err)
	_, err = c.Accounts.Get(t.Context(), "1")
	require.NoError(t, err)

	require.NotNil(t, pool, "the middleware wraps the SDK's own *http.Transport")
	assert.Equal(t, ghost.DefaultConnsPerHost, pool.MaxIdleConnsPerHost)
	require.Len(t, hops, 2, "each redirect hop is a RoundTrip of the middleware")
	assert.Contains(t, hops[0], `auth="Basic `)
	assert.Equal(t, fmt.Sprintf("#2 %s auth=%q", strings.TrimPrefix(foreign.URL, "http://"), ""), hops[1])
}

// TestWithHTTPClientKeepsSafetyRules gives the client an *http.Client whose
// redirect policy copies every header to the next hop (a common way to
// "keep headers on redirect") and checks that the SDK's rules still hold.
func TestWithHTTPClientKeepsSafetyRules(t *testing.T) {
	tests := []struct {
		name   string
		status int
		call   func(ctx context.Context, c *ghost.Client) error
		// wantForeign is what the foreign host receives: "" when nothing.
		wantForeign string
		wantErr     bool
	}{
		{"302 GET to another host loses the credentials", http.StatusFound, getAccount, "GET auth= key= referer=", false},
		{"307 GET to another host loses the credentials", http.StatusTemporaryRedirect, getCart, "GET auth= key= referer=", false},
		{"307 POST to another host is refused", http.StatusTemporaryRedirect, createSmallCart, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var foreignSaw []string
			foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				foreignSaw = append(foreignSaw, fmt.Sprintf("%s auth=%s key=%s referer=%s", r.Method,
					r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.Header.Get("Referer")))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"doc":{"id":"1"},"success":true,"data":{"id":"cart_1"}}`)
			}))
			defer foreign.Close()
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, foreign.URL+r.URL.Path+"?q=1", tt.status)
			}))
			defer api.Close()
			copyHeaders := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
				for k, vs := range via[0].Header {
					req.Header[k] = vs
				}
				return nil
			}}
			var limited int
			c, err := ghost.NewClient(ghost.WithBaseURL(api.URL), ghost.WithHTTPClient(copyHeaders),
				ghost.WithCredentials(ghost.Credentials{PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey}),
				ghost.WithLimiter(ghost.LimiterFunc(func(context.Context, ghost.LimitKey) error { limited++; return nil })))
			require.NoError(t, err)
			err = tt.call(t.Context(), c)
			if tt.wantErr {
				require.Error(t, err)
				assert.Empty(t, foreignSaw)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{tt.wantForeign}, foreignSaw)
			assert.Equal(t, 2, limited, "the limiter still sees every hop")
		})
	}
}

func TestWithHTTPClientKeepsBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"doc":{"id":"`+strings.Repeat("x", 4096)+`"}}`)
	}))
	defer srv.Close()
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithKeys(testPublic, testSecret),
		ghost.WithHTTPClient(&http.Client{}), ghost.WithMaxResponseBytes(1024))
	require.NoError(t, err)
	_, err = c.Accounts.Get(t.Context(), "1")
	assert.ErrorIs(t, err, ghost.ErrResponseTooLarge)
}

func TestLimiterKeys(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	l := ghost.LimiterFunc(func(ctx context.Context, k ghost.LimitKey) error {
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, k.String())
		return nil
	})
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileAll), ghosttest.WithClientOptions(ghost.WithLimiter(l)))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := srv.Client.Carts.List(t.Context(), nil)
	require.NoError(t, err)
	_, err = srv.Client.Accounts.Get(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, []string{"checkout@" + host, "ghost@" + host}, keys)

	// An error from the limiter fails the call before anything is sent.
	stop := errors.New("budget exhausted")
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithKeys(ghosttest.DefaultPublicKey, ghosttest.DefaultSecretKey),
		ghost.WithLimiter(ghost.LimiterFunc(func(context.Context, ghost.LimitKey) error { return stop })))
	require.NoError(t, err)
	before := len(srv.Requests())
	_, err = c.Accounts.Get(t.Context(), "1")
	assert.ErrorIs(t, err, stop)
	assert.Len(t, srv.Requests(), before)
}

func TestHookOptionsRefuseNil(t *testing.T) {
	for name, o := range map[string]ghost.Option{
		"WithCallHook":            ghost.WithCallHook(nil),
		"WithTransportMiddleware": ghost.WithTransportMiddleware(nil),
		"WithLimiter":             ghost.WithLimiter(nil),
	} {
		_, err := ghost.NewClient(o)
		assert.Error(t, err, name)
	}
	_, err := ghost.NewRateLimiter(0, 1)
	assert.Error(t, err)
	_, err = ghost.NewRateLimiter(1, 0)
	assert.Error(t, err)
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&ghost.Error{StatusCode: 429, Code: "RATE_LIMITED"}, "429"},
		{fmt.Errorf("wrapped: %w", &ghost.Error{StatusCode: 404}), "404"},
		{&ghost.Error{Code: ghost.CodeInvalidParams}, "invalid_params"},
		{&ghost.Error{StatusCode: 200, Code: ghost.CodeBadResponse}, "bad_response"},
		{fmt.Errorf("ghost: GET /x: %w", context.Canceled), "canceled"},
		{fmt.Errorf("ghost: GET /x: %w", context.DeadlineExceeded), "timeout"},
		{errors.New("connection reset by peer"), "transport"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ghost.ErrorKind(tt.err), "%v", tt.err)
	}
}

func TestRateLimiterDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := ghost.NewRateLimiter(rate.Every(time.Hour), 1)
		require.NoError(t, err)
		require.NoError(t, l.Wait(t.Context(), ghost.LimitKey{}))
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		err = l.Wait(ctx, ghost.LimitKey{})
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the wait would outlast the deadline")
		assert.Zero(t, time.Since(start), "it says so at once")
		assert.Equal(t, "timeout", ghost.ErrorKind(err))
	})
}

// BenchmarkCallHook measures what observing a call costs, against an
// in-memory transport: nothing without hooks, one operation-name lookup (cached
// per call site) and the hook's own work with them.
func BenchmarkCallHook(b *testing.B) {
	noop := func(ctx context.Context, info ghost.CallInfo) (context.Context, func(ghost.CallResult)) {
		return ctx, func(ghost.CallResult) {}
	}
	for _, bc := range []struct {
		name string
		opts []ghost.Option
	}{
		{"none", nil},
		{"hook", []ghost.Option{ghost.WithCallHook(noop)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{"doc":{"id":"c1"}}`)}}
			c, err := ghost.NewClient(append([]ghost.Option{ghost.WithBaseURL("https://api.ghost.test"),
				ghost.WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					return f.replies[0](r)
				})}), ghost.WithKeys(testPublic, testSecret)}, bc.opts...)...)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Customers.Get(b.Context(), "c1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCallHookNamesExports checks the names of the export calls, streamed
// files included: an iterator's requests are named after the function that
// holds the iterator's body (ExportObjects), whether or not the compiler
// inlined that body into the caller.
func TestCallHookNamesExports(t *testing.T) {
	var log callLog
	srv := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{ExportDuration: 20 * time.Millisecond}),
		ghosttest.WithProfile(ghosttest.ProfileExports), ghosttest.WithClientOptions(ghost.WithCallHook(log.hook)))
	defer srv.Close()
	ctx := t.Context()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := srv.Client.Exports.Create(ctx, "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 2)})
	require.NoError(t, err)
	e, err = srv.Client.Exports.Wait(ctx, "M1", e.ID, ghost.WaitOptions{Interval: 10 * time.Millisecond})
	require.NoError(t, err)
	for _, err := range srv.Client.Exports.Orders(ctx, e) {
		require.NoError(t, err)
	}
	got := map[string]bool{}
	for _, in := range log.infos {
		got[fmt.Sprintf("%s %s %s %s", in.Operation, in.Part, in.Method, in.URLTemplate)] = true
	}
	assert.Equal(t, map[string]bool{
		"exports.POST exports POST ":        true,
		"exports.GET exports GET ":          true,
		"Exports.DownloadFile exports GET ": true,
	}, got)
}

// Komoju and Spark calls are named by their namespace: a Spark call by its
// resource's typed service, whichever typed service or generic accessor
// made it, or as a generic Spark.Resources call.
func TestCallHookNamesKomojuAndSpark(t *testing.T) {
	var log callLog
	srv := ghosttest.NewServer(ghosttest.WithSeed(2), ghosttest.WithClientOptions(ghost.WithCallHook(log.hook)))
	defer srv.Close()
	ctx := t.Context()
	c := srv.Client
	_, err := c.Komoju.Customers.List(ctx, nil)
	require.NoError(t, err)
	_, err = c.Spark.Products.Get(ctx, ghost.IntID(1), nil)
	require.NoError(t, err)
	_, err = c.Spark.Products.ListVariants(ctx, ghost.IntID(1), nil)
	require.NoError(t, err)
	_, err = ghost.SparkResource[map[string]any](c.Spark, "categories").List(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, c.Spark.Products.Delete(ctx, ghost.IntID(2)))
	// Resources without a typed service, and nested lists without a typed
	// method, are the generic operations (the mock does not model them).
	_, err = ghost.SparkResource[map[string]any](c.Spark, "manufacturers").Get(ctx, ghost.IntID(1), nil)
	require.Error(t, err)
	_, err = ghost.SparkListNested[map[string]any](ctx, c.Spark.Products.Resource(), ghost.IntID(1), "pictures", nil)
	require.Error(t, err)
	var got []string
	for _, in := range log.infos {
		got = append(got, in.Operation+" "+string(in.Part)+" "+in.URLTemplate)
	}
	assert.Equal(t, []string{
		"Komoju.Customers.List komoju /komoju/api/v1/customers",
		"Spark.Products.Get spark /spark/api/v1/products/{id}",
		"Spark.Products.ListVariants spark /spark/api/v1/products/{id}/variants",
		"Spark.Categories.List spark /spark/api/v1/categories",
		"Spark.Products.Delete spark /spark/api/v1/products/{id}",
		"Spark.Resources.Get spark /spark/api/v1/{resource}/{id}",
		"Spark.Resources.ListNested spark /spark/api/v1/{resource}/{id}/{nested}",
	}, got)
}

// Calls for tables of cases.
func getAccount(ctx context.Context, c *ghost.Client) error {
	_, err := c.Accounts.Get(ctx, "1")
	return err
}

func getCart(ctx context.Context, c *ghost.Client) error {
	_, err := c.Carts.Get(ctx, "cart_1")
	return err
}

func createSmallCart(ctx context.Context, c *ghost.Client) error {
	_, err := c.Carts.Create(ctx, ghost.CartCreateParams{CustomerEmail: "a@example.com",
		Items: []ghost.CartItem{{Name: "x", Quantity: 1, Price: ghost.MoneyFromCents(100)}}})
	return err
}
