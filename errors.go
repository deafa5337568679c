package ghost

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ghostanalytics/ghost-go/internal/wire"
)

// Sentinels for errors.Is. A *Error matches the ones its status (or, for
// errors raised before sending, its code) stands for:
//
//	ErrNotFound      404
//	ErrUnauthorized  401, 403, and missing credentials
//	ErrValidation    400, 409, 422, and parameters refused before sending
//	ErrRateLimited   429 (Error.RetryAfter says how long to wait)
//	ErrUnavailable   502, 503, 504
var (
	ErrNotFound     = errors.New("ghost: not found")
	ErrUnauthorized = errors.New("ghost: unauthorized")
	ErrValidation   = errors.New("ghost: validation failed")
	ErrRateLimited  = errors.New("ghost: rate limited")
	ErrUnavailable  = errors.New("ghost: service unavailable")

	// ErrResponseTooLarge is matched by an error for a response body over
	// the client's limit (see WithMaxResponseBytes).
	ErrResponseTooLarge = errors.New("ghost: response body too large")
	// ErrDecode is matched by a bad_response error: a 2xx answer whose body
	// cannot be decoded into what the call returns (malformed, cut short,
	// empty, or an envelope holding null). For a call that changes something
	// (POST, PUT, PATCH, DELETE) the server accepted the request:
	// Error.Accepted is true, the SDK does not retry it, and the caller should
	// look the result up rather than repeat the call.
	ErrDecode = errors.New("ghost: response cannot be decoded")
	// ErrPagingLoop is yielded by an iterator when the server sent the same
	// page twice in a row (it ignores the paging parameters).
	ErrPagingLoop = errors.New("ghost: server returned the same page twice; it ignores paging")
)

// Codes of errors the SDK raises itself (Error.StatusCode is 0 for them:
// nothing was sent, or no response arrived).
const (
	CodeInvalidParams      = "invalid_params"      // refused before sending
	CodeMissingCredentials = "missing_credentials" // no credentials for the service's scheme
	// CodeMissingEndpoint: the part has no base URL (Checkout and Spark have
	// no default host): configure one with WithEndpoint or WithBaseURL.
	CodeMissingEndpoint  = "missing_endpoint"
	CodeBadResponse      = "bad_response" // a 2xx body that could not be decoded
	CodeResponseTooLarge = "response_too_large"
	CodeForeignURL       = "foreign_url" // a server-supplied URL on another host
	// CodeClientRateLimited: the client-side limiter (WithRateLimit) could
	// not grant a request before the context's deadline; nothing was sent.
	// It matches ErrRateLimited and context.DeadlineExceeded.
	CodeClientRateLimited = "client_rate_limited"
)

// MaxRetryAfter is the longest wait Error.RetryAfter reports. A Retry-After
// longer than this, or too large for an integer, is reported as
// MaxRetryAfter; like any wait beyond RetryPolicy.MaxWait it is not slept and
// the call is not retried.
const MaxRetryAfter = 24 * time.Hour

// maxErrorBody bounds Error.Body.
const maxErrorBody = 4 << 10

// Error is every error the API answers, whichever part's shape it came in,
// and the errors the SDK raises before sending. Use errors.As to get it and
// errors.Is with the sentinels above to classify it.
type Error struct {
	StatusCode int           // HTTP status (for a 2xx body reporting failure, the status its code stands for); 0 when raised by the SDK
	Code       string        // "NOT_FOUND", "Bad Request", "invalid_params", …
	Message    string        // human-readable message
	Details    string        // Spark "details" and similar
	Param      string        // the parameter at fault, when known
	RequestID  string        // X-Request-Id (or Request-Id) of the response
	RetryAfter time.Duration // from Retry-After on 429/503, at most MaxRetryAfter
	Method     string        // request method
	Path       string        // request path, without query string
	// Operation is the operation of the call ("Customers.Get",
	// "Komoju.Customers.List"; see CallInfo.Operation), for an error of a
	// call the executor ran; empty for parameters a method refused first.
	Operation string
	Body      []byte // the raw response body, at most 4 KiB
	// Accepted is true for a bad_response answer (2xx) to a POST, PUT,
	// PATCH or DELETE: the server took the request, whatever its body says.
	Accepted bool

	cause error
}

// Error formats the error without the body or any credential.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ghost: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d ", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Param != "" {
		fmt.Fprintf(&b, " (param %s)", e.Param)
	}
	if e.Details != "" {
		fmt.Fprintf(&b, " (%s)", e.Details)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

// Is matches the package's sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
			e.Code == CodeMissingCredentials
	case ErrValidation:
		switch e.StatusCode {
		case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
			return true
		}
		return e.StatusCode == 0 && e.Code == CodeInvalidParams
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests || e.Code == CodeClientRateLimited
	case ErrUnavailable:
		switch e.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	case ErrResponseTooLarge:
		return e.Code == CodeResponseTooLarge
	case ErrDecode:
		return e.Code == CodeBadResponse
	}
	return false
}

// Unwrap returns the underlying cause, if any: for example
// context.DeadlineExceeded when the call's context ended while waiting to
// retry after this answer, or the limiter's refusal.
func (e *Error) Unwrap() error { return e.cause }

// Temporary reports whether trying again later may succeed: rate limits,
// unavailability and server errors.
func (e *Error) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// invalidParams is the error for a call refused before sending.
func invalidParams(param, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParams, Param: param, Message: fmt.Sprintf(format, args...)}
}

// newAPIError builds the Error of a response, recognising every documented
// error shape; a body of no known shape (a proxy's HTML page) still gives an
// Error with the status text as its message.
func newAPIError(method, path string, resp *http.Response, body []byte, now time.Time) *Error {
	eb := wire.ParseError(body)
	e := &Error{
		StatusCode: resp.StatusCode,
		Code:       eb.Code,
		Message:    eb.Message,
		Details:    eb.Details,
		Param:      eb.Param,
		RequestID:  requestID(resp.Header),
		Method:     method,
		Path:       path,
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
		if e.Message == "" {
			e.Message = "unexpected status"
		}
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e.Body = append([]byte(nil), body...)
	return e
}

func requestID(h http.Header) string {
	if v := h.Get("X-Request-Id"); v != "" {
		return v
	}
	return h.Get("Request-Id")
}
