package ghosttest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// These tests speak raw HTTP to the ghost profile, the way curl would.

var ghostT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type ghostCurl struct {
	t          *testing.T
	srv        *ghosttest.Server
	user, pass string
}

type ghostResp struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

// newGhostCurl starts a mock (ghost profile unless opts say otherwise) with
// its clock frozen at ghostT0.
func newGhostCurl(t *testing.T, opts ...ghosttest.Option) *ghostCurl {
	t.Helper()
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(ghosttest.ProfileGhost)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.Clock.Set(ghostT0)
	return &ghostCurl{t: t, srv: srv, user: srv.Config.PublicKey, pass: srv.Config.SecretKey}
}

// do sends a request with Basic auth. body is sent as is when it is a string,
// JSON-encoded otherwise (nil sends none). hdr holds header name/value pairs.
func (c *ghostCurl) do(method, path string, body any, hdr ...string) ghostResp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" || c.pass != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return ghostResp{t: c.t, status: res.StatusCode, header: res.Header, body: data}
}

func (r ghostResp) object() map[string]any {
	r.t.Helper()
	var m map[string]any
	require.NoError(r.t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// doc checks the status and the {"doc": …} envelope and returns the item.
func (r ghostResp) doc(status int) map[string]any {
	r.t.Helper()
	require.Equal(r.t, status, r.status, "body: %s", r.body)
	m := r.object()
	require.Len(r.t, m, 1, "body: %s", r.body)
	d, ok := m["doc"].(map[string]any)
	require.True(r.t, ok, "no doc object in %s", r.body)
	return d
}

// docs checks for 200 and the {"docs": […]} envelope and returns the items.
func (r ghostResp) docs() []map[string]any {
	r.t.Helper()
	require.Equal(r.t, http.StatusOK, r.status, "body: %s", r.body)
	var env struct {
		Docs []map[string]any `json:"docs"`
	}
	m := r.object()
	require.Len(r.t, m, 1, "body: %s", r.body)
	require.Contains(r.t, m, "docs")
	require.NoError(r.t, json.Unmarshal(r.body, &env))
	require.NotNil(r.t, env.Docs, "docs must be an array: %s", r.body)
	return env.Docs
}

// ids returns the "id" of each listed item.
func (r ghostResp) ids() []any {
	r.t.Helper()
	var ids []any
	for _, d := range r.docs() {
		ids = append(ids, d["id"])
	}
	return ids
}

// isError checks the status and the exact Ghost error body.
func (r ghostResp) isError(status int, msg string) {
	r.t.Helper()
	assert.Equal(r.t, status, r.status, "body: %s", r.body)
	want, _ := json.Marshal(map[string]any{"message": msg, "status": status, "error": http.StatusText(status)})
	assert.JSONEq(r.t, string(want), string(r.body))
	assert.Equal(r.t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
}

func (r ghostResp) isSuccess() {
	r.t.Helper()
	assert.Equal(r.t, http.StatusOK, r.status, "body: %s", r.body)
	assert.JSONEq(r.t, `{"success":true}`, string(r.body))
}

func TestGhostAuth(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithKeys("pk_custom", "sk_custom"))
	tests := []struct {
		name, user, pass string
		status           int
		msg              string
	}{
		{"no credentials", "", "", 401, "Missing credentials: use HTTP Basic auth with your public key as the username and your secret key as the password"},
		{"wrong secret", "pk_custom", "sk_wrong", 401, "Invalid public key or secret key"},
		{"wrong public key", "pk_wrong", "sk_custom", 401, "Invalid public key or secret key"},
		{"keys swapped", "sk_custom", "pk_custom", 401, "Invalid public key or secret key"},
		{"default keys are not accepted", ghosttest.DefaultPublicKey, ghosttest.DefaultSecretKey, 401, "Invalid public key or secret key"},
		{"valid", "pk_custom", "sk_custom", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: tt.user, pass: tt.pass}
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/api/v1/accounts/1", ""},
				{"GET", "/api/v1/orders", ""},
				{"POST", "/api/v1/customers", `{"email":"a@example.com"}`},
			} {
				var body any
				if req.body != "" {
					body = req.body
				}
				res := cc.do(req.method, req.path, body)
				if tt.status == 401 {
					res.isError(401, tt.msg)
					assert.Equal(t, `Basic realm="ghost"`, res.header.Get("WWW-Authenticate"))
					assert.NotContains(t, string(res.body), "sk_custom")
				} else {
					assert.Less(t, res.status, 300, "%s %s: %s", req.method, req.path, res.body)
				}
			}
		})
	}
	// Only the valid request created a customer.
	assert.Len(t, c.do("GET", "/api/v1/customers", nil).docs(), 1)
}

func TestGhostAccounts(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithSeed(2))
	a := c.do("GET", "/api/v1/accounts/1", nil).doc(200)
	assert.Equal(t, map[string]any{
		"id": float64(1), "name": "Ghost Test Account", "email": "account@ghost.test",
		"createdAt": a["createdAt"], "updatedAt": a["updatedAt"],
	}, a)
	_, err := time.Parse(time.RFC3339, a["createdAt"].(string))
	require.NoError(t, err)

	assert.Equal(t, "Seed Account 2", c.do("GET", "/api/v1/accounts/3", nil).doc(200)["name"])
	c.do("GET", "/api/v1/accounts/4", nil).isError(404, "Account 4 not found")
	c.do("GET", "/api/v1/accounts/abc", nil).isError(400, "Invalid id")
	c.do("GET", "/api/v1/accounts/0", nil).isError(400, "Invalid id")
}

