package ghosttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var checkoutT0 = time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)

func checkoutServer(t *testing.T, opts ...ghosttest.Option) *ghosttest.Server {
	t.Helper()
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(ghosttest.ProfileCheckout)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.Clock.Set(checkoutT0)
	return srv
}

type checkoutResp struct {
	status int
	header http.Header
	body   string
}

// checkoutCall sends a plain HTTP request, as curl would; apiKey "" sends no
// x-api-key header.
func checkoutCall(t *testing.T, srv *ghosttest.Server, method, path, apiKey, body string) checkoutResp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	require.NoError(t, err)
	if apiKey != "" {
		req.Header.Set("x-api-key", apiKey)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return checkoutResp{resp.StatusCode, resp.Header, string(b)}
}

// data returns the "data" of a success envelope.
func (r checkoutResp) data(t *testing.T) string {
	t.Helper()
	var env struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &env), r.body)
	require.True(t, env.Success, r.body)
	return string(env.Data)
}

// errorCode returns the code of a {success:false,error:{code,message}} body.
func (r checkoutResp) errorCode(t *testing.T) string {
	t.Helper()
	var env struct {
		Success *bool `json:"success"`
		Error   struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &env), r.body)
	require.NotNil(t, env.Success, r.body)
	assert.False(t, *env.Success)
	assert.NotEmpty(t, env.Error.Message)
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	return env.Error.Code
}

const checkoutKey = ghosttest.DefaultAPIKey

const seedCartBody = `{"customerEmail":"customer@example.com","customerName":"John Doe",
	"items":[{"name":"Product Name","quantity":2,"price":49.99}]}`

func TestCheckoutCreateAsCurl(t *testing.T) {
	srv := checkoutServer(t)
	r := checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, seedCartBody)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	want := `{"id":"cart_000001","customerEmail":"customer@example.com","customerName":"John Doe",
		"items":[{"name":"Product Name","quantity":2,"price":49.99}],"totalValue":99.98,
		"status":"abandoned","abandonedAt":"2024-01-15T10:00:00Z","paymentLink":null,
		"createdAt":"2024-01-15T10:00:00Z","updatedAt":"2024-01-15T10:00:00Z"}`
	assert.JSONEq(t, want, r.data(t))
	assert.Contains(t, r.body, `"totalValue":99.98`)
	assert.Contains(t, r.body, `"success":true`)

	g := checkoutCall(t, srv, "GET", "/api/carts/cart_000001", checkoutKey, "")
	require.Equal(t, http.StatusOK, g.status)
	assert.JSONEq(t, want, g.data(t))
}

func TestCheckoutAuth(t *testing.T) {
	srv := checkoutServer(t)
	routes := [][2]string{
		{"GET", "/api/carts"}, {"POST", "/api/carts"}, {"GET", "/api/carts/cart_000001"},
		{"PATCH", "/api/carts/cart_000001"}, {"DELETE", "/api/carts/cart_000001"},
		{"POST", "/api/carts/cart_000001/payment-link"}, {"GET", "/api/analytics"},
	}
	for _, rt := range routes {
		for _, k := range []string{"", "wrong_key", ghosttest.DefaultSecretKey} {
			r := checkoutCall(t, srv, rt[0], rt[1], k, "")
			assert.Equal(t, http.StatusUnauthorized, r.status, "%s %s key %q", rt[0], rt[1], k)
			assert.JSONEq(t, `{"success":false,"error":{"code":"UNAUTHORIZED","message":"Missing or invalid API key"}}`, r.body)
		}
	}

	custom := checkoutServer(t, ghosttest.WithAPIKey("my-key"))
	assert.Equal(t, http.StatusUnauthorized, checkoutCall(t, custom, "GET", "/api/carts", checkoutKey, "").status)
	assert.Equal(t, http.StatusOK, checkoutCall(t, custom, "GET", "/api/carts", "my-key", "").status)
}

