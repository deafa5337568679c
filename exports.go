package ghost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// ExportsService serves bulk exports (Clover-style Exports API): an export
// of a merchant's orders or payments for a time range of at most 30 days is
// created, runs on the server (PENDING → IN_PROGRESS → DONE), and is then
// downloaded as files of at most 1000 objects each, kept for 24 hours.
//
// Create, Get and Wait drive one export; Objects, Orders and Payments stream
// a finished export's objects; Range (and ExportRange) run a range of any
// length as exports of at most 30 days, a few at once, yield its objects in
// time order, and can resume after a crash.
type ExportsService service

// ExportType is what an export holds.
type ExportType string

// The export types.
const (
	ExportTypePayments ExportType = "PAYMENTS"
	ExportTypeOrders   ExportType = "ORDERS"
)

// ExportStatus is where an export is in its lifecycle.
type ExportStatus string

// The export statuses. PENDING and IN_PROGRESS move on by themselves; DONE and
// FAILED are final.
const (
	ExportStatusPending    ExportStatus = "PENDING"     // queued
	ExportStatusInProgress ExportStatus = "IN_PROGRESS" // being produced
	ExportStatusDone       ExportStatus = "DONE"        // files ready (ExportURLs)
	ExportStatusFailed     ExportStatus = "FAILED"      // the server gave up
)

// MaxExportRange is the longest time range one export may cover: End minus
// Start must be at most 30 days (30×24 h). Range splits longer ranges.
const MaxExportRange = 30 * 24 * time.Hour

var (
	// ErrExportFailed is matched (errors.Is) by the error of an export the
	// server reports as FAILED (or in any other final status but DONE).
	ErrExportFailed = errors.New("ghost: export failed")
	// ErrExportExpired is matched by the error of downloading an export
	// whose files are no longer available (past AvailableUntil).
	ErrExportExpired = errors.New("ghost: export expired")
	// ErrOutsideServiceHours is matched by a *ServiceHoursError: the export
	// service answered 503 because it is closed at this time of day.
	ErrOutsideServiceHours = errors.New("ghost: export service is outside its service hours")
)

// Export is an export and its progress. Times are UTC; they are zero when the
// server did not send them.
type Export struct {
	ID              ID
	Type            ExportType
	Status          ExportStatus
	PercentComplete int
	StartTime       time.Time   // start of the exported range (inclusive)
	EndTime         time.Time   // end of the exported range
	CreatedTime     time.Time   // when the export was created
	ModifiedTime    time.Time   // last change of the export
	AvailableUntil  time.Time   // when DONE: the files are deleted after this
	ExportURLs      []ExportURL // when DONE: the files, in order
	MerchantID      ID
}

// ExportURL is one file of a finished export. URL is pre-signed: it is
// fetched without the API's credentials, and may be on another host.
type ExportURL struct {
	URL      string
	ExportID ID
}

// Final reports whether the export will not change any more (DONE or FAILED,
// or a status this SDK does not know as in progress).
func (e *Export) Final() bool {
	switch e.Status {
	case ExportStatusPending, ExportStatusInProgress, "":
		return false
	}
	return true
}

// exportWire is an export as the API writes it: times in UTC epoch
// milliseconds, files in exportUrls.elements, the merchant in merchantRef.
type exportWire struct {
	ID              ID           `json:"id"`
	Type            ExportType   `json:"type,omitempty"`
	Status          ExportStatus `json:"status,omitempty"`
	PercentComplete looseInt     `json:"percentComplete"`
	AvailableUntil  epochMillis  `json:"availableUntil,omitzero"`
	StartTime       epochMillis  `json:"startTime,omitzero"`
	EndTime         epochMillis  `json:"endTime,omitzero"`
	CreatedTime     epochMillis  `json:"createdTime,omitzero"`
	ModifiedTime    epochMillis  `json:"modifiedTime,omitzero"`
	ExportURLs      *urlList     `json:"exportUrls,omitempty"`
	MerchantRef     *ref         `json:"merchantRef,omitempty"`
	Merchant        *ref         `json:"merchant,omitempty"` // tolerated alias of merchantRef
}

