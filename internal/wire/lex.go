package wire

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Lexer reads a JSON document for the hand-written decoders of the hottest
// models (a Ghost order or customer page). It is deliberately narrow: it
// reads only what encoding/json would decode without error, and reports
// anything else — an escaped or non-ASCII object key, a number with a
// fraction, a duplicate, a syntax error — by failing, so the caller falls
// back to encoding/json and gets exactly its result. A decoder built on it
// therefore never accepts a body encoding/json refuses, and never decodes
// one differently; FuzzFastDecode checks both.
//
// Every method returns false once the lexer has failed.
type Lexer struct {
	data []byte
	pos  int
	strs *[64]string // recent short strings, when CacheStrings was called
	// short is set when a read reached the end of data: a value that failed
	// may only be cut short, and may read whole with more bytes.
	cut bool
}

// Reset makes the lexer read data from its start, keeping its string cache.
func (l *Lexer) Reset(data []byte) {
	l.data, l.pos, l.cut = data, 0, false
}

// Pos returns how many bytes of data the lexer has consumed.
func (l *Lexer) Pos() int { return l.pos }

// Short reports whether some read reached the end of data since the last
// Reset: a failure may then be the data ending early rather than invalid
// JSON (a streaming reader reads more and tries again).
func (l *Lexer) Short() bool { return l.cut }

// Peek returns the next byte after whitespace, without consuming it.
func (l *Lexer) Peek() (byte, bool) {
	l.ws()
	if l.pos >= len(l.data) {
		l.cut = true
		return 0, false
	}
	return l.data[l.pos], true
}

// CacheStrings makes String return the same string for equal short values
// (a status, an item type) instead of allocating each one: worth it for a
// page of many items, not for one.
func (l *Lexer) CacheStrings() {
	if l.strs == nil {
		l.strs = new([64]string)
	}
}

// short returns b as a string, from the cache when it holds it.
func (l *Lexer) short(b []byte) string {
	if l.strs == nil || len(b) == 0 || len(b) > 16 {
		return string(b)
	}
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &l.strs[h%uint32(len(l.strs))]
	if *slot == string(b) {
		return *slot
	}
	*slot = string(b)
	return *slot
}

// maxDepth bounds the nesting the skipper follows, as encoding/json bounds
// its own; deeper values make the lexer fail (and encoding/json, the
// fallback, decide).
const maxDepth = 10000

// NewLexer returns a lexer over data.
func NewLexer(data []byte) *Lexer { return &Lexer{data: data} }

