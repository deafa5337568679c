package ghost_test

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzSparkDecimal: what SparkDecimal accepts is a number math/big agrees
// with, and it encodes back to the same value.
func FuzzSparkDecimal(f *testing.F) {
	for _, s := range []string{`10.00`, `"10.00"`, `0.125`, `-3`, `1e3`, `null`, `"abc"`, `12345678901234567890.123456789`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d ghost.SparkDecimal
		if err := json.Unmarshal(b, &d); err != nil || d.IsZero() {
			return
		}
		if _, ok := new(big.Rat).SetString(d.String()); !ok {
			t.Fatalf("accepted %q that math/big cannot parse", d.String())
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("cannot encode %q: %v", d.String(), err)
		}
		var back ghost.SparkDecimal
		if err := json.Unmarshal(out, &back); err != nil || back.Cmp(d) != 0 {
			t.Fatalf("%q encoded as %s does not round-trip (%v)", d.String(), out, err)
		}
	})
}

// FuzzDecodeModels feeds arbitrary JSON to every response model's decoder:
// it may refuse, never panic, and what it accepts re-encodes.
func FuzzDecodeModels(f *testing.F) {
	for _, s := range []string{
		`{"id":"export_id","type":"ORDERS","status":"DONE","percentComplete":100,"availableUntil":1700000000000,"startTime":"1700000000000","endTime":"2026-11-23T10:00:00Z","exportUrls":{"elements":[{"url":"https://x/f.json","export":{"id":"export_id"}}]},"merchantRef":{"id":"m"}}`,
		`{"id":"82xjd1dmxmwp775ddfjzqww04","resource":"customer","email":"test@example.com","source":{"type":"credit_card","brand":"visa","last_four_digits":"1111","month":1,"year":2023},"metadata":{"order_id":"abcdefg"},"created_at":"2018-11-13T06:20:21Z"}`,
		`{"id":1,"amount":5000,"orderItems":[{"amount":3000,"type":"item"}],"createdAt":"2026-11-23T10:00:00Z"}`,
		`{"id":"cart_123","totalValue":99.99,"items":[{"name":"x","quantity":2,"price":49.99}],"paymentLink":null}`,
		`{"id":1,"item_name":"Item 1","price":"10.00","variants":[{"id":2,"price":1.5}]}`,
		`{"id":"c","expMonth":2,"expYear":"2018"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decode(t, b, new(ghost.Export))
		decode(t, b, new(ghost.Customer))
		decode(t, b, new(ghost.Order))
		decode(t, b, new(ghost.Cart))
		decode(t, b, new(ghost.SparkProduct))
		decode(t, b, new(ghost.Card))
		decode(t, b, new(ghost.ExportedOrder))
	})
}

func decode[T any](t *testing.T, b []byte, v *T) {
	if json.Unmarshal(b, v) != nil {
		return
	}
	if _, err := json.Marshal(v); err != nil {
		t.Fatalf("%T decoded %q but cannot encode it: %v", v, b, err)
	}
}

func TestSparkDecimalRefusesHugeExponents(t *testing.T) {
	for _, in := range []string{`1e100000`, `1e-100000`, `"1e5000000"`, `1e41`, `"2E-41"`} {
		var d ghost.SparkDecimal
		assert.Error(t, json.Unmarshal([]byte(in), &d), in)
	}
	for in, want := range map[string]string{`1e2`: "100", `"25e-1"`: "2.5", `1E+3`: "1000", `1e40`: "1" + strings.Repeat("0", 40)} {
		var d ghost.SparkDecimal
		require.NoError(t, json.Unmarshal([]byte(in), &d), in)
		assert.Equal(t, want, d.String(), in)
	}
}
