package ghosttest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sparkCall sends a raw request with the X-AC-Auth-Token header and decodes
// the JSON answer (nil for an empty body).
func sparkCall(t *testing.T, srv *ghosttest.Server, method, path, body string, mod ...func(*http.Request)) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("X-AC-Auth-Token", ghosttest.DefaultAuthToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, m := range mod {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(raw) == 0 {
		return resp, nil
	}
	var out map[string]any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	require.NoError(t, d.Decode(&out), string(raw))
	return resp, out
}

func newSparkServer(t *testing.T, opts ...ghosttest.Option) *ghosttest.Server {
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(ghosttest.ProfileSparkPay)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

func names(t *testing.T, list any, field string) []string {
	t.Helper()
	var out []string
	for _, it := range list.([]any) {
		out = append(out, string(jsonText(it.(map[string]any)[field])))
	}
	return out
}

func jsonText(v any) string {
	switch v := v.(type) {
	case json.Number:
		return v.String()
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSparkMockListPaging(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithSeed(5))
	resp, got := sparkCall(t, srv, "GET", "/api/v1/products?count=2&sort=-price", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, json.Number("5"), got["total_count"])
	assert.Equal(t, []string{"5", "4"}, names(t, got["products"], "id"))
	assert.Nil(t, got["previous_page"])
	next, err := url.Parse(got["next_page"].(string))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimPrefix(srv.URL, "http://"), next.Host)
	assert.Equal(t, "/api/v1/products", next.Path)
	assert.Equal(t, url.Values{"page": {"2"}, "count": {"2"}, "sort": {"-price"}}, next.Query())

	resp, got = sparkCall(t, srv, "GET", next.RequestURI(), "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"3", "2"}, names(t, got["products"], "id"))
	assert.Contains(t, got["previous_page"], "page=1")

	_, got = sparkCall(t, srv, "GET", "/api/v1/products?count=2&page=3", "")
	assert.Equal(t, []string{"5"}, names(t, got["products"], "id"))
	assert.Nil(t, got["next_page"])

	for _, page := range []string{"4", "0"} {
		resp, got = sparkCall(t, srv, "GET", "/api/v1/products?count=2&page="+page, "")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Equal(t, json.Number("404"), got["status_code"])
		assert.Equal(t, "Not Found", got["message"])
	}

	// Default count is 100: one page.
	_, got = sparkCall(t, srv, "GET", "/api/v1/products", "")
	assert.Len(t, got["products"], 5)
	assert.Nil(t, got["next_page"])
}

func TestSparkMockExpandFieldsFilters(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithSeed(3))
	_, got := sparkCall(t, srv, "GET", "/api/v1/products?fields=id,item_name,categories", "")
	first := got["products"].([]any)[0].(map[string]any)
	cat := first["categories"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"id": json.Number("1"), "item_name": "Item 1", "categories": []any{cat}}, first)
	// A nested item carries every field of its resource (its zero when unset).
	assert.Equal(t, json.Number("1"), cat["id"])
	assert.Equal(t, "Category 1", cat["name"])
	assert.Equal(t, json.Number("0"), cat["parent_category_id"])
	assert.Equal(t, "", cat["short_description"])
	assert.Equal(t, false, cat["is_hidden"])
	assert.NotContains(t, cat, "parent_id")

	_, got = sparkCall(t, srv, "GET", "/api/v1/products?expand=variants", "")
	first = got["products"].([]any)[0].(map[string]any)
	assert.Len(t, first["variants"], 2)
	assert.NotContains(t, first, "categories")

	_, got = sparkCall(t, srv, "GET", "/api/v1/products", "")
	assert.NotContains(t, got["products"].([]any)[0], "variants")

	tests := []struct {
		query string
		ids   []string
	}{
		{"price=gt:20", []string{"2", "3"}},
		{"price=gte:20.99", []string{"2", "3"}},
		{"price=lt:20.99", []string{"1"}},
		{"price=lte:20.99", []string{"1", "2"}},
		{"price=eq:30.99", []string{"3"}},
		{"item_name=not:Item%202", []string{"1", "3"}},
		{"item_name=like:tem%203", []string{"3"}},
		{"item_number=startwith:item-", []string{"1", "2", "3"}},
		{"item_number=eq:item-2", []string{"2"}},
		{"price=gt:10&price=lt:30", []string{"1", "2"}},
		{"created_at=lte:2999-01-01T00:00:00Z", []string{"1", "2", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, got := sparkCall(t, srv, "GET", "/api/v1/products?"+tt.query, "")
			require.Equal(t, http.StatusOK, resp.StatusCode, got)
			assert.Equal(t, tt.ids, names(t, got["products"], "id"))
		})
	}

	for _, bad := range []string{"expand=nope", "fields=nope", "sort=nope", "nope=eq:1", "price=gt:abc", "count=0", "page=x"} {
		resp, got := sparkCall(t, srv, "GET", "/api/v1/products?"+bad, "")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, bad)
		assert.Equal(t, "Bad Request", got["message"], bad)
	}
}

