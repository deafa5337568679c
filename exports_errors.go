package ghost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file says what an export error means: service hours (a 503 naming
// them), the other 503s, and ClassifyExportError's reading of any export
// call's error (what it means and how long to wait before trying again).

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

// ExportErrorKind is what a failed export call means for what to do next;
// see ClassifyExportError.
type ExportErrorKind string

// The kinds of export errors.
const (
	// ExportErrorPermanent: refused for good (400, 401, 403, 404, bad
	// input, missing configuration); trying again cannot help.
	ExportErrorPermanent ExportErrorKind = "permanent"
	// ExportErrorCreateUnknown: a create whose answer was lost
	// (ErrExportCreateUnknown): an export may be running. Do not create
	// the window again while it may run.
	ExportErrorCreateUnknown ExportErrorKind = "create_unknown"
	// ExportErrorConcurrency: 503, too many exports running; nothing was
	// created. Run fewer at once, and try again once one finishes.
	ExportErrorConcurrency ExportErrorKind = "concurrency"
	// ExportErrorServiceHours: 503 outside the service's hours
	// (*ServiceHoursError); nothing was created. Try again once it opens.
	ExportErrorServiceHours ExportErrorKind = "service_hours"
	// ExportErrorTransient: 429, another 5xx or a network failure; try
	// again after a backoff (a create refused so created nothing).
	ExportErrorTransient ExportErrorKind = "transient"
	// ExportErrorExpired: the export's files are gone (ErrExportExpired):
	// create the export again.
	ExportErrorExpired ExportErrorKind = "expired"
	// ExportErrorFailed: the server gave up on the export
	// (ErrExportFailed): create it again.
	ExportErrorFailed ExportErrorKind = "failed"
	// ExportErrorStopped: the caller's context ended. A create cut off
	// after its request was written may have made an export.
	ExportErrorStopped ExportErrorKind = "stopped"
)

// ExportErrorClass is ClassifyExportError's reading of an error: what it
// means and how long to wait before trying again.
type ExportErrorClass struct {
	Kind ExportErrorKind
	// Wait is the least time to wait before trying again: the server's
	// Retry-After, or for ExportErrorServiceHours the time until the
	// service opens (when its message names the hours); 0 when the
	// caller's own backoff decides.
	Wait time.Duration
	// Hours is the typed error of ExportErrorServiceHours (nil otherwise).
	Hours *ServiceHoursError
}

// ClassifyExportError reads the error of an export call (Create, Get, Wait,
// File and the downloads built on it) and says what it means and how long
// to wait, as Range itself decides: a 503 is told apart by its message
// ("too many concurrent exports" against the service's hours, parsed
// into a *ServiceHoursError), a create whose answer was lost by
// ErrExportCreateUnknown, and the rest by status. now is the current time,
// for the wait until the service opens.
func ClassifyExportError(err error, now time.Time) ExportErrorClass {
	var c ExportErrorClass
	var ge *Error
	if errors.As(err, &ge) {
		c.Wait = ge.RetryAfter
	}
	var he *ServiceHoursError
	switch {
	case errors.Is(err, ErrExportCreateUnknown):
		c.Kind = ExportErrorCreateUnknown
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		c.Kind = ExportErrorStopped
	case errors.Is(err, ErrExportExpired):
		c.Kind = ExportErrorExpired
	case errors.Is(err, ErrExportFailed):
		c.Kind = ExportErrorFailed
	case errors.As(err, &he):
		c.Kind, c.Hours = ExportErrorServiceHours, he
	case ge != nil && ge.StatusCode == http.StatusServiceUnavailable:
		c.Kind = ExportErrorTransient
		switch kind, h := classify503(ge); kind {
		case unavailableConcurrency:
			c.Kind = ExportErrorConcurrency
		case unavailableHours:
			c.Kind, c.Hours = ExportErrorServiceHours, h
		}
	case temporary(err):
		c.Kind = ExportErrorTransient
	default:
		c.Kind = ExportErrorPermanent
	}
	if c.Hours != nil && c.Hours.HasHours {
		c.Wait = max(c.Wait, c.Hours.NextOpen(now).Sub(now))
	}
	return c
}