func TestCheckoutStatusCodes(t *testing.T) {
	srv := checkoutServer(t)
	require.Equal(t, http.StatusCreated, checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, seedCartBody).status)
	require.Equal(t, http.StatusCreated, checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, seedCartBody).status)
	require.Equal(t, http.StatusOK, checkoutCall(t, srv, "PATCH", "/api/carts/cart_000002", checkoutKey, `{"status":"recovered"}`).status)

	item := func(fields string) string {
		return `{"customerEmail":"a@example.com","items":[{` + fields + `}]}`
	}
	tests := []struct {
		method, path, body string
		status             int
		code               string
	}{
		// Bad query parameters: 400.
		{"GET", "/api/carts?limit=101", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?limit=0", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?limit=ten", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?page=0", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?page=-1", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?page=1.5", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?status=paid", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?status=ABANDONED", "", 400, "BAD_REQUEST"},
		{"GET", "/api/carts?limit=100&page=3&status=expired", "", 200, ""},
		{"GET", "/api/analytics?period=14d", "", 400, "BAD_REQUEST"},
		{"GET", "/api/analytics?period=7d&startDate=2024-01-01&endDate=2024-01-02", "", 400, "BAD_REQUEST"},
		{"GET", "/api/analytics?startDate=2024-01-01", "", 400, "BAD_REQUEST"},
		{"GET", "/api/analytics?startDate=2024-01-05&endDate=2024-01-01", "", 400, "BAD_REQUEST"},
		{"GET", "/api/analytics?startDate=yesterday&endDate=2024-01-01", "", 400, "BAD_REQUEST"},
		{"GET", "/api/analytics?startDate=2022-01-01&endDate=2024-01-01", "", 400, "BAD_REQUEST"},
		{"GET", "/api/analytics?startDate=2024-01-01&endDate=2024-01-31T12:00:00Z", "", 200, ""},
		// Malformed bodies: 400.
		{"POST", "/api/carts", `{"customerEmail":`, 400, "BAD_REQUEST"},
		{"POST", "/api/carts", ``, 400, "BAD_REQUEST"},
		{"POST", "/api/carts", `[1,2]`, 400, "BAD_REQUEST"},
		{"PATCH", "/api/carts/cart_000001", `status=recovered`, 400, "BAD_REQUEST"},
		// Well-formed bodies failing validation: 422.
		{"POST", "/api/carts", `{"items":[{"name":"x","quantity":1,"price":1}]}`, 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", `{"customerEmail":"nobody","items":[{"name":"x","quantity":1,"price":1}]}`, 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", `{"customerEmail":42,"items":[{"name":"x","quantity":1,"price":1}]}`, 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", `{"customerEmail":"a@example.com","items":[]}`, 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", `{"customerEmail":"a@example.com"}`, 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", `{"customerEmail":"a@example.com","items":{}}`, 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"quantity":1,"price":1`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":0,"price":1`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":1.5,"price":1`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","price":1`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":1,"price":-0.01`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":1,"price":0.001`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":1,"price":"49.99"`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":1,"price":1e300`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":9223372036854775807,"price":0.02`), 422, "VALIDATION_ERROR"},
		{"POST", "/api/carts", item(`"name":"x","quantity":1,"price":0`), 201, ""},
		{"PATCH", "/api/carts/cart_000001", `{"status":"paid"}`, 422, "VALIDATION_ERROR"},
		{"PATCH", "/api/carts/cart_000001", `{"items":[]}`, 422, "VALIDATION_ERROR"},
		{"PATCH", "/api/carts/cart_000002", `{"status":"abandoned"}`, 422, "VALIDATION_ERROR"},
		{"PATCH", "/api/carts/cart_000002", `{"status":"expired"}`, 422, "VALIDATION_ERROR"},
		{"PATCH", "/api/carts/cart_000002", `{"items":[{"name":"x","quantity":1,"price":1}]}`, 422, "VALIDATION_ERROR"},
		{"PATCH", "/api/carts/cart_000002", `{"status":"recovered","customerName":"Still Me"}`, 200, ""},
		{"POST", "/api/carts/cart_000002/payment-link", ``, 422, "VALIDATION_ERROR"},
		// Unknown ids: 404.
		{"GET", "/api/carts/cart_999999", "", 404, "NOT_FOUND"},
		{"PATCH", "/api/carts/cart_999999", `{"status":"recovered"}`, 404, "NOT_FOUND"},
		{"PATCH", "/api/carts/cart_999999", `{"status":"paid"}`, 404, "NOT_FOUND"},
		{"DELETE", "/api/carts/cart_999999", "", 404, "NOT_FOUND"},
		{"POST", "/api/carts/cart_999999/payment-link", "", 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		r := checkoutCall(t, srv, tt.method, tt.path, checkoutKey, tt.body)
		if !assert.Equal(t, tt.status, r.status, "%s %s %s: %s", tt.method, tt.path, tt.body, r.body) {
			continue
		}
		if tt.code != "" {
			assert.Equal(t, tt.code, r.errorCode(t), "%s %s %s", tt.method, tt.path, tt.body)
		} else {
			r.data(t)
		}
	}

	// A known path with another method is a 405 naming the allowed ones.
	res := checkoutCall(t, srv, "PUT", "/api/carts/cart_000001", checkoutKey, `{}`)
	assert.Equal(t, http.StatusMethodNotAllowed, res.status)
}

