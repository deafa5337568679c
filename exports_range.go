package ghost

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRangeConcurrency is how many windows Range keeps in flight when
// RangeParams.Concurrency is zero. The export service "can only handle a few
// concurrent exports at a time" and answers 503 above its threshold; two is
// the smallest "few", what the mock allows by default, and already halves
// the time of a long range. A higher value only helps when the server (and
// other jobs using the same merchant) leave that many slots free; Range
// lowers it by itself, for a while, when the server says it is too many.
const DefaultRangeConcurrency = 2

// RangePhase is the step a Range window is at when progress is reported.
type RangePhase string

// The phases of a Range window, in order; PhaseRetrying may come before
// PhaseCreated any number of times, and PhaseFailed ends a window early.
const (
	PhaseRetrying    RangePhase = "retrying"    // creating was refused (Err says why); waiting to try again
	PhaseCreated     RangePhase = "created"     // the window's export exists
	PhasePolling     RangePhase = "polling"     // a poll returned (Export has status and percent)
	PhaseDownloading RangePhase = "downloading" // the export is DONE; its files are being downloaded
	PhaseFile        RangePhase = "file"        // one more of the window's files is on disk (Files, Bytes)
	PhaseDone        RangePhase = "done"        // every object of the window was consumed; Checkpoint is set
	// PhaseFailed: the window's export could not be created or did not
	// finish (Err says why). It is reported once Range has recorded the
	// failure: no export is started after it, and the run ends with Err
	// after the earlier windows' objects.
	PhaseFailed RangePhase = "failed"
)

// RangeProgress reports what a Range run is doing. Windows run
// concurrently, so the reports of different windows interleave; the reports
// of one window come in phase order, and PhaseDone comes in window order.
type RangeProgress struct {
	Window, Windows int           // this window's number (from 1) and how many this run has
	Start, End      time.Time     // the window's range [Start, End)
	Phase           RangePhase    // what happened
	Export          *Export       // the window's export, once created
	Objects         int           // PhaseDone: objects yielded for this window
	Files           int           // from PhaseDownloading: how many files the window's export has
	FilesDone       int           // files of the window on disk so far
	Bytes           int64         // bytes of the window's files on disk so far
	InFlight        int           // windows of this run holding an export slot (being created, or running on the server)
	Err             error         // PhaseRetrying: the 503 (or other temporary error) being waited through; PhaseFailed: why the window failed
	Wait            time.Duration // PhaseRetrying: how long before the next try
	// Checkpoint, at PhaseDone, is the end of the range finished so far:
	// save it, and pass it as RangeParams.Checkpoint to resume there.
	Checkpoint time.Time
}

// DefaultRangeDownloads is how many files of one export Range downloads at
// once when RangeParams.Downloads is zero.
const DefaultRangeDownloads = 4

// ErrExportCreateUnknown is matched by the error of Range when creating a
// window's export failed after the request was sent and no answer proves the
// server refused it: the connection broke after the request was written, or
// the answer was cut, unreadable, or a gateway's 502/504. The export may be
// running on the server.
//
// The export API has no idempotency key and no way to list a merchant's
// exports (seed 004 documents only create and get-by-id), so nothing can
// prove that export does not exist, and creating the window again could
// leave two exports running against the server's small concurrency limit.
// Range therefore does not create it again: it stops with this error (the
// underlying error wrapped too) once the windows before it are emitted, so
// the last Checkpoint is just before the window. Resume from it later: an
// abandoned export finishes by itself and then stops counting against the
// limit. A create that provably never reached the server (connection
// refused, nothing written) and a create the server answered with an error
// (a 503 or 429, a 500) are retried as before.
var ErrExportCreateUnknown = errors.New("ghost: the export may have been created: its answer was lost")

