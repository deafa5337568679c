package ghost_test

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
)

// FuzzMoney checks Money's decoder against math/big: whatever it accepts it
// must hold exactly (cents = value × 100), and it must encode back to the
// same amount.
func FuzzMoney(f *testing.F) {
	for _, s := range []string{`49.99`, `99.98`, `0.1`, `0.29`, `19.99`, `1e-2`, `1234567.89`, `15000.00`, `"49.99"`,
		`-3.5`, `1e18`, `0.001`, `"007.50"`, `4999e-2`, `1E+2`, `null`, `"x"`, `92233720368547758.07`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m ghost.Money
		if err := json.Unmarshal(b, &m); err != nil {
			return
		}
		text := strings.TrimSpace(string(b))
		if text == "null" {
			return
		}
		if strings.HasPrefix(text, `"`) {
			var s string
			if json.Unmarshal(b, &s) != nil {
				t.Fatalf("accepted %q that is not a JSON string", b)
			}
			text = strings.TrimSpace(s)
		}
		want, ok := new(big.Rat).SetString(text)
		if !ok {
			// math/big refuses exponents it cannot hold; with one that large,
			// only zero is in range and a whole number of cents.
			if i := strings.IndexAny(text, "eE"); i >= 0 && len(strings.TrimLeft(text[i+1:], "+-")) > 9 {
				if m.Cents() != 0 {
					t.Fatalf("%q decoded to %s, want 0", text, m.String())
				}
				return
			}
			t.Fatalf("accepted %q that math/big cannot parse", text)
		}
		got := new(big.Rat).SetFrac64(m.Cents(), 100)
		if want.Cmp(got) != 0 {
			t.Fatalf("%q decoded to %s cents", text, m.String())
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back ghost.Money
		if err := json.Unmarshal(out, &back); err != nil || back.Cents() != m.Cents() {
			t.Fatalf("%q encoded as %s does not round-trip (%v)", text, out, err)
		}
	})
}
