package ghost_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/reliability.md from the fault matrix")

// matrixEnv is one cell's world: a Ghost mock holding five orders, a client
// for it, and a foreign host that must never see credentials.
type matrixEnv struct {
	t       *testing.T
	srv     *ghosttest.Server
	client  *ghost.Client
	foreign *foreignHost
	orders  []ghost.ID
	current faultCase
}

type foreignHost struct {
	*httptest.Server
	mu   sync.Mutex
	hits []http.Header
}

func newForeignHost(t *testing.T) *foreignHost {
	f := &foreignHost{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits = append(f.hits, r.Header.Clone())
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"not here","status":404,"error":"Not Found"}`))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *foreignHost) requests() []http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.hits)
}

// faultCase is a row of the matrix.
type faultCase struct {
	name    string
	doc     string                                  // how the fault is made, for the docs
	options []ghost.Option                          // client options the fault needs
	inject  func(e *matrixEnv, method, path string) // arm the fault just before the call's faulty request
}

func armed(f ghosttest.Fault) func(e *matrixEnv, method, path string) {
	return func(e *matrixEnv, method, path string) {
		g := f // subtests share f and run in parallel
		g.Method, g.PathPrefix = method, path
		e.srv.InjectFault(g)
	}
}

var faultCases = []faultCase{
	{name: "connection refused", doc: "the server stops listening",
		inject: func(e *matrixEnv, _, _ string) { e.srv.Close() }},
	{name: "reset before response", doc: "connection closed before any answer, twice",
		inject: armed(ghosttest.Fault{Drop: true, Times: 2})},
	{name: "reset mid-body", doc: "request served, then the connection is cut halfway through the body, twice",
		inject: armed(ghosttest.Fault{CutBody: true, Times: 2})},
	{name: "slower than timeout", doc: "answers after 1 s, twice; client timeout per attempt 150 ms",
		options: []ghost.Option{ghost.WithTimeout(150 * time.Millisecond)},
		inject:  armed(ghosttest.Fault{Latency: time.Second, Times: 2})},
	{name: "429 Retry-After seconds", doc: "429 with Retry-After: 1, once",
		inject: armed(ghosttest.Fault{Status: 429, RetryAfter: "1"})},
	{name: "429 Retry-After date", doc: "429 with Retry-After as an HTTP-date 1 s ahead, once",
		inject: func(e *matrixEnv, method, path string) {
			armed(ghosttest.Fault{Status: 429, RetryAfter: time.Now().Add(time.Second).UTC().Format(http.TimeFormat)})(e, method, path)
		}},
	{name: "503 burst", doc: "503 twice in a row",
		inject: armed(ghosttest.Fault{Status: 503, Times: 2})},
	{name: "502 HTML", doc: "502 with a proxy's HTML page, once",
		inject: armed(ghosttest.Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
			Header: http.Header{"Content-Type": {"text/html"}}})},
	{name: "malformed JSON", doc: "200 with a body that is not JSON",
		inject: armed(ghosttest.Fault{Status: 200, Body: `{"doc":{"id":1,,}`})},
	{name: "truncated JSON", doc: "200 with complete framing but JSON cut short",
		inject: armed(ghosttest.Fault{Status: 200, Body: `{"doc":{"id":1,"amo`})},
	{name: "empty 200", doc: "200 with no body",
		inject: armed(ghosttest.Fault{Status: 200, EmptyBody: true})},
	{name: "100 MB body", doc: "200 with a 100 MB body; client limit 1 MiB",
		options: []ghost.Option{ghost.WithMaxResponseBytes(1 << 20)},
		inject:  armed(ghosttest.Fault{Status: 200, BodyBytes: 100 << 20})},
	{name: "null envelope", doc: "200 with the part's envelope holding null, once: `{\"doc\":null}` (Ghost), `null` (Exports, whose objects are bare)",
		inject: func(e *matrixEnv, method, path string) {
			body := `{"doc":null}`
			if strings.HasPrefix(path, "/v3/") {
				body = `null`
			}
			armed(ghosttest.Fault{Status: 200, Body: body})(e, method, path)
		}},
	{name: "Retry-After overflow", doc: "503 with Retry-After: 99999999999999999999 (too large for an integer), once",
		inject: armed(ghosttest.Fault{Status: 503, RetryAfter: "99999999999999999999"})},
	{name: "redirect to another host", doc: "307 to another host, once",
		inject: func(e *matrixEnv, method, path string) {
			e.srv.InjectFault(ghosttest.Fault{Method: method, PathPrefix: path, Status: http.StatusTemporaryRedirect,
				Header: http.Header{"Location": {e.foreign.URL + path}}})
		}},
}

// outcome is what a cell expects.
type outcome struct {
	ok       bool   // the call succeeds
	is       error  // else the error matches this (errors.Is), or
	code     string // has this *ghost.Error code, or
	accepted bool   // (with code) Error.Accepted: the server took the write
	// skipAfter skips the call's ledger check: the fault answered in the
	// server's place, so the write the client was told of never happened.
	skipAfter bool
	timeout   bool   // is a timeout, or
	refused   bool   // is a connection error
	attempts  int    // requests the server received for the faulty step (0: don't check)
	doc       string // the cell's text in docs/reliability.md
}

type matrixCall struct {
	name string
	run  func(ctx context.Context, e *matrixEnv) error
	// after checks the server's ledger once the fault is gone.
	after func(e *matrixEnv, o outcome)
}

func createOrder(ctx context.Context, c *ghost.Client, opts ...ghost.RequestOption) (*ghost.Order, error) {
	return c.Orders.Create(ctx, ghost.OrderCreateParams{Amount: 4200, GatID: "matrix",
		OrderItems: []ghost.OrderItem{{Amount: 4200, Type: ghost.OrderItemTypeItem}}}, opts...)
}

// matrixOrders counts the orders the matrix created (gatId "matrix").
func matrixOrders(e *matrixEnv) int {
	p, err := e.srv.Client.Orders.List(context.Background(), &ghost.OrderListParams{GatID: "matrix", Limit: 100})
	require.NoError(e.t, err)
	return len(p.Items)
}

// oneOrder checks a keyed create's ledger: one order when it succeeded
// (why says which key made it one), at most one when it failed.
func oneOrder(why string) func(e *matrixEnv, o outcome) {
	return func(e *matrixEnv, o outcome) {
		if o.ok {
			assert.Equal(e.t, 1, matrixOrders(e), why)
		} else {
			assert.LessOrEqual(e.t, matrixOrders(e), 1, "never a duplicated write")
		}
	}
}

func countRequests(e *matrixEnv, method, path string) int {
	n := 0
	for _, r := range e.srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

var exportWaitCall = matrixCall{name: "export wait", run: func(ctx context.Context, e *matrixEnv) error {
	e.srv.Clock.Freeze()
	start := e.srv.Clock.Now().Add(-48 * time.Hour)
	ex, err := e.srv.Client.Exports.Create(ctx, "m1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(24 * time.Hour)})
	if err != nil {
		return fmt.Errorf("setting up the export: %w", err)
	}
	e.srv.Clock.Advance(time.Hour) // the export is DONE; the fault hits the polls
	e.inject("GET", "/v3/merchants/m1/exports/"+ex.ID.String())
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	done, err := e.client.Exports.Wait(wctx, "m1", ex.ID, ghost.WaitOptions{Interval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond})
	if err == nil && done.Status != ghost.ExportStatusDone {
		return fmt.Errorf("wait returned status %s", done.Status)
	}
	return err
}}

var matrixCalls = []matrixCall{
	{name: "GET", run: func(ctx context.Context, e *matrixEnv) error {
		e.inject("GET", "/api/v1/orders/"+e.orders[0].String())
		o, err := e.client.Orders.Get(ctx, e.orders[0])
		if err == nil && o.ID != e.orders[0] {
			return fmt.Errorf("got order %s", o.ID)
		}
		return err
	}},
	{name: "POST with key", run: func(ctx context.Context, e *matrixEnv) error {
		e.inject("POST", "/api/v1/orders")
		_, err := createOrder(ctx, e.client, ghost.WithIdempotencyKey("matrix-key"))
		return err
	}, after: oneOrder("exactly one order per idempotency key")},
	{name: "POST, generated key", run: func(ctx context.Context, e *matrixEnv) error {
		e.inject("POST", "/api/v1/orders")
		var resp ghost.Response
		_, err := createOrder(ctx, e.client, ghost.WithResponse(&resp))
		for _, r := range e.srv.Requests() {
			if resp.IdempotencyKey != "" && r.Header.Get("Idempotency-Key") != resp.IdempotencyKey {
				return fmt.Errorf("attempt sent key %q, not %q", r.Header.Get("Idempotency-Key"), resp.IdempotencyKey)
			}
		}
		return err
	}, after: oneOrder("exactly one order per generated key")},
	{name: "POST, keys off", run: func(ctx context.Context, e *matrixEnv) error {
		e.inject("POST", "/api/v1/orders")
		_, err := createOrder(ctx, e.client, ghost.WithoutIdempotencyKey())
		return err
	}, after: func(e *matrixEnv, o outcome) {
		assert.Equal(e.t, 1, countRequests(e, "POST", "/api/v1/orders"), "never sent twice")
		assert.LessOrEqual(e.t, matrixOrders(e), 1)
	}},
	{name: "DELETE", run: func(ctx context.Context, e *matrixEnv) error {
		e.inject("DELETE", "/api/v1/orders/"+e.orders[0].String())
		return e.client.Orders.Delete(ctx, e.orders[0])
	}, after: func(e *matrixEnv, o outcome) {
		if o.ok {
			_, err := e.srv.Client.Orders.Get(context.Background(), e.orders[0])
			assert.ErrorIs(e.t, err, ghost.ErrNotFound, "the order is gone")
		}
	}},
	{name: "iterator mid-walk", run: func(ctx context.Context, e *matrixEnv) error {
		var got []ghost.ID
		for o, err := range e.client.Orders.All(ctx, &ghost.OrderListParams{Limit: 2}) {
			if err != nil {
				return err
			}
			got = append(got, o.ID)
			if len(got) == 2 { // the fault hits the second page
				e.inject("GET", "/api/v1/orders")
			}
		}
		if !slices.Equal(got, e.orders) {
			return fmt.Errorf("walked %v, want %v", got, e.orders)
		}
		return nil
	}},
	exportWaitCall,
}

func (e *matrixEnv) inject(method, path string) {
	e.t.Helper()
	e.srv.ResetRequests()
	e.current.inject(e, method, path)
}

// retried is the row of a fault that every call which may be repeated
// retries through: each succeeds after attempts, as did says ("succeeds on
// the 3rd attempt"); the POST without a key is sent once and ends as
// keysOff says; the export wait ends as wait says.
func retried(attempts int, did string, keysOff outcome, wait string) []outcome {
	return []outcome{
		{ok: true, attempts: attempts, doc: did},
		{ok: true, attempts: attempts, doc: did + "; one order"},
		{ok: true, attempts: attempts, doc: did + "; one order"},
		keysOff,
		{ok: true, attempts: attempts, doc: did},
		{ok: true, doc: "walks every item once"},
		{ok: true, doc: wait},
	}
}

// failed is the row of a fault that every call ends with, after one
// attempt and never retried: want (is or code) with the cell texts get
// (the GET), posts (the POSTs with a key), writes (the POST without one and
// the DELETE) and name (what the iterator yields and the wait returns). A
// bad_response to a write is Accepted.
func failed(want outcome, get, posts, writes, name string) []outcome {
	cell := func(doc string, write bool) outcome {
		o := want
		o.attempts, o.doc = 1, doc
		o.accepted = write && want.code == ghost.CodeBadResponse
		return o
	}
	iter, wait := cell("yields "+name+" after the first page", false), cell("returns "+name+" at once", false)
	iter.attempts, wait.attempts = 0, 0
	return []outcome{cell(get, false), cell(posts, true), cell(posts, true), cell(writes, true), cell(writes, true), iter, wait}
}

// badResponse is the row of a 2xx answer that cannot be decoded.
func badResponse(get string) []outcome {
	return failed(outcome{code: ghost.CodeBadResponse}, get, "*Error bad_response, Accepted, not retried (the fault created nothing: look it up)",
		"*Error bad_response, Accepted, not retried", "*Error bad_response")
}

// but is row with cell i replaced by o.
func but(row []outcome, i int, o outcome) []outcome {
	row[i] = o
	return row
}

// expectations: rows are faults, columns are calls, in matrixCalls order.
var expectations = map[string][]outcome{
	"connection refused": {
		{refused: true, doc: "connection error after 4 attempts"},
		{refused: true, doc: "connection error after 4 attempts"},
		{refused: true, doc: "connection error after 4 attempts"},
		{refused: true, doc: "connection error, 1 attempt"},
		{refused: true, doc: "connection error after 4 attempts"},
		{refused: true, doc: "yields the connection error after the first page"},
		{is: context.DeadlineExceeded, doc: "keeps polling through connection errors until its context ends"},
	},
	"reset before response": retried(3, "succeeds on the 3rd attempt",
		outcome{refused: true, attempts: 1, doc: "connection error, 1 attempt, nothing created"}, "succeeds"),
	"reset mid-body": {
		{ok: true, attempts: 3, doc: "succeeds on the 3rd attempt"},
		{ok: true, attempts: 3, doc: "succeeds; the retries replay the first answer: one order"},
		{ok: true, attempts: 3, doc: "succeeds; the retries replay the first answer: one order"},
		{is: errUnexpectedEOF, attempts: 1, doc: "unexpected EOF, 1 attempt (the order may exist: reconcile)"},
		{ok: true, attempts: 3, doc: "succeeds: a retried DELETE that finds the order gone counts as done"},
		{ok: true, doc: "walks every item once"},
		{ok: true, doc: "succeeds"},
	},
	"slower than timeout": retried(3, "succeeds on the 3rd attempt",
		outcome{timeout: true, attempts: 1, doc: "timeout error, 1 attempt"}, "succeeds"),
	"429 Retry-After seconds": retried(2, "succeeds after waiting 1 s",
		outcome{is: ghost.ErrRateLimited, attempts: 1, doc: "ErrRateLimited with RetryAfter = 1 s, 1 attempt"}, "succeeds after waiting 1 s"),
	"429 Retry-After date": retried(2, "succeeds after waiting until the date",
		outcome{is: ghost.ErrRateLimited, attempts: 1, doc: "ErrRateLimited with RetryAfter, 1 attempt"}, "succeeds after waiting until the date"),
	"503 burst": retried(3, "succeeds on the 3rd attempt",
		outcome{is: ghost.ErrUnavailable, attempts: 1, doc: "ErrUnavailable (503), 1 attempt"}, "succeeds"),
	"502 HTML": retried(2, "succeeds on the 2nd attempt",
		outcome{is: ghost.ErrUnavailable, attempts: 1, doc: "ErrUnavailable (502, message \"Bad Gateway\"), 1 attempt"}, "succeeds"),
	"malformed JSON": badResponse("*Error bad_response (status 200), not retried"),
	"truncated JSON": badResponse("*Error bad_response, not retried"),
	"empty 200": but(badResponse("*Error bad_response (\"response has no …\")"),
		4, outcome{ok: true, skipAfter: true, attempts: 1, doc: "succeeds: a DELETE answered 200 without a body took effect"}),
	"100 MB body": failed(outcome{is: ghost.ErrResponseTooLarge}, "ErrResponseTooLarge after reading 1 MiB, not retried",
		"ErrResponseTooLarge, not retried", "ErrResponseTooLarge, not retried", "ErrResponseTooLarge"),
	"null envelope": but(badResponse("*Error bad_response (\"response has no …\"), not a zero-value order"),
		4, outcome{ok: true, skipAfter: true, attempts: 1, doc: "succeeds: a DELETE returns no object"}),
	"Retry-After overflow": but(failed(outcome{is: ghost.ErrUnavailable}, "ErrUnavailable, RetryAfter = MaxRetryAfter (24 h), not slept, 1 attempt",
		"ErrUnavailable, RetryAfter = MaxRetryAfter, 1 attempt; nothing created", "ErrUnavailable, RetryAfter = MaxRetryAfter, 1 attempt", "ErrUnavailable"),
		6, outcome{ok: true, doc: "succeeds: polls again after its own MaxInterval"}),
	"redirect to another host": func() []outcome {
		refused := "redirect refused; nothing sent to the other host"
		row := failed(outcome{refused: true}, "", refused, refused, "")
		row[0] = outcome{is: ghost.ErrNotFound, attempts: 1, doc: "follows without credentials; the other host's 404 is returned"}
		row[5] = outcome{is: ghost.ErrNotFound, doc: "follows without credentials; yields the other host's 404"}
		row[6] = outcome{is: ghost.ErrNotFound, doc: "follows without credentials; returns the other host's 404 at once"}
		return row
	}(),
}

var errUnexpectedEOF = errors.New("unexpected EOF")

func TestFaultMatrix(t *testing.T) {
	for _, fc := range faultCases {
		want, ok := expectations[fc.name]
		require.True(t, ok, fc.name)
		require.Len(t, want, len(matrixCalls), fc.name)
		for i, call := range matrixCalls {
			o := want[i]
			t.Run(fc.name+"/"+call.name, func(t *testing.T) {
				t.Parallel()
				e := newMatrixEnv(t, fc)
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				err := call.run(ctx, e)
				checkOutcome(t, err, o)
				if o.attempts > 0 && fc.name != "connection refused" {
					assert.Equal(t, o.attempts, len(e.srv.Requests()), "requests received for the faulty step")
				}
				for _, h := range e.foreign.requests() {
					for _, k := range []string{"Authorization", "X-Api-Key", "X-Ac-Auth-Token", "Referer"} {
						assert.Empty(t, h.Get(k), "credential %s sent to another host", k)
					}
				}
				if fc.name == "redirect to another host" && slices.Contains([]string{"POST with key", "POST, generated key", "POST, keys off", "DELETE"}, call.name) {
					assert.Empty(t, e.foreign.requests(), "a non-GET must not reach the other host")
				}
				if call.after != nil && fc.name != "connection refused" && !o.skipAfter {
					e.srv.ClearFaults()
					call.after(e, o)
				}
			})
		}
	}
}

func newMatrixEnv(t *testing.T, fc faultCase) *matrixEnv {
	opts := append([]ghost.Option{ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: 5 * time.Millisecond, MaxWait: 3 * time.Second})}, fc.options...)
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileAll), ghosttest.WithClientOptions(opts...))
	t.Cleanup(srv.Close)
	e := &matrixEnv{t: t, srv: srv, client: srv.Client, foreign: newForeignHost(t), current: fc}
	for range 5 {
		o, err := srv.Client.Orders.Create(t.Context(), ghost.OrderCreateParams{Amount: 100,
			OrderItems: []ghost.OrderItem{{Amount: 100, Type: ghost.OrderItemTypeItem}}})
		require.NoError(t, err)
		e.orders = append(e.orders, o.ID)
	}
	return e
}

func checkOutcome(t *testing.T, err error, o outcome) {
	t.Helper()
	switch {
	case o.ok:
		assert.NoError(t, err)
	case o.is == errUnexpectedEOF:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "unexpected EOF")
	case o.is != nil:
		assert.ErrorIs(t, err, o.is)
	case o.code != "":
		var ge *ghost.Error
		if assert.ErrorAs(t, err, &ge) {
			assert.Equal(t, o.code, ge.Code)
			assert.Equal(t, o.accepted, ge.Accepted, "Accepted")
		}
		if o.code == ghost.CodeBadResponse {
			assert.ErrorIs(t, err, ghost.ErrDecode)
		}
	case o.timeout:
		var ne net.Error
		if assert.ErrorAs(t, err, &ne) {
			assert.True(t, ne.Timeout(), "timeout: %v", err)
		}
	case o.refused:
		require.Error(t, err)
		var ge *ghost.Error
		assert.False(t, errors.As(err, &ge), "a transport failure, not an API error: %v", err)
	}
}

