package ghost

import (
	"time"

	"github.com/ghostanalytics/ghost-go/internal/wire"
)

// Hand-written decoders for the models on the hottest paths (a Ghost
// customer or order, one or a page of them). encoding/json spends most of a
// list call in reflection; these read the same bytes directly. They are
// strict: any body they are not sure to decode exactly as encoding/json
// would (an escaped key, a key differing only in case, a duplicate, a
// number with a fraction, invalid JSON …) makes them fail, and the caller
// decodes with encoding/json instead. FuzzFastDecode checks that whatever
// they accept, encoding/json accepts and decodes to the same value.
//
// The models have no UnmarshalJSON: a user decoding them with encoding/json
// (a webhook) gets the plain struct decoding.

// fastDecoder is a model with a hand-written decoder; decodeFast reads one
// value into a zero receiver and reports whether it could.
type fastDecoder interface {
	decodeFast(l *wire.Lexer) bool
}

// decodeDocFast decodes {"doc": {…}} into v (zero) when T has a hand-written
// decoder and the body is one it can read.
func decodeDocFast[T any](data []byte, v *T) bool {
	fd, ok := any(v).(fastDecoder)
	if !ok {
		return false
	}
	l := wire.NewLexer(data)
	return envelopeFast(l, "doc", func() bool { return !l.Null() && fd.decodeFast(l) })
}

// decodeDocsFast decodes {"docs": […]} when T has a hand-written decoder and
// the body is one it can read; the slice is allocated once, at its size.
func decodeDocsFast[T any](data []byte) ([]T, bool) {
	if _, ok := any(new(T)).(fastDecoder); !ok {
		return nil, false
	}
	var items []T
	l := wire.NewLexer(data)
	l.CacheStrings()
	ok := envelopeFast(l, "docs", func() bool {
		if l.Null() {
			return false
		}
		var ok bool
		items, ok = sliceFast[T](l)
		return ok
	})
	return items, ok
}

// sliceFast reads an array of T (a fastDecoder) into a slice of its exact
// size; null elements stay zero, as encoding/json leaves them.
func sliceFast[T any](l *wire.Lexer) ([]T, bool) {
	n, ok := l.Count()
	if !ok || !l.Byte('[') {
		return nil, false
	}
	items := make([]T, n)
	for i := range items {
		if i > 0 && !l.Byte(',') {
			return nil, false
		}
		if !l.Null() && !any(&items[i]).(fastDecoder).decodeFast(l) {
			return nil, false
		}
	}
	return items, l.Byte(']')
}

// envelopeFast reads an object whose key holds the payload (read by val);
// other keys are skipped, as encoding/json skips them for a struct with the
// one field. A missing payload, a duplicate key or one differing only in
// case fails.
func envelopeFast(l *wire.Lexer, key string, val func() bool) bool {
	found := false
	return l.Object(func(k []byte) bool {
		switch {
		case string(k) == key:
			if found {
				return false
			}
			found = true
			return val()
		case wire.Folds(k, key):
			return false
		}
		return l.Skip()
	}) && found && l.End()
}

// fields tracks which fields an object has set, to refuse duplicates.
type fields uint32

// first marks field i and reports whether it was not seen before.
func (f *fields) first(i int) bool {
	if *f&(1<<i) != 0 {
		return false
	}
	*f |= 1 << i
	return true
}

// The readers below leave the field as it is (zero) on null, as
// encoding/json does for these types.

func fastString[S ~string](l *wire.Lexer, p *S) bool {
	if l.Null() {
		return true
	}
	s, ok := l.String()
	*p = S(s)
	return ok
}

func fastInt64(l *wire.Lexer, p *int64) bool {
	if l.Null() {
		return true
	}
	n, ok := l.Int64()
	*p = n
	return ok
}

// fastID reads an id as ID.UnmarshalJSON does; a string id is read as
// String reads it (the same value, from the string cache when it is on).
func fastID(l *wire.Lexer, p *ID) bool {
	if c, ok := l.Peek(); ok && c == '"' {
		s, ok := l.String()
		*p = ID(s)
		return ok
	}
	raw, ok := l.Raw()
	return ok && p.UnmarshalJSON(raw) == nil
}

func fastTime(l *wire.Lexer, p *time.Time) bool {
	raw, ok := l.Raw()
	return ok && p.UnmarshalJSON(raw) == nil
}

