package ghost_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitExportRange(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name       string
		start, end time.Time
		window     time.Duration
		want       [][2]time.Time // nil: refused
	}{
		{"default 30 days, last shorter", t0, t0.Add(75 * day), 0,
			[][2]time.Time{{t0, t0.Add(30 * day)}, {t0.Add(30 * day), t0.Add(60 * day)}, {t0.Add(60 * day), t0.Add(75 * day)}}},
		{"exact multiple", t0, t0.Add(2 * day), day, [][2]time.Time{{t0, t0.Add(day)}, {t0.Add(day), t0.Add(2 * day)}}},
		{"shorter than one window", t0, t0.Add(time.Hour), day, [][2]time.Time{{t0, t0.Add(time.Hour)}}},
		{"the minimum window", t0, t0.Add(1500 * time.Millisecond), ghost.MinExportWindow,
			[][2]time.Time{{t0, t0.Add(time.Second)}, {t0.Add(time.Second), t0.Add(1500 * time.Millisecond)}}},
		{"under the minimum", t0, t0.Add(day), time.Second - time.Millisecond, nil},
		{"over 30 days", t0, t0.Add(90 * day), 31 * day, nil},
		{"negative", t0, t0.Add(day), -time.Hour, nil},
		{"end before start", t0.Add(day), t0, day, nil},
		{"empty range", t0, t0, day, nil},
		{"no start", time.Time{}, t0, day, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := ghost.SplitExportRange(tc.start, tc.end, tc.window)
			if tc.want == nil {
				require.ErrorIs(t, err, ghost.ErrValidation)
				return
			}
			require.NoError(t, err)
			require.Equal(t, len(tc.want), ws.Len())
			var got [][2]time.Time
			for w := range ws.All() {
				assert.Equal(t, len(got), w.Index)
				assert.Equal(t, w, ws.At(w.Index))
				got = append(got, [2]time.Time{w.Start, w.End})
			}
			assert.Equal(t, tc.want, got)
		})
	}

	t.Run("a second over two centuries is computed, not listed", func(t *testing.T) {
		end := t0.AddDate(200, 0, 0)
		var ws ghost.ExportWindows
		var err error
		allocs := testing.AllocsPerRun(10, func() { ws, err = ghost.SplitExportRange(t0, end, time.Second) })
		require.NoError(t, err)
		assert.Zero(t, allocs)
		assert.Equal(t, int(end.Sub(t0)/time.Second), ws.Len())
		last := ws.At(ws.Len() - 1)
		assert.Equal(t, end, last.End)
		assert.Equal(t, end.Add(-time.Second), last.Start)
		assert.Equal(t, "#6311347199 2225-12-31T23:59:59Z–2226-01-01T00:00:00Z", last.String())
		assert.Panics(t, func() { ws.At(ws.Len()) })
		n := 0
		for range ws.All() {
			if n++; n == 3 {
				break
			}
		}
		assert.Equal(t, 3, n)
	})
	t.Run("too long to measure", func(t *testing.T) {
		_, err := ghost.SplitExportRange(t0.AddDate(-300, 0, 0), t0, 30*day)
		require.ErrorIs(t, err, ghost.ErrValidation)
	})
}

// Range runs a tiny window over a long range without listing its windows:
// the first window's refusal comes back at once (it listed 315 million
// windows, 15 GB, before).
func TestRangeTinyWindowLongRange(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message":"no"}`)
	}))
	t.Cleanup(hs.Close)
	c, err := ghost.NewClient(ghost.WithBaseURL(hs.URL), ghost.WithBearerToken("tok"))
	require.NoError(t, err)
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: end.AddDate(-10, 0, 0), End: end, Window: time.Second, TempDir: t.TempDir()}
	var got error
	for _, err := range c.Exports.Range(t.Context(), "M1", p) {
		got = err
	}
	require.ErrorIs(t, got, ghost.ErrValidation)
	assert.Contains(t, got.Error(), "window 1 of 315619200")

	p.Window = 999 * time.Millisecond
	for _, err := range c.Exports.Range(t.Context(), "M1", p) {
		got = err
	}
	require.ErrorIs(t, got, ghost.ErrValidation)
	assert.Contains(t, got.Error(), "between 1s and 30 days")
}

