package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	ghosttemporal "github.com/ghostanalytics/ghost-go/contrib/temporal"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"
)

var record = flag.Bool("record", false, "write the recorded histories to ../testdata/histories (re-record after a versioned change)")

// runHistories returns the history of every run of workflow id, following
// continue-as-new from the first run.
func runHistories(t *testing.T, c client.Client, id, firstRun string) [][]*historypb.HistoryEvent {
	t.Helper()
	ctx := context.Background()
	var runs [][]*historypb.HistoryEvent
	for runID := firstRun; runID != ""; {
		it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var events []*historypb.HistoryEvent
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			events = append(events, ev)
		}
		runs = append(runs, events)
		runID = ""
		if last := events[len(events)-1]; last.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW {
			runID = last.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		}
	}
	return runs
}

// inProcessWorker starts a worker in the test process on queue, with the
// real activities against mock, and returns a client of the server.
func inProcessWorker(t *testing.T, ts *temporaltest.TestServer, queue string, mock *ghosttest.Server) client.Client {
	t.Helper()
	c := ts.NewClientWithOptions(client.Options{Logger: quiet})
	w := worker.New(c, queue, worker.Options{})
	acts := &ghosttemporal.Activities{Client: mock.Client}
	t.Cleanup(func() { acts.Close() })
	ghosttemporal.Register(w, acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return c
}

// A 10-year range: ExportRange continues as new every WindowsPerRun
// windows, so the largest history stays under maxRunEvents however long the
// range; every object lands in the sink once.
func TestTenYearRangeHistoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	// With WindowsPerRun 40 and these timings a window costs about 17
	// events (create, a poll or two and their timers, the download, the
	// workflow tasks between them; 689 events for the largest of the four
	// runs when measured); a run's history stays under maxRunEvents, a
	// fortieth of Temporal's 51,200-event limit.
	const maxRunEvents = 1200
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	mock := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileExports,
		ExportConcurrency: 4, ExportDuration: 150 * time.Millisecond}))
	t.Cleanup(mock.Close)
	sink := "file://" + filepath.ToSlash(t.TempDir())
	const queue = "ghost-exports-ten-years"
	c := inProcessWorker(t, ts, queue, mock)

	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	windows, err := split(start, end, 0)
	require.NoError(t, err)
	require.Len(t, windows, 122)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	began := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ten-years", TaskQueue: queue},
		ghosttemporal.ExportRangeWorkflow, ghosttemporal.RangeParams{MerchantID: "m1", Type: ghost.ExportTypeOrders,
			Start: start, End: end, Sink: sink, Options: ghosttemporal.RangeOptions{MaxInFlight: 4,
				PollInterval: 100 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond}})
	require.NoError(t, err)
	first := run.GetRunID() // Get follows continue-as-new, and the run id with it
	var res ghosttemporal.RangeResult
	require.NoError(t, run.Get(ctx, &res))
	t.Logf("10 years in %s: %+v", time.Since(began).Round(time.Millisecond), res)

	runs := runHistories(t, c, "ten-years", first)
	var sizes []int
	for _, r := range runs {
		sizes = append(sizes, len(r))
	}
	t.Logf("events per run: %v (largest %d, bound %d)", sizes, slices.Max(sizes), maxRunEvents)
	assert.Len(t, runs, 4, "122 windows, 40 per run")
	assert.Equal(t, len(runs), res.Runs)
	assert.Less(t, slices.Max(sizes), maxRunEvents)
	assert.Equal(t, 122, res.Done)
	got := checkSink(t, sink, []ghost.ID{"m1"}, windows)
	assert.Equal(t, int64(got.objects), res.Objects)
}

