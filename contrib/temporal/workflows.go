package ghosttemporal

import (
	"errors"
	"fmt"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
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
	w.RegisterWorkflowWithOptions(ExportRange, workflow.RegisterOptions{Name: ExportRangeWorkflow})
	w.RegisterWorkflowWithOptions(ExportMerchants, workflow.RegisterOptions{Name: ExportMerchantsWorkflow})
	w.RegisterActivity(a)
}

// RangeOptions say how ExportRange runs its windows. Zero fields take the
// defaults.
type RangeOptions struct {
	// Window is the length of each export (default and maximum 30 days).
	Window time.Duration
	// MaxInFlight bounds the windows running at once (default 2, the
	// Exports API's usual concurrency limit).
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
	// AmbiguousCreateWait is how long a window waits after a create whose
	// answer was lost before creating again (default 2h). It must be longer
	// than an export can run on the server: the export the lost create may
	// have started has then finished, so no two exports of the window ever
	// run at once.
	AmbiguousCreateWait time.Duration
	// FailOnAmbiguousCreate fails the window (ErrTypeWindowFailed, reason
	// ErrTypeAmbiguousCreate) instead of waiting and creating again.
	FailOnAmbiguousCreate bool
	// MaxReexports bounds how often a window is exported again because its
	// files expired before they were downloaded (default 3).
	MaxReexports int
	// Activity timeouts: CreateTimeout (default 1m) and GetTimeout (default
	// 1m) bound one call; DownloadTimeout (default 2h) bounds one download
	// attempt and DownloadHeartbeat (default 1m) is how long a download may
	// go silent before it is retried on another worker.
	CreateTimeout, GetTimeout, DownloadTimeout, DownloadHeartbeat time.Duration
}

func (o RangeOptions) withDefaults() RangeOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 2
	}
	def(&o.PollInterval, 10*time.Second)
	def(&o.MaxPollInterval, 2*time.Minute)
	def(&o.RetryInterval, 30*time.Second)
	def(&o.MaxRetryInterval, 10*time.Minute)
	def(&o.AmbiguousCreateWait, 2*time.Hour)
	def(&o.CreateTimeout, time.Minute)
	def(&o.GetTimeout, time.Minute)
	def(&o.DownloadTimeout, 2*time.Hour)
	def(&o.DownloadHeartbeat, time.Minute)
	if o.MaxReexports <= 0 {
		o.MaxReexports = 3
	}
	o.MaxPollInterval = max(o.MaxPollInterval, o.PollInterval)
	o.MaxRetryInterval = max(o.MaxRetryInterval, o.RetryInterval)
	return o
}

// RangeParams is the input of ExportRange.
type RangeParams struct {
	MerchantID ghost.ID
	Type       ghost.ExportType
	Start, End time.Time // the range [Start, End), any length
	Options    RangeOptions
}

// RangeResult is what ExportRange did.
type RangeResult struct {
	MerchantID ghost.ID
	Windows    int
	Files      int
	Objects    int64
	Exports    int // exports created (more than Windows after re-exports)
}

// RangeProgress is ExportRange's answer to ProgressQuery.
type RangeProgress struct {
	Windows  int // windows in the range
	Done     int // windows whose objects are all in the sink
	InFlight int // windows started and not done (Blocked included)
	Blocked  int // of InFlight: waiting for the service (503) before creating
	Waiting  int // windows not started yet
	Failed   int // windows that failed
	Objects  int64
	Files    int
	// AmbiguousCreates counts creates whose answer was lost.
	AmbiguousCreates int
	// Recreated counts exports created again (FAILED or expired).
	Recreated int
}

