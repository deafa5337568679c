package ghosttemporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

var day = 24 * time.Hour

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// split lists the windows ghost.SplitExportRange makes of a range.
func split(start, end time.Time, size time.Duration) ([]Window, error) {
	ws, err := ghost.SplitExportRange(start, end, size)
	if err != nil {
		return nil, err
	}
	return slices.Collect(ws.All()), nil
}

// fakeAPI scripts the activities for workflow tests. Each window's exports
// become DONE after pollsToDone polls, unless a hook says otherwise.
type fakeAPI struct {
	env *testsuite.TestWorkflowEnvironment

	mu          sync.Mutex
	pollsToDone int
	n           int
	polls       map[ghost.ID]int
	exportOf    map[ghost.ID]Window
	running     map[int]int // window → exports created and not downloaded
	inFlight    int         // windows with a live export
	maxInFlight int
	creates     []time.Time // when each create was called (env clock)
	downloads   map[int]int // window → successful downloads

	// hooks: return a non-nil error to fail the call.
	onCreate   func(call int, in CreateInput) error
	status     func(id ghost.ID, w Window) ghost.ExportStatus // final status (default DONE)
	onDownload func(call int, in DownloadInput) error
	dlCalls    int
}

func newFake(env *testsuite.TestWorkflowEnvironment) *fakeAPI {
	f := &fakeAPI{env: env, pollsToDone: 2, polls: map[ghost.ID]int{}, exportOf: map[ghost.ID]Window{},
		running: map[int]int{}, downloads: map[int]int{}}
	var a *Activities
	env.RegisterActivity(a)
	env.OnActivity(a.CreateExport, mock.Anything, mock.Anything).Return(f.create)
	env.OnActivity(a.GetExport, mock.Anything, mock.Anything).Return(f.get)
	env.OnActivity(a.DownloadExport, mock.Anything, mock.Anything).Return(f.download)
	return f
}

func (f *fakeAPI) create(_ context.Context, in CreateInput) (*ghost.Export, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, f.env.Now())
	if f.onCreate != nil {
		if err := f.onCreate(len(f.creates), in); err != nil {
			return nil, err
		}
	}
	f.n++
	id := ghost.ID(fmt.Sprintf("E%d", f.n))
	f.exportOf[id] = in.Window
	if f.running[in.Window.Index] == 0 {
		f.inFlight++
		f.maxInFlight = max(f.maxInFlight, f.inFlight)
	}
	f.running[in.Window.Index]++
	return &ghost.Export{ID: id, Status: ghost.ExportStatusPending, MerchantID: in.MerchantID}, nil
}

func (f *fakeAPI) get(_ context.Context, in GetInput) (*ghost.Export, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls[in.ExportID]++
	e := &ghost.Export{ID: in.ExportID, Status: ghost.ExportStatusInProgress}
	if f.polls[in.ExportID] >= f.pollsToDone {
		e.Status = ghost.ExportStatusDone
		if f.status != nil {
			e.Status = f.status(in.ExportID, f.exportOf[in.ExportID])
		}
		if e.Status == ghost.ExportStatusDone {
			e.ExportURLs = []ghost.ExportURL{{URL: "https://files.test/1", ExportID: in.ExportID}}
		} else {
			f.finish(f.exportOf[in.ExportID])
		}
	}
	return e, nil
}

// finish marks one export of w as no longer running; mu is held.
func (f *fakeAPI) finish(w Window) {
	f.running[w.Index]--
	if f.running[w.Index] == 0 {
		f.inFlight--
	}
}

func (f *fakeAPI) download(_ context.Context, in DownloadInput) (DownloadResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dlCalls++
	if f.onDownload != nil {
		if err := f.onDownload(f.dlCalls, in); err != nil {
			f.finish(in.Window)
			return DownloadResult{}, err
		}
	}
	f.finish(in.Window)
	f.downloads[in.Window.Index]++
	return DownloadResult{Files: 1, Objects: 10}, nil
}

// testSinkURL is the sink of workflow tests, whose activities are fakes.
const testSinkURL = "file:///nonexistent/sink"

func rangeParams(days int, o RangeOptions) RangeParams {
	s := date(2025, 1, 1)
	return RangeParams{MerchantID: "m1", Type: ghost.ExportTypeOrders, Start: s, End: s.Add(time.Duration(days) * day),
		Sink: testSinkURL, Options: o}
}