type ref struct {
	ID ID `json:"id"`
}

type urlWire struct {
	URL    string `json:"url"`
	Export *ref   `json:"export,omitempty"`
}

// urlList is exportUrls: {"elements": […]}, or a bare array.
type urlList struct {
	Elements []urlWire `json:"elements"`
}

func (l *urlList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &l.Elements)
	}
	type plain urlList
	return json.Unmarshal(b, (*plain)(l))
}

// UnmarshalJSON decodes an export as the API writes it. It is tolerant:
// times may be epoch milliseconds (numbers or numeric strings) or RFC 3339
// strings, percentComplete may be fractional, exportUrls may be a bare array.
func (e *Export) UnmarshalJSON(b []byte) error {
	var w exportWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Export{
		ID:              w.ID,
		Type:            w.Type,
		Status:          w.Status,
		PercentComplete: int(w.PercentComplete),
		StartTime:       w.StartTime.Time,
		EndTime:         w.EndTime.Time,
		CreatedTime:     w.CreatedTime.Time,
		ModifiedTime:    w.ModifiedTime.Time,
		AvailableUntil:  w.AvailableUntil.Time,
	}
	switch {
	case w.MerchantRef != nil:
		e.MerchantID = w.MerchantRef.ID
	case w.Merchant != nil:
		e.MerchantID = w.Merchant.ID
	}
	if w.ExportURLs != nil {
		for _, u := range w.ExportURLs.Elements {
			eu := ExportURL{URL: u.URL, ExportID: e.ID}
			if u.Export != nil && u.Export.ID != "" {
				eu.ExportID = u.Export.ID
			}
			e.ExportURLs = append(e.ExportURLs, eu)
		}
	}
	return nil
}

// MarshalJSON encodes the export in the API's own shape (epoch
// milliseconds), so a saved export decodes back to the same value.
func (e Export) MarshalJSON() ([]byte, error) {
	w := exportWire{
		ID:              e.ID,
		Type:            e.Type,
		Status:          e.Status,
		PercentComplete: looseInt(e.PercentComplete),
		AvailableUntil:  epochMillis{e.AvailableUntil},
		StartTime:       epochMillis{e.StartTime},
		EndTime:         epochMillis{e.EndTime},
		CreatedTime:     epochMillis{e.CreatedTime},
		ModifiedTime:    epochMillis{e.ModifiedTime},
	}
	if e.MerchantID != "" {
		w.MerchantRef = &ref{ID: e.MerchantID}
	}
	if len(e.ExportURLs) > 0 {
		w.ExportURLs = &urlList{}
		for _, u := range e.ExportURLs {
			w.ExportURLs.Elements = append(w.ExportURLs.Elements, urlWire{URL: u.URL, Export: &ref{ID: u.ExportID}})
		}
	}
	return json.Marshal(w)
}

// epochMillis is a time sent as UTC epoch milliseconds. Decoding also
// accepts a numeric string, a fractional number and an RFC 3339 string;
// null, 0 and negative values are the zero time.
type epochMillis struct{ time.Time }

func (m *epochMillis) UnmarshalJSON(b []byte) error {
	t, err := parseEpochMillis(b)
	if err != nil {
		return err
	}
	m.Time = t
	return nil
}

func (m epochMillis) MarshalJSON() ([]byte, error) {
	if m.Time.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, m.Time.UnixMilli(), 10), nil
}

func parseEpochMillis(b []byte) (time.Time, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return time.Time{}, nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return time.Time{}, err
		}
		if s == "" {
			return time.Time{}, nil
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return time.Time{}, fmt.Errorf("ghost: time %q is neither epoch milliseconds nor RFC 3339", s)
			}
			return t.UTC(), nil
		}
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f > 1<<62 || f < -(1<<62) {
			return time.Time{}, fmt.Errorf("ghost: time %.40s is not epoch milliseconds", s)
		}
		ms = int64(f)
	}
	if ms <= 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(ms).UTC(), nil
}

