// Package e2e runs the export workflows end to end: a real Temporal server
// in the test process (temporaltest, with its embedded store), workers as
// their own OS processes (the ghost-export-worker command, built by the
// test) or in the test process, ghosttest's clover profile as the Exports
// API, and an S3-compatible server as the sink.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	ghosttemporal "github.com/ghostanalytics/ghost-go/contrib/temporal"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
)

var quiet = log.NewStructuredLogger(slog.New(slog.DiscardHandler))

// s3Env is the environment a worker needs for the test's S3 server.
var s3Env = []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true"}

// s3Sink returns the URL of a sink on an S3-compatible server, under a
// prefix of the test's own: the server .ci/run starts when
// GHOST_TEST_S3_ENDPOINT names it (SeaweedFS's S3 gateway), else gofakes3 in
// the test process. Both honour If-Match and If-None-Match, on which the
// sink's conditional writes rely.
func s3Sink(t *testing.T) string {
	t.Helper()
	for _, kv := range s3Env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	endpoint, bucket := os.Getenv("GHOST_TEST_S3_ENDPOINT"), os.Getenv("GHOST_TEST_S3_BUCKET")
	if endpoint == "" {
		srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
		t.Cleanup(srv.Close)
		endpoint = srv.URL
	}
	if bucket == "" {
		bucket = "exports"
	}
	t.Logf("sink: S3 at %s", endpoint)
	return "s3://" + bucket + "?endpoint=" + url.QueryEscape(endpoint) + "&use_path_style=true&region=us-east-1" +
		"&request_checksum_calculation=when_required&response_checksum_validation=when_required" +
		"&prefix=" + url.QueryEscape(fmt.Sprintf("%s-%d/", t.Name(), time.Now().UnixNano()))
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// TestMain removes the commands the tests built.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// commands builds ghost-export-worker and ghost-export-start once per test
// binary and returns the directory that holds them.
func commands(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ghost-export-e2e-")
		if buildErr != nil {
			return
		}
		began := time.Now()
		cmd := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), "../cmd/ghost-export-worker", "../cmd/ghost-export-start")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out.String())
		}
		t.Logf("built the commands in %s", time.Since(began).Round(time.Millisecond))
	})
	require.NoError(t, buildErr)
	return binDir
}

// workerProc is a ghost-export-worker process.
type workerProc struct {
	name string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

// lockedBuffer lets the process write its log while the test reads it.
type lockedBuffer struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (b lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// startWorker starts a ghost-export-worker process against the Temporal
// server and the mock; it is killed when the test ends, if still running.
func startWorker(t *testing.T, name, hostPort, namespace, queue string, mock *ghosttest.Server, extraEnv ...string) *workerProc {
	t.Helper()
	bin := filepath.Join(commands(t), "ghost-export-worker")
	cmd := exec.Command(bin, "-temporal", hostPort, "-namespace", namespace, "-task-queue", queue,
		"-base-url", mock.URL, "-insecure-http", "-heartbeat-every", "100")
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"GHOST_BEARER_TOKEN=" + mock.Config.BearerToken}, s3Env...), extraEnv...)
	w := &workerProc{name: name, cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	cmd.Stdout = lockedBuffer{w.mu, w.log}
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		w.kill(syscall.SIGKILL)
		if t.Failed() {
			w.mu.Lock()
			t.Logf("%s's log:\n%s", name, tail(w.log.String(), 4000))
			w.mu.Unlock()
		}
	})
	return w
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// kill sends sig to the worker and waits for the process to end.
func (w *workerProc) kill(sig syscall.Signal) {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(sig)
	<-w.done
}

