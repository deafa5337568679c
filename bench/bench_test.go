// Package bench compares ghost-go with what a user would write instead:
// hand-written net/http + encoding/json, and github.com/go-resty/resty/v2.
// It is its own module so the comparison's dependencies stay out of the SDK.
//
//	cd bench && go test -run '^$' -bench . -count 10 | tee new.txt && benchstat new.txt
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/go-resty/resty/v2"
)

const (
	publicKey = "pk_bench"
	secretKey = "sk_bench"
)

func customerJSON(i int) string {
	return fmt.Sprintf(`{"id":"cus_%06d","email":"user%d@example.com","description":"customer number %d","metadata":{"plan":"gold","source":"bench"},"createdAt":"2026-11-23T10:00:00Z","updatedAt":"2026-11-23T10:00:00Z"}`, i, i, i)
}

func orderJSON(i int) string {
	return fmt.Sprintf(`{"id":%d,"amount":5000,"customerId":"cus_%06d","cardId":"card_%06d","gatId":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","referrer":"newsletter","status":"pending","orderItems":[{"amount":3000,"type":"item"},{"amount":1000,"type":"item","identityId":1},{"amount":1000,"type":"fee","description":"processing fee"}],"createdAt":"2026-11-23T10:00:00Z","updatedAt":"2026-11-23T10:00:00Z"}`, i, i, i)
}