// looseInt decodes a JSON number (integer or fractional, truncated) or a
// numeric string; null is 0.
type looseInt int

func (n *looseInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if s == "null" || s == "" {
		*n = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f > 1<<31 || f < -(1<<31) {
		return fmt.Errorf("ghost: %.40s is not a number", s)
	}
	*n = looseInt(f)
	return nil
}

// ExportCreateParams creates an export.
type ExportCreateParams struct {
	Type  ExportType // ExportTypeOrders or ExportTypePayments
	Start time.Time  // start of the range (inclusive)
	End   time.Time  // end of the range; End-Start must be > 0 and <= MaxExportRange
}

// exportBody is the create request: times in UTC epoch milliseconds.
type exportBody struct {
	Type      ExportType `json:"type"`
	StartTime int64      `json:"startTime"`
	EndTime   int64      `json:"endTime"`
}

func (p *ExportCreateParams) validate() (exportBody, error) {
	switch p.Type {
	case ExportTypeOrders, ExportTypePayments:
	case "":
		return exportBody{}, invalidParams("type", "export type is required (ORDERS or PAYMENTS)")
	default:
		return exportBody{}, invalidParams("type", "export type is %q; want ORDERS or PAYMENTS", p.Type)
	}
	if p.Start.IsZero() || p.End.IsZero() {
		return exportBody{}, invalidParams("startTime", "both start and end times are required")
	}
	b := exportBody{Type: p.Type, StartTime: p.Start.UnixMilli(), EndTime: p.End.UnixMilli()}
	if b.StartTime < 0 {
		return exportBody{}, invalidParams("startTime", "start time %s is before 1970", p.Start.UTC().Format(time.RFC3339))
	}
	if b.EndTime <= b.StartTime {
		return exportBody{}, invalidParams("endTime", "end time must be after start time (to the millisecond)")
	}
	if b.EndTime-b.StartTime > MaxExportRange.Milliseconds() {
		return exportBody{}, invalidParams("endTime", "an export covers at most 30 days; %s to %s is %s (use Range to split it)",
			p.Start.UTC().Format(time.RFC3339), p.End.UTC().Format(time.RFC3339), time.Duration(b.EndTime-b.StartTime)*time.Millisecond)
	}
	return b, nil
}

var (
	opExportsCreate = declare(PartExports, "Exports.Create", http.MethodPost, "/v3/merchants/{merchantID}/exports")
	opExportsGet    = declare(PartExports, "Exports.Get", http.MethodGet, "/v3/merchants/{merchantID}/exports/{exportID}")
)

// Create starts an export: POST /v3/merchants/{mId}/exports with
// {"type","startTime","endTime"} in epoch milliseconds. The parameters are
// checked before anything is sent (type, start before end, at most 30 days).
//
// Outside the service's hours, or when too many exports are running, the
// server answers 503: the error matches ErrUnavailable (Range waits through
// both); outside the hours it is a *ServiceHoursError naming them. Exports
// document no idempotency key, so a create is never repeated once it may
// have reached the server: when it did and no answer refused it (its answer
// was lost, a gateway timed out, a 2xx could not be decoded), the error
// matches ErrExportCreateUnknown — an export may be running.
func (s *ExportsService) Create(ctx context.Context, merchantID ID, params ExportCreateParams, opts ...RequestOption) (*Export, error) {
	body, err := params.validate()
	if err != nil {
		return nil, err
	}
	r := &request{op: opExportsCreate, ids: []ID{merchantID}, body: body}
	e, err := getOne[Export](ctx, (*service)(s), r, opts)
	if err != nil {
		return nil, createError(err, r)
	}
	return e, nil
}

// createError says what a failed create means for the export: outside
// service hours it is a *ServiceHoursError; when the request may have
// reached the server and no answer refused it (its answer was lost, a
// gateway timed out, or a 2xx could not be decoded) it wraps
// ErrExportCreateUnknown; otherwise it is err.
func createError(err error, r *request) error {
	var ge *Error
	answered := errors.As(err, &ge) && ge.StatusCode != 0
	if answered && ge.StatusCode == http.StatusServiceUnavailable {
		if kind, he := classify503(ge); kind == unavailableHours {
			return he
		}
	}
	if !refused(err) && (r.maybeSent || answered) {
		return fmt.Errorf("%w: %w", ErrExportCreateUnknown, err)
	}
	return err
}

// Get returns an export's current state: GET /v3/merchants/{mId}/exports/{exportId}.
// Wait polls with it.
func (s *ExportsService) Get(ctx context.Context, merchantID, exportID ID, opts ...RequestOption) (*Export, error) {
	return getOne[Export](ctx, (*service)(s), &request{op: opExportsGet, ids: []ID{merchantID, exportID}}, opts)
}

// WaitOptions says how Wait polls. Zero fields take the defaults.
type WaitOptions struct {
	// Interval is the first wait between polls (default 1s).
	Interval time.Duration
	// MaxInterval caps the wait between polls (default 30s, and at least
	// Interval).
	MaxInterval time.Duration
	// Backoff multiplies the wait after every poll (default 1.5; values
	// below 1 mean 1, a fixed interval).
	Backoff float64
	// OnProgress, when set, is called with the export after every
	// successful poll, the final one included.
	OnProgress func(*Export)
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = 30 * time.Second
	}
	if o.MaxInterval < o.Interval {
		o.MaxInterval = o.Interval
	}
	switch {
	case o.Backoff == 0:
		o.Backoff = 1.5
	case o.Backoff < 1:
		o.Backoff = 1
	}
	return o
}