func TestGhostCustomerLifecycle(t *testing.T) {
	c := newGhostCurl(t)
	created := c.do("POST", "/api/v1/customers", `{"email":"ann@example.com","description":"Ann","metadata":{"plan":"gold","tier":"1"}}`).doc(201)
	assert.Equal(t, map[string]any{
		"id": "cus_000001", "email": "ann@example.com", "description": "Ann",
		"metadata":  map[string]any{"plan": "gold", "tier": "1"},
		"createdAt": "2026-03-01T12:00:00Z", "updatedAt": "2026-03-01T12:00:00Z",
	}, created)
	assert.Equal(t, created, c.do("GET", "/api/v1/customers/cus_000001", nil).doc(200))

	// The seed's example: only a description.
	second := c.do("POST", "/api/v1/customers", `{"description":"some customer description"}`).doc(201)
	assert.Equal(t, "cus_000002", second["id"])
	assert.Equal(t, "", second["email"])
	assert.Equal(t, map[string]any{}, second["metadata"])
	// An empty body is an empty customer.
	assert.Equal(t, "cus_000003", c.do("POST", "/api/v1/customers", nil).doc(201)["id"])

	// PUT changes only what is present.
	c.srv.Clock.Advance(time.Minute)
	upd := c.do("PUT", "/api/v1/customers/cus_000001", `{"description":"some new customer description"}`).doc(200)
	assert.Equal(t, "ann@example.com", upd["email"])
	assert.Equal(t, "some new customer description", upd["description"])
	assert.Equal(t, map[string]any{"plan": "gold", "tier": "1"}, upd["metadata"])
	assert.Equal(t, "2026-03-01T12:00:00Z", upd["createdAt"])
	assert.Equal(t, "2026-03-01T12:01:00Z", upd["updatedAt"])

	// "" clears a field; metadata is replaced as a whole.
	upd = c.do("PUT", "/api/v1/customers/cus_000001", `{"email":"","metadata":{"plan":"silver"}}`).doc(200)
	assert.Equal(t, "", upd["email"])
	assert.Equal(t, "some new customer description", upd["description"])
	assert.Equal(t, map[string]any{"plan": "silver"}, upd["metadata"])
	assert.Equal(t, upd, c.do("GET", "/api/v1/customers/cus_000001", nil).doc(200))

	// Delete, then it is gone.
	c.do("DELETE", "/api/v1/customers/cus_000001", nil).isSuccess()
	c.do("GET", "/api/v1/customers/cus_000001", nil).isError(404, "Customer cus_000001 not found")
	c.do("DELETE", "/api/v1/customers/cus_000001", nil).isError(404, "Customer cus_000001 not found")
	c.do("PUT", "/api/v1/customers/cus_000001", `{"email":"x@example.com"}`).isError(404, "Customer cus_000001 not found")
	assert.Equal(t, []any{"cus_000002", "cus_000003"}, c.do("GET", "/api/v1/customers", nil).ids())
}

func TestGhostCustomerValidation(t *testing.T) {
	c := newGhostCurl(t)
	tests := []struct {
		name, method, body, msg string
	}{
		{"bad email", "POST", `{"email":"not-an-email"}`, "email is not a valid email address"},
		{"email with display name", "POST", `{"email":"Ann <ann@example.com>"}`, "email is not a valid email address"},
		{"email not a string", "POST", `{"email":42}`, "email must be a string"},
		{"description not a string", "POST", `{"description":["x"]}`, "description must be a string"},
		{"metadata values not strings", "POST", `{"metadata":{"n":1}}`, "metadata must be an object of string values"},
		{"metadata not an object", "POST", `{"metadata":"x"}`, "metadata must be an object of string values"},
		{"malformed JSON", "POST", `{"email":`, "Malformed JSON body: unexpected EOF"},
		{"trailing data", "POST", `{} {}`, "Malformed JSON body: unexpected data after the JSON object"},
		{"array body", "POST", `[{"email":"a@example.com"}]`, "The request body must be a JSON object"},
		{"null body", "POST", `null`, "The request body must be a JSON object"},
		{"update bad email", "PUT", `{"email":"nope"}`, "email is not a valid email address"},
		{"update malformed", "PUT", `{`, "Malformed JSON body: unexpected EOF"},
	}
	c.do("POST", "/api/v1/customers", `{}`).doc(201)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: c.pass}
			path := "/api/v1/customers"
			if tt.method == "PUT" {
				path += "/cus_000001"
			}
			cc.do(tt.method, path, tt.body).isError(400, tt.msg)
		})
	}
	// Failed creates use no ids.
	assert.Equal(t, "cus_000002", c.do("POST", "/api/v1/customers", `{}`).doc(201)["id"])
}

func TestGhostCustomerList(t *testing.T) {
	c := newGhostCurl(t)
	var all []any
	for i := 1; i <= 12; i++ {
		c.do("POST", "/api/v1/customers", map[string]any{"email": fmt.Sprintf("c%d@example.com", i)}).doc(201)
		all = append(all, fmt.Sprintf("cus_%06d", i))
	}
	tests := []struct {
		query string
		want  []any
	}{
		{"", all[:10]}, // default limit 10
		{"?limit=3", all[:3]},
		{"?limit=3&offset=3", all[3:6]},
		{"?limit=5&offset=10", all[10:]}, // a short last page
		{"?offset=12", []any{}},
		{"?limit=100", all},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: c.pass}
			res := cc.do("GET", "/api/v1/customers"+tt.query, nil)
			if len(tt.want) == 0 {
				assert.JSONEq(t, `{"docs":[]}`, string(res.body))
			}
			ids := res.ids()
			if ids == nil {
				ids = []any{}
			}
			assert.Equal(t, tt.want, ids)
		})
	}
	for q, msg := range map[string]string{
		"limit=101": "limit must be an integer from 1 to 100",
		"limit=0":   "limit must be an integer from 1 to 100",
		"limit=x":   "limit must be an integer from 1 to 100",
		"offset=-1": "offset must be a non-negative integer",
	} {
		c.do("GET", "/api/v1/customers?"+q, nil).isError(400, msg)
	}
}

