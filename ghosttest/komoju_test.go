package ghosttest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// komojuCall sends a raw request, as curl -u sk_test_ghost: would, and
// decodes the JSON answer.
func komojuCall(t *testing.T, srv *ghosttest.Server, method, path, contentType, body string, mod ...func(*http.Request)) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.SetBasicAuth(ghosttest.DefaultSecretKey, "")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, m := range mod {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

func newKomojuServer(t *testing.T, opts ...ghosttest.Option) *ghosttest.Server {
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(ghosttest.ProfileKomoju)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.Clock.Set(time.Date(2018, 11, 13, 6, 20, 21, 0, time.UTC))
	return srv
}

func TestKomojuMockCurlFormCreate(t *testing.T) {
	srv := newKomojuServer(t)
	// The seed's curl example: -d "email=…" -d "metadata[order_id]=…" -d "payment_details=tok_…".
	form := "email=test%40example.com&metadata%5Border_id%5D=abcdefg&payment_details=tok_38e6c5838b91e5d4e3771431b275f6de29fb3822e3471db31d682fb09d27b398cbvlxyj1jhhmcso2e3xytrmkr"
	status, got := komojuCall(t, srv, "POST", "/api/v1/customers", "application/x-www-form-urlencoded", form)
	require.Equal(t, http.StatusOK, status, got)
	id, _ := got["id"].(string)
	assert.Regexp(t, `^[0-9a-z]{25}$`, id)
	delete(got, "id")
	assert.Equal(t, map[string]any{
		"resource": "customer",
		"email":    "test@example.com",
		"source": map[string]any{
			"type": "credit_card", "brand": "visa", "last_four_digits": "1111", "month": float64(1), "year": float64(2023),
		},
		"metadata":   map[string]any{"order_id": "abcdefg"},
		"created_at": "2018-11-13T06:20:21Z",
	}, got)

	// Show returns the same object.
	status, shown := komojuCall(t, srv, "GET", "/api/v1/customers/"+id, "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, id, shown["id"])
	assert.Equal(t, "test@example.com", shown["email"])
}

func TestKomojuMockJSONCreateAndHash(t *testing.T) {
	srv := newKomojuServer(t)
	body := `{"email":"a@b.jp","currency":"JPY","metadata":{"k":"v"},"payment_details":{"type":"credit_card","number":"5555555555554444","month":12,"year":2030}}`
	status, got := komojuCall(t, srv, "POST", "/api/v1/customers", "application/json", body)
	require.Equal(t, http.StatusOK, status, got)
	assert.Equal(t, "JPY", got["currency"])
	assert.Equal(t, map[string]any{"type": "credit_card", "brand": "master", "last_four_digits": "4444", "month": float64(12), "year": float64(2030)}, got["source"])
}

func TestKomojuMockIDsAreDeterministic(t *testing.T) {
	ids := func() []string {
		srv := newKomojuServer(t, ghosttest.WithSeed(2))
		_, got := komojuCall(t, srv, "GET", "/api/v1/customers", "", "")
		var out []string
		for _, c := range got["data"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}
	a, b := ids(), ids()
	require.Len(t, a, 2)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a[0], a[1])
}

func TestKomojuMockErrors(t *testing.T) {
	srv := newKomojuServer(t, ghosttest.WithSeed(1))
	tests := []struct {
		name, method, path, ct, body string
		mod                          func(*http.Request)
		status                       int
		code, param                  string
	}{
		{"missing payment_details (form)", "POST", "/api/v1/customers", "application/x-www-form-urlencoded", "email=a%40b.jp", nil, 400, "missing_parameter", "payment_details"},
		{"missing payment_details (json)", "POST", "/api/v1/customers", "application/json", `{"email":"a@b.jp"}`, nil, 400, "missing_parameter", "payment_details"},
		{"bad currency", "POST", "/api/v1/customers", "application/json", `{"currency":"yen","payment_details":"tok_x"}`, nil, 400, "invalid_parameter", "currency"},
		{"bad token", "POST", "/api/v1/customers", "application/json", `{"payment_details":"nope"}`, nil, 400, "invalid_parameter", "payment_details"},
		{"malformed json", "POST", "/api/v1/customers", "application/json", `{`, nil, 400, "bad_request", ""},
		{"unknown id", "GET", "/api/v1/customers/zzzzzzzzzzzzzzzzzzzzzzzzz", "", "", nil, 404, "not_found", "id"},
		{"bad page", "GET", "/api/v1/customers?page=0", "", "", nil, 400, "invalid_parameter", "page"},
		{"wrong key", "GET", "/api/v1/customers", "", "", func(r *http.Request) { r.SetBasicAuth("sk_wrong", "") }, 401, "unauthorized", ""},
		{"ghost-style auth", "GET", "/api/v1/customers", "", "", func(r *http.Request) { r.SetBasicAuth(ghosttest.DefaultPublicKey, ghosttest.DefaultSecretKey) }, 401, "unauthorized", ""},
		{"no auth", "GET", "/api/v1/customers", "", "", func(r *http.Request) { r.Header.Del("Authorization") }, 401, "unauthorized", ""},
		{"put is not update", "PUT", "/api/v1/customers/x", "application/json", `{}`, nil, 405, "method_not_allowed", ""},
		{"idempotency key too long", "POST", "/api/v1/customers", "application/json", `{"payment_details":"tok_x"}`,
			func(r *http.Request) { r.Header.Set("X-KOMOJU-IDEMPOTENCY", strings.Repeat("k", 101)) }, 400, "invalid_parameter", "X-KOMOJU-IDEMPOTENCY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*http.Request)
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			status, got := komojuCall(t, srv, tt.method, tt.path, tt.ct, tt.body, mods...)
			assert.Equal(t, tt.status, status)
			e, ok := got["error"].(map[string]any)
			require.True(t, ok, "error shape: %v", got)
			assert.Equal(t, tt.code, e["code"])
			assert.NotEmpty(t, e["message"])
			if tt.param == "" {
				assert.Nil(t, e["param"])
			} else {
				assert.Equal(t, tt.param, e["param"])
			}
		})
	}
}

func TestKomojuMockListUpdateDestroy(t *testing.T) {
	srv := newKomojuServer(t, ghosttest.WithSeed(3))
	status, list := komojuCall(t, srv, "GET", "/api/v1/customers?per_page=2&page=2", "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "list", list["resource"])
	assert.Equal(t, float64(3), list["total"])
	assert.Equal(t, float64(2), list["page"])
	assert.Equal(t, float64(2), list["per_page"])
	assert.Equal(t, float64(2), list["last_page"])
	data := list["data"].([]any)
	require.Len(t, data, 1)
	first := data[0].(map[string]any)
	assert.Equal(t, "customer1@example.com", first["email"]) // newest first: the oldest is last
	assert.Nil(t, first["source"])
	id := first["id"].(string)

	// Default page size is the seed's 10.
	_, list = komojuCall(t, srv, "GET", "/api/v1/customers", "", "")
	assert.Equal(t, float64(10), list["per_page"])
	assert.Len(t, list["data"], 3)

	// PATCH, form-encoded as the seed's curl does it.
	status, upd := komojuCall(t, srv, "PATCH", "/api/v1/customers/"+id, "application/x-www-form-urlencoded", "payment_details=tok_840321")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "customer1@example.com", upd["email"])
	assert.Equal(t, "1111", upd["source"].(map[string]any)["last_four_digits"])

	// Destroy returns the deleted object; then it is gone.
	status, del := komojuCall(t, srv, "DELETE", "/api/v1/customers/"+id, "", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, upd, del)
	status, _ = komojuCall(t, srv, "GET", "/api/v1/customers/"+id, "", "")
	assert.Equal(t, http.StatusNotFound, status)
	_, list = komojuCall(t, srv, "GET", "/api/v1/customers", "", "")
	assert.Equal(t, float64(2), list["total"])
}

func TestKomojuMockIdempotency(t *testing.T) {
	srv := newKomojuServer(t)
	key := func(r *http.Request) { r.Header.Set("X-KOMOJU-IDEMPOTENCY", "create-1") }
	body := `{"email":"x@y.jp","payment_details":"tok_abc"}`
	_, a := komojuCall(t, srv, "POST", "/api/v1/customers", "application/json", body, key)
	_, b := komojuCall(t, srv, "POST", "/api/v1/customers", "application/json", body, key)
	assert.Equal(t, a, b)
	assert.Equal(t, 1, srv.IdempotentReplays())
	status, c := komojuCall(t, srv, "POST", "/api/v1/customers", "application/json", `{"email":"other@y.jp","payment_details":"tok_abc"}`, key)
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, "idempotency_conflict", c["error"].(map[string]any)["code"])
	_, list := komojuCall(t, srv, "GET", "/api/v1/customers", "", "")
	assert.Equal(t, float64(1), list["total"])
}

