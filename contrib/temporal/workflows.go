package ghosttemporal

import (
	"fmt"
	"os"
	"slices"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The names the workflows and the progress query are registered under.
const (
	ExportRangeWorkflow     = "ghost.ExportRange"
	ExportMerchantsWorkflow = "ghost.ExportMerchants"
	// ProgressQuery answers a RangeProgress (ExportRange) or a
	// MerchantsProgress (ExportMerchants).
	ProgressQuery = "progress"
)

// DefaultTaskQueue is the task queue the commands use unless told otherwise.
const DefaultTaskQueue = "ghost-exports"

// Register registers both workflows and the activities of a on w.
func Register(w worker.Registry, a *Activities) {
	RegisterWorkflows(w)
	w.RegisterActivity(a)
}

// RegisterWorkflows registers both workflows (not the activities) on w: a
// worker.WorkflowReplayer takes this.
func RegisterWorkflows(w interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	w.RegisterWorkflowWithOptions(ExportRange, workflow.RegisterOptions{Name: ExportRangeWorkflow})
	w.RegisterWorkflowWithOptions(ExportMerchants, workflow.RegisterOptions{Name: ExportMerchantsWorkflow})
}

// RangeOptions say how ExportRange runs its windows. Zero fields take the
// defaults.
type RangeOptions struct {
	// Window is the length of each export (default and maximum 30 days).
	Window time.Duration
	// MaxInFlight bounds the windows running at once (default 2, the
	// Exports API's usual concurrency limit). A window parked after a lost
	// create does not count.
	MaxInFlight int
	// PollInterval is the first wait between polls of an export (default
	// 10s), growing by half each poll up to MaxPollInterval (default 2m).
	PollInterval, MaxPollInterval time.Duration
	// RetryInterval is the first wait after a 503 "too many exports" or a
	// 429 (default 30s), growing by half up to MaxRetryInterval (default
	// 10m); a longer Retry-After is honoured. Outside service hours the
	// window waits until the hours the 503 names (or MaxRetryInterval when
	// it names none).
	RetryInterval, MaxRetryInterval time.Duration
	// AmbiguousCreateWait is how long a window is parked after a create
	// whose answer was lost before it creates again (default 2h). It must be
	// longer than an export can run on the server: the export the lost
	// create may have started has then finished, so no two exports of the
	// window ever run at once. A parked window gives up its slot.
	AmbiguousCreateWait time.Duration
	// FailOnAmbiguousCreate fails the window (ErrTypeWindowFailed, reason
	// ErrTypeAmbiguousCreate) instead of parking it and creating again.
	FailOnAmbiguousCreate bool
	// MaxReexports bounds how often a window is exported again because its
	// files expired before they were downloaded (default 3).
	MaxReexports int
	// Activity timeouts: CreateTimeout (default 1m) and GetTimeout (default
	// 1m) bound one call; DownloadTimeout (default 2h) bounds one download
	// attempt and DownloadHeartbeat (default 1m) is how long a download may
	// go silent before it is retried on another worker.
	CreateTimeout, GetTimeout, DownloadTimeout, DownloadHeartbeat time.Duration
	// WindowsPerRun is how many windows one run of ExportRange starts
	// before it continues as new (default 40), which bounds its history
	// however long the range.
	WindowsPerRun int
}

func (o RangeOptions) withDefaults() RangeOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defInt(&o.MaxInFlight, 2)
	defInt(&o.MaxReexports, 3)
	defInt(&o.WindowsPerRun, 40)
	def(&o.PollInterval, 10*time.Second)
	def(&o.MaxPollInterval, 2*time.Minute)
	def(&o.RetryInterval, 30*time.Second)
	def(&o.MaxRetryInterval, 10*time.Minute)
	def(&o.AmbiguousCreateWait, 2*time.Hour)
	def(&o.CreateTimeout, time.Minute)
	def(&o.GetTimeout, time.Minute)
	def(&o.DownloadTimeout, 2*time.Hour)
	def(&o.DownloadHeartbeat, time.Minute)
	o.MaxPollInterval = max(o.MaxPollInterval, o.PollInterval)
	o.MaxRetryInterval = max(o.MaxRetryInterval, o.RetryInterval)
	return o
}

