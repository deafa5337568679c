package ghost

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
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
	// LineItems and Payments are the order's line items and payments when
	// the file holds them ({"elements": […]} or a bare array; nil when
	// absent).
	LineItems []ExportedLineItem `json:"lineItems,omitempty"`
	Payments  []ExportedPayment  `json:"payments,omitempty"`
}

// UnmarshalJSON decodes an exported order; times are epoch milliseconds
// (decoded as tolerantly as Export's).
func (o *ExportedOrder) UnmarshalJSON(b []byte) error {
	type plain ExportedOrder
	aux := struct {
		*plain
		CreatedTime  epochMillis                   `json:"createdTime"`
		ModifiedTime epochMillis                   `json:"modifiedTime"`
		Merchant     *ref                          `json:"merchant"`
		LineItems    *exportList[ExportedLineItem] `json:"lineItems"`
		Payments     *exportList[ExportedPayment]  `json:"payments"`
	}{plain: (*plain)(o)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	o.CreatedTime, o.ModifiedTime = aux.CreatedTime.Time, aux.ModifiedTime.Time
	if aux.Merchant != nil {
		o.MerchantID = aux.Merchant.ID
	}
	if aux.LineItems != nil {
		o.LineItems = aux.LineItems.Elements
	}
	if aux.Payments != nil {
		o.Payments = aux.Payments.Elements
	}
	return nil
}

// ExportedLineItem is a line item of an exported order. Money is in cents.
type ExportedLineItem struct {
	ID       ID     `json:"id"`
	ItemID   ID     `json:"-"` // the inventory item, {"item": {"id": …}}
	Name     string `json:"name,omitempty"`
	ItemCode string `json:"itemCode,omitempty"`
	Price    int64  `json:"price"`
	// UnitQty is the quantity sold by unit, in thousandths (1500 is 1.5
	// units); 0 for an item sold whole.
	UnitQty  int64  `json:"unitQty,omitempty"`
	Note     string `json:"note,omitempty"`
	Refunded bool   `json:"refunded,omitempty"`
}

// UnmarshalJSON decodes an exported line item; the inventory item is
// {"item": {"id": …}}.
func (it *ExportedLineItem) UnmarshalJSON(b []byte) error {
	type plain ExportedLineItem
	aux := struct {
		*plain
		Item *ref `json:"item"`
	}{plain: (*plain)(it)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if aux.Item != nil {
		it.ItemID = aux.Item.ID
	}
	return nil
}

// exportList is a list inside an exported object: {"elements": […]}, or a
// bare array.
type exportList[T any] struct {
	Elements []T `json:"elements"`
}

func (l *exportList[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &l.Elements)
	}
	type plain exportList[T]
	return json.Unmarshal(b, (*plain)(l))
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
// in the order of ExportURLs (each file read with File). Each file
// ({"elements": […]} or a bare array) is decoded while it downloads, so
// memory stays flat however many files there are. Files are fetched without
// the API's credentials (their URLs are pre-signed and may be on another
// host).
//
// An export past AvailableUntil, or whose file answers 410 (or 403/404 once
// AvailableUntil has passed), yields an error matching ErrExportExpired.
// The first error ends the sequence.
//
// The caller may take as long as it likes over each object: a file's
// download is not bounded by the per-attempt timeout (WithTimeout) but by an
// idle timeout of the same length, the longest the SDK waits for bytes that
// do not come (for the response headers, then for each read of the body).
// One object may hold at most WithMaxExportObjectBytes bytes, one file at
// most MaxExportFileObjects objects; a download cut midway is resumed (see
// File).
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
		for i := range e.ExportURLs {
			if err := ctx.Err(); err != nil {
				yield(zero, fmt.Errorf("ghost: export %s: %w", e.ID, err))
				return
			}
			for v, err := range ExportFileObjects[T](ctx, s, e, i) {
				if !yield(v, err) || err != nil {
					return
				}
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
