package ghost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// SparkDecimal is an exact decimal amount as the Spark API writes prices
// (19.99). It keeps the number's text, so nothing is lost to float64
// rounding; it encodes as a JSON number and decodes from a JSON number or a
// string holding one. The zero value is "no value" (left out of request
// bodies with the omitzero tag); a parsed "0" is a value.
type SparkDecimal struct {
	s string
}

// ParseSparkDecimal parses a decimal such as "19.99", "-3" or "0.005".
// Exponents, signs other than a leading "-", and empty strings are refused.
func ParseSparkDecimal(s string) (SparkDecimal, error) {
	if !isDecimal(s) {
		return SparkDecimal{}, invalidParams("decimal", "%q is not a decimal number", s)
	}
	return SparkDecimal{s: canonicalDecimal(s)}, nil
}

// maxDecimalExponent bounds the exponent SparkDecimal accepts in 1e2 form.
const maxDecimalExponent = 40

// smallExponent reports whether s, a number with an exponent part, has one
// of at most maxDecimalExponent in size.
func smallExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
	return err == nil && exp >= -maxDecimalExponent && exp <= maxDecimalExponent
}

// canonicalDecimal drops the leading zeros of a decimal's integer part
// ("007.50" → "7.50", "000" → "0"), which JSON numbers may not have.
func canonicalDecimal(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if hasFrac {
		return sign + intPart + "." + frac
	}
	return sign + intPart
}

// SparkDecimalFromCents returns the decimal of an amount in cents (1999 → 19.99).
func SparkDecimalFromCents(cents int64) SparkDecimal {
	r := new(big.Rat).SetFrac(big.NewInt(cents), big.NewInt(100))
	return SparkDecimal{s: r.FloatString(2)}
}

func isDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// String returns the decimal's text ("" when unset).
func (d SparkDecimal) String() string { return d.s }

// IsZero reports whether d holds no value (omitzero uses it).
func (d SparkDecimal) IsZero() bool { return d.s == "" }

// Rat returns the exact value as a *big.Rat (0 when unset).
func (d SparkDecimal) Rat() *big.Rat {
	r := new(big.Rat)
	if d.s != "" {
		r.SetString(d.s)
	}
	return r
}

// Cmp compares d and e exactly: -1, 0 or +1.
func (d SparkDecimal) Cmp(e SparkDecimal) int { return d.Rat().Cmp(e.Rat()) }

