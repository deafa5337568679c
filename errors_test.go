package ghost_test

import (
	"net/http"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorShapes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		header []string
		want   ghost.Error
		is     []error
	}{
		{"ghost", 400, `{"message":"Invalid id","status":400,"error":"Bad Request"}`, nil,
			ghost.Error{StatusCode: 400, Code: "Bad Request", Message: "Invalid id"}, []error{ghost.ErrValidation}},
		{"checkout not found", 404, `{"success":false,"error":{"code":"NOT_FOUND","message":"Cart not found"}}`, nil,
			ghost.Error{StatusCode: 404, Code: "NOT_FOUND", Message: "Cart not found"}, []error{ghost.ErrNotFound}},
		{"checkout validation", 422, `{"success":false,"error":{"code":"VALIDATION_ERROR","message":"customerEmail is required"}}`, nil,
			ghost.Error{StatusCode: 422, Code: "VALIDATION_ERROR", Message: "customerEmail is required"}, []error{ghost.ErrValidation}},
		{"spark", 400, `{"status_code":400,"message":"Bad Request","details":"This method requires one or more resource IDs to be specified"}`, nil,
			ghost.Error{StatusCode: 400, Message: "Bad Request", Details: "This method requires one or more resource IDs to be specified"}, []error{ghost.ErrValidation}},
		{"spark conflict", 409, `{"status_code":409,"message":"Conflict","details":"price must be positive"}`, nil,
			ghost.Error{StatusCode: 409, Message: "Conflict", Details: "price must be positive"}, []error{ghost.ErrValidation}},
		{"komoju", 400, `{"error":{"code":"missing_parameter","message":"payment_details is missing","param":"payment_details"}}`, nil,
			ghost.Error{StatusCode: 400, Code: "missing_parameter", Message: "payment_details is missing", Param: "payment_details"}, []error{ghost.ErrValidation}},
		{"unauthorized", 401, `{"message":"Invalid credentials","status":401,"error":"Unauthorized"}`, nil,
			ghost.Error{StatusCode: 401, Code: "Unauthorized", Message: "Invalid credentials"}, []error{ghost.ErrUnauthorized}},
		{"proxy html", 502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, []string{"Content-Type", "text/html"},
			ghost.Error{StatusCode: 502, Message: "Bad Gateway"}, []error{ghost.ErrUnavailable}},
		{"empty 500", 500, ``, nil, ghost.Error{StatusCode: 500, Message: "Internal Server Error"}, nil},
		{"rate limited", 429, `{"success":false,"error":{"code":"RATE_LIMITED","message":"Too many requests"}}`, []string{"Retry-After", "7", "X-Request-Id", "req_1"},
			ghost.Error{StatusCode: 429, Code: "RATE_LIMITED", Message: "Too many requests", RetryAfter: 7e9, RequestID: "req_1"}, []error{ghost.ErrRateLimited}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(tt.status, tt.body, tt.header...)}}
			c := newFakeClient(t, f, ghost.WithRetryPolicy(ghost.RetryPolicy{}))
			_, err := c.Accounts.Get(t.Context(), "1")
			require.Error(t, err)
			var ge *ghost.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tt.want.StatusCode, ge.StatusCode)
			assert.Equal(t, tt.want.Code, ge.Code)
			assert.Equal(t, tt.want.Message, ge.Message)
			assert.Equal(t, tt.want.Details, ge.Details)
			assert.Equal(t, tt.want.Param, ge.Param)
			assert.Equal(t, tt.want.RetryAfter, ge.RetryAfter)
			assert.Equal(t, tt.want.RequestID, ge.RequestID)
			assert.Equal(t, "GET", ge.Method)
			assert.Equal(t, "/api/v1/accounts/1", ge.Path)
			assert.Equal(t, "Accounts.Get", ge.Operation)
			assert.Equal(t, tt.body, string(ge.Body))
			for _, target := range tt.is {
				assert.ErrorIs(t, err, target)
			}
			for _, other := range []error{ghost.ErrNotFound, ghost.ErrUnauthorized, ghost.ErrValidation, ghost.ErrRateLimited, ghost.ErrUnavailable} {
				if !containsErr(tt.is, other) {
					assert.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func containsErr(list []error, e error) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func TestErrorBodyIsBounded(t *testing.T) {
	big := `{"message":"` + strings.Repeat("x", 100_000) + `","status":500,"error":"Internal Server Error"}`
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(500, big)}}
	c := newFakeClient(t, f, ghost.WithRetryPolicy(ghost.RetryPolicy{}))
	_, err := c.Accounts.Get(t.Context(), "1")
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Len(t, ge.Body, 4096)
}

func TestResponseBodyLimit(t *testing.T) {
	big := `{"doc":{"id":1,"name":"` + strings.Repeat("x", 2<<20) + `"}}`
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, big)}}
	c := newFakeClient(t, f, ghost.WithMaxResponseBytes(1<<20))
	_, err := c.Accounts.Get(t.Context(), "1")
	require.ErrorIs(t, err, ghost.ErrResponseTooLarge)
	assert.Equal(t, 1, f.count(), "an oversized body is not retried")
}

