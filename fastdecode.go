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

func fastID(l *wire.Lexer, p *ID) bool {
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
