package ghosttemporal

import (
	"errors"
	"fmt"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// window runs one window: create, poll, download; again after FAILED
// (once) or an expired download (MaxReexports times). A create whose answer
// was lost parks the window (it gives up its slot) unless
// FailOnAmbiguousCreate.
func (r *ranger) window(ctx workflow.Context, st *windowState) windowEnd {
	w := r.windows.At(st.Index)
	fail := func(kind, reason string) windowEnd {
		return windowEnd{st: st, failure: &WindowFailure{MerchantID: r.p.MerchantID, Window: w,
			ExportIDs: st.Exports, Kind: kind, Reason: cut(reason)}}
	}
	for {
		e, parkUntil, err := r.create(ctx, st, w)
		if err != nil {
			return fail(failureKind(err, "create"), err.Error())
		}
		if !parkUntil.IsZero() {
			st.Until, st.prog.Phase, st.prog.ParkedUntil = parkUntil, PhaseParked, &parkUntil
			return windowEnd{st: st, parked: true}
		}
		created := workflow.Now(ctx)
		st.Exports = append(st.Exports, e.ID)
		st.prog.Export, st.prog.Phase = e.ID, PhaseExporting
		if e, err = r.poll(ctx, e); err != nil {
			return fail(failureKind(err, "poll"), err.Error())
		}
		if e.Status != ghost.ExportStatusDone {
			if st.Failed++; st.Failed > 1 {
				return fail(ErrTypeFailed, fmt.Sprintf("export %s is %s, and so was the one before it", e.ID, e.Status))
			}
			r.recreated++
			continue
		}
		st.prog.Phase, st.prog.Files = PhaseDownloading, len(e.ExportURLs)
		res, err := r.download(ctx, w, e, created)
		if appErrType(err) == ErrTypeExpired {
			if st.Expired++; st.Expired > r.o.MaxReexports {
				return fail(ErrTypeExpired, fmt.Sprintf("files expired before download %d times", st.Expired))
			}
			r.recreated++
			continue
		}
		if err != nil {
			return fail(failureKind(err, "download"), err.Error())
		}
		return windowEnd{st: st, res: res}
	}
}

// appErrType is the type of err's application error ("" when none).
func appErrType(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type()
	}
	return ""
}

// failureKind is a WindowFailure.Kind for err at step: the error types that
// say why, or the step.
func failureKind(err error, step string) string {
	switch t := appErrType(err); t {
	case ErrTypePermanent, ErrTypeAmbiguousCreate, ErrTypeStaleExport:
		return t
	}
	return step
}

// create creates the window's export, waiting through refusals with
// durable timers. A lost answer returns the time the window is parked
// until (or fails, FailOnAmbiguousCreate).
func (r *ranger) create(ctx workflow.Context, st *windowState, w Window) (*ghost.Export, time.Time, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: r.o.CreateTimeout,
		// Never retried by Temporal: a second create after a lost answer
		// could start a second export of the window.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	delay := r.o.RetryInterval
	var a *Activities
	for {
		st.prog.Phase = PhaseCreating
		var e *ghost.Export
		err := workflow.ExecuteActivity(actx, a.CreateExport, CreateInput{MerchantID: r.p.MerchantID, Type: r.p.Type, Window: w}).Get(ctx, &e)
		if err == nil {
			r.res.Exports++
			return e, time.Time{}, nil
		}
		var ae *temporal.ApplicationError
		var te *temporal.TimeoutError
		switch {
		case errors.As(err, &ae) && (ae.Type() == ErrTypeUnavailable || ae.Type() == ErrTypeServiceHours):
			wait := r.refusedWait(ctx, ae, delay)
			delay = min(delay*3/2, r.o.MaxRetryInterval)
			st.prog.Phase = PhaseBlocked
			if err := workflow.Sleep(ctx, wait); err != nil {
				return nil, time.Time{}, err
			}
		case errors.As(err, &ae) && ae.Type() == ErrTypeAmbiguousCreate, errors.As(err, &te):
			// The answer was lost (or the worker was lost during the call):
			// the export may exist. Never create again while it may run.
			r.ambiguous++
			st.Lost++
			workflow.GetLogger(ctx).Warn("export create answer lost", "merchant", r.p.MerchantID, "window", w.String(), "error", err)
			if r.o.FailOnAmbiguousCreate {
				return nil, time.Time{}, temporal.NewNonRetryableApplicationError(
					"the create's answer was lost; an export of the window may exist: "+err.Error(), ErrTypeAmbiguousCreate, nil)
			}
			return nil, workflow.Now(ctx).Add(r.o.AmbiguousCreateWait), nil
		default:
			return nil, time.Time{}, err
		}
	}
}

// refusedWait is how long to wait after a refused create (503 or 429).
func (r *ranger) refusedWait(ctx workflow.Context, ae *temporal.ApplicationError, delay time.Duration) time.Duration {
	var d UnavailableDetails
	_ = ae.Details(&d)
	wait := delay
	if ae.Type() == ErrTypeServiceHours {
		wait = r.o.MaxRetryInterval
		if d.HasHours {
			now := workflow.Now(ctx)
			wait = max(d.nextOpen(now).Sub(now), r.o.RetryInterval)
		}
	}
	return max(wait, d.RetryAfter)
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
func (r *ranger) download(ctx workflow.Context, w Window, e *ghost.Export, created time.Time) (DownloadResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: r.o.DownloadTimeout,
		HeartbeatTimeout:    r.o.DownloadHeartbeat,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{ErrTypePermanent, ErrTypeExpired, ErrTypeStaleExport},
		},
	})
	var a *Activities
	var res DownloadResult
	err := workflow.ExecuteActivity(actx, a.DownloadExport, DownloadInput{MerchantID: r.p.MerchantID, Type: r.p.Type,
		Window: w, Export: *e, Sink: r.p.Sink, Created: created, Job: r.job}).Get(ctx, &res)
	return res, err
}
