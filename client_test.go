package ghost_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestClientSideRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Time
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			func(r *http.Request) (*http.Response, error) {
				times = append(times, time.Now())
				return reply(200, `{"doc":{"id":1}}`)(r)
			},
		}}
		c := newFakeClient(t, f, ghost.WithRateLimit(rate.Every(time.Second), 2))
		start := time.Now()
		for range 5 {
			_, err := c.Accounts.Get(t.Context(), "1")
			require.NoError(t, err)
		}
		// A burst of 2, then one per second.
		assert.Equal(t, 3*time.Second, time.Since(start))
		assert.Equal(t, times[0], times[1])
		assert.Equal(t, time.Second, times[3].Sub(times[2]))
	})
}

func TestRateLimitWaitEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{"doc":{"id":1}}`)}}
		c := newFakeClient(t, f, ghost.WithRateLimit(rate.Every(time.Hour), 1))
		_, err := c.Accounts.Get(t.Context(), "1")
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = c.Accounts.Get(ctx, "1")
		require.Error(t, err)
		assert.Equal(t, 1, f.count())
	})
}

func TestPerAttemptTimeout(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			select { // slower than the client's timeout
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.Write([]byte(`{"doc":{"id":1}}`))
	}))
	defer srv.Close()
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithKeys("pk", "sk"), ghost.WithTimeout(100*time.Millisecond),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}))
	require.NoError(t, err)
	var resp ghost.Response
	a, err := c.Accounts.Get(t.Context(), "1", ghost.WithResponse(&resp))
	require.NoError(t, err, "the slow attempt times out and the retry succeeds")
	assert.Equal(t, ghost.IntID(1), a.ID)
	assert.Equal(t, 2, resp.Attempts)
}

func TestRequestTimeoutBoundsWholeCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
			func(r *http.Request) (*http.Response, error) {
				<-r.Context().Done()
				return nil, r.Context().Err()
			},
		}}
		c := newFakeClient(t, f)
		start := time.Now()
		_, err := c.Accounts.Get(t.Context(), "1", ghost.WithRequestTimeout(1500*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1500*time.Millisecond, time.Since(start))
	})
}

// TestConcurrentUse shares one client between goroutines calling every
// service; run with -race.
func TestConcurrentUse(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{"doc":{"id":1},"docs":[]}`)}}
	c := newFakeClient(t, f)
	ctx := t.Context()
	calls := []func() error{
		func() error { _, err := c.Accounts.Get(ctx, "1"); return err },
		func() error { _, err := c.Customers.Get(ctx, "1"); return err },
		func() error { _, err := c.Cards.Get(ctx, "1", "2"); return err },
		func() error { _, err := c.Orders.Get(ctx, "1"); return err },
		func() error { _, err := c.Identities.Get(ctx, "1"); return err },
		func() error { _, err := c.IdentityTypes.Get(ctx, "1"); return err },
		func() error { return c.Orders.Delete(ctx, "1") },
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32*len(calls))
	for g := range 32 {
		wg.Go(func() {
			for i := range calls {
				errs <- calls[(g+i)%len(calls)]()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 32*len(calls), f.count())
}

func TestConnectionRefusedIsRetriedThenReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := ghost.NewClient(ghost.WithBaseURL("http://"+addr), ghost.WithKeys("pk", "sk"),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
	require.NoError(t, err)
	var resp ghost.Response
	_, err = c.Accounts.Get(t.Context(), "1", ghost.WithResponse(&resp))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Contains(t, err.Error(), "GET /api/v1/accounts/1")
}

func TestConnectionPoolIsCappedAndReused(t *testing.T) {
	// The cap is on connections serving a request at once; each request is
	// held 2 ms so that requests overlap. Counting every connection ever
	// opened would not measure it: on a starved machine Go's transport does
	// not reuse a connection whose request write it has not seen finish
	// within 50 ms (persistConn.wroteRequest) and dials a replacement, which
	// the server may see before it sees the old one close. Reuse shows in
	// opened staying far below the number of calls.
	var mu sync.Mutex
	state := map[net.Conn]http.ConnState{}
	var opened, active, peak int
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"doc":{"id":1}}`))
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		if s == http.StateNew {
			opened++
		}
		if state[c] == http.StateActive {
			active--
		}
		if s == http.StateActive {
			active++
			peak = max(peak, active)
		}
		state[c] = s
	}
	srv.Start()
	defer srv.Close()
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithKeys("pk", "sk"), ghost.WithConnsPerHost(4))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 25 {
				_, err := c.Accounts.Get(t.Context(), "1")
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	assert.LessOrEqual(t, peak, 4, "400 calls from 16 goroutines over at most 4 connections at once")
	assert.Less(t, opened, 40, "connections are reused: 400 calls, %d connections", opened)
}