func TestGhostCards(t *testing.T) {
	c := newGhostCurl(t)
	c.do("POST", "/api/v1/customers", `{"email":"a@example.com"}`).doc(201)
	c.do("POST", "/api/v1/customers", `{"email":"b@example.com"}`).doc(201)

	tests := []struct {
		name, body string
		want       map[string]any
	}{
		{
			"the seed's example: number and cvc as numbers",
			`{"number": 4242424242424242, "expMonth": "02", "expYear": "2018", "cvc": 123}`,
			map[string]any{"brand": "visa", "last4": "4242", "expMonth": "02", "expYear": "2018"},
		},
		{
			"strings everywhere",
			`{"number": "5555555555554444", "expMonth": "11", "expYear": "2030", "cvc": "0123"}`,
			map[string]any{"brand": "mastercard", "last4": "4444", "expMonth": "11", "expYear": "2030"},
		},
		{
			"numeric month and year, no cvc",
			`{"number": "378282246310005", "expMonth": 7, "expYear": 2029}`,
			map[string]any{"brand": "amex", "last4": "0005", "expMonth": "07", "expYear": "2029"},
		},
		{
			"two-digit year, other brand",
			`{"number": "6011111111111117", "expMonth": "1", "expYear": "31"}`,
			map[string]any{"brand": "unknown", "last4": "1117", "expMonth": "01", "expYear": "2031"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: c.pass}
			res := cc.do("POST", "/api/v1/customers/cus_000001/cards", tt.body)
			card := res.doc(201)
			assert.NotContains(t, string(res.body), "number")
			assert.NotContains(t, string(res.body), "cvc")
			id := fmt.Sprintf("card_%06d", i+1)
			want := map[string]any{"id": id, "customerId": "cus_000001", "createdAt": "2026-03-01T12:00:00Z"}
			for k, v := range tt.want {
				want[k] = v
			}
			assert.Equal(t, want, card)
			assert.Equal(t, card, cc.do("GET", "/api/v1/customers/cus_000001/cards/"+id, nil).doc(200))
		})
	}

	invalid := []struct{ body, msg string }{
		{`{"expMonth":"02","expYear":"2030"}`, "number is required"},
		{`{"number":"42424242","expMonth":"02","expYear":"2030"}`, "number must be 12 to 19 digits"},
		{`{"number":"42424242424242424242","expMonth":"02","expYear":"2030"}`, "number must be 12 to 19 digits"},
		{`{"number":"4242 4242 4242 4242","expMonth":"02","expYear":"2030"}`, "number must be 12 to 19 digits"},
		{`{"number":4.242e15,"expMonth":"02","expYear":"2030"}`, "number must be 12 to 19 digits"},
		{`{"number":true,"expMonth":"02","expYear":"2030"}`, "number must be a string or a number"},
		{`{"number":"4242424242424242","expYear":"2030"}`, "expMonth is required"},
		{`{"number":"4242424242424242","expMonth":"13","expYear":"2030"}`, "expMonth must be a month from 1 to 12"},
		{`{"number":"4242424242424242","expMonth":0,"expYear":"2030"}`, "expMonth must be a month from 1 to 12"},
		{`{"number":"4242424242424242","expMonth":"ab","expYear":"2030"}`, "expMonth must be a month from 1 to 12"},
		{`{"number":"4242424242424242","expMonth":"02"}`, "expYear is required"},
		{`{"number":"4242424242424242","expMonth":"02","expYear":"203"}`, "expYear must be a 2- or 4-digit year"},
		{`{"number":"4242424242424242","expMonth":"02","expYear":"2030","cvc":"12"}`, "cvc must be 3 or 4 digits"},
		{`{"number":"4242424242424242","expMonth":"02","expYear":"2030","cvc":"12345"}`, "cvc must be 3 or 4 digits"},
		{`{"number":`, "Malformed JSON body: unexpected EOF"},
	}
	for _, tt := range invalid {
		res := c.do("POST", "/api/v1/customers/cus_000001/cards", tt.body)
		res.isError(400, tt.msg)
		assert.NotContains(t, string(res.body), "4242424242424242")
	}
	c.do("POST", "/api/v1/customers/cus_000404/cards", `{"number":"4242424242424242","expMonth":"02","expYear":"2030"}`).
		isError(404, "Customer cus_000404 not found")

	// A card is reached only through its own customer.
	c.do("GET", "/api/v1/customers/cus_000002/cards/card_000001", nil).isError(404, "Card card_000001 not found for customer cus_000002")
	c.do("DELETE", "/api/v1/customers/cus_000002/cards/card_000001", nil).isError(404, "Card card_000001 not found for customer cus_000002")
	c.do("GET", "/api/v1/customers/cus_000404/cards/card_000001", nil).isError(404, "Customer cus_000404 not found")

	c.do("DELETE", "/api/v1/customers/cus_000001/cards/card_000001", nil).isSuccess()
	c.do("GET", "/api/v1/customers/cus_000001/cards/card_000001", nil).isError(404, "Card card_000001 not found for customer cus_000001")
	c.do("DELETE", "/api/v1/customers/cus_000001/cards/card_000001", nil).isError(404, "Card card_000001 not found for customer cus_000001")

	// Deleting the customer deletes its cards: a recreated id would not see them,
	// and charges against them fail.
	c.do("DELETE", "/api/v1/customers/cus_000001", nil).isSuccess()
	c.do("POST", "/api/v1/charges", `{"amount":100,"cardId":"card_000002","customerId":"cus_000002"}`).isError(404, "Card card_000002 not found")
}