// A create whose answer is lost (the mock creates the export, then cuts the
// response): the window is parked and the next window runs meanwhile; it is
// created again only once the first export can no longer be running, and
// its objects still land once.
func TestLostCreateAnswerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	const exportDuration = 2 * time.Second
	mock := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileExports, ExportDuration: exportDuration}))
	t.Cleanup(mock.Close)
	mock.InjectFault(ghosttest.Fault{Method: "POST", CutBody: true})

	sink := "file://" + filepath.ToSlash(t.TempDir())
	const queue = "ghost-exports-lost"
	c := inProcessWorker(t, ts, queue, mock)

	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(60 * 24 * time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "lost-create", TaskQueue: queue},
		ghosttemporal.ExportRangeWorkflow, ghosttemporal.RangeParams{MerchantID: "m1", Type: ghost.ExportTypeOrders,
			Start: start, End: end, Sink: sink, Options: ghosttemporal.RangeOptions{MaxInFlight: 1,
				PollInterval: 100 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond,
				AmbiguousCreateWait: exportDuration + time.Second}})
	require.NoError(t, err)
	var res ghosttemporal.RangeResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, 2, res.Exports, "two creates answered")

	type post struct {
		at    time.Time
		start string
	}
	var posts []post
	for _, r := range mock.Requests() {
		if r.Method == "POST" {
			posts = append(posts, post{r.Time, string(r.Body)})
		}
	}
	require.Len(t, posts, 3, "the lost create, window 1's, window 0's again")
	ms := func(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }
	assert.Contains(t, posts[0].start, ms(start), "window 0")
	assert.Contains(t, posts[1].start, ms(start.Add(30*24*time.Hour)), "window 1 ran while window 0 was parked")
	assert.Contains(t, posts[2].start, ms(start), "window 0 again")
	assert.GreaterOrEqual(t, posts[2].at.Sub(posts[0].at), exportDuration,
		"the window was created again only after the export the lost call created had finished")
	first, err := mock.Client.Exports.Get(ctx, "m1", "EXPORT0000001")
	require.NoError(t, err, "the lost call did create an export")
	assert.Equal(t, ghost.ExportStatusDone, first.Status)
	windows, err := split(start, end, 0)
	require.NoError(t, err)
	got := checkSink(t, sink, []ghost.ID{"m1"}, windows)
	assert.Equal(t, int64(got.objects), res.Objects)
}

// scripted are activities that play a script instead of calling the API,
// so that a recorded history holds every path: a 503 wait, a lost create
// (parked window, parked merchant), an export FAILED then created again, a
// download whose files expired, a window that fails, continue-as-new.
type scripted struct {
	mu      sync.Mutex
	n       int
	creates map[string]int // "merchant/window" → create calls
	polls   map[ghost.ID]int
	window  map[ghost.ID]string
	dls     map[string]int
}

func newScripted() *scripted {
	return &scripted{creates: map[string]int{}, polls: map[ghost.ID]int{}, window: map[ghost.ID]string{}, dls: map[string]int{}}
}

func (s *scripted) register(w worker.Registry) {
	w.RegisterActivityWithOptions(s.create, activity.RegisterOptions{Name: "CreateExport"})
	w.RegisterActivityWithOptions(s.get, activity.RegisterOptions{Name: "GetExport"})
	w.RegisterActivityWithOptions(s.download, activity.RegisterOptions{Name: "DownloadExport"})
}

func (s *scripted) create(_ context.Context, in ghosttemporal.CreateInput) (*ghost.Export, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := fmt.Sprintf("%s/%d", in.MerchantID, in.Window.Index)
	s.creates[key]++
	switch {
	case in.Window.Index == 0 && s.creates[key] == 1:
		return nil, temporal.NewNonRetryableApplicationError("503 too many exports", ghosttemporal.ErrTypeUnavailable, nil,
			ghosttemporal.UnavailableDetails{RetryAfter: 200 * time.Millisecond})
	case (key == "m1/1" || key == "m2/2" || key == "m4/2") && s.creates[key] == 1:
		return nil, temporal.NewNonRetryableApplicationError("connection reset", ghosttemporal.ErrTypeAmbiguousCreate, nil)
	}
	s.n++
	id := ghost.ID(fmt.Sprintf("E%03d", s.n))
	s.window[id] = key
	return &ghost.Export{ID: id, Type: in.Type, Status: ghost.ExportStatusPending, MerchantID: in.MerchantID}, nil
}

func (s *scripted) get(_ context.Context, in ghosttemporal.GetInput) (*ghost.Export, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls[in.ExportID]++
	e := &ghost.Export{ID: in.ExportID, MerchantID: in.MerchantID, Status: ghost.ExportStatusInProgress}
	if s.polls[in.ExportID] < 2 {
		return e, nil
	}
	key := s.window[in.ExportID]
	e.Status = ghost.ExportStatusDone
	if key == "m3/2" || key == "m1/4" || key == "m1/2" && s.creates[key] == 1 {
		e.Status = ghost.ExportStatusFailed // m3's window 2 and m1's window 4 fail twice, m1's window 2 once
	}
	if e.Status == ghost.ExportStatusDone {
		e.ExportURLs = []ghost.ExportURL{{URL: "https://files.test/1", ExportID: in.ExportID}, {URL: "https://files.test/2", ExportID: in.ExportID}}
	}
	return e, nil
}

