package ghost

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ghostanalytics/ghost-go/internal/wire"
	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
)

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

// authScheme is how a request carries credentials.
type authScheme uint8

const (
	authDefault     authScheme = iota // the service's own scheme
	authGhostBasic                    // Basic public:secret
	authKomojuBasic                   // Basic secret:
	authAPIKey                        // x-api-key
	authToken                         // X-AC-Auth-Token
	authBearer                        // Authorization: Bearer
	authNone                          // no credentials (export files)
)

// request describes one call to the executor.
type request struct {
	method  string
	path    string   // escaped path under the endpoint's base URL, or
	url     *url.URL // an absolute URL supplied by the server (next_page, export files)
	query   any      // a go-querystring struct, url.Values, or nil
	body    any      // encoded as JSON; url.Values as a form
	listKey string   // key of the list in Spark/Checkout list envelopes
	auth    authScheme
	// idemHdr is the idempotency header the part documents; empty when it
	// documents none (a caller's key then goes in Idempotency-Key, and no
	// key is generated).
	idemHdr string
	stream  bool // leave a 2xx body open in streamBody for the caller

	// fast, when set, decodes a 2xx body of the expected envelope in one
	// pass and reports whether it could; otherwise the tolerant path runs.
	fast func(data []byte) bool

	// Filled by do.
	env        wire.Envelope
	streamBody io.ReadCloser
	// maybeSent: an attempt failed after it may have reached the server
	// (written, no complete answer), so what it did is unknown.
	maybeSent bool
	// noBody: a DELETE or PUT succeeded without a body (emptyOK), so
	// there is no object to return.
	noBody bool
}