func TestGhostCharges(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithSeed(2))
	ch := c.do("POST", "/api/v1/charges", `{"amount":1000,"cardId":"card_000001","customerId":"cus_000001","description":"some charge description"}`).doc(201)
	assert.Equal(t, map[string]any{
		"id": "ch_000001", "amount": float64(1000), "cardId": "card_000001", "customerId": "cus_000001",
		"description": "some charge description", "status": "succeeded", "createdAt": "2026-03-01T12:00:00Z",
	}, ch)

	tests := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"missing amount", `{"cardId":"card_000001","customerId":"cus_000001"}`, 400, "amount is required"},
		{"zero amount", `{"amount":0,"cardId":"card_000001","customerId":"cus_000001"}`, 400, "amount must be a positive number of cents"},
		{"fractional amount", `{"amount":10.5,"cardId":"card_000001","customerId":"cus_000001"}`, 400, "amount must be an integer number of cents"},
		{"amount as string", `{"amount":"1000","cardId":"card_000001","customerId":"cus_000001"}`, 400, "amount must be an integer number of cents"},
		{"missing card", `{"amount":1000,"customerId":"cus_000001"}`, 400, "cardId is required"},
		{"missing customer", `{"amount":1000,"cardId":"card_000001"}`, 400, "customerId is required"},
		{"unknown customer", `{"amount":1000,"cardId":"card_000001","customerId":"cus_000009"}`, 404, "Customer cus_000009 not found"},
		{"unknown card", `{"amount":1000,"cardId":"card_000009","customerId":"cus_000001"}`, 404, "Card card_000009 not found"},
		{"another customer's card", `{"amount":1000,"cardId":"card_000002","customerId":"cus_000001"}`, 400, "Card card_000002 does not belong to customer cus_000001"},
		{"malformed", `{"amount":1000,`, 400, "Malformed JSON body: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: c.pass}
			cc.do("POST", "/api/v1/charges", tt.body).isError(tt.status, tt.msg)
		})
	}
	assert.Equal(t, "ch_000002", c.do("POST", "/api/v1/charges", `{"amount":1,"cardId":"card_000002","customerId":"cus_000002"}`).doc(201)["id"])
}

func TestGhostIdentitiesAndTypes(t *testing.T) {
	c := newGhostCurl(t)
	id := c.do("POST", "/api/v1/identities", `{"name":"Jane","referenceId":"user_42","referenceDescription":"app user"}`).doc(201)
	assert.Equal(t, map[string]any{
		"id": float64(1), "name": "Jane", "referenceId": "user_42", "referenceDescription": "app user",
		"createdAt": "2026-03-01T12:00:00Z", "updatedAt": "2026-03-01T12:00:00Z",
	}, id)
	assert.Equal(t, id, c.do("GET", "/api/v1/identities/1", nil).doc(200))
	// A numeric referenceId is kept as its text; absent fields are null.
	id2 := c.do("POST", "/api/v1/identities", `{"name":"Joe","referenceId":42}`).doc(201)
	assert.Equal(t, float64(2), id2["id"])
	assert.Equal(t, "42", id2["referenceId"])
	assert.Nil(t, id2["referenceDescription"])
	c.do("POST", "/api/v1/identities", `{"referenceId":"x"}`).isError(400, "name is required")
	c.do("POST", "/api/v1/identities", `{"name":""}`).isError(400, "name is required")
	c.do("POST", "/api/v1/identities", `{"name":7}`).isError(400, "name must be a string")
	c.do("GET", "/api/v1/identities/3", nil).isError(404, "Identity 3 not found")
	c.do("GET", "/api/v1/identities/x", nil).isError(400, "Invalid id")

	typ := c.do("POST", "/api/v1/identity-types", `{"name":"customer"}`).doc(201)
	assert.Equal(t, map[string]any{
		"id": float64(1), "name": "customer", "createdAt": "2026-03-01T12:00:00Z", "updatedAt": "2026-03-01T12:00:00Z",
	}, typ)
	assert.Equal(t, typ, c.do("GET", "/api/v1/identity-types/1", nil).doc(200))
	c.do("POST", "/api/v1/identity-types", `{}`).isError(400, "name is required")
	c.do("GET", "/api/v1/identity-types/2", nil).isError(404, "Identity type 2 not found")
	c.do("GET", "/api/v1/identity-types/-1", nil).isError(400, "Invalid id")
}

