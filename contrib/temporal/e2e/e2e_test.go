// Package e2e runs the export workflows end to end: a real Temporal server
// in the test process (temporaltest, with its embedded store), two workers,
// and ghosttest's clover profile as the Exports API.
package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	ghosttemporal "github.com/ghostanalytics/ghost-go/contrib/temporal"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
)

// killSink passes objects to a DirSink until after objects have been
// written, then acts as a worker that dies mid-download: it reports the kill
// once and blocks until its activity is cancelled.
type killSink struct {
	ghosttemporal.DirSink
	after   int64
	written atomic.Int64
	once    sync.Once
	killed  chan struct{}
}

func (s *killSink) Create(ctx context.Context, key ghosttemporal.FileKey) (ghosttemporal.SinkFile, error) {
	f, err := s.DirSink.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &killFile{SinkFile: f, s: s, ctx: ctx}, nil
}

type killFile struct {
	ghosttemporal.SinkFile
	s   *killSink
	ctx context.Context
}

func (f *killFile) Write(obj json.RawMessage) error {
	if f.s.written.Add(1) > f.s.after {
		f.s.once.Do(func() { close(f.s.killed) })
		<-f.ctx.Done()
		return f.ctx.Err()
	}
	return f.SinkFile.Write(obj)
}

// countSink counts what one worker committed.
type countSink struct {
	ghosttemporal.Sink
	commits atomic.Int64
}

func (s *countSink) Create(ctx context.Context, key ghosttemporal.FileKey) (ghosttemporal.SinkFile, error) {
	f, err := s.Sink.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &countFile{f, s}, nil
}

type countFile struct {
	ghosttemporal.SinkFile
	s *countSink
}

func (f *countFile) Commit() error {
	err := f.SinkFile.Commit()
	if err == nil {
		f.s.commits.Add(1)
	}
	return err
}

func expectedIDs(w ghosttemporal.Window) []string {
	ms := ghosttest.ExportOrderInterval.Milliseconds()
	var ids []string
	for t := (w.Start.UnixMilli() + ms - 1) / ms * ms; t < w.End.UnixMilli(); t += ms {
		ids = append(ids, ghosttest.ExportObjectID("ORDERS", time.UnixMilli(t)))
	}
	return ids
}

func TestExportMerchantsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	began := time.Now()
	quiet := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	t.Logf("temporal server up in %s", time.Since(began).Round(time.Millisecond))

	mock := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{
		Profile:           ghosttest.ProfileClover,
		ExportConcurrency: 2, // for all merchants together: many 503s to wait through
		ExportDuration:    300 * time.Millisecond,
	}))
	t.Cleanup(mock.Close)

	dir := t.TempDir()
	const queue = "ghost-exports-e2e"
	kill := &killSink{DirSink: ghosttemporal.DirSink{Dir: dir}, after: 10_000, killed: make(chan struct{})}
	countA := &countSink{Sink: kill}
	countB := &countSink{Sink: ghosttemporal.DirSink{Dir: dir}}
	newWorker := func(name string, sink ghosttemporal.Sink) worker.Worker {
		c := ts.NewClientWithOptions(client.Options{Identity: name})
		w := worker.New(c, queue, worker.Options{WorkflowPanicPolicy: worker.FailWorkflow})
		ghosttemporal.Register(w, &ghosttemporal.Activities{Client: mock.Client, Sink: sink, HeartbeatEvery: 100})
		require.NoError(t, w.Start())
		return w
	}
	wA := newWorker("worker-a", countA)
	wB := newWorker("worker-b", countB)
	var stopA sync.Once
	t.Cleanup(func() { stopA.Do(wA.Stop); wB.Stop() })

	merchants := []ghost.ID{"m1", "m2", "m3", "m4", "m5"}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(400 * 24 * time.Hour)
	c := ts.NewClientWithOptions(client.Options{Logger: quiet})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "export-e2e", TaskQueue: queue},
		ghosttemporal.ExportMerchantsWorkflow, ghosttemporal.MerchantsParams{
			Merchants: merchants, Type: ghost.ExportTypeOrders, Start: start, End: end,
			MaxConcurrent: 3, MerchantsPerRun: 3,
			Options: ghosttemporal.RangeOptions{
				MaxInFlight:  2,
				PollInterval: 100 * time.Millisecond, MaxPollInterval: 300 * time.Millisecond,
				RetryInterval: 100 * time.Millisecond, MaxRetryInterval: 500 * time.Millisecond,
				DownloadHeartbeat: 2 * time.Second,
			},
		})
	require.NoError(t, err)

	ended := make(chan error, 1)
	go func() { ended <- run.Get(ctx, nil) }()
	select {
	case <-kill.killed:
	case err := <-ended:
		t.Fatalf("the workflow ended before worker A reached the kill point: %v", err)
	}
	killedAt := time.Since(began)
	stopA.Do(wA.Stop) // worker A dies in the middle of a download
	t.Logf("worker A stopped mid-download at %s, after %d commits", killedAt.Round(time.Millisecond), countA.commits.Load())

	v, err := c.QueryWorkflow(ctx, "export-e2e", "", ghosttemporal.ProgressQuery)
	require.NoError(t, err)
	var mid ghosttemporal.MerchantsProgress
	require.NoError(t, v.Get(&mid))
	t.Logf("progress after the kill: %+v", mid)
	assert.Equal(t, 5, mid.Merchants)
	assert.Equal(t, 5, mid.Done+mid.Running+mid.Waiting)

	var res ghosttemporal.MerchantsResult
	require.NoError(t, run.Get(ctx, &res))
	t.Logf("done in %s: %+v; commits: worker A %d, worker B %d", time.Since(began).Round(time.Millisecond), res,
		countA.commits.Load(), countB.commits.Load())

	windows, err := ghosttemporal.SplitWindows(start, end, 0)
	require.NoError(t, err)
	var total int64
	for _, m := range merchants {
		for _, w := range windows {
			wdir, err := ghosttemporal.DirSink{Dir: dir}.WindowDir(m, ghost.ExportTypeOrders, w)
			require.NoError(t, err)
			entries, err := os.ReadDir(wdir)
			require.NoError(t, err, "merchant %s window %s", m, w)
			var ids []string
			for _, e := range entries {
				if e.Name() == ".export" {
					continue // the window's current export id
				}
				require.True(t, strings.HasSuffix(e.Name(), ".jsonl"), "leftover %s", e.Name())
				b, err := os.ReadFile(filepath.Join(wdir, e.Name()))
				require.NoError(t, err)
				for line := range strings.Lines(string(b)) {
					var o struct {
						ID       string
						Merchant struct{ ID string }
					}
					require.NoError(t, json.Unmarshal([]byte(line), &o))
					require.Equal(t, string(m), o.Merchant.ID)
					ids = append(ids, o.ID)
				}
			}
			want := expectedIDs(w)
			require.Equal(t, len(want), len(ids), "merchant %s window %s: object count", m, w)
			for i := range want {
				require.Equal(t, want[i], ids[i], "merchant %s window %s: object %d", m, w, i)
			}
			total += int64(len(ids))
		}
	}
	assert.Equal(t, total, res.Objects)
	assert.Equal(t, 5, res.Merchants)
	assert.Equal(t, 5*len(windows), res.Windows)
	assert.Empty(t, res.Failed)
	assert.Equal(t, 2, res.Runs, "continued as new once (3 merchants per run)")
	assert.Positive(t, countA.commits.Load(), "worker A did some of the work")
	assert.Positive(t, countB.commits.Load(), "worker B finished the rest")
	t.Logf("sink: %d objects in %d windows of %d merchants, each once, in order", total, len(windows)*len(merchants), len(merchants))
}