// quietSuite is a test suite that logs nothing (the workflows log every
// retry).
func quietSuite() *testsuite.WorkflowTestSuite {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	return &s
}

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env := quietSuite().NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(ExportRange, workflow.RegisterOptions{Name: ExportRangeWorkflow})
	env.SetStartTime(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	return env
}

func rangeResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) (RangeResult, error) {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	var res RangeResult
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return res, err
}

func TestExportRangeInFlightBound(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("MaxInFlight=%d", n), func(t *testing.T) {
			env := newEnv(t)
			f := newFake(env)
			f.pollsToDone = 3
			var mid []RangeProgress
			for _, at := range []time.Duration{5 * time.Second, 15 * time.Second, 40 * time.Second} {
				env.RegisterDelayedCallback(func() {
					v, err := env.QueryWorkflow(ProgressQuery)
					require.NoError(t, err)
					var p RangeProgress
					require.NoError(t, v.Get(&p))
					mid = append(mid, p)
				}, at)
			}
			env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(400, RangeOptions{MaxInFlight: n}))
			res, err := rangeResult(t, env)
			require.NoError(t, err)
			assert.Equal(t, RangeResult{MerchantID: "m1", Windows: 14, Done: 14, Files: 14, Objects: 140, Exports: 14, Runs: 1}, res)
			assert.Equal(t, n, f.maxInFlight, "windows in flight at once")
			for i := range 14 {
				assert.Equal(t, 1, f.downloads[i], "window %d downloaded once", i)
			}
			require.Len(t, mid, 3)
			for _, p := range mid {
				assert.Equal(t, 14, p.Windows)
				assert.Equal(t, 14, p.Done+p.InFlight+p.Waiting+p.Failed, "%+v", p)
				assert.LessOrEqual(t, p.InFlight, n)
				assert.Equal(t, int64(10*p.Done), p.Objects)
			}
			assert.Equal(t, min(n, 14), mid[0].InFlight, "first query: %+v", mid[0])

			v, err := env.QueryWorkflow(ProgressQuery)
			require.NoError(t, err)
			var p RangeProgress
			require.NoError(t, v.Get(&p))
			require.Len(t, p.Window, 14)
			ws, err := split(date(2025, 1, 1), date(2025, 1, 1).Add(400*day), 0)
			require.NoError(t, err)
			for i, w := range p.Window {
				assert.Equal(t, WindowProgress{Index: i, Start: ws[i].Start, End: ws[i].End,
					Phase: PhaseDone, Export: w.Export, Files: 1, Objects: 10}, w)
			}
			p.Window = nil
			assert.Equal(t, RangeProgress{MerchantID: "m1", Windows: 14, Done: 14, Objects: 140, Files: 14, Run: 1}, p)
		})
	}
}

func unavailableErr(typ string, d UnavailableDetails) error {
	return temporal.NewNonRetryableApplicationError("503", typ, nil, d)
}

func TestExportRangeWaitsThrough503(t *testing.T) {
	o := RangeOptions{RetryInterval: 30 * time.Second, MaxRetryInterval: 10 * time.Minute}
	hours := UnavailableDetails{Open: 10 * time.Hour, Close: 15 * time.Hour, HasHours: true}
	tests := []struct {
		name  string
		start time.Time
		errs  []error
		// gaps between create calls
		want  []time.Duration
		hours bool // the successful create must fall in 10:00–15:00
	}{
		{"too many exports: backoff", time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),
			[]error{unavailableErr(ErrTypeUnavailable, UnavailableDetails{}), unavailableErr(ErrTypeUnavailable, UnavailableDetails{})},
			[]time.Duration{30 * time.Second, 45 * time.Second}, false},
		{"Retry-After longer than the backoff", time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),
			[]error{unavailableErr(ErrTypeUnavailable, UnavailableDetails{RetryAfter: 5 * time.Minute})},
			[]time.Duration{5 * time.Minute}, false},
		{"before opening hours: wait until 10:00", time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC),
			[]error{unavailableErr(ErrTypeServiceHours, hours)},
			[]time.Duration{2*time.Hour + 30*time.Minute}, true},
		{"after closing: wait until 10:00 tomorrow", time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC),
			[]error{unavailableErr(ErrTypeServiceHours, hours)},
			[]time.Duration{18 * time.Hour}, true},
		{"hours not named: MaxRetryInterval", time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC),
			[]error{unavailableErr(ErrTypeServiceHours, UnavailableDetails{})},
			[]time.Duration{10 * time.Minute}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			env.SetStartTime(tt.start)
			f := newFake(env)
			f.onCreate = func(call int, _ CreateInput) error {
				if call <= len(tt.errs) {
					return tt.errs[call-1]
				}
				return nil
			}
			env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, o))
			res, err := rangeResult(t, env)
			require.NoError(t, err)
			assert.Equal(t, 1, res.Exports)
			require.Len(t, f.creates, len(tt.errs)+1)
			for i, want := range tt.want {
				assert.Equal(t, want, f.creates[i+1].Sub(f.creates[i]), "gap before create %d", i+2)
			}
			if tt.hours {
				last := f.creates[len(f.creates)-1]
				assert.True(t, last.Hour() >= 10 && last.Hour() < 15, "created at %s, outside 10:00–15:00", last)
			}
		})
	}
}