func TestGhostIdentityEvents(t *testing.T) {
	c := newGhostCurl(t)
	c.do("POST", "/api/v1/identities", `{"name":"Jane"}`).doc(201)
	c.do("POST", "/api/v1/identities", `{"name":"Joe"}`).doc(201)

	for i, path := range []string{"/api/v1/identities/1/events", "/api/v1/identites/1/events"} {
		t.Run(path, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: c.pass}
			// The seed's example; the body's identityId (here another one) loses to the path's.
			ev := cc.do("POST", path, `{"name":"Event Click","identityId":2,"gatId":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","properties":[{"eventId":4,"userId":3}]}`).doc(201)
			assert.Equal(t, map[string]any{
				"id": float64(i + 1), "identityId": float64(1), "name": "Event Click",
				"gatId":      "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
				"properties": []any{map[string]any{"eventId": float64(4), "userId": float64(3)}},
				"createdAt":  "2026-03-01T12:00:00Z",
			}, ev)
		})
	}
	// Minimal event: properties default to an empty list, gatId to null.
	ev := c.do("POST", "/api/v1/identities/2/events", `{"name":"Signup","identityId":"2"}`).doc(201)
	assert.Equal(t, []any{}, ev["properties"])
	assert.Nil(t, ev["gatId"])
	assert.Equal(t, float64(2), ev["identityId"])

	tests := []struct {
		path, body string
		status     int
		msg        string
	}{
		{"/api/v1/identities/9/events", `{"name":"x"}`, 404, "Identity 9 not found"},
		{"/api/v1/identites/9/events", `{"name":"x"}`, 404, "Identity 9 not found"},
		{"/api/v1/identities/abc/events", `{"name":"x"}`, 400, "Invalid id"},
		{"/api/v1/identities/1/events", `{"gatId":"g"}`, 400, "name is required"},
		{"/api/v1/identities/1/events", `{"name":"x","properties":{"a":1}}`, 400, "properties must be an array of objects"},
		{"/api/v1/identities/1/events", `{"name":"x","properties":[1]}`, 400, "properties[0] must be an object"},
		{"/api/v1/identities/1/events", `{"name":"x","gatId":5}`, 400, "gatId must be a string"},
		{"/api/v1/identites/1/events", `nope`, 400, "Malformed JSON body: invalid character 'o' in literal null (expecting 'u')"},
	}
	for _, tt := range tests {
		c.do("POST", tt.path, tt.body).isError(tt.status, tt.msg)
	}
}

const ghostSeedOrder = `{
  "amount": 5000,
  "customerId": "cus_000001",
  "cardId": "card_000001",
  "gatId": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
  "orderItems": [
    {"amount": 3000, "type": "item"},
    {"amount": 1000, "type": "item", "identityId": 1},
    {"amount": 1000, "type": "fee", "description": "processing fee"}
  ]
}`

func TestGhostOrderCreate(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithSeed(1)) // cus_000001 with card_000001, identity 1, order 1
	res := c.do("POST", "/api/v1/orders", ghostSeedOrder)
	order := res.doc(201)
	assert.JSONEq(t, `{"doc":{
		"id": 2, "amount": 5000, "customerId": "cus_000001", "cardId": "card_000001",
		"gatId": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "referrer": null, "status": "pending",
		"orderItems": [
			{"amount": 3000, "type": "item"},
			{"amount": 1000, "type": "item", "identityId": 1},
			{"amount": 1000, "type": "fee", "description": "processing fee"}
		],
		"createdAt": "2026-03-01T12:00:00Z", "updatedAt": "2026-03-01T12:00:00Z"}}`, string(res.body))
	assert.Equal(t, order, c.do("GET", "/api/v1/orders/2", nil).doc(200))

	// Ids as strings or numbers, tax items, no customer, chosen referrer and status.
	o := c.do("POST", "/api/v1/orders", `{"amount":110,"referrer":"google","status":"paid",
		"orderItems":[{"amount":100,"type":"item","identityId":"1"},{"amount":10,"type":"tax"}]}`).doc(201)
	assert.Equal(t, float64(3), o["id"])
	assert.Nil(t, o["customerId"])
	assert.Nil(t, o["cardId"])
	assert.Equal(t, "google", o["referrer"])
	assert.Equal(t, "paid", o["status"])
	assert.Equal(t, float64(1), o["orderItems"].([]any)[0].(map[string]any)["identityId"])

	tests := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"sum mismatch", `{"amount":5001,"orderItems":[{"amount":3000,"type":"item"},{"amount":2000,"type":"fee"}]}`, 400,
			"amount (5001) must equal the sum of the orderItems amounts (5000)"},
		{"bad item type", `{"amount":100,"orderItems":[{"amount":100,"type":"discount"}]}`, 400,
			`orderItems[0].type must be one of item, fee, tax (got "discount")`},
		{"missing item type", `{"amount":100,"orderItems":[{"amount":50,"type":"item"},{"amount":50}]}`, 400,
			`orderItems[1].type must be one of item, fee, tax (got "")`},
		{"no items", `{"amount":100,"orderItems":[]}`, 400, "orderItems must contain at least one item"},
		{"items absent", `{"amount":100}`, 400, "orderItems must contain at least one item"},
		{"items not a list", `{"amount":100,"orderItems":{"amount":100}}`, 400, "orderItems must be an array of order items"},
		{"item not an object", `{"amount":100,"orderItems":[100]}`, 400, "orderItems[0] must be an object"},
		{"item amount missing", `{"amount":100,"orderItems":[{"type":"item"}]}`, 400, "orderItems[0].amount is required"},
		{"item amount negative", `{"amount":100,"orderItems":[{"amount":200,"type":"item"},{"amount":-100,"type":"fee"}]}`, 400,
			"orderItems[1].amount must not be negative"},
		{"item amount fractional", `{"amount":100,"orderItems":[{"amount":99.5,"type":"item"}]}`, 400, "orderItems[0].amount must be an integer"},
		{"missing amount", `{"orderItems":[{"amount":100,"type":"item"}]}`, 400, "amount is required"},
		{"amount as string", `{"amount":"100","orderItems":[{"amount":100,"type":"item"}]}`, 400, "amount must be an integer number of cents"},
		{"zero amount", `{"amount":0,"orderItems":[{"amount":0,"type":"item"}]}`, 400, "amount must be a positive number of cents"},
		{"bad identity id", `{"amount":100,"orderItems":[{"amount":100,"type":"item","identityId":"abc"}]}`, 400, "Invalid orderItems[0].identityId"},
		{"unknown identity", `{"amount":100,"orderItems":[{"amount":100,"type":"item","identityId":7}]}`, 404, "Identity 7 not found"},
		{"unknown customer", `{"amount":100,"customerId":"cus_000009","orderItems":[{"amount":100,"type":"item"}]}`, 404, "Customer cus_000009 not found"},
		{"unknown card", `{"amount":100,"cardId":"card_000009","orderItems":[{"amount":100,"type":"item"}]}`, 404, "Card card_000009 not found"},
		{"empty status", `{"amount":100,"status":"","orderItems":[{"amount":100,"type":"item"}]}`, 400, "status must not be empty"},
		{"malformed", `{"amount":100,"orderItems":[`, 400, "Malformed JSON body: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: c.pass}
			cc.do("POST", "/api/v1/orders", tt.body).isError(tt.status, tt.msg)
		})
	}
	// None of the failures used an id.
	assert.Equal(t, float64(4), c.do("POST", "/api/v1/orders", `{"amount":1,"orderItems":[{"amount":1,"type":"fee"}]}`).doc(201)["id"])

	// A card of another customer.
	c.do("POST", "/api/v1/customers", `{}`).doc(201) // cus_000002
	c.do("POST", "/api/v1/orders", `{"amount":1,"customerId":"cus_000002","cardId":"card_000001","orderItems":[{"amount":1,"type":"item"}]}`).
		isError(400, "Card card_000001 does not belong to customer cus_000002")
}

