// Package redislimit is a ghost.Limiter whose budget lives in Redis, so that
// every process using the same budget key shares it: ten replicas behind one
// egress address together stay under the Checkout API's 100 requests per
// minute, where ten process-local limiters would each spend 100.
//
// The budget is enforced with GCRA (the generic cell rate algorithm) as
// implemented by github.com/go-redis/redis_rate, on Redis's own clock, so the
// processes' clocks need not agree. When Redis cannot be reached the limiter
// decides locally instead (by default with a process-local limiter of the
// same rate), logs that once, and counts those decisions (Fallbacks): a call
// never fails because the limiter's store is down.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	lim, err := redislimit.New(rdb, redislimit.Checkout())
//	…
//	client, err := ghost.NewClient(ghost.WithAPIKey(key), ghost.WithLimiter(lim))
package redislimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Limit is a budget: Rate requests per Period, of which Burst may be sent at
// once after a quiet spell.
type Limit = redis_rate.Limit

// Checkout is a budget for the Checkout API's documented 100 requests per
// minute, kept a little under it (95 per minute, burst 1) so that requests
// that take different times to reach the server never make 101 in the
// server's sliding minute.
func Checkout() Limit {
	return Limit{Rate: ghost.CheckoutRateLimit * 95 / 100, Burst: 1, Period: time.Minute}
}

// Limiter is a ghost.Limiter backed by Redis. It is safe for concurrent use.
type Limiter struct {
	rl       *redis_rate.Limiter
	limit    Limit
	key      func(ghost.LimitKey) string
	fallback ghost.Limiter
	logger   *slog.Logger
	timeout  time.Duration
	probe    time.Duration
	share    int // processes sharing the budget, for the default fallback

	fallbacks atomic.Uint64
	mu        sync.Mutex
	downUntil time.Time // decide locally until then; zero while Redis answers
}

// Option configures a Limiter.
type Option func(*Limiter) error

// WithKey sets the budget key of each attempt; attempts with the same key
// share a budget, across processes. An empty key leaves the attempt
// unlimited. The default is "ghost:" + part + ":" + host, one budget per API
// part and host: ghost.LimitKey.
func WithKey(f func(ghost.LimitKey) string) Option {
	return func(l *Limiter) error {
		if f == nil {
			return errors.New("redislimit: WithKey(nil)")
		}
		l.key = f
		return nil
	}
}

// OnlyPart is a key function that limits the attempts of one API part (e.g.
// ghost.PartCheckout) and leaves the others unlimited.
func OnlyPart(part ghost.Part) func(ghost.LimitKey) string {
	return func(k ghost.LimitKey) string {
		if k.Part != part {
			return ""
		}
		return defaultKey(k)
	}
}

// defaultKey is the budget key of an attempt: one per part and host.
func defaultKey(k ghost.LimitKey) string { return "ghost:" + string(k.Part) + ":" + k.Host }

// WithFallback sets the limiter used while Redis is unreachable (default a
// process-local ghost.RateLimiter of the budget's rate and burst; divide the
// rate by the number of processes for a stricter stand-in).
func WithFallback(f ghost.Limiter) Option {
	return func(l *Limiter) error {
		if f == nil {
			return errors.New("redislimit: WithFallback(nil)")
		}
		l.fallback = f
		return nil
	}
}

// WithFallbackShare makes the default fallback limiter allow 1/n of the
// budget, for n processes sharing it: while Redis is down they then stay
// within the budget together instead of each spending all of it (the
// default, n = 1, keeps every process at the full rate). It has no effect
// with WithFallback.
func WithFallbackShare(n int) Option {
	return func(l *Limiter) error {
		if n <= 0 {
			return fmt.Errorf("redislimit: fallback share must be positive, got %d", n)
		}
		l.share = n
		return nil
	}
}

