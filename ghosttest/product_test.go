package ghosttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// These tests speak raw HTTP (net/http only) to the mock.

type rawResp struct {
	status int
	header http.Header
	body   string
}

// rawCall sends method url with body (none when "") and hdr as name/value
// pairs.
func rawCall(t *testing.T, method, url, body string, hdr ...string) rawResp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "basic" {
			u, p, _ := strings.Cut(hdr[i+1], ":")
			req.SetBasicAuth(u, p)
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return rawResp{res.StatusCode, res.Header, string(b)}
}

func (r rawResp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

var (
	ghostAuth    = []string{"basic", ghosttest.DefaultPublicKey + ":" + ghosttest.DefaultSecretKey}
	komojuAuth   = []string{"basic", ghosttest.DefaultSecretKey + ":"}
	checkoutAuth = []string{"x-api-key", ghosttest.DefaultAPIKey}
	sparkAuth    = []string{"X-AC-Auth-Token", ghosttest.DefaultAuthToken}
	cloverAuth   = []string{"Authorization", "Bearer " + ghosttest.DefaultBearerToken}
)

func TestUnknownPathAndWrongMethodPerPart(t *testing.T) {
	tests := []struct {
		profile      ghosttest.Profile
		method, path string
		hdr          []string
		status       int
		allow        string // for 405
		body         string // exact JSON ("" for no body)
	}{
		{ghosttest.ProfileGhost, "GET", "/nope", ghostAuth, 404, "",
			`{"error":"Not Found","message":"/nope does not exist","status":404}`},
		{ghosttest.ProfileGhost, "GET", "/api/v1/charges/ch_1", ghostAuth, 404, "",
			`{"error":"Not Found","message":"/api/v1/charges/ch_1 does not exist","status":404}`},
		{ghosttest.ProfileGhost, "DELETE", "/api/v1/charges", ghostAuth, 405, "POST",
			`{"error":"Method Not Allowed","message":"DELETE is not allowed on /api/v1/charges (allowed: POST)","status":405}`},
		{ghosttest.ProfileKomoju, "GET", "/api/v1/payments", komojuAuth, 404, "",
			`{"error":{"code":"not_found","message":"/api/v1/payments does not exist","param":null}}`},
		{ghosttest.ProfileKomoju, "PUT", "/api/v1/customers/abc", komojuAuth, 405, "DELETE, GET, HEAD, PATCH",
			`{"error":{"code":"method_not_allowed","message":"PUT is not allowed on /api/v1/customers/abc (allowed: DELETE, GET, HEAD, PATCH)","param":null}}`},
		{ghosttest.ProfileCheckout, "GET", "/api/cartz", checkoutAuth, 404, "",
			`{"success":false,"error":{"code":"NOT_FOUND","message":"/api/cartz does not exist"}}`},
		{ghosttest.ProfileCheckout, "PUT", "/api/carts/cart_1", checkoutAuth, 405, "DELETE, GET, HEAD, PATCH",
			`{"success":false,"error":{"code":"METHOD_NOT_ALLOWED","message":"PUT is not allowed on /api/carts/cart_1 (allowed: DELETE, GET, HEAD, PATCH)"}}`},
		{ghosttest.ProfileCheckout, "GET", "/api/webhooks/stripe", nil, 405, "POST",
			`{"success":false,"error":{"code":"METHOD_NOT_ALLOWED","message":"GET is not allowed on /api/webhooks/stripe (allowed: POST)"}}`},
		{ghosttest.ProfileSparkPay, "GET", "/api/v1/products/1/variants/3", sparkAuth, 404, "",
			`{"status_code":404,"message":"Not Found","details":"/api/v1/products/1/variants/3 does not exist"}`},
		{ghosttest.ProfileSparkPay, "PATCH", "/api/v1/products/1", sparkAuth, 405, "DELETE, GET, HEAD, PUT",
			`{"status_code":405,"message":"Method Not Allowed","details":"PATCH is not allowed on /api/v1/products/1 (allowed: DELETE, GET, HEAD, PUT)"}`},
		// Clover documents no error body: status only.
		{ghosttest.ProfileClover, "GET", "/v3/merchants/M1/nope", cloverAuth, 404, "", ""},
		{ghosttest.ProfileClover, "DELETE", "/v3/merchants/M1/exports/E1", cloverAuth, 405, "GET, HEAD", ""},
		// ProfileAll picks the shape of the part whose paths the request falls in.
		{ghosttest.ProfileAll, "GET", "/api/v1/nope", ghostAuth, 404, "",
			`{"error":"Not Found","message":"/api/v1/nope does not exist","status":404}`},
		{ghosttest.ProfileAll, "GET", "/api/nope", checkoutAuth, 404, "",
			`{"success":false,"error":{"code":"NOT_FOUND","message":"/api/nope does not exist"}}`},
		{ghosttest.ProfileAll, "GET", "/v3/nope", cloverAuth, 404, "", ""},
		{ghosttest.ProfileAll, "POST", "/api/v1/products/1", sparkAuth, 405, "DELETE, GET, HEAD, PUT",
			`{"status_code":405,"message":"Method Not Allowed","details":"POST is not allowed on /api/v1/products/1 (allowed: DELETE, GET, HEAD, PUT)"}`},
		{ghosttest.ProfileAll, "GET", "/komoju/api/v1/nope", komojuAuth, 404, "",
			`{"error":{"code":"not_found","message":"/api/v1/nope does not exist","param":null}}`},
		{ghosttest.ProfileAll, "GET", "/spark/api/v1/orders/1/items/2", sparkAuth, 404, "",
			`{"status_code":404,"message":"Not Found","details":"/api/v1/orders/1/items/2 does not exist"}`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s", tt.profile, tt.method, tt.path), func(t *testing.T) {
			srv := ghosttest.NewServer(ghosttest.WithProfile(tt.profile))
			defer srv.Close()
			res := rawCall(t, tt.method, srv.URL+tt.path, "", tt.hdr...)
			assert.Equal(t, tt.status, res.status)
			assert.Equal(t, tt.allow, res.header.Get("Allow"))
			if tt.body == "" {
				assert.Empty(t, res.body)
			} else {
				assert.JSONEq(t, tt.body, res.body)
			}
		})
	}
}