func TestKomojuProfileOnly(t *testing.T) {
	// ProfileAll leaves /api/v1/customers to the Ghost part: the Komoju
	// part is not registered there.
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileAll))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/customers", nil)
	req.SetBasicAuth(ghosttest.DefaultSecretKey, "")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	assert.NotContains(t, string(raw), `"resource":"list"`)
}

func TestKomojuMockFormHash(t *testing.T) {
	srv := newKomojuServer(t)
	form := "email=h%40example.com&currency=USD&payment_details%5Btype%5D=credit_card&payment_details%5Bnumber%5D=4242424242424242&payment_details%5Bmonth%5D=3&payment_details%5Byear%5D=2030"
	status, got := komojuCall(t, srv, "POST", "/api/v1/customers", "application/x-www-form-urlencoded", form)
	require.Equal(t, http.StatusOK, status, got)
	assert.Equal(t, "USD", got["currency"])
	assert.Equal(t, map[string]any{"type": "credit_card", "brand": "visa", "last_four_digits": "4242", "month": float64(3), "year": float64(2030)}, got["source"])

	status, got = komojuCall(t, srv, "POST", "/api/v1/customers", "application/x-www-form-urlencoded", "payment_details%5Btype%5D=credit_card&payment_details%5Bnumber%5D=12")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "payment_details", got["error"].(map[string]any)["param"])
}

