package ghost_test

import (
	"encoding/json"
	"math"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMoneyJSONRoundTrip(t *testing.T) {
	tests := []struct {
		in    string // JSON as the API may send it
		cents int64
		out   string // JSON as Money writes it
	}{
		{`0.1`, 10, `0.10`},
		{`0.29`, 29, `0.29`},
		{`19.99`, 1999, `19.99`},
		{`49.99`, 4999, `49.99`},
		{`99.98`, 9998, `99.98`},
		{`1e-2`, 1, `0.01`},
		{`1E-2`, 1, `0.01`},
		{`4999e-2`, 4999, `49.99`},
		{`1.5e3`, 150000, `1500.00`},
		{`1234567.89`, 123456789, `1234567.89`},
		{`15000.00`, 1500000, `15000.00`},
		{`15000`, 1500000, `15000.00`},
		{`49.990000`, 4999, `49.99`},
		{`0.10e1`, 100, `1.00`},
		{`0`, 0, `0.00`},
		{`-0`, 0, `0.00`},
		{`0e999999999999`, 0, `0.00`},
		{`-0.05`, -5, `-0.05`},
		{`-12.3`, -1230, `-12.30`},
		{`"49.99"`, 4999, `49.99`},
		{`" 0.1 "`, 10, `0.10`},
		{`"1e-2"`, 1, `0.01`},
		{`92233720368547758.07`, math.MaxInt64, `92233720368547758.07`},
		{`-92233720368547758.08`, math.MinInt64, `-92233720368547758.08`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var m ghost.Money
			require.NoError(t, json.Unmarshal([]byte(tt.in), &m))
			assert.Equal(t, tt.cents, m.Cents())
			b, err := json.Marshal(m)
			require.NoError(t, err)
			assert.Equal(t, tt.out, string(b))

			var back ghost.Money
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, m, back)
		})
	}
}

func TestMoneyRefusesBadInput(t *testing.T) {
	tests := []struct {
		in   string
		want error // nil: a syntax error
	}{
		{`0.001`, ghost.ErrMoneyPrecision},
		{`19.999`, ghost.ErrMoneyPrecision},
		{`1e-3`, ghost.ErrMoneyPrecision},
		{`0.0010`, ghost.ErrMoneyPrecision},
		{`1e-999999999999`, ghost.ErrMoneyPrecision},
		{`92233720368547758.08`, ghost.ErrMoneyRange},
		{`-92233720368547758.09`, ghost.ErrMoneyRange},
		{`1e17`, ghost.ErrMoneyRange},
		{`1e999999999999`, ghost.ErrMoneyRange},
		{`"abc"`, nil},
		{`"12,50"`, nil},
		{`"1."`, nil},
		{`".5"`, nil},
		{`"NaN"`, nil},
		{`"Infinity"`, nil},
		{`"0x10"`, nil},
		{`"1e"`, nil},
		{`""`, nil},
		{`true`, nil},
		{`{}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var m ghost.Money
			err := json.Unmarshal([]byte(tt.in), &m)
			require.Error(t, err)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Zero(t, m.Cents())
		})
	}
}

func TestMoneyNullLeavesValue(t *testing.T) {
	m := ghost.MoneyFromCents(5)
	require.NoError(t, json.Unmarshal([]byte(`null`), &m))
	assert.Equal(t, int64(5), m.Cents())
}

func TestParseMoneyAndString(t *testing.T) {
	m, err := ghost.ParseMoney("1234567.89")
	require.NoError(t, err)
	assert.Equal(t, ghost.MoneyFromCents(123456789), m)
	assert.Equal(t, "1234567.89", m.String())
	assert.Equal(t, "-0.07", ghost.MoneyFromCents(-7).String())
	assert.Equal(t, "-92233720368547758.08", ghost.MoneyFromCents(math.MinInt64).String())

	_, err = ghost.ParseMoney("0.005")
	assert.ErrorIs(t, err, ghost.ErrMoneyPrecision)
}

func TestMoneyArithmetic(t *testing.T) {
	c := ghost.MoneyFromCents
	sum, err := c(10).Add(c(20))
	require.NoError(t, err)
	assert.Equal(t, "0.30", sum.String(), "0.1 + 0.2 is exactly 0.30")

	diff, err := c(1000).Sub(c(1))
	require.NoError(t, err)
	assert.Equal(t, "9.99", diff.String())

	prod, err := c(4999).Mul(2)
	require.NoError(t, err)
	assert.Equal(t, "99.98", prod.String())

	total, err := ghost.SumMoney(c(10), c(10), c(10))
	require.NoError(t, err)
	assert.Equal(t, c(30), total)

	assert.Equal(t, -1, c(1).Cmp(c(2)))
	assert.Equal(t, 0, c(2).Cmp(c(2)))
	assert.Equal(t, 1, c(3).Cmp(c(2)))
	assert.Equal(t, -1, c(-3).Sign())
	assert.True(t, c(0).IsZero())

	overflows := []func() (ghost.Money, error){
		func() (ghost.Money, error) { return c(math.MaxInt64).Add(c(1)) },
		func() (ghost.Money, error) { return c(math.MinInt64).Add(c(-1)) },
		func() (ghost.Money, error) { return c(math.MinInt64).Sub(c(1)) },
		func() (ghost.Money, error) { return c(math.MaxInt64).Sub(c(-1)) },
		func() (ghost.Money, error) { return c(math.MaxInt64 / 2).Mul(3) },
		func() (ghost.Money, error) { return c(math.MinInt64).Mul(-1) },
		func() (ghost.Money, error) { return c(-1).Mul(math.MinInt64) },
		func() (ghost.Money, error) { return ghost.SumMoney(c(math.MaxInt64), c(1)) },
	}
	for i, f := range overflows {
		_, err := f()
		assert.ErrorIs(t, err, ghost.ErrMoneyRange, "case %d", i)
	}
}

// A sum of many awkward prices stays exact where float64 drifts.
func TestMoneySumIsExact(t *testing.T) {
	var m ghost.Money
	require.NoError(t, json.Unmarshal([]byte(`0.1`), &m))
	var sum ghost.Money
	var f float64
	for range 1000 {
		var err error
		sum, err = sum.Add(m)
		require.NoError(t, err)
		f += 0.1
	}
	assert.Equal(t, "100.00", sum.String())
	assert.NotEqual(t, 100.0, f, "float64 would have drifted")
}
