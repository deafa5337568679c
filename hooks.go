package ghost

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
	// Operation is the service and method the caller called, as
	// "Customers.Get", "KomojuCustomers.List" or "Carts.CreatePaymentLink".
	// A Spark call is named by its resource, "Spark.products.Get", whether
	// client.Spark.Products or SparkResource made it (a nested list:
	// "Spark.products.ListVariants"); an export file download is
	// "Exports.DownloadFile". A page fetched by an iterator is the method
	// that fetches it ("Customers.List"). The name is read from the call
	// stack, once per call site, only when a hook or middleware is set.
	Operation string
	// Part is the part of the API the call goes to, which decides its
	// endpoint and credentials: PartGhost, PartKomoju, PartCheckout,
	// PartSpark or PartExports.
	Part Part
	// Method is the HTTP method.
	Method string
	// Host is the host[:port] of the request's URL.
	Host string
	// URLTemplate is the request's path with every id replaced by "{id}":
	// "/api/v1/customers/{id}/cards". Any path segment that is not a word of
	// the API's documented paths counts as an id, so the template never holds
	// caller data. It has no query string.
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
	o, ok := ctx.Value(obsKey{}).(*callObs)
	if !ok || o.attempts == 0 {
		return Attempt{}, false
	}
	return Attempt{CallInfo: o.info, Number: o.attempts}, true
}

// callObs is the state of one observed call. It is its own context value,
// like callState.
type callObs struct {
	context.Context
	info  CallInfo
	ends  []func(CallResult)
	start time.Time

	attempts, retries       int
	lastStatus              int
	limiterWait, retryWait  time.Duration
	retryAfterWait          time.Duration
	pendingSince            time.Time // when a retry was decided, until its attempt starts
	pendingIsRetryAfter     bool
	pendingRetryAfterLength time.Duration
}

type obsKey struct{}

func (o *callObs) Value(key any) any {
	if key == (obsKey{}) {
		return o
	}
	return o.Context.Value(key)
}

func obsOf(ctx context.Context) *callObs {
	o, _ := ctx.Value(obsKey{}).(*callObs)
	return o
}

func noEnd(*Response, error) {}

// observe starts observing a call when the client has hooks, middleware or
// a limiter: it returns the context the call runs under and the function
// (*service).do calls with its results when it returns.
func (s *service) observe(ctx context.Context, r *request) (context.Context, func(*Response, error)) {
	c := s.client
	hk := &c.cfg.hooks
	if len(hk.call) == 0 && len(hk.middleware) == 0 && c.cfg.limiter == nil {
		return ctx, noEnd
	}
	ep := c.endpoints[s.name]
	o := &callObs{start: time.Now()}
	o.info.Method = r.method
	o.info.Part = ep.part.part
	if r.url != nil {
		o.info.Host = r.url.Host
		o.info.URLTemplate = urlTemplate("", r.url.EscapedPath())
	} else {
		o.info.Host = ep.base.Host
		o.info.URLTemplate = urlTemplate(ep.base.EscapedPath(), r.path)
	}
	if len(hk.call) > 0 || len(hk.middleware) > 0 {
		switch {
		case r.auth == authNone:
			// An export file, whichever iterator or Range fetches it.
			o.info.Operation = "Exports.DownloadFile"
		case ep.part.part == PartSpark:
			path := r.path
			if r.url != nil {
				path = r.url.EscapedPath()
			}
			o.info.Operation = sparkOperation(operationName(), path)
		default:
			o.info.Operation = operationName()
		}
		if o.info.Operation == "" {
			o.info.Operation = string(s.name) + "." + r.method
		}
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
	o.Context = ctx
	return o, o.end
}

// sparkOperation names a Spark call by its resource and method,
// "Spark.products.Get", whether a typed service (client.Spark.Products) or
// the generic accessor (SparkResource) made it: the resource is the first
// segment after /api/v1/ (a resource name, never an id).
func sparkOperation(op, path string) string {
	method := op[strings.LastIndexByte(op, '.')+1:]
	_, rest, ok := strings.Cut(path, "/api/v1/")
	if !ok || method == "" {
		return op
	}
	res, _, _ := strings.Cut(rest, "/")
	return "Spark." + res + "." + method
}

// end reports the call's result to the hooks.
func (o *callObs) end(resp *Response, err error) {
	if !o.pendingSince.IsZero() && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The call ended while waiting to retry: that wait counts.
		o.closePending()
	}
	if len(o.ends) == 0 {
		return
	}
	res := CallResult{
		Attempts:       o.attempts,
		Retries:        o.retries,
		Err:            err,
		ErrorKind:      ErrorKind(err),
		Duration:       time.Since(o.start),
		RetryWait:      o.retryWait,
		RetryAfterWait: o.retryAfterWait,
		LimiterWait:    o.limiterWait,
	}
	if resp != nil {
		res.StatusCode = resp.StatusCode
	} else {
		res.StatusCode = o.lastStatus
	}
	for i := len(o.ends) - 1; i >= 0; i-- {
		o.ends[i](res)
	}
}