func TestBadSuccessBodies(t *testing.T) {
	tests := []struct{ name, body string }{
		{"malformed", `{"doc":{"id":1,`},
		{"html", `<html>ok</html>`},
		{"empty", ``},
		{"wrong type", `{"doc":{"id":{"nested":true}}}`},
		{"no payload", `{"success":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, tt.body)}}
			c := newFakeClient(t, f)
			_, err := c.Accounts.Get(t.Context(), "1")
			var ge *ghost.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, ghost.CodeBadResponse, ge.Code)
			assert.Equal(t, 200, ge.StatusCode)
		})
	}
}

func TestValidationBeforeSending(t *testing.T) {
	tests := []struct {
		name  string
		call  func(c *ghost.Client) error
		param string
	}{
		{"order sum mismatch", func(c *ghost.Client) error {
			_, err := c.Orders.Create(t.Context(), ghost.OrderCreateParams{Amount: 5000, OrderItems: []ghost.OrderItem{
				{Amount: 3000, Type: ghost.OrderItemTypeItem}, {Amount: 1000, Type: ghost.OrderItemTypeFee}}})
			return err
		}, "amount"},
		{"order bad item type", func(c *ghost.Client) error {
			_, err := c.Orders.Create(t.Context(), ghost.OrderCreateParams{Amount: 100, OrderItems: []ghost.OrderItem{{Amount: 100, Type: "discount"}}})
			return err
		}, "orderItems"},
		{"order without items", func(c *ghost.Client) error {
			_, err := c.Orders.Create(t.Context(), ghost.OrderCreateParams{Amount: 100})
			return err
		}, "orderItems"},
		{"order sort dir", func(c *ghost.Client) error {
			_, err := c.Orders.List(t.Context(), &ghost.OrderListParams{SortDir: "sideways"})
			return err
		}, "sortDir"},
		{"empty id", func(c *ghost.Client) error { _, err := c.Customers.Get(t.Context(), ""); return err }, "customerID"},
		{"dot-dot id", func(c *ghost.Client) error { _, err := c.Orders.Get(t.Context(), ".."); return err }, "orderID"},
		{"card id missing", func(c *ghost.Client) error { _, err := c.Cards.Get(t.Context(), "cus_1", ""); return err }, "cardID"},
		{"charge amount", func(c *ghost.Client) error {
			_, err := c.Charges.Create(t.Context(), ghost.ChargeCreateParams{Amount: 0, CardID: "c", CustomerID: "u"})
			return err
		}, "amount"},
		{"card number", func(c *ghost.Client) error {
			_, err := c.Cards.Create(t.Context(), "cus_1", ghost.CardCreateParams{Number: "4242-abc", ExpMonth: "02", ExpYear: "2030"})
			return err
		}, "number"},
		{"identity name", func(c *ghost.Client) error {
			_, err := c.Identities.Create(t.Context(), ghost.IdentityCreateParams{})
			return err
		}, "name"},
		{"event name", func(c *ghost.Client) error {
			_, err := c.Events.Create(t.Context(), "1", ghost.EventCreateParams{})
			return err
		}, "name"},
		{"idempotency key too long", func(c *ghost.Client) error {
			_, err := c.Orders.Create(t.Context(), someOrder, ghost.WithIdempotencyKey(strings.Repeat("k", 300)))
			return err
		}, "idempotency_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(500, `{}`)}}
			c := newFakeClient(t, f)
			err := tt.call(c)
			requireInvalid(t, err, tt.param)
			assert.Zero(t, f.count(), "nothing may be sent")
		})
	}
}

// A failure reported in a 2xx body is an error in the parts whose envelope
// has a success flag: Checkout maps its code to the status its
// documentation pairs it with, and Ghost's delete acknowledgement
// {"success": true} turned false is a failure too.
func TestSuccessFalseIsAnError(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		call   func(c *ghost.Client) error
		status int
		is     error
	}{
		{"checkout not found", `{"success":false,"error":{"code":"NOT_FOUND","message":"Cart not found"}}`,
			func(c *ghost.Client) error { _, err := c.Carts.Get(t.Context(), "cart_1"); return err }, 404, ghost.ErrNotFound},
		{"checkout bad request", `{"success":false,"error":{"code":"BAD_REQUEST","message":"nope"}}`,
			func(c *ghost.Client) error { _, err := c.Carts.Get(t.Context(), "cart_1"); return err }, 400, ghost.ErrValidation},
		{"checkout rate limited", `{"success":false,"error":{"code":"RATE_LIMITED","message":"slow down"}}`,
			func(c *ghost.Client) error { return c.Carts.Delete(t.Context(), "cart_1") }, 429, ghost.ErrRateLimited},
		{"ghost delete", `{"success":false,"message":"cannot delete","error":"Bad Request"}`,
			func(c *ghost.Client) error { return c.Orders.Delete(t.Context(), "1") }, 400, ghost.ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, tt.body)}}
			err := tt.call(newFakeClient(t, f))
			var ge *ghost.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tt.status, ge.StatusCode)
			assert.ErrorIs(t, err, tt.is)
			assert.Equal(t, 1, f.count(), "not retried")
		})
	}
}
