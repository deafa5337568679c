package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecode(t *testing.T) {
	all := Meta{Total: 45, Page: 2, PerPage: 10, LastPage: 5, HasTotal: true, HasPage: true, HasPerPage: true, HasLastPage: true}
	tests := []struct {
		name    string
		shape   Shape
		body    string
		listKey string
		want    Envelope
	}{
		{"ghost doc", Doc, `{"doc":{"id":1}}`, "", Envelope{Payload: []byte(`{"id":1}`)}},
		{"ghost docs", Docs, `{"docs":[{"id":1},{"id":2}]}`, "", Envelope{Payload: []byte(`[{"id":1},{"id":2}]`)}},
		{"ghost delete", Doc, `{"success": true}`, "", Envelope{}},
		{"ghost failure", Doc, `{"success": false,"message":"no"}`, "", Envelope{Failed: true}},
		{"ghost doc null", Doc, `{"doc":null}`, "", Envelope{Null: true}},
		{"ghost docs null", Docs, `{"docs":null}`, "", Envelope{Null: true}},
		{"ghost doc beside data", Doc, `{"data":[1],"doc":{"id":1,"docs":[],"data":{},"total_count":1}}`, "",
			Envelope{Payload: []byte(`{"id":1,"docs":[],"data":{},"total_count":1}`)}},
		{"checkout object", Data, `{"success":true,"data":{"id":"cart_1","doc":"x"}}`, "", Envelope{Payload: []byte(`{"id":"cart_1","doc":"x"}`)}},
		{"checkout failure", Data, `{"success":false,"error":{"code":"NOT_FOUND","message":"Cart not found"}}`, "", Envelope{Failed: true}},
		{"checkout list", Data, `{"success":true,"data":{"carts":[{"id":"c","data":1}],"pagination":{"page":2,"limit":10,"total":45,"totalPages":5}}}`, "carts",
			Envelope{Payload: []byte(`[{"id":"c","data":1}]`), Meta: all}},
		{"checkout list without its key", Data, `{"success":true,"data":{"pagination":{"page":2,"limit":10,"total":45,"totalPages":5}}}`, "carts",
			Envelope{Meta: all}},
		{"komoju list", ResourceList, `{"resource":"list","total":3,"page":1,"per_page":10,"last_page":1,"data":[{"id":"a","doc":1}]}`, "",
			Envelope{Payload: []byte(`[{"id":"a","doc":1}]`), Meta: Meta{Total: 3, Page: 1, PerPage: 10, LastPage: 1, HasTotal: true, HasPage: true, HasPerPage: true, HasLastPage: true}}},
		{"komoju customer with envelope-like fields", Bare, `{"id":"a","resource":"customer","data":1,"doc":2,"docs":3,"total_count":4}`, "",
			Envelope{Payload: []byte(`{"id":"a","resource":"customer","data":1,"doc":2,"docs":3,"total_count":4}`)}},
		{"spark list", NamedList, `{"total_count":1234,"next_page":"https://x/api/v1/products?page=2","products":[{"id":1,"total_count":2}]}`, "products",
			Envelope{Payload: []byte(`[{"id":1,"total_count":2}]`), Meta: Meta{Total: 1234, HasTotal: true, Next: "https://x/api/v1/products?page=2"}}},
		{"spark list null", NamedList, `{"total_count":0,"products":null}`, "products", Envelope{Null: true, Meta: Meta{HasTotal: true}}},
		{"spark product with a doc", Bare, `{"id":1,"item_name":"Hat","doc":"manual.pdf"}`, "", Envelope{Payload: []byte(`{"id":1,"item_name":"Hat","doc":"manual.pdf"}`)}},
		{"bare array", Bare, `[{"id":1}]`, "", Envelope{Payload: []byte(`[{"id":1}]`)}},
		{"empty", Doc, ``, "", Envelope{Empty: true}},
		{"blank", Bare, " \n", "", Envelope{Empty: true}},
		{"numbers as strings", ResourceList, `{"resource":"list","total":"3","page":"1","data":[]}`, "",
			Envelope{Payload: []byte(`[]`), Meta: Meta{Total: 3, Page: 1, HasTotal: true, HasPage: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Decode(tt.shape, []byte(tt.body), tt.listKey)
			require.NoError(t, err)
			assert.Equal(t, string(tt.want.Payload), string(env.Payload))
			env.Payload, tt.want.Payload = nil, nil
			assert.Equal(t, tt.want, env)
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, shape := range []Shape{Bare, Doc, Docs, Data, ResourceList, NamedList} {
		for _, body := range []string{"<html>502 Bad Gateway</html>", "{", "[1,", "plain", `"doc"`} {
			_, err := Decode(shape, []byte(body), "products")
			assert.Error(t, err, "%s %s", shape, body)
		}
		if shape != Bare {
			_, err := Decode(shape, []byte(`[{"doc":1}]`), "products")
			assert.Error(t, err, "%s: an array is not its envelope", shape)
		}
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name string
		body string
		want ErrorBody
	}{
		{"ghost", `{"message":"Invalid id","status":400,"error":"Bad Request"}`,
			ErrorBody{Code: "Bad Request", Message: "Invalid id", Status: 400, Shape: "ghost"}},
		{"checkout", `{"success":false,"error":{"code":"NOT_FOUND","message":"Cart not found"}}`,
			ErrorBody{Code: "NOT_FOUND", Message: "Cart not found", Shape: "checkout"}},
		{"spark", `{"status_code":400,"message":"Bad Request","details":"This method requires one or more resource IDs to be specified"}`,
			ErrorBody{Message: "Bad Request", Details: "This method requires one or more resource IDs to be specified", Status: 400, Shape: "spark"}},
		{"komoju", `{"error":{"code":"missing_parameter","message":"A required parameter (payment_details) is missing","param":"payment_details"}}`,
			ErrorBody{Code: "missing_parameter", Message: "A required parameter (payment_details) is missing", Param: "payment_details", Shape: "komoju"}},
		{"spark details object", `{"status_code":409,"message":"Conflict","details":{"field":"price"}}`,
			ErrorBody{Message: "Conflict", Details: `{"field":"price"}`, Status: 409, Shape: "spark"}},
		{"html", `<html><body>502 Bad Gateway</body></html>`, ErrorBody{}},
		{"unknown json", `{"foo":"bar"}`, ErrorBody{}},
		{"empty", ``, ErrorBody{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ParseError([]byte(tt.body)))
		})
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		format string
		args   []string
		want   string
		bad    bool
	}{
		{"/api/v1/orders/%s", []string{"1"}, "/api/v1/orders/1", false},
		{"/a/%s/b/%s", []string{"x/y", "p?q#r"}, "/a/x%2Fy/b/p%3Fq%23r", false},
		{"/a/%s", []string{"50% off"}, "/a/50%25%20off", false},
		{"/a/%s", []string{"héllo"}, "/a/h%C3%A9llo", false},
		{"/a/%s", []string{".."}, "", true},
		{"/a/%s", []string{"."}, "", true},
		{"/a/%s", []string{""}, "", true},
		{"/a/%s", []string{"a\x00b"}, "", true},
	}
	for _, tt := range tests {
		got, err := Path(tt.format, tt.args...)
		if tt.bad {
			assert.ErrorIs(t, err, ErrBadPathParam, tt.args)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
}
