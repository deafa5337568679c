package ghost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an exact amount of money in a currency with cents, as the Checkout
// API writes it: a JSON decimal number such as 49.99. It holds a count of
// cents in an int64, so it never loses a cent to floating point; the zero
// value is 0.00. Money values are comparable with ==.
//
// Decoding accepts a JSON number or a JSON string holding one ("49.99"), in
// any form JSON allows (1e-2, 15000.00, 4999e-2). It parses the decimal text
// itself, never through float64. A value with more precision than cents
// (0.001, 19.999) is refused with an error wrapping ErrMoneyPrecision rather
// than rounded: rounding money silently hides a bug on one side or the other.
// Trailing zeros are not precision (49.990 is 49.99). A value beyond the
// int64 range of cents is refused with ErrMoneyRange.
//
// Encoding always writes exactly two decimals (0.10, 49.99, 15000.00), as a
// JSON number.
type Money struct {
	cents int64
}

// ErrMoneyPrecision is wrapped by the error for a decimal with a non-zero
// digit below cents (0.001).
var ErrMoneyPrecision = errors.New("ghost: money has more precision than cents")

// ErrMoneyRange is wrapped by the error for an amount or a result of Money
// arithmetic that does not fit (more than ±92,233,720,368,547,758.07).
var ErrMoneyRange = errors.New("ghost: money out of range")

// MoneyFromCents returns the amount of the given count of cents:
// MoneyFromCents(4999) is 49.99.
func MoneyFromCents(cents int64) Money { return Money{cents: cents} }

// ParseMoney parses a decimal amount such as "49.99", "-0.5", "1e-2" or
// "15000.00" exactly. It refuses text that is not a decimal number, a value
// with a non-zero digit below cents (ErrMoneyPrecision) and a value out of
// range (ErrMoneyRange).
func ParseMoney(s string) (Money, error) {
	c, err := parseCents(s)
	if err != nil {
		return Money{}, err
	}
	return Money{cents: c}, nil
}

// Cents returns the amount as a count of cents.
func (m Money) Cents() int64 { return m.cents }

// IsZero reports whether the amount is 0.00.
func (m Money) IsZero() bool { return m.cents == 0 }

// Sign returns -1, 0 or +1 as the amount is negative, zero or positive.
func (m Money) Sign() int {
	switch {
	case m.cents < 0:
		return -1
	case m.cents > 0:
		return 1
	}
	return 0
}

// Cmp compares two amounts: -1 if m < o, 0 if equal, +1 if m > o.
func (m Money) Cmp(o Money) int {
	switch {
	case m.cents < o.cents:
		return -1
	case m.cents > o.cents:
		return 1
	}
	return 0
}

// Add returns m + o, or an error wrapping ErrMoneyRange on overflow.
func (m Money) Add(o Money) (Money, error) {
	r := m.cents + o.cents
	if (o.cents > 0 && r < m.cents) || (o.cents < 0 && r > m.cents) {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrMoneyRange, m, o)
	}
	return Money{cents: r}, nil
}

// Sub returns m - o, or an error wrapping ErrMoneyRange on overflow.
func (m Money) Sub(o Money) (Money, error) {
	r := m.cents - o.cents
	if (o.cents > 0 && r > m.cents) || (o.cents < 0 && r < m.cents) {
		return Money{}, fmt.Errorf("%w: %s - %s", ErrMoneyRange, m, o)
	}
	return Money{cents: r}, nil
}

// Mul returns m × n (a quantity), or an error wrapping ErrMoneyRange on
// overflow.
func (m Money) Mul(n int64) (Money, error) {
	if m.cents == 0 || n == 0 {
		return Money{}, nil
	}
	r := m.cents * n
	if r/n != m.cents || (m.cents == -1 && n == math.MinInt64) || (n == -1 && m.cents == math.MinInt64) {
		return Money{}, fmt.Errorf("%w: %s × %d", ErrMoneyRange, m, n)
	}
	return Money{cents: r}, nil
}