// do is the one executor every service method calls: it builds the request,
// adds credentials for the service's own host, retries what is safe to retry,
// reads a bounded body, turns error responses into *Error and decodes the
// payload of any documented envelope into out (nil to ignore it).
func (s *service) do(ctx context.Context, r *request, out any, opts []RequestOption) (resp *Response, err error) {
	c := s.client
	var cc callConfig
	for _, o := range opts {
		if o != nil {
			o(&cc)
		}
	}
	// lost is what is known of a call that failed without a usable answer
	// after its request was built: its key, attempts and last status.
	var lost *Response
	if cc.response != nil {
		defer func() {
			if resp == nil {
				resp = lost
			}
			if resp != nil {
				*cc.response = *resp
			}
		}()
	}
	if ctx == nil {
		return nil, invalidParams("", "nil context")
	}
	ctx, end := s.observe(ctx, r)
	defer func() { end(resp, err) }()
	ep := c.endpoints[s.name]
	if ep.missing != "" {
		return nil, &Error{Code: CodeMissingEndpoint, Message: ep.missing}
	}
	if r.idemHdr == "" {
		r.idemHdr = ep.part.idemHeader
	}
	u, err := s.url(ep, r)
	if err != nil {
		return nil, err
	}
	logPath := u.EscapedPath()
	// fail stamps an error with the request it belongs to.
	fail := func(e *Error) error {
		e.Method, e.Path = r.method, logPath
		return e
	}

	var body []byte
	contentType := ""
	switch b := r.body.(type) {
	case nil:
	case url.Values:
		body, contentType = []byte(b.Encode()), "application/x-www-form-urlencoded"
	default:
		if body, err = json.Marshal(b); err != nil {
			return nil, fail(invalidParams("", "cannot encode request body: %v", err))
		}
		contentType = "application/json"
	}

	cancel := context.CancelFunc(func() {})
	if cc.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, cc.timeout)
	}
	defer func() {
		if r.streamBody != nil && err == nil {
			r.streamBody = &cancelOnClose{ReadCloser: r.streamBody, cancel: cancel}
			return
		}
		cancel()
	}()

	st := &callState{Context: ctx, retryable: isIdempotent(r.method),
		maxRetries: c.cfg.retry.MaxRetries, stream: r.stream, idle: c.http.HTTPClient.Timeout}
	if n := cc.maxRetries; n != nil {
		if *n < 0 {
			return nil, fail(invalidParams("max_retries", "WithMaxRetries(%d): the number of retries cannot be negative", *n))
		}
		st.maxRetries = *n
	}
	ctx = st
	var bodyArg any
	if body != nil {
		bodyArg = body
	}
	hreq, err := retryablehttp.NewRequestWithContext(ctx, r.method, u.String(), bodyArg)
	if err != nil {
		return nil, fail(invalidParams("", "cannot build request: %v", err))
	}
	h := hreq.Header
	for k, vs := range cc.header {
		h[k] = append([]string(nil), vs...)
	}
	// Shared, never-mutated value slices: no allocation per request.
	h["Accept"] = acceptJSON
	h["User-Agent"] = c.userAgentHdr
	switch contentType {
	case "":
	case "application/json":
		h["Content-Type"] = contentJSON
	default:
		h["Content-Type"] = []string{contentType}
	}
	scheme := r.auth
	if scheme == authDefault {
		scheme = ep.part.auth
	}
	// The idempotency key: the caller's, or for a POST to a part that
	// documents an idempotency header, one generated for this call (the
	// same on every attempt, so the POST may be retried). A part that
	// documents none may ignore a caller's key: it is sent as
	// Idempotency-Key, but does not make the call safe to retry.
	docHdr := r.idemHdr
	idemKey := cc.idempotencyKey
	if idemKey == "" && r.method == http.MethodPost && docHdr != "" && !cc.noIdemKey {
		idemKey = newIdempotencyKey()
	}
	if idemKey != "" {
		name := cmp.Or(docHdr, "Idempotency-Key")
		if err := checkIdempotencyKey(name, idemKey); err != nil {
			return nil, fail(err)
		}
		h.Set(name, idemKey)
		st.retryable = st.retryable || docHdr != ""
	}
	if err := ep.applyAuth(h, scheme); err != nil {
		return nil, fail(err)
	}

	var (
		data []byte
		read bool
	)
	max := c.cfg.maxBody
	hreq.SetResponseHandler(func(resp *http.Response) error {
		if r.stream && resp.StatusCode < 300 {
			return nil
		}
		b, err := readBounded(resp.Body, resp.ContentLength, max)
		resp.Body.Close()
		if err != nil {
			return err
		}
		data, read = b, true
		return nil
	})

	hc := c.http
	if r.stream {
		hc = c.httpStream
	}
	hresp, err := hc.Do(hreq)
	r.maybeSent = st.ambiguous
	if err != nil {
		lost = lostResponse(st, hresp, idemKey)
		if hresp != nil && !read {
			hresp.Body.Close()
		}
		var ge *Error
		if errors.As(err, &ge) {
			return nil, fail(ge)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			if last := st.lastErr; last != nil {
				// The context ended while waiting to retry: the last
				// answer is still the caller's best information.
				last.cause = ctxErr
				return nil, fail(last)
			}
			return nil, fmt.Errorf("ghost: %s %s: %w", r.method, logPath, ctxErr)
		}
		return nil, fmt.Errorf("ghost: %s %s: %w", r.method, logPath, unwrapURLError(err))
	}
	resp = &Response{
		StatusCode:     hresp.StatusCode,
		Header:         hresp.Header,
		RequestID:      requestID(hresp.Header),
		Attempts:       st.attempts,
		CallLimit:      parseCallLimit(hresp.Header.Get("X-AC-Call-Limit")),
		IdempotencyKey: idemKey,
	}
	if r.stream && hresp.StatusCode < 300 {
		r.streamBody = hresp.Body
		return resp, nil
	}
	if !read {
		data, err = readBounded(hresp.Body, hresp.ContentLength, max)
		hresp.Body.Close()
		if err != nil {
			var ge *Error
			if errors.As(err, &ge) {
				return resp, fail(ge)
			}
			return resp, fmt.Errorf("ghost: %s %s: reading body: %w", r.method, logPath, err)
		}
	}
	if hresp.StatusCode == http.StatusNotFound && r.method == http.MethodDelete && st.ambiguous {
		// An earlier attempt may have deleted it before its answer was lost:
		// the object being gone is what the caller asked for.
		return resp, nil
	}
	if hresp.StatusCode >= 300 {
		return resp, fail(newAPIError(r.method, logPath, hresp, data, c.cfg.now()))
	}
	if cc.rawBody {
		resp.RawBody = data
	}
	// undecodable is the error of a 2xx body that cannot be decoded: for a
	// call that changes something, the server accepted it.
	undecodable := func(format string, args ...any) error {
		e := badResponse(hresp, data, format, args...)
		if mutates(r.method) {
			e.Accepted = true
			e.Message = fmt.Sprintf("the server accepted the request (status %d) but its answer cannot be decoded: %s; "+
				"do not repeat it blindly", hresp.StatusCode, e.Message)
		}
		return fail(e)
	}
	if r.fast != nil && r.fast(data) {
		return resp, nil
	}
	env, err := wire.Parse(data, r.listKey)
	if err != nil {
		if out == nil && !mutates(r.method) {
			return resp, fail(badResponse(hresp, data, "cannot parse response: %v", err))
		}
		return resp, undecodable("cannot parse response: %v", err)
	}
	if env.Failed {
		// {"success": false, "error": …} with a 2xx status is still an error.
		e := newAPIError(r.method, logPath, hresp, data, c.cfg.now())
		e.StatusCode = statusOfCode(e.Code)
		return resp, fail(e)
	}
	if env.Kind == wire.KindEmpty && emptyOK(r.method, hresp.StatusCode) {
		r.env, r.noBody = env, true
		return resp, nil
	}
	if env.Kind == wire.KindEmpty && hresp.StatusCode != http.StatusNoContent {
		return resp, undecodable("empty response body with status %d", hresp.StatusCode)
	}
	r.env = env
	if out == nil {
		return resp, nil
	}
	if len(env.Payload) == 0 || env.Null {
		// A call that returns an object gets that object or an error,
		// never a zero value standing for {"doc": null}.
		return resp, undecodable("response has no %s", payloadWord(out))
	}
	if err := json.Unmarshal(env.Payload, out); err != nil {
		return resp, undecodable("cannot decode %s: %v", payloadWord(out), err)
	}
	return resp, nil
}

