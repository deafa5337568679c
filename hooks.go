package ghost

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// This file holds the client's instrumentation points: a middleware around
// each attempt's RoundTripper, a hook around each logical call, and the
// context values that tie the two together. Package contrib/otelghost builds
// OpenTelemetry traces and metrics on them.

// CallInfo describes one logical call: one method of the SDK, whatever number
// of attempts, retries and redirects it takes. It holds no id, credential or
// query string, so every field is fit for a low-cardinality metric attribute.
type CallInfo struct {
	// Operation is the operation the call runs, as users write it after
	// "client.": "Customers.Get", "Komoju.Customers.List",
	// "Carts.CreatePaymentLink", "Spark.Products.Get". It is declared once
	// with the method that runs it (Operations lists them all) and is the
	// operation's operationId in the API's OpenAPI document. A Spark call
	// is named by its resource, whether client.Spark.Products or
	// SparkResource made it; a nested list by its parent and the nested
	// resource ("Spark.Products.ListVariants"). A page fetched by an
	// iterator or Page.Next is the list that fetches it ("Customers.List");
	// Exports.Wait polls with "Exports.Get"; an export file download is
	// "Exports.DownloadFile".
	Operation string
	// Part is the part of the API the call goes to, which decides its
	// endpoint and credentials: PartGhost, PartKomoju, PartCheckout,
	// PartSpark or PartExports.
	Part Part
	// Method is the HTTP method.
	Method string
	// Host is the host[:port] of the request's URL.
	Host string
	// URLTemplate is the path of the operation, the endpoint's base path
	// included, with each parameter in braces, as declared:
	// "/api/v1/customers/{customerID}/cards". It never holds caller data,
	// nor a query string. It is empty for a URL the server supplies whose
	// path the API does not fix (an export file).
	URLTemplate string
}

// CallResult is what a logical call did; a CallHook receives it when the call
// returns.
type CallResult struct {
	Attempts   int           // requests sent, retries and redirects included; 0 if none was
	Retries    int           // attempts that repeated an earlier one after a failure
	StatusCode int           // status of the last response; 0 when none arrived
	Err        error         // what the call returned; nil on success
	ErrorKind  string        // ErrorKind(Err): "" on success
	Duration   time.Duration // from the start of the call to its return
	// RetryWait is the time spent waiting between attempts (backoff),
	// RetryAfterWait included.
	RetryWait time.Duration
	// RetryAfterWait is the part of RetryWait the server asked for with
	// Retry-After.
	RetryAfterWait time.Duration
	// LimiterWait is the time spent waiting for the client's Limiter.
	LimiterWait time.Duration
}

// CallHook observes logical calls. The client calls it once per call before
// the first attempt, with the caller's context; the context it returns (ctx
// itself, or one derived from it, e.g. carrying a span) is the one the
// attempts run under, so transport middleware sees what the hook put there.
// The function it returns, when not nil, is called once when the call
// returns. A hook runs on the caller's goroutine and must not block.
//
// A call that streams its body (export files) ends when the response's
// headers arrive, before the body is read. A call refused before the client
// builds its request (a missing id, a bad parameter) is not observed.
type CallHook func(ctx context.Context, info CallInfo) (context.Context, func(CallResult))

// WithCallHook adds a hook that observes every logical call (see CallHook).
// Hooks run in the order given; their end functions in the reverse order.
func WithCallHook(h CallHook) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("ghost: WithCallHook(nil)")
		}
		c.hooks.call = append(c.hooks.call, h)
		return nil
	}
}

// WithTransportMiddleware wraps the http.RoundTripper every attempt goes
// through: mw receives the transport the client would use (its own pooled
// transport, or the Transport of a client given with WithHTTPClient) and
// returns the one to use instead (nil keeps it). It fits
// otelhttp.NewTransport or any other RoundTripper middleware. Several middlewares nest in the order given: the
// first one is the outermost.
//
// The SDK's own rules stay around the middleware, whatever it does: the
// client's Limiter is waited for and the attempt counted before the
// middleware runs, and the attempt is logged after it returns; redirects are followed by the client around it (the
// middleware sees each hop as its own RoundTrip, and a hop to another host
// arrives with the credentials already removed); retries, timeouts and the
// response size limit apply to what it returns. The middleware sees the
// request's credential headers on the configured host: it must not record
// them. AttemptFromContext(req.Context()) tells it which call and attempt a
// request belongs to.
//
// Unlike WithHTTPClient, which replaces the *http.Client (and with it the
// SDK's connection pool), a middleware keeps the SDK's transport and adds to
// it; the two can be combined, the middleware then wrapping the given
// client's Transport.
func WithTransportMiddleware(mw func(http.RoundTripper) http.RoundTripper) Option {
	return func(c *config) error {
		if mw == nil {
			return errors.New("ghost: WithTransportMiddleware(nil)")
		}
		c.hooks.middleware = append(c.hooks.middleware, mw)
		return nil
	}
}

// hookConfig holds the instrumentation options.
type hookConfig struct {
	call       []CallHook
	middleware []func(http.RoundTripper) http.RoundTripper
}

// wrapTransport applies the middlewares to next, the first outermost.
func wrapTransport(cfg *config, next http.RoundTripper) http.RoundTripper {
	mws := cfg.hooks.middleware
	for i := len(mws) - 1; i >= 0; i-- {
		if rt := mws[i](next); rt != nil {
			next = rt
		}
	}
	return next
}