func TestNotImplementedOnlyForDocumentedRoutes(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileSparkPay))
	defer srv.Close()
	// Any root resource of the Spark API is documented; the unmodelled
	// ones are a loud 501.
	for _, path := range []string{"/api/v1/manufacturers", "/api/v1/order_statuses/3", "/api/v1/gift_certificates/1/filled"} {
		assert.Equal(t, http.StatusNotImplemented, rawCall(t, "GET", srv.URL+path, "", sparkAuth...).status, path)
	}
	assert.Equal(t, http.StatusNotFound, rawCall(t, "GET", srv.URL+"/api/v1/not_a_resource", "", sparkAuth...).status)
	assert.Contains(t, ghosttest.UnmodelledRoutes(ghosttest.ProfileSparkPay), "/api/v1/manufacturers")
	assert.Contains(t, ghosttest.UnmodelledRoutes(ghosttest.ProfileAll), "/spark/api/v1/manufacturers")
	assert.Empty(t, ghosttest.UnmodelledRoutes(ghosttest.ProfileCheckout))
}

func TestProfileAllServesEveryPartAtItsBaseURL(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithSeed(2))
	defer srv.Close()
	urls := srv.BaseURLs()
	assert.Equal(t, map[ghosttest.Profile]string{
		ghosttest.ProfileGhost: srv.URL, ghosttest.ProfileCheckout: srv.URL, ghosttest.ProfileClover: srv.URL,
		ghosttest.ProfileKomoju: srv.URL + "/komoju", ghosttest.ProfileSparkPay: srv.URL + "/spark",
	}, urls)

	// Ghost, Komoju and Spark customers side by side.
	ghostList := rawCall(t, "GET", urls[ghosttest.ProfileGhost]+"/api/v1/customers", "", ghostAuth...).json(t)
	assert.Len(t, ghostList["docs"], 2)
	komojuList := rawCall(t, "GET", urls[ghosttest.ProfileKomoju]+"/api/v1/customers", "", komojuAuth...).json(t)
	assert.Equal(t, "list", komojuList["resource"])
	sparkList := rawCall(t, "GET", urls[ghosttest.ProfileSparkPay]+"/api/v1/customers?count=1", "", sparkAuth...).json(t)
	assert.Equal(t, float64(2), sparkList["total_count"])
	assert.Equal(t, srv.URL+"/spark/api/v1/customers?count=1&page=2", sparkList["next_page"], "next_page keeps the part's prefix")
	assert.Equal(t, http.StatusOK, rawCall(t, "GET", urls[ghosttest.ProfileCheckout]+"/api/carts", "", checkoutAuth...).status)

	// The Spark products at the root and under /spark are the same data.
	rawCall(t, "PUT", srv.URL+"/spark/api/v1/products/1", `{"item_name":"Renamed"}`, sparkAuth...)
	assert.Equal(t, "Renamed", rawCall(t, "GET", srv.URL+"/api/v1/products/1", "", sparkAuth...).json(t)["item_name"])
}

