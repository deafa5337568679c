package ghost_test

import (
	"encoding/json"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDJSON(t *testing.T) {
	tests := []struct {
		in, want, out string
		bad           bool
	}{
		{in: `1`, want: "1", out: `1`},
		{in: `"1"`, want: "1", out: `1`},
		{in: `"cus_somecustomerid"`, want: "cus_somecustomerid", out: `"cus_somecustomerid"`},
		{in: `"007"`, want: "007", out: `"007"`},
		{in: `12345678901234567890`, bad: true},
		{in: `1.5`, bad: true},
		{in: `{"a":1}`, bad: true},
		{in: `true`, bad: true},
		{in: `null`, want: "", out: `""`},
	}
	for _, tt := range tests {
		var id ghost.ID
		err := json.Unmarshal([]byte(tt.in), &id)
		if tt.bad {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, ghost.ID(tt.want), id)
		b, err := json.Marshal(id)
		require.NoError(t, err)
		assert.Equal(t, tt.out, string(b))
	}
}

func TestOpt(t *testing.T) {
	type body struct {
		A ghost.Opt[string] `json:"a,omitzero"`
		B ghost.Opt[int]    `json:"b,omitzero"`
	}
	b, err := json.Marshal(body{A: ghost.Some("")})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":""}`, string(b))

	var got body
	require.NoError(t, json.Unmarshal([]byte(`{"a":null,"b":0}`), &got))
	assert.False(t, got.A.IsSet())
	v, ok := got.B.Get()
	assert.True(t, ok)
	assert.Equal(t, 0, v)
	assert.Equal(t, 7, ghost.Opt[int]{}.Or(7))
	assert.Equal(t, "unset", ghost.Opt[int]{}.String())
}

func FuzzIDUnmarshal(f *testing.F) {
	for _, s := range []string{`1`, `"1"`, `"cus_x"`, `-5`, `1e3`, `"`, `null`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var id ghost.ID
		if err := json.Unmarshal(b, &id); err != nil {
			return
		}
		out, err := json.Marshal(id)
		require.NoError(t, err)
		var back ghost.ID
		require.NoError(t, json.Unmarshal(out, &back))
		require.Equal(t, id, back, "round trip of %q", b)
	})
}

// FuzzIDMarshal: an ID that is not an integer encodes exactly as json.Marshal
// encodes its text.
func FuzzIDMarshal(f *testing.F) {
	for _, s := range []string{"cus_x", "1", "01", "a<b", "a&b", "é", "\xff", `q"uote`, `back\slash`, "tab\t", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := ghost.ID(s)
		if _, ok := id.Int(); ok {
			return
		}
		got, err := id.MarshalJSON()
		require.NoError(t, err)
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "ID(%q)", s)
	})
}