func TestCheckoutListPaging(t *testing.T) {
	srv := checkoutServer(t)
	for i := range 3 {
		srv.Clock.Set(checkoutT0.Add(time.Duration(i) * time.Hour))
		require.Equal(t, http.StatusCreated, checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, seedCartBody).status)
	}
	type listData struct {
		Carts []struct {
			ID string `json:"id"`
		} `json:"carts"`
		Pagination map[string]int `json:"pagination"`
	}
	list := func(q string) listData {
		r := checkoutCall(t, srv, "GET", "/api/carts"+q, checkoutKey, "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		var d listData
		require.NoError(t, json.Unmarshal([]byte(r.data(t)), &d))
		return d
	}
	d := list("?limit=2&page=1")
	assert.Equal(t, map[string]int{"page": 1, "limit": 2, "total": 3, "totalPages": 2}, d.Pagination)
	require.Len(t, d.Carts, 2)
	assert.Equal(t, "cart_000003", d.Carts[0].ID, "newest first")
	d = list("?limit=2&page=2")
	require.Len(t, d.Carts, 1)
	assert.Equal(t, "cart_000001", d.Carts[0].ID)
	d = list("?limit=2&page=99")
	assert.Empty(t, d.Carts)
	assert.Equal(t, 2, d.Pagination["totalPages"])
	d = list("")
	assert.Equal(t, map[string]int{"page": 1, "limit": 10, "total": 3, "totalPages": 1}, d.Pagination)
	d = list("?status=recovered")
	assert.Equal(t, map[string]int{"page": 1, "limit": 10, "total": 0, "totalPages": 0}, d.Pagination)
	assert.NotNil(t, d.Carts)
	assert.Contains(t, checkoutCall(t, srv, "GET", "/api/carts?status=recovered", checkoutKey, "").body, `"carts":[]`)
}

// Money is exact: totalValue is Σ quantity × price to the cent, written with
// two decimals, whatever form the prices came in.
func TestCheckoutMoneyExact(t *testing.T) {
	srv := checkoutServer(t)
	r := checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, `{"customerEmail":"m@example.com","items":[
		{"name":"a","quantity":3,"price":0.1},
		{"name":"b","quantity":3,"price":0.2},
		{"name":"c","quantity":7,"price":0.29},
		{"name":"d","quantity":1,"price":1e-2},
		{"name":"e","quantity":2,"price":1234567.89},
		{"name":"f","quantity":1,"price":15000.00},
		{"name":"g","quantity":1,"price":4999e-2}]}`)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	// 0.30 + 0.60 + 2.03 + 0.01 + 2469135.78 + 15000.00 + 49.99
	assert.Contains(t, r.body, `"totalValue":2484188.71`)
	for _, p := range []string{`"price":0.10`, `"price":0.20`, `"price":0.29`, `"price":0.01`, `"price":1234567.89`, `"price":15000.00`, `"price":49.99`} {
		assert.Contains(t, r.body, p)
	}
}