// TestReliabilityDoc keeps docs/reliability.md in step with the matrix: every
// cell of its table is the text of a cell tested above.
func TestReliabilityDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("| fault | how it is made |")
	for _, c := range matrixCalls {
		b.WriteString(" " + c.name + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(matrixCalls)) + "\n")
	for _, fc := range faultCases {
		fmt.Fprintf(&b, "| %s | %s |", fc.name, fc.doc)
		for _, o := range expectations[fc.name] {
			b.WriteString(" " + o.doc + " |")
		}
		b.WriteString("\n")
	}
	table := b.String()
	const path = "docs/reliability.md"
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	const begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	require.True(t, i >= 0 && j > i, "markers missing in %s", path)
	got := string(doc[i+len(begin) : j])
	if *updateDocs {
		out := string(doc[:i+len(begin)]) + table + string(doc[j:])
		require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
		return
	}
	assert.Equal(t, table, got, "run go test -run TestReliabilityDoc -update-docs")
}

// TestCallsReturnAtTheDeadline measures how long after its context deadline
// each call returns when the server takes 5 s to answer. A hang would show as
// an overshoot near 5 s; the measured overshoot is logged (see
// docs/reliability.md).
func TestCallsReturnAtTheDeadline(t *testing.T) {
	const deadline = 200 * time.Millisecond
	for _, call := range matrixCalls {
		t.Run(call.name, func(t *testing.T) {
			t.Parallel()
			e := newMatrixEnv(t, faultCase{name: "slow", inject: armed(ghosttest.Fault{Latency: 5 * time.Second, Times: 10})})
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			start := time.Now()
			err := call.run(ctx, e)
			over := time.Since(start) - deadline
			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, over, 4*time.Second, "returned %s after the deadline: a hang", over)
			t.Logf("%s returned %s after its deadline", call.name, over.Round(time.Millisecond))
		})
	}
}