// RangeParams describes a range export.
type RangeParams struct {
	Type       ExportType
	Start, End time.Time // the range [Start, End), any length
	// Checkpoint resumes an earlier run: the range before it is skipped
	// (it is the Checkpoint of that run's last PhaseDone report).
	Checkpoint time.Time
	// Window is the length of each export (default and maximum 30 days, at
	// least MinExportWindow); the range is split by SplitExportRange.
	Window time.Duration
	// Concurrency is how many windows' exports may run on the server at
	// once (default DefaultRangeConcurrency, 2: the seed promises only "a
	// few" concurrent exports). Creating, polling and downloading of
	// different windows overlap. When the server answers a create with a
	// concurrency 503, Range runs fewer exports at once for a while
	// (Wait.MaxInterval, then one more each such interval) instead of
	// failing or retrying in a tight loop.
	Concurrency int
	// Downloads is how many files of one export are downloaded at once
	// (default DefaultRangeDownloads). They are still emitted in file order.
	Downloads int
	// TempDir is where downloaded files wait until the windows before them
	// are emitted (default os.TempDir()). Range creates its own directory in
	// it and removes it when it returns (a process killed mid-run leaves
	// its ghost-range-* directory behind). At most 2×Concurrency windows
	// are on disk at once, never in memory.
	//
	// The disk they take is bounded while they are written, not only when
	// they are read: a file is spooled as the JSON array of its objects,
	// each checked as it arrives (File), so a temporary file holds at most
	// MaxExportFileObjects objects of at most WithMaxExportObjectBytes
	// bytes (plus a separator each), whatever the file host sends — a
	// gzip bomb's oversized object is refused before any of it is written.
	// In all, at most 2×Concurrency × (files per export) × that bound.
	TempDir string
	// Wait says how each export is polled, and how creating is retried
	// after a 503 (Interval growing by Backoff up to MaxInterval). Range
	// also polls at the completion time the export's percentComplete
	// predicts when that comes sooner. Wait.OnProgress is called like
	// OnProgress, never concurrently.
	Wait WaitOptions
	// WaitForHours makes Range wait for the service to open when it is
	// outside its service hours (trying again at most every
	// Wait.MaxInterval); otherwise Range stops with a *ServiceHoursError.
	WaitForHours bool
	// OnProgress, when set, is called at every step of every window. Calls
	// never overlap (Range serializes them), so it may update the caller's
	// state without a lock; it should return quickly.
	OnProgress func(RangeProgress)
}

// Range exports any range as consecutive windows of at most 30 days,
// [Start, Start+30d), [Start+30d, Start+60d), …, keeping up to
// params.Concurrency of them running on the server at once, and yields
// every object of the range exactly once, in window order (within a window,
// in file order).
//
// Windows are created in order as slots free up; each is polled until DONE,
// and its files are downloaded in parallel (params.Downloads at once) to
// temporary files. The objects are decoded from those files as the windows
// before them are emitted, and each file is removed once emitted: a window
// that finishes early waits on disk, not in memory, and memory stays flat
// however long the range.
//
// Creating an export the server refuses with 503 because too many exports
// are running lowers the number in flight for a while and tries again after
// a backoff; a 503 for no stated reason, 429, another 5xx or a failure to
// connect is retried with backoff until ctx ends. A create whose answer was
// lost is not repeated: see ErrExportCreateUnknown. Outside service hours
// Range stops with a *ServiceHoursError (errors.Is ErrOutsideServiceHours),
// or waits for the hours when WaitForHours is set.
//
// After each window's last object, OnProgress gets PhaseDone with a
// Checkpoint: a new run given that Checkpoint resumes after the emitted
// windows, with neither a duplicate nor a gap, whichever windows had
// finished on the server. A window's error is yielded in its place, after
// the windows before it, and ends the sequence; so does ctx ending or the
// caller stopping early. Range returns only once every request it started
// has ended and its temporary files are removed.
func (s *ExportsService) Range(ctx context.Context, merchantID ID, params RangeParams) iter.Seq2[json.RawMessage, error] {
	return ExportRange[json.RawMessage](ctx, s, merchantID, params)
}

