package ghost

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ghostanalytics/ghost-go/internal/wire"
)

// This file holds what one call is made of: the operation it runs, declared
// once next to the SDK method that runs it, the options a caller gives it,
// the metadata it returns, and the state it carries while it runs. The
// executor (executor.go) runs it in three steps: build, send, decode.

// operation is one endpoint of the API as the SDK calls it. Every method
// declares the operations it runs in its own file, once, as a package
// variable (or, for a Spark resource, when the resource is built): hooks,
// spans, metrics, logs and errors all read the call's name from there.
type operation struct {
	// name is what a user writes after "client.": "Customers.Get",
	// "Komoju.Customers.List", "Spark.Products.Upsert". It is the
	// operationId of the operation in openapi/ghost.yaml.
	name   string
	part   Part
	method string
	// template is the path under the part's base URL, each parameter in
	// braces: "/api/v1/customers/{customerID}/cards". Empty for an
	// operation on a URL the server supplies (an export file).
	template string
	format   string   // template with each parameter as %s, for wire.Path
	params   []string // the template's parameters, in order
	list     bool     // answers a page of a list, in its part's list envelope
	listKey  string   // the key of the items, in a list envelope that names it
	auth     authScheme
	stream   bool // the caller reads a 2xx body itself (export files)
	err      error
}

// declared holds the operations declared as package variables, for
// Operations.
var declared []*operation

// declare declares an operation of part: its name as users write it, its
// HTTP method and its path template.
func declare(part Part, name, method, template string) *operation {
	op := newOperation(part, name, method, template)
	declared = append(declared, op)
	return op
}

// newOperation builds an operation without listing it (a Spark resource's,
// named when the resource is built). A parameter's name is what an error
// names when its value cannot be used.
func newOperation(part Part, name, method, template string) *operation {
	op := &operation{name: name, part: part, method: method, template: template}
	var f strings.Builder
	rest := template
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			f.WriteString(rest)
			break
		}
		f.WriteString(rest[:i])
		f.WriteString("%s")
		op.params = append(op.params, rest[i+1:j])
		rest = rest[j+1:]
	}
	op.format = f.String()
	return op
}

// listing marks op as answering a page of a list, whose items its part's
// list envelope holds under key (Spark's "products", Checkout's "carts");
// key is "" when the envelope does not name it.
func (op *operation) listing(key string) *operation {
	op.list, op.listKey = true, key
	return op
}

// path fills op's template with ids, each escaped as exactly one segment.
// An empty id, "." or ".." is refused with an invalid_params *Error naming
// the parameter.
func (op *operation) path(ids []ID) (string, error) {
	if op.err != nil {
		return "", op.err
	}
	if len(ids) != len(op.params) {
		return "", invalidParams("", "%s takes %d path parameters, got %d", op.name, len(op.params), len(ids))
	}
	var vals [2]string
	args := vals[:0]
	for i, id := range ids {
		if id == "" {
			return "", invalidParams(op.params[i], "%s is required", op.params[i])
		}
		args = append(args, string(id))
	}
	p, err := wire.Path(op.format, args...)
	if err != nil {
		var pe *wire.PathParamError
		if errors.As(err, &pe) {
			name := op.params[pe.Index]
			return "", invalidParams(name, "%s %q cannot be used in a path", name, pe.Value)
		}
		return "", invalidParams("", "%v", err)
	}
	return p, nil
}

// OperationInfo describes one operation the SDK declares: one HTTP endpoint
// of one part of the API, as an SDK method calls it.
type OperationInfo struct {
	// Name is the operation as users write it after "client.":
	// "Customers.Get", "Komoju.Customers.List", "Spark.Products.Upsert",
	// "Exports.DownloadFile". CallInfo.Operation carries it, and it is the
	// operation's operationId in the API's OpenAPI document.
	Name   string
	Part   Part
	Method string
	// URLTemplate is the path under the part's base URL with each
	// parameter in braces: "/api/v1/customers/{customerID}/cards". It is
	// empty for an operation on a URL the server supplies (an export
	// file).
	URLTemplate string
}