// WithLogger sets where the limiter says that Redis is unreachable, and
// reachable again (default slog.Default()).
func WithLogger(lg *slog.Logger) Option {
	return func(l *Limiter) error {
		if lg == nil {
			return errors.New("redislimit: WithLogger(nil)")
		}
		l.logger = lg
		return nil
	}
}

// WithTimeout bounds each Redis decision (default 250ms); past it the
// attempt is decided locally.
func WithTimeout(d time.Duration) Option {
	return func(l *Limiter) error {
		if d <= 0 {
			return fmt.Errorf("redislimit: timeout must be positive, got %s", d)
		}
		l.timeout = d
		return nil
	}
}

// WithProbeInterval sets how long the limiter decides locally after Redis
// failed before asking it again (default 1s), so that an outage costs one
// timeout per interval rather than one per request.
func WithProbeInterval(d time.Duration) Option {
	return func(l *Limiter) error {
		if d <= 0 {
			return fmt.Errorf("redislimit: probe interval must be positive, got %s", d)
		}
		l.probe = d
		return nil
	}
}

// New returns a limiter that keeps budgets of limit in rdb.
func New(rdb redis.UniversalClient, limit Limit, opts ...Option) (*Limiter, error) {
	if rdb == nil {
		return nil, errors.New("redislimit: nil Redis client")
	}
	if limit.Rate <= 0 || limit.Burst <= 0 || limit.Period <= 0 {
		return nil, fmt.Errorf("redislimit: rate, burst and period must be positive, got %v", limit)
	}
	l := &Limiter{
		rl:      redis_rate.NewLimiter(rdb),
		limit:   limit,
		key:     defaultKey,
		logger:  slog.Default(),
		timeout: 250 * time.Millisecond,
		probe:   time.Second,
	}
	for _, o := range opts {
		if err := o(l); err != nil {
			return nil, err
		}
	}
	if l.fallback == nil {
		perSec := rate.Limit(float64(limit.Rate) / limit.Period.Seconds() / float64(max(l.share, 1)))
		fb, err := ghost.NewRateLimiter(perSec, limit.Burst)
		if err != nil {
			return nil, err
		}
		l.fallback = fb
	}
	return l, nil
}

// Fallbacks counts the attempts decided locally because Redis was
// unreachable. Export it as a metric (e.g. an OpenTelemetry observable
// counter) to alert on a shared budget that is not shared.
func (l *Limiter) Fallbacks() uint64 { return l.fallbacks.Load() }

// Wait waits until the attempt's budget allows it, or ctx ends. While Redis
// is unreachable it waits for the fallback limiter instead.
func (l *Limiter) Wait(ctx context.Context, key ghost.LimitKey) error {
	k := l.key(key)
	if k == "" {
		return nil
	}
	for {
		if l.isDown() {
			return l.local(ctx, key)
		}
		actx, cancel := context.WithTimeout(ctx, l.timeout)
		res, err := l.rl.Allow(actx, k, l.limit)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			l.markDown(err)
			return l.local(ctx, key)
		}
		l.markUp()
		if res.Allowed > 0 {
			return nil
		}
		wait := max(res.RetryAfter, time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// local decides an attempt with the fallback limiter.
func (l *Limiter) local(ctx context.Context, key ghost.LimitKey) error {
	l.fallbacks.Add(1)
	return l.fallback.Wait(ctx, key)
}

func (l *Limiter) isDown() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Now().Before(l.downUntil)
}

func (l *Limiter) markDown(err error) {
	l.mu.Lock()
	was := !l.downUntil.IsZero()
	l.downUntil = time.Now().Add(l.probe)
	l.mu.Unlock()
	if !was {
		l.logger.Warn("redislimit: Redis unreachable; deciding locally until it answers",
			slog.String("error", err.Error()), slog.Duration("probe_interval", l.probe))
	}
}

func (l *Limiter) markUp() {
	l.mu.Lock()
	was := !l.downUntil.IsZero()
	l.downUntil = time.Time{}
	l.mu.Unlock()
	if was {
		l.logger.Info("redislimit: Redis reachable again; budget shared")
	}
}