// A create whose answer is lost (the mock creates the export, then cuts the
// response): the window is created again only once the first export can no
// longer be running, and its objects still land once.
func TestLostCreateAnswerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	quiet := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	const exportDuration = 3 * time.Second
	mock := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileClover, ExportDuration: exportDuration}))
	t.Cleanup(mock.Close)
	mock.InjectFault(ghosttest.Fault{Method: "POST", CutBody: true})

	dir := t.TempDir()
	const queue = "ghost-exports-lost"
	c := ts.NewClientWithOptions(client.Options{Logger: quiet})
	w := worker.New(c, queue, worker.Options{})
	ghosttemporal.Register(w, &ghosttemporal.Activities{Client: mock.Client, Sink: ghosttemporal.DirSink{Dir: dir}})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	win := ghosttemporal.Window{Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "lost-create", TaskQueue: queue},
		ghosttemporal.ExportRangeWorkflow, ghosttemporal.RangeParams{
			MerchantID: "m1", Type: ghost.ExportTypeOrders, Start: win.Start, End: win.End,
			Options: ghosttemporal.RangeOptions{
				PollInterval: 100 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond,
				AmbiguousCreateWait: exportDuration + time.Second,
			},
		})
	require.NoError(t, err)
	var res ghosttemporal.RangeResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, 1, res.Exports, "one create answered")

	var posts []time.Time
	for _, r := range mock.Requests() {
		if r.Method == "POST" {
			posts = append(posts, r.Time)
		}
	}
	require.Len(t, posts, 2, "the lost create and one more")
	assert.GreaterOrEqual(t, posts[1].Sub(posts[0]), exportDuration,
		"the second export was created only after the first one (created by the lost call) had finished")
	first, err := mock.Client.Exports.Get(ctx, "m1", "EXPORT0000001")
	require.NoError(t, err, "the lost call did create an export")
	assert.Equal(t, ghost.ExportStatusDone, first.Status)

	wdir, err := ghosttemporal.DirSink{Dir: dir}.WindowDir("m1", ghost.ExportTypeOrders, win)
	require.NoError(t, err)
	entries, err := os.ReadDir(wdir)
	require.NoError(t, err)
	var n int
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".jsonl") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(wdir, e.Name()))
		require.NoError(t, err)
		n += strings.Count(string(b), "\n")
	}
	assert.Equal(t, len(expectedIDs(win)), n)
	assert.Equal(t, int64(n), res.Objects)
}
