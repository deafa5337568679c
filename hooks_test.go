package ghost_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/ghostanalytics/ghost-go/openapi"
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
		"Exports.Create exports POST /v3/merchants/{merchantID}/exports",
		"Exports.Get exports GET /v3/merchants/{merchantID}/exports/{exportID}",
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

// TestCallHookNamesExports checks the names of the export calls: Wait polls
// with Exports.Get, and every file a stream reads is Exports.DownloadFile,
// whichever iterator reads it.
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
		"Exports.Create exports POST /v3/merchants/{merchantID}/exports":        true,
		"Exports.Get exports GET /v3/merchants/{merchantID}/exports/{exportID}": true,
		"Exports.DownloadFile exports GET ":                                     true,
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

// docOperation is an operation of openapi/ghost.yaml: its method and its
// path under its server's host.
type docOperation struct {
	method, path string
	sdk          string // x-ghost-coverage's SDK method, "" when the SDK has none
}

// contractOperations reads the contract's operations by operationId.
func contractOperations(t *testing.T) map[string]docOperation {
	t.Helper()
	type server struct {
		URL string `json:"url"`
	}
	type op struct {
		OperationID string   `json:"operationId"`
		Servers     []server `json:"servers"`
		Coverage    struct {
			SDK string `json:"sdk"`
		} `json:"x-ghost-coverage"`
	}
	var doc struct {
		Servers []server                   `json:"servers"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openapi.JSON(), &doc))
	out := map[string]docOperation{}
	for path, raw := range doc.Paths {
		var item map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &item))
		var common struct {
			Servers []server `json:"servers"`
		}
		require.NoError(t, json.Unmarshal(raw, &common))
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			if item[m] == nil {
				continue
			}
			var o op
			require.NoError(t, json.Unmarshal(item[m], &o))
			servers := cmpOr(o.Servers, common.Servers, doc.Servers)
			sdk := o.Coverage.SDK
			if sdk == "none" {
				sdk = ""
			}
			out[o.OperationID] = docOperation{method: strings.ToUpper(m), path: serverPath(servers[0].URL) + path, sdk: sdk}
		}
	}
	return out
}

func cmpOr[T any](lists ...[]T) []T {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

// serverPath is the path of a server URL ("https://{store}/api/v1" →
// "/api/v1"); a server that is only a variable ("{origin}") has none.
func serverPath(raw string) string {
	if !strings.Contains(raw, "://") {
		return ""
	}
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(raw))
	if err != nil {
		return ""
	}
	return u.Path
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// TestOperationsAreTheContracts checks the SDK's declared operations
// against openapi/ghost.yaml: each name is an operationId with the same
// method and path (parameter names aside), and every operation of the
// document that names an SDK method is declared. An export file's URL is
// the server's: its path is the document's, not the SDK's to build.
func TestOperationsAreTheContracts(t *testing.T) {
	doc := contractOperations(t)
	ops := ghost.Operations()
	require.NotEmpty(t, ops)
	declared := map[string]bool{}
	for _, op := range ops {
		declared[op.Name] = true
		d, ok := doc[op.Name]
		if !assert.True(t, ok, "%s is not an operationId of openapi/ghost.yaml", op.Name) {
			continue
		}
		assert.Equal(t, d.method, op.Method, op.Name)
		if op.URLTemplate != "" {
			assert.Equal(t, pathParam.ReplaceAllString(d.path, "{}"), pathParam.ReplaceAllString(op.URLTemplate, "{}"), op.Name)
		}
		assert.NotEmpty(t, d.sdk, "%s: the document names no SDK method", op.Name)
	}
	for id, d := range doc {
		if d.sdk != "" {
			assert.True(t, declared[id], "%s (%s) has an SDK method in the document but no declared operation", id, d.sdk)
		}
	}
	assert.True(t, slices.IsSortedFunc(ops, func(a, b ghost.OperationInfo) int { return strings.Compare(a.Name, b.Name) }))
}

// operationCalls runs each declared operation once through its SDK method,
// against the mock (a call the mock refuses or does not model is still a
// call of its operation).
func operationCalls(c *ghost.Client, export *ghost.Export) map[string]func(ctx context.Context) error {
	calls := map[string]func(ctx context.Context) error{
		"Accounts.Get":   func(ctx context.Context) error { _, err := c.Accounts.Get(ctx, "1"); return err },
		"Cards.Get":      func(ctx context.Context) error { _, err := c.Cards.Get(ctx, "cus_1", "card_1"); return err },
		"Cards.Create":   func(ctx context.Context) error { _, err := c.Cards.Create(ctx, "cus_1", testCard); return err },
		"Cards.Delete":   func(ctx context.Context) error { return c.Cards.Delete(ctx, "cus_1", "card_1") },
		"Charges.Create": func(ctx context.Context) error { _, err := c.Charges.Create(ctx, testCharge); return err },
		"Customers.Get":  func(ctx context.Context) error { _, err := c.Customers.Get(ctx, "cus_1"); return err },
		"Customers.Create": func(ctx context.Context) error {
			_, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{})
			return err
		},
		"Customers.Update": func(ctx context.Context) error {
			_, err := c.Customers.Update(ctx, "cus_1", ghost.CustomerUpdateParams{})
			return err
		},
		"Customers.Delete": func(ctx context.Context) error { return c.Customers.Delete(ctx, "cus_1") },
		"Customers.List":   func(ctx context.Context) error { _, err := c.Customers.List(ctx, nil); return err },
		"Events.Create": func(ctx context.Context) error {
			_, err := c.Events.Create(ctx, "1", ghost.EventCreateParams{Name: "e"})
			return err
		},
		"Identities.Get": func(ctx context.Context) error { _, err := c.Identities.Get(ctx, "1"); return err },
		"Identities.Create": func(ctx context.Context) error {
			_, err := c.Identities.Create(ctx, ghost.IdentityCreateParams{Name: "i"})
			return err
		},
		"IdentityTypes.Get": func(ctx context.Context) error { _, err := c.IdentityTypes.Get(ctx, "1"); return err },
		"IdentityTypes.Create": func(ctx context.Context) error {
			_, err := c.IdentityTypes.Create(ctx, ghost.IdentityTypeCreateParams{Name: "t"})
			return err
		},
		"Orders.Get":    func(ctx context.Context) error { _, err := c.Orders.Get(ctx, "1"); return err },
		"Orders.Create": func(ctx context.Context) error { _, err := c.Orders.Create(ctx, testOrder); return err },
		"Orders.Delete": func(ctx context.Context) error { return c.Orders.Delete(ctx, "1") },
		"Orders.List":   func(ctx context.Context) error { _, err := c.Orders.List(ctx, nil); return err },

		"Komoju.Customers.Get": func(ctx context.Context) error { _, err := c.Komoju.Customers.Get(ctx, "k1"); return err },
		"Komoju.Customers.Create": func(ctx context.Context) error {
			_, err := c.Komoju.Customers.Create(ctx, ghost.KomojuCustomerCreateParams{PaymentDetails: ghost.KomojuPaymentToken("tok_1")})
			return err
		},
		"Komoju.Customers.Update": func(ctx context.Context) error {
			_, err := c.Komoju.Customers.Update(ctx, "k1", ghost.KomojuCustomerUpdateParams{})
			return err
		},
		"Komoju.Customers.Delete": func(ctx context.Context) error { _, err := c.Komoju.Customers.Delete(ctx, "k1"); return err },
		"Komoju.Customers.List":   func(ctx context.Context) error { _, err := c.Komoju.Customers.List(ctx, nil); return err },

		"Carts.List":   func(ctx context.Context) error { _, err := c.Carts.List(ctx, nil); return err },
		"Carts.Get":    func(ctx context.Context) error { _, err := c.Carts.Get(ctx, "cart_1"); return err },
		"Carts.Create": func(ctx context.Context) error { return createSmallCart(ctx, c) },
		"Carts.Update": func(ctx context.Context) error {
			_, err := c.Carts.Update(ctx, "cart_1", ghost.CartUpdateParams{CustomerName: ghost.Some("n")})
			return err
		},
		"Carts.Delete":            func(ctx context.Context) error { return c.Carts.Delete(ctx, "cart_1") },
		"Carts.CreatePaymentLink": func(ctx context.Context) error { _, err := c.Carts.CreatePaymentLink(ctx, "cart_1"); return err },
		"Analytics.Get":           func(ctx context.Context) error { _, err := c.Analytics.Get(ctx, ghost.AnalyticsParams{}); return err },

		"Exports.Create": func(ctx context.Context) error {
			_, err := c.Exports.Create(ctx, "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: export.StartTime, End: export.EndTime})
			return err
		},
		"Exports.Get": func(ctx context.Context) error { _, err := c.Exports.Get(ctx, "M1", export.ID); return err },
		"Exports.DownloadFile": func(ctx context.Context) error {
			for _, err := range c.Exports.Orders(ctx, export) {
				return err
			}
			return nil
		},
	}
	sparkCalls(calls, "Spark.Products", c.Spark.Products.Resource())
	sparkCalls(calls, "Spark.Variants", c.Spark.Variants.Resource())
	sparkCalls(calls, "Spark.Categories", c.Spark.Categories.Resource())
	sparkCalls(calls, "Spark.Customers", c.Spark.Customers.Resource())
	sparkCalls(calls, "Spark.Orders", c.Spark.Orders.Resource())
	sparkCalls(calls, "Spark.Resources", ghost.SparkResource[map[string]any](c.Spark, "manufacturers"))
	nested := map[string]func(ctx context.Context) error{
		"Spark.Products.ListVariants":   func(ctx context.Context) error { _, err := c.Spark.Products.ListVariants(ctx, one, nil); return err },
		"Spark.Products.ListCategories": func(ctx context.Context) error { _, err := c.Spark.Products.ListCategories(ctx, one, nil); return err },
		"Spark.Customers.ListAddresses": func(ctx context.Context) error { _, err := c.Spark.Customers.ListAddresses(ctx, one, nil); return err },
		"Spark.Orders.ListItems":        func(ctx context.Context) error { _, err := c.Spark.Orders.ListItems(ctx, one, nil); return err },
		"Spark.Resources.ListNested": func(ctx context.Context) error {
			_, err := ghost.SparkListNested[map[string]any](ctx, c.Spark.Products.Resource(), one, "pictures", nil)
			return err
		},
	}
	for name, call := range nested {
		calls[name] = call
	}
	return calls
}

var (
	one        = ghost.IntID(1)
	testCard   = ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "02", ExpYear: "2030"}
	testCharge = ghost.ChargeCreateParams{Amount: 100, CardID: "card_1", CustomerID: "cus_1"}
	testOrder  = ghost.OrderCreateParams{Amount: 100, OrderItems: []ghost.OrderItem{{Amount: 100, Type: ghost.OrderItemTypeItem}}}
)

// sparkCalls adds the calls of a Spark resource's generic methods, named
// prefix.Method.
func sparkCalls[T any](calls map[string]func(ctx context.Context) error, prefix string, r *ghost.SparkResourceService[T]) {
	body := map[string]any{"id": 1}
	add := map[string]func(ctx context.Context) error{
		"List":       func(ctx context.Context) error { _, err := r.List(ctx, nil); return err },
		"Get":        func(ctx context.Context) error { _, err := r.Get(ctx, one, nil); return err },
		"Filled":     func(ctx context.Context) error { _, err := r.Filled(ctx, one, nil); return err },
		"SelectMany": func(ctx context.Context) error { _, err := r.SelectMany(ctx, []ghost.ID{one}, nil); return err },
		"Upsert":     func(ctx context.Context) error { _, _, err := r.Upsert(ctx, body); return err },
		"Update":     func(ctx context.Context) error { _, err := r.Update(ctx, one, body); return err },
		"Delete":     func(ctx context.Context) error { return r.Delete(ctx, one) },
	}
	for method, call := range add {
		calls[prefix+"."+method] = call
	}
}

// TestEveryOperationReportsItself runs every declared operation through its
// SDK method with a call hook, and checks that the call reports the
// operation it declares (name, part, method, URL template under the
// endpoint's base path) and nothing else: one call, one operation; an
// *Error it returns names the operation too.
func TestEveryOperationReportsItself(t *testing.T) {
	var mu sync.Mutex
	var seen []ghost.CallInfo
	hook := func(ctx context.Context, info ghost.CallInfo) (context.Context, func(ghost.CallResult)) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, info)
		return ctx, nil
	}
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileAll), ghosttest.WithSeed(1),
		ghosttest.WithConfig(ghosttest.Config{ExportDuration: time.Millisecond}), ghosttest.WithClientOptions(ghost.WithCallHook(hook)))
	defer srv.Close()
	ctx := t.Context()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	export, err := srv.Client.Exports.Create(ctx, "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(time.Hour)})
	require.NoError(t, err)
	export, err = srv.Client.Exports.Wait(ctx, "M1", export.ID, ghost.WaitOptions{Interval: time.Millisecond})
	require.NoError(t, err)

	calls := operationCalls(srv.Client, export)
	byName := map[string]ghost.OperationInfo{}
	for _, op := range ghost.Operations() {
		byName[op.Name] = op
		assert.Contains(t, calls, op.Name, "no call runs declared operation %s", op.Name)
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			// The mock may refuse the call: the call is what is checked, and
			// an error it returns names the operation too.
			if err := call(ctx); err != nil {
				var ge *ghost.Error
				if errors.As(err, &ge) {
					assert.Equal(t, name, ge.Operation, "%v", err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, seen, 1, "one call, one operation")
			op, ok := byName[name]
			require.True(t, ok, "%s is not declared", name)
			info := seen[0]
			assert.Equal(t, name, info.Operation)
			assert.Equal(t, op.Part, info.Part)
			assert.Equal(t, op.Method, info.Method)
			if op.URLTemplate == "" {
				assert.Empty(t, info.URLTemplate)
			} else {
				assert.True(t, strings.HasSuffix(info.URLTemplate, op.URLTemplate), fmt.Sprintf("%s under the endpoint's base path", op.URLTemplate))
			}
		})
	}
}