func fastStringMap(l *wire.Lexer, p *map[string]string) bool {
	if l.Null() {
		return true
	}
	m := make(map[string]string)
	ok := l.Object(func(k []byte) bool {
		if l.Null() {
			return false // encoding/json stores ""; leave it to it
		}
		v, ok := l.String()
		m[string(k)] = v
		return ok
	})
	*p = m
	return ok
}

var orderNames = []string{"id", "amount", "customerId", "cardId", "gatId", "referrer", "status", "orderItems", "createdAt", "updatedAt"}

func (o *Order) decodeFast(l *wire.Lexer) bool {
	var seen fields
	return l.Object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return seen.first(0) && fastID(l, &o.ID)
		case "amount":
			return seen.first(1) && fastInt64(l, &o.Amount)
		case "customerId":
			return seen.first(2) && fastID(l, &o.CustomerID)
		case "cardId":
			return seen.first(3) && fastID(l, &o.CardID)
		case "gatId":
			return seen.first(4) && fastString(l, &o.GatID)
		case "referrer":
			return seen.first(5) && fastString(l, &o.Referrer)
		case "status":
			return seen.first(6) && fastString(l, &o.Status)
		case "orderItems":
			if !seen.first(7) {
				return false
			}
			if l.Null() {
				return true
			}
			var ok bool
			o.OrderItems, ok = sliceFast[OrderItem](l)
			return ok
		case "createdAt":
			return seen.first(8) && fastTime(l, &o.CreatedAt)
		case "updatedAt":
			return seen.first(9) && fastTime(l, &o.UpdatedAt)
		}
		return !wire.Folds(k, orderNames...) && l.Skip()
	})
}

var orderItemNames = []string{"amount", "type", "identityId", "description"}

func (it *OrderItem) decodeFast(l *wire.Lexer) bool {
	var seen fields
	return l.Object(func(k []byte) bool {
		switch string(k) {
		case "amount":
			return seen.first(0) && fastInt64(l, &it.Amount)
		case "type":
			return seen.first(1) && fastString(l, &it.Type)
		case "identityId":
			return seen.first(2) && fastID(l, &it.IdentityID)
		case "description":
			return seen.first(3) && fastString(l, &it.Description)
		}
		return !wire.Folds(k, orderItemNames...) && l.Skip()
	})
}

var customerNames = []string{"id", "email", "description", "metadata", "createdAt", "updatedAt"}

func (c *Customer) decodeFast(l *wire.Lexer) bool {
	var seen fields
	return l.Object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return seen.first(0) && fastID(l, &c.ID)
		case "email":
			return seen.first(1) && fastString(l, &c.Email)
		case "description":
			return seen.first(2) && fastString(l, &c.Description)
		case "metadata":
			return seen.first(3) && fastStringMap(l, &c.Metadata)
		case "createdAt":
			return seen.first(4) && fastTime(l, &c.CreatedAt)
		case "updatedAt":
			return seen.first(5) && fastTime(l, &c.UpdatedAt)
		}
		return !wire.Folds(k, customerNames...) && l.Skip()
	})
}

// exportDecoder returns the hand-written decoder of T for export files, or
// nil when T has none (the file reader then decodes with encoding/json).
func exportDecoder[T any]() func(*wire.Lexer, *T) bool {
	if _, ok := any((*T)(nil)).(fastDecoder); !ok {
		return nil
	}
	return func(l *wire.Lexer, v *T) bool { return any(v).(fastDecoder).decodeFast(l) }
}

func fastBool(l *wire.Lexer, p *bool) bool {
	if l.Null() {
		return true
	}
	v, ok := l.Bool()
	*p = v
	return ok
}

// fastEpoch reads a time as epochMillis decodes it: a plain integer
// directly, anything else through parseEpochMillis itself.
func fastEpoch(l *wire.Lexer, p *time.Time) bool {
	raw, ok := l.Raw()
	if !ok {
		return false
	}
	if ms, ok := plainMillis(raw); ok {
		if ms > 0 {
			*p = time.UnixMilli(ms).UTC()
		}
		return true
	}
	t, err := parseEpochMillis(raw)
	*p = t
	return err == nil
}