func (s *scripted) download(_ context.Context, in ghosttemporal.DownloadInput) (ghosttemporal.DownloadResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := fmt.Sprintf("%s/%d", in.MerchantID, in.Window.Index)
	if s.dls[key]++; in.Window.Index == 3 && s.dls[key] == 1 {
		return ghosttemporal.DownloadResult{}, temporal.NewNonRetryableApplicationError("gone", ghosttemporal.ErrTypeExpired, nil)
	}
	return ghosttemporal.DownloadResult{Files: 2, Objects: 1500}, nil
}

// Records histories of both workflows through every path (see scripted),
// from this code, and replays them. With -record they are written to
// ../testdata/histories, which TestReplayHistories replays: re-record there
// after a change made safe with workflow.GetVersion, and keep the older
// files while workflows that recorded them may still run.
func TestRecordHistories(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	dir := t.TempDir()
	if *record {
		dir = filepath.Join("..", "testdata", "histories")
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	const queue = "ghost-exports-record"
	c := ts.NewClientWithOptions(client.Options{Logger: quiet})
	w := worker.New(c, queue, worker.Options{})
	ghosttemporal.RegisterWorkflows(w)
	newScripted().register(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(150 * 24 * time.Hour) // 5 windows
	o := ghosttemporal.RangeOptions{MaxInFlight: 2, WindowsPerRun: 3, PollInterval: 50 * time.Millisecond,
		MaxPollInterval: 100 * time.Millisecond, RetryInterval: 50 * time.Millisecond, AmbiguousCreateWait: 500 * time.Millisecond}
	sink := "s3://recorded-histories"

	rangeRun, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "range", TaskQueue: queue}, ghosttemporal.ExportRangeWorkflow,
		ghosttemporal.RangeParams{MerchantID: "m1", Type: ghost.ExportTypeOrders, Start: start, End: end, Sink: sink, Options: o})
	require.NoError(t, err)
	rangeFirst := rangeRun.GetRunID() // Get follows continue-as-new, and the run id with it
	var rr ghosttemporal.RangeResult
	err = rangeRun.Get(ctx, &rr)
	require.ErrorContains(t, err, "1 of 5 windows failed", "window 4 fails (FAILED twice)")
	mo := o
	mo.WindowsPerRun = 10 // so that a merchant's windows left are all parked, and it yields
	mo.AmbiguousCreateWait = 3 * time.Second
	jobRun, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "job", TaskQueue: queue}, ghosttemporal.ExportMerchantsWorkflow,
		ghosttemporal.MerchantsParams{Merchants: []ghost.ID{"m2", "m3", "m4"}, Type: ghost.ExportTypeOrders, Start: start,
			End: start.Add(90 * 24 * time.Hour), Sink: sink, Options: mo, MaxConcurrent: 2, MerchantsPerRun: 2})
	require.NoError(t, err)
	jobFirst := jobRun.GetRunID()
	var mr ghosttemporal.MerchantsResult
	require.NoError(t, jobRun.Get(ctx, &mr))
	assert.Equal(t, 1, mr.FailedCount, "m3's window 2")

	files := map[string][]*historypb.HistoryEvent{}
	for i, h := range runHistories(t, c, "range", rangeFirst) {
		files[fmt.Sprintf("range-run%d.json", i+1)] = h
	}
	jobRuns := runHistories(t, c, "job", jobFirst)
	for i, h := range jobRuns {
		files[fmt.Sprintf("merchants-run%d.json", i+1)] = h
	}
	for name, h := range childHistories(t, c, jobRuns) {
		files["merchants-"+name+".json"] = h
	}
	assert.GreaterOrEqual(t, len(files), 8)
	for name, events := range files {
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&historypb.History{Events: events})
		require.NoError(t, err)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, b, 0o644))
		require.NoError(t, ghosttemporal.ReplayHistoryFile(quiet, path), name)
	}
	t.Logf("recorded %d histories in %s", len(files), dir)
}

// childHistories returns the history of every child run the parent runs
// started, named "<merchant>-<n>" (a merchant resumed after parking runs
// again under the same id).
func childHistories(t *testing.T, c client.Client, parent [][]*historypb.HistoryEvent) map[string][]*historypb.HistoryEvent {
	t.Helper()
	out := map[string][]*historypb.HistoryEvent{}
	count := map[string]int{}
	for _, run := range parent {
		for _, ev := range run {
			attrs := ev.GetChildWorkflowExecutionStartedEventAttributes()
			if attrs == nil {
				continue
			}
			exec := attrs.GetWorkflowExecution()
			_, merchant, _ := strings.Cut(exec.GetWorkflowId(), "/")
			count[merchant]++
			for i, h := range runHistories(t, c, exec.GetWorkflowId(), exec.GetRunId()) {
				out[fmt.Sprintf("%s-%d-run%d", merchant, count[merchant], i+1)] = h
			}
		}
	}
	return out
}