func TestSparkMockSingleFilledNestedSelectMany(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithSeed(3))
	_, got := sparkCall(t, srv, "GET", "/api/v1/products/2?fields=id,price", "")
	assert.Equal(t, map[string]any{"id": json.Number("2"), "price": json.Number("20.99")}, got)

	_, got = sparkCall(t, srv, "GET", "/api/v1/products/2/filled?fields=id,variants,categories", "")
	assert.Len(t, got["variants"], 2)
	assert.Len(t, got["categories"], 1)
	assert.Len(t, got, 3)

	_, got = sparkCall(t, srv, "GET", "/api/v1/products/2/variants?sort=-sort_order&fields=id,product_id,description", "")
	assert.Equal(t, json.Number("2"), got["total_count"])
	assert.Equal(t, []any{
		map[string]any{"id": json.Number("4"), "product_id": json.Number("2"), "description": "Item 2 variant 2"},
		map[string]any{"id": json.Number("3"), "product_id": json.Number("2"), "description": "Item 2 variant 1"},
	}, got["variants"])

	resp, _ := sparkCall(t, srv, "GET", "/api/v1/products/2/nope", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = sparkCall(t, srv, "GET", "/api/v1/products/99", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	_, got = sparkCall(t, srv, "GET", "/api/v1/products/select_many?ids=3,1,99&sort=price", "")
	assert.Equal(t, []string{"1", "3"}, names(t, got["products"], "id"))

	resp, got = sparkCall(t, srv, "GET", "/api/v1/products/select_many", "")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, map[string]any{"status_code": json.Number("400"), "message": "Bad Request",
		"details": "This method requires one or more resource IDs to be specified"}, got)
}

