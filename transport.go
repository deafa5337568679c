package ghost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/ghostanalytics/ghost-go/internal/wire"
	"github.com/hashicorp/go-retryablehttp"
)

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
	hc.Transport = &attemptTransport{next: next, netHTTP: netHTTP, limiter: cfg.limiter, logger: cfg.logger, idle: hc.Timeout}
	hc.CheckRedirect = checkRedirect(hc.CheckRedirect)
	p := cfg.retry
	return &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil, // never log to stderr; WithLogger logs without secrets
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		RetryMax:     math.MaxInt32, // each call's callState.maxRetries decides
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			c := callOf(ctx)
			if c == nil {
				// Not a call of this client's executor: nothing is retried.
				return false, err
			}
			retry, err := c.checkRetry(resp, err, p.MaxWait, cfg.now)
			c.noteRetry(resp, retry, cfg.now)
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

// checkRedirect is the SDK's redirect policy, after the caller's own (so
// that it cannot put back what the SDK removes): at most 10 hops; a non-GET
// request never follows a redirect to another host; a GET that does loses
// every credential-like header and the Referer.
func checkRedirect(userRedirect func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
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
}

// streamClient is hc without the per-attempt timeout, for a streamed body:
// the client's timeout bounds each wait for bytes instead (idleRoundTrip).
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
