package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	ghosttemporal "github.com/ghostanalytics/ghost-go/contrib/temporal"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
)

// A job on the S3 sink, with its worker a real OS process SIGKILLed twice:
// in the middle of a file's download, then (its replacement) after a file
// of the same window is committed and before the window is complete. A
// third worker finishes the job: every object is in the sink once, in
// window order, with no upload left over and every window's record naming
// the export whose files are there. The third worker does not download the
// committed file again: it asks the sink what it holds.
func TestWorkerKilledEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server and worker processes")
	}
	began := time.Now()
	commands(t)
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	hostPort, ns := ts.GetFrontendHostPort(), ts.GetDefaultNamespace()
	t.Logf("temporal server up in %s", time.Since(began).Round(time.Millisecond))
	mock := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileExports,
		ExportConcurrency: 4, ExportDuration: 300 * time.Millisecond}))
	t.Cleanup(mock.Close)
	proxy := newFileProxy(t, mock)
	sink := s3Sink(t)
	const queue = "ghost-exports-kill"

	// The first export whose file 1 is fetched is the target: its file 1 is
	// held half sent on the first try (kill 1), and its file 2 held on the
	// second (kill 2, file 1 being committed by then).
	var target string
	proxy.hold = func(path string, n int) (int, bool) {
		export, file, _ := strings.Cut(strings.TrimPrefix(path, "/v3/exports/files/"), "/")
		if target == "" && file == "1.json" {
			target = export
		}
		switch {
		case export == target && file == "1.json" && n == 1:
			return 64 << 10, true
		case export == target && file == "2.json" && n == 1:
			return 0, true
		}
		return 0, false
	}

	merchants := []ghost.ID{"m1", "m2", "m3"}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(90 * 24 * time.Hour)
	args := []string{"-task-queue", queue, "-id", "kill-job", "-merchants", "m1,m2,m3", "-type", "ORDERS",
		"-start", "2025-01-01", "-end", "2025-04-01", "-sink", sink, "-max-merchants", "2", "-per-run", "2",
		"-max-in-flight", "1", "-poll", "100ms", "-max-poll", "300ms", "-retry", "100ms", "-max-retry", "500ms",
		"-ambiguous-wait", "2s", "-heartbeat", "3s"}

	a := startWorker(t, "worker-a", hostPort, ns, queue, mock)
	code, out, errOut := startCmd(t, hostPort, ns, args...)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	require.Contains(t, out, `"started": true`)

	// The same id again: the same parameters start nothing; others fail,
	// naming what differs.
	code, out, errOut = startCmd(t, hostPort, ns, args...)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	assert.Contains(t, out, `"started": false`)
	code, _, errOut = startCmd(t, hostPort, ns, append(args, "-type", "PAYMENTS", "-max-in-flight", "2")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "running with other parameters")
	assert.Contains(t, errOut, "type: ORDERS, asked PAYMENTS")
	assert.Contains(t, errOut, "max in flight: 1, asked 2")

	waitHeld(t, proxy, "/1.json")
	a.kill(syscall.SIGKILL)
	t.Logf("kill 1: worker A SIGKILLed mid-download of export %s file 1, at %s", target, time.Since(began).Round(time.Millisecond))

	b := startWorker(t, "worker-b", hostPort, ns, queue, mock)
	waitHeld(t, proxy, "/2.json")
	committed := waitCommitted(t, sink, merchants, target)
	b.kill(syscall.SIGKILL)
	t.Logf("kill 2: worker B SIGKILLed after export %s committed file 1 (%s), before its window completed, at %s",
		target, committed, time.Since(began).Round(time.Millisecond))

	startWorker(t, "worker-c", hostPort, ns, queue, mock)
	code, out, errOut = startCmd(t, hostPort, ns, "-id", "kill-job", "-progress")
	require.Equal(t, 0, code, "%s%s", out, errOut)
	var prog ghosttemporal.JobProgress
	require.NoError(t, json.Unmarshal([]byte(out), &prog))
	assert.Equal(t, ghosttemporal.ExportMerchantsWorkflow, prog.Workflow)
	require.NotNil(t, prog.Job)
	assert.Equal(t, 3, prog.Job.Merchants)
	t.Logf("progress after the kills: %d objects; merchants %+v", prog.Objects, prog.Merchants)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := ts.NewClientWithOptions(client.Options{Logger: quiet})
	var res ghosttemporal.MerchantsResult
	require.NoError(t, c.GetWorkflow(ctx, "kill-job", "").Get(ctx, &res))
	t.Logf("done in %s: %+v", time.Since(began).Round(time.Millisecond), res)

	windows, err := split(start, end, 0)
	require.NoError(t, err)
	got := checkSink(t, sink, merchants, windows)
	assert.Equal(t, int64(got.objects), res.Objects)
	assert.Equal(t, 3, res.Merchants)
	assert.Equal(t, 3*len(windows), res.Windows)
	assert.Empty(t, res.Failed)
	assert.Equal(t, 2, res.Runs, "continued as new once (2 merchants per run)")
	assert.Equal(t, 2, proxy.count("/v3/exports/files/"+target+"/1.json"), "file 1: A's cut download, B's whole one; C skipped it")
	assert.Equal(t, 2, proxy.count("/v3/exports/files/"+target+"/2.json"), "file 2: B's held download, C's")
	t.Logf("sink: %d objects in %d windows of %d merchants; %d duplicates, %d missing, %d leftover keys",
		got.objects, len(windows)*len(merchants), len(merchants), got.duplicates, got.missing, got.leftovers)
}

// waitHeld waits for the proxy to hold a download of the target's file.
func waitHeld(t *testing.T, p *fileProxy, suffix string) {
	t.Helper()
	select {
	case path := <-p.held:
		require.True(t, strings.HasSuffix(path, suffix), "held %s, want …%s", path, suffix)
	case <-time.After(2 * time.Minute):
		t.Fatalf("no download of …%s was held", suffix)
	}
}

// waitCommitted waits until the sink records file 1 of export as committed
// (and the window not complete), and returns its key.
func waitCommitted(t *testing.T, sinkURL string, merchants []ghost.ID, export string) string {
	t.Helper()
	ctx := context.Background()
	s, err := ghosttemporal.OpenSink(ctx, sinkURL)
	require.NoError(t, err)
	defer s.Close()
	windows, err := split(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), 0)
	require.NoError(t, err)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, m := range merchants {
			for _, w := range windows {
				rec, err := s.Record(ctx, ghosttemporal.WindowKey{MerchantID: m, Type: ghost.ExportTypeOrders, Window: w})
				require.NoError(t, err)
				if rec != nil && string(rec.Export) == export && len(rec.Committed) == 1 {
					require.False(t, rec.Complete)
					return fmt.Sprintf("merchant %s window %d: %s", m, w.Index, rec.Committed[0].Key)
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("export %s's file 1 was never committed", export)
	return ""
}