// closePending adds the wait between a retry decision and now.
func (o *callObs) closePending() {
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
func noteRetry(ctx context.Context, resp *http.Response, retry bool, now func() time.Time) {
	o := obsOf(ctx)
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
// included): it closes a pending retry wait, counts the attempt and waits
// for the limiter.
func beforeAttempt(ctx context.Context, req *http.Request, l Limiter) error {
	o := obsOf(ctx)
	key := LimitKey{Host: req.URL.Host}
	if o != nil {
		if !o.pendingSince.IsZero() {
			o.closePending()
			o.retries++
		}
		o.attempts++
		key.Part = o.info.Part
	}
	if l == nil {
		return nil
	}
	start := time.Now()
	err := l.Wait(ctx, key)
	if o != nil {
		o.limiterWait += time.Since(start)
	}
	return err
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

// pathWords are the words of the API's documented paths: a path segment
// that is not one of them is an id in a URL template. TestURLTemplateWords
// checks that every word of the SDK's own paths is here.
var pathWords = map[string]bool{
	"api": true, "v1": true, "v3": true,
	// Ghost
	"accounts": true, "cards": true, "charges": true, "customers": true, "events": true,
	"identities": true, "identity-types": true, "orders": true,
	// Checkout
	"carts": true, "payment-link": true, "analytics": true,
	// Spark (documented root and nested resources, and actions)
	"products": true, "product_variants": true, "variants": true, "categories": true, "filled": true, "select_many": true,
	"webhooks": true, "stripe": true,
	// Clover exports
	"merchants": true, "exports": true,
}

// urlTemplate is prefix (the endpoint's base path, kept as configured)
// followed by path with every segment that is not a documented word
// replaced by {id}.
func urlTemplate(prefix, path string) string {
	var b strings.Builder
	b.Grow(len(prefix) + len(path))
	b.WriteString(prefix)
	for seg := range strings.SplitSeq(strings.TrimPrefix(path, "/"), "/") {
		b.WriteByte('/')
		switch {
		case seg == "":
		case pathWords[seg]:
			b.WriteString(seg)
		default:
			b.WriteString("{id}")
		}
	}
	return b.String()
}

// The operation name is the outermost exported SDK method in the caller's
// stack: "(*CustomersService).Get" is Customers.Get. It is computed only
// when a hook or middleware is set, from frames cached per program counter.

var (
	// pkgPrefix is "github.com/ghostanalytics/ghost-go." (the package path as
	// the runtime spells it, plus the dot).
	pkgPrefix = func() string {
		n := runtime.FuncForPC(reflect.ValueOf(pathf).Pointer()).Name()
		return n[:strings.LastIndexByte(n, '.')+1]
	}()
	opFrames sync.Map // program counter → []opFrame
)

// opFrame is one (possibly inlined) frame of a program counter.
type opFrame struct {
	inPkg bool   // the frame's function is in package ghost
	op    string // the operation it names, when it is an exported method of a service
	// closure is set instead of op for a function literal inside such a
	// method (an iterator's body): the method's operation.
	closure bool
	// inlinedOp, on a frame outside the package, is the operation of an SDK
	// function literal inlined into it:
	// "main.run.(*ExportsService).Orders.ExportObjects[...].func5".
	inlinedOp string
}

// operationName is the outermost exported method among the SDK frames at
// the top of the stack, or, when there is none (an iterator the caller
// ranges over), the outermost method whose function literal is running.
func operationName() string {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:]) // skip Callers, operationName, observe
	op, closureOp := "", ""
	for _, pc := range pcs[:n] {
		for _, f := range framesOf(pc) {
			switch {
			case !f.inPkg:
				// An SDK function literal inlined into the caller (an
				// iterator's body) runs under the caller's name.
				return cmp.Or(op, closureOp, f.inlinedOp)
			case f.op != "" && f.closure:
				closureOp = f.op
			case f.op != "":
				op = f.op
			}
		}
	}
	return cmp.Or(op, closureOp)
}

func framesOf(pc uintptr) []opFrame {
	if v, ok := opFrames.Load(pc); ok {
		return v.([]opFrame)
	}
	var out []opFrame
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		fr, more := frames.Next()
		if fr.Function != "" {
			out = append(out, parseFrame(fr.Function))
		}
		if !more {
			break
		}
	}
	opFrames.Store(pc, out)
	return out
}

