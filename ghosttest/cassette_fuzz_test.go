package ghosttest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzCassetteBody: whatever a server answers, recording it never panics,
// a JSON body keeps its meaning through the order-keeping decoder and
// encoder, and a redacted body is still JSON and holds no secret.
func FuzzCassetteBody(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":[true,null,"x"],"c":{"d":1.50e3}}`, `[{"url":"https://f/1?sig=a"}]`, `{"a":1,"a":2}`,
		`{"number":"4242 4242 4242 4242","cvc":"737","note":"key sk_live_abcdef"}`, `{"k":"\u00e9\/<&>"}`, `not json`, "\xff\x00",
		`{"exportUrls":{"elements":[{"url":"https://files/1"}]},"availableUntil":1796784265021}`,
	} {
		f.Add([]byte(s))
	}
	r := NewRedactor([]string{"sk_live_abcdef"})
	f.Fuzz(func(t *testing.T, b []byte) {
		body := newCassetteBody(r, "application/json", b)
		if len(body.JSON) > 0 && !json.Valid(body.JSON) {
			t.Fatalf("redacted body is not JSON: %q", body.JSON)
		}
		if strings.Contains(string(body.JSON)+body.Text+body.Base64, "sk_live_abcdef") {
			t.Fatalf("secret kept: %+v", body)
		}
		ExportFileURLs(b)
		v, ok := decodeOrdered(b)
		if !ok {
			return
		}
		out, err := encodeOrdered(v)
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("decodeOrdered took what encoding/json refuses: %v", err)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("re-encoded body is not JSON: %q", out)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("meaning changed:\n%q\n%q", b, out)
		}
	})
}