// plainMillis parses raw when it is -?[0-9]{1,18} (it cannot overflow).
func plainMillis(raw []byte) (int64, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	if len(raw) == 0 || len(raw) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// fastRef reads {"id": …} into *id as a *ref field decodes it: null leaves
// it as it is.
func fastRef(l *wire.Lexer, id *ID) bool {
	if l.Null() {
		return true
	}
	var seen fields
	return l.Object(func(k []byte) bool {
		switch {
		case string(k) == "id":
			return seen.first(0) && fastID(l, id)
		case wire.Folds(k, "id"):
			return false
		}
		return l.Skip()
	})
}

// fastExportList reads a list inside an exported object as exportList
// decodes it: null, {"elements": […]} (other keys skipped) or a bare array.
func fastExportList[T any](l *wire.Lexer, p *[]T) bool {
	if l.Null() {
		return true
	}
	if c, ok := l.Peek(); ok && c == '[' {
		items, ok := sliceFast[T](l)
		*p = items
		return ok
	}
	var seen fields
	return l.Object(func(k []byte) bool {
		switch {
		case string(k) == "elements":
			if !seen.first(0) {
				return false
			}
			if l.Null() {
				*p = nil
				return true
			}
			items, ok := sliceFast[T](l)
			*p = items
			return ok
		case wire.Folds(k, "elements"):
			return false
		}
		return l.Skip()
	})
}

var exportedOrderNames = []string{"id", "currency", "total", "state", "paymentState", "title", "note",
	"createdTime", "modifiedTime", "merchant", "lineItems", "payments"}

func (o *ExportedOrder) decodeFast(l *wire.Lexer) bool {
	var seen fields
	return l.Object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return seen.first(0) && fastID(l, &o.ID)
		case "currency":
			return seen.first(1) && fastString(l, &o.Currency)
		case "total":
			return seen.first(2) && fastInt64(l, &o.Total)
		case "state":
			return seen.first(3) && fastString(l, &o.State)
		case "paymentState":
			return seen.first(4) && fastString(l, &o.PaymentState)
		case "title":
			return seen.first(5) && fastString(l, &o.Title)
		case "note":
			return seen.first(6) && fastString(l, &o.Note)
		case "createdTime":
			return seen.first(7) && fastEpoch(l, &o.CreatedTime)
		case "modifiedTime":
			return seen.first(8) && fastEpoch(l, &o.ModifiedTime)
		case "merchant":
			return seen.first(9) && fastRef(l, &o.MerchantID)
		case "lineItems":
			return seen.first(10) && fastExportList(l, &o.LineItems)
		case "payments":
			return seen.first(11) && fastExportList(l, &o.Payments)
		}
		return !wire.Folds(k, exportedOrderNames...) && l.Skip()
	})
}

var exportedLineItemNames = []string{"id", "item", "name", "itemCode", "price", "unitQty", "note", "refunded"}

func (it *ExportedLineItem) decodeFast(l *wire.Lexer) bool {
	var seen fields
	return l.Object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return seen.first(0) && fastID(l, &it.ID)
		case "item":
			return seen.first(1) && fastRef(l, &it.ItemID)
		case "name":
			return seen.first(2) && fastString(l, &it.Name)
		case "itemCode":
			return seen.first(3) && fastString(l, &it.ItemCode)
		case "price":
			return seen.first(4) && fastInt64(l, &it.Price)
		case "unitQty":
			return seen.first(5) && fastInt64(l, &it.UnitQty)
		case "note":
			return seen.first(6) && fastString(l, &it.Note)
		case "refunded":
			return seen.first(7) && fastBool(l, &it.Refunded)
		}
		return !wire.Folds(k, exportedLineItemNames...) && l.Skip()
	})
}

var exportedPaymentNames = []string{"id", "order", "currency", "amount", "tipAmount", "taxAmount", "result",
	"createdTime", "modifiedTime"}

func (p *ExportedPayment) decodeFast(l *wire.Lexer) bool {
	var seen fields
	return l.Object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return seen.first(0) && fastID(l, &p.ID)
		case "order":
			return seen.first(1) && fastRef(l, &p.OrderID)
		case "currency":
			return seen.first(2) && fastString(l, &p.Currency)
		case "amount":
			return seen.first(3) && fastInt64(l, &p.Amount)
		case "tipAmount":
			return seen.first(4) && fastInt64(l, &p.TipAmount)
		case "taxAmount":
			return seen.first(5) && fastInt64(l, &p.TaxAmount)
		case "result":
			return seen.first(6) && fastString(l, &p.Result)
		case "createdTime":
			return seen.first(7) && fastEpoch(l, &p.CreatedTime)
		case "modifiedTime":
			return seen.first(8) && fastEpoch(l, &p.ModifiedTime)
		}
		return !wire.Folds(k, exportedPaymentNames...) && l.Skip()
	})
}
