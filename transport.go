package ghost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ghostanalytics/ghost-go/internal/wire"
	"github.com/hashicorp/go-retryablehttp"
)

// callState travels in the request context: it tells the retry policy
// whether this call may be repeated, and counts attempts for logs and
// Response.Attempts.
type callState struct {
	context.Context // the call's context; callState rides in it as a value
	retryable       bool
	attempts        int
	// ambiguous is set when an attempt failed after the request may have
	// reached the server (a transport error other than a failed dial, or a
	// cut body): its effect is unknown.
	ambiguous bool
	// maxRetries bounds the retries of this call.
	maxRetries int
	// stream marks a call whose body the caller reads at its own pace: each
	// attempt is bounded by idle (waiting for headers, then waiting for
	// bytes), not by the client's per-attempt timeout.
	stream bool
	idle   time.Duration
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
}

// maxUnsentRetries bounds the retries of attempts that wrote nothing (a
// stale keep-alive connection, a failed dial), whatever the method.
const maxUnsentRetries = 3

// notWritten reports whether the last attempt, which failed with err,
// provably sent nothing: its connection could not be made, or net/http
// wrote no request header before failing.
func (st *callState) notWritten(err error) bool {
	return unsent(err) || st.traced && !st.wrote.Load()
}

// withWriteTrace returns req with a context that records, in st.wrote,
// that its headers were written.
func (st *callState) withWriteTrace(req *http.Request) *http.Request {
	if st.trace == nil {
		st.trace = &httptrace.ClientTrace{WroteHeaders: func() { st.wrote.Store(true) }}
	}
	st.traced = true
	st.wrote.Store(false)
	return req.WithContext(httptrace.WithClientTrace(req.Context(), st.trace))
}

type callStateKey struct{}

// Value makes the state its own context value: one allocation per call
// instead of a state and a context.WithValue.
func (st *callState) Value(key any) any {
	if key == (callStateKey{}) {
		return st
	}
	return st.Context.Value(key)
}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	if st == nil {
		return &callState{Context: ctx}
	}
	return st
}

// errRedirectRefused stops a non-GET request from following a redirect to
// another host: its body and credentials must not go there.
var errRedirectRefused = errors.New("refusing to follow a redirect of a non-GET request to another host")

// authHeaders carry credentials: they are added for the configured host only.
var authHeaders = []string{"Authorization", "X-Api-Key", "X-Ac-Auth-Token"}

// credentialLike reports whether a header's name says it carries a
// credential (Authorization, Proxy-Authorization, Cookie, X-Api-Key,
// X-AC-Auth-Token, X-Session-Token, …): such headers, the SDK's or the
// caller's, never follow a redirect to another origin.
func credentialLike(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"auth", "cookie", "token", "key", "secret", "session", "password", "signature", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func newTransport(perHost int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Size the idle pool for concurrent use: net/http keeps 2 per host,
	// which churns connections under load (see PITFALLS.md). Capping open
	// connections at the pool's size means a burst never opens connections
	// the pool would then have to close.
	t.MaxIdleConns = 4 * perHost
	t.MaxIdleConnsPerHost = perHost
	t.MaxConnsPerHost = perHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}

func newHTTP(cfg *config) *retryablehttp.Client {
	var hc http.Client
	if cfg.httpClient != nil {
		hc = *cfg.httpClient
	}
	if hc.Timeout == 0 {
		hc.Timeout = cfg.timeout
	}
	next := hc.Transport
	if next == nil {
		next = newTransport(cfg.connsPerHost)
	}
	_, netHTTP := next.(*http.Transport)
	next = wrapTransport(cfg, next)
	// attemptTransport deliberately has no CloseIdleConnections method:
	// retryablehttp closes idle connections after every failed call, which
	// would empty the pool for every other goroutine.
	hc.Transport = &attemptTransport{next: next, netHTTP: netHTTP, limiter: cfg.limiter, logger: cfg.logger}
	userRedirect := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		// The caller's policy runs first, so that it cannot put back what
		// the SDK removes below.
		if userRedirect != nil {
			if err := userRedirect(req, via); err != nil {
				return err
			}
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if !sameOrigin(req.URL, via[0].URL) {
			if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
				return errRedirectRefused
			}
			// The credentials (every header named like one, the SDK's
			// authHeaders included), and the Referer net/http adds (it
			// holds our URL, query string included).
			req.Header.Del("Referer")
			for k := range req.Header {
				if credentialLike(k) {
					delete(req.Header, k)
				}
			}
		}
		return nil
	}
	p := cfg.retry
	return &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil, // never log to stderr; WithLogger logs without secrets
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		RetryMax:     math.MaxInt32, // each call's callState.maxRetries decides
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			retry, err := checkRetry(ctx, resp, err, p.MaxWait, cfg.now)
			noteRetry(ctx, resp, retry, cfg.now)
			return retry, err
		},
		Backoff: func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
			ra := time.Duration(-1)
			if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
				if d, ok := retryAfter(resp.Header.Get("Retry-After"), cfg.now()); ok {
					ra = d
				}
			}
			return wire.Backoff(min, max, attempt, ra)
		},
		// Keep the last response when retries run out, so the API's error
		// body reaches the caller.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// checkRetry is the retry policy: only calls marked retryable are repeated,