func docsPage(offset, limit, total int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"docs":[`)
	for i := offset; i < offset+limit && i < total; i++ {
		if i > offset {
			b.WriteByte(',')
		}
		b.WriteString(orderJSON(i + 1))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// cannedServer answers with fixed bytes, as fast as it can.
type cannedServer struct {
	*httptest.Server
	conns   atomic.Int64
	pages   map[int][]byte // offset → page of 100 orders, for walks
	latency time.Duration  // added to every list page
}

func newCannedServer(tb testing.TB, walkTotal int) *cannedServer {
	customer := []byte(`{"doc":` + customerJSON(1) + `}`)
	order := []byte(`{"doc":` + orderJSON(1) + `}`)
	page := docsPage(0, 100, 100)
	cs := &cannedServer{pages: make(map[int][]byte)}
	for off := 0; off <= walkTotal; off += 100 {
		cs.pages[off] = docsPage(off, 100, walkTotal)
	}
	cs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != publicKey || p != secretKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/customers/cus_000001":
			w.Write(customer)
		case r.Method == "POST" && r.URL.Path == "/api/v1/orders":
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusCreated)
			w.Write(order)
		case r.Method == "GET" && r.URL.Path == "/api/v1/orders":
			if cs.latency > 0 {
				// A network round trip: time the client waits without working.
				time.Sleep(cs.latency)
			}
			if walkTotal > 0 {
				off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
				w.Write(cs.pages[off])
				return
			}
			w.Write(page)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	cs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			cs.conns.Add(1)
		}
	}
	cs.Start()
	tb.Cleanup(cs.Close)
	return cs
}

// tunedTransport is what a careful user would configure by hand.
func tunedTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	return t
}

func newSDK(tb testing.TB, url string) *ghost.Client {
	c, err := ghost.NewClient(ghost.WithBaseURL(url), ghost.WithKeys(publicKey, secretKey))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// raw is the hand-written client: net/http + encoding/json, no retries.
type raw struct {
	hc   *http.Client
	base string
}

func newRaw(url string) *raw {
	return &raw{hc: &http.Client{Transport: tunedTransport(), Timeout: 30 * time.Second}, base: url}
}

func (r *raw) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return err
	}
	req.SetBasicAuth(publicKey, secretKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	// Drain to EOF so the connection goes back to the pool: a careful
	// hand-written client does this; without it every call opens a new
	// connection (the baseline would be slower than it needs to be).
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func newResty(url string) *resty.Client {
	return resty.New().SetBaseURL(url).SetBasicAuth(publicKey, secretKey).
		SetTransport(tunedTransport()).SetHeader("Accept", "application/json").
		SetDisableWarn(true) // it warns on every request over plain http (loopback here)
}

var orderParams = ghost.OrderCreateParams{Amount: 5000, CustomerID: "cus_000001", CardID: "card_000001",
	GatID: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", OrderItems: []ghost.OrderItem{
		{Amount: 3000, Type: ghost.OrderItemTypeItem}, {Amount: 1000, Type: ghost.OrderItemTypeItem, IdentityID: "1"},
		{Amount: 1000, Type: ghost.OrderItemTypeFee, Description: "processing fee"}}}

// impls is one call written three ways: with the SDK, with hand-written
// net/http + encoding/json, and with resty. Each returns an error when the
// call fails or its result is not the canned one.
type impls struct {
	sdk     func(ctx context.Context, c *ghost.Client) error
	nethttp func(ctx context.Context, r *raw) error
	resty   func(ctx context.Context, rc *resty.Client) error
}

// run benchmarks the three against a canned server, as impl=sdk,
// impl=nethttp and impl=resty.
func (im impls) run(b *testing.B) {
	srv := newCannedServer(b, 0)
	ctx := context.Background()
	b.Run("impl=sdk", func(b *testing.B) {
		c := newSDK(b, srv.URL)
		loop(b, func() error { return im.sdk(ctx, c) })
	})
	b.Run("impl=nethttp", func(b *testing.B) {
		r := newRaw(srv.URL)
		loop(b, func() error { return im.nethttp(ctx, r) })
	})
	b.Run("impl=resty", func(b *testing.B) {
		rc := newResty(srv.URL)
		loop(b, func() error { return im.resty(ctx, rc) })
	})
}

func loop(b *testing.B, call func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
}

// check is err, or an error when the result is not what the server sent.
func check(err error, ok bool) error {
	if err == nil && !ok {
		return errors.New("unexpected result")
	}
	return err
}

// restyCheck is check for a resty response.
func restyCheck(resp *resty.Response, err error, ok bool) error {
	if err == nil && resp.IsError() {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	return check(err, ok)
}

func BenchmarkCustomersGet(b *testing.B) {
	impls{
		sdk: func(ctx context.Context, c *ghost.Client) error {
			cus, err := c.Customers.Get(ctx, "cus_000001")
			return check(err, err == nil && cus.Email != "")
		},
		nethttp: func(ctx context.Context, r *raw) error {
			var env struct{ Doc ghost.Customer }
			err := r.do(ctx, "GET", "/api/v1/customers/cus_000001", nil, &env)
			return check(err, env.Doc.Email != "")
		},
		resty: func(ctx context.Context, rc *resty.Client) error {
			var env struct{ Doc ghost.Customer }
			resp, err := rc.R().SetContext(ctx).SetResult(&env).Get("/api/v1/customers/cus_000001")
			return restyCheck(resp, err, env.Doc.Email != "")
		},
	}.run(b)
}

func BenchmarkOrdersCreate(b *testing.B) {
	impls{
		sdk: func(ctx context.Context, c *ghost.Client) error {
			o, err := c.Orders.Create(ctx, orderParams)
			return check(err, err == nil && o.Amount == 5000)
		},
		nethttp: func(ctx context.Context, r *raw) error {
			var env struct{ Doc ghost.Order }
			err := r.do(ctx, "POST", "/api/v1/orders", orderParams, &env)
			return check(err, env.Doc.Amount == 5000)
		},
		resty: func(ctx context.Context, rc *resty.Client) error {
			var env struct{ Doc ghost.Order }
			resp, err := rc.R().SetContext(ctx).SetBody(orderParams).SetResult(&env).Post("/api/v1/orders")
			return restyCheck(resp, err, env.Doc.Amount == 5000)
		},
	}.run(b)
}

func BenchmarkOrdersList100(b *testing.B) {
	impls{
		sdk: func(ctx context.Context, c *ghost.Client) error {
			p, err := c.Orders.List(ctx, &ghost.OrderListParams{Limit: 100})
			return check(err, err == nil && len(p.Items) == 100)
		},
		nethttp: func(ctx context.Context, r *raw) error {
			var env struct{ Docs []ghost.Order }
			err := r.do(ctx, "GET", "/api/v1/orders?limit=100", nil, &env)
			return check(err, len(env.Docs) == 100)
		},
		resty: func(ctx context.Context, rc *resty.Client) error {
			var env struct{ Docs []ghost.Order }
			resp, err := rc.R().SetContext(ctx).SetQueryParam("limit", "100").SetResult(&env).Get("/api/v1/orders")
			return restyCheck(resp, err, len(env.Docs) == 100)
		},
	}.run(b)
}

// work spins n steps over the item's values (read once, so every caller
// does exactly the same work).
func work(o *ghost.Order, n int) int {
	return spin(o.Amount, len(o.CustomerID), n)
}

//go:noinline
func spin(amount int64, idLen, n int) int {
	h := 0
	for range n {
		h = h*31 + int(amount) + idLen
	}
	return h
}

// sdkWalk walks total orders with the SDK's iterator, doing workN steps per
// item, and reports items/s.
func sdkWalk(b *testing.B, url string, total, workN int, opts ...ghost.RequestOption) {
	c := newSDK(b, url)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for o, err := range c.Orders.All(ctx, &ghost.OrderListParams{Limit: 100}, opts...) {
			if err != nil {
				b.Fatal(err)
			}
			work(&o, workN)
			n++
		}
		if n != total {
			b.Fatalf("walked %d", n)
		}
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "items/s")
}

// handWalk is the same walk written by hand: limit/offset until a short page.
func handWalk(b *testing.B, url string, total, workN int) {
	r := newRaw(url)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for off := 0; ; off += 100 {
			var env struct{ Docs []ghost.Order }
			if err := r.do(ctx, "GET", "/api/v1/orders?limit=100&offset="+strconv.Itoa(off), nil, &env); err != nil {
				b.Fatal(err)
			}
			for i := range env.Docs {
				work(&env.Docs[i], workN)
				n++
			}
			if len(env.Docs) < 100 {
				break
			}
		}
		if n != total {
			b.Fatalf("walked %d", n)
		}
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkWalk walks 100,000 orders, with no work per item and with about
// 2 µs of it.
func BenchmarkWalk(b *testing.B) {
	const total = 100_000
	srv := newCannedServer(b, total)
	for _, w := range []struct {
		name  string
		steps int
	}{{"none", 0}, {"2000ops", 2000}} {
		b.Run("impl=sdk/work="+w.name, func(b *testing.B) { sdkWalk(b, srv.URL, total, w.steps) })
		b.Run("impl=sdk-prefetch/work="+w.name, func(b *testing.B) { sdkWalk(b, srv.URL, total, w.steps, ghost.WithPrefetch()) })
		b.Run("impl=handloop/work="+w.name, func(b *testing.B) { handWalk(b, srv.URL, total, w.steps) })
	}
}

// BenchmarkConcurrent64 runs 20,000 calls from 64 goroutines sharing one
// client per iteration, and reports the TCP connections the server saw.
func BenchmarkConcurrent64(b *testing.B) {
	const goroutines, calls = 64, 20_000
	ctx := context.Background()
	run := func(b *testing.B, call func() error) {
		b.Helper()
		for b.Loop() {
			var next atomic.Int64
			errs := make(chan error, goroutines)
			for range goroutines {
				go func() {
					for next.Add(1) <= calls {
						if err := call(); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for range goroutines {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(calls*b.N)/b.Elapsed().Seconds(), "calls/s")
	}
	b.Run("impl=sdk", func(b *testing.B) {
		srv := newCannedServer(b, 0)
		c := newSDK(b, srv.URL)
		run(b, func() error { _, err := c.Customers.Get(ctx, "cus_000001"); return err })
		b.ReportMetric(float64(srv.conns.Load()), "conns")
	})
	b.Run("impl=nethttp", func(b *testing.B) {
		srv := newCannedServer(b, 0)
		r := newRaw(srv.URL)
		run(b, func() error {
			var env struct{ Doc ghost.Customer }
			return r.do(ctx, "GET", "/api/v1/customers/cus_000001", nil, &env)
		})
		b.ReportMetric(float64(srv.conns.Load()), "conns")
	})
}

// BenchmarkWalkWithLatency walks 20,000 orders from a server 2 ms away (a
// round trip per page, as over a network), with about 20 µs of work per item
// (2 ms a page, as long as a fetch): the case prefetching is for.
func BenchmarkWalkWithLatency(b *testing.B) {
	const total = 20_000
	srv := newCannedServer(b, total)
	srv.latency = 2 * time.Millisecond
	b.Run("impl=sdk", func(b *testing.B) { sdkWalk(b, srv.URL, total, 20_000) })
	b.Run("impl=sdk-prefetch", func(b *testing.B) { sdkWalk(b, srv.URL, total, 20_000, ghost.WithPrefetch()) })
	b.Run("impl=handloop", func(b *testing.B) { handWalk(b, srv.URL, total, 20_000) })
}
