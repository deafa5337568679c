package ghost

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ghostanalytics/ghost-go/internal/wire"
	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
)

// The executor: every SDK method calls getOne, listPage or (*service).do
// with a request for one declared operation, and the executor runs it in
// three steps:
//
//   - build: the URL from the operation's template (or the URL the server
//     supplied), the body, the headers, the idempotency key and the
//     credentials of the part's scheme, for the configured host only;
//   - send: the attempts, through the client's retrying HTTP client
//     (transport.go): the retry policy (checkRetry), the limiter and the
//     log of each attempt (attemptTransport), each body read inside the
//     retry loop and bounded;
//   - decode: an error status into *Error, whatever documented shape its
//     body has; a success by the envelope its part declares (parts.go).

// getOne runs r and decodes its single object.
func getOne[T any](ctx context.Context, s *service, r *request, opts []RequestOption) (*T, error) {
	v := new(T)
	if s.spec().item == wire.Doc {
		r.fast = func(data []byte) bool {
			if decodeDocFast(data, v) {
				return true
			}
			*v = *new(T) // undo a partial decode before the next try
			var env struct {
				Doc *T `json:"doc"`
			}
			if json.Unmarshal(data, &env) != nil || env.Doc == nil {
				return false
			}
			*v = *env.Doc
			return true
		}
	}
	if _, err := s.do(ctx, r, v, opts); err != nil {
		return nil, err
	}
	if r.noBody {
		// A DELETE or PUT answered without a body (emptyOK): it took
		// effect, and there is no object to return.
		return nil, nil
	}
	return v, nil
}

// listPage runs r and decodes one page of items with its metadata and a
// fingerprint of its payload (for the pager's repeated-page check).
func listPage[T any](ctx context.Context, s *service, r *request, opts []RequestOption) (*Page[T], error) {
	var (
		items []T
		fp    uint64
		fast  bool
	)
	if s.spec().list == wire.Docs {
		r.fast = func(data []byte) bool {
			if d, ok := decodeDocsFast[T](data); ok {
				items, fp, fast = d, wire.Hash(data), true
				return true
			}
			var env struct {
				Docs *[]T `json:"docs"`
			}
			if json.Unmarshal(data, &env) != nil || env.Docs == nil {
				return false
			}
			items, fp, fast = *env.Docs, wire.Hash(data), true
			return true
		}
	}
	if _, err := s.do(ctx, r, &items, opts); err != nil {
		return nil, err
	}
	if !fast {
		fp = r.env.Fingerprint()
	}
	if items == nil {
		items = []T{}
	}
	return &Page[T]{Items: items, Meta: metaOf(r.env.Meta), fingerprint: fp}, nil
}

// spec is the part the service belongs to.
func (s *service) spec() *partSpec { return s.client.endpoints[s.name].part }

// do runs one call of s: r's operation, decoded into out (nil to ignore the
// payload).
func (s *service) do(ctx context.Context, r *request, out any, opts []RequestOption) (*Response, error) {
	c := &call{client: s.client, ep: s.client.endpoints[s.name], r: r, op: r.op}
	c.cfg.apply(opts)
	resp, err := c.run(ctx, out)
	if c.cfg.response != nil {
		switch {
		case resp != nil:
			*c.cfg.response = *resp
		case c.lost != nil:
			*c.cfg.response = *c.lost
		}
	}
	return resp, err
}

// run builds, sends and decodes the call.
func (c *call) run(ctx context.Context, out any) (resp *Response, err error) {
	if ctx == nil {
		return nil, invalidParams("", "nil context")
	}
	var path string
	if c.r.url == nil {
		// A refused path parameter is refused before the call is observed.
		if path, err = c.op.path(c.r.ids); err != nil {
			return nil, c.fail(err)
		}
	}
	ctx = c.observe(ctx)
	defer func() { c.end(resp, err) }()
	c.cancel = func() {}
	if c.cfg.timeout > 0 {
		ctx, c.cancel = context.WithTimeout(ctx, c.cfg.timeout)
	}
	c.Context = ctx
	defer func() {
		if c.r.streamBody != nil && err == nil {
			c.r.streamBody = &cancelOnClose{ReadCloser: c.r.streamBody, cancel: c.cancel}
			return
		}
		c.cancel()
	}()
	hreq, err := c.build(path)
	if err != nil {
		return nil, c.fail(err)
	}
	hresp, err := c.send(hreq)
	if err != nil {
		return nil, err
	}
	return c.decode(hresp, out)
}