func TestClassifyExportError(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 30, 0, 0, time.UTC)
	unavailable := func(msg string, ra time.Duration) *ghost.Error {
		return &ghost.Error{StatusCode: http.StatusServiceUnavailable, Code: "service_unavailable", Message: msg, RetryAfter: ra}
	}
	netErr := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	for _, tc := range []struct {
		name  string
		err   error
		kind  ghost.ExportErrorKind
		wait  time.Duration
		hours bool
	}{
		{"too many exports", unavailable("Too many concurrent exports", 0), ghost.ExportErrorConcurrency, 0, false},
		{"too many, with Retry-After", unavailable("concurrency limit reached", 20*time.Second), ghost.ExportErrorConcurrency, 20 * time.Second, false},
		{"closed, hours named", unavailable("Exports are available 10:00-15:00 UTC", 0), ghost.ExportErrorServiceHours, 90 * time.Minute, true},
		{"closed, hours unknown", unavailable("outside service hours", 0), ghost.ExportErrorServiceHours, 0, true},
		{"503, no reason", unavailable("", 0), ghost.ExportErrorTransient, 0, false},
		{"429", &ghost.Error{StatusCode: 429, RetryAfter: 3 * time.Second}, ghost.ExportErrorTransient, 3 * time.Second, false},
		{"500", &ghost.Error{StatusCode: 500}, ghost.ExportErrorTransient, 0, false},
		{"400", &ghost.Error{StatusCode: 400, Code: ghost.CodeInvalidParams}, ghost.ExportErrorPermanent, 0, false},
		{"401", &ghost.Error{StatusCode: 401}, ghost.ExportErrorPermanent, 0, false},
		{"refused before sending", &ghost.Error{Code: ghost.CodeMissingCredentials}, ghost.ExportErrorPermanent, 0, false},
		{"connection reset", fmt.Errorf("ghost: GET /x: %w", netErr), ghost.ExportErrorTransient, 0, false},
		{"answer lost", fmt.Errorf("%w: %w", ghost.ErrExportCreateUnknown, netErr), ghost.ExportErrorCreateUnknown, 0, false},
		{"cancelled", fmt.Errorf("ghost: POST /x: %w", context.Canceled), ghost.ExportErrorStopped, 0, false},
		{"expired", fmt.Errorf("ghost: export E1: %w", ghost.ErrExportExpired), ghost.ExportErrorExpired, 0, false},
		{"failed", fmt.Errorf("ghost: export E1 is FAILED: %w", ghost.ErrExportFailed), ghost.ExportErrorFailed, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ghost.ClassifyExportError(tc.err, now)
			assert.Equal(t, tc.kind, c.Kind)
			assert.Equal(t, tc.wait, c.Wait)
			assert.Equal(t, tc.hours, c.Hours != nil)
		})
	}

	t.Run("Create outside the mock's hours", func(t *testing.T) {
		srv, c := newExportServer(t, ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 15}}))
		srv.Clock.Set(exportT0.Truncate(24 * time.Hour).Add(20 * time.Hour))
		_, err := c.Exports.Create(t.Context(), "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0})
		cl := ghost.ClassifyExportError(err, srv.Clock.Now())
		assert.Equal(t, ghost.ExportErrorServiceHours, cl.Kind)
		require.NotNil(t, cl.Hours)
		assert.Equal(t, 14*time.Hour, cl.Wait, "20:00 to 10:00 the next day")
	})
}

func TestExportsFile(t *testing.T) {
	start := exportT0.Add(-30 * 24 * time.Hour)
	t.Run("each file alone, as Objects gives them", func(t *testing.T) {
		srv, c := newExportServer(t)
		e := doneExport(t, srv, "M1", ghost.ExportTypeOrders, start, exportT0)
		require.Greater(t, len(e.ExportURLs), 1)
		var all, byFile []ghost.ID
		for o, err := range c.Exports.Orders(t.Context(), e) {
			require.NoError(t, err)
			all = append(all, o.ID)
		}
		for i := range e.ExportURLs {
			n := 0
			for o, err := range ghost.ExportFileObjects[ghost.ExportedOrder](t.Context(), c.Exports, e, i) {
				require.NoError(t, err)
				byFile = append(byFile, o.ID)
				n++
			}
			assert.LessOrEqual(t, n, ghost.MaxExportFileObjects)
		}
		assert.Equal(t, all, byFile)
		assert.Len(t, all, len(gridIDs("O", start, exportT0, 37*time.Minute)))
	})
	t.Run("refused without a request", func(t *testing.T) {
		srv, c := newExportServer(t)
		e := doneExport(t, srv, "M1", ghost.ExportTypeOrders, start, exportT0)
		before := len(srv.Requests())
		for _, i := range []int{-1, len(e.ExportURLs)} {
			for _, err := range c.Exports.File(t.Context(), e, i) {
				require.ErrorIs(t, err, ghost.ErrValidation)
			}
		}
		pending := *e
		pending.Status = ghost.ExportStatusInProgress
		for _, err := range c.Exports.File(t.Context(), &pending, 0) {
			require.ErrorIs(t, err, ghost.ErrValidation)
		}
		assert.Len(t, srv.Requests(), before)
	})
	t.Run("a cut download resumes, each object once", func(t *testing.T) {
		srv, c := newExportServer(t)
		e := doneExport(t, srv, "M1", ghost.ExportTypeOrders, start, exportT0)
		var want []ghost.ID
		for o, err := range ghost.ExportFileObjects[ghost.ExportedOrder](t.Context(), c.Exports, e, 0) {
			require.NoError(t, err)
			want = append(want, o.ID)
		}
		srv.InjectFault(ghosttest.Fault{Method: "GET", PathPrefix: "/v3/exports/files/", CutBody: true})
		var got []ghost.ID
		for o, err := range ghost.ExportFileObjects[ghost.ExportedOrder](t.Context(), c.Exports, e, 0) {
			require.NoError(t, err)
			got = append(got, o.ID)
		}
		assert.Equal(t, want, got)
		gets := 0
		for _, r := range srv.Requests() {
			if strings.HasPrefix(r.Path, "/v3/exports/files/") {
				gets++
			}
		}
		assert.Equal(t, 3, gets, "one whole, one cut, one resumed")
	})
	t.Run("more than 1000 objects in a file", func(t *testing.T) {
		srv := newCountingServer(t, fixed(200, exportFileOf(ghost.MaxExportFileObjects+1)))
		c := clientFor(t, srv.URL)
		n := 0
		var got error
		for _, err := range c.Exports.File(t.Context(), doneExportAt(srv.URL+"/f1.json"), 0) {
			if err != nil {
				got = err
				break
			}
			n++
		}
		assert.Equal(t, ghost.MaxExportFileObjects, n)
		require.ErrorIs(t, got, ghost.ErrResponseTooLarge)
	})
}