func TestGhostOrderGetDelete(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithSeed(2))
	assert.Equal(t, float64(2100), c.do("GET", "/api/v1/orders/2", nil).doc(200)["amount"])
	c.do("DELETE", "/api/v1/orders/2", nil).isSuccess()
	c.do("GET", "/api/v1/orders/2", nil).isError(404, "Order 2 not found")
	c.do("DELETE", "/api/v1/orders/2", nil).isError(404, "Order 2 not found")
	c.do("GET", "/api/v1/orders/two", nil).isError(400, "Invalid id")
	c.do("DELETE", "/api/v1/orders/1.5", nil).isError(400, "Invalid id")
	assert.Equal(t, []any{float64(1)}, c.do("GET", "/api/v1/orders", nil).ids())
}

func TestGhostOrderListFilters(t *testing.T) {
	c := newGhostCurl(t)
	c.do("POST", "/api/v1/customers", `{}`).doc(201) // cus_000001
	c.do("POST", "/api/v1/customers", `{}`).doc(201) // cus_000002
	// Six orders one hour apart, starting at ghostT0.
	specs := []struct {
		amount            int
		customer, ref, st string
	}{
		{500, "cus_000001", "google", "pending"},
		{100, "cus_000002", "direct", "paid"},
		{300, "cus_000001", "google", "paid"},
		{300, "cus_000002", "newsletter", "pending"},
		{200, "cus_000001", "direct", "refunded"},
		{400, "cus_000002", "google", "pending"},
	}
	for i, s := range specs {
		body := map[string]any{
			"amount": s.amount, "customerId": s.customer, "referrer": s.ref, "status": s.st,
			"gatId":      fmt.Sprintf("gat-%d", i%2),
			"orderItems": []map[string]any{{"amount": s.amount, "type": "item"}},
		}
		o := c.do("POST", "/api/v1/orders", body).doc(201)
		require.Equal(t, float64(i+1), o["id"])
		c.srv.Clock.Advance(time.Hour)
	}
	ids := func(ns ...int) []any {
		out := []any{}
		for _, n := range ns {
			out = append(out, float64(n))
		}
		return out
	}
	at := func(h int) string { return ghostT0.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	tests := []struct {
		query string
		want  []any
	}{
		{"", ids(1, 2, 3, 4, 5, 6)},
		{"sortDir=desc", ids(6, 5, 4, 3, 2, 1)},
		{"customerId=cus_000001", ids(1, 3, 5)},
		{"customerId=cus_000009", ids()},
		{"referrer=google", ids(1, 3, 6)},
		{"status=paid", ids(2, 3)},
		{"gatId=gat-1", ids(2, 4, 6)},
		{"referrer=google&status=pending&customerId=cus_000002", ids(6)},
		{"dateRange[start]=" + at(2), ids(3, 4, 5, 6)},
		{"dateRange[end]=" + at(2), ids(1, 2, 3)},
		{"dateRange%5Bstart%5D=" + at(1) + "&dateRange%5Bend%5D=" + at(3), ids(2, 3, 4)},    // inclusive, escaped brackets
		{"dateRange[start]=2026-03-01T12:30:00%2B01:00&dateRange[end]=" + at(1), ids(1, 2)}, // other offsets
		// The original node client's array form, escaped or not, and dateRange[] twice.
		{"dateRange[0]=" + at(1) + "&dateRange[1]=" + at(3), ids(2, 3, 4)},
		{"dateRange%5B0%5D=" + at(2), ids(3, 4, 5, 6)},
		{"dateRange%5B1%5D=" + at(2), ids(1, 2, 3)},
		{"dateRange[]=" + at(1) + "&dateRange[]=" + at(3), ids(2, 3, 4)},
		{fmt.Sprintf("dateRange[0]=%d&dateRange[1]=%d", ghostT0.Add(time.Hour).UnixMilli(), ghostT0.Add(3*time.Hour).UnixMilli()), ids(2, 3, 4)}, // epoch ms
		{"sortBy=amount", ids(2, 5, 3, 4, 6, 1)}, // ties by creation
		{"sortBy=amount&sortDir=desc", ids(1, 6, 4, 3, 5, 2)},
		{"sortBy=id&sortDir=desc&limit=2", ids(6, 5)},
		{"limit=4", ids(1, 2, 3, 4)},
		{"limit=4&offset=4", ids(5, 6)}, // short last page
		{"limit=4&offset=8", ids()},
		{"customerId=cus_000002&sortDir=desc&limit=2&offset=1", ids(4, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			cc := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: c.pass}
			got := cc.do("GET", "/api/v1/orders?"+tt.query, nil).ids()
			if got == nil {
				got = []any{}
			}
			assert.Equal(t, tt.want, got)
		})
	}

	bad := []struct{ query, msg string }{
		{"limit=101", "limit must be an integer from 1 to 100"},
		{"limit=-1", "limit must be an integer from 1 to 100"},
		{"offset=x", "offset must be a non-negative integer"},
		{"sortBy=name", "sortBy must be one of createdAt, amount, id"},
		{"sortDir=up", "sortDir must be asc or desc"},
		{"dateRange[start]=yesterday", "dateRange[start] must be an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z) or epoch milliseconds"},
		{"dateRange[end]=2026-03-01", "dateRange[end] must be an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z) or epoch milliseconds"},
		{"dateRange[1]=2026-03-01", "dateRange[1] must be an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z) or epoch milliseconds"},
		{"dateRange[from]=" + at(1), "dateRange[from] is not a dateRange key: use dateRange[start] and dateRange[end] (or dateRange[0] and dateRange[1])"},
		{"dateRange[0]=" + at(1) + "&dateRange[start]=" + at(1), "dateRange[start] and dateRange[0] both give the dateRange start: give one"},
		{"dateRange[]=" + at(1), "dateRange[] must be given twice: the start, then the end"},
		{"dateRange[start]=" + at(3) + "&dateRange[end]=" + at(1), "dateRange[end] must not be before dateRange[start]"},
	}
	for _, tt := range bad {
		c.do("GET", "/api/v1/orders?"+tt.query, nil).isError(400, tt.msg)
	}
}

