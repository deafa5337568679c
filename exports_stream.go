package ghost

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// ExportedOrder is an order as an ORDERS export file holds it. Money is in
// cents.
type ExportedOrder struct {
	ID           ID        `json:"id"`
	Currency     string    `json:"currency,omitempty"`
	Total        int64     `json:"total"`
	State        string    `json:"state,omitempty"`        // e.g. "locked", "open"
	PaymentState string    `json:"paymentState,omitempty"` // e.g. "PAID"
	Title        string    `json:"title,omitempty"`
	Note         string    `json:"note,omitempty"`
	MerchantID   ID        `json:"-"`
	CreatedTime  time.Time `json:"createdTime"`
	ModifiedTime time.Time `json:"modifiedTime"`
}

// UnmarshalJSON decodes an exported order; times are epoch milliseconds
// (decoded as tolerantly as Export's).
func (o *ExportedOrder) UnmarshalJSON(b []byte) error {
	type plain ExportedOrder
	aux := struct {
		*plain
		CreatedTime  epochMillis `json:"createdTime"`
		ModifiedTime epochMillis `json:"modifiedTime"`
		Merchant     *ref        `json:"merchant"`
	}{plain: (*plain)(o)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	o.CreatedTime, o.ModifiedTime = aux.CreatedTime.Time, aux.ModifiedTime.Time
	if aux.Merchant != nil {
		o.MerchantID = aux.Merchant.ID
	}
	return nil
}

// ExportedPayment is a payment as a PAYMENTS export file holds it. Money is
// in cents.
type ExportedPayment struct {
	ID           ID        `json:"id"`
	OrderID      ID        `json:"-"`
	Currency     string    `json:"currency,omitempty"`
	Amount       int64     `json:"amount"`
	TipAmount    int64     `json:"tipAmount,omitempty"`
	TaxAmount    int64     `json:"taxAmount,omitempty"`
	Result       string    `json:"result,omitempty"` // e.g. "SUCCESS", "FAIL"
	CreatedTime  time.Time `json:"createdTime"`
	ModifiedTime time.Time `json:"modifiedTime"`
}

// UnmarshalJSON decodes an exported payment; times are epoch milliseconds,
// the order is {"order": {"id": …}}.
func (p *ExportedPayment) UnmarshalJSON(b []byte) error {
	type plain ExportedPayment
	aux := struct {
		*plain
		CreatedTime  epochMillis `json:"createdTime"`
		ModifiedTime epochMillis `json:"modifiedTime"`
		Order        *ref        `json:"order"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	p.CreatedTime, p.ModifiedTime = aux.CreatedTime.Time, aux.ModifiedTime.Time
	if aux.Order != nil {
		p.OrderID = aux.Order.ID
	}
	return nil
}

// DefaultMaxExportObjectBytes bounds one object of an export file unless
// WithMaxExportObjectBytes says otherwise.
const DefaultMaxExportObjectBytes = 4 << 20

// WithMaxExportObjectBytes bounds the bytes of one object (one element of
// its file) an export stream decodes (default DefaultMaxExportObjectBytes).
// A larger object ends the stream with an error matching
// ErrResponseTooLarge, whatever the file's total size: files are streamed,
// so only one object at a time is held in memory.
func WithMaxExportObjectBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("ghost: max export object bytes must be positive")
		}
		c.maxObject = n
		return nil
	}
}

// Objects streams the objects of a DONE export as raw JSON, file after file
// in the order of ExportURLs. Each file ({"elements": […]} or a bare array)
// is decoded while it downloads, so memory stays flat however many files
// there are. Files are fetched without the API's credentials (their URLs
// are pre-signed and may be on another host).
//
// An export past AvailableUntil, or whose file answers 410 (or 403/404 once
// AvailableUntil has passed), yields an error matching ErrExportExpired.
// The first error ends the sequence.
//
// The caller may take as long as it likes over each object: a file's
// download is not bounded by the per-attempt timeout (WithTimeout) but by an
// idle timeout of the same length, the longest the SDK waits for bytes that
// do not come (for the response headers, then for each read of the body).
// One object may hold at most WithMaxExportObjectBytes bytes.
func (s *ExportsService) Objects(ctx context.Context, e *Export) iter.Seq2[json.RawMessage, error] {
	return ExportObjects[json.RawMessage](ctx, s, e)
}

// Orders streams the orders of a DONE ORDERS export; see Objects.
func (s *ExportsService) Orders(ctx context.Context, e *Export) iter.Seq2[ExportedOrder, error] {
	return ExportObjects[ExportedOrder](ctx, s, e)
}

// Payments streams the payments of a DONE PAYMENTS export; see Objects.
func (s *ExportsService) Payments(ctx context.Context, e *Export) iter.Seq2[ExportedPayment, error] {
	return ExportObjects[ExportedPayment](ctx, s, e)
}

// ExportObjects streams the objects of a DONE export decoded as T (for
// example ExportedOrder, ExportedPayment, json.RawMessage or a caller's own
// type); see ExportsService.Objects.
func ExportObjects[T any](ctx context.Context, s *ExportsService, e *Export) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := s.checkDownloadable(e); err != nil {
			yield(zero, err)
			return
		}
		for i, f := range e.ExportURLs {
			if err := ctx.Err(); err != nil {
				yield(zero, fmt.Errorf("ghost: export %s: %w", e.ID, err))
				return
			}
			if !streamFile(ctx, s, e, i, f, yield) {
				return
			}
		}
	}
}

func (s *ExportsService) checkDownloadable(e *Export) error {
	if e == nil {
		return invalidParams("export", "export is nil")
	}
	if e.Status != ExportStatusDone {
		return invalidParams("export", "export %s is %s, not DONE: wait for it first", e.ID, e.Status)
	}
	if !e.AvailableUntil.IsZero() && s.client.cfg.now().After(e.AvailableUntil) {
		return fmt.Errorf("ghost: export %s: files were available until %s: %w",
			e.ID, e.AvailableUntil.UTC().Format(time.RFC3339), ErrExportExpired)
	}
	return nil
}

// streamFile yields the objects of file i; it reports whether to go on.
func streamFile[T any](ctx context.Context, s *ExportsService, e *Export, i int, f ExportURL, yield func(T, error) bool) bool {
	var zero T
	fail := func(err error) bool {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		yield(zero, fmt.Errorf("ghost: export %s file %d of %d: %w", e.ID, i+1, len(e.ExportURLs), err))
		return false
	}
	u, err := url.Parse(f.URL)
	if err != nil {
		return fail(&Error{Code: CodeBadResponse, Message: "export file URL does not parse"})
	}
	r := &request{method: http.MethodGet, url: u, auth: authNone, stream: true}
	if _, err := (*service)(s).do(ctx, r, nil, nil); err != nil {
		var ge *Error
		if errors.As(err, &ge) && s.expiredStatus(e, ge.StatusCode) {
			return fail(fmt.Errorf("%w: the file answered %d (%w)", ErrExportExpired, ge.StatusCode, err))
		}
		return fail(err)
	}
	body := &trackReader{r: r.streamBody, max: s.maxObject()}
	defer r.streamBody.Close()
	cont, err := decodeElements(json.NewDecoder(body), body, yield)
	if err != nil {
		return fail(err)
	}
	return cont
}

// maxObject is the largest export object the client decodes.
func (s *ExportsService) maxObject() int64 {
	return cmp.Or(s.client.cfg.maxObject, DefaultMaxExportObjectBytes)
}

// expiredStatus reports whether a file answering status means the export has
// expired: 410 always; 403 and 404 (what object stores answer for a deleted
// file or a lapsed signature) once AvailableUntil has passed.
func (s *ExportsService) expiredStatus(e *Export, status int) bool {
	switch status {
	case http.StatusGone:
		return true
	case http.StatusForbidden, http.StatusNotFound:
		return !e.AvailableUntil.IsZero() && !s.client.cfg.now().Before(e.AvailableUntil)
	}
	return false
}

// decodeElements reads {"elements": […]} (other keys skipped) or a bare
// array from dec, decoding and yielding one element at a time. It reports
// whether the caller wants more.
func decodeElements[T any](dec *json.Decoder, src *trackReader, yield func(T, error) bool) (bool, error) {
	readErr := src.classify
	src.allow(dec)
	tok, err := dec.Token()
	if err != nil {
		return false, readErr(err)
	}
	switch tok {
	case json.Delim('['):
		return decodeArray(dec, src, yield)
	case json.Delim('{'):
	default:
		return false, &Error{Code: CodeBadResponse, Message: "export file is not a JSON object or array"}
	}
	seen := false
	for src.allow(dec) && dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false, readErr(err)
		}
		src.allow(dec)
		if key != "elements" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return false, readErr(err)
			}
			continue
		}
		seen = true
		tok, err := dec.Token()
		if err != nil {
			return false, readErr(err)
		}
		if tok == nil { // "elements": null
			continue
		}
		if tok != json.Delim('[') {
			return false, &Error{Code: CodeBadResponse, Message: "export file's elements is not an array"}
		}
		if cont, err := decodeArray(dec, src, yield); !cont || err != nil {
			return cont, err
		}
	}
	if !seen {
		return false, &Error{Code: CodeBadResponse, Message: `export file has no "elements"`}
	}
	return true, nil
}

// decodeArray decodes the elements of an array whose '[' has been read,
// and its closing ']'.
func decodeArray[T any](dec *json.Decoder, src *trackReader, yield func(T, error) bool) (bool, error) {
	for n := 0; src.allow(dec) && dec.More(); n++ {
		src.allow(dec)
		var v T
		if err := dec.Decode(&v); err != nil {
			if src.err == nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				return false, &Error{Code: CodeBadResponse, Message: fmt.Sprintf("export file element %d: %v", n, err)}
			}
			return false, src.classify(err)
		}
		if !yield(v, nil) {
			return false, nil
		}
	}
	src.allow(dec)
	if _, err := dec.Token(); err != nil {
		return false, src.classify(err)
	}
	return true, nil
}

// trackReader remembers the error of the body it reads (other than EOF), so
// a failed read (connection cut, context ended) is told apart from a body
// that does not decode.
//
// It also bounds one object: allow lets the decoder read at most max bytes
// (plus a little room for separators) past its current offset, so an
// object larger than max fails instead of filling the decoder's buffer.
type trackReader struct {
	r     io.Reader
	err   error
	n     int64 // bytes read
	max   int64 // largest object; 0: unbounded
	limit int64 // read no further than this offset
}

// objectSlack is the room allow leaves beyond max for whitespace and
// separators between objects.
const objectSlack = 4 << 10

// allow lets dec read one more value of at most max bytes; it returns true
// to be usable in a loop condition.
func (t *trackReader) allow(dec *json.Decoder) bool {
	if t.max > 0 {
		t.limit = dec.InputOffset() + t.max + objectSlack
	}
	return true
}

func (t *trackReader) Read(p []byte) (int, error) {
	if t.max > 0 {
		room := t.limit - t.n
		if room <= 0 {
			if t.err == nil {
				t.err = &Error{Code: CodeResponseTooLarge,
					Message: fmt.Sprintf("an object of the export file exceeds %d bytes (see WithMaxExportObjectBytes)", t.max)}
			}
			return 0, t.err
		}
		if int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := t.r.Read(p)
	t.n += int64(n)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// classify turns a decoding error into the error to report: the read error
// when reading failed, "unexpected EOF" for a body that stops short, and a
// bad_response *Error for one that is not valid JSON.
func (t *trackReader) classify(err error) error {
	switch {
	case t.err != nil:
		return fmt.Errorf("reading export file: %w", t.err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("reading export file: %w", io.ErrUnexpectedEOF)
	}
	return &Error{Code: CodeBadResponse, Message: "export file: " + err.Error()}
}