func windowErr(t *testing.T, err error) (*temporal.ApplicationError, WindowFailure) {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "error %v is not an application error", err)
	var wf WindowFailure
	if ae.HasDetails() {
		require.NoError(t, ae.Details(&wf))
	}
	return ae, wf
}

func TestExportRangeFailedExport(t *testing.T) {
	t.Run("re-created once", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.status = func(id ghost.ID, _ Window) ghost.ExportStatus {
			if id == "E1" {
				return ghost.ExportStatusFailed
			}
			return ghost.ExportStatusDone
		}
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, RangeOptions{}))
		res, err := rangeResult(t, env)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Exports)
		assert.Equal(t, 1, f.downloads[0])
	})
	t.Run("FAILED twice fails the window", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.status = func(_ ghost.ID, w Window) ghost.ExportStatus {
			if w.Index == 1 {
				return ghost.ExportStatusFailed
			}
			return ghost.ExportStatusDone
		}
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(90, RangeOptions{MaxInFlight: 1}))
		_, err := rangeResult(t, env)
		require.Error(t, err)
		ae, wf := windowErr(t, err)
		assert.Equal(t, ErrTypeWindowFailed, ae.Type())
		assert.Equal(t, 1, wf.Window.Index)
		assert.Equal(t, []ghost.ID{"E2", "E3"}, wf.ExportIDs)
		assert.Equal(t, ErrTypeFailed, wf.Kind)
		assert.Len(t, f.creates, 4, "window 0 once, window 1 twice, window 2 once: the others go on")
		assert.Equal(t, map[int]int{0: 1, 2: 1}, f.downloads)
		var res RangeResult
		require.NoError(t, ae.Details(&wf, &res))
		assert.Equal(t, 2, res.Done)
		require.Len(t, res.Failed, 1)
		assert.Equal(t, 1, res.Failed[0].Window.Index)
	})
}

func TestExportRangeExpiredFiles(t *testing.T) {
	expired := temporal.NewNonRetryableApplicationError("gone", ErrTypeExpired, nil)
	t.Run("window exported again", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.onDownload = func(call int, _ DownloadInput) error {
			if call == 1 {
				return expired
			}
			return nil
		}
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, RangeOptions{}))
		res, err := rangeResult(t, env)
		require.NoError(t, err)
		assert.Equal(t, RangeResult{MerchantID: "m1", Windows: 1, Done: 1, Files: 1, Objects: 10, Exports: 2, Runs: 1}, res)
		assert.Equal(t, 2, f.dlCalls)
	})
	t.Run("gives up after MaxReexports", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.onDownload = func(int, DownloadInput) error { return expired }
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, RangeOptions{MaxReexports: 2}))
		_, err := rangeResult(t, env)
		ae, wf := windowErr(t, err)
		assert.Equal(t, ErrTypeWindowFailed, ae.Type())
		assert.Equal(t, ErrTypeExpired, wf.Kind)
		assert.Len(t, f.creates, 3)
	})
}

