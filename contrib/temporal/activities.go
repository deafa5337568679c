package ghosttemporal

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// The types of the application errors the activities and workflows return
// (temporal.ApplicationError.Type), for errors.As on the caller's side.
const (
	// ErrTypeUnavailable: creating was refused with 503 (too many exports
	// running, or no reason given) or 429; nothing was created. Details:
	// UnavailableDetails.
	ErrTypeUnavailable = "GhostExportUnavailable"
	// ErrTypeServiceHours: creating was refused with 503 outside the
	// service's hours; nothing was created. Details: UnavailableDetails.
	ErrTypeServiceHours = "GhostExportServiceHours"
	// ErrTypeAmbiguousCreate: a create whose answer was lost; the export may
	// or may not exist on the server. Also a WindowFailure.Kind.
	ErrTypeAmbiguousCreate = "GhostExportAmbiguousCreate"
	// ErrTypeExpired: the export's files are no longer available. Also a
	// WindowFailure.Kind (expired more than MaxReexports times).
	ErrTypeExpired = "GhostExportExpired"
	// ErrTypeFailed is the WindowFailure.Kind of a window whose export went
	// FAILED twice (it is re-created once).
	ErrTypeFailed = "GhostExportFailed"
	// ErrTypePermanent: the API refused the request for good (400, 401,
	// 403, 404, bad input); retrying cannot help.
	ErrTypePermanent = "GhostExportPermanent"
	// ErrTypeStaleExport: the sink holds the window for a newer export than
	// the one being downloaded (see ErrStaleExport). Also a
	// WindowFailure.Kind.
	ErrTypeStaleExport = "GhostExportStale"
	// ErrTypeWindowFailed: ExportRange could not finish a window. Details:
	// the first failed window's WindowFailure, then the RangeResult.
	ErrTypeWindowFailed = "GhostExportWindowFailed"
)

// UnavailableDetails are the details of ErrTypeUnavailable and
// ErrTypeServiceHours errors.
type UnavailableDetails struct {
	RetryAfter time.Duration // the server's Retry-After, if any
	// Open and Close are the daily service hours (durations since midnight
	// UTC) when the server's message names them (HasHours).
	Open, Close time.Duration
	HasHours    bool
	Message     string
}

// WindowFailure is the details of an ErrTypeWindowFailed error.
type WindowFailure struct {
	MerchantID ghost.ID
	Window     Window
	ExportIDs  []ghost.ID // every export created for the window
	// Kind is why: ErrTypeFailed, ErrTypeExpired, ErrTypeAmbiguousCreate,
	// or the step that failed for good ("create", "poll", "download").
	Kind   string
	Reason string
}

// Activities are the activities of the export workflows: register them
// with Register. Client talks to the Exports API (with its bearer token).
// Objects go to the sink each job names (DownloadInput.Sink), opened on
// first use and kept open until Close.
type Activities struct {
	Client *ghost.Client
	// AllowSink, when set, decides whether this worker writes to a sink URL
	// a job names (CheckSinkURL's rules apply first): an error refuses it.
	AllowSink func(url string) error
	// HeartbeatEvery is how many objects DownloadExport writes between
	// heartbeats (default 500).
	HeartbeatEvery int

	mu    sync.Mutex
	sinks map[string]*Sink
}

// Close closes the sinks the activities opened.
func (a *Activities) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for _, s := range a.sinks {
		errs = append(errs, s.Close())
	}
	a.sinks = nil
	return errors.Join(errs...)
}

