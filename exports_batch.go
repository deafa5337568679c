package ghost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ServiceHoursError is the error of an export refused with 503 because the
// export service is closed at this time of day. It matches
// ErrOutsideServiceHours and, through Err, ErrUnavailable.
type ServiceHoursError struct {
	// Open and Close are the daily opening and closing times, as durations
	// since midnight UTC, when the server's message names them (HasHours).
	Open, Close time.Duration
	HasHours    bool
	Message     string // the server's message
	Err         *Error // the 503 answer
}

// Error describes the error with the hours, when known.
func (e *ServiceHoursError) Error() string {
	if e.HasHours {
		return fmt.Sprintf("ghost: export service is closed; it is open %s–%s UTC daily: %s",
			clockText(e.Open), clockText(e.Close), e.Message)
	}
	return "ghost: export service is closed outside its service hours: " + e.Message
}

// Is matches ErrOutsideServiceHours.
func (e *ServiceHoursError) Is(target error) bool { return target == ErrOutsideServiceHours }

// Unwrap returns the 503 *Error.
func (e *ServiceHoursError) Unwrap() error { return e.Err }

// NextOpen returns the first time at or after now when the service is open,
// or now when the hours are not known.
func (e *ServiceHoursError) NextOpen(now time.Time) time.Time {
	if !e.HasHours {
		return now
	}
	now = now.UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	since := now.Sub(midnight)
	open := func(d time.Duration) bool {
		if e.Open <= e.Close {
			return d >= e.Open && d < e.Close
		}
		return d >= e.Open || d < e.Close // a window past midnight
	}
	if open(since) {
		return now
	}
	if since < e.Open {
		return midnight.Add(e.Open)
	}
	return midnight.Add(24*time.Hour + e.Open)
}

func clockText(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// hoursRE finds "10:00-15:00", "10:00 – 15:00", "10:00 to 15:00" in a message.
var hoursRE = regexp.MustCompile(`(\d{1,2}):(\d{2})\s*(?:-|–|—|to|until)\s*(\d{1,2}):(\d{2})`)

// unavailableKind says why an export was refused with 503.
type unavailableKind int

const (
	unavailableOther       unavailableKind = iota // no reason given: transient
	unavailableConcurrency                        // too many exports running
	unavailableHours                              // outside service hours
)

// classify503 reads the reason of a 503 answer from its message (or its raw
// body when that was not JSON), and for service hours builds the typed error.
func classify503(ge *Error) (unavailableKind, *ServiceHoursError) {
	text := ge.Message + " " + ge.Details + " " + string(ge.Body)
	low := strings.ToLower(text)
	switch {
	case strings.Contains(low, "concurren") || strings.Contains(low, "too many"):
		return unavailableConcurrency, nil
	case strings.Contains(low, "hour") || hoursRE.MatchString(text):
		he := &ServiceHoursError{Message: ge.Message, Err: ge}
		if m := hoursRE.FindStringSubmatch(text); m != nil {
			n := func(s string) int { v, _ := strconv.Atoi(s); return v }
			oh, om, ch, cm := n(m[1]), n(m[2]), n(m[3]), n(m[4])
			if oh <= 24 && ch <= 24 && om < 60 && cm < 60 {
				he.Open = time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
				he.Close = time.Duration(ch)*time.Hour + time.Duration(cm)*time.Minute
				he.HasHours = true
			}
		}
		return unavailableHours, he
	}
	return unavailableOther, nil
}

// RangePhase is the step a Range window is at when progress is reported.
type RangePhase string

// The phases of a Range window, in order; PhaseRetrying may come before
// PhaseCreated any number of times.
const (
	PhaseRetrying    RangePhase = "retrying"    // creating was refused (Err says why); waiting to try again
	PhaseCreated     RangePhase = "created"     // the window's export exists
	PhasePolling     RangePhase = "polling"     // a poll returned (Export has status and percent)
	PhaseDownloading RangePhase = "downloading" // the export is DONE; its files are being streamed
	PhaseDone        RangePhase = "done"        // every object of the window was consumed; Checkpoint is set
)

// RangeProgress reports what a Range run is doing.
type RangeProgress struct {
	Window, Windows int           // this window's number (from 1) and how many this run has
	Start, End      time.Time     // the window's range [Start, End)
	Phase           RangePhase    // what happened
	Export          *Export       // the window's export, once created
	Objects         int           // objects yielded for this window so far
	Err             error         // PhaseRetrying: the 503 (or other temporary error) being waited through
	Wait            time.Duration // PhaseRetrying: how long before the next try
	// Checkpoint, at PhaseDone, is the end of the range finished so far:
	// save it, and pass it as RangeParams.Checkpoint to resume there.
	Checkpoint time.Time
}

// RangeParams describes a range export.
type RangeParams struct {
	Type       ExportType
	Start, End time.Time // the range [Start, End), any length
	// Checkpoint resumes an earlier run: the range before it is skipped
	// (it is the Checkpoint of that run's last PhaseDone report).
	Checkpoint time.Time
	// Window is the length of each export (default and maximum 30 days).
	Window time.Duration
	// Wait says how each export is polled, and how creating is retried
	// after a 503 (Interval growing by Backoff up to MaxInterval).
	Wait WaitOptions
	// WaitForHours makes Range wait for the service to open when it is
	// outside its service hours (trying again at most every
	// Wait.MaxInterval); otherwise Range stops with a *ServiceHoursError.
	WaitForHours bool
	// OnProgress, when set, is called at every step of every window.
	OnProgress func(RangeProgress)
}

// Range exports any range as consecutive windows of at most 30 days,
// [Start, Start+30d), [Start+30d, Start+60d), …, run one at a time: each is
// created, waited for, and its objects streamed in order before the next
// starts, so every object of the range is yielded exactly once, in order.
//
// Creating an export the server refuses with 503 because too many exports
// are running (or for no stated reason), 429, another 5xx or a network
// failure is retried with backoff until ctx ends (a create whose answer was
// lost may leave an unused export behind on the server); outside
// service hours Range stops with a *ServiceHoursError (errors.Is
// ErrOutsideServiceHours), or waits for the hours when WaitForHours is set.
// After each window, OnProgress gets PhaseDone with a Checkpoint: a new run
// given that Checkpoint resumes after the finished windows. The first error
// is yielded and ends the sequence; so does ctx ending.
func (s *ExportsService) Range(ctx context.Context, merchantID ID, params RangeParams) iter.Seq2[json.RawMessage, error] {
	return ExportRange[json.RawMessage](ctx, s, merchantID, params)
}

// ExportRange is Range with the objects decoded as T (for example
// ExportedOrder or ExportedPayment).
func ExportRange[T any](ctx context.Context, s *ExportsService, merchantID ID, params RangeParams) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		windows, err := params.windows()
		if err != nil {
			yield(zero, err)
			return
		}
		for i, w := range windows {
			p := RangeProgress{Window: i + 1, Windows: len(windows), Start: w[0], End: w[1]}
			if !runWindow(ctx, s, merchantID, &params, &p, yield) {
				return
			}
		}
	}
}