// ExportRange is Range with the objects decoded as T (for example
// ExportedOrder or ExportedPayment).
func ExportRange[T any](ctx context.Context, s *ExportsService, merchantID ID, params RangeParams) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		ws, err := params.split()
		if err != nil {
			yield(zero, err)
			return
		}
		if ws.Len() == 0 {
			return
		}
		r, err := newRangeRun(ctx, s, merchantID, &params, ws)
		if err != nil {
			yield(zero, err)
			return
		}
		defer r.close()
		r.wg.Add(1)
		go r.dispatch()
		for range ws.Len() {
			var w *rangeWindow
			select {
			case w = <-r.started:
			case <-r.ctx.Done():
				yield(zero, fmt.Errorf("ghost: export range: %w", r.ctx.Err()))
				return
			}
			if !emitWindow(r, w, yield) {
				return
			}
		}
	}
}

// split checks the parameters and splits the range left after the
// checkpoint (none when the checkpoint is past the end).
func (p *RangeParams) split() (ExportWindows, error) {
	switch {
	case p.Type != ExportTypeOrders && p.Type != ExportTypePayments:
		return ExportWindows{}, invalidParams("type", "export type is %q; want ORDERS or PAYMENTS", p.Type)
	case p.Concurrency < 0:
		return ExportWindows{}, invalidParams("concurrency", "concurrency must not be negative")
	case p.Downloads < 0:
		return ExportWindows{}, invalidParams("downloads", "downloads must not be negative")
	case p.Start.IsZero() || p.End.IsZero() || !p.Start.Before(p.End):
		return ExportWindows{}, invalidParams("end", "the range needs a start before its end")
	}
	start := p.Start
	if p.Checkpoint.After(start) {
		start = p.Checkpoint
	}
	if !start.Before(p.End) {
		if _, err := SplitExportRange(p.Start, p.End, p.Window); err != nil {
			return ExportWindows{}, err
		}
		return ExportWindows{}, nil
	}
	return SplitExportRange(start, p.End, p.Window)
}

// rangeRun is one Range call in progress.
type rangeRun struct {
	ctx      context.Context
	cancel   context.CancelFunc
	s        *ExportsService
	merchant ID
	p        *RangeParams
	wait     WaitOptions // p.Wait with defaults, OnProgress removed
	dir      string
	windows  ExportWindows
	started  chan *rangeWindow // the windows started (or failed), in order
	slots    *exportSlots
	ahead    chan struct{} // a token per window started and not yet emitted
	wg       sync.WaitGroup
	failed   atomic.Bool // a window failed: start no more

	progMu sync.Mutex // serializes OnProgress and Wait.OnProgress
}

// rangeWindow is one window of a run. Its goroutine sets export (or err)
// before closing ready, and each file's fields before closing its done.
type rangeWindow struct {
	n          int // from 1
	start, end time.Time
	ready      chan struct{}
	export     *Export
	err        error
	files      []*spoolFile
}

// spoolFile is one export file downloaded to disk. When kept is set the
// file at path holds the objects read before err (if any), to be emitted
// before it.
type spoolFile struct {
	path string
	done chan struct{}
	size int64
	kept bool
	err  error
}