// RangeParams is the input of ExportRange.
type RangeParams struct {
	MerchantID ghost.ID
	Type       ghost.ExportType
	Start, End time.Time // the range [Start, End), any length
	// Sink is the URL of the sink the objects go to (see OpenSink): part of
	// the job, so every worker writes to the same place.
	Sink    string
	Options RangeOptions
	// Only, when set, limits the run to these windows (indexes in the
	// range's window grid, as WindowFailure.Window.Index): a retry of
	// failed windows.
	Only []int
	// YieldParked makes the run return as soon as every window it has left
	// is parked after a lost create, listing them in RangeResult.Parked,
	// instead of waiting: ExportMerchants sets it, so that a parked
	// merchant gives up its slot to the others.
	YieldParked bool
	// Carry is the state carried across continue-as-new (and the parked
	// windows of a merchant ExportMerchants resumes). Leave it nil.
	Carry *RangeCarry
}

// RangeCarry is ExportRange's state between runs.
type RangeCarry struct {
	Next     int              // position in the run's plan of the next window to start
	Result   RangeResult      // totals so far
	Parked   []ParkedWindow   // windows waiting out a lost create
	Finished []WindowProgress // windows done or failed, for the progress query
}

// ParkedWindow is a window waiting out a lost create, and its state.
type ParkedWindow struct {
	Index int
	Until time.Time // when it creates again
	// Exports lists the exports created for the window so far; Failed,
	// Expired and Lost count its FAILED exports, expired downloads and lost
	// creates.
	Exports               []ghost.ID
	Failed, Expired, Lost int
}

// RangeResult is what ExportRange did.
type RangeResult struct {
	MerchantID ghost.ID
	Windows    int // windows in the run's plan (the range, or Only)
	Done       int // windows whose objects are all in the sink
	Files      int
	Objects    int64
	Exports    int // exports created (more than Windows after re-exports)
	// Skipped counts files a retried download found already committed.
	Skipped int
	// Failed lists the windows that failed (their reasons cut to 300
	// bytes); Parked (YieldParked only) the windows left parked.
	Failed []WindowFailure
	Parked []ParkedWindow
	Runs   int // runs of the workflow (1 + continue-as-new count)
}

// The phases of a window, in WindowProgress.
const (
	PhaseWaiting     = "waiting"     // not started
	PhaseCreating    = "creating"    // creating its export
	PhaseBlocked     = "blocked"     // the service refused (503, 429): waiting to create
	PhaseParked      = "parked"      // a create's answer was lost: waiting until ParkedUntil
	PhaseExporting   = "exporting"   // the export runs on the server (polled)
	PhaseDownloading = "downloading" // its files are being stored
	PhaseDone        = "done"
	PhaseFailed      = "failed"
)

// WindowProgress is one window in a RangeProgress.
type WindowProgress struct {
	Index       int
	Start, End  time.Time  `json:",omitzero"`
	Phase       string     // Phase…
	Export      ghost.ID   `json:",omitempty"`
	Files       int        `json:",omitempty"`
	Objects     int64      // objects in the sink (while downloading: see Progress)
	ParkedUntil *time.Time `json:",omitempty"`
	Error       string     `json:",omitempty"`
}

// RangeProgress is ExportRange's answer to ProgressQuery.
type RangeProgress struct {
	MerchantID ghost.ID
	Windows    int // windows in the plan
	Done       int // windows whose objects are all in the sink
	InFlight   int // windows started and not done (Blocked included)
	Blocked    int // of InFlight: waiting for the service (503) before creating
	Parked     int // windows waiting out a lost create (not in flight)
	Waiting    int // windows not started yet
	Failed     int // windows that failed
	Objects    int64
	Files      int
	// AmbiguousCreates counts creates whose answer was lost.
	AmbiguousCreates int
	// Recreated counts exports created again (FAILED or expired).
	Recreated int
	Run       int // this run's number, from 1
	// Window lists every window but those waiting, in index order.
	Window []WindowProgress
}

// The change ids of ExportRange's behaviours, each recorded with
// workflow.GetVersion at the start of every run (version 1 is this
// release's): a release that changes one bumps its version and keeps the
// old branch while workflows that recorded it may run. A history without
// them (from before versioning) fails to replay instead of diverging.
var rangeChanges = []string{
	"ghost.range.schedule", // slots, parking, continue-as-new
	"ghost.range.create",   // create, 503 waits, lost creates
	"ghost.range.poll",     // poll schedule
	"ghost.range.download", // download activity, claims in the sink
	"ghost.range.reexport", // FAILED and expired exports created again
}