func TestGhostOrderListDefaultLimit(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithSeed(12))
	docs := c.do("GET", "/api/v1/orders", nil).docs()
	require.Len(t, docs, 10)
	assert.Equal(t, float64(1), docs[0]["id"])
	assert.Len(t, c.do("GET", "/api/v1/orders?offset=10", nil).docs(), 2)
}

func TestGhostIdempotency(t *testing.T) {
	c := newGhostCurl(t)
	body := `{"amount":100,"orderItems":[{"amount":100,"type":"item"}]}`

	// A request refused for its credentials does not claim the key.
	bad := &ghostCurl{t: t, srv: c.srv, user: c.user, pass: "wrong"}
	bad.do("POST", "/api/v1/orders", body, "Idempotency-Key", "k1").isError(401, "Invalid public key or secret key")

	first := c.do("POST", "/api/v1/orders", body, "Idempotency-Key", "k1")
	require.Equal(t, 201, first.status)
	assert.Empty(t, first.header.Get("Idempotent-Replayed"))
	c.srv.Clock.Advance(time.Minute)
	second := c.do("POST", "/api/v1/orders", body, "Idempotency-Key", "k1")
	assert.Equal(t, 201, second.status)
	assert.Equal(t, "true", second.header.Get("Idempotent-Replayed"))
	assert.Equal(t, string(first.body), string(second.body))
	assert.Equal(t, 1, c.srv.IdempotentReplays())
	assert.Equal(t, []any{float64(1)}, c.do("GET", "/api/v1/orders", nil).ids())

	// Same key, other body.
	c.do("POST", "/api/v1/orders", `{"amount":200,"orderItems":[{"amount":200,"type":"item"}]}`, "Idempotency-Key", "k1").
		isError(409, "Idempotency-Key was already used with a different request body")
	// Another key, or none, creates another order.
	assert.Equal(t, float64(2), c.do("POST", "/api/v1/orders", body, "Idempotency-Key", "k2").doc(201)["id"])
	assert.Equal(t, float64(3), c.do("POST", "/api/v1/orders", body).doc(201)["id"])

	// Every POST route takes a key.
	cus := c.do("POST", "/api/v1/customers", `{"email":"a@example.com"}`, "Idempotency-Key", "c1")
	again := c.do("POST", "/api/v1/customers", `{"email":"a@example.com"}`, "Idempotency-Key", "c1")
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, cus.doc(201), again.doc(201))
	assert.Len(t, c.do("GET", "/api/v1/customers", nil).docs(), 1)
}