func TestKomojuMockExactBodies(t *testing.T) {
	srv := newKomojuServer(t)
	_, created := komojuCall(t, srv, "POST", "/api/v1/customers", "application/x-www-form-urlencoded", "email=eldon%40dare.co&metadata%5Border_id%5D=abcdefg&payment_details=tok_1")
	id := created["id"].(string)
	raw := func(path string) string {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.SetBasicAuth(ghosttest.DefaultSecretKey, "")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	customer := `{"id":"` + id + `","resource":"customer","email":"eldon@dare.co","source":{"type":"credit_card","brand":"visa","last_four_digits":"1111","month":1,"year":2023},"metadata":{"order_id":"abcdefg"},"created_at":"2018-11-13T06:20:21Z"}`
	assert.Equal(t, customer, raw("/api/v1/customers/"+id))
	assert.Equal(t, `{"resource":"list","total":1,"page":1,"per_page":10,"last_page":1,"data":[`+customer+`]}`, raw("/api/v1/customers"))
}

// TestKomojuMockListTimeRange: start_time and end_time filter the list on
// created_at, bounds included; a date-time that does not parse is a 400
// naming the parameter.
func TestKomojuMockListTimeRange(t *testing.T) {
	srv := newKomojuServer(t)
	base := srv.Clock.Now()
	for i := range 3 {
		status, got := komojuCall(t, srv, "POST", "/api/v1/customers", "application/json",
			fmt.Sprintf(`{"email":"c%d@example.com","payment_details":"tok_abc"}`, i))
		require.Equal(t, http.StatusOK, status, got)
		srv.Clock.Advance(time.Minute)
	}
	at := func(min int) string {
		return url.QueryEscape(base.Add(time.Duration(min) * time.Minute).Format(time.RFC3339))
	}
	emails := func(got map[string]any) []string {
		var out []string
		for _, c := range got["data"].([]any) {
			out = append(out, c.(map[string]any)["email"].(string))
		}
		return out
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"start_time=" + at(1), []string{"c2@example.com", "c1@example.com"}},
		{"end_time=" + at(1), []string{"c1@example.com", "c0@example.com"}},
		{"start_time=" + at(1) + "&end_time=" + at(1), []string{"c1@example.com"}},
		// Fractional seconds, as KOMOJU's Node SDK sends Date.toISOString().
		{"start_time=2018-11-13T06%3A21%3A20.999Z&end_time=2018-11-13T06%3A21%3A21.000Z", []string{"c1@example.com"}},
		{"start_time=" + at(5), nil},
	} {
		status, got := komojuCall(t, srv, "GET", "/api/v1/customers?"+tt.query, "", "")
		require.Equal(t, http.StatusOK, status, got)
		assert.Equal(t, tt.want, emails(got), tt.query)
		assert.Equal(t, float64(len(tt.want)), got["total"], tt.query)
	}
	for _, name := range []string{"start_time", "end_time"} {
		status, got := komojuCall(t, srv, "GET", "/api/v1/customers?"+name+"=yesterday", "", "")
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_parameter", got["error"].(map[string]any)["code"])
		assert.Equal(t, name, got["error"].(map[string]any)["param"])
	}
}
