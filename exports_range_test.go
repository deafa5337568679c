package ghost_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeExports is an export server whose exports finish when the test's rule
// says, to make windows finish out of order. Objects are one an hour, ids as
// the mock's (ghosttest.ExportObjectID), perFile to a file.
type fakeExports struct {
	t       *testing.T
	start   time.Time // the range's start; windows are one day
	perFile int
	limit   int // exports running at once before a concurrency 503 (0: none)
	// raiseTo, when set, is the limit after the first 503.
	raiseTo int
	// done decides, at a poll of export k (its window's number), whether
	// it is DONE; f.mu is held.
	done func(f *fakeExports, k int) bool
	// fileGate, when set, answers file 2 of every export only once file 1
	// is asked for, and file 1 once file 2 is served: files must be fetched
	// in parallel.
	fileGate bool
	// pad, when set, adds a note of that many bytes to every object.
	pad int
	// opts are added to the client's options.
	opts []ghost.Option
	// refuse, when set, makes the create of window k fail with a 400.
	refuse   func(k int) bool
	rejected int // creates refused by refuse

	mu         sync.Mutex
	onDisk     map[int]bool        // windows whose files the client has on disk (its PhaseFile reports)
	exports    map[int]*fakeExport // by window number
	creates    int
	refused    int
	maxRunning int
	maxLater   int // maxRunning after the first 503
	doneOrder  []int
	srv        *httptest.Server
}

type fakeExport struct {
	k          int
	start, end time.Time
	done       bool
	files      int
	served     map[int]bool
	file1      chan struct{} // closed once file 1 is asked for
	file2      chan struct{} // closed once file 2 is served
	fetching   int           // file requests being answered
	mostFetch  int           // the most at once
}

func newFakeExports(t *testing.T, start time.Time, perFile int) *fakeExports {
	f := &fakeExports{t: t, start: start, perFile: perFile, exports: map[int]*fakeExport{}, onDisk: map[int]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/merchants/M1/exports", f.create)
	mux.HandleFunc("GET /v3/merchants/M1/exports/{id}", f.get)
	mux.HandleFunc("GET /files/{id}/{n}", f.file)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeExports) client(t *testing.T) *ghost.Client {
	opts := append([]ghost.Option{ghost.WithBaseURL(f.srv.URL), ghost.WithBearerToken("tok"),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond})}, f.opts...)
	c, err := ghost.NewClient(opts...)
	require.NoError(t, err)
	return c
}

func (f *fakeExports) running() int {
	n := 0
	for _, e := range f.exports {
		if !e.done {
			n++
		}
	}
	return n
}

// downloaded reports whether the client has every file of window k on
// disk; f.mu is held.
func (f *fakeExports) downloaded(k int) bool { return f.onDisk[k] }

// track records the client's progress reports.
func (f *fakeExports) track(p ghost.RangeProgress) {
	if p.Phase == ghost.PhaseFile && p.FilesDone == p.Files {
		f.mu.Lock()
		f.onDisk[p.Window] = true
		f.mu.Unlock()
	}
}