// lostResponse is the Response of a call whose attempts all failed without
// an answer it could use (a dropped connection, a body cut short): the key
// it sent on every attempt, so that the caller can repeat it safely, and
// the last status seen, if any.
func lostResponse(st *callState, hresp *http.Response, key string) *Response {
	r := &Response{Attempts: st.attempts, IdempotencyKey: key}
	switch {
	case hresp != nil:
		r.StatusCode, r.Header, r.RequestID = hresp.StatusCode, hresp.Header, requestID(hresp.Header)
	case st.lastErr != nil:
		r.StatusCode, r.RequestID = st.lastErr.StatusCode, st.lastErr.RequestID
	}
	return r
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

// mutates reports whether a method changes something on the server.
func mutates(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// newIdempotencyKey returns a random key for one logical call (26
// characters of base32, 130 bits from crypto/rand).
func newIdempotencyKey() string {
	return rand.Text()
}

// statusOfCode maps the Checkout API's error codes to the statuses its
// documentation pairs them with, for a failure reported in a 2xx body.
func statusOfCode(code string) int {
	switch code {
	case "UNAUTHORIZED":
		return http.StatusUnauthorized
	case "NOT_FOUND":
		return http.StatusNotFound
	case "VALIDATION_ERROR":
		return http.StatusUnprocessableEntity
	case "RATE_LIMITED":
		return http.StatusTooManyRequests
	case "INTERNAL_ERROR":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
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

func (s *service) url(ep *endpoint, r *request) (*url.URL, error) {
	var u url.URL
	if r.url != nil {
		u = *r.url
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, &Error{Code: CodeForeignURL, Message: fmt.Sprintf("server-supplied URL %q is not http(s)", quoteURL(&u))}
		}
		if r.auth != authNone && !sameOrigin(&u, ep.base) {
			return nil, &Error{Code: CodeForeignURL, Message: fmt.Sprintf("server-supplied URL on %s, not the configured host %s: not followed", u.Host, ep.base.Host)}
		}
		u.User = nil
	} else {
		u = *ep.base
		raw := ep.base.EscapedPath() + r.path
		p, err := url.PathUnescape(raw)
		if err != nil {
			return nil, invalidParams("", "bad path %q", r.path)
		}
		u.Path, u.RawPath = p, raw
	}
	if r.query != nil {
		q, err := encodeQuery(r.query)
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

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func checkIdempotencyKey(header, key string) *Error {
	limit := 255
	if header == "X-KOMOJU-IDEMPOTENCY" {
		limit = 100
	}
	if len(key) > limit {
		return invalidParams("idempotency_key", "idempotency key is %d characters; %s allows at most %d", len(key), header, limit)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return invalidParams("idempotency_key", "idempotency key must be printable ASCII without spaces")
		}
	}
	return nil
}

func (ep *endpoint) applyAuth(h http.Header, scheme authScheme) *Error {
	missing := func(what string) *Error {
		return &Error{Code: CodeMissingCredentials, Message: "no " + what + " configured for this service"}
	}
	for _, k := range authHeaders {
		h.Del(k)
	}
	cr := ep.creds
	switch scheme {
	case authGhostBasic:
		if cr.PublicKey == "" || cr.SecretKey == "" {
			return missing("public and secret keys (WithKeys)")
		}
		h["Authorization"] = ep.ghostBasic
	case authKomojuBasic:
		if cr.SecretKey == "" {
			return missing("secret key (WithSecretKey)")
		}
		h["Authorization"] = ep.komojuBasic
	case authAPIKey:
		if cr.APIKey == "" {
			return missing("API key (WithAPIKey)")
		}
		h["X-Api-Key"] = ep.apiKey
	case authToken:
		if cr.AuthToken == "" {
			return missing("auth token (WithAuthToken)")
		}
		h["X-Ac-Auth-Token"] = ep.authToken
	case authBearer:
		if cr.BearerToken == "" {
			return missing("bearer token (WithBearerToken)")
		}
		h["Authorization"] = ep.bearer
	}
	return nil
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

var (
	acceptJSON  = []string{"application/json"}
	contentJSON = []string{"application/json"}
)

// readBounded reads at most max bytes of body; more is an error. size, the
// declared Content-Length (-1 when unknown), is only a hint: memory grows
// with the bytes that arrive, never ahead of them, and a body over max costs
// about max, not a multiple of it. A declared size over max fails before
// reading.
func readBounded(body io.Reader, size, max int64) ([]byte, error) {
	tooLarge := func() error {
		return &Error{Code: CodeResponseTooLarge, Message: fmt.Sprintf("response body exceeds %d bytes", max)}
	}
	if size > max {
		return nil, tooLarge()
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
	// Unknown or large: read into chunks that double from firstChunk up to
	// maxChunk, each allocated only once the previous one is full, and stop
	// one byte past max. Only a complete body is copied into one slice.
	var (
		chunks [][]byte
		total  int64
		next   = int64(firstChunk)
	)
	for {
		want := min(next, max+1-total)
		if want <= 0 {
			return nil, tooLarge()
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
		return nil, tooLarge()
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

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

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