func TestExportRangeLostCreateAnswer(t *testing.T) {
	lost := temporal.NewNonRetryableApplicationError("connection reset", ErrTypeAmbiguousCreate, nil)
	t.Run("waits AmbiguousCreateWait before creating again", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.onCreate = func(call int, _ CreateInput) error {
			if call == 1 {
				return lost
			}
			return nil
		}
		var during RangeProgress
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(ProgressQuery)
			require.NoError(t, err)
			require.NoError(t, v.Get(&during))
		}, time.Hour)
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, RangeOptions{AmbiguousCreateWait: 3 * time.Hour}))
		res, err := rangeResult(t, env)
		require.NoError(t, err)
		assert.Equal(t, 1, res.Exports)
		require.Len(t, f.creates, 2)
		assert.Equal(t, 3*time.Hour, f.creates[1].Sub(f.creates[0]))
		require.Len(t, during.Window, 1)
		w := during.Window[0]
		assert.Equal(t, PhaseParked, w.Phase)
		require.NotNil(t, w.ParkedUntil)
		assert.True(t, f.creates[0].Add(3*time.Hour).Equal(*w.ParkedUntil), "parked until %s", w.ParkedUntil)
		during.Window = nil
		assert.Equal(t, RangeProgress{MerchantID: "m1", Windows: 1, Parked: 1, AmbiguousCreates: 1, Run: 1}, during)
	})
	t.Run("FailOnAmbiguousCreate", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.onCreate = func(int, CreateInput) error { return lost }
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, RangeOptions{FailOnAmbiguousCreate: true}))
		_, err := rangeResult(t, env)
		ae, wf := windowErr(t, err)
		assert.Equal(t, ErrTypeWindowFailed, ae.Type())
		assert.Equal(t, ErrTypeAmbiguousCreate, wf.Kind)
		assert.Len(t, f.creates, 1, "never created twice")
	})
	t.Run("create activity timed out (worker lost): treated as lost", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.onCreate = func(call int, _ CreateInput) error {
			if call == 1 {
				return temporal.NewTimeoutError(0, nil)
			}
			return nil
		}
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, RangeOptions{AmbiguousCreateWait: time.Hour}))
		res, err := rangeResult(t, env)
		require.NoError(t, err)
		assert.Equal(t, 1, res.Exports)
		require.Len(t, f.creates, 2)
		assert.Equal(t, time.Hour, f.creates[1].Sub(f.creates[0]))
	})
	t.Run("permanent create error fails at once", func(t *testing.T) {
		env := newEnv(t)
		f := newFake(env)
		f.onCreate = func(int, CreateInput) error {
			return temporal.NewNonRetryableApplicationError("401", ErrTypePermanent, nil)
		}
		env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(90, RangeOptions{MaxInFlight: 1}))
		_, err := rangeResult(t, env)
		ae, wf := windowErr(t, err)
		assert.Equal(t, ErrTypeWindowFailed, ae.Type())
		assert.Equal(t, ErrTypePermanent, wf.Kind)
		assert.Len(t, f.creates, 1, "no other window is started after a failure for good")
		var res RangeResult
		require.NoError(t, ae.Details(&wf, &res))
		require.Len(t, res.Failed, 3, "the windows not run are listed as failed, to be run again")
		for i, w := range res.Failed {
			assert.Equal(t, i, w.Window.Index)
		}
		assert.Contains(t, res.Failed[1].Reason, "not run: window 0 failed for good")
	})
}

func TestExportMerchantsContinuesAsNew(t *testing.T) {
	merchants := make([]ghost.ID, 7)
	for i := range merchants {
		merchants[i] = ghost.ID(fmt.Sprintf("m%d", i))
	}
	p := MerchantsParams{Merchants: merchants, Type: ghost.ExportTypeOrders, Start: date(2025, 1, 1), End: date(2025, 3, 1), Sink: testSinkURL,
		MaxConcurrent: 2, MerchantsPerRun: 3}
	seen := map[ghost.ID]int{}
	var runs []int
	var mu sync.Mutex
	running, maxRunning := 0, 0
	res, n, err := runToEnd[MerchantsParams, MerchantsResult](t, ExportMerchantsWorkflow, p, func(env *testsuite.TestWorkflowEnvironment, run int) {
		runs = append(runs, 0)
		env.OnWorkflow(ExportRangeWorkflow, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, rp RangeParams) (RangeResult, error) {
			mu.Lock()
			running++
			runs[run-1]++
			maxRunning = max(maxRunning, running)
			seen[rp.MerchantID]++
			mu.Unlock()
			// Children take a while, so that the bound matters.
			_ = workflow.Sleep(ctx, time.Minute)
			mu.Lock()
			running--
			mu.Unlock()
			if rp.MerchantID == "m4" {
				return RangeResult{}, errors.New("boom")
			}
			return RangeResult{MerchantID: rp.MerchantID, Windows: 2, Done: 2, Files: 2, Objects: 100}, nil
		})
	})
	require.NoError(t, err)
	assert.LessOrEqual(t, maxRunning, 2)
	assert.Equal(t, 3, n)
	assert.Equal(t, 7, res.Merchants)
	assert.Equal(t, 3, res.Runs)
	assert.Equal(t, int64(600), res.Objects)
	assert.Equal(t, 12, res.Windows)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, 1, res.FailedCount, "counted across continue-as-new")
	assert.Equal(t, ghost.ID("m4"), res.Failed[0].MerchantID)
	assert.Equal(t, []int{3, 3, 1}, runs, "children per run")
	for _, m := range merchants {
		assert.Equal(t, 1, seen[m], "merchant %s exported once", m)
	}
}