func TestNextPageHonoursForwardedHeaders(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileSparkPay), ghosttest.WithSeed(2))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		hdr  []string
		next string
	}{
		{nil, "http://" + host + "/api/v1/products?count=1&page=2"},
		{[]string{"X-Forwarded-Proto", "https"}, "https://" + host + "/api/v1/products?count=1&page=2"},
		{[]string{"X-Forwarded-Proto", "https, http", "X-Forwarded-Host", "shop.example.com"}, "https://shop.example.com/api/v1/products?count=1&page=2"},
		{[]string{"X-Forwarded-Proto", "gopher", "X-Forwarded-Host", "evil.example/x"}, "http://" + host + "/api/v1/products?count=1&page=2"},
	}
	for _, tt := range tests {
		got := rawCall(t, "GET", srv.URL+"/api/v1/products?count=1", "", append(tt.hdr, sparkAuth...)...).json(t)
		assert.Equal(t, tt.next, got["next_page"], tt.hdr)
		got = rawCall(t, "GET", srv.URL+"/api/v1/products?count=1&page=2", "", append(tt.hdr, sparkAuth...)...).json(t)
		assert.Equal(t, strings.Replace(tt.next, "page=2", "page=1", 1), got["previous_page"], tt.hdr)
	}
}

func TestKomojuJSONWithoutContentType(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileKomoju))
	defer srv.Close()
	// The seed's Node example: JSON, no Content-Type.
	res := rawCall(t, "POST", srv.URL+"/api/v1/customers", `{"email":"node@example.com","payment_details":"tok_1","metadata":{"order_id":"abc"}}`, komojuAuth...)
	require.Equal(t, http.StatusOK, res.status, res.body)
	c := res.json(t)
	assert.Equal(t, "node@example.com", c["email"])
	id := c["id"].(string)
	res = rawCall(t, "PATCH", srv.URL+"/api/v1/customers/"+id, `{"email":"changed@example.com"}`, komojuAuth...)
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, "changed@example.com", rawCall(t, "GET", srv.URL+"/api/v1/customers/"+id, "", komojuAuth...).json(t)["email"])
	// JSON under a form content type is still JSON.
	res = rawCall(t, "PATCH", srv.URL+"/api/v1/customers/"+id, `{"currency":"JPY"}`, append(komojuAuth, "Content-Type", "application/x-www-form-urlencoded")...)
	assert.Equal(t, "JPY", res.json(t)["currency"])

	// An unreadable body is a 400, never ignored.
	for _, tc := range []struct{ body, ct string }{
		{`{"email":`, ""},
		{`{"email":"x@example.com"}trailing`, ""},
		{"%zz", ""},
		{"<xml/>", "text/xml"},
	} {
		res = rawCall(t, "PATCH", srv.URL+"/api/v1/customers/"+id, tc.body, append(komojuAuth, "Content-Type", tc.ct)...)
		assert.Equal(t, http.StatusBadRequest, res.status, tc.body)
		assert.Equal(t, "changed@example.com", rawCall(t, "GET", srv.URL+"/api/v1/customers/"+id, "", komojuAuth...).json(t)["email"])
	}
}