// recordVersions records the change ids at their current version.
func recordVersions(ctx workflow.Context, ids []string) {
	for _, id := range ids {
		workflow.GetVersion(ctx, id, 1, 1)
	}
}

// ExportRange exports one merchant's objects of one type over [Start, End)
// into the sink: see the package documentation. It fails with
// ErrTypeWindowFailed when a window cannot be finished (the other windows
// go on, unless the API refused for good; those finished stay in the sink).
func ExportRange(ctx workflow.Context, p RangeParams) (RangeResult, error) {
	recordVersions(ctx, rangeChanges)
	r, err := newRanger(p)
	if err != nil {
		return RangeResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (RangeProgress, error) { return r.progress(), nil }); err != nil {
		return RangeResult{}, err
	}
	r.job = workflow.GetInfo(ctx).WorkflowExecution.ID
	return r.run(ctx)
}

func checkRangeParams(p RangeParams) (ghost.ExportWindows, []int, error) {
	var none ghost.ExportWindows
	windows, err := ghost.SplitExportRange(p.Start, p.End, p.Options.Window)
	if err != nil {
		return none, nil, err
	}
	if p.Type != ghost.ExportTypeOrders && p.Type != ghost.ExportTypePayments {
		return none, nil, fmt.Errorf("ghosttemporal: export type %q; want ORDERS or PAYMENTS", p.Type)
	}
	if err := checkName("merchant", p.MerchantID); err != nil {
		return none, nil, err
	}
	if err := CheckSinkURL(p.Sink); err != nil {
		return none, nil, err
	}
	plan := make([]int, 0, windows.Len())
	if p.Only == nil {
		for i := range windows.Len() {
			plan = append(plan, i)
		}
	}
	for _, i := range p.Only {
		if i < 0 || i >= windows.Len() || len(plan) > 0 && i <= plan[len(plan)-1] {
			return none, nil, fmt.Errorf("ghosttemporal: Only: window %d is out of range or order (the range has %d)", i, windows.Len())
		}
		plan = append(plan, i)
	}
	return windows, plan, nil
}

// windowState is one window's state while it runs.
type windowState struct {
	ParkedWindow
	prog WindowProgress
}

// ranger is the state of one ExportRange run.
type ranger struct {
	p       RangeParams
	o       RangeOptions
	job     string
	windows ghost.ExportWindows
	plan    []int
	next    int // position in plan

	running, started int // windows in flight; started in this run
	ready            []*windowState
	parked           []*windowState
	live             []*windowState // in flight
	finished         []WindowProgress
	res              RangeResult
	stop             *WindowFailure // a failure for good: nothing more starts
	ambiguous        int
	recreated        int

	wake wakeTimer
}

func newRanger(p RangeParams) (*ranger, error) {
	windows, plan, err := checkRangeParams(p)
	if err != nil {
		return nil, err
	}
	r := &ranger{p: p, o: p.Options.withDefaults(), windows: windows, plan: plan}
	r.res = RangeResult{MerchantID: p.MerchantID, Windows: len(plan)}
	if c := p.Carry; c != nil {
		if c.Next < 0 || c.Next > len(plan) {
			return nil, fmt.Errorf("ghosttemporal: Carry.Next %d is out of range", c.Next)
		}
		r.next, r.res, r.finished = c.Next, c.Result, c.Finished
		r.res.MerchantID, r.res.Windows, r.res.Parked = p.MerchantID, len(plan), nil
		for _, pw := range c.Parked {
			if pw.Index < 0 || pw.Index >= windows.Len() {
				return nil, fmt.Errorf("ghosttemporal: parked window %d is out of range", pw.Index)
			}
			r.parked = append(r.parked, r.newState(pw))
		}
	}
	r.res.Runs++
	return r, nil
}

func (r *ranger) newState(pw ParkedWindow) *windowState {
	w := r.windows.At(pw.Index)
	st := &windowState{ParkedWindow: pw, prog: WindowProgress{Index: w.Index, Start: w.Start, End: w.End, Phase: PhaseWaiting}}
	if !pw.Until.IsZero() {
		until := pw.Until
		st.prog.Phase, st.prog.ParkedUntil = PhaseParked, &until
	}
	return st
}

// windowEnd is a window's outcome, sent to the run's loop.
type windowEnd struct {
	st      *windowState
	parked  bool
	failure *WindowFailure
	res     DownloadResult
}