// sink returns the open sink for url, opening it on first use.
func (a *Activities) sink(ctx context.Context, url string) (*Sink, error) {
	if err := CheckSinkURL(url); err != nil {
		return nil, err
	}
	if a.AllowSink != nil {
		if err := a.AllowSink(url); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.sinks[url]; ok {
		return s, nil
	}
	s, err := OpenSink(ctx, url)
	if err != nil {
		return nil, err
	}
	if a.sinks == nil {
		a.sinks = make(map[string]*Sink)
	}
	a.sinks[url] = s
	return s, nil
}

// CreateInput is the input of CreateExport.
type CreateInput struct {
	MerchantID ghost.ID
	Type       ghost.ExportType
	Window     Window
}

// CreateExport creates the export of one window. It is run once per call
// (never retried by Temporal): the workflow decides what to do with a
// failure, which is an application error of type ErrTypeUnavailable or
// ErrTypeServiceHours (refused: nothing was created), ErrTypeAmbiguousCreate
// (the request may have reached the server) or ErrTypePermanent.
func (a *Activities) CreateExport(ctx context.Context, in CreateInput) (*ghost.Export, error) {
	e, err := a.Client.Exports.Create(ctx, in.MerchantID, ghost.ExportCreateParams{Type: in.Type, Start: in.Window.Start, End: in.Window.End})
	if err != nil {
		return nil, classifyCreate(err)
	}
	return e, nil
}

// GetInput is the input of GetExport.
type GetInput struct {
	MerchantID, ExportID ghost.ID
}

// GetExport returns an export's state. Temporary failures are retried by
// Temporal (the call is idempotent).
func (a *Activities) GetExport(ctx context.Context, in GetInput) (*ghost.Export, error) {
	e, err := a.Client.Exports.Get(ctx, in.MerchantID, in.ExportID)
	if err != nil {
		return nil, classifyOther(err)
	}
	return e, nil
}

// DownloadInput is the input of DownloadExport.
type DownloadInput struct {
	MerchantID ghost.ID
	Type       ghost.ExportType
	Window     Window
	Export     ghost.Export // DONE
	Sink       string       // the job's sink URL
	// Created is when the workflow created Export: it orders the window's
	// exports in the sink (the newest one's files win).
	Created time.Time
	Job     string // the workflow id, recorded in the sink for operators
}

// DownloadResult is what DownloadExport stored.
type DownloadResult struct {
	Files   int
	Objects int64
	// Skipped counts the files an earlier attempt had committed: the sink
	// said it holds them, so they were not downloaded again.
	Skipped int
}

// DownloadProgress is DownloadExport's heartbeat, for operators (the
// progress of a window being downloaded): a retry does not rely on it but
// asks the sink what it holds.
type DownloadProgress struct {
	Window  int // the window's index
	Export  ghost.ID
	File    int   // the file being written, from 1
	Files   int   // files in the export
	Objects int64 // objects written, committed files and the current one
}

// DownloadExport streams every file of a DONE export into the job's sink,
// one sink file per export file, each uploaded whole and then committed in
// the window's record. It first claims the window for the export; a retry
// (on this or another worker) asks the sink which files the export already
// committed and skips them. Once every file is committed it completes the
// window (older exports' files are deleted). An expired export fails with
// ErrTypeExpired (the workflow exports the window again); a window a newer
// export holds fails with ErrTypeStaleExport.
func (a *Activities) DownloadExport(ctx context.Context, in DownloadInput) (DownloadResult, error) {
	sink, err := a.sink(ctx, in.Sink)
	if err != nil {
		return DownloadResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, err)
	}
	every := a.HeartbeatEvery
	if every <= 0 {
		every = 500
	}
	key := WindowKey{MerchantID: in.MerchantID, Type: in.Type, Window: in.Window}
	claim := Claim{Export: in.Export.ID, Created: in.Created, Files: len(in.Export.ExportURLs), Job: in.Job}
	prog := DownloadProgress{Window: in.Window.Index, Export: in.Export.ID, Files: claim.Files}
	activity.RecordHeartbeat(ctx, prog)
	rec, err := sink.Claim(ctx, key, claim)
	if err != nil {
		return DownloadResult{}, sinkError(err)
	}
	res := DownloadResult{Files: claim.Files}
	for i := range in.Export.ExportURLs {
		prog.File = i + 1
		if cf, ok := rec.committed(i + 1); ok {
			if held, err := sink.bucket.Exists(ctx, cf.Key); err != nil {
				return res, err
			} else if held {
				res.Skipped++
				prog.Objects += cf.Objects
				activity.RecordHeartbeat(ctx, prog)
				continue
			}
		}
		n, err := a.downloadFile(ctx, sink, key, claim, in.Export, i, func(n int64) {
			activity.RecordHeartbeat(ctx, DownloadProgress{Window: prog.Window, Export: prog.Export,
				File: prog.File, Files: prog.Files, Objects: prog.Objects + n})
		}, every)
		if err != nil {
			return res, err
		}
		prog.Objects += n
		activity.RecordHeartbeat(ctx, prog)
	}
	rec, err = sink.Complete(ctx, key, claim)
	if err != nil {
		return res, sinkError(err)
	}
	res.Objects = rec.Objects()
	return res, nil
}