// on connection errors, truncated bodies and 429/5xx statuses, and never when
// the server asks to wait longer than maxWait.
func checkRetry(ctx context.Context, resp *http.Response, err error, maxWait time.Duration, now func() time.Time) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	st := stateOf(ctx)
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) || errors.Is(err, errRedirectRefused) {
			return false, err
		}
		// An attempt that wrote nothing may be repeated whatever the
		// method: the server cannot have seen it.
		notWritten := st.notWritten(err)
		if resp != nil || !notWritten {
			// The server may have seen it: its effect is unknown.
			st.ambiguous = true
		}
		if !st.retryable && !notWritten {
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
		st.lastErr = nil
		if resp == nil && notWritten {
			if st.unsentRetries >= maxUnsentRetries {
				return false, err
			}
			st.unsentRetries++
			return true, nil
		}
		if st.attempts-st.unsentRetries > st.maxRetries {
			return false, err
		}
		return true, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !st.retryable || st.attempts-st.unsentRetries > st.maxRetries {
			return false, nil
		}
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), now()); ok && d > maxWait {
			return false, nil
		}
		// Keep this answer: if the context ends during the wait, it is the
		// error the caller gets.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		st.lastErr = newAPIError("", "", resp, body, now())
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

// streamClient is hc without the per-attempt timeout, for a streamed body:
// callState.idle bounds its attempts instead.
func streamClient(hc *retryablehttp.Client) *retryablehttp.Client {
	h := *hc.HTTPClient
	h.Timeout = 0
	return &retryablehttp.Client{
		HTTPClient:   &h,
		RetryWaitMin: hc.RetryWaitMin,
		RetryWaitMax: hc.RetryWaitMax,
		RetryMax:     hc.RetryMax,
		CheckRetry:   hc.CheckRetry,
		Backoff:      hc.Backoff,
		ErrorHandler: hc.ErrorHandler,
	}
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
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := beforeAttempt(ctx, req, t.limiter); err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			// The limiter cannot grant a slot before the deadline (it
			// says so at once rather than wait in vain).
			return nil, &Error{Code: CodeClientRateLimited, cause: err,
				Message: "the client-side rate limit grants no request before the context's deadline"}
		}
		// Any other refusal of the limiter: nothing is sent, nor retried.
		return nil, &Error{Code: CodeClientRateLimited, cause: err,
			Message: "the client-side limiter refused the request: " + err.Error()}
	}
	st := stateOf(ctx)
	st.attempts++
	start := time.Now()
	next := req
	if t.netHTTP {
		next = st.withWriteTrace(noReplay(req))
	}
	var resp *http.Response
	var err error
	if st.stream && st.idle > 0 {
		resp, err = idleRoundTrip(t.next, next, st.idle)
	} else {
		resp, err = t.next.RoundTrip(next)
	}
	if t.logger != nil {
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("host", req.URL.Host),
			slog.String("path", req.URL.EscapedPath()),
			slog.Int("attempt", st.attempts),
			slog.Duration("duration", time.Since(start)),
		}
		level := slog.LevelDebug
		if err != nil {
			level = slog.LevelWarn
			attrs = append(attrs, slog.String("error", redactErr(err)))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
			if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
				level = slog.LevelWarn
			}
		}
		t.logger.LogAttrs(ctx, level, "ghost request", attrs...)
	}
	return resp, err
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

// noReplay keeps Go's transport from re-sending req by itself: on a reused
// connection that the server closes, net/http silently sends a "replayable"
// request again (GET, HEAD, OPTIONS, TRACE, or any request with an
// Idempotency-Key header and a rewindable body). That second send would not
// count against RetryPolicy.MaxRetries, so the SDK makes every request
// non-replayable for the transport (a body it cannot rewind; for a bodiless
// request an empty body, which net/http sends as no body at all) and does
// all retrying itself. The original request is not changed.
func noReplay(req *http.Request) *http.Request {
	r := *req
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, "":
		default:
			if req.Header.Get("Idempotency-Key") == "" && req.Header.Get("X-Idempotency-Key") == "" {
				return req // not replayable already
			}
		}
		r.Body, r.ContentLength = emptyBody{}, 0
	case req.GetBody == nil:
		return req
	}
	r.GetBody = nil
	return &r
}

// emptyBody is an empty request body net/http cannot rewind.
type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyBody) Close() error             { return nil }

// errIdle is the error of a streamed attempt that received no bytes for its
// idle timeout.
type errIdle struct{ d time.Duration }

func (e *errIdle) Error() string {
	return fmt.Sprintf("ghost: no bytes received for %s (idle timeout)", e.d)
}
func (e *errIdle) Timeout() bool   { return true }
func (e *errIdle) Temporary() bool { return true }

// idleRoundTrip sends req allowing idle for its response headers, and
// returns a body whose every read may wait at most idle for bytes: the time
// the caller spends between reads does not count.
func idleRoundTrip(next http.RoundTripper, req *http.Request, idle time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	idleErr := &errIdle{idle}
	timer := time.AfterFunc(idle, func() { cancel(idleErr) })
	resp, err := next.RoundTrip(req.WithContext(ctx))
	timer.Stop()
	if err != nil {
		timedOut := context.Cause(ctx) == idleErr
		cancel(nil)
		if timedOut {
			return nil, idleErr
		}
		return nil, err
	}
	resp.Body = &idleBody{rc: resp.Body, idle: idle, timer: timer, ctx: ctx, cancel: cancel, err: idleErr}
	return resp, nil
}

type idleBody struct {
	rc     io.ReadCloser
	idle   time.Duration
	timer  *time.Timer
	ctx    context.Context
	cancel context.CancelCauseFunc
	err    *errIdle
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.idle)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF && context.Cause(b.ctx) == b.err {
		return n, b.err
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