func newRangeRun(ctx context.Context, s *ExportsService, merchantID ID, p *RangeParams, ws ExportWindows) (*rangeRun, error) {
	if ctx == nil {
		return nil, invalidParams("", "nil context")
	}
	c := p.Concurrency
	if c == 0 {
		c = DefaultRangeConcurrency
	}
	dir, err := os.MkdirTemp(p.TempDir, "ghost-range-*")
	if err != nil {
		return nil, fmt.Errorf("ghost: range: temporary directory: %w", err)
	}
	wait := p.Wait.withDefaults()
	wait.OnProgress = nil
	r := &rangeRun{
		s: s, merchant: merchantID, p: p, wait: wait, dir: dir,
		slots: newExportSlots(c, wait.MaxInterval, s.client.cfg.now),
		ahead: make(chan struct{}, 2*c),
		// Every window sent holds an ahead token, but for the one failed
		// window that ends the run.
		started: make(chan *rangeWindow, 2*c+1),
		windows: ws,
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	return r, nil
}

// close stops every window, waits for their goroutines and removes the
// temporary files.
func (r *rangeRun) close() {
	r.cancel()
	r.wg.Wait()
	os.RemoveAll(r.dir)
}

// report calls OnProgress (one call at a time).
func (r *rangeRun) report(p RangeProgress) {
	if r.p.OnProgress == nil {
		return
	}
	r.progMu.Lock()
	defer r.progMu.Unlock()
	r.p.OnProgress(p)
}

// dispatch starts the windows in order, each once a look-ahead token (disk)
// and an export slot (server) are free, and hands each to the emitter. The
// first window that cannot start is handed over failed with the reason, and
// ends the run.
func (r *rangeRun) dispatch() {
	defer r.wg.Done()
	for ew := range r.windows.All() {
		w := &rangeWindow{n: ew.Index + 1, start: ew.Start, end: ew.End, ready: make(chan struct{})}
		err := r.ctx.Err()
		if err == nil && r.failed.Load() {
			err = errors.New("an earlier window failed")
		}
		if err == nil {
			select {
			case r.ahead <- struct{}{}:
			case <-r.ctx.Done():
				err = r.ctx.Err()
			}
		}
		if err == nil {
			err = r.slots.acquire(r.ctx, w.n)
			if err == nil && r.failed.Load() {
				// A window failed while this one waited for its slot: start
				// no further export on the server.
				r.slots.release()
				err = errors.New("an earlier window failed")
			}
		}
		if err != nil {
			w.err = err
			close(w.ready)
			r.started <- w
			return
		}
		r.wg.Add(1)
		go r.runWindow(w)
		r.started <- w
	}
}

// runWindow creates and polls the window's export (holding a slot), then
// downloads its files.
func (r *rangeRun) runWindow(w *rangeWindow) {
	defer r.wg.Done()
	p := RangeProgress{Window: w.n, Windows: r.windows.Len(), Start: w.start, End: w.end}
	e, err := r.createAndWait(w, &p)
	if err != nil {
		// Mark the failure before freeing the slot, so that the dispatcher
		// waiting for it creates no further export.
		r.failed.Store(true)
	}
	r.slots.release()
	if err != nil {
		w.err = err
		close(w.ready)
		p.Phase, p.Err, p.Wait, p.InFlight = PhaseFailed, err, 0, r.slots.inUse()
		r.report(p)
		return
	}
	w.export = e
	w.files = make([]*spoolFile, len(e.ExportURLs))
	for i := range w.files {
		w.files[i] = &spoolFile{path: filepath.Join(r.dir, fmt.Sprintf("w%05d-f%05d.json", w.n, i+1)), done: make(chan struct{})}
	}
	if err := r.s.checkDownloadable(e); err != nil {
		for _, f := range w.files {
			f.err = err
			close(f.done)
		}
		if len(w.files) == 0 {
			w.err = err
		}
		close(w.ready)
		return
	}
	close(w.ready)
	p.Export, p.Err, p.Wait, p.InFlight = e, nil, 0, 0
	p.Phase, p.Files = PhaseDownloading, len(w.files)
	r.report(p)
	r.download(w, p)
}

// download fetches the window's files to disk, Downloads at a time, in
// order of starting.
func (r *rangeRun) download(w *rangeWindow, p RangeProgress) {
	n := r.p.Downloads
	if n == 0 {
		n = DefaultRangeDownloads
	}
	var (
		next atomic.Int64
		mu   sync.Mutex // guards p's counters
		wg   sync.WaitGroup
	)
	for range min(n, len(w.files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(w.files) {
					return
				}
				f := w.files[i]
				f.size, f.kept, f.err = r.s.spool(r.ctx, w.export, i, f.path)
				if f.err == nil {
					// Reported before the emitter may take the file, so
					// PhaseFile never follows the window's PhaseDone.
					mu.Lock()
					p.FilesDone++
					p.Bytes += f.size
					p.Phase = PhaseFile
					q := p
					mu.Unlock()
					r.report(q)
				}
				close(f.done) // on error, the emitter reports it in its place
			}
		}()
	}
	wg.Wait()
}

