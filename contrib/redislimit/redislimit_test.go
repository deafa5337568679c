package redislimit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contrib/redislimit"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// startRedis starts a redis-server on a free loopback port for the test and
// returns its address. It skips the test when redis-server is not installed.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found in PATH: install it (apt-get install -y redis-server) to run the shared-budget tests")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The Checkout mock's limit, scaled: 10 per second is 600 per minute, so a
// run of a few seconds spends a few dozen requests.
const (
	mockLimit  = 10
	mockWindow = time.Second
	workers    = 4
	runFor     = 5 * time.Second
)

// hammer runs one goroutine per client listing carts for d and returns the
// calls that succeeded and those answered 429.
func hammer(t *testing.T, clients []*ghost.Client, d time.Duration) (ok, limited int) {
	t.Helper()
	var okN, limitedN atomic.Int64
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, err := c.Carts.List(ctx, nil)
				switch {
				case err == nil:
					okN.Add(1)
				case errors.Is(err, ghost.ErrRateLimited):
					limitedN.Add(1)
				case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded):
					return // the run is over, or the limiter says the next slot is after it
				default:
					t.Errorf("unexpected error: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	return int(okN.Load()), int(limitedN.Load())
}

func newClient(t *testing.T, srv *ghosttest.Server, l ghost.Limiter) *ghost.Client {
	t.Helper()
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithAPIKey(ghosttest.DefaultAPIKey),
		// Every 429 must show: no retry.
		ghost.WithRetryPolicy(ghost.RetryPolicy{}), ghost.WithLimiter(l))
	require.NoError(t, err)
	return c
}

// TestSharedBudget runs four clients, each with its own connections to the
// API and to Redis, against the Checkout mock. Sharing one budget key they
// get no 429 and use at least 90% of the budget; with a process-local
// limiter of the same rate each, they are answered 429.
func TestSharedBudget(t *testing.T) {
	addr := startRedis(t)
	newMock := func() *ghosttest.Server {
		srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout),
			ghosttest.WithConfig(ghosttest.Config{CheckoutRateLimit: mockLimit, CheckoutRateWindow: mockWindow}))
		t.Cleanup(srv.Close)
		return srv
	}
	// 95% of the mock's rate, burst 1: see redislimit.Checkout.
	budget := redislimit.Limit{Rate: mockLimit * 95 / 10, Burst: 1, Period: 10 * mockWindow}

	t.Run("shared budget key", func(t *testing.T) {
		srv := newMock()
		var clients []*ghost.Client
		for range workers {
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { rdb.Close() })
			l, err := redislimit.New(rdb, budget, redislimit.WithKey(func(ghost.LimitKey) string { return "test:checkout" }))
			require.NoError(t, err)
			clients = append(clients, newClient(t, srv, l))
		}
		ok, limited := hammer(t, clients, runFor)
		allowed := mockLimit * int(runFor/mockWindow)
		t.Logf("shared budget: %d calls succeeded of a budget of %d (%.0f%%), %d answered 429", ok, allowed, 100*float64(ok)/float64(allowed), limited)
		assert.Zero(t, limited, "no 429 with a shared budget")
		assert.GreaterOrEqual(t, ok, allowed*9/10, "the shared budget is used")
	})

	t.Run("per-process limiters", func(t *testing.T) {
		srv := newMock()
		var clients []*ghost.Client
		for range workers {
			l, err := ghost.NewRateLimiter(rate.Limit(float64(budget.Rate)/budget.Period.Seconds()), budget.Burst)
			require.NoError(t, err)
			clients = append(clients, newClient(t, srv, l))
		}
		ok, limited := hammer(t, clients, runFor/2)
		t.Logf("per-process limiters: %d calls succeeded, %d answered 429", ok, limited)
		assert.Greater(t, limited, 0, "four processes each spending the whole budget are refused")
	})
}

// TestRedisDownDegradesToLocal points the limiter at a port where no Redis
// listens: calls still succeed, paced by the local limiter, and the outage
// is logged once and counted.
func TestRedisDownDegradesToLocal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := ln.Addr().String()
	ln.Close() // nothing listens there now

	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(syncWriter{&mu, &logs}, nil))
	rdb := redis.NewClient(&redis.Options{Addr: deadAddr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	l, err := redislimit.New(rdb, redislimit.Limit{Rate: 1000, Burst: 10, Period: time.Second}, redislimit.WithLogger(logger))
	require.NoError(t, err)

	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout))
	defer srv.Close()
	c := newClient(t, srv, l)
	for i := range 5 {
		_, err := c.Carts.List(t.Context(), nil)
		require.NoError(t, err, "call %d", i)
	}
	assert.EqualValues(t, 5, l.Fallbacks())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("redislimit: Redis unreachable")), logs.String())
	assert.Contains(t, logs.String(), "level=WARN")
}