// ExportRange exports one merchant's objects of one type over [Start, End):
// see the package documentation. It fails with ErrTypeWindowFailed when a
// window cannot be finished (the windows already running are finished
// first; those finished stay in the sink).
func ExportRange(ctx workflow.Context, p RangeParams) (RangeResult, error) {
	o := p.Options.withDefaults()
	windows, err := SplitWindows(p.Start, p.End, o.Window)
	if err != nil {
		return RangeResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	if p.Type != ghost.ExportTypeOrders && p.Type != ghost.ExportTypePayments {
		return RangeResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("ghosttemporal: export type %q; want ORDERS or PAYMENTS", p.Type), ErrTypePermanent, nil)
	}
	r := &ranger{p: p, o: o, prog: RangeProgress{Windows: len(windows), Waiting: len(windows)}}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (RangeProgress, error) { return r.prog, nil }); err != nil {
		return RangeResult{}, err
	}
	done := workflow.NewChannel(ctx)
	running, next := 0, 0
	var firstErr error
	for next < len(windows) || running > 0 {
		for firstErr == nil && running < o.MaxInFlight && next < len(windows) {
			w := windows[next]
			next++
			running++
			r.prog.Waiting--
			r.prog.InFlight++
			workflow.Go(ctx, func(ctx workflow.Context) {
				done.Send(ctx, windowDone{r.window(ctx, w)})
			})
		}
		if running == 0 {
			break
		}
		var wd windowDone
		done.Receive(ctx, &wd)
		werr := wd.err
		running--
		r.prog.InFlight--
		if werr != nil {
			r.prog.Failed++
			if firstErr == nil {
				firstErr = werr
			}
			continue
		}
		r.prog.Done++
	}
	res := RangeResult{MerchantID: p.MerchantID, Windows: len(windows), Files: r.prog.Files, Objects: r.prog.Objects, Exports: r.exports}
	if firstErr != nil {
		return res, firstErr
	}
	return res, nil
}

// windowDone is a window's end, sent on ExportRange's channel.
type windowDone struct{ err error }

// ranger is the state of one ExportRange run.
type ranger struct {
	p       RangeParams
	o       RangeOptions
	prog    RangeProgress
	exports int
}

// windowError builds the error a window fails with.
func (r *ranger) windowError(w Window, ids []ghost.ID, kind, reason string) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("ghosttemporal: merchant %s window %s: %s", r.p.MerchantID, w, reason), ErrTypeWindowFailed, nil,
		WindowFailure{MerchantID: r.p.MerchantID, Window: w, ExportIDs: ids, Kind: kind, Reason: reason})
}

// window runs one window to the end: create, poll, download; again after
// FAILED (once) or an expired download (MaxReexports times).
func (r *ranger) window(ctx workflow.Context, w Window) error {
	var ids []ghost.ID
	failed, expired := 0, 0
	for {
		e, err := r.create(ctx, w)
		if err != nil {
			var ae *temporal.ApplicationError
			if errors.As(err, &ae) && ae.Type() == ErrTypeWindowFailed {
				return err
			}
			return r.windowError(w, ids, "create", err.Error())
		}
		ids = append(ids, e.ID)
		e, err = r.poll(ctx, e)
		if err != nil {
			return r.windowError(w, ids, "poll", err.Error())
		}
		if e.Status != ghost.ExportStatusDone {
			failed++
			if failed > 1 {
				return r.windowError(w, ids, ErrTypeFailed, fmt.Sprintf("export %s is %s, and so was the one before it", e.ID, e.Status))
			}
			r.prog.Recreated++
			continue
		}
		res, err := r.download(ctx, w, e)
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) && ae.Type() == ErrTypeExpired {
			expired++
			if expired > r.o.MaxReexports {
				return r.windowError(w, ids, ErrTypeExpired, fmt.Sprintf("files expired before download %d times", expired))
			}
			r.prog.Recreated++
			continue
		}
		if err != nil {
			return r.windowError(w, ids, "download", err.Error())
		}
		r.prog.Files += res.Files
		r.prog.Objects += res.Objects
		return nil
	}
}