// fail stamps an error with the operation it belongs to and, once its URL
// is built, the request.
func (c *call) fail(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	e.Operation = c.op.name
	if c.logPath != "" {
		e.Method, e.Path = c.op.method, c.logPath
	}
	return err
}

// Build.

// build makes the HTTP request: its URL, body, headers, idempotency key and
// credentials.
func (c *call) build(path string) (*retryablehttp.Request, error) {
	ep, op := c.ep, c.op
	if ep.missing != "" {
		return nil, &Error{Code: CodeMissingEndpoint, Message: ep.missing}
	}
	u, err := c.url(path)
	if err != nil {
		return nil, err
	}
	c.logPath = u.EscapedPath()
	body, contentType, err := encodeBody(c.r.body)
	if err != nil {
		return nil, err
	}
	c.retryable = isIdempotent(op.method)
	c.maxRetries = c.client.cfg.retry.MaxRetries
	if n := c.cfg.maxRetries; n != nil {
		if *n < 0 {
			return nil, invalidParams("max_retries", "WithMaxRetries(%d): the number of retries cannot be negative", *n)
		}
		c.maxRetries = *n
	}
	var bodyArg any
	if body != nil {
		bodyArg = body
	}
	hreq, err := retryablehttp.NewRequestWithContext(c, op.method, u.String(), bodyArg)
	if err != nil {
		return nil, invalidParams("", "cannot build request: %v", err)
	}
	h := hreq.Header
	for k, vs := range c.cfg.header {
		h[k] = append([]string(nil), vs...)
	}
	// Shared, never-mutated value slices: no allocation per request.
	h["Accept"] = acceptJSON
	h["User-Agent"] = c.client.userAgentHdr
	switch contentType {
	case "":
	case "application/json":
		h["Content-Type"] = contentJSON
	default:
		h["Content-Type"] = []string{contentType}
	}
	if err := c.idempotency(h); err != nil {
		return nil, err
	}
	scheme := cmp.Or(op.auth, ep.part.auth)
	if err := ep.applyAuth(h, scheme); err != nil {
		return nil, err
	}
	hreq.SetResponseHandler(c.readBody)
	return hreq, nil
}

// url is the request's URL: the configured base URL and the operation's
// path, or a URL the server supplied (checked: http(s), and on the
// configured host unless the operation sends no credentials), with the
// query.
func (c *call) url(path string) (*url.URL, error) {
	var u url.URL
	ep := c.ep
	if c.r.url != nil {
		u = *c.r.url
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, &Error{Code: CodeForeignURL, Message: fmt.Sprintf("server-supplied URL %q is not http(s)", quoteURL(&u))}
		}
		if c.op.auth != authNone && !sameOrigin(&u, ep.base) {
			return nil, &Error{Code: CodeForeignURL, Message: fmt.Sprintf("server-supplied URL on %s, not the configured host %s: not followed", u.Host, ep.base.Host)}
		}
		u.User = nil
	} else {
		u = *ep.base
		raw := ep.base.EscapedPath() + path
		p, err := url.PathUnescape(raw)
		if err != nil {
			return nil, invalidParams("", "bad path %q", path)
		}
		u.Path, u.RawPath = p, raw
	}
	if c.r.query != nil {
		q, err := encodeQuery(c.r.query)
		if err != nil {
			return nil, invalidParams("", "cannot encode query: %v", err)
		}
		if len(q) > 0 {
			merged := u.Query()
			for k, vs := range q {
				merged[k] = vs
			}
			u.RawQuery = merged.Encode()
		}
	}
	return &u, nil
}

func encodeQuery(q any) (url.Values, error) {
	if v, ok := q.(url.Values); ok {
		return v, nil
	}
	return query.Values(q)
}