// Attempt is what AttemptFromContext tells a transport middleware about the
// request it is sending.
type Attempt struct {
	CallInfo
	// Number counts the requests of the call, from 1: a retry or a redirect
	// hop gets the next number.
	Number int
}

// AttemptFromContext returns the call a request belongs to and its attempt
// number, given the request's context. It reports false outside an
// attempt of an observed call (the client observes calls when it has a
// CallHook, a transport middleware or a Limiter).
func AttemptFromContext(ctx context.Context) (Attempt, bool) {
	c := callOf(ctx)
	if c == nil || c.obs == nil || c.attempts == 0 {
		return Attempt{}, false
	}
	return Attempt{CallInfo: c.obs.info, Number: c.attempts}, true
}

// observation is what an observed call records for its hooks.
type observation struct {
	info  CallInfo
	ends  []func(CallResult)
	start time.Time

	retries                 int
	lastStatus              int
	limiterWait, retryWait  time.Duration
	retryAfterWait          time.Duration
	pendingSince            time.Time // when a retry was decided, until its attempt starts
	pendingIsRetryAfter     bool
	pendingRetryAfterLength time.Duration
}

// observe starts observing the call when the client has hooks, middleware
// or a limiter, and returns the context the call runs under: ctx, or the
// one the hooks derived from it.
func (c *call) observe(ctx context.Context) context.Context {
	cfg := &c.client.cfg
	hk := &cfg.hooks
	if len(hk.call) == 0 && len(hk.middleware) == 0 && cfg.limiter == nil {
		return ctx
	}
	o := &observation{}
	c.obs = o
	o.start = time.Now()
	o.info = CallInfo{Operation: c.op.name, Part: c.ep.part.part, Method: c.op.method, Host: c.ep.base.Host}
	if c.op.template != "" {
		o.info.URLTemplate = c.ep.base.EscapedPath() + c.op.template
	}
	if c.r.url != nil {
		o.info.Host = c.r.url.Host
	}
	for _, h := range hk.call {
		hctx, end := h(ctx, o.info)
		if hctx != nil {
			ctx = hctx
		}
		if end != nil {
			o.ends = append(o.ends, end)
		}
	}
	return ctx
}

// end reports the call's result to the hooks.
func (c *call) end(resp *Response, err error) {
	o := c.obs
	if o == nil {
		return
	}
	if !o.pendingSince.IsZero() && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The call ended while waiting to retry: that wait counts.
		o.closePending()
	}
	if len(o.ends) == 0 {
		return
	}
	res := CallResult{
		Attempts:       c.attempts,
		Retries:        o.retries,
		Err:            err,
		ErrorKind:      ErrorKind(err),
		Duration:       time.Since(o.start),
		RetryWait:      o.retryWait,
		RetryAfterWait: o.retryAfterWait,
		LimiterWait:    o.limiterWait,
		StatusCode:     o.lastStatus,
	}
	if resp != nil {
		res.StatusCode = resp.StatusCode
	}
	for i := len(o.ends) - 1; i >= 0; i-- {
		o.ends[i](res)
	}
}

// closePending adds the wait between a retry decision and now.
func (o *observation) closePending() {
	d := time.Since(o.pendingSince)
	o.retryWait += d
	if o.pendingIsRetryAfter {
		o.retryAfterWait += min(d, o.pendingRetryAfterLength)
	}
	o.pendingSince = time.Time{}
}

// noteRetry records the outcome of an attempt and the retry policy's
// decision on it: when it retries, the wait until the next attempt counts
// as retry wait (and as Retry-After wait when the server asked for one).
func (c *call) noteRetry(resp *http.Response, retry bool, now func() time.Time) {
	o := c.obs
	if o == nil {
		return
	}
	if resp != nil {
		o.lastStatus = resp.StatusCode
	}
	if !retry {
		return
	}
	o.pendingSince = time.Now()
	o.pendingIsRetryAfter = false
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), now()); ok {
			// Jitter may add to the server's wait; count what it asked for.
			o.pendingIsRetryAfter, o.pendingRetryAfterLength = true, d
		}
	}
}

// beforeAttempt runs before every attempt (every RoundTrip, redirect hops
// included): it closes a pending retry wait and counts the attempt.
func (c *call) beforeAttempt() {
	if o := c.obs; o != nil && !o.pendingSince.IsZero() {
		o.closePending()
		o.retries++
	}
	c.attempts++
}

// ErrorKind classifies an error a call returned in a low-cardinality word,
// for metrics and traces (OpenTelemetry's error.type): "" for nil; the HTTP
// status for an API error ("404", "429"); the SDK's code for an error it
// raised itself (CodeInvalidParams, CodeBadResponse, …); "canceled" and
// "timeout" for a context that ended (also while the call waited to retry
// after an API error) or an attempt that timed out; and
// "transport" for any other failure to get a response.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	isErr := errors.As(err, &e)
	if isErr && e.StatusCode >= 300 && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The context ended while the call waited to retry after this
		// answer: the context ended the call.
		isErr = false
	}
	if isErr {
		if e.StatusCode >= 300 && e.Code != CodeBadResponse && e.Code != CodeResponseTooLarge {
			return strconv.Itoa(e.StatusCode)
		}
		if e.Code != "" {
			return e.Code
		}
		return "api_error"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "transport"
}