func TestCheckoutCartLifecycle(t *testing.T) {
	srv := checkoutServer(t)
	require.Equal(t, http.StatusCreated, checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, seedCartBody).status)

	srv.Clock.Advance(time.Hour)
	r := checkoutCall(t, srv, "POST", "/api/carts/cart_000001/payment-link", checkoutKey, "")
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.JSONEq(t, `{"paymentLink":"https://checkout.stripe.com/pay/cs_test_cart_000001_1","expiresAt":"2024-01-22T11:00:00Z"}`, r.data(t))

	cartLink := func() any {
		var c map[string]any
		require.NoError(t, json.Unmarshal([]byte(checkoutCall(t, srv, "GET", "/api/carts/cart_000001", checkoutKey, "").data(t)), &c))
		return c["paymentLink"]
	}
	assert.Equal(t, "https://checkout.stripe.com/pay/cs_test_cart_000001_1", cartLink())
	srv.Clock.Advance(7*24*time.Hour - time.Second)
	assert.NotNil(t, cartLink(), "still valid a second before expiry")
	srv.Clock.Advance(time.Second)
	assert.Nil(t, cartLink(), "an expired link reads as null")

	r = checkoutCall(t, srv, "POST", "/api/carts/cart_000001/payment-link", checkoutKey, "")
	require.Equal(t, http.StatusCreated, r.status)
	assert.Contains(t, r.body, "cs_test_cart_000001_2")
	assert.Equal(t, "https://checkout.stripe.com/pay/cs_test_cart_000001_2", cartLink())

	r = checkoutCall(t, srv, "PATCH", "/api/carts/cart_000001", checkoutKey, `{"status":"recovered"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"status":"recovered"`)
	assert.Contains(t, r.body, `"paymentLink":null`, "a recovered cart has no link to pay")
	assert.Contains(t, r.body, `"abandonedAt":"2024-01-15T10:00:00Z"`)
	assert.Equal(t, http.StatusUnprocessableEntity, checkoutCall(t, srv, "PATCH", "/api/carts/cart_000001", checkoutKey, `{"status":"abandoned"}`).status)

	r = checkoutCall(t, srv, "DELETE", "/api/carts/cart_000001", checkoutKey, "")
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"id":"cart_000001","deleted":true}`, r.data(t))
	assert.Equal(t, http.StatusNotFound, checkoutCall(t, srv, "GET", "/api/carts/cart_000001", checkoutKey, "").status)
}

func TestCheckoutAnalytics(t *testing.T) {
	srv := checkoutServer(t)
	r := checkoutCall(t, srv, "GET", "/api/analytics?period=7d", checkoutKey, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"summary":{"recoveryRate":0.0,"totalAbandoned":0,"totalAbandonedValue":0.00,"totalRecovered":0,"totalRecoveredValue":0.00}`)

	for i, status := range []string{"recovered", "abandoned", "expired"} {
		srv.Clock.Set(time.Date(2024, 1, 14, 23, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour))
		require.Equal(t, http.StatusCreated, checkoutCall(t, srv, "POST", "/api/carts", checkoutKey,
			`{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":0.1}]}`).status)
		if status != "abandoned" {
			require.Equal(t, http.StatusOK, checkoutCall(t, srv, "PATCH", "/api/carts/cart_00000"+strconv.Itoa(i+1), checkoutKey, `{"status":"`+status+`"}`).status)
		}
	}
	srv.Clock.Set(checkoutT0)
	r = checkoutCall(t, srv, "GET", "/api/analytics?startDate=2024-01-14&endDate=2024-01-15", checkoutKey, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.JSONEq(t, `{
		"summary":{"totalAbandoned":3,"totalRecovered":1,"recoveryRate":33.3,"totalAbandonedValue":0.30,"totalRecoveredValue":0.10},
		"dailyStats":[
			{"date":"2024-01-14","abandoned":1,"recovered":1,"abandonedValue":0.10,"recoveredValue":0.10},
			{"date":"2024-01-15","abandoned":2,"recovered":0,"abandonedValue":0.20,"recoveredValue":0.00}]}`, r.data(t))
	assert.Contains(t, r.body, `"recoveryRate":33.3`)

	// Timestamps bound the range exactly: 23:00 on the 14th is out.
	r = checkoutCall(t, srv, "GET", "/api/analytics?startDate=2024-01-14T23:00:01Z&endDate=2024-01-15T00:00:00Z", checkoutKey, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"totalAbandoned":1,`)

	// 2 of 3 recovered rounds half up to 66.7.
	require.Equal(t, http.StatusOK, checkoutCall(t, srv, "PATCH", "/api/carts/cart_000002", checkoutKey, `{"status":"recovered"}`).status)
	r = checkoutCall(t, srv, "GET", "/api/analytics?period=30d", checkoutKey, "")
	assert.Contains(t, r.body, `"recoveryRate":66.7`)
	var d struct {
		DailyStats []json.RawMessage `json:"dailyStats"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.data(t)), &d))
	assert.Len(t, d.DailyStats, 30)
	assert.JSONEq(t, `{"date":"2024-01-15","abandoned":2,"recovered":1,"abandonedValue":0.20,"recoveredValue":0.10}`, string(d.DailyStats[29]))
}