// createAndWait creates the window's export (retrying what may be retried)
// and polls it until DONE.
func (r *rangeRun) createAndWait(w *rangeWindow, p *RangeProgress) (*Export, error) {
	e, err := r.create(w, p)
	if err != nil {
		return nil, err
	}
	created := r.s.client.cfg.now()
	p.Export, p.Err, p.Wait, p.Phase = e, nil, 0, PhaseCreated
	p.InFlight = r.slots.inUse()
	r.report(*p)
	return r.poll(e, created, func(e *Export) {
		p.Export, p.Phase = e, PhasePolling
		p.InFlight = r.slots.inUse()
		r.progMu.Lock()
		if r.p.Wait.OnProgress != nil {
			r.p.Wait.OnProgress(e)
		}
		r.progMu.Unlock()
		r.report(*p)
	})
}

// create creates the window's export. It holds a slot on entry and on
// return; across a concurrency 503 it gives the slot back while it waits.
func (r *rangeRun) create(w *rangeWindow, p *RangeProgress) (*Export, error) {
	o := r.wait
	delay := o.Interval
	ctx := r.ctx
	for {
		e, err := r.s.Create(ctx, r.merchant, ExportCreateParams{Type: r.p.Type, Start: w.start, End: w.end})
		if err == nil {
			return e, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ghost: creating export: %w", ctx.Err())
		}
		c := ClassifyExportError(err, r.s.client.cfg.now())
		wait := delay
		switch c.Kind {
		case ExportErrorTransient:
		case ExportErrorConcurrency:
			r.slots.lower()
		case ExportErrorServiceHours:
			if !r.p.WaitForHours {
				return nil, c.Hours
			}
			err, wait = c.Hours, o.MaxInterval
			if c.Hours.HasHours {
				wait = max(c.Wait, o.Interval)
			}
		default: // a lost answer (ErrExportCreateUnknown), or refused for good
			return nil, err
		}
		lowered := c.Kind == ExportErrorConcurrency
		wait = min(max(wait, c.Wait), o.MaxInterval)
		p.Err, p.Wait, p.Phase = err, wait, PhaseRetrying
		r.report(*p)
		if lowered {
			// Wait with the slot given back; take one again (it may take
			// longer, until an export of this run finishes).
			r.slots.release()
		}
		serr := sleepCtx(ctx, wait)
		if lowered {
			if aerr := r.slots.acquire(ctx, w.n); aerr != nil {
				r.slots.acquireLost() // keep release in runWindow balanced
				serr = aerr
			}
		}
		if serr != nil {
			return nil, fmt.Errorf("ghost: creating export: %w", serr)
		}
		delay = o.next(delay)
	}
}

// refused reports whether err is the server's own answer refusing a create:
// any error status but a gateway's 502 or 504 (a proxy answering for a
// server that may have acted).
func refused(err error) bool {
	var ge *Error
	if !errors.As(err, &ge) || ge.StatusCode < 400 {
		return false
	}
	return ge.StatusCode != http.StatusBadGateway && ge.StatusCode != http.StatusGatewayTimeout
}