// startCmd runs ghost-export-start with args and returns its exit code,
// stdout and stderr.
func startCmd(t *testing.T, hostPort, namespace string, args ...string) (int, string, string) {
	t.Helper()
	bin := filepath.Join(commands(t), "ghost-export-start")
	cmd := exec.Command(bin, append([]string{"-temporal", hostPort, "-namespace", namespace}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

// expectedIDs lists the ids of the objects the mock generates in w.
func expectedIDs(w ghosttemporal.Window) []string {
	ms := ghosttest.ExportOrderInterval.Milliseconds()
	var ids []string
	for t := (w.Start.UnixMilli() + ms - 1) / ms * ms; t < w.End.UnixMilli(); t += ms {
		ids = append(ids, ghosttest.ExportObjectID("ORDERS", time.UnixMilli(t)))
	}
	return ids
}

// sinkCheck is what a job left in the sink.
type sinkCheck struct {
	objects, duplicates, missing, leftovers int
}

// checkSink asserts that every window of every merchant is complete in the
// sink, holds every generated object once, in order, and nothing else (no
// uncommitted upload, no file of another export, the record naming the
// export whose files are there).
func checkSink(t *testing.T, sinkURL string, merchants []ghost.ID, windows []ghosttemporal.Window) sinkCheck {
	t.Helper()
	ctx := context.Background()
	s, err := ghosttemporal.OpenSink(ctx, sinkURL)
	require.NoError(t, err)
	defer s.Close()
	var c sinkCheck
	seen := map[string]int{}
	for _, m := range merchants {
		for _, w := range windows {
			k := ghosttemporal.WindowKey{MerchantID: m, Type: ghost.ExportTypeOrders, Window: w}
			rec, err := s.Record(ctx, k)
			require.NoError(t, err)
			require.NotNil(t, rec, "merchant %s window %s has no record", m, w)
			require.True(t, rec.Complete, "merchant %s window %s is not complete: %+v", m, w, rec)
			keys, err := s.Keys(ctx, k)
			require.NoError(t, err)
			want := map[string]bool{}
			prefix, _ := k.Prefix()
			want[prefix+"window.json"] = true
			for _, f := range rec.Committed {
				want[f.Key] = true
				require.Contains(t, f.Key, "-"+string(rec.Export)+"/", "a file of another export")
			}
			for _, key := range keys {
				if !want[key] {
					c.leftovers++
					t.Errorf("merchant %s window %s: leftover %s", m, w, key)
				}
			}
			var ids []string
			for obj, err := range s.Objects(ctx, k) {
				require.NoError(t, err)
				var o struct {
					ID       string
					Merchant struct{ ID string }
				}
				require.NoError(t, json.Unmarshal(obj, &o))
				require.Equal(t, string(m), o.Merchant.ID)
				ids = append(ids, o.ID)
				if seen[string(m)+"/"+o.ID]++; seen[string(m)+"/"+o.ID] > 1 {
					c.duplicates++
				}
			}
			exp := expectedIDs(w)
			for i := range exp {
				if i >= len(ids) || ids[i] != exp[i] {
					c.missing++
				}
			}
			require.Equal(t, exp, ids, "merchant %s window %s: every object once, in order", m, w)
			c.objects += len(ids)
		}
	}
	return c
}

// fileProxy serves the mock's export files (ghosttest.Server.SetExportFileBase)
// and lets a test hold a file's download: half sent then stalled, or not
// answered at all, until the downloading process is gone.
type fileProxy struct {
	srv  *httptest.Server
	mock *ghosttest.Server

	mu       sync.Mutex
	requests map[string]int // path → requests
	hold     func(path string, n int) (holdAt int, ok bool)
	held     chan string // paths being held
}

func newFileProxy(t *testing.T, mock *ghosttest.Server) *fileProxy {
	p := &fileProxy{mock: mock, requests: map[string]int{}, held: make(chan string, 16)}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	mock.SetExportFileBase(p.srv.URL)
	return p
}

func (p *fileProxy) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[path]
}

func (p *fileProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests[r.URL.Path]++
	n := p.requests[r.URL.Path]
	var at int
	hold := false
	if p.hold != nil {
		at, hold = p.hold(r.URL.Path, n)
	}
	p.mu.Unlock()
	resp, err := http.Get(p.mock.URL + r.URL.RequestURI())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, vs := range resp.Header {
		if k != "Content-Length" {
			w.Header()[k] = vs
		}
	}
	if !hold {
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
		return
	}
	// Held: at bytes of the body (at most half of it) go out, then nothing
	// until the client is gone.
	at = min(at, len(body)/2)
	w.WriteHeader(resp.StatusCode)
	w.Write(body[:at])
	w.(http.Flusher).Flush()
	p.held <- r.URL.Path
	<-r.Context().Done()
}

// split lists the windows ghost.SplitExportRange makes of a range.
func split(start, end time.Time, size time.Duration) ([]ghosttemporal.Window, error) {
	ws, err := ghost.SplitExportRange(start, end, size)
	if err != nil {
		return nil, err
	}
	return slices.Collect(ws.All()), nil
}