func TestExportRangeDownloadRetriedAfterWorkerLoss(t *testing.T) {
	env := newEnv(t)
	f := newFake(env)
	f.onDownload = func(call int, _ DownloadInput) error {
		if call == 1 {
			// What the server reports when the worker running the download
			// stops heartbeating.
			return temporal.NewHeartbeatTimeoutError()
		}
		return nil
	}
	env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(10, RangeOptions{}))
	res, err := rangeResult(t, env)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Exports, "the same export is downloaded again, not re-created")
	assert.Equal(t, 2, f.dlCalls)
	assert.Equal(t, map[int]int{0: 1}, f.downloads)
}

// A window whose create answer was lost is parked and gives up its slot:
// the windows after it run meanwhile, and it creates again once the wait
// is over.
func TestExportRangeParkedWindowGivesUpSlot(t *testing.T) {
	lost := temporal.NewNonRetryableApplicationError("connection reset", ErrTypeAmbiguousCreate, nil)
	env := newEnv(t)
	f := newFake(env)
	var order []int
	f.onCreate = func(call int, in CreateInput) error {
		order = append(order, in.Window.Index)
		if call == 1 {
			return lost
		}
		return nil
	}
	env.ExecuteWorkflow(ExportRangeWorkflow, rangeParams(90, RangeOptions{MaxInFlight: 1, AmbiguousCreateWait: 3 * time.Hour}))
	res, err := rangeResult(t, env)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Done)
	assert.Equal(t, []int{0, 1, 2, 0}, order, "windows 1 and 2 ran while window 0 was parked")
	require.Len(t, f.creates, 4)
	assert.Less(t, f.creates[2].Sub(f.creates[0]), time.Hour, "window 2 did not wait for window 0")
	assert.Equal(t, 3*time.Hour, f.creates[3].Sub(f.creates[0]))
	assert.Equal(t, 1, f.maxInFlight)
}

// With YieldParked (a merchant under ExportMerchants), a run whose windows
// left are all parked returns them instead of waiting.
func TestExportRangeYieldParked(t *testing.T) {
	lost := temporal.NewNonRetryableApplicationError("connection reset", ErrTypeAmbiguousCreate, nil)
	env := newEnv(t)
	f := newFake(env)
	f.onCreate = func(call int, in CreateInput) error {
		if in.Window.Index == 1 {
			return lost
		}
		return nil
	}
	p := rangeParams(90, RangeOptions{MaxInFlight: 2, AmbiguousCreateWait: 3 * time.Hour})
	p.YieldParked = true
	env.ExecuteWorkflow(ExportRangeWorkflow, p)
	res, err := rangeResult(t, env)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Done)
	require.Len(t, res.Parked, 1)
	pw := res.Parked[0]
	assert.Equal(t, 1, pw.Index)
	assert.Equal(t, 1, pw.Lost)
	assert.True(t, pw.Until.Equal(f.creates[1].Add(3*time.Hour)), "parked until %s", pw.Until)
	assert.Less(t, env.Now().Sub(f.creates[0]), time.Hour, "returned without waiting")

	// Resumed (as ExportMerchants does): the window creates again at once.
	env2 := newEnv(t)
	env2.SetStartTime(pw.Until)
	f2 := newFake(env2)
	env2.ExecuteWorkflow(ExportRangeWorkflow, RangeParams{MerchantID: "m1", Type: ghost.ExportTypeOrders, Start: p.Start, End: p.End,
		Sink: testSinkURL, YieldParked: true, Only: []int{1}, Carry: &RangeCarry{Next: 1, Parked: res.Parked}})
	res2, err := rangeResult(t, env2)
	require.NoError(t, err)
	assert.Equal(t, RangeResult{MerchantID: "m1", Windows: 1, Done: 1, Files: 1, Objects: 10, Exports: 1, Runs: 1}, res2)
	assert.Equal(t, map[int]int{1: 1}, f2.downloads)
}