// parseFrame reads a runtime function name such as
// "github.com/ghostanalytics/ghost-go.(*CustomersService).Get".
func parseFrame(fn string) opFrame {
	rest, ok := strings.CutPrefix(fn, pkgPrefix)
	if !ok {
		return opFrame{inlinedOp: inlinedOp(fn)}
	}
	f := opFrame{inPkg: true}
	rest = stripTypeArgs(rest)
	rest, f.closure = cutClosure(rest)
	if recv, ok := strings.CutPrefix(rest, "(*"); ok {
		typ, method, ok := strings.Cut(recv, ").")
		if ok && strings.HasSuffix(typ, "Service") && exported(typ) && exported(method) && !strings.Contains(method, ".") {
			f.op = strings.TrimSuffix(typ, "Service") + "." + method
		}
		return f
	}
	if exported(rest) && !strings.Contains(rest, ".") {
		f.op = rest
	}
	return f
}

// inlinedOp is the operation of an SDK function literal inlined into a
// caller outside the package, named after the function that holds the
// literal, as when it is not inlined: in
// "main.run.(*ExportsService).Orders.ExportObjects[...].func5" that is
// ExportObjects. Only operationName's last resort uses it, for a frame that
// called into the SDK's unexported code, which only the SDK's own function
// literals do.
func inlinedOp(fn string) string {
	base, closure := cutClosure(stripTypeArgs(fn))
	if !closure {
		return ""
	}
	if i := strings.LastIndex(base, ".(*"); i >= 0 {
		if typ, method, ok := strings.Cut(base[i+3:], ")."); ok && !strings.Contains(method, ".") {
			if strings.HasSuffix(typ, "Service") && exported(typ) && exported(method) {
				return strings.TrimSuffix(typ, "Service") + "." + method
			}
			return ""
		}
	}
	name := base[strings.LastIndexByte(base, '.')+1:]
	if exported(name) {
		return name
	}
	return ""
}

// stripTypeArgs drops type arguments: "(*ResourceService[...]).Get".
func stripTypeArgs(s string) string {
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return s
		}
		s = s[:i] + s[i+j+1:]
	}
}

// cutClosure cuts a function literal's suffix off its enclosing function's
// name: "All.func1", "All-range1", "All.func1.2" are literals of All.
func cutClosure(name string) (string, bool) {
	cut := len(name)
	if i := strings.Index(name, "-range"); i >= 0 {
		cut = i
	}
	for i := 0; i+5 < len(name); i++ {
		if name[i] == '.' && strings.HasPrefix(name[i+1:], "func") && name[i+5] >= '0' && name[i+5] <= '9' {
			cut = min(cut, i)
			break
		}
	}
	return name[:cut], cut < len(name)
}

func exported(name string) bool { return name != "" && name[0] >= 'A' && name[0] <= 'Z' }