// encodeBody encodes a request body: JSON, or a form for url.Values.
func encodeBody(b any) (body []byte, contentType string, err error) {
	switch b := b.(type) {
	case nil:
		return nil, "", nil
	case url.Values:
		return []byte(b.Encode()), "application/x-www-form-urlencoded", nil
	}
	if body, err = json.Marshal(b); err != nil {
		return nil, "", invalidParams("", "cannot encode request body: %v", err)
	}
	return body, "application/json", nil
}

// idempotency sets the call's idempotency key: the caller's, or for a POST
// to a part that documents an idempotency header, one generated for this
// call (the same on every attempt, so the POST may be retried). A part that
// documents none may ignore a caller's key: it is sent as Idempotency-Key,
// but does not make the call safe to retry.
func (c *call) idempotency(h http.Header) error {
	part := c.ep.part
	key := c.cfg.idempotencyKey
	if key == "" && c.op.method == http.MethodPost && part.idemHeader != "" && !c.cfg.noIdemKey {
		key = newIdempotencyKey()
	}
	if key == "" {
		return nil
	}
	name := cmp.Or(part.idemHeader, "Idempotency-Key")
	limit := cmp.Or(part.idemMax, 255)
	if len(key) > limit {
		return invalidParams("idempotency_key", "idempotency key is %d characters; %s allows at most %d", len(key), name, limit)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return invalidParams("idempotency_key", "idempotency key must be printable ASCII without spaces")
		}
	}
	h.Set(name, key)
	c.idemKey = key
	c.retryable = c.retryable || part.idemHeader != ""
	return nil
}