// create creates the window's export, waiting through refusals with
// durable timers, and through lost answers by AmbiguousCreateWait.
func (r *ranger) create(ctx workflow.Context, w Window) (*ghost.Export, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: r.o.CreateTimeout,
		// Never retried by Temporal: a second create after a lost answer
		// could start a second export of the window.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	delay := r.o.RetryInterval
	blocked := false
	setBlocked := func(b bool) {
		if b != blocked {
			blocked = b
			if b {
				r.prog.Blocked++
			} else {
				r.prog.Blocked--
			}
		}
	}
	defer setBlocked(false)
	var a *Activities
	for {
		var e *ghost.Export
		err := workflow.ExecuteActivity(actx, a.CreateExport, CreateInput{MerchantID: r.p.MerchantID, Type: r.p.Type, Window: w}).Get(ctx, &e)
		if err == nil {
			r.exports++
			return e, nil
		}
		var ae *temporal.ApplicationError
		var te *temporal.TimeoutError
		var wait time.Duration
		switch {
		case errors.As(err, &ae) && (ae.Type() == ErrTypeUnavailable || ae.Type() == ErrTypeServiceHours):
			var d UnavailableDetails
			_ = ae.Details(&d)
			wait = delay
			delay = min(delay*3/2, r.o.MaxRetryInterval)
			if ae.Type() == ErrTypeServiceHours {
				wait = r.o.MaxRetryInterval
				if d.HasHours {
					now := workflow.Now(ctx)
					wait = max(d.nextOpen(now).Sub(now), r.o.RetryInterval)
				}
			}
			wait = max(wait, d.RetryAfter)
		case errors.As(err, &ae) && ae.Type() == ErrTypeAmbiguousCreate, errors.As(err, &te):
			// The answer was lost (or the worker was lost during the call):
			// the export may exist. Never create again while it may run.
			r.prog.AmbiguousCreates++
			workflow.GetLogger(ctx).Warn("export create answer lost", "merchant", r.p.MerchantID, "window", w.String(), "error", err)
			if r.o.FailOnAmbiguousCreate {
				return nil, r.windowError(w, nil, ErrTypeAmbiguousCreate, "the create's answer was lost; an export of the window may exist: "+err.Error())
			}
			wait = r.o.AmbiguousCreateWait
		default:
			return nil, err
		}
		setBlocked(true)
		if err := workflow.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// poll polls the export with a durable timer between polls until it is
// final.
func (r *ranger) poll(ctx workflow.Context, e *ghost.Export) (*ghost.Export, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: r.o.GetTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        min(time.Second, r.o.MaxPollInterval),
			BackoffCoefficient:     2,
			MaximumInterval:        r.o.MaxPollInterval,
			NonRetryableErrorTypes: []string{ErrTypePermanent},
		},
	})
	var a *Activities
	delay := r.o.PollInterval
	for !e.Final() {
		if err := workflow.Sleep(ctx, delay); err != nil {
			return nil, err
		}
		delay = min(delay*3/2, r.o.MaxPollInterval)
		var got *ghost.Export
		if err := workflow.ExecuteActivity(actx, a.GetExport, GetInput{MerchantID: r.p.MerchantID, ExportID: e.ID}).Get(ctx, &got); err != nil {
			return nil, err
		}
		e = got
	}
	return e, nil
}

// download runs DownloadExport with heartbeats, retried on any worker.
func (r *ranger) download(ctx workflow.Context, w Window, e *ghost.Export) (DownloadResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: r.o.DownloadTimeout,
		HeartbeatTimeout:    r.o.DownloadHeartbeat,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{ErrTypePermanent, ErrTypeExpired},
		},
	})
	var a *Activities
	var res DownloadResult
	err := workflow.ExecuteActivity(actx, a.DownloadExport, DownloadInput{MerchantID: r.p.MerchantID, Type: r.p.Type, Window: w, Export: *e}).Get(ctx, &res)
	return res, err
}