// windows splits the range left after the checkpoint.
func (p *RangeParams) windows() ([][2]time.Time, error) {
	size := p.Window
	switch {
	case size == 0:
		size = MaxExportRange
	case size < 0 || size > MaxExportRange:
		return nil, invalidParams("window", "window must be positive and at most 30 days")
	case size < time.Millisecond:
		return nil, invalidParams("window", "window must be at least a millisecond")
	}
	switch p.Type {
	case ExportTypeOrders, ExportTypePayments:
	default:
		return nil, invalidParams("type", "export type is %q; want ORDERS or PAYMENTS", p.Type)
	}
	if p.Start.IsZero() || p.End.IsZero() || !p.Start.Before(p.End) {
		return nil, invalidParams("end", "the range needs a start before its end")
	}
	start := p.Start
	if p.Checkpoint.After(start) {
		start = p.Checkpoint
	}
	var ws [][2]time.Time
	for t := start; t.Before(p.End); {
		end := t.Add(size)
		if end.After(p.End) {
			end = p.End
		}
		ws = append(ws, [2]time.Time{t, end})
		t = end
	}
	return ws, nil
}

// runWindow creates, waits for and streams one window; it reports whether
// to go on.
func runWindow[T any](ctx context.Context, s *ExportsService, merchantID ID, params *RangeParams, p *RangeProgress, yield func(T, error) bool) bool {
	var zero T
	report := func(ph RangePhase) {
		p.Phase = ph
		if params.OnProgress != nil {
			params.OnProgress(*p)
		}
	}
	fail := func(err error) bool {
		yield(zero, fmt.Errorf("ghost: export window %d of %d (%s to %s): %w", p.Window, p.Windows,
			p.Start.UTC().Format(time.RFC3339), p.End.UTC().Format(time.RFC3339), err))
		return false
	}
	e, err := s.createRetrying(ctx, merchantID, params, p, report)
	if err != nil {
		return fail(err)
	}
	p.Export, p.Err, p.Wait = e, nil, 0
	report(PhaseCreated)

	wo := params.Wait
	userProgress := wo.OnProgress
	wo.OnProgress = func(e *Export) {
		if userProgress != nil {
			userProgress(e)
		}
		p.Export = e
		report(PhasePolling)
	}
	e, err = s.Wait(ctx, merchantID, e.ID, wo)
	if err != nil {
		return fail(err)
	}
	p.Export = e
	report(PhaseDownloading)
	for v, err := range ExportObjects[T](ctx, s, e) {
		if err != nil {
			return fail(err)
		}
		p.Objects++
		if !yield(v, nil) {
			return false
		}
	}
	p.Checkpoint = p.End
	report(PhaseDone)
	return true
}

// createRetrying creates a window's export, waiting through 503s (and other
// temporary errors) with backoff, and through service hours when asked.
func (s *ExportsService) createRetrying(ctx context.Context, merchantID ID, params *RangeParams, p *RangeProgress, report func(RangePhase)) (*Export, error) {
	o := params.Wait.withDefaults()
	delay := o.Interval
	for {
		e, err := s.Create(ctx, merchantID, ExportCreateParams{Type: params.Type, Start: p.Start, End: p.End})
		if err == nil {
			return e, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ghost: creating export: %w", ctx.Err())
		}
		if !temporary(err) {
			return nil, err
		}
		wait := delay
		var ge *Error
		if errors.As(err, &ge) {
			if ge.StatusCode == http.StatusServiceUnavailable {
				kind, he := classify503(ge)
				if kind == unavailableHours {
					if !params.WaitForHours {
						return nil, he
					}
					err = he
					wait = o.MaxInterval
					if he.HasHours {
						now := s.client.cfg.now()
						wait = min(max(he.NextOpen(now).Sub(now), o.Interval), o.MaxInterval)
					}
				}
			}
			if ge.RetryAfter > wait {
				wait = min(ge.RetryAfter, o.MaxInterval)
			}
		}
		p.Err, p.Wait = err, wait
		report(PhaseRetrying)
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, fmt.Errorf("ghost: creating export: %w", err)
		}
		delay = o.next(delay)
	}
}