func (l *Lexer) ws() {
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

// Byte consumes c (after whitespace) when it is next.
func (l *Lexer) Byte(c byte) bool {
	l.ws()
	if l.pos < len(l.data) && l.data[l.pos] == c {
		l.pos++
		return true
	}
	l.cut = l.cut || l.pos >= len(l.data)
	return false
}

// Null consumes a null literal when it is next.
func (l *Lexer) Null() bool {
	l.ws()
	return l.lit("null")
}

// End reports whether only whitespace is left.
func (l *Lexer) End() bool {
	l.ws()
	return l.pos == len(l.data)
}

// Key reads an object key and its colon. It fails on a key that is escaped
// or not plain ASCII: encoding/json folds such keys onto field names in ways
// only it should decide.
func (l *Lexer) Key() ([]byte, bool) {
	l.ws()
	if l.pos >= len(l.data) || l.data[l.pos] != '"' {
		l.cut = l.cut || l.pos >= len(l.data)
		return nil, false
	}
	start := l.pos + 1
	i := start
	for i < len(l.data) && plainKey[l.data[i]] {
		i++
	}
	switch {
	case i == len(l.data):
		l.cut = true
		return nil, false
	case l.data[i] != '"':
		return nil, false
	}
	l.pos = i + 1
	if !l.Byte(':') {
		return nil, false
	}
	return l.data[start:i], true
}

// plainKey holds the bytes a key may have for Key to take it: printable
// ASCII but the quote and the backslash.
var plainKey = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// String reads a string value. Plain ASCII strings are taken directly;
// anything with escapes or non-ASCII bytes is decoded by encoding/json, so
// escapes and invalid UTF-8 come out exactly as it makes them.
func (l *Lexer) String() (string, bool) {
	l.ws()
	if l.pos >= len(l.data) || l.data[l.pos] != '"' {
		l.cut = l.cut || l.pos >= len(l.data)
		return "", false
	}
	start := l.pos + 1
	for i := start; i < len(l.data); i++ {
		c := l.data[i]
		if c == '"' {
			l.pos = i + 1
			return l.short(l.data[start:i]), true
		}
		if c < 0x20 || c >= utf8.RuneSelf || c == '\\' {
			lit, ok := l.Raw()
			if !ok {
				return "", false
			}
			var s string
			if json.Unmarshal(lit, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	l.cut = true
	return "", false
}

// Int64 reads an integer that fits an int64; a fraction or an exponent
// fails, as encoding/json refuses them for an integer field.
func (l *Lexer) Int64() (int64, bool) {
	l.ws()
	start := l.pos
	if !l.number() {
		return 0, false
	}
	lit := l.data[start:l.pos]
	for _, c := range lit {
		if c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	return n, err == nil
}

// Bool reads true or false.
func (l *Lexer) Bool() (v, ok bool) {
	l.ws()
	if l.lit("true") {
		return true, true
	}
	if l.lit("false") {
		return false, true
	}
	if l.pos >= len(l.data) {
		l.cut = true
	}
	return false, false
}

// Raw reads one value of any kind, checked to be valid JSON, and returns its
// bytes.
func (l *Lexer) Raw() ([]byte, bool) {
	l.ws()
	start := l.pos
	if !l.skip(0) {
		return nil, false
	}
	return l.data[start:l.pos], true
}

// Skip reads past one value of any kind, checking it is valid JSON.
func (l *Lexer) Skip() bool {
	l.ws()
	return l.skip(0)
}

// Object reads an object, calling field with each key once the lexer is at
// its value; field reads the value and returns false to fail.
func (l *Lexer) Object(field func(key []byte) bool) bool {
	if !l.Byte('{') {
		return false
	}
	if l.Byte('}') {
		return true
	}
	for {
		k, ok := l.Key()
		if !ok || !field(k) {
			return false
		}
		if l.Byte(',') {
			continue
		}
		return l.Byte('}')
	}
}

// Count returns the number of elements of the array that follows, leaving
// the lexer where it was: a decoder sizes its slice once with it. It only
// counts the commas at the array's own level (skipping strings and nested
// values) and does not check the JSON: the count is exact for a valid
// array, and a decoder reading the elements strictly fails on an invalid
// one whatever the count said.
func (l *Lexer) Count() (int, bool) {
	l.ws()
	d := l.data
	if l.pos >= len(d) || d[l.pos] != '[' {
		l.cut = l.cut || l.pos >= len(d)
		return 0, false
	}
	i := l.pos + 1
	for i < len(d) && countClass[d[i]] == cSpace {
		i++
	}
	if i < len(d) && d[i] == ']' {
		return 0, true
	}
	depth, n := 0, 0
	for ; i < len(d); i++ {
		switch countClass[d[i]] {
		case cQuote:
			for i++; i < len(d) && d[i] != '"'; i++ {
				if d[i] == '\\' {
					i++
				}
			}
		case cOpen:
			depth++
		case cClose:
			if depth == 0 {
				return n + 1, true
			}
			depth--
		case cComma:
			if depth == 0 {
				n++
			}
		}
	}
	l.cut = true
	return 0, false
}

// The classes of bytes Count looks at; every other byte is skipped by one
// table load.
const (
	cOther uint8 = iota
	cSpace
	cQuote
	cOpen
	cClose
	cComma
)

var countClass = func() (t [256]uint8) {
	for _, c := range " \t\n\r" {
		t[c] = cSpace
	}
	t['"'], t['['], t['{'], t[']'], t['}'], t[','] = cQuote, cOpen, cOpen, cClose, cClose, cComma
	return t
}()

func (l *Lexer) skip(depth int) bool {
	if l.pos >= len(l.data) {
		l.cut = true
		return false
	}
	if depth > maxDepth {
		return false
	}
	switch c := l.data[l.pos]; {
	case c == '"':
		return l.str()
	case c == '{':
		l.pos++
		if l.Byte('}') {
			return true
		}
		for {
			l.ws()
			if !l.str() || !l.Byte(':') {
				return false
			}
			l.ws()
			if !l.skip(depth + 1) {
				return false
			}
			if l.Byte(',') {
				continue
			}
			return l.Byte('}')
		}
	case c == '[':
		l.pos++
		if l.Byte(']') {
			return true
		}
		for {
			l.ws()
			if !l.skip(depth + 1) {
				return false
			}
			if l.Byte(',') {
				continue
			}
			return l.Byte(']')
		}
	case c == 't':
		return l.lit("true")
	case c == 'f':
		return l.lit("false")
	case c == 'n':
		return l.lit("null")
	default:
		return l.number()
	}
}

func (l *Lexer) lit(s string) bool {
	if len(l.data)-l.pos >= len(s) && string(l.data[l.pos:l.pos+len(s)]) == s {
		l.pos += len(s)
		return true
	}
	if rest := l.data[l.pos:]; len(rest) < len(s) && string(rest) == s[:len(rest)] {
		l.cut = true // a prefix of s, then the end
	}
	return false
}

// str reads past a string, checking its escapes (encoding/json accepts
// invalid UTF-8 in strings, replacing it, so bytes ≥ 0x80 are let through).
func (l *Lexer) str() bool {
	if l.pos >= len(l.data) || l.data[l.pos] != '"' {
		l.cut = l.cut || l.pos >= len(l.data)
		return false
	}
	for i := l.pos + 1; i < len(l.data); i++ {
		switch c := l.data[i]; {
		case c == '"':
			l.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(l.data) {
				l.cut = true
				return false
			}
			switch l.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(l.data) {
					l.cut = true
					return false
				}
				for _, h := range l.data[i+1 : i+5] {
					if !isHex(h) {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	l.cut = true
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads past a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// A number running to the end of data marks the lexer cut: more digits
// may follow.
func (l *Lexer) number() bool {
	d, i := l.data, l.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	default:
		return l.numberEnd(i, false)
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return l.numberEnd(i, false)
		}
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return l.numberEnd(i, false)
		}
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	}
	l.pos = i
	return l.numberEnd(i, true)
}

// numberEnd notes a number that reached the end of data at i, and returns ok.
func (l *Lexer) numberEnd(i int, ok bool) bool {
	if i >= len(l.data) {
		l.cut = true
	}
	return ok
}

// Folds reports whether key is a case-insensitive match of one of names
// without being any of them exactly: encoding/json would decode it into that
// field, so a hand-written decoder must leave it to encoding/json. Keys
// reaching here are plain ASCII (Key refuses others).
func Folds(key []byte, names ...string) bool {
	for _, n := range names {
		if len(n) == len(key) && string(key) != n && asciiEqualFold(key, n) {
			return true
		}
	}
	return false
}

func asciiEqualFold(a []byte, b string) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