// Cents returns the value in cents, and false when it has fractions of a
// cent or does not fit an int64.
func (d SparkDecimal) Cents() (int64, bool) {
	r := d.Rat()
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// Money converts d to a Money amount. A value with a non-zero digit below
// cents is refused (ErrMoneyPrecision) rather than rounded; unset is 0.00.
func (d SparkDecimal) Money() (Money, error) {
	if d.s == "" {
		return Money{}, nil
	}
	return ParseMoney(d.s)
}

// SparkDecimalFromMoney returns the decimal of a Money amount (49.99).
func SparkDecimalFromMoney(m Money) SparkDecimal { return SparkDecimal{s: m.String()} }

// MarshalJSON implements json.Marshaler: the number, or null when unset.
func (d SparkDecimal) MarshalJSON() ([]byte, error) {
	if d.s == "" {
		return []byte("null"), nil
	}
	if !isDecimal(d.s) {
		return nil, fmt.Errorf("ghost: %q is not a decimal number", d.s)
	}
	return []byte(d.s), nil
}

// UnmarshalJSON implements json.Unmarshaler: a JSON number, a string holding
// one, or null.
func (d *SparkDecimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*d = SparkDecimal{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if !isDecimal(s) {
		// Accept what JSON allows beyond our plain syntax (1e2), exactly, but
		// only with a modest exponent: 1e1000000 would cost the client
		// megabytes and seconds (a server must not be able to do that).
		if !smallExponent(s) {
			return fmt.Errorf("ghost: %.30q is not a decimal number within range", s)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return fmt.Errorf("ghost: %.30q is not a decimal number", s)
		}
		s = ratString(r)
	}
	*d = SparkDecimal{s: canonicalDecimal(s)}
	return nil
}

// ratString writes r as a plain decimal when it has a finite expansion.
func ratString(r *big.Rat) string {
	for prec := 0; prec <= 30; prec++ {
		s := r.FloatString(prec)
		if back, ok := new(big.Rat).SetString(s); ok && back.Cmp(r) == 0 {
			return s
		}
	}
	return r.FloatString(30)
}

// Product is a Spark Pay product. Variants and Categories are filled when
// the call asked for them (Expand, Fields naming them, or Filled).
type Product struct {
	ID         ID           `json:"id,omitempty"`
	ItemName   string       `json:"item_name,omitempty"`
	ItemNumber string       `json:"item_number,omitempty"`
	Price      SparkDecimal `json:"price,omitzero"`
	Variants   []Variant    `json:"variants,omitempty"`
	Categories []Category   `json:"categories,omitempty"`
	CreatedAt  time.Time    `json:"created_at,omitzero"`
	UpdatedAt  time.Time    `json:"updated_at,omitzero"`
}

// Variant is one variant of a product (size, colour, …).
type Variant struct {
	ID          ID           `json:"id,omitempty"`
	ProductID   ID           `json:"product_id,omitempty"`
	Description string       `json:"description,omitempty"`
	SortOrder   Opt[int]     `json:"sort_order,omitzero"`
	Price       SparkDecimal `json:"price,omitzero"`
}

// Category is a product category; ParentID is unset for a top-level one.
type Category struct {
	ID       ID     `json:"id,omitempty"`
	Name     string `json:"name,omitempty"`
	ParentID ID     `json:"parent_id,omitempty"`
}

// FilterOp is a Spark filter operator.
type FilterOp string

// The Spark filter operators.
const (
	OpEq        FilterOp = "eq"
	OpNot       FilterOp = "not"
	OpLike      FilterOp = "like"
	OpStartWith FilterOp = "startwith"
	OpGT        FilterOp = "gt"
	OpGTE       FilterOp = "gte"
	OpLT        FilterOp = "lt"
	OpLTE       FilterOp = "lte"
)

func (op FilterOp) valid() bool {
	switch op {
	case OpEq, OpNot, OpLike, OpStartWith, OpGT, OpGTE, OpLT, OpLTE:
		return true
	}
	return false
}

// Filter is one Spark list filter, sent as field=op:value. Build it with
// Where, which formats the value.
type Filter struct {
	Field string
	Op    FilterOp
	Value string

	err error
}

// Where returns the filter field op value. The value may be a string, any
// integer or float type, a bool, a time.Time (sent as RFC 3339 in UTC), an
// ID, a SparkDecimal or a fmt.Stringer; anything else makes the call that
// uses the filter fail with an invalid_params error before sending.
func Where(field string, op FilterOp, value any) Filter {
	f := Filter{Field: field, Op: op}
	switch v := value.(type) {
	case string:
		f.Value = v
	case ID:
		f.Value = string(v)
	case SparkDecimal:
		f.Value = v.String()
	case time.Time:
		f.Value = v.UTC().Format(time.RFC3339)
	case bool:
		f.Value = strconv.FormatBool(v)
	case int:
		f.Value = strconv.Itoa(v)
	case int8, int16, int32, int64:
		f.Value = fmt.Sprint(v)
	case uint, uint8, uint16, uint32, uint64:
		f.Value = fmt.Sprint(v)
	case float32:
		f.Value = strconv.FormatFloat(float64(v), 'f', -1, 32)
	case float64:
		f.Value = strconv.FormatFloat(v, 'f', -1, 64)
	case fmt.Stringer:
		f.Value = v.String()
	default:
		f.err = invalidParams(field, "filter value of type %T cannot be formatted", value)
	}
	return f
}

// SortField is one key of a Spark sort: a field, ascending unless Desc.
type SortField struct {
	Field string
	Desc  bool
}

// Asc sorts by field ascending.
func Asc(field string) SortField { return SortField{Field: field} }

// Desc sorts by field descending (sent as -field).
func Desc(field string) SortField { return SortField{Field: field, Desc: true} }