// poll polls an export until DONE, like Wait, and also at the completion
// time its percentComplete predicts when that is sooner than the backoff.
func (r *rangeRun) poll(e *Export, created time.Time, onPoll func(*Export)) (*Export, error) {
	o := r.wait
	ctx := r.ctx
	last := e
	delay := o.Interval
	for {
		next := delay
		if eta, ok := predictDone(last, r.s.client.cfg.now().Sub(created)); ok {
			next = min(next, max(eta, o.Interval/2))
		}
		if err := sleepCtx(ctx, next); err != nil {
			return last, fmt.Errorf("ghost: waiting for export %s: %w", e.ID, err)
		}
		delay = o.next(delay)
		got, err := r.s.Get(ctx, r.merchant, e.ID)
		switch {
		case err == nil:
			last = got
			onPoll(got)
			if got.Status == ExportStatusDone {
				return got, nil
			}
			if got.Final() {
				return got, fmt.Errorf("ghost: export %s is %s (at %d%%): %w", e.ID, got.Status, got.PercentComplete, ErrExportFailed)
			}
		case ctx.Err() != nil:
			return last, fmt.Errorf("ghost: waiting for export %s: %w", e.ID, ctx.Err())
		case !temporary(err):
			return last, err
		default:
			var ge *Error
			if errors.As(err, &ge) && ge.RetryAfter > delay {
				delay = min(ge.RetryAfter, o.MaxInterval)
			}
		}
	}
}

// predictDone estimates how long until an export in progress is DONE from
// its percentComplete after elapsed, with a 2% margin; ok is false when it
// cannot tell (no progress yet, or done).
func predictDone(e *Export, elapsed time.Duration) (time.Duration, bool) {
	pc := e.PercentComplete
	if e.Status != ExportStatusInProgress || pc <= 0 || pc >= 100 || elapsed <= 0 {
		return 0, false
	}
	total := elapsed * 100 / time.Duration(pc)
	return total - elapsed + total/50, true
}

// spool writes file i of e to path as a JSON array of its objects, read
// with File: each object within the object cap, at most
// MaxExportFileObjects of them, a cut download resumed. It returns the
// bytes written, whether the file is kept, and the error that ended the
// file early, if any: the objects before that error are kept on disk, to
// be emitted before it.
func (s *ExportsService) spool(ctx context.Context, e *Export, i int, path string) (n int64, kept bool, err error) {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, false, err
	}
	w := &countWriter{w: bufio.NewWriterSize(fh, 64<<10)}
	sep := byte('[')
	for raw, ferr := range s.File(ctx, e, i) {
		if ferr != nil {
			err = ferr
			break
		}
		w.Write([]byte{sep})
		w.Write(raw)
		sep = ','
	}
	if sep == '[' {
		w.Write([]byte{sep})
	}
	w.Write([]byte{']'})
	werr := w.w.Flush()
	if cerr := fh.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return w.n, false, fmt.Errorf("ghost: export %s file %d of %d: writing %s: %w", e.ID, i+1, len(e.ExportURLs), path, werr)
	}
	return w.n, true, err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// emitWindow yields the objects of window w in file order as its files
// arrive on disk, removes each file once read, and reports PhaseDone; it
// reports whether to go on.
func emitWindow[T any](r *rangeRun, w *rangeWindow, yield func(T, error) bool) bool {
	var zero T
	fail := func(err error) bool {
		yield(zero, fmt.Errorf("ghost: export window %d of %d (%s to %s): %w", w.n, r.windows.Len(),
			w.start.UTC().Format(time.RFC3339), w.end.UTC().Format(time.RFC3339), err))
		return false
	}
	select {
	case <-w.ready:
	case <-r.ctx.Done():
		return fail(r.ctx.Err())
	}
	if w.err != nil {
		return fail(w.err)
	}
	p := RangeProgress{Window: w.n, Windows: r.windows.Len(), Start: w.start, End: w.end, Export: w.export, Files: len(w.files)}
	for _, f := range w.files {
		select {
		case <-f.done:
		case <-r.ctx.Done():
			return fail(r.ctx.Err())
		}
		if !f.kept {
			return fail(f.err)
		}
		cont, err := emitFile(f, r.s.maxObject(), func(v T, err error) bool {
			if r.ctx.Err() != nil {
				// The caller's context ended: no further object.
				yield(zero, r.ctx.Err())
				return false
			}
			p.Objects++
			return yield(v, err)
		})
		if err != nil {
			return fail(fmt.Errorf("ghost: export %s: %w", w.export.ID, err))
		}
		if !cont {
			return false
		}
		if f.err != nil {
			return fail(f.err)
		}
		p.FilesDone++
		p.Bytes += f.size
	}
	<-r.ahead
	p.Checkpoint, p.Phase = w.end, PhaseDone
	r.report(p)
	return true
}