// next returns the wait after d.
func (o WaitOptions) next(d time.Duration) time.Duration {
	n := time.Duration(float64(d) * o.Backoff)
	if n > o.MaxInterval || n <= 0 {
		n = o.MaxInterval
	}
	return n
}

// Wait polls an export until it is DONE and returns it. Between polls it
// waits opts.Interval, growing by opts.Backoff up to opts.MaxInterval, and
// reports each state to opts.OnProgress.
//
// Errors that may pass (503 and other 5xx, 429 — honouring Retry-After —
// and network failures) are waited through with the same backoff, however
// long they outlast the client's own retries. Wait returns at once:
//   - on a FAILED export: the export and an error matching ErrExportFailed;
//   - on a permanent error (400, 401, 403, 404, …): that *Error;
//   - when ctx ends: the last export seen and an error wrapping ctx.Err().
func (s *ExportsService) Wait(ctx context.Context, merchantID, exportID ID, opts WaitOptions, reqOpts ...RequestOption) (*Export, error) {
	o := opts.withDefaults()
	var last *Export
	delay := o.Interval
	for {
		e, err := s.Get(ctx, merchantID, exportID, reqOpts...)
		switch {
		case err == nil:
			last = e
			if o.OnProgress != nil {
				o.OnProgress(e)
			}
			if e.Status == ExportStatusDone {
				return e, nil
			}
			if e.Final() {
				return e, fmt.Errorf("ghost: export %s is %s (at %d%%): %w", exportID, e.Status, e.PercentComplete, ErrExportFailed)
			}
		case ctx.Err() != nil:
			return last, fmt.Errorf("ghost: waiting for export %s: %w", exportID, ctx.Err())
		case !temporary(err):
			return last, err
		default:
			var ge *Error
			if errors.As(err, &ge) && ge.RetryAfter > delay {
				delay = min(ge.RetryAfter, o.MaxInterval)
			}
		}
		if err := sleepCtx(ctx, delay); err != nil {
			return last, fmt.Errorf("ghost: waiting for export %s: %w", exportID, err)
		}
		delay = o.next(delay)
	}
}

// temporary reports whether err may pass if the call is repeated later:
// a 429 or 5xx answer, or a network failure (connection refused or reset,
// timeout, a connection closed early). Errors the SDK raised before sending,
// every other status, TLS and other local failures are permanent.
func temporary(err error) bool {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Temporary()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// sleepCtx waits d, or until ctx ends (then it returns ctx.Err()).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
