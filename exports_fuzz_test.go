package ghost

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// exportSeeds are export elements the fast decoders must take, and ones
// they must leave to encoding/json.
var exportSeeds = []string{
	`{"id":"O1","currency":"USD","total":1234,"state":"locked","paymentState":"PAID","title":"Order 1","note":"n","merchant":{"id":"M1"},"createdTime":1767225600000,"modifiedTime":1767225660000,` +
		`"lineItems":{"elements":[{"id":"L1","item":{"id":"I1"},"name":"Hat","itemCode":"H-1","price":1000,"unitQty":1500,"note":"","refunded":false},{"id":"L2","name":"Tax","price":234,"refunded":true}]},` +
		`"payments":{"elements":[{"id":"P1","order":{"id":"O1"},"amount":1234,"tipAmount":100,"taxAmount":34,"currency":"USD","result":"SUCCESS","createdTime":1767225600000,"modifiedTime":1767225600000}]}}`,
	`{"id":"P1","order":{"id":"O1"},"amount":1234,"tipAmount":0,"taxAmount":34,"currency":"USD","result":"FAIL","createdTime":"1767225600000","modifiedTime":"2026-01-01T00:00:00Z"}`,
	`{"id":7,"lineItems":[{"id":"L1"},null],"payments":[],"createdTime":1767225600000.5,"modifiedTime":-5,"merchant":null}`,
	`{"lineItems":{"elements":null,"href":"x"},"payments":{},"createdTime":null,"merchant":{"id":null,"x":1}}`,
	`{"lineItems":{"Elements":[]}}`, `{"lineItems":{"elements":[],"elements":[]}}`, `{"lineItems":"x"}`, `{"lineItems":{"elements":{}}}`,
	`{"Total":1}`, `{"merchant":{"ID":"M"}}`, `{"merchant":[]}`, `{"id":"a","id":"b"}`, `{"total":1.5}`, `{"createdTime":"soon"}`,
	`{"createdTime":99999999999999999999}`, `{"createdTime":1e3}`, `{"refunded":1}`, `{"refunded":null,"price":null}`,
	`{"item":{"id":1},"unitQty":-3}`, `{"order":"O1"}`, `{"MerchantID":"x","OrderID":"y","ItemID":"z"}`,
	`{"note":"caf\u00e9 \"q\""}`, `{"title":"` + "\xff" + `"}`, `{}`, `null`, `[]`, `{"id":1`, `{"a":[1,]}`,
}

// FuzzExportDecode: whatever the export decoders accept, encoding/json
// (through the models' UnmarshalJSON) accepts and decodes to the same value.
func FuzzExportDecode(f *testing.F) {
	for _, s := range exportSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFast[ExportedOrder](t, b)
		checkFast[ExportedPayment](t, b)
		checkFast[ExportedLineItem](t, b)
	})
}

// chunkReader returns at most n bytes per Read, to make the file reader
// read a file in pieces.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), c.n)])
}

// referenceElements reads an export file the way the SDK did before its
// own reader (json.Decoder, a token at a time): the values up to the first
// error, and whether there was one.
func referenceElements[T any](b []byte) (out []T, failed bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	array := func() bool {
		for dec.More() {
			if len(out) == MaxExportFileObjects {
				return false
			}
			var v T
			if dec.Decode(&v) != nil {
				return false
			}
			out = append(out, v)
		}
		_, err := dec.Token()
		return err == nil
	}
	tok, err := dec.Token()
	switch {
	case err != nil:
		return out, true
	case tok == json.Delim('['):
		return out, !array()
	case tok != json.Delim('{'):
		return out, true
	}
	seen := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return out, true
		}
		if key != "elements" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return out, true
			}
			continue
		}
		seen = true
		tok, err := dec.Token()
		switch {
		case err != nil:
			return out, true
		case tok == nil:
			continue
		case tok != json.Delim('[') || !array():
			return out, true
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return out, true
	}
	return out, !seen
}

func readerElements[T any](b []byte, chunk int) (out []T, err error) {
	r := newElementReader(&chunkReader{bytes.NewReader(b), chunk}, 1<<20)
	defer r.release()
	_, err = readElements(r, 0, func(v T) bool { out = append(out, v); return true })
	return out, err
}

// FuzzExportFile: the SDK's file reader yields exactly what encoding/json's
// Decoder read token by token yields, and fails where it fails, read in
// pieces of any size.
func FuzzExportFile(f *testing.F) {
	for _, s := range exportSeeds {
		f.Add([]byte(`{"elements":[`+s+`,`+s+`]}`), uint8(7))
		f.Add([]byte(`[`+s+`]`), uint8(200))
	}
	for _, s := range []string{`{"elements":null}`, `{"a":[1,{"b":"}"}],"elements":[1,"x",true,null,{}],"z":2}`, `{"elements":[],"elements":[{"id":"A"}]}`,
		`{"\u0065lements":[{"id":"A"}]}`, `{}`, `[`, `{"elements":[{"id":"A"},{"id":"B"`, `{"elements":[1 2]}`, `{"elements":{}}`, ` [ 1 , 2 ] x`,
		`{"elements":[12`, `[nul`, `{"x":1,}`, `[` + strings.Repeat(`{},`, MaxExportFileObjects) + `{}]`} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		n := int(chunk) + 1
		wantRaw, rawFailed := referenceElements[json.RawMessage](b)
		gotRaw, err := readerElements[json.RawMessage](b, n)
		require.Equal(t, rawFailed, err != nil, "%q: encoding/json failed: %v; reader: %v", b, rawFailed, err)
		require.Equal(t, len(wantRaw), len(gotRaw), "%q", b)
		for i := range wantRaw {
			require.Equal(t, string(wantRaw[i]), string(gotRaw[i]), "%q element %d", b, i)
		}
		var ge *Error
		require.True(t, err == nil || errors.As(err, &ge) || errors.Is(err, io.ErrUnexpectedEOF), "%q: %v", b, err)

		wantOrders, ordersFailed := referenceElements[ExportedOrder](b)
		gotOrders, err := readerElements[ExportedOrder](b, n)
		require.Equal(t, ordersFailed, err != nil, "%q: encoding/json failed: %v; reader: %v", b, ordersFailed, err)
		require.True(t, reflect.DeepEqual(wantOrders, gotOrders), "%q:\nencoding/json %#v\nreader        %#v", b, wantOrders, gotOrders)
	})
}