func TestGhostSeed(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithSeed(3))

	// Seeding is deterministic but for the timestamps, which are one minute
	// apart before the server started.
	c2 := newGhostCurl(t, ghosttest.WithSeed(3))
	for _, path := range []string{"/api/v1/orders", "/api/v1/customers"} {
		a, b := c.do("GET", path, nil).docs(), c2.do("GET", path, nil).docs()
		require.Len(t, a, 3)
		require.Len(t, b, 3)
		var prev time.Time
		for i := range a {
			at, err := time.Parse(time.RFC3339, a[i]["createdAt"].(string))
			require.NoError(t, err)
			if i > 0 {
				assert.Equal(t, time.Minute, at.Sub(prev), path)
			}
			prev = at
			for _, m := range []map[string]any{a[i], b[i]} {
				delete(m, "createdAt")
				delete(m, "updatedAt")
			}
			assert.Equal(t, a[i], b[i], path)
		}
	}

	customers := c.do("GET", "/api/v1/customers", nil).docs()
	require.Len(t, customers, 3)
	for i, cus := range customers {
		n := i + 1
		id := fmt.Sprintf("cus_%06d", n)
		assert.Equal(t, id, cus["id"])
		assert.Equal(t, fmt.Sprintf("customer%d@example.com", n), cus["email"])
		card := c.do("GET", fmt.Sprintf("/api/v1/customers/%s/cards/card_%06d", id, n), nil).doc(200)
		assert.Equal(t, "4242", card["last4"])
		assert.Equal(t, "visa", card["brand"])

		o := c.do("GET", fmt.Sprintf("/api/v1/orders/%d", n), nil).doc(200)
		assert.Equal(t, id, o["customerId"])
		assert.Equal(t, fmt.Sprintf("card_%06d", n), o["cardId"])
		var sum float64
		for _, it := range o["orderItems"].([]any) {
			sum += it.(map[string]any)["amount"].(float64)
		}
		assert.Equal(t, o["amount"], sum)

		assert.Equal(t, fmt.Sprintf("Identity %d", n), c.do("GET", fmt.Sprintf("/api/v1/identities/%d", n), nil).doc(200)["name"])
		assert.Equal(t, fmt.Sprintf("Identity type %d", n), c.do("GET", fmt.Sprintf("/api/v1/identity-types/%d", n), nil).doc(200)["name"])
		assert.Equal(t, fmt.Sprintf("Seed Account %d", n), c.do("GET", fmt.Sprintf("/api/v1/accounts/%d", n+1), nil).doc(200)["name"])
	}
	assert.Len(t, c.do("GET", "/api/v1/orders", nil).docs(), 3)
	// New objects continue the sequences.
	assert.Equal(t, "cus_000004", c.do("POST", "/api/v1/customers", `{}`).doc(201)["id"])
	assert.Equal(t, float64(4), c.do("POST", "/api/v1/identities", `{"name":"n"}`).doc(201)["id"])

}

func TestGhostRouting(t *testing.T) {
	c := newGhostCurl(t)
	tests := []struct {
		method, path, allow string
	}{
		{"PATCH", "/api/v1/customers/cus_000001", "DELETE, GET, HEAD, PUT"},
		{"POST", "/api/v1/customers/cus_000001", "DELETE, GET, HEAD, PUT"},
		{"DELETE", "/api/v1/customers", "GET, HEAD, POST"},
		{"PUT", "/api/v1/orders/1", "DELETE, GET, HEAD"},
		{"GET", "/api/v1/charges", "POST"},
		{"GET", "/api/v1/identites/1/events", "POST"},
		{"DELETE", "/api/v1/accounts/1", "GET, HEAD"},
	}
	for _, tt := range tests {
		res := c.do(tt.method, tt.path, nil)
		res.isError(405, fmt.Sprintf("%s is not allowed on %s (allowed: %s)", tt.method, tt.path, tt.allow))
		assert.Equal(t, tt.allow, res.header.Get("Allow"))
	}
	c.do("GET", "/api/v1/charges/ch_000001", nil).isError(404, "/api/v1/charges/ch_000001 does not exist")
	c.do("GET", "/api/v1/products", nil).isError(404, "/api/v1/products does not exist")
}

func TestGhostProfileAll(t *testing.T) {
	c := newGhostCurl(t, ghosttest.WithProfile(ghosttest.ProfileAll))
	assert.Equal(t, "Ghost Test Account", c.do("GET", "/api/v1/accounts/1", nil).doc(200)["name"])
	c.do("POST", "/api/v1/customers", `{"email":"a@example.com"}`).doc(201)
	c.do("POST", "/api/v1/customers/cus_000001/cards", `{"number":4242424242424242,"expMonth":"02","expYear":"2018","cvc":123}`).doc(201)
	c.do("POST", "/api/v1/identities", `{"name":"Jane"}`).doc(201)
	c.do("POST", "/api/v1/identites/1/events", `{"name":"Event Click"}`).doc(201)
	assert.Equal(t, float64(1), c.do("POST", "/api/v1/orders", ghostSeedOrder).doc(201)["id"])
	assert.Equal(t, []any{float64(1)}, c.do("GET", "/api/v1/orders?customerId=cus_000001", nil).ids())
	c.do("DELETE", "/api/v1/orders/1", nil).isSuccess()
	c.do("GET", "/api/v1/orders/1", nil).isError(404, "Order 1 not found")
	(&ghostCurl{t: t, srv: c.srv}).do("GET", "/api/v1/orders", nil).
		isError(401, "Missing credentials: use HTTP Basic auth with your public key as the username and your secret key as the password")
}

func TestGhostConcurrentCreates(t *testing.T) {
	c := newGhostCurl(t)
	c.do("POST", "/api/v1/customers", `{}`).doc(201)
	const n = 24
	var wg sync.WaitGroup
	results := make([]ghostResp, n)
	for i := range n {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				results[i] = c.do("POST", "/api/v1/orders", `{"amount":1,"orderItems":[{"amount":1,"type":"item"}]}`)
			case 1:
				results[i] = c.do("POST", "/api/v1/customers/cus_000001/cards", `{"number":"4242424242424242","expMonth":1,"expYear":30}`)
			default:
				results[i] = c.do("PUT", "/api/v1/customers/cus_000001", map[string]any{"description": fmt.Sprint(i)})
			}
			_ = c.do("GET", "/api/v1/orders?sortBy=amount", nil)
		})
	}
	wg.Wait()
	seen := map[any]bool{}
	for i, r := range results {
		want := 201
		if i%3 == 2 {
			want = 200
		}
		d := r.doc(want)
		if i%3 != 2 {
			assert.False(t, seen[d["id"]], "duplicate id %v", d["id"])
			seen[d["id"]] = true
		}
	}
	assert.Len(t, c.do("GET", "/api/v1/orders?limit=100", nil).docs(), n/3)
	assert.Len(t, seen, 2*n/3)
}