func TestCloverVendorExampleAndServiceHours(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 15}}),
		ghosttest.WithProfile(ghosttest.ProfileClover))
	defer srv.Close()
	srv.Clock.Set(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	start, end := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC).UnixMilli()
	// Clover's example: trailing slash, times as strings of digits.
	res := rawCall(t, "POST", srv.URL+"/v3/merchants/M1/exports/", fmt.Sprintf(`{"type":"ORDERS","startTime":"%d","endTime":"%d"}`, start, end), cloverAuth...)
	require.Equal(t, http.StatusOK, res.status, res.body)
	exp := res.json(t)
	assert.Equal(t, float64(start), exp["startTime"])
	assert.Equal(t, "PENDING", exp["status"])
	id := exp["id"].(string)
	for _, bad := range []string{`"12a"`, `"-5"`, `""`, `"1e3"`} {
		res = rawCall(t, "POST", srv.URL+"/v3/merchants/M1/exports/", fmt.Sprintf(`{"type":"ORDERS","startTime":%s,"endTime":"%d"}`, bad, end), cloverAuth...)
		assert.Equal(t, http.StatusBadRequest, res.status, bad)
	}

	// The clock drives the export: no waiting.
	srv.Clock.Advance(srv.Config.ExportDuration)
	assert.Equal(t, "DONE", rawCall(t, "GET", srv.URL+"/v3/merchants/M1/exports/"+id, "", cloverAuth...).json(t)["status"])

	// Outside the hours the whole service is closed, reads included.
	srv.Clock.Set(time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC))
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/v3/merchants/M1/exports", fmt.Sprintf(`{"type":"ORDERS","startTime":%d,"endTime":%d}`, start, end)},
		{"GET", "/v3/merchants/M1/exports/" + id, ""},
	} {
		res = rawCall(t, req.method, srv.URL+req.path, req.body, cloverAuth...)
		assert.Equal(t, http.StatusServiceUnavailable, res.status)
		assert.Equal(t, "The export service is available from 10:00 to 15:00 UTC daily. Try again during service hours.", res.json(t)["message"])
	}
}

func TestDefaultExportDuration(t *testing.T) {
	srv := ghosttest.NewServer()
	defer srv.Close()
	assert.Equal(t, ghosttest.DefaultExportDuration, srv.Config.ExportDuration)
	assert.GreaterOrEqual(t, ghosttest.DefaultExportDuration, time.Second)
	assert.LessOrEqual(t, ghosttest.DefaultExportDuration, 10*time.Second)
}

func stripeEvent(typ string, object map[string]any) string {
	b, _ := json.Marshal(map[string]any{"id": "evt_1", "object": "event", "type": typ, "data": map[string]any{"object": object}})
	return string(b)
}

func TestStripeWebhook(t *testing.T) {
	const secret = "whsec_test"
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout), ghosttest.WithStripeWebhookSecret(secret))
	defer srv.Close()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv.Clock.Set(t0)
	newCart := func() string {
		res := rawCall(t, "POST", srv.URL+"/api/carts", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":2,"price":49.99}]}`, checkoutAuth...)
		require.Equal(t, http.StatusCreated, res.status, res.body)
		return res.json(t)["data"].(map[string]any)["id"].(string)
	}
	hook := func(payload, sig string) rawResp {
		return rawCall(t, "POST", srv.URL+"/api/webhooks/stripe", payload, "Content-Type", "application/json", "Stripe-Signature", sig)
	}
	status := func(id string) string {
		return rawCall(t, "GET", srv.URL+"/api/carts/"+id, "", checkoutAuth...).json(t)["data"].(map[string]any)["status"].(string)
	}

	// A customer pays through the payment link: the session carries its URL.
	cart := newCart()
	link := rawCall(t, "POST", srv.URL+"/api/carts/"+cart+"/payment-link", "", checkoutAuth...).json(t)["data"].(map[string]any)["paymentLink"].(string)
	payload := stripeEvent("checkout.session.completed", map[string]any{"id": "cs_live_other", "object": "checkout.session", "url": link})

	for name, sig := range map[string]string{
		"missing":        "",
		"wrong secret":   ghosttest.StripeSignature("whsec_other", t0, []byte(payload)),
		"other payload":  ghosttest.StripeSignature(secret, t0, []byte(payload+" ")),
		"too old":        ghosttest.StripeSignature(secret, t0.Add(-6*time.Minute), []byte(payload)),
		"from the futur": ghosttest.StripeSignature(secret, t0.Add(6*time.Minute), []byte(payload)),
		"malformed":      "v1=abc",
	} {
		res := hook(payload, sig)
		assert.Equal(t, http.StatusBadRequest, res.status, name)
		assert.Contains(t, res.body, "signature", name)
		assert.Equal(t, "abandoned", status(cart), name)
	}
	// Stripe's scheme by hand: t=<unix>,v1=hex(HMAC-SHA256(secret, t.payload)),
	// several signatures allowed (secret rotation).
	good := ghosttest.StripeSignature(secret, t0.Add(-4*time.Minute), []byte(payload))
	ts, v1, _ := strings.Cut(good, ",")
	res := hook(payload, ts+",v1="+strings.Repeat("0", 64)+","+v1+",v0=ignored")
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.JSONEq(t, `{"received":true,"cartId":"`+cart+`","status":"recovered"}`, res.body)
	assert.Equal(t, "recovered", status(cart))
	// Stripe retries deliveries: a repeat is fine.
	assert.Equal(t, http.StatusOK, hook(payload, good).status)

	// payment_intent.succeeded names the cart in its metadata.
	cart2 := newCart()
	pi := stripeEvent("payment_intent.succeeded", map[string]any{"id": "pi_1", "object": "payment_intent", "metadata": map[string]any{"cartId": cart2}})
	res = hook(pi, ghosttest.StripeSignature(secret, t0, []byte(pi)))
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, "recovered", status(cart2))

	// Analytics follow.
	sum := rawCall(t, "GET", srv.URL+"/api/analytics?period=7d", "", checkoutAuth...).json(t)["data"].(map[string]any)["summary"].(map[string]any)
	assert.Equal(t, float64(2), sum["totalRecovered"])
	assert.Equal(t, 199.96, sum["totalRecoveredValue"])

	for name, tc := range map[string]struct {
		payload string
		status  int
	}{
		"unknown cart":   {stripeEvent("payment_intent.succeeded", map[string]any{"metadata": map[string]any{"cartId": "cart_999999"}}), 404},
		"no cart at all": {stripeEvent("checkout.session.completed", map[string]any{"id": "cs_test_nothing"}), 404},
		"other event":    {stripeEvent("charge.refunded", map[string]any{"metadata": map[string]any{"cartId": cart}}), 400},
		"not an event":   {`{"hello":"world"}`, 400},
		"not JSON":       {`{"type":`, 400},
	} {
		res := hook(tc.payload, ghosttest.StripeSignature(secret, t0, []byte(tc.payload)))
		assert.Equal(t, tc.status, res.status, name)
		assert.Equal(t, false, res.json(t)["success"], name)
	}

	// The helper sends a correctly signed event.
	cart3 := newCart()
	require.NoError(t, srv.CompleteCheckout(context.Background(), cart3))
	assert.Equal(t, "recovered", status(cart3))
	assert.Error(t, srv.CompleteCheckout(context.Background(), "cart_999999"))
}