// SumMoney returns the exact sum of amounts, or an error wrapping
// ErrMoneyRange on overflow.
func SumMoney(amounts ...Money) (Money, error) {
	var sum Money
	for _, a := range amounts {
		var err error
		if sum, err = sum.Add(a); err != nil {
			return Money{}, err
		}
	}
	return sum, nil
}

// String formats the amount with exactly two decimals: "49.99", "-0.05".
func (m Money) String() string {
	u := uint64(m.cents)
	sign := ""
	if m.cents < 0 {
		u, sign = -u, "-"
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// MarshalJSON implements json.Marshaler: a JSON number with two decimals.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(m.String()), nil
}

// UnmarshalJSON implements json.Unmarshaler: a JSON number or a string
// holding one, parsed exactly; null leaves m unchanged.
func (m *Money) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("ghost: money: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	c, err := parseCents(s)
	if err != nil {
		return err
	}
	m.cents = c
	return nil
}

// maxCentsDigits is the most digits an int64 count of cents can have.
const maxCentsDigits = 19

// parseCents parses a decimal in JSON number syntax
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) into an exact count of
// cents. Leading zeros in the integer part are tolerated for strings such as
// "007.50".
func parseCents(s string) (int64, error) {
	d, ok := scanDecimal(s)
	if !ok {
		return 0, fmt.Errorf("ghost: money %q is not a decimal number", clipText(s, 40))
	}
	return d.cents(s)
}

// decimal is a number as written: -digits × 10^(exp - len(frac)).
type decimal struct {
	neg         bool
	int, frac   string // the digits before and after the point
	exp         int    // the exponent, clamped to ±2^20
	expOverflow bool   // the exponent does not fit an int
}

// scanDecimal reads s in JSON number syntax; ok is false when s is not one.
func scanDecimal(s string) (d decimal, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg, i = true, i+1
	}
	d.int, i = digitsAt(s, i)
	if d.int == "" {
		return d, false
	}
	if i < len(s) && s[i] == '.' {
		if d.frac, i = digitsAt(s, i+1); d.frac == "" {
			return d, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		es := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		var exp string
		if exp, i = digitsAt(s, i); exp == "" {
			return d, false
		}
		n, err := strconv.Atoi(s[es:i])
		if err != nil {
			d.expOverflow = true
			if s[es] == '-' {
				n = math.MinInt32
			} else {
				n = math.MaxInt32
			}
		}
		// Clamp: beyond this, any non-zero mantissa is out of range or too
		// precise anyway.
		d.exp = max(min(n, 1<<20), -(1 << 20))
	}
	return d, i == len(s)
}

// digitsAt returns the run of digits of s from i, and the index after it.
func digitsAt(s string, i int) (string, int) {
	start := i
	for i < len(s) && moneyDigit(s[i]) {
		i++
	}
	return s[start:i], i
}

// cents is d × 100 as an exact int64; s is d's text, for errors.
func (d decimal) cents(s string) (int64, error) {
	rangeErr := func() (int64, error) { return 0, fmt.Errorf("%w: %s", ErrMoneyRange, clipText(s, 40)) }
	digits := strings.TrimLeft(d.int+d.frac, "0")
	if digits == "" {
		return 0, nil // zero, whatever the exponent
	}
	shift := d.exp - len(d.frac) + 2
	if d.expOverflow && shift > 0 {
		return rangeErr()
	}
	if shift < 0 {
		drop := -shift
		if drop >= len(digits) || strings.TrimRight(digits[len(digits)-drop:], "0") != "" {
			return 0, fmt.Errorf("%w: %s", ErrMoneyPrecision, clipText(s, 40))
		}
		digits = digits[:len(digits)-drop]
		shift = 0
	}
	if len(digits)+shift > maxCentsDigits {
		return rangeErr()
	}
	u, err := strconv.ParseUint(digits+strings.Repeat("0", shift), 10, 64)
	switch {
	case err != nil:
	case !d.neg && u <= math.MaxInt64:
		return int64(u), nil
	case d.neg && u <= 1<<63:
		return int64(-u), nil
	}
	return rangeErr()
}

func moneyDigit(c byte) bool { return c >= '0' && c <= '9' }

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
