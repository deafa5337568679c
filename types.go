package ghost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
)

// ID identifies an object. The API writes ids both as strings
// ("cus_somecustomerid") and as integers (1); ID accepts either when decoding
// and keeps the text. It encodes as a JSON number when it is a canonical
// decimal integer (as the Ghost and Spark examples send them) and as a string
// otherwise.
type ID string

// IntID returns the ID of an integer id.
func IntID(n int64) ID { return ID(strconv.FormatInt(n, 10)) }

// String returns the id's text.
func (id ID) String() string { return string(id) }

// Int returns the id as an integer, when it is one.
func (id ID) Int() (int64, bool) {
	if !isCanonicalInt(string(id)) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(id), 10, 64)
	return n, err == nil
}

// MarshalJSON implements json.Marshaler.
func (id ID) MarshalJSON() ([]byte, error) {
	if _, ok := id.Int(); ok {
		return []byte(id), nil
	}
	if plainHTMLSafe(string(id)) {
		// What json.Marshal writes for such a string, in one allocation.
		b := make([]byte, 0, len(id)+2)
		b = append(b, '"')
		b = append(b, id...)
		return append(b, '"'), nil
	}
	return json.Marshal(string(id))
}

// UnmarshalJSON implements json.Unmarshaler: a string or an integer.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("ghost: empty id")
	case b[0] == '"':
		// Most ids are plain ASCII strings: take them without a decoder.
		if len(b) >= 2 && b[len(b)-1] == '"' && plainString(b[1:len(b)-1]) {
			*id = ID(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	case string(b) == "null":
		*id = ""
		return nil
	}
	if isCanonicalInt(string(b)) {
		*id = ID(b)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("ghost: id must be a string or an integer, got %.20s", b)
	}
	if _, err := n.Int64(); err != nil {
		return fmt.Errorf("ghost: id must be a string or an integer, got %s", n)
	}
	*id = ID(n.String())
	return nil
}

// plainString reports whether b, the inside of a JSON string, needs no
// unescaping: printable ASCII without quote or backslash.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainHTMLSafe reports whether json.Marshal writes s as it is between
// quotes: printable ASCII without quote, backslash or the characters it
// escapes for HTML (<, >, &).
func plainHTMLSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

func isCanonicalInt(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	if s == "0" {
		return true
	}
	if s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Opt is an optional value: it tells "not set" from the zero value, and is
// left out of request bodies (with the omitzero tag) when not set.
type Opt[T any] struct {
	v  T
	ok bool
}

// Some returns a set Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{v: v, ok: true} }

// Get returns the value and whether it is set.
func (o Opt[T]) Get() (T, bool) { return o.v, o.ok }

// Or returns the value, or def when it is not set.
func (o Opt[T]) Or(def T) T {
	if o.ok {
		return o.v
	}
	return def
}

// IsSet reports whether the value is set.
func (o Opt[T]) IsSet() bool { return o.ok }

// IsZero reports whether the value is unset; encoding/json's omitzero uses it.
func (o Opt[T]) IsZero() bool { return !o.ok }

// String formats the value, or "unset".
func (o Opt[T]) String() string {
	if !o.ok {
		return "unset"
	}
	return fmt.Sprint(o.v)
}

// GoString formats %#v as ghost.Some(%#v of the value), or ghost.Opt{}
// when unset, so a value's own GoString (which may redact it) is used.
func (o Opt[T]) GoString() string {
	if !o.ok {
		return "ghost.Opt{}"
	}
	return fmt.Sprintf("ghost.Some(%#v)", o.v)
}

// LogValue logs the value (through its own LogValue, when it has one), or
// "unset".
func (o Opt[T]) LogValue() slog.Value {
	if !o.ok {
		return slog.StringValue("unset")
	}
	return slog.AnyValue(o.v)
}

// MarshalJSON implements json.Marshaler: the value, or null when unset.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.ok {
		return []byte("null"), nil
	}
	return json.Marshal(o.v)
}

// UnmarshalJSON implements json.Unmarshaler: null leaves it unset.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*o = Opt[T]{}
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Opt[T]{v: v, ok: true}
	return nil
}