func TestStripeWebhookWithoutSecret(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileAll))
	defer srv.Close()
	res := rawCall(t, "POST", srv.URL+"/api/carts", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":5}]}`, checkoutAuth...)
	cart := res.json(t)["data"].(map[string]any)["id"].(string)
	// No secret configured: no signature needed, no x-api-key either.
	res = rawCall(t, "POST", srv.URL+"/api/webhooks/stripe", stripeEvent("checkout.session.completed", map[string]any{"metadata": map[string]any{"cart_id": cart}}))
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Equal(t, "recovered", res.json(t)["status"])
}

func TestJSONBodyWithoutContentTypeEverywhere(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithSeed(1))
	defer srv.Close()
	tests := []struct {
		name, path, body string
		hdr              []string
		status           int
	}{
		{"ghost", "/api/v1/customers", `{"email":"a@example.com"}`, ghostAuth, 201},
		{"checkout", "/api/carts", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":1}]}`, checkoutAuth, 201},
		{"spark", "/spark/api/v1/customers", `{"email":"a@example.com","store_id":1}`, sparkAuth, 201},
		{"komoju", "/komoju/api/v1/customers", `{"email":"a@example.com","payment_details":"tok_1"}`, komojuAuth, 200},
		{"clover", "/v3/merchants/M1/exports/", `{"type":"PAYMENTS","startTime":"1000","endTime":"2000"}`, cloverAuth, 200},
	}
	for _, tt := range tests {
		for _, ct := range []string{"", "text/plain"} {
			res := rawCall(t, "POST", srv.URL+tt.path, tt.body, append(tt.hdr, "Content-Type", ct)...)
			assert.Equal(t, tt.status, res.status, "%s %q: %s", tt.name, ct, res.body)
		}
	}
}

func TestOversizedBodyIsABadRequest(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost))
	defer srv.Close()
	body := `{"email":"a@example.com","description":"` + strings.Repeat("x", 10<<20) + `"}`
	res := rawCall(t, "POST", srv.URL+"/api/v1/customers", body, ghostAuth...)
	assert.Equal(t, http.StatusBadRequest, res.status)
	assert.JSONEq(t, `{"error":"Bad Request","message":"The request body could not be read","status":400}`, res.body)
	assert.Empty(t, rawCall(t, "GET", srv.URL+"/api/v1/customers", "", ghostAuth...).json(t)["docs"])
}