func TestSparkMockWrites(t *testing.T) {
	srv := newSparkServer(t)
	// Create a product with inline variants and a new category.
	resp, got := sparkCall(t, srv, "POST", "/api/v1/products",
		`{"item_name":"Shirt","item_number":"sh-1","price":19.99,"variants":[{"description":"S","sort_order":1,"price_adjustment":0},{"description":"L","sort_order":2,"price_adjustment":"1.50"}],"categories":[{"name":"Clothes"}]}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, got)
	assert.Equal(t, json.Number("1"), got["id"])
	assert.Equal(t, json.Number("19.99"), got["price"])
	_, got = sparkCall(t, srv, "GET", "/api/v1/products/1/filled", "")
	assert.Equal(t, []string{"S", "L"}, names(t, got["variants"], "description"))
	assert.Equal(t, []string{"0", "1.50"}, names(t, got["variants"], "price_adjustment"))
	assert.Equal(t, []string{"Clothes"}, names(t, got["categories"], "name"))

	// POST with an existing id updates: 200.
	resp, got = sparkCall(t, srv, "POST", "/api/v1/products", `{"id":1,"price":17.00}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	assert.Equal(t, json.Number("17.00"), got["price"])
	assert.Equal(t, "Shirt", got["item_name"])

	// PUT is partial; 404 when missing.
	resp, got = sparkCall(t, srv, "PUT", "/api/v1/products/1", `{"item_number":"sh-2"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	assert.Equal(t, "sh-2", got["item_number"])
	assert.Equal(t, json.Number("17.00"), got["price"])
	resp, _ = sparkCall(t, srv, "PUT", "/api/v1/products/9", `{"item_number":"x"}`)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Validation → 409; malformed JSON → 400.
	for _, body := range []string{`{"price":1}`, `{"item_name":""}`, `{"item_name":"x","price":"abc"}`, `{"item_name":"x","bogus":1}`, `{"item_name":"x","variants":[{"price_adjustment":"x"}]}`, `{"item_name":"x","variants":[{"price":1}]}`} {
		resp, got = sparkCall(t, srv, "POST", "/api/v1/products", body)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, body)
		assert.Equal(t, "Conflict", got["message"], body)
		assert.NotEmpty(t, got["details"], body)
	}
	resp, _ = sparkCall(t, srv, "POST", "/api/v1/products", `{`)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = sparkCall(t, srv, "POST", "/api/v1/product_variants", `{"product_id":42,"description":"x"}`)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = sparkCall(t, srv, "POST", "/api/v1/variants", `{"product_id":1,"description":"x"}`)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the API has no /variants root resource")

	// DELETE → 204 with no body, then 404; the product's variants go too.
	resp, got = sparkCall(t, srv, "DELETE", "/api/v1/products/1", "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Nil(t, got)
	resp, _ = sparkCall(t, srv, "DELETE", "/api/v1/products/1", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	_, got = sparkCall(t, srv, "GET", "/api/v1/product_variants", "")
	assert.Equal(t, json.Number("0"), got["total_count"])
	assert.Equal(t, []any{}, got["product_variants"])
}

func TestSparkMockCustomersOrders(t *testing.T) {
	srv := newSparkServer(t)
	// AmeriCommerce's get_customer.py: a JSON body without Content-Type,
	// with store_id; then the lookup by email it starts with.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/customers", strings.NewReader(`{"last_name":"Doe","first_name":"John","email":"JohnDoe@email.com","store_id":1}`))
	req.Header.Set("X-AC-Auth-Token", ghosttest.DefaultAuthToken)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	_, got := sparkCall(t, srv, "GET", "/api/v1/customers?email=JohnDoe@email.com", "")
	require.Equal(t, json.Number("1"), got["total_count"])
	cust := got["customers"].([]any)[0].(map[string]any)
	assert.Equal(t, json.Number("1"), cust["store_id"])
	assert.Equal(t, "John", cust["first_name"])
	assert.NotContains(t, cust, "addresses", "an unexpanded nested collection is absent, as in the API's sample models")
	assert.Contains(t, cust, "customer_payment_methods_availability", "every field of the description is echoed")

	// Nested addresses on create; expand, /filled and the nested list.
	resp, got := sparkCall(t, srv, "POST", "/api/v1/customers", `{"email":"a@b.com","first_name":"A","is_no_tax_customer":true,"credit_limit":10.50,
		"store_payment_methods_enabled":["Checks"],"addresses":[{"address_line_1":"251 N Bristol Ave","city":"Los Angeles","is_default_shipping_address":true}]}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, got)
	assert.Equal(t, true, got["is_no_tax_customer"])
	assert.Equal(t, json.Number("10.50"), got["credit_limit"])
	assert.Equal(t, []any{"Checks"}, got["store_payment_methods_enabled"])
	_, got = sparkCall(t, srv, "GET", "/api/v1/customers/2?expand=addresses", "")
	addr := got["addresses"].([]any)[0].(map[string]any)
	assert.Equal(t, json.Number("2"), addr["customer_id"])
	assert.Equal(t, "251 N Bristol Ave", addr["address_line_1"])
	_, got = sparkCall(t, srv, "GET", "/api/v1/customers/2/addresses", "")
	assert.Equal(t, json.Number("1"), got["total_count"])

	// Orders use the description's names, items nested.
	resp, got = sparkCall(t, srv, "POST", "/api/v1/orders", `{"customer_id":2,"order_status_id":1,"subtotal":20,"tax_total":1.65,
		"shipping_total":5,"grand_total":26.65,"is_gift":false,"items":[{"product_id":4,"item_name":"Golf Balls","price":10,"quantity":2}]}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, got)
	assert.Equal(t, json.Number("26.65"), got["grand_total"])
	assert.NotContains(t, got, "items")
	// create_shipment_for_order.py reads the order with its items.
	resp, got = sparkCall(t, srv, "GET", "/api/v1/orders/1?expand=items", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	item := got["items"].([]any)[0].(map[string]any)
	assert.Equal(t, json.Number("1"), item["order_id"])
	assert.Equal(t, "Golf Balls", item["item_name"])
	assert.Equal(t, json.Number("2"), item["quantity"])
	_, got = sparkCall(t, srv, "GET", "/api/v1/orders/1/filled", "")
	assert.Len(t, got["items"], 1)
	_, got = sparkCall(t, srv, "GET", "/api/v1/orders/1/items", "")
	assert.Equal(t, json.Number("1"), got["total_count"])
	_, got = sparkCall(t, srv, "GET", "/api/v1/orders?order_status_id=1&fields=id,grand_total", "")
	assert.Equal(t, []any{map[string]any{"id": json.Number("1"), "grand_total": json.Number("26.65")}}, got["orders"])

	// Deleting the order deletes its items.
	resp, _ = sparkCall(t, srv, "DELETE", "/api/v1/orders/1", "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)

	for body, details := range map[string]string{
		`{"customer_id":7}`:                          "customer_id 7 does not exist",
		`{"subtotal":"abc"}`:                         "subtotal must be a decimal number",
		`{"order_status_id":1.5}`:                    "order_status_id must be an integer",
		`{"is_gift":"yes"}`:                          "is_gift must be true or false",
		`{"amount":300}`:                             `"amount" is not a field of orders`,
		`{"order_items":[]}`:                         `"order_items" is not a field of orders`,
		`{"items":[{"quantity":"two"}]}`:             "items[0]: quantity must be an integer",
		`{"items":{"quantity":1}}`:                   "items must be an array",
		`{"grand_total":-1}`:                         "grand_total must not be negative",
		`{"items":[{"order_id":9,"item_name":"x"}]}`: "",
	} {
		resp, got = sparkCall(t, srv, "POST", "/api/v1/orders", body)
		if details == "" {
			assert.Equal(t, http.StatusCreated, resp.StatusCode, body) // order_id is set from the parent
			continue
		}
		assert.Equal(t, http.StatusConflict, resp.StatusCode, body)
		assert.Equal(t, details, got["details"], body)
	}
	for body, details := range map[string]string{
		`{"email":"not-an-email"}`:             `"not-an-email" is not a valid email address`,
		`{"email":"c@d.com","store_id":"19"}`:  "store_id must be an integer",
		`{"email":"c@d.com","metadata":{}}`:    `"metadata" is not a field of customers`,
		`{"email":"c@d.com","addresses":null}`: "addresses cannot be null",
	} {
		resp, got = sparkCall(t, srv, "POST", "/api/v1/customers", body)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, body)
		assert.Equal(t, details, got["details"], body)
	}
	// order_items and addresses are nested only: as root resources they
	// are documented but not modelled.
	resp, _ = sparkCall(t, srv, "GET", "/api/v1/order_items", "")
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
}

func TestSparkMockAuthAndCallLimit(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileSparkPay, SparkCallLimit: 3}))
	srv.Clock.Set(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))

	resp, got := sparkCall(t, srv, "GET", "/api/v1/products", "", func(r *http.Request) { r.Header.Set("X-AC-Auth-Token", "wrong") })
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, json.Number("401"), got["status_code"])
	assert.Equal(t, "Unauthorized", got["message"])
	assert.Equal(t, "0/3", resp.Header.Get("X-AC-Call-Limit"))

	// Every response counts and carries the header: errors, unknown paths
	// and unmodelled resources too.
	for i, path := range []string{"/api/v1/products", "/api/v1/products/99", "/api/v1/shipping_providers"} {
		resp, _ = sparkCall(t, srv, "GET", path, "")
		assert.Equal(t, fmt.Sprintf("%d/3", i+1), resp.Header.Get("X-AC-Call-Limit"), path)
	}
	srv.Clock.Advance(4 * time.Second)
	resp, got = sparkCall(t, srv, "GET", "/api/v1/products", "")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "6", resp.Header.Get("Retry-After"), "seconds until the 10-second window resets")
	assert.Equal(t, "3/3", resp.Header.Get("X-AC-Call-Limit"))
	assert.Equal(t, "Too Many Requests", got["message"])

	srv.Clock.Advance(5 * time.Second)
	resp, _ = sparkCall(t, srv, "GET", "/api/v1/products", "")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	srv.Clock.Advance(time.Second)
	resp, _ = sparkCall(t, srv, "GET", "/api/v1/products", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "1/3", resp.Header.Get("X-AC-Call-Limit"))
}

// An unconfigured mock advertises a limit (never 0) that tests do not reach.
func TestSparkMockDefaultCallLimit(t *testing.T) {
	srv := newSparkServer(t)
	srv.Clock.Freeze()
	for i := 1; i <= 300; i++ {
		resp, _ := sparkCall(t, srv, "GET", "/api/v1/categories", "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, fmt.Sprintf("%d/%d", i, ghosttest.DefaultSparkCallLimit), resp.Header.Get("X-AC-Call-Limit"))
	}
	for _, limit := range []int{0, -1} {
		srv := newSparkServer(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileSparkPay, SparkCallLimit: limit}))
		resp, _ := sparkCall(t, srv, "GET", "/api/v1/categories", "")
		assert.Equal(t, fmt.Sprintf("1/%d", ghosttest.DefaultSparkCallLimit), resp.Header.Get("X-AC-Call-Limit"), limit)
	}
}

func TestSparkMockProfiles(t *testing.T) {
	all := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileAll), ghosttest.WithSeed(1))
	defer all.Close()
	for _, res := range []string{"products", "categories", "product_variants"} {
		for _, prefix := range []string{"", ghosttest.SparkPrefix} {
			resp, got := sparkCall(t, all, "GET", prefix+"/api/v1/"+res, "")
			assert.Equal(t, http.StatusOK, resp.StatusCode, res)
			assert.Contains(t, got, res)
			assert.Regexp(t, fmt.Sprintf(`^[1-9][0-9]*/%d$`, ghosttest.DefaultSparkCallLimit), resp.Header.Get("X-AC-Call-Limit"), res)
		}
	}
	resp, _ := sparkCall(t, all, "GET", ghosttest.SparkPrefix+"/api/v1/shipping_provider_services", "")
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("X-AC-Call-Limit"))
	// Under ProfileAll, customers and orders belong to the Ghost part.
	for _, res := range []string{"customers", "orders"} {
		_, got := sparkCall(t, all, "GET", "/api/v1/"+res, "")
		assert.NotContains(t, got, "total_count", res)
	}
}

func TestSparkMockUnknownMethodsAndPaths(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithSeed(1))
	resp, got := sparkCall(t, srv, "PATCH", "/api/v1/products/1", `{"item_name":"x"}`)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, json.Number("405"), got["status_code"])
	resp, got = sparkCall(t, srv, "GET", "/api/v1/products/1/variants/3", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "Not Found", got["message"])
	resp, _ = sparkCall(t, srv, "GET", "/api/v1/products/abc", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = sparkCall(t, srv, "GET", "/api/v1/products/1?bogus=1", "")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestSparkMockMultiKeySort(t *testing.T) {
	srv := newSparkServer(t)
	for _, body := range []string{
		`{"item_name":"b","price":5}`, `{"item_name":"a","price":5}`, `{"item_name":"c","price":9}`, `{"item_name":"d"}`,
	} {
		resp, got := sparkCall(t, srv, "POST", "/api/v1/products", body)
		require.Equal(t, http.StatusCreated, resp.StatusCode, got)
	}
	tests := map[string][]string{
		"sort=-price,item_name": {"c", "a", "b", "d"},
		"sort=price,-item_name": {"d", "b", "a", "c"},
		"sort=item_name":        {"a", "b", "c", "d"},
		"sort=-id":              {"d", "c", "a", "b"},
	}
	for query, want := range tests {
		_, got := sparkCall(t, srv, "GET", "/api/v1/products?"+query, "")
		assert.Equal(t, want, names(t, got["products"], "item_name"), query)
	}
}

func TestSparkMockExactBodies(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithSeed(1))
	raw := func(path string) string {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("X-AC-Auth-Token", ghosttest.DefaultAuthToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	assert.Equal(t, `{"status_code":400,"message":"Bad Request","details":"This method requires one or more resource IDs to be specified"}`,
		raw("/api/v1/products/select_many"))
	assert.Equal(t, `{"id":1,"item_name":"Item 1","item_number":"item-1","price":10.99}`,
		raw("/api/v1/products/1?fields=price,item_number,item_name,id"))
	host := strings.TrimPrefix(srv.URL, "http://")
	assert.Equal(t, `{"total_count":2,"next_page":"http://`+host+`/api/v1/product_variants?count=1&fields=id&page=2","product_variants":[{"id":1}]}`,
		raw("/api/v1/product_variants?count=1&fields=id"))
	// Unset fields read as the vendor's examples write them, never null;
	// an unset date is left out.
	cat := raw("/api/v1/categories/1")
	stamp := regexp.MustCompile(`"(updated|created)_at":"[^"]+"`)
	assert.Equal(t, `{"id":1,"name":"Category 1","short_description":"","sort_order":1,"is_hidden":false,`+
		`"parent_category_id":0,"max_quantity":0,"category_thumbnail":"","page_title":"","lookup_path":"","keywords":"",`+
		`"meta_description":"","category_image":"","external_content_url":"","is_category_content_displayed":false,`+
		`"are_subcategory_products_displayed":false,"url_rewrite":"","updated_at":"T","created_at":"T",`+
		`"default_product_picture":"","alternate_thumbnail":"","head_tags":"","cat_image_alt_text":"",`+
		`"thumb_image_alt_text":"","is_hide_from_site_maps":false}`,
		stamp.ReplaceAllString(cat, `"${1}_at":"T"`))
}

// No modelled resource writes null for a field, whatever was set; seeded
// items fill what the API requires on create.
func TestSparkMockNoNulls(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithSeed(2))
	for _, path := range []string{
		"/api/v1/products?expand=variants,categories", "/api/v1/product_variants", "/api/v1/categories",
		"/api/v1/customers?expand=addresses", "/api/v1/orders?expand=items",
		"/api/v1/products/1/filled", "/api/v1/customers/1/filled", "/api/v1/orders/1/filled",
	} {
		resp, got := sparkCall(t, srv, "GET", path, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		b, _ := json.Marshal(got)
		assert.NotContains(t, string(b), "null", path)
	}
	// A null in a body unsets the field: it reads as its zero again.
	resp, got := sparkCall(t, srv, "PUT", "/api/v1/customers/1", `{"company":null,"tax_rate":null,"last_visit_at":null,"registered_at":"2019-04-01T15:16:00-05:00"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	assert.Equal(t, "", got["company"])
	assert.Equal(t, json.Number("0"), got["tax_rate"])
	assert.NotContains(t, got, "last_visit_at")
	assert.Equal(t, "2019-04-01T15:16:00-05:00", got["registered_at"])
	resp, got = sparkCall(t, srv, "PUT", "/api/v1/customers/1", `{"registered_at":"yesterday"}`)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, got)

	_, got = sparkCall(t, srv, "GET", "/api/v1/products/2", "")
	assert.Equal(t, "00000000-0000-0000-0000-000000000000", got["cart_product_id"], "an unset GUID, as the API writes it")
	resp, got = sparkCall(t, srv, "PUT", "/api/v1/products/2", `{"cart_product_id":"x"}`)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, got)
	_, got = sparkCall(t, srv, "GET", "/api/v1/products/2", "")
	assert.Equal(t, json.Number("2"), got["primary_category_id"])
	assert.Equal(t, json.Number("1"), got["product_status_id"])
	_, got = sparkCall(t, srv, "GET", "/api/v1/orders/2", "")
	for _, f := range []string{"customer_id", "order_status_id", "order_shipping_address_id", "order_billing_address_id"} {
		assert.NotEqual(t, json.Number("0"), got[f], f)
	}
	_, got = sparkCall(t, srv, "GET", "/api/v1/product_variants/1", "")
	assert.Equal(t, json.Number("1"), got["variant_group_id"])
}

// The vendor's product-group example posts custom_url and child_products,
// which the description's schema leaves out: they are accepted, and echoed
// only once set.
func TestSparkMockVendorProductGroupFields(t *testing.T) {
	srv := newSparkServer(t, ghosttest.WithSeed(1))
	resp, got := sparkCall(t, srv, "POST", "/api/v1/products", `{"item_number":"grp-1","item_name":"Group","price":123.0,"cost":61.5,`+
		`"product_status_id":1,"primary_category_id":1,"is_child_product":false,"custom_url":null,"is_kit":true,`+
		`"exclude_parent_from_display":false,"child_products":[{"id":1,"is_child_product":true,"child_required_quantity":0}]}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, got)
	assert.NotContains(t, got, "custom_url")
	assert.Len(t, got["child_products"], 1)
	_, got = sparkCall(t, srv, "GET", "/api/v1/products/1", "")
	assert.NotContains(t, got, "child_products")
	resp, got = sparkCall(t, srv, "PUT", "/api/v1/products/1", `{"custom_url":"/item-1"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	assert.Equal(t, "/item-1", got["custom_url"])
}