// runToEnd runs a workflow through its continue-as-new runs (each in a new
// test environment, from where the last one stopped) and returns the last
// result and the run count.
func runToEnd[P, R any](t *testing.T, name string, p P, setup func(env *testsuite.TestWorkflowEnvironment, run int)) (R, int, error) {
	t.Helper()
	var zero R
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for run := 1; ; run++ {
		require.LessOrEqual(t, run, 50, "too many runs")
		env := newEnv(t)
		env.RegisterWorkflowWithOptions(ExportMerchants, workflow.RegisterOptions{Name: ExportMerchantsWorkflow})
		env.SetStartTime(start)
		setup(env, run)
		env.ExecuteWorkflow(name, p)
		require.True(t, env.IsWorkflowCompleted())
		start = env.Now()
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			require.Equal(t, name, can.WorkflowType.Name)
			var next P
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			p = next
			continue
		}
		if err != nil {
			return zero, run, err
		}
		var res R
		require.NoError(t, env.GetWorkflowResult(&res))
		return res, run, nil
	}
}

// A long range continues as new every WindowsPerRun windows, carrying its
// totals, its failed windows and its parked windows.
func TestExportRangeContinuesAsNew(t *testing.T) {
	lost := temporal.NewNonRetryableApplicationError("connection reset", ErrTypeAmbiguousCreate, nil)
	p := rangeParams(365*2, RangeOptions{MaxInFlight: 2, WindowsPerRun: 5, AmbiguousCreateWait: 3 * time.Hour})
	downloads := map[int]int{}
	var fakes []*fakeAPI
	res, runs, err := runToEnd[RangeParams, RangeResult](t, ExportRangeWorkflow, p, func(env *testsuite.TestWorkflowEnvironment, run int) {
		f := newFake(env)
		fakes = append(fakes, f)
		f.status = func(_ ghost.ID, w Window) ghost.ExportStatus {
			if w.Index == 7 {
				return ghost.ExportStatusFailed
			}
			return ghost.ExportStatusDone
		}
		f.onCreate = func(call int, in CreateInput) error {
			if in.Window.Index == 3 && run == 1 {
				return lost // parked across the next continue-as-new
			}
			return nil
		}
		f.onDownload = func(_ int, in DownloadInput) error { downloads[in.Window.Index]++; return nil }
	})
	ws, _ := split(p.Start, p.End, 0)
	require.Len(t, ws, 25)
	require.Error(t, err)
	ae, wf := windowErr(t, err)
	assert.Equal(t, ErrTypeWindowFailed, ae.Type())
	assert.Equal(t, 7, wf.Window.Index)
	require.NoError(t, ae.Details(&wf, &res))
	assert.Equal(t, 24, res.Done)
	assert.Equal(t, int64(240), res.Objects)
	assert.Len(t, res.Failed, 1)
	assert.Equal(t, runs, res.Runs)
	assert.GreaterOrEqual(t, runs, 5, "25 windows, 5 per run")
	for i := range ws {
		if i != 7 {
			assert.Equal(t, 1, downloads[i], "window %d downloaded once", i)
		}
	}
}