// newIdempotencyKey returns a random key for one logical call (26
// characters of base32, 130 bits from crypto/rand).
func newIdempotencyKey() string {
	return rand.Text()
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// mutates reports whether a method changes something on the server.
func mutates(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// applyAuth sets the credentials of scheme, and removes any other.
func (ep *endpoint) applyAuth(h http.Header, scheme authScheme) *Error {
	for _, k := range authHeaders {
		h.Del(k)
	}
	cr := ep.auth[scheme]
	switch {
	case cr.header == "": // authNone
	case cr.missing != "":
		return &Error{Code: CodeMissingCredentials, Message: "no " + cr.missing + " configured for this service"}
	default:
		h[cr.header] = cr.value
	}
	return nil
}

var (
	acceptJSON  = []string{"application/json"}
	contentJSON = []string{"application/json"}
)

// Send.

// send runs the attempts: the client's retrying HTTP client repeats what
// checkRetry allows, each attempt waiting for the limiter and logged by the
// attempt transport, each body read (bounded) by readBody inside the loop.
func (c *call) send(hreq *retryablehttp.Request) (*http.Response, error) {
	hc := c.client.http
	if c.op.stream {
		hc = c.client.httpStream
	}
	hresp, err := hc.Do(hreq)
	c.r.maybeSent = c.ambiguous
	if err == nil {
		return hresp, nil
	}
	c.lost = c.lostResponse(hresp)
	if hresp != nil && !c.read {
		hresp.Body.Close()
	}
	var ge *Error
	if errors.As(err, &ge) {
		return nil, c.fail(ge)
	}
	if ctxErr := c.Err(); ctxErr != nil {
		if last := c.lastErr; last != nil {
			// The context ended while waiting to retry: the last answer is
			// still the caller's best information.
			last.cause = ctxErr
			return nil, c.fail(last)
		}
		return nil, fmt.Errorf("ghost: %s %s: %w", c.op.method, c.logPath, ctxErr)
	}
	return nil, fmt.Errorf("ghost: %s %s: %w", c.op.method, c.logPath, unwrapURLError(err))
}

// attemptTransport applies the client-side rate limit to every attempt and
// logs it.
type attemptTransport struct {
	next http.RoundTripper
	// netHTTP: the transport under any middleware is net/http's, so
	// noReplay applies and its write events say whether an attempt sent
	// anything.
	netHTTP bool
	limiter Limiter
	logger  *slog.Logger
	// idle bounds each wait for bytes of a streamed body: the client's
	// per-attempt timeout, which a streamed call's client does not apply.
	idle time.Duration
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	c := callOf(ctx)
	if c == nil {
		// Not a call of this client's executor: sent as it is.
		return t.next.RoundTrip(req)
	}
	c.beforeAttempt()
	if err := c.waitLimiter(req, t.limiter); err != nil {
		return nil, err
	}
	start := time.Now()
	next := req
	if t.netHTTP {
		next = c.withWriteTrace(noReplay(req))
	}
	var resp *http.Response
	var err error
	if idle := t.idle; c.op.stream && idle > 0 {
		resp, err = idleRoundTrip(t.next, next, idle)
	} else {
		resp, err = t.next.RoundTrip(next)
	}
	if t.logger != nil {
		t.logAttempt(c, req, resp, err, time.Since(start))
	}
	return resp, err
}

// logAttempt logs one attempt: at Debug, or at Warn when it failed or the
// server answered 429 or 5xx. Query strings, headers and bodies are never
// logged.
func (t *attemptTransport) logAttempt(c *call, req *http.Request, resp *http.Response, err error, d time.Duration) {
	attrs := []slog.Attr{
		slog.String("operation", c.op.name),
		slog.String("method", req.Method),
		slog.String("host", req.URL.Host),
		slog.String("path", req.URL.EscapedPath()),
		slog.Int("attempt", c.attempts),
		slog.Duration("duration", d),
		{},
	}
	level := slog.LevelDebug
	if err != nil {
		level = slog.LevelWarn
		attrs[len(attrs)-1] = slog.String("error", redactErr(err))
	} else {
		attrs[len(attrs)-1] = slog.Int("status", resp.StatusCode)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			level = slog.LevelWarn
		}
	}
	t.logger.LogAttrs(req.Context(), level, "ghost request", attrs...)
}

// redactErr renders a transport error without the URL (its query string may
// hold caller data).
func redactErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// checkRetry is the retry policy: only calls marked retryable are repeated,
// on connection errors, truncated bodies and 429/5xx statuses, and never when
// the server asks to wait longer than maxWait.
func (c *call) checkRetry(resp *http.Response, err error, maxWait time.Duration, now func() time.Time) (bool, error) {
	if c.Err() != nil {
		return false, c.Err()
	}
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) || errors.Is(err, errRedirectRefused) {
			return false, err
		}
		// An attempt that wrote nothing may be repeated whatever the
		// method: the server cannot have seen it.
		notWritten := c.notWritten(err)
		if resp != nil || !notWritten {
			// The server may have seen it: its effect is unknown.
			c.ambiguous = true
		}
		if !c.retryable && !notWritten {
			return false, err
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			var uerr url.InvalidHostError
			if errors.As(ue.Err, &uerr) {
				return false, err
			}
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return false, err
		}
		c.lastErr = nil
		if resp == nil && notWritten {
			if c.unsentRetries >= maxUnsentRetries {
				return false, err
			}
			c.unsentRetries++
			return true, nil
		}
		if c.attempts-c.unsentRetries > c.maxRetries {
			return false, err
		}
		return true, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !c.retryable || c.attempts-c.unsentRetries > c.maxRetries {
			return false, nil
		}
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), now()); ok && d > maxWait {
			return false, nil
		}
		// Keep this answer: if the context ends during the wait, it is the
		// error the caller gets.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		c.lastErr = newAPIError("", "", resp, body, now())
		return true, nil
	}
	return false, nil
}

// unsent reports whether a transport error proves the request never left:
// the connection could not be made (refused, unreachable, DNS failure).
func unsent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// retryAfter reads a Retry-After header: a delay beyond MaxRetryAfter, or
// one too large for an integer, is MaxRetryAfter (never "no header").
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	d, ok := wire.RetryAfter(v, now)
	if !ok {
		v = strings.TrimSpace(v)
		if v == "" || strings.Trim(v, "0123456789") != "" {
			return 0, false
		}
		return MaxRetryAfter, true // digits only: an integer that overflows
	}
	return min(d, MaxRetryAfter), true
}