func (a *Activities) downloadFile(ctx context.Context, sink *Sink, key WindowKey, claim Claim, e ghost.Export, i int, beat func(int64), every int) (n int64, err error) {
	f, err := sink.Create(ctx, key, claim, i+1)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Abort()
		}
	}()
	for obj, err := range a.Client.Exports.File(ctx, &e, i) {
		if err != nil {
			return n, classifyOther(err)
		}
		if err := f.Write(obj); err != nil {
			return n, err
		}
		n++
		if n%int64(every) == 0 {
			beat(n)
		}
	}
	return n, sinkError(f.Commit(ctx))
}

// sinkError makes ErrStaleExport final: the download belongs to an export
// the window no longer holds, and retrying it would only be refused again.
func sinkError(err error) error {
	if errors.Is(err, ErrStaleExport) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeStaleExport, nil)
	}
	return err
}

// classifyCreate turns a create's error into the decision the workflow
// takes, from the SDK's reading of it (ghost.ClassifyExportError, the one
// Range uses): ambiguous (the answer was lost, or the call was cut off: an
// export may be running), service hours and unavailable (refused: nothing
// created), or permanent. Stricter than Range on one point: a create
// answered by a server error other than 503 counts as ambiguous, since a
// window here must never have two exports at once and a 500 may come after
// the export was made.
func classifyCreate(err error) error {
	c := ghost.ClassifyExportError(err, time.Now())
	var ge *ghost.Error
	status := 0
	if errors.As(err, &ge) {
		status = ge.StatusCode
	}
	switch {
	case c.Kind == ghost.ExportErrorCreateUnknown, c.Kind == ghost.ExportErrorStopped,
		c.Kind == ghost.ExportErrorTransient && status >= 500 && status != http.StatusServiceUnavailable:
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeAmbiguousCreate, nil)
	case c.Kind == ghost.ExportErrorServiceHours:
		d := UnavailableDetails{Message: err.Error()}
		if ge != nil {
			d.RetryAfter = ge.RetryAfter
		}
		if h := c.Hours; h != nil {
			d.Message, d.Open, d.Close, d.HasHours = h.Message, h.Open, h.Close, h.HasHours
		}
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeServiceHours, nil, d)
	case c.Kind == ghost.ExportErrorConcurrency, c.Kind == ghost.ExportErrorTransient:
		d := UnavailableDetails{Message: err.Error()}
		if ge != nil {
			d.RetryAfter, d.Message = ge.RetryAfter, ge.Message
		}
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeUnavailable, nil, d)
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
}

// classifyOther marks what ghost.ClassifyExportError reads as permanent
// non-retryable, and an expired export ErrTypeExpired (the workflow exports
// the window again); everything else is retried by Temporal's retry policy.
func classifyOther(err error) error {
	switch ghost.ClassifyExportError(err, time.Now()).Kind {
	case ghost.ExportErrorExpired:
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeExpired, nil)
	case ghost.ExportErrorPermanent:
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	return err
}

// nextOpen returns when the service opens next after now, per d.
func (d UnavailableDetails) nextOpen(now time.Time) time.Time {
	he := ghost.ServiceHoursError{Open: d.Open, Close: d.Close, HasHours: d.HasHours}
	return he.NextOpen(now)
}