// run starts windows while slots are free (windows back from parking
// first), and waits for a window to end or a parked one's time to come,
// until nothing is left, only parked windows are (YieldParked), or the run
// has started WindowsPerRun windows (then it continues as new).
func (r *ranger) run(ctx workflow.Context) (RangeResult, error) {
	ends := workflow.NewChannel(ctx)
	for {
		r.unpark(ctx)
		r.startWindows(ctx, ends)
		if r.running == 0 {
			left := r.next < len(r.plan) || len(r.ready) > 0
			switch {
			case r.stop != nil || !left && len(r.parked) == 0:
				return r.finish()
			case !left && r.p.YieldParked:
				return r.yieldParked()
			case r.started >= r.o.WindowsPerRun:
				return r.res, r.continueAsNew(ctx)
			}
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ends, func(c workflow.ReceiveChannel, _ bool) {
			var e windowEnd
			c.Receive(ctx, &e)
			r.ended(e)
		})
		if t := r.parkTimer(ctx); t != nil {
			sel.AddFuture(t, func(workflow.Future) { r.wake.fired() })
		}
		sel.Select(ctx)
	}
}

func (r *ranger) startWindows(ctx workflow.Context, ends workflow.Channel) {
	for r.stop == nil && r.running < r.o.MaxInFlight && r.started < r.o.WindowsPerRun {
		var st *windowState
		switch {
		case len(r.ready) > 0:
			st, r.ready = r.ready[0], r.ready[1:]
			st.Until = time.Time{}
		case r.next < len(r.plan):
			st = r.newState(ParkedWindow{Index: r.plan[r.next]})
			r.next++
		default:
			return
		}
		st.prog.ParkedUntil = nil
		r.running++
		r.started++
		r.live = append(r.live, st)
		workflow.Go(ctx, func(ctx workflow.Context) {
			ends.Send(ctx, r.window(ctx, st))
		})
	}
}

// ended takes a window's outcome.
func (r *ranger) ended(e windowEnd) {
	r.running--
	r.live = slices.DeleteFunc(r.live, func(st *windowState) bool { return st == e.st })
	switch {
	case e.parked:
		r.parked = append(r.parked, e.st)
		return
	case e.failure != nil:
		e.st.prog.Phase, e.st.prog.Error = PhaseFailed, e.failure.Reason
		r.res.Failed = append(r.res.Failed, *e.failure)
		if e.failure.Kind == ErrTypePermanent && r.stop == nil {
			r.stop = e.failure
		}
	default:
		e.st.prog.Phase, e.st.prog.Files, e.st.prog.Objects = PhaseDone, e.res.Files, e.res.Objects
		r.res.Done++
		r.res.Files += e.res.Files
		r.res.Objects += e.res.Objects
		r.res.Skipped += e.res.Skipped
	}
	done := e.st.prog
	done.Start, done.End = time.Time{}, time.Time{} // filled in by progress: kept small across runs
	r.finished = append(r.finished, done)
}

// parkTimer returns the timer of the earliest parked window (nil when none
// is parked).
func (r *ranger) parkTimer(ctx workflow.Context) workflow.Future {
	if len(r.parked) == 0 {
		return r.wake.set(ctx, time.Time{})
	}
	at := r.parked[0].Until
	for _, st := range r.parked[1:] {
		if st.Until.Before(at) {
			at = st.Until
		}
	}
	return r.wake.set(ctx, at)
}

// wakeTimer is one durable timer kept while its time does not change, so
// that waiting in a loop adds no history events per turn.
type wakeTimer struct {
	fut   workflow.Future
	at    time.Time
	abort workflow.CancelFunc
}

// set returns the timer firing at at (none when at is zero), replacing the
// current one if it fires at another time.
func (t *wakeTimer) set(ctx workflow.Context, at time.Time) workflow.Future {
	if t.fut != nil && at.Equal(t.at) {
		return t.fut
	}
	if t.abort != nil {
		t.abort()
	}
	t.fut, t.abort, t.at = nil, nil, at
	if at.IsZero() {
		return nil
	}
	tctx, abort := workflow.WithCancel(ctx)
	t.fut, t.abort = workflow.NewTimer(tctx, max(at.Sub(workflow.Now(ctx)), time.Millisecond)), abort
	return t.fut
}

// fired forgets the timer that fired.
func (t *wakeTimer) fired() { t.fut, t.abort, t.at = nil, nil, time.Time{} }

