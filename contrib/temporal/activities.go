package ghosttemporal

import (
	"context"
	"errors"
	"net/http"
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
	// ErrTypeWindowFailed: ExportRange could not finish a window. Details:
	// WindowFailure.
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
// with Register. Client talks to the Exports API (with its bearer token);
// Sink stores the objects.
type Activities struct {
	Client *ghost.Client
	Sink   Sink
	// HeartbeatEvery is how many objects DownloadExport writes between
	// heartbeats (default 500).
	HeartbeatEvery int
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
}

// DownloadResult is what DownloadExport wrote.
type DownloadResult struct {
	Files   int
	Objects int64
}

// downloadProgress is DownloadExport's heartbeat: files before NextFile are
// committed and hold Objects objects.
type downloadProgress struct {
	ExportID ghost.ID
	NextFile int
	Objects  int64
}

// DownloadExport streams every file of a DONE export into the sink, one
// sink file per export file, committing each whole. It heartbeats as it
// goes; a retry (on this or another worker) skips the files the last
// attempt committed and rewrites the one it was in. An expired export fails
// with ErrTypeExpired (the workflow exports the window again).
func (a *Activities) DownloadExport(ctx context.Context, in DownloadInput) (DownloadResult, error) {
	every := a.HeartbeatEvery
	if every <= 0 {
		every = 500
	}
	var prog downloadProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &prog); err != nil || prog.ExportID != in.Export.ID {
			prog = downloadProgress{}
		}
	}
	prog.ExportID = in.Export.ID
	activity.RecordHeartbeat(ctx, prog)
	if err := a.Sink.Claim(ctx, in.MerchantID, in.Type, in.Window, in.Export.ID); err != nil {
		return DownloadResult{}, err
	}
	for i := prog.NextFile; i < len(in.Export.ExportURLs); i++ {
		n, err := a.downloadFile(ctx, in, i, func() { activity.RecordHeartbeat(ctx, prog) }, every)
		if err != nil {
			return DownloadResult{}, err
		}
		prog.NextFile, prog.Objects = i+1, prog.Objects+n
		activity.RecordHeartbeat(ctx, prog)
	}
	if err := a.Sink.Trim(ctx, in.MerchantID, in.Type, in.Window, in.Export.ID, len(in.Export.ExportURLs)); err != nil {
		return DownloadResult{}, stale(err)
	}
	return DownloadResult{Files: len(in.Export.ExportURLs), Objects: prog.Objects}, nil
}

func (a *Activities) downloadFile(ctx context.Context, in DownloadInput, i int, beat func(), every int) (n int64, err error) {
	f, err := a.Sink.Create(ctx, FileKey{MerchantID: in.MerchantID, Type: in.Type, Window: in.Window, File: i + 1, ExportID: in.Export.ID})
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Abort()
		}
	}()
	one := in.Export
	one.ExportURLs = in.Export.ExportURLs[i : i+1]
	for obj, err := range a.Client.Exports.Objects(ctx, &one) {
		if err != nil {
			if errors.Is(err, ghost.ErrExportExpired) {
				return n, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeExpired, nil)
			}
			return n, classifyOther(err)
		}
		if err := f.Write(obj); err != nil {
			return n, err
		}
		n++
		if n%int64(every) == 0 {
			beat()
		}
	}
	return n, stale(f.Commit())
}

// stale makes ErrStaleExport final: the download belongs to an export the
// workflow has replaced, and retrying it would only be refused again.
func stale(err error) error {
	if errors.Is(err, ErrStaleExport) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	return err
}

// classifyCreate sorts a create's error by what the SDK says it means:
// ambiguous (ghost.ErrExportCreateUnknown, or the call was cut off by its
// context mid-request: an export may be running), service hours and
// unavailable (a 503 or 429: refused, nothing created; or a refused
// connection) or permanent (4xx, bad input, missing configuration).
func classifyCreate(err error) error {
	var he *ghost.ServiceHoursError
	var ge *ghost.Error
	switch {
	case errors.Is(err, ghost.ErrExportCreateUnknown),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		// Stricter than Range, which repeats a create answered 500: a
		// window here must never have two exports at once, and a server
		// error may come after the export was made.
		errors.As(err, &ge) && ge.StatusCode == http.StatusInternalServerError:
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeAmbiguousCreate, nil)
	case errors.As(err, &he):
		d := UnavailableDetails{Message: he.Message, Open: he.Open, Close: he.Close, HasHours: he.HasHours}
		if he.Err != nil {
			d.RetryAfter = he.Err.RetryAfter
		}
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeServiceHours, nil, d)
	case errors.As(err, &ge) && (ge.StatusCode == http.StatusServiceUnavailable || ge.StatusCode == http.StatusTooManyRequests):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeUnavailable, nil,
			UnavailableDetails{RetryAfter: ge.RetryAfter, Message: ge.Message})
	case errors.As(err, &ge) && !ge.Temporary():
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeUnavailable, nil, UnavailableDetails{Message: err.Error()})
}

// classifyOther marks permanent API errors non-retryable; everything else
// is retried by Temporal's retry policy.
func classifyOther(err error) error {
	var ge *ghost.Error
	if errors.As(err, &ge) && !ge.Temporary() && (ge.StatusCode >= 400 || errors.Is(err, ghost.ErrValidation)) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	return err
}

// nextOpen returns when the service opens next after now, per d.
func (d UnavailableDetails) nextOpen(now time.Time) time.Time {
	he := ghost.ServiceHoursError{Open: d.Open, Close: d.Close, HasHours: d.HasHours}
	return he.NextOpen(now)
}