func TestCheckoutRateLimit(t *testing.T) {
	srv := checkoutServer(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileCheckout, CheckoutRateLimit: 3}))
	srv.Clock.Set(checkoutT0)
	for i := range 3 {
		r := checkoutCall(t, srv, "GET", "/api/carts", checkoutKey, "")
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "3", r.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(2-i), r.header.Get("X-RateLimit-Remaining"))
		srv.Clock.Advance(10 * time.Second)
	}
	// Requests at 0, 10 and 20 s; at 30 s the window is full until 60 s.
	r := checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, seedCartBody)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "RATE_LIMITED", r.errorCode(t))
	assert.Equal(t, "30", r.header.Get("Retry-After"))
	assert.Equal(t, "0", r.header.Get("X-RateLimit-Remaining"))

	// Another client (no valid key: counted by IP) has its own window.
	assert.Equal(t, http.StatusUnauthorized, checkoutCall(t, srv, "GET", "/api/carts", "", "").status)

	srv.Clock.Advance(29 * time.Second)
	r = checkoutCall(t, srv, "GET", "/api/analytics", checkoutKey, "")
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))

	// Sliding: at 60 s the first request leaves the window, one slot frees.
	srv.Clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, checkoutCall(t, srv, "GET", "/api/carts", checkoutKey, "").status)
	r = checkoutCall(t, srv, "GET", "/api/carts", checkoutKey, "")
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "10", r.header.Get("Retry-After"))
	assert.Len(t, srv.Requests(), 8)
}

func TestCheckoutRateLimitDefaultAndOff(t *testing.T) {
	srv := checkoutServer(t)
	assert.Equal(t, 100, srv.Config.CheckoutRateLimit)
	for i := range 100 {
		require.Equal(t, http.StatusOK, checkoutCall(t, srv, "GET", "/api/carts", checkoutKey, "").status, "request %d", i+1)
	}
	r := checkoutCall(t, srv, "GET", "/api/carts", checkoutKey, "")
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "60", r.header.Get("Retry-After"))

	off := checkoutServer(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileCheckout, CheckoutRateLimit: -1}))
	for i := range 150 {
		require.Equal(t, http.StatusOK, checkoutCall(t, off, "GET", "/api/carts", checkoutKey, "").status, "request %d", i+1)
	}
}