// unpark moves the parked windows whose time has come to ready.
func (r *ranger) unpark(ctx workflow.Context) {
	now := workflow.Now(ctx)
	r.parked = slices.DeleteFunc(r.parked, func(st *windowState) bool {
		if st.Until.After(now) {
			return false
		}
		st.prog.Phase = PhaseWaiting
		r.ready = append(r.ready, st)
		return true
	})
	slices.SortFunc(r.ready, func(a, b *windowState) int { return a.Index - b.Index })
}

// finish ends the run: the result, or ErrTypeWindowFailed when a window
// failed (windows not run after a failure for good are listed as failed).
func (r *ranger) finish() (RangeResult, error) {
	if r.stop != nil {
		why := fmt.Sprintf("not run: window %d failed for good (%s)", r.stop.Window.Index, r.stop.Reason)
		skipped := func(i int, exports []ghost.ID) {
			r.res.Failed = append(r.res.Failed, WindowFailure{MerchantID: r.p.MerchantID, Window: r.windows.At(i),
				ExportIDs: exports, Kind: ErrTypePermanent, Reason: cut(why)})
		}
		for _, st := range slices.Concat(r.ready, r.parked) {
			skipped(st.Index, st.Exports)
		}
		for _, i := range r.plan[r.next:] {
			skipped(i, nil)
		}
		r.ready, r.parked, r.next = nil, nil, len(r.plan)
		slices.SortFunc(r.res.Failed, func(a, b WindowFailure) int { return a.Window.Index - b.Window.Index })
	}
	if len(r.res.Failed) == 0 {
		return r.res, nil
	}
	first := r.res.Failed[0]
	msg := fmt.Sprintf("ghosttemporal: merchant %s: %d of %d windows failed; window %s: %s",
		r.p.MerchantID, len(r.res.Failed), r.res.Windows, first.Window, first.Reason)
	return r.res, temporal.NewNonRetryableApplicationError(msg, ErrTypeWindowFailed, nil, first, r.res)
}

// yieldParked returns the windows left, all parked (YieldParked).
func (r *ranger) yieldParked() (RangeResult, error) {
	res := r.res
	for _, st := range r.parked {
		res.Parked = append(res.Parked, st.ParkedWindow)
	}
	slices.SortFunc(res.Parked, func(a, b ParkedWindow) int { return a.Index - b.Index })
	return res, nil
}

func (r *ranger) continueAsNew(ctx workflow.Context) error {
	p := r.p
	c := &RangeCarry{Next: r.next, Result: r.res, Finished: r.finished}
	for _, st := range slices.Concat(r.ready, r.parked) {
		c.Parked = append(c.Parked, st.ParkedWindow)
	}
	p.Carry = c
	return workflow.NewContinueAsNewError(ctx, ExportRangeWorkflow, p)
}

func (r *ranger) progress() RangeProgress {
	p := RangeProgress{MerchantID: r.p.MerchantID, Windows: len(r.plan), Waiting: len(r.plan) - r.next + len(r.ready),
		Parked: len(r.parked), InFlight: r.running, Done: r.res.Done, Failed: len(r.res.Failed), Objects: r.res.Objects,
		Files: r.res.Files, AmbiguousCreates: r.ambiguous, Recreated: r.recreated, Run: r.res.Runs}
	if r.stop != nil {
		p.Waiting = 0
	}
	ws := slices.Clone(r.finished)
	for _, st := range slices.Concat(r.live, r.parked, r.ready) {
		if st.prog.Phase == PhaseBlocked {
			p.Blocked++
		}
		ws = append(ws, st.prog)
	}
	for i := range ws {
		w := r.windows.At(ws[i].Index)
		ws[i].Start, ws[i].End = w.Start, w.End
	}
	slices.SortFunc(ws, func(a, b WindowProgress) int { return a.Index - b.Index })
	p.Window = ws
	return p
}

// cut shortens an error message kept in state or results.
func cut(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// ReplayHistoryFile replays a workflow history saved as JSON (as
// `temporal workflow show --output json` writes it) against this package's
// workflows, under the workflow id it was recorded with: an error means the
// code would not replay a running workflow that has that history.
func ReplayHistoryFile(logger log.Logger, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return fmt.Errorf("ghosttemporal: %s: %w", path, err)
	}
	if len(h.GetEvents()) == 0 {
		return fmt.Errorf("ghosttemporal: %s holds no events", path)
	}
	id := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowId()
	replayer := worker.NewWorkflowReplayer()
	RegisterWorkflows(replayer)
	return replayer.ReplayWorkflowHistoryWithOptions(logger, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: id, RunID: "replay"}})
}