// Operations returns every operation the SDK's methods run, sorted by name:
// one per HTTP endpoint they call. The operations of a Spark resource
// reached with SparkResource, other than the typed services' resources, are
// named when it is built ("Spark.Manufacturers.List") and are not listed.
func Operations() []OperationInfo {
	out := make([]OperationInfo, 0, len(declared))
	for _, op := range declared {
		out = append(out, OperationInfo{Name: op.name, Part: op.part, Method: op.method, URLTemplate: op.template})
	}
	slices.SortFunc(out, func(a, b OperationInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// request is what a method asks of the executor: the operation, the values
// of its path parameters, its query and its body.
type request struct {
	op    *operation
	ids   []ID     // the values of op's path parameters, in order
	url   *url.URL // a URL the server supplied (next_page, an export file), instead of op's path
	query any      // a go-querystring struct, url.Values, or nil
	body  any      // encoded as JSON; url.Values as a form

	// fast, when set, decodes a 2xx body of the part's envelope in one
	// pass and reports whether it could; otherwise the envelope is decoded
	// as the part declares it.
	fast func(data []byte) bool

	// Filled by the executor.
	env        wire.Envelope
	streamBody io.ReadCloser // a 2xx body left open for the caller (op.stream)
	// maybeSent: an attempt failed after it may have reached the server
	// (written, no complete answer), so what it did is unknown.
	maybeSent bool
	// noBody: a DELETE or PUT succeeded without a body (emptyOK), so
	// there is no object to return.
	noBody bool

	// listKey, when set, is the key of a list's items where it depends on
	// the call rather than the operation: a generic Spark resource's name,
	// or a nested list's.
	listKey string
}

// at is the request for the page of r's list at u, a URL the server
// supplied (Spark's next_page).
func (r *request) at(u *url.URL) *request {
	return &request{op: r.op, listKey: r.listKey, url: u}
}

// RequestOption configures one call.
type RequestOption func(*callConfig)

type callConfig struct {
	prefetch       bool
	idempotencyKey string
	noIdemKey      bool
	rawBody        bool
	maxRetries     *int // nil: the client's RetryPolicy.MaxRetries
	header         http.Header
	timeout        time.Duration
	response       *Response
}

func (cc *callConfig) apply(opts []RequestOption) {
	for _, o := range opts {
		if o != nil {
			o(cc)
		}
	}
}

// WithIdempotencyKey sends key as the call's idempotency key, in the header
// the part documents (Idempotency-Key for Ghost, X-KOMOJU-IDEMPOTENCY for
// Komoju; Idempotency-Key on parts that document none). A POST to Ghost or
// Komoju is retried only when it carries a key, with the same key on every
// attempt. Checkout, Spark and Exports document no idempotency key, so a
// server of theirs may ignore it: their POSTs are never retried, key or not
// (a retried create could make a second cart, product or export).
//
// Without this option, a POST to a part that documents an idempotency
// header carries a key the SDK generates (random, the same on every attempt
// of the call; Response.IdempotencyKey shows it), so it is retried safely.
func WithIdempotencyKey(key string) RequestOption {
	return func(c *callConfig) { c.idempotencyKey = key }
}

// WithoutIdempotencyKey turns off the key the SDK generates for a POST: the
// request carries no idempotency header (unless WithIdempotencyKey gives
// one) and, like any POST without a key, is sent once and never retried.
func WithoutIdempotencyKey() RequestOption {
	return func(c *callConfig) { c.noIdemKey = true }
}

// WithMaxRetries overrides the client's RetryPolicy.MaxRetries for one call:
// at most n retries after the first attempt (0: sent once). Only calls that
// are safe to repeat are retried at all. A negative n refuses the call with
// an invalid_params error.
func WithMaxRetries(n int) RequestOption {
	return func(c *callConfig) { c.maxRetries = &n }
}

// WithRawBody makes the Response given with WithResponse carry the raw body
// of a successful call in Response.RawBody (bounded like every body by
// WithMaxResponseBytes), for fields the SDK does not model yet. Without it
// RawBody stays nil. Streamed export files are never kept.
func WithRawBody() RequestOption {
	return func(c *callConfig) { c.rawBody = true }
}

// WithHeader adds a header to the call. Credential headers set here are
// replaced by the client's own.
func WithHeader(key, value string) RequestOption {
	return func(c *callConfig) {
		if c.header == nil {
			c.header = make(http.Header)
		}
		c.header.Add(key, value)
	}
}

// WithRequestTimeout bounds the whole call, retries included.
func WithRequestTimeout(d time.Duration) RequestOption {
	return func(c *callConfig) { c.timeout = d }
}

// WithResponse stores the response's metadata (status, headers, request id,
// attempts, Spark call limit) in r when the call returns, error or not.
func WithResponse(r *Response) RequestOption {
	return func(c *callConfig) { c.response = r }
}

// WithPrefetch makes an iterator (All) fetch the next page while the caller
// works through the current one. It speeds up walks where the caller does
// work per item, at the cost of one page fetched in vain when the caller
// stops early. Other calls ignore it.
func WithPrefetch() RequestOption {
	return func(c *callConfig) { c.prefetch = true }
}

// Response is the metadata of a response.
type Response struct {
	StatusCode int
	Header     http.Header
	RequestID  string
	Attempts   int       // attempts made, retries included
	CallLimit  CallLimit // Spark X-AC-Call-Limit, when sent
	// IdempotencyKey is the key the call carried: the caller's
	// (WithIdempotencyKey) or the one the SDK generated for a POST; empty
	// when none was sent.
	IdempotencyKey string
	// RawBody is the body of a successful call, with WithRawBody only.
	RawBody []byte
}

// CallLimit is Spark's X-AC-Call-Limit header, "used/max". Both are 0 when
// the response has no such header; Max is 0 when the server enforces none.
type CallLimit struct {
	Used, Max int
}

func parseCallLimit(v string) CallLimit {
	used, max, ok := strings.Cut(strings.TrimSpace(v), "/")
	if !ok {
		return CallLimit{}
	}
	u, err1 := strconv.Atoi(strings.TrimSpace(used))
	m, err2 := strconv.Atoi(strings.TrimSpace(max))
	if err1 != nil || err2 != nil {
		return CallLimit{}
	}
	return CallLimit{Used: u, Max: m}
}

// call is the state of one call, from its method's request to its result.
// It is its own context value: the attempts run under it, so the retry
// policy and the attempt transport (which see only a context) find it.
type call struct {
	context.Context // the caller's, with any hook's values and the call's timeout
	client          *Client
	ep              *endpoint
	op              *operation
	r               *request
	cfg             callConfig

	// Built.
	logPath   string // the request's escaped path, for errors
	idemKey   string
	retryable bool // the call may be repeated (idempotent, or keyed on a part that documents keys)
	cancel    context.CancelFunc

	// Sent.
	attempts   int // requests sent, retries and redirect hops included
	maxRetries int
	// ambiguous is set when an attempt failed after the request may have
	// reached the server (a transport error other than a failed dial, or a
	// cut body): its effect is unknown.
	ambiguous bool
	// lastErr is the API error of the last attempt that is being retried,
	// returned if the context ends before the next attempt answers.
	lastErr *Error
	// traced is set when the attempts go through net/http's Transport,
	// whose write events tell whether an attempt sent anything: wrote is
	// then set once the last attempt's request headers were written.
	// unsentRetries counts the attempts retried because nothing was written
	// (they never reached the wire, so they do not count against
	// maxRetries).
	traced        bool
	wrote         atomic.Bool
	unsentRetries int
	trace         *httptrace.ClientTrace
	data          []byte // the body, read inside the retry loop
	read          bool
	// lost is what is known of a call whose attempts all failed without a
	// usable answer (WithResponse receives it).
	lost *Response

	// obs records what the call does for the client's hooks, middleware
	// and limiter; nil when it has none (the call is not observed).
	obs *observation
}

type callKey struct{}

// Value makes the call its own context value: one allocation per call
// instead of a state and a context.WithValue.
func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// callOf returns the call a request context belongs to, or nil.
func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// maxUnsentRetries bounds the retries of attempts that wrote nothing (a
// stale keep-alive connection, a failed dial), whatever the method.
const maxUnsentRetries = 3

// notWritten reports whether the last attempt, which failed with err,
// provably sent nothing: its connection could not be made, or net/http
// wrote no request header before failing.
func (c *call) notWritten(err error) bool {
	return unsent(err) || c.traced && !c.wrote.Load()
}

// withWriteTrace returns req with a context that records, in c.wrote, that
// its headers were written.
func (c *call) withWriteTrace(req *http.Request) *http.Request {
	if c.trace == nil {
		c.trace = &httptrace.ClientTrace{WroteHeaders: func() { c.wrote.Store(true) }}
	}
	c.traced = true
	c.wrote.Store(false)
	return req.WithContext(httptrace.WithClientTrace(req.Context(), c.trace))
}
