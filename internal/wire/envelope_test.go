package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		listKey string
		kind    Kind
		payload string
		meta    Meta
		success bool
	}{
		{"ghost doc", `{"doc":{"id":1}}`, "", KindDoc, `{"id":1}`, Meta{}, false},
		{"ghost docs", `{"docs":[{"id":1},{"id":2}]}`, "", KindDocs, `[{"id":1},{"id":2}]`, Meta{}, false},
		{"ghost doc holding a list", `{"doc":[{"id":1}]}`, "", KindDoc, `[{"id":1}]`, Meta{}, false},
		{"ghost delete", `{"success": true}`, "", KindSuccess, ``, Meta{}, true},
		{"checkout single", `{"success":true,"data":{"id":"cart_1"}}`, "", KindData, `{"id":"cart_1"}`, Meta{}, true},
		{"checkout list", `{"success":true,"data":{"carts":[{"id":"c"}],"pagination":{"page":2,"limit":10,"total":45,"totalPages":5}}}`, "carts",
			KindData, `[{"id":"c"}]`, Meta{Total: 45, Page: 2, PerPage: 10, LastPage: 5, HasTotal: true, HasPage: true, HasPerPage: true, HasLastPage: true}, true},
		{"komoju list", `{"resource":"list","total":3,"page":1,"per_page":10,"last_page":1,"data":[{"id":"a"}]}`, "",
			KindResourceList, `[{"id":"a"}]`, Meta{Total: 3, Page: 1, PerPage: 10, LastPage: 1, HasTotal: true, HasPage: true, HasPerPage: true, HasLastPage: true}, false},
		{"komoju customer is bare despite resource", `{"id":"a","resource":"customer","data":1}`, "", KindBare, `{"id":"a","resource":"customer","data":1}`, Meta{}, false},
		{"spark list", `{"total_count":1234,"next_page":"https://x/api/v1/products?page=2","products":[{"id":1}]}`, "products",
			KindTotalCount, `[{"id":1}]`, Meta{Total: 1234, HasTotal: true, Next: "https://x/api/v1/products?page=2"}, false},
		{"bare object", `{"id":1,"item_name":"Item 1"}`, "", KindBare, `{"id":1,"item_name":"Item 1"}`, Meta{}, false},
		{"bare array", `[{"id":1}]`, "", KindBare, `[{"id":1}]`, Meta{}, false},
		{"empty", ``, "", KindEmpty, ``, Meta{}, false},
		{"numbers as strings", `{"resource":"list","total":"3","page":"1","data":[]}`, "", KindResourceList, `[]`,
			Meta{Total: 3, Page: 1, HasTotal: true, HasPage: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Parse([]byte(tt.body), tt.listKey)
			require.NoError(t, err)
			assert.Equal(t, tt.kind, env.Kind)
			assert.Equal(t, tt.payload, string(env.Payload))
			assert.Equal(t, tt.meta, env.Meta)
			assert.Equal(t, tt.success, env.Success)
		})
	}
}

func TestParseRejectsNonJSON(t *testing.T) {
	for _, body := range []string{"<html>502 Bad Gateway</html>", "{", "[1,", "plain"} {
		_, err := Parse([]byte(body), "")
		assert.Error(t, err, body)
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

// An envelope key holding null leaves a bare object marked Null, so the
// executor can refuse it rather than decode a zero value.
func TestParseNullEnvelope(t *testing.T) {
	for body, null := range map[string]bool{
		`{"doc":null}`:            true,
		`{"docs":null}`:           true,
		`{"data":null}`:           true,
		`{"id":1,"data":null}`:    true,
		`{"id":1}`:                false,
		`{"id":1,"resource":"x"}`: false,
	} {
		env, err := Parse([]byte(body), "")
		require.NoError(t, err, body)
		assert.Equal(t, KindBare, env.Kind, body)
		assert.Equal(t, null, env.Null, body)
	}
}