// With WithFallbackShare(n) the fallback allows 1/n of the budget, so n
// processes stay within it together while Redis is down.
func TestFallbackShare(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := ln.Addr().String()
	ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: deadAddr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	key := ghost.LimitKey{Part: ghost.PartCheckout, Host: "h"}
	limit := redislimit.Limit{Rate: 4, Burst: 1, Period: time.Second} // 4/s: a token every 250ms
	for _, tt := range []struct {
		share int
		ok    bool // whether the second token comes within 600ms
	}{{1, true}, {4, false}} { // 4 processes: 1/s each, a token every second
		opts := []redislimit.Option{redislimit.WithLogger(slog.New(slog.DiscardHandler))}
		if tt.share > 1 {
			opts = append(opts, redislimit.WithFallbackShare(tt.share))
		}
		l, err := redislimit.New(rdb, limit, opts...)
		require.NoError(t, err)
		require.NoError(t, l.Wait(t.Context(), key), "the burst")
		ctx, cancel := context.WithTimeout(t.Context(), 600*time.Millisecond)
		err = l.Wait(ctx, key)
		cancel()
		if tt.ok {
			assert.NoError(t, err, "share %d", tt.share)
		} else {
			assert.ErrorIs(t, err, context.DeadlineExceeded, "share %d", tt.share)
		}
	}
}

// TestRedisRecovers checks that the limiter asks Redis again after the
// probe interval and says so.
func TestRedisRecovers(t *testing.T) {
	addr := startRedis(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(syncWriter{&mu, &logs}, nil))
	// A client whose address is switched from a dead port to the live one.
	var live atomic.Bool
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, Dialer: func(ctx context.Context, network, a string) (net.Conn, error) {
		if !live.Load() {
			return nil, fmt.Errorf("dial %s: connection refused", a)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}})
	defer rdb.Close()
	l, err := redislimit.New(rdb, redislimit.Limit{Rate: 1000, Burst: 10, Period: time.Second},
		redislimit.WithLogger(logger), redislimit.WithProbeInterval(time.Nanosecond))
	require.NoError(t, err)
	key := ghost.LimitKey{Part: "checkout", Host: "example.test"}
	require.NoError(t, l.Wait(t.Context(), key))
	assert.EqualValues(t, 1, l.Fallbacks())
	live.Store(true)
	// go-redis itself waits a moment before dialling again after a failure.
	deadline := time.Now().Add(10 * time.Second)
	for {
		before := l.Fallbacks()
		require.NoError(t, l.Wait(t.Context(), key))
		if l.Fallbacks() == before {
			break // decided by Redis
		}
		require.True(t, time.Now().Before(deadline), "Redis never asked again")
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, logs.String(), "redislimit: Redis reachable again")
}

func TestWaitEndsWithContext(t *testing.T) {
	addr := startRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	l, err := redislimit.New(rdb, redislimit.Limit{Rate: 1, Burst: 1, Period: time.Hour},
		redislimit.WithKey(func(ghost.LimitKey) string { return "test:ctx" }))
	require.NoError(t, err)
	require.NoError(t, l.Wait(t.Context(), ghost.LimitKey{}))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, l.Wait(ctx, ghost.LimitKey{}), context.DeadlineExceeded)
	assert.Zero(t, l.Fallbacks())
}

func TestNewRefusesBadInput(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for name, tt := range map[string]struct {
		limit redislimit.Limit
		opts  []redislimit.Option
	}{
		"zero rate":        {limit: redislimit.Limit{Burst: 1, Period: time.Second}},
		"zero burst":       {limit: redislimit.Limit{Rate: 1, Period: time.Second}},
		"zero period":      {limit: redislimit.Limit{Rate: 1, Burst: 1}},
		"nil key":          {limit: redislimit.Checkout(), opts: []redislimit.Option{redislimit.WithKey(nil)}},
		"nil fallback":     {limit: redislimit.Checkout(), opts: []redislimit.Option{redislimit.WithFallback(nil)}},
		"negative timeout": {limit: redislimit.Checkout(), opts: []redislimit.Option{redislimit.WithTimeout(-1)}},
		"zero share":       {limit: redislimit.Checkout(), opts: []redislimit.Option{redislimit.WithFallbackShare(0)}},
	} {
		_, err := redislimit.New(rdb, tt.limit, tt.opts...)
		assert.Error(t, err, name)
	}
	_, err := redislimit.New(nil, redislimit.Checkout())
	assert.Error(t, err)
}

func TestOnlyPart(t *testing.T) {
	k := redislimit.OnlyPart(ghost.PartCheckout)
	assert.Equal(t, "ghost:checkout:h:1", k(ghost.LimitKey{Part: "checkout", Host: "h:1"}))
	assert.Empty(t, k(ghost.LimitKey{Part: "ghost", Host: "h:1"}))
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
