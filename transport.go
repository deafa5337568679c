package ghost

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
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
	// reached the server (a transport error or a cut body): its effect is
	// unknown.
	ambiguous bool
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

// crossOriginStripped are removed from a request redirected to another host:
// the credentials, and the Referer net/http adds (it holds our URL, query
// string included).
var crossOriginStripped = append([]string{"Referer"}, authHeaders...)

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
	next = wrapTransport(cfg, next)
	// attemptTransport deliberately has no CloseIdleConnections method:
	// retryablehttp closes idle connections after every failed call, which
	// would empty the pool for every other goroutine.
	hc.Transport = &attemptTransport{next: next, limiter: cfg.limiter, logger: cfg.logger}
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
			for _, h := range crossOriginStripped {
				req.Header.Del(h)
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
		RetryMax:     p.MaxRetries,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			retry, err := checkRetry(ctx, resp, err, p.MaxWait, cfg.now)
			noteRetry(ctx, resp, retry, cfg.now)
			return retry, err
		},
		Backoff: func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
			ra := time.Duration(-1)
			if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
				if d, ok := wire.RetryAfter(resp.Header.Get("Retry-After"), cfg.now()); ok {
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
		if errors.As(err, &ge) || errors.Is(err, errRedirectRefused) || !st.retryable {
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
		st.ambiguous = true
		return true, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !st.retryable {
			return false, nil
		}
		if d, ok := wire.RetryAfter(resp.Header.Get("Retry-After"), now()); ok && d > maxWait {
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// attemptTransport applies the client-side rate limit to every attempt and
// logs it.
type attemptTransport struct {
	next    http.RoundTripper
	limiter Limiter
	logger  *slog.Logger
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := beforeAttempt(ctx, req, t.limiter); err != nil {
		return nil, err
	}
	st := stateOf(ctx)
	st.attempts++
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
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
