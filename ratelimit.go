package ghost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// This file holds the client-side rate limiting: the Limiter every attempt
// waits for (the executor calls it before each attempt, retries and
// redirect hops included), its default token bucket, and the options that
// set one.

// Limiter paces the client's requests. The client calls Wait before every
// attempt (retries and redirect hops included) with the attempt's key, and
// sends the attempt when Wait returns nil. An error from Wait fails the call
// with that error; return the context's error when it ends, and prefer
// degrading to a local decision over failing when a shared store is down.
//
// A Limiter is shared by every goroutine using the client: it must be safe
// for concurrent use. The default, set by WithRateLimit and
// WithCheckoutRateLimit, is a RateLimiter; package contrib/redislimit has
// one whose budget is shared by every process using the same Redis key.
type Limiter interface {
	Wait(ctx context.Context, key LimitKey) error
}

// LimitKey says where an attempt goes, so that a Limiter can keep one budget
// per API part and host (the Checkout API counts requests per client).
type LimitKey struct {
	Part Part   // the part of the API (see CallInfo.Part)
	Host string // host[:port] of the attempt's URL
}

// String formats the key as part@host.
func (k LimitKey) String() string { return string(k.Part) + "@" + k.Host }

// LimiterFunc adapts a function to the Limiter interface.
type LimiterFunc func(ctx context.Context, key LimitKey) error

// Wait calls f.
func (f LimiterFunc) Wait(ctx context.Context, key LimitKey) error { return f(ctx, key) }

// RateLimiter is the default Limiter: one token bucket (golang.org/x/time/rate)
// of r requests per second with a burst, shared by every key.
type RateLimiter struct {
	l *rate.Limiter
}

// NewRateLimiter returns a RateLimiter of r requests per second with the
// given burst; both must be positive.
func NewRateLimiter(r rate.Limit, burst int) (*RateLimiter, error) {
	if r <= 0 || burst <= 0 {
		return nil, fmt.Errorf("ghost: rate limit must be positive, got %v with burst %d", r, burst)
	}
	return &RateLimiter{l: rate.NewLimiter(r, burst)}, nil
}

// Wait waits for a token, or returns the context's error when it ends first.
// When the context's deadline would pass before a token is due, it returns
// at once with an error that matches context.DeadlineExceeded.
func (l *RateLimiter) Wait(ctx context.Context, _ LimitKey) error {
	err := l.l.Wait(ctx)
	if err != nil && ctx.Err() == nil {
		if _, ok := ctx.Deadline(); ok {
			return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
		}
	}
	return err
}

// WithLimiter makes every attempt wait for l first (see Limiter). It
// replaces the limiter of WithRateLimit or WithCheckoutRateLimit.
func WithLimiter(l Limiter) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("ghost: WithLimiter(nil)")
		}
		c.limiter = l
		return nil
	}
}

// WithRateLimit turns on a client-side limit of r requests per second with
// the given burst, shared by all services; every attempt waits for it.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(c *config) error {
		if r <= 0 || burst <= 0 {
			return fmt.Errorf("ghost: rate limit must be positive")
		}
		c.limiter = &RateLimiter{l: rate.NewLimiter(r, burst)}
		return nil
	}
}

// waitLimiter waits for the client's limiter, if any, before an attempt. A
// refusal fails the attempt with an *Error of code client_rate_limited
// (nothing is sent, nor retried), unless the call's context was canceled.
func (c *call) waitLimiter(req *http.Request, l Limiter) error {
	if l == nil {
		return nil
	}
	start := time.Now()
	err := l.Wait(c, LimitKey{Part: c.ep.part.part, Host: req.URL.Host})
	if c.obs != nil {
		c.obs.limiterWait += time.Since(start)
	}
	switch {
	case err == nil || errors.Is(c.Err(), context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		// The limiter cannot grant a slot before the deadline (it says so
		// at once rather than wait in vain).
		return &Error{Code: CodeClientRateLimited, cause: err,
			Message: "the client-side rate limit grants no request before the context's deadline"}
	}
	return &Error{Code: CodeClientRateLimited, cause: err,
		Message: "the client-side limiter refused the request: " + err.Error()}
}

// CheckoutRateLimit is the Checkout API's documented limit: 100 requests per
// minute per client.
const CheckoutRateLimit = 100

// WithCheckoutRateLimit turns on a client-side limiter preset to the Checkout
// API's documented 100 requests per minute: one request every 600 ms, with a
// burst of 1. The burst is 1 on purpose: a token bucket of rate r and burst b
// lets b + 100 requests through in a minute, and the server counts every
// minute, so any larger burst can earn a 429. Callers that prefer bursts and
// rely on the retry of 429s (idempotent calls wait for Retry-After) can call
// WithRateLimit with their own numbers instead.
//
// Like WithRateLimit, the limiter is shared by every service of the client;
// give the Checkout services their own client if other traffic must not
// wait for it.
func WithCheckoutRateLimit() Option {
	return WithRateLimit(rate.Every(time.Minute/CheckoutRateLimit), 1)
}