// lostResponse is the Response of a call whose attempts all failed without
// an answer it could use (a dropped connection, a body cut short): the key
// it sent on every attempt, so that the caller can repeat it safely, and
// the last status seen, if any.
func (c *call) lostResponse(hresp *http.Response) *Response {
	r := &Response{Attempts: c.attempts, IdempotencyKey: c.idemKey}
	switch {
	case hresp != nil:
		r.StatusCode, r.Header, r.RequestID = hresp.StatusCode, hresp.Header, requestID(hresp.Header)
	case c.lastErr != nil:
		r.StatusCode, r.RequestID = c.lastErr.StatusCode, c.lastErr.RequestID
	}
	return r
}

// readBody reads an attempt's body inside the retry loop (so a body cut
// short is retried like any failed attempt), except a 2xx body the caller
// streams.
func (c *call) readBody(resp *http.Response) error {
	if c.op.stream && resp.StatusCode < 300 {
		return nil
	}
	b, err := readBounded(resp.Body, resp.ContentLength, c.client.cfg.maxBody)
	resp.Body.Close()
	if err != nil {
		return err
	}
	c.data, c.read = b, true
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Decode.

// decode turns the last response into the call's result: an error status
// into *Error, a success into out by the envelope the part declares.
func (c *call) decode(hresp *http.Response, out any) (*Response, error) {
	part := c.ep.part
	resp := &Response{
		StatusCode:     hresp.StatusCode,
		Header:         hresp.Header,
		RequestID:      requestID(hresp.Header),
		Attempts:       c.attempts,
		IdempotencyKey: c.idemKey,
	}
	if part.callLimit != "" {
		resp.CallLimit = parseCallLimit(hresp.Header.Get(part.callLimit))
	}
	if c.op.stream && hresp.StatusCode < 300 {
		c.r.streamBody = hresp.Body
		return resp, nil
	}
	data := c.data
	if !c.read {
		var err error
		data, err = readBounded(hresp.Body, hresp.ContentLength, c.client.cfg.maxBody)
		hresp.Body.Close()
		var ge *Error
		switch {
		case errors.As(err, &ge):
			return resp, c.fail(ge)
		case err != nil:
			return resp, fmt.Errorf("ghost: %s %s: reading body: %w", c.op.method, c.logPath, err)
		}
	}
	if hresp.StatusCode == http.StatusNotFound && c.op.method == http.MethodDelete && c.ambiguous {
		// An earlier attempt may have deleted it before its answer was lost:
		// the object being gone is what the caller asked for.
		return resp, nil
	}
	if hresp.StatusCode >= 300 {
		return resp, c.fail(newAPIError(c.op.method, c.logPath, hresp, data, c.client.cfg.now()))
	}
	if c.cfg.rawBody {
		resp.RawBody = data
	}
	return resp, c.decodeSuccess(hresp, data, out)
}

// decodeSuccess decodes a 2xx body by the part's envelope: an object, or a
// page of a list.
func (c *call) decodeSuccess(hresp *http.Response, data []byte, out any) error {
	if c.r.fast != nil && c.r.fast(data) {
		return nil
	}
	part := c.ep.part
	shape := part.item
	if c.op.list {
		shape = part.list
	}
	env, err := wire.Decode(shape, data, cmp.Or(c.r.listKey, c.op.listKey))
	switch {
	case err != nil && out == nil && !mutates(c.op.method):
		return c.fail(badResponse(hresp, data, "cannot parse response: %v", err))
	case err != nil:
		return c.undecodable(hresp, data, "cannot parse response: %v", err)
	case env.Failed:
		// {"success": false, "error": …} with a 2xx status is still an error.
		e := newAPIError(c.op.method, c.logPath, hresp, data, c.client.cfg.now())
		e.StatusCode = part.statusOfFailure(e.Code)
		return c.fail(e)
	case env.Empty && emptyOK(c.op.method, hresp.StatusCode):
		c.r.env, c.r.noBody = env, true
		return nil
	case env.Empty && hresp.StatusCode != http.StatusNoContent:
		return c.undecodable(hresp, data, "empty response body with status %d", hresp.StatusCode)
	}
	c.r.env = env
	if out == nil {
		return nil
	}
	if env.Payload == nil {
		// A call that returns an object gets that object or an error,
		// never a zero value standing for {"doc": null}.
		return c.undecodable(hresp, data, "response has no %s", payloadWord(out))
	}
	if err := json.Unmarshal(env.Payload, out); err != nil {
		return c.undecodable(hresp, data, "cannot decode %s: %v", payloadWord(out), err)
	}
	return nil
}

// emptyOK reports whether a 2xx answer without a body is a complete
// success: a DELETE or PUT answered 200 or 204 took effect (Spark documents
// DELETE as a 200 with an empty body), and the call returns no object (the
// typed method returns nil with a nil error). An empty 200 to anything else
// (a broken proxy, a cut stream) says nothing about whether the call took
// effect: bad_response.
func emptyOK(method string, status int) bool {
	return (method == http.MethodDelete || method == http.MethodPut) &&
		(status == http.StatusOK || status == http.StatusNoContent)
}

// undecodable is the error of a 2xx body that cannot be decoded: for a call
// that changes something, the server accepted it.
func (c *call) undecodable(hresp *http.Response, data []byte, format string, args ...any) error {
	e := badResponse(hresp, data, format, args...)
	if mutates(c.op.method) {
		e.Accepted = true
		e.Message = fmt.Sprintf("the server accepted the request (status %d) but its answer cannot be decoded: %s; "+
			"do not repeat it blindly", hresp.StatusCode, e.Message)
	}
	return c.fail(e)
}

func payloadWord(out any) string {
	s := fmt.Sprintf("%T", out)
	return strings.TrimPrefix(s, "*")
}

func badResponse(resp *http.Response, data []byte, format string, args ...any) *Error {
	e := &Error{
		StatusCode: resp.StatusCode,
		Code:       CodeBadResponse,
		Message:    fmt.Sprintf(format, args...),
		RequestID:  requestID(resp.Header),
	}
	if len(data) > maxErrorBody {
		data = data[:maxErrorBody]
	}
	e.Body = append([]byte(nil), data...)
	return e
}

// readBounded reads at most max bytes of body; more is an error. size, the
// declared Content-Length (-1 when unknown), is only a hint: memory grows
// with the bytes that arrive, never ahead of them, and a body over max costs
// about max, not a multiple of it. A declared size over max fails before
// reading.
func readBounded(body io.Reader, size, max int64) ([]byte, error) {
	if size > max {
		return nil, tooLarge(max)
	}
	if size > 0 && size <= exactBody {
		// Declared and modest (a list page): one exact buffer, plus a byte
		// to spot a body longer than declared. A lie costs at most
		// exactBody.
		b := make([]byte, size+1)
		n, err := io.ReadFull(body, b)
		switch {
		case err == io.ErrUnexpectedEOF && int64(n) == size:
			return b[:n], nil
		case err == nil:
			return nil, errors.New("response body longer than its Content-Length")
		}
		return nil, err
	}
	return readChunks(body, max)
}

// readChunks reads a body of unknown or large size into chunks that double
// from firstChunk up to maxChunk, each allocated only once the previous one
// is full, and stops one byte past max. Only a complete body is copied into
// one slice.
func readChunks(body io.Reader, max int64) ([]byte, error) {
	var (
		chunks [][]byte
		total  int64
		next   = int64(firstChunk)
	)
	for {
		want := min(next, max+1-total)
		if want <= 0 {
			return nil, tooLarge(max)
		}
		c := make([]byte, want)
		n, err := fill(body, c)
		total += int64(n)
		chunks = append(chunks, c[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		next = min(2*next, maxChunk)
	}
	if total > max {
		return nil, tooLarge(max)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

func tooLarge(max int64) error {
	return &Error{Code: CodeResponseTooLarge, Message: fmt.Sprintf("response body exceeds %d bytes", max)}
}

// fill reads until b is full (nil error) or the body ends (io.EOF) or fails
// (its error, io.ErrUnexpectedEOF included).
func fill(body io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := body.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

const (
	exactBody  = 256 << 10 // declared bodies up to this size are read in one allocation
	firstChunk = 4 << 10   // first chunk of any other body
	maxChunk   = 1 << 20   // largest chunk of a large body
)

// cancelOnClose ends a call's timeout context when its streamed body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