// A merchant whose windows left are all parked gives up its slot: the
// merchants after it run meanwhile, and it is resumed when its wait is over.
func TestExportMerchantsParkedMerchantGivesUpSlot(t *testing.T) {
	p := MerchantsParams{Merchants: []ghost.ID{"m1", "m2", "m3"}, Type: ghost.ExportTypeOrders, Start: date(2025, 1, 1),
		End: date(2025, 3, 1), Sink: testSinkURL, MaxConcurrent: 1}
	type call struct {
		merchant ghost.ID
		at       time.Time
		only     []int
	}
	var calls []call
	parkedUntil := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	res, _, err := runToEnd[MerchantsParams, MerchantsResult](t, ExportMerchantsWorkflow, p, func(env *testsuite.TestWorkflowEnvironment, _ int) {
		env.OnWorkflow(ExportRangeWorkflow, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, rp RangeParams) (RangeResult, error) {
			calls = append(calls, call{rp.MerchantID, workflow.Now(ctx), rp.Only})
			require.True(t, rp.YieldParked)
			_ = workflow.Sleep(ctx, time.Minute)
			if rp.MerchantID == "m1" && rp.Carry == nil {
				return RangeResult{MerchantID: "m1", Windows: 2, Done: 1, Objects: 10,
					Parked: []ParkedWindow{{Index: 1, Until: parkedUntil, Exports: nil, Lost: 1}}}, nil
			}
			if rp.MerchantID == "m1" {
				assert.Equal(t, []ParkedWindow{{Index: 1, Until: parkedUntil, Lost: 1}}, rp.Carry.Parked)
				return RangeResult{MerchantID: "m1", Windows: 1, Done: 1, Objects: 10}, nil
			}
			return RangeResult{MerchantID: rp.MerchantID, Windows: 2, Done: 2, Objects: 20}, nil
		})
	})
	require.NoError(t, err)
	require.Len(t, calls, 4)
	assert.Equal(t, []ghost.ID{"m1", "m2", "m3", "m1"}, []ghost.ID{calls[0].merchant, calls[1].merchant, calls[2].merchant, calls[3].merchant})
	assert.Less(t, calls[2].at.Sub(calls[0].at), time.Hour, "m2 and m3 did not wait for m1's parked window")
	assert.True(t, calls[3].at.Equal(parkedUntil), "m1 resumed at %s", calls[3].at)
	assert.Equal(t, []int{1}, calls[3].only)
	assert.Equal(t, MerchantsResult{Merchants: 3, Windows: 6, Objects: 60, Runs: 1}, res)
}

// A merchant's failed windows are listed in the result, to be run again.
func TestExportMerchantsListsFailedWindows(t *testing.T) {
	p := MerchantsParams{Merchants: []ghost.ID{"m1", "m2", "m3"}, Type: ghost.ExportTypeOrders, Start: date(2025, 1, 1),
		End: date(2025, 4, 15), Sink: testSinkURL}
	res, _, err := runToEnd[MerchantsParams, MerchantsResult](t, ExportMerchantsWorkflow, p, func(env *testsuite.TestWorkflowEnvironment, _ int) {
		env.OnWorkflow(ExportRangeWorkflow, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, rp RangeParams) (RangeResult, error) {
			switch rp.MerchantID {
			case "m2":
				ws, _ := split(rp.Start, rp.End, 0)
				r := RangeResult{MerchantID: "m2", Windows: 4, Done: 2, Objects: 20, Failed: []WindowFailure{
					{MerchantID: "m2", Window: ws[1], Kind: ErrTypeFailed, Reason: "FAILED twice"},
					{MerchantID: "m2", Window: ws[3], Kind: ErrTypeExpired, Reason: "expired"}}}
				return r, temporal.NewNonRetryableApplicationError("2 windows failed", ErrTypeWindowFailed, nil, r.Failed[0], r)
			case "m3":
				return RangeResult{}, temporal.NewNonRetryableApplicationError("bad sink", ErrTypePermanent, nil)
			}
			return RangeResult{MerchantID: rp.MerchantID, Windows: 4, Done: 4, Objects: 40}, nil
		})
	})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Merchants)
	assert.Equal(t, 6, res.Windows)
	assert.Equal(t, 2, res.FailedCount)
	require.Len(t, res.Failed, 2)
	slices.SortFunc(res.Failed, func(a, b MerchantFailure) int { return strings.Compare(string(a.MerchantID), string(b.MerchantID)) })
	assert.Equal(t, ghost.ID("m2"), res.Failed[0].MerchantID)
	assert.Equal(t, []int{1, 3}, res.Failed[0].Windows)
	assert.Equal(t, ghost.ID("m3"), res.Failed[1].MerchantID)
	assert.Empty(t, res.Failed[1].Windows, "failed as a whole")
	assert.Contains(t, res.Failed[1].Error, "bad sink")
}