func (f *fakeExports) create(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type               string
		StartTime, EndTime int64
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Type != "ORDERS" {
		http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
		return
	}
	start, end := time.UnixMilli(body.StartTime).UTC(), time.UnixMilli(body.EndTime).UTC()
	k := int(start.Sub(f.start)/(24*time.Hour)) + 1
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	if f.refuse != nil && f.refuse(k) {
		f.rejected++
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message":"refused"}`)
		return
	}
	if f.limit > 0 && f.running() >= f.limit {
		f.refused++
		if f.raiseTo > 0 {
			f.limit = f.raiseTo
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"message":"Too many concurrent exports"}`)
		return
	}
	n := int(end.Sub(start) / time.Hour)
	e := &fakeExport{k: k, start: start, end: end, files: (n + f.perFile - 1) / f.perFile, served: map[int]bool{}, file1: make(chan struct{}), file2: make(chan struct{})}
	f.exports[k] = e
	f.maxRunning = max(f.maxRunning, f.running())
	if f.refused > 0 {
		f.maxLater = max(f.maxLater, f.running())
	}
	f.writeExport(w, e)
}

func (f *fakeExports) get(w http.ResponseWriter, r *http.Request) {
	k, _ := strconv.Atoi(strings.TrimPrefix(r.PathValue("id"), "E"))
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.exports[k]
	if e == nil {
		http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		return
	}
	if !e.done && f.done(f, k) {
		e.done = true
		f.doneOrder = append(f.doneOrder, k)
	}
	f.writeExport(w, e)
}

func (f *fakeExports) writeExport(w http.ResponseWriter, e *fakeExport) {
	out := map[string]any{"id": fmt.Sprintf("E%d", e.k), "type": "ORDERS", "status": "IN_PROGRESS", "percentComplete": 10,
		"startTime": e.start.UnixMilli(), "endTime": e.end.UnixMilli()}
	if e.done {
		var urls []map[string]any
		for i := 1; i <= e.files; i++ {
			urls = append(urls, map[string]any{"url": fmt.Sprintf("%s/files/E%d/%d", f.srv.URL, e.k, i)})
		}
		out["status"], out["percentComplete"] = "DONE", 100
		out["availableUntil"] = time.Now().Add(24 * time.Hour).UnixMilli()
		out["exportUrls"] = map[string]any{"elements": urls}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (f *fakeExports) file(w http.ResponseWriter, r *http.Request) {
	k, _ := strconv.Atoi(strings.TrimPrefix(r.PathValue("id"), "E"))
	n, _ := strconv.Atoi(r.PathValue("n"))
	f.mu.Lock()
	e := f.exports[k]
	e.fetching++
	e.mostFetch = max(e.mostFetch, e.fetching)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		e.fetching--
		f.mu.Unlock()
	}()
	// The gate: file 2 is answered once file 1 is asked for, file 1 once
	// file 2 is served, so both are fetched at once or never.
	if f.fileGate && e.files > 1 && (n == 1 || n == 2) {
		wait := e.file1
		if n == 1 {
			close(e.file1)
			wait = e.file2
		}
		select {
		case <-wait:
		case <-r.Context().Done():
			return
		}
	}
	var objs []string
	for i := (n - 1) * f.perFile; i < min(n*f.perFile, int(e.end.Sub(e.start)/time.Hour)); i++ {
		at := e.start.Add(time.Duration(i) * time.Hour)
		objs = append(objs, fmt.Sprintf(`{"id":%q,"total":%d,"createdTime":%d,"note":%q}`,
			ghosttest.ExportObjectID("ORDERS", at), i, at.UnixMilli(), strings.Repeat("n", f.pad)))
	}
	fmt.Fprintf(w, `{"elements":[%s]}`, strings.Join(objs, ","))
	f.mu.Lock()
	e.served[n] = true
	f.mu.Unlock()
	if n == 2 {
		close(e.file2)
	}
}

// reverseInBatches finishes the windows of each batch of c (1..c, c+1..2c,
// …) in reverse order: window k is DONE once its whole batch exists and
// the client has every later window of the batch on disk. Windows of a batch can
// only all exist when the batch before is DONE, so 1..c finish c, …, 1
// with c's files on disk before 1 is done.
func reverseInBatches(c, windows int) func(f *fakeExports, k int) bool {
	return func(f *fakeExports, k int) bool {
		first := (k-1)/c*c + 1
		last := min(first+c-1, windows)
		for j := first; j <= last; j++ {
			if f.exports[j] == nil || (j > k && !f.downloaded(j)) {
				return false
			}
		}
		return true
	}
}

func hourIDs(start time.Time, hours int) []string {
	var ids []string
	for i := range hours {
		ids = append(ids, ghosttest.ExportObjectID("ORDERS", start.Add(time.Duration(i)*time.Hour)))
	}
	return ids
}

// rangeCollect runs Range and returns the ids, the PhaseDone reports and
// the error; stop, when set, says after which id to stop.
func rangeCollect(t *testing.T, f *fakeExports, p ghost.RangeParams, stop func(n int) bool) (ids []string, dones []ghost.RangeProgress, err error) {
	t.Helper()
	c := f.client(t)
	user := p.OnProgress
	p.OnProgress = func(pr ghost.RangeProgress) {
		f.track(pr)
		if pr.Phase == ghost.PhaseDone {
			dones = append(dones, pr)
		}
		if user != nil {
			user(pr)
		}
	}
	for o, e := range ghost.ExportRange[ghost.ExportedOrder](context.Background(), c.Exports, "M1", p) {
		if e != nil {
			err = e
			break
		}
		ids = append(ids, string(o.ID))
		if stop != nil && stop(len(ids)) {
			break
		}
	}
	return ids, dones, err
}

func fastWait() ghost.WaitOptions {
	return ghost.WaitOptions{Interval: time.Millisecond, MaxInterval: 2 * time.Millisecond, Backoff: 1}
}

func TestRangeWindowsFinishingInReverseOrder(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const windows, conc = 6, 3
	f := newFakeExports(t, start, 10)
	f.done = reverseInBatches(conc, windows)
	f.fileGate = true // file 1 is served only after file 2: downloads overlap
	tmp := t.TempDir()

	var (
		onDisk      []string // temporary files present when window 1 starts downloading
		mostWindows int      // the most windows with files on disk at a report
	)
	ids, dones, err := rangeCollect(t, f, ghost.RangeParams{
		Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, windows),
		Window: 24 * time.Hour, Concurrency: conc, TempDir: tmp, Wait: fastWait(), Downloads: 2,
		OnProgress: func(p ghost.RangeProgress) {
			m, _ := filepath.Glob(filepath.Join(tmp, "*", "*"))
			wins := map[string]bool{}
			for _, path := range m {
				wins[filepath.Base(path)[:6]] = true
			}
			mostWindows = max(mostWindows, len(wins))
			if p.Window == 1 && p.Phase == ghost.PhaseDownloading {
				for _, path := range m {
					onDisk = append(onDisk, filepath.Base(path))
				}
			}
		},
	}, nil)
	require.NoError(t, err)

	assert.Equal(t, []int{3, 2, 1, 6, 5, 4}, f.doneOrder, "the server finished the windows in reverse order")
	assert.Equal(t, hourIDs(start, 24*windows), ids, "every object once, in time order")
	assert.Equal(t, conc, f.maxRunning)
	assert.Equal(t, windows, f.creates)
	sort.Strings(onDisk)
	assert.Equal(t, []string{"w00002-f00001.json", "w00002-f00002.json", "w00002-f00003.json",
		"w00003-f00001.json", "w00003-f00002.json", "w00003-f00003.json"}, onDisk,
		"windows 2 and 3 wait on disk while window 1 is not done")
	for k, e := range f.exports {
		assert.Equal(t, 2, e.mostFetch, "window %d: two files at once (file 1 waits for file 2), never more", k)
	}
	assert.LessOrEqual(t, mostWindows, 2*conc, "at most 2×Concurrency windows wait on disk")
	assert.GreaterOrEqual(t, mostWindows, conc)
	left, _ := os.ReadDir(tmp)
	assert.Empty(t, left, "temporary files removed")

	require.Len(t, dones, windows)
	for i, d := range dones {
		assert.Equal(t, i+1, d.Window, "PhaseDone in window order")
		assert.Equal(t, start.AddDate(0, 0, i+1), d.Checkpoint)
		assert.Equal(t, 24, d.Objects)
		assert.Equal(t, 3, d.Files)
	}
}

func TestRangeResumeAfterStopWithLaterWindowsDone(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const windows, conc = 6, 3
	end := start.AddDate(0, 0, windows)
	all := hourIDs(start, 24*windows)
	tmp := t.TempDir()

	// The first run stops (a crash, as far as the output knows) in the
	// middle of window 2, while window 3 is already downloaded and later
	// windows are running.
	f := newFakeExports(t, start, 10)
	f.done = reverseInBatches(conc, windows)
	var checkpoint time.Time
	params := ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: end,
		Window: 24 * time.Hour, Concurrency: conc, TempDir: tmp, Wait: fastWait()}
	first, dones, err := rangeCollect(t, f, params, func(n int) bool { return n == 24+5 })
	require.NoError(t, err)
	for _, d := range dones {
		checkpoint = d.Checkpoint
	}
	require.Equal(t, start.AddDate(0, 0, 1), checkpoint, "only window 1 was emitted in full")
	left, _ := os.ReadDir(tmp)
	assert.Empty(t, left, "stopping removes the files of windows not emitted")

	// The output is kept up to the checkpoint; a new run resumes there.
	kept := first[:24]
	f2 := newFakeExports(t, checkpoint, 10) // numbers windows from the checkpoint
	f2.done = reverseInBatches(conc, windows-1)
	params.Checkpoint = checkpoint
	second, _, err := rangeCollect(t, f2, params, nil)
	require.NoError(t, err)
	assert.Equal(t, all, append(kept, second...), "no duplicate, no gap")
	assert.Equal(t, windows-1, f2.creates, "the resumed run starts at window 2")
}

func TestRangeConcurrency503LowersInFlight(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const windows = 7
	f := newFakeExports(t, start, 1000)
	f.limit = 2 // the server allows two; the caller asks for three
	polls := map[int]int{}
	f.done = func(f *fakeExports, k int) bool { polls[k]++; return polls[k] >= 3 }
	var retrying []error
	ids, _, err := rangeCollect(t, f, ghost.RangeParams{
		Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, windows),
		Window: 24 * time.Hour, Concurrency: 3,
		// Polls and retries every millisecond; the lowered limit holds an hour.
		Wait: ghost.WaitOptions{Interval: time.Millisecond, MaxInterval: time.Hour, Backoff: 1},
		OnProgress: func(p ghost.RangeProgress) {
			if p.Phase == ghost.PhaseRetrying {
				retrying = append(retrying, p.Err)
			}
		},
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, hourIDs(start, 24*windows), ids)
	assert.Equal(t, 1, f.refused, "one 503, then two at a time: no spinning")
	require.Len(t, retrying, 1)
	assert.ErrorIs(t, retrying[0], ghost.ErrUnavailable)
	assert.Equal(t, 2, f.maxRunning)
	assert.Equal(t, windows+1, f.creates)
}

// After a concurrency 503 the number in flight grows back, one every
// Wait.MaxInterval, when the server allows more again.
func TestRangeConcurrencyComesBack(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const windows = 12
	f := newFakeExports(t, start, 1000)
	f.limit, f.raiseTo = 2, 3 // refuses the third once, then allows three
	polls := map[int]int{}
	f.done = func(f *fakeExports, k int) bool { polls[k]++; return polls[k] >= 20 }
	ids, _, err := rangeCollect(t, f, ghost.RangeParams{
		Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, windows),
		Window: 24 * time.Hour, Concurrency: 3,
		// The lowered limit holds 1 ms; an export takes 20 polls, 1 ms apart.
		Wait: ghost.WaitOptions{Interval: time.Millisecond, MaxInterval: time.Millisecond, Backoff: 1},
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, hourIDs(start, 24*windows), ids)
	assert.Equal(t, 1, f.refused)
	assert.Equal(t, 3, f.maxLater, "three at once again after the 503")
}

func TestRangeErrorComesAfterEarlierWindows(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f := newFakeExports(t, start, 1000)
	f.done = func(f *fakeExports, k int) bool { return k != 3 }
	srvGet := f.srv.Config.Handler
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" && r.URL.Path == "/v3/merchants/M1/exports/E3" {
			fmt.Fprint(w, `{"id":"E3","status":"FAILED","percentComplete":40}`)
			return
		}
		srvGet.ServeHTTP(w, r)
	})
	ids, dones, err := rangeCollect(t, f, ghost.RangeParams{
		Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 5),
		Window: 24 * time.Hour, Concurrency: 3, Wait: fastWait(),
	}, nil)
	require.ErrorIs(t, err, ghost.ErrExportFailed)
	assert.Contains(t, err.Error(), "window 3 of 5")
	assert.Equal(t, hourIDs(start, 48), ids, "windows 1 and 2 first")
	require.Len(t, dones, 2)
	assert.Equal(t, start.AddDate(0, 0, 2), dones[1].Checkpoint)
}

// Once a window has failed, Range starts no further export on the server,
// even for a window that was waiting for a slot.
func TestRangeStartsNothingAfterAFailure(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 5 {
		f := newFakeExports(t, start, 24)
		// Window 2 is refused while window 1 still runs and window 3 waits
		// for a slot; window 1 finishes only after Range has reported
		// window 2 failed (the server counting its 400 is not enough: the
		// client may not have read it yet).
		var failed atomic.Bool
		f.refuse = func(k int) bool { return k == 2 }
		f.done = func(f *fakeExports, k int) bool { return k != 1 || failed.Load() }
		ids, _, err := rangeCollect(t, f, ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start,
			End: start.AddDate(0, 0, 4), Window: 24 * time.Hour, Concurrency: 2, Wait: fastWait(),
			OnProgress: func(p ghost.RangeProgress) {
				if p.Phase == ghost.PhaseFailed {
					assert.Equal(t, 2, p.Window)
					assert.ErrorIs(t, p.Err, ghost.ErrValidation)
					failed.Store(true)
				}
			}}, nil)
		require.ErrorIs(t, err, ghost.ErrValidation)
		assert.Len(t, ids, 24, "window 1's objects come first")
		f.mu.Lock()
		creates := f.creates
		f.mu.Unlock()
		require.Equal(t, 2, creates, "no export created after window 2 failed")
	}
}

// The per-object cap holds for files Range spools to disk too.
func TestRangeObjectCap(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFakeExports(t, start, 24)
	f.done = func(*fakeExports, int) bool { return true }
	f.pad = 40000
	f.opts = []ghost.Option{ghost.WithMaxExportObjectBytes(1024)}
	ids, _, err := rangeCollect(t, f, ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start,
		End: start.AddDate(0, 0, 2), Window: 24 * time.Hour, Wait: fastWait()}, nil)
	require.ErrorIs(t, err, ghost.ErrResponseTooLarge)
	assert.Empty(t, ids)

	f.opts = nil // the default cap (4 MiB) lets them through
	ids, _, err = rangeCollect(t, f, ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start,
		End: start.AddDate(0, 0, 2), Window: 24 * time.Hour, Wait: fastWait()}, nil)
	require.NoError(t, err)
	assert.Equal(t, hourIDs(start, 48), ids)
}

func TestRangeRejectsBadConcurrency(t *testing.T) {
	c, err := ghost.NewClient(ghost.WithBaseURL("http://127.0.0.1:1"), ghost.WithBearerToken("t"))
	require.NoError(t, err)
	for _, p := range []ghost.RangeParams{{Concurrency: -1}, {Downloads: -1}} {
		p.Type, p.Start, p.End = ghost.ExportTypeOrders, exportT0.Add(-time.Hour), exportT0
		n := 0
		for _, err := range c.Exports.Range(context.Background(), "M1", p) {
			n++
			assert.ErrorIs(t, err, ghost.ErrValidation)
		}
		assert.Equal(t, 1, n)
	}
}

// refuseFirstPost sends the first POST to a port nobody listens on: it
// fails before a byte reaches the server.
type refuseFirstPost struct {
	mu     sync.Mutex
	done   bool
	closed string // host:port of a closed listener
}

func (rt *refuseFirstPost) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	first := req.Method == http.MethodPost && !rt.done
	if first {
		rt.done = true
	}
	rt.mu.Unlock()
	if first {
		req = req.Clone(req.Context())
		req.URL.Host = rt.closed
	}
	return http.DefaultTransport.RoundTrip(req)
}

// A file whose body is cut while it is copied to disk is downloaded again
// (the executor hands the body over, so Range repeats it); each object still
// comes once. A file answering 503 is retried by the executor alone.
func TestRangeFileRetries(t *testing.T) {
	start := exportT0.Add(-24 * time.Hour)
	for _, tc := range []struct {
		name  string
		fault ghosttest.Fault
		gets  int // GETs of file 1
	}{
		{"cut body", ghosttest.Fault{Method: "GET", PathPrefix: "/v3/exports/files/", CutBody: true}, 2},
		{"503 twice", ghosttest.Fault{Method: "GET", PathPrefix: "/v3/exports/files/", Status: http.StatusServiceUnavailable, Times: 2}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newExportServer(t)
			srv.InjectFault(tc.fault)
			run := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: exportT0}, 0)
			require.NoError(t, run.err)
			assert.Equal(t, gridIDs("O", start, exportT0, 37*time.Minute), run.ids)
			gets := 0
			for _, r := range srv.Requests() {
				if r.Method == "GET" && strings.HasPrefix(r.Path, "/v3/exports/files/") && strings.HasSuffix(r.Path, "/1.json") {
					gets++
				}
			}
			assert.Equal(t, tc.gets, gets)
		})
	}
}

func TestRangeLostCreateIsNotRepeated(t *testing.T) {
	start := exportT0.Add(-24 * time.Hour)
	for _, tc := range []struct {
		name  string
		fault ghosttest.Fault
	}{
		{"connection reset after creating", ghosttest.Fault{Method: "POST", CutBody: true}},
		{"connection closed without an answer", ghosttest.Fault{Method: "POST", Drop: true}},
		{"gateway timeout", ghosttest.Fault{Method: "POST", Status: http.StatusGatewayTimeout}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newExportServer(t)
			srv.InjectFault(tc.fault)
			run := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: exportT0}, 0)
			require.ErrorIs(t, run.err, ghost.ErrExportCreateUnknown)
			assert.Contains(t, run.err.Error(), "window 1 of 1")
			assert.Empty(t, run.ids)
			posts := 0
			for _, r := range srv.Requests() {
				if r.Method == "POST" {
					posts++
				}
			}
			assert.Equal(t, 1, posts, "not created a second time")
		})
	}

	t.Run("refused before sending is retried", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := ln.Addr().String()
		ln.Close()
		srv, _ := newExportServer(t, ghosttest.WithClientOptions(
			ghost.WithHTTPClient(&http.Client{Transport: &refuseFirstPost{closed: closed}})))
		run := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: exportT0}, 0)
		require.NoError(t, run.err)
		assert.Equal(t, gridIDs("O", start, exportT0, 37*time.Minute), run.ids)
		// The executor repeats a create whose connection was refused (it
		// wrote nothing), so Range never sees the failure.
		assert.Equal(t, []string{"1/1 created", "1/1 polling", "1/1 downloading", "1/1 done"}, run.phases)
		posts := 0
		for _, r := range srv.Requests() {
			if r.Method == "POST" {
				posts++
			}
		}
		assert.Equal(t, 1, posts, "one export on the server")
	})
}

// BenchmarkRange runs 365 days (13 windows) against the mock with exports
// of 100 ms (BENCHMARKS.md also times 3 s exports through the example job)
// at concurrency 1, 2 and 3, the mock allowing as many.
//
//	go test -run '^$' -bench BenchmarkRange -benchtime 1x -count 3 .
func BenchmarkRange(b *testing.B) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("C=%d", c), func(b *testing.B) {
			srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileExports),
				ghosttest.WithConfig(ghosttest.Config{ExportDuration: 100 * time.Millisecond, ExportConcurrency: c}))
			defer srv.Close()
			n := 0
			for b.Loop() {
				for _, err := range srv.Client.Exports.Range(context.Background(), "M1", ghost.RangeParams{
					Type: ghost.ExportTypeOrders, Start: end.AddDate(0, 0, -365), End: end, Concurrency: c,
					Wait: ghost.WaitOptions{Interval: 10 * time.Millisecond, MaxInterval: 100 * time.Millisecond},
				}) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// Create says what a failure means for the export: a lost answer may have
// created one (ErrExportCreateUnknown), closed hours name the hours, a
// refusal is a plain API error.
func TestExportCreateErrors(t *testing.T) {
	params := ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0}
	for _, tc := range []struct {
		name    string
		opts    []ghosttest.Option
		fault   *ghosttest.Fault
		unknown bool
		hours   bool
	}{
		{name: "answer cut after creating", fault: &ghosttest.Fault{Method: "POST", CutBody: true}, unknown: true},
		{name: "connection closed without an answer", fault: &ghosttest.Fault{Method: "POST", Drop: true}, unknown: true},
		{name: "gateway timeout", fault: &ghosttest.Fault{Method: "POST", Status: http.StatusGatewayTimeout}, unknown: true},
		{name: "refused with 500", fault: &ghosttest.Fault{Method: "POST", Status: http.StatusInternalServerError}},
		{name: "too many exports", fault: &ghosttest.Fault{Method: "POST", Status: http.StatusServiceUnavailable,
			Body: `{"message":"Too many concurrent exports"}`}},
		{name: "outside the hours", opts: []ghosttest.Option{ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 15}})}, hours: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newExportServer(t, tc.opts...)
			if tc.hours {
				srv.Clock.Set(exportT0.Truncate(24 * time.Hour).Add(20 * time.Hour))
			}
			if tc.fault != nil {
				srv.InjectFault(*tc.fault)
			}
			_, err := c.Exports.Create(t.Context(), "M1", params)
			require.Error(t, err)
			assert.Equal(t, tc.unknown, errors.Is(err, ghost.ErrExportCreateUnknown), "%v", err)
			var he *ghost.ServiceHoursError
			require.Equal(t, tc.hours, errors.As(err, &he), "%v", err)
			if tc.hours {
				assert.True(t, he.HasHours)
				assert.Equal(t, 10*time.Hour, he.Open)
				assert.ErrorIs(t, err, ghost.ErrUnavailable)
			}
			posts := 0
			for _, r := range srv.Requests() {
				if r.Method == "POST" {
					posts++
				}
			}
			assert.Equal(t, 1, posts, "a create is sent once")
		})
	}
}