func TestCheckoutSeed(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout), ghosttest.WithSeed(12))
	defer srv.Close()
	r := checkoutCall(t, srv, "GET", "/api/carts?limit=100", checkoutKey, "")
	require.Equal(t, http.StatusOK, r.status)
	var d struct {
		Carts []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Items  []struct {
				Quantity int64       `json:"quantity"`
				Price    json.Number `json:"price"`
			} `json:"items"`
			TotalValue json.Number `json:"totalValue"`
		} `json:"carts"`
		Pagination map[string]int `json:"pagination"`
	}
	dec := json.NewDecoder(strings.NewReader(r.data(t)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&d))
	assert.Equal(t, 12, d.Pagination["total"])
	statuses := map[string]int{}
	cents := func(n json.Number) int64 {
		s := n.String()
		whole, frac, ok := strings.Cut(s, ".")
		require.True(t, ok && len(frac) == 2, "two decimals: %s", s)
		w, err := strconv.ParseInt(whole+frac, 10, 64)
		require.NoError(t, err)
		return w
	}
	for _, c := range d.Carts {
		statuses[c.Status]++
		var sum int64
		for _, it := range c.Items {
			sum += it.Quantity * cents(it.Price)
		}
		assert.Equal(t, sum, cents(c.TotalValue), c.ID)
	}
	assert.Equal(t, map[string]int{"abandoned": 5, "recovered": 5, "expired": 2}, statuses)

	a := checkoutCall(t, srv, "GET", "/api/analytics?period=90d", checkoutKey, "")
	assert.Contains(t, a.body, `"totalAbandoned":12,`)
	assert.Contains(t, a.body, `"totalRecovered":5,`)

	// Deterministic: a second server seeds the same carts.
	srv2 := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout), ghosttest.WithSeed(12))
	defer srv2.Close()
	r2 := checkoutCall(t, srv2, "GET", "/api/carts/cart_000007", checkoutKey, "")
	r1 := checkoutCall(t, srv, "GET", "/api/carts/cart_000007", checkoutKey, "")
	strip := func(s string) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(s), &m))
		for _, k := range []string{"createdAt", "updatedAt", "abandonedAt"} {
			delete(m, k)
		}
		return m
	}
	assert.Equal(t, strip(r1.data(t)), strip(r2.data(t)))
}

func TestCheckoutInProfileAll(t *testing.T) {
	srv := ghosttest.NewServer()
	defer srv.Close()
	assert.Equal(t, ghosttest.ProfileAll, srv.Config.Profile)
	r := checkoutCall(t, srv, "POST", "/api/carts", checkoutKey, seedCartBody)
	assert.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, http.StatusOK, checkoutCall(t, srv, "GET", "/api/analytics", checkoutKey, "").status)
}

func TestCheckoutIdempotentCreate(t *testing.T) {
	srv := checkoutServer(t)
	call := func(body, idemKey string) *http.Response {
		req, err := http.NewRequest("POST", srv.URL+"/api/carts", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("x-api-key", checkoutKey)
		req.Header.Set("Idempotency-Key", idemKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	first := call(seedCartBody, "k1")
	require.Equal(t, http.StatusCreated, first.StatusCode)
	again := call(seedCartBody, "k1")
	assert.Equal(t, http.StatusCreated, again.StatusCode)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, http.StatusUnprocessableEntity, call(`{"customerEmail":"b@example.com","items":[{"name":"x","quantity":1,"price":1}]}`, "k1").StatusCode)
	assert.Equal(t, http.StatusCreated, call(seedCartBody, "k2").StatusCode)

	r := checkoutCall(t, srv, "GET", "/api/carts", checkoutKey, "")
	assert.Contains(t, r.body, `"total":2`, "the replay created nothing")
}