// emitFile decodes a spooled file, each object at most maxObject bytes, and
// removes it.
func emitFile[T any](f *spoolFile, maxObject int64, yield func(T, error) bool) (bool, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return false, err
	}
	defer os.Remove(f.path)
	defer fh.Close()
	r := newElementReader(fh, maxObject)
	defer r.release()
	_, err = readElements(r, 0, func(v T) bool { return yield(v, nil) })
	if errors.Is(err, errStop) {
		return false, nil
	}
	return err == nil, err
}

// exportSlots limits how many exports of a run are running on the server.
// Slots go to the lowest window waiting; after a concurrency 503 the limit
// drops to what was running without the refused window, then grows back by
// one every cooldown.
type exportSlots struct {
	mu       sync.Mutex
	max      int
	limit    int
	used     int
	waiting  map[int]bool // windows waiting for a slot
	until    time.Time    // the limit stays lowered until then
	cooldown time.Duration
	now      func() time.Time
	wake     chan struct{} // closed (and replaced) when a slot may have freed
}

func newExportSlots(n int, cooldown time.Duration, now func() time.Time) *exportSlots {
	return &exportSlots{max: n, limit: n, cooldown: cooldown, now: now, waiting: map[int]bool{}, wake: make(chan struct{})}
}

// acquire waits for a slot for window n.
func (s *exportSlots) acquire(ctx context.Context, n int) error {
	s.mu.Lock()
	s.waiting[n] = true
	defer func() {
		s.mu.Lock()
		delete(s.waiting, n)
		s.broadcast()
		s.mu.Unlock()
	}()
	for {
		now := s.now()
		for s.limit < s.max && !now.Before(s.until) {
			s.limit++
			s.until = now.Add(s.cooldown)
		}
		first := true
		for m := range s.waiting {
			if m < n {
				first = false
				break
			}
		}
		if first && s.used < s.limit {
			s.used++
			s.mu.Unlock()
			return nil
		}
		wake := s.wake
		var (
			timer <-chan time.Time
			t     *time.Timer
		)
		if s.limit < s.max {
			t = time.NewTimer(s.until.Sub(now))
			timer = t.C
		}
		s.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-wake:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if err != nil {
			return err
		}
		s.mu.Lock()
	}
}

// acquireLost records a slot that acquire could not get back (ctx ended),
// so the holder's later release stays balanced.
func (s *exportSlots) acquireLost() {
	s.mu.Lock()
	s.used++
	s.mu.Unlock()
}

func (s *exportSlots) release() {
	s.mu.Lock()
	s.used--
	s.broadcast()
	s.mu.Unlock()
}

// lower is called by a slot holder whose create got a concurrency 503.
func (s *exportSlots) lower() {
	s.mu.Lock()
	s.limit = max(1, min(s.limit, s.used-1))
	s.until = s.now().Add(s.cooldown)
	s.mu.Unlock()
}

func (s *exportSlots) inUse() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// broadcast wakes every waiter; s.mu is held.
func (s *exportSlots) broadcast() {
	close(s.wake)
	s.wake = make(chan struct{})
}
