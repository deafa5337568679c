package ghost

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"

	"github.com/ghostanalytics/ghost-go/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastSeeds are bodies the hand-written decoders must take, and bodies they
// must leave to encoding/json.
var fastSeeds = []string{
	`{"id":1,"amount":5000,"customerId":"cus_1","cardId":"card_1","gatId":"g","referrer":"r","status":"pending","orderItems":[{"amount":3000,"type":"item"},{"amount":1000,"type":"item","identityId":1},{"amount":1000,"type":"fee","description":"processing fee"}],"createdAt":"2026-11-23T10:00:00Z","updatedAt":"2026-11-23T10:00:00+01:00"}`,
	`{"id":"cus_1","email":"a@example.com","description":"d","metadata":{"plan":"gold","x":""},"createdAt":"2026-11-23T10:00:00Z","updatedAt":null}`,
	` { "id" : null , "orderItems" : [ ] , "metadata" : { } , "extra" : {"a":[1,2.5e3,true,false,null,"\u00e9\n"]} } `,
	`{"orderItems":[null,{"amount":-0}],"metadata":null,"amount":null}`,
	`{"description":"caf\u00e9 \"quoted\"","email":"` + "\xff\xfe" + `"}`,
	`{"ID":1}`, `{"Amount":1}`, `{"id":1,"id":2}`, `{"amount":1.5}`, `{"amount":1e3}`, `{"amount":99999999999999999999}`,
	`{"amount":"1"}`, `{"id":{"a":1}}`, `{"createdAt":"yesterday"}`, `{"metadata":{"a":1}}`, `{"metadata":{"a":null}}`,
	`{"metadata":{"a":"1","a":"2"}}`, `{"k\u0065y":1}`, `{"\u0069d":1}`, `{"a":01}`, `{"a":[1,]}`, `{"a":"\x01"}`,
	`{}`, `[]`, `null`, `{"id":1} x`, `{"id":1`, `{"a":"\ud800"}`, `{"orderItems":{"amount":1}}`,
}

// FuzzFastDecode: whatever a hand-written decoder accepts, encoding/json
// accepts and decodes to the same value, alone and in the doc/docs envelopes.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
		f.Add([]byte(`{"doc":` + s + `}`))
		f.Add([]byte(`{"docs":[` + s + `,` + s + `],"total":2}`))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFast[Order](t, b)
		checkFast[OrderItem](t, b)
		checkFast[Customer](t, b)
	})
}

func checkFast[T any](t *testing.T, b []byte) {
	t.Helper()
	var fast T
	l := wire.NewLexer(b)
	if any(&fast).(fastDecoder).decodeFast(l) && l.End() {
		var std T
		require.NoError(t, json.Unmarshal(b, &std), "fast decoder of %T took %q", fast, b)
		require.True(t, reflect.DeepEqual(std, fast), "%T from %q:\nencoding/json %#v\nfast          %#v", fast, b, std, fast)
	}
	var one T
	if decodeDocFast(b, &one) {
		var env struct {
			Doc *T `json:"doc"`
		}
		require.NoError(t, json.Unmarshal(b, &env), "fast doc of %T took %q", one, b)
		require.NotNil(t, env.Doc)
		require.True(t, reflect.DeepEqual(*env.Doc, one), "%T doc from %q", one, b)
	}
	if items, ok := decodeDocsFast[T](b); ok {
		var env struct {
			Docs *[]T `json:"docs"`
		}
		require.NoError(t, json.Unmarshal(b, &env), "fast docs of %T took %q", one, b)
		require.NotNil(t, env.Docs)
		require.True(t, reflect.DeepEqual(*env.Docs, items), "%T docs from %q", one, b)
	}
}

// TestFastDecodeTakesAndLeaves pins which bodies the hand-written decoders
// read themselves: the common shapes (so the fast path is not dead code) and
// not the ones encoding/json must decide.
func TestFastDecodeTakesAndLeaves(t *testing.T) {
	tests := []struct {
		body            string
		order, customer bool // whether each decoder reads it itself
	}{
		{fastSeeds[0], true, true},
		{fastSeeds[2], true, true},
		{fastSeeds[3], true, true},
		{fastSeeds[4], true, true},
		{`{"ID":1}`, false, false},               // case folding: encoding/json decides
		{`{"id":1,"id":2}`, false, false},        // duplicate key
		{`{"amount":1.5}`, false, true},          // a fraction for an integer; Customer has no amount
		{`{"\u0069d":1}`, false, false},          // escaped key
		{`{"id":1} x`, false, false},             // trailing data
		{`{"metadata":{"a":null}}`, true, false}, // Customer's metadata is a map of strings
	}
	for _, tt := range tests {
		var o Order
		var c Customer
		lo, lc := wire.NewLexer([]byte(tt.body)), wire.NewLexer([]byte(tt.body))
		assert.Equal(t, tt.order, o.decodeFast(lo) && lo.End(), "Order %s", tt.body)
		assert.Equal(t, tt.customer, c.decodeFast(lc) && lc.End(), "Customer %s", tt.body)
		checkFast[Order](t, []byte(tt.body))
		checkFast[Customer](t, []byte(tt.body))
	}
	items, ok := decodeDocsFast[Order]([]byte(`{"docs":[` + fastSeeds[0] + `,null]}`))
	require.True(t, ok)
	require.Len(t, items, 2)
	assert.Equal(t, IntID(1), items[0].ID)
	assert.Equal(t, Order{}, items[1])
	assert.Equal(t, 3, cap(items[0].OrderItems), "items are allocated at their size")

	// A page shares equal short strings (a status, an item type) instead of
	// allocating each.
	items, ok = decodeDocsFast[Order]([]byte(`{"docs":[` + fastSeeds[0] + `,` + fastSeeds[0] + `]}`))
	require.True(t, ok)
	require.Len(t, items, 2)
	assert.Equal(t, "pending", items[1].Status)
	assert.Same(t, unsafe.StringData(items[0].Status), unsafe.StringData(items[1].Status))
	assert.Same(t, unsafe.StringData(string(items[0].OrderItems[0].Type)), unsafe.StringData(string(items[1].OrderItems[1].Type)))
}
