package ghost_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var komojuAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(ghosttest.DefaultSecretKey+":"))

var komojuCreated = time.Date(2018, 11, 13, 6, 20, 21, 0, time.UTC)

func newKomoju(t *testing.T, opts ...ghosttest.Option) *ghosttest.Server {
	t.Helper()
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(ghosttest.ProfileKomoju)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.Clock.Set(komojuCreated)
	require.Equal(t, ghost.ConventionKomoju, srv.Client.Convention())
	return srv
}

func lastRequest(t *testing.T, srv *ghosttest.Server) ghosttest.RecordedRequest {
	t.Helper()
	r, ok := srv.LastRequest()
	require.True(t, ok, "no request was sent")
	return r
}

func TestKomojuCustomerCreate(t *testing.T) {
	srv := newKomoju(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		params   ghost.CustomerParams
		wantBody string
		want     ghost.PaymentSource
	}{
		{
			name: "token",
			params: ghost.CustomerParams{
				Email: "test@example.com", Currency: "jpy", Metadata: map[string]string{"order_id": "abcdefg"},
				PaymentDetails: ghost.PaymentToken("tok_38e6c5838b91e5d4"),
			},
			wantBody: `{"email":"test@example.com","currency":"JPY","metadata":{"order_id":"abcdefg"},"payment_details":"tok_38e6c5838b91e5d4"}`,
			want:     ghost.PaymentSource{Type: "credit_card", Brand: "visa", LastFourDigits: "1111", Month: 1, Year: 2023},
		},
		{
			name: "hash",
			params: ghost.CustomerParams{
				Email: "card@example.com",
				PaymentDetails: ghost.PaymentHash(map[string]any{
					"type": "credit_card", "number": "4111111111111111", "month": 7, "year": 2031, "verification_value": "123",
				}),
			},
			wantBody: `{"email":"card@example.com","payment_details":{"type":"credit_card","number":"4111111111111111","month":7,"year":2031,"verification_value":"123"}}`,
			want:     ghost.PaymentSource{Type: "credit_card", Brand: "visa", LastFourDigits: "1111", Month: 7, Year: 2031},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := srv.Client.Customers.Create(ctx, tt.params)
			require.NoError(t, err)
			r := lastRequest(t, srv)
			assert.Equal(t, "POST", r.Method)
			assert.Equal(t, "/api/v1/customers", r.Path)
			assert.Equal(t, "", r.RawQuery)
			assert.Equal(t, komojuAuth, r.Header.Get("Authorization"))
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.JSONEq(t, tt.wantBody, string(r.Body))

			assert.Regexp(t, `^[0-9a-z]{25}$`, string(c.ID))
			assert.Equal(t, "customer", c.Resource)
			assert.Equal(t, tt.params.Email, c.Email)
			require.NotNil(t, c.Source)
			assert.Equal(t, tt.want, *c.Source)
			assert.True(t, c.CreatedAt.Equal(komojuCreated), c.CreatedAt)
		})
	}
}

func TestKomojuCustomerCreateIdempotency(t *testing.T) {
	srv := newKomoju(t)
	params := ghost.CustomerParams{Email: "x@example.com", PaymentDetails: ghost.PaymentToken("tok_1")}
	a, err := srv.Client.Customers.Create(context.Background(), params, ghost.WithIdempotencyKey("cus-create-1"))
	require.NoError(t, err)
	r := lastRequest(t, srv)
	assert.Equal(t, "cus-create-1", r.Header.Get("X-KOMOJU-IDEMPOTENCY"))
	assert.Empty(t, r.Header.Get("Idempotency-Key"))

	b, err := srv.Client.Customers.Create(context.Background(), params, ghost.WithIdempotencyKey("cus-create-1"))
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, 1, srv.IdempotentReplays())

	// Komoju allows at most 100 characters: refused before sending.
	srv.ResetRequests()
	_, err = srv.Client.Customers.Create(context.Background(), params, ghost.WithIdempotencyKey(strings.Repeat("k", 101)))
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, srv.Requests())
}

func TestKomojuCustomerCreateRefusedBeforeSending(t *testing.T) {
	srv := newKomoju(t)
	tests := []struct {
		name   string
		params ghost.CustomerParams
		param  string
	}{
		{"no payment details", ghost.CustomerParams{Email: "a@b.jp"}, "payment_details"},
		{"empty token", ghost.CustomerParams{PaymentDetails: ghost.PaymentToken("")}, "payment_details"},
		{"token and hash", ghost.CustomerParams{PaymentDetails: &ghost.PaymentDetails{Token: "tok_1", Hash: map[string]any{"type": "x"}}}, "payment_details"},
		{"currency not 3 letters", ghost.CustomerParams{Currency: "JP", PaymentDetails: ghost.PaymentToken("tok_1")}, "currency"},
		{"currency not letters", ghost.CustomerParams{Currency: "J1Y", PaymentDetails: ghost.PaymentToken("tok_1")}, "currency"},
		{"description is Ghost only", ghost.CustomerParams{Description: "d", PaymentDetails: ghost.PaymentToken("tok_1")}, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Client.Customers.Create(context.Background(), tt.params)
			var e *ghost.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, ghost.CodeInvalidParams, e.Code)
			assert.Equal(t, tt.param, e.Param)
			assert.Equal(t, 0, e.StatusCode)
			assert.ErrorIs(t, err, ghost.ErrValidation)
		})
	}
	assert.Empty(t, srv.Requests())
}

func TestKomojuCustomerGetUpdateDelete(t *testing.T) {
	srv := newKomoju(t, ghosttest.WithSeed(2))
	ctx := context.Background()
	page, err := srv.Client.Customers.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	id := page.Items[0].ID

	got, err := srv.Client.Customers.Get(ctx, id)
	require.NoError(t, err)
	r := lastRequest(t, srv)
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/api/v1/customers/"+string(id), r.Path)
	assert.Equal(t, komojuAuth, r.Header.Get("Authorization"))
	assert.Equal(t, "customer2@example.com", got.Email)
	assert.Nil(t, got.Source)
	assert.Equal(t, map[string]string{"order_id": "abcdefg"}, got.Metadata)
	assert.WithinDuration(t, time.Now(), got.CreatedAt, time.Minute) // seeded before the clock was set

	upd, err := srv.Client.Customers.Update(ctx, id, ghost.CustomerUpdateParams{
		PaymentDetails: ghost.PaymentToken("tok_840321a7"),
		Currency:       ghost.Some("USD"),
		Metadata:       map[string]string{"order_id": "xyz"},
	})
	require.NoError(t, err)
	r = lastRequest(t, srv)
	assert.Equal(t, "PATCH", r.Method)
	assert.Equal(t, "/api/v1/customers/"+string(id), r.Path)
	assert.JSONEq(t, `{"currency":"USD","metadata":{"order_id":"xyz"},"payment_details":"tok_840321a7"}`, string(r.Body))
	assert.Equal(t, "customer2@example.com", upd.Email)
	assert.Equal(t, "USD", upd.Currency)
	require.NotNil(t, upd.Source)
	assert.Equal(t, "1111", upd.Source.LastFourDigits)

	deleted, err := srv.Client.Customers.DeleteReturning(ctx, id)
	require.NoError(t, err)
	r = lastRequest(t, srv)
	assert.Equal(t, "DELETE", r.Method)
	assert.Equal(t, "/api/v1/customers/"+string(id), r.Path)
	assert.Equal(t, upd, deleted)

	_, err = srv.Client.Customers.Get(ctx, id)
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 404, e.StatusCode)
	assert.Equal(t, "not_found", e.Code)
	assert.Equal(t, "id", e.Param)
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	// Delete (no return value) works too.
	other := page.Items[1].ID
	require.NoError(t, srv.Client.Customers.Delete(ctx, other))
	r = lastRequest(t, srv)
	assert.Equal(t, "DELETE", r.Method)
	assert.Equal(t, "/api/v1/customers/"+string(other), r.Path)
	assert.ErrorIs(t, srv.Client.Customers.Delete(ctx, other), ghost.ErrNotFound)
}

func TestKomojuCustomerList(t *testing.T) {
	srv := newKomoju(t, ghosttest.WithSeed(5))
	page, err := srv.Client.Customers.List(context.Background(), &ghost.CustomerListParams{Page: 2, PerPage: 2})
	require.NoError(t, err)
	r := lastRequest(t, srv)
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/api/v1/customers", r.Path)
	assert.Equal(t, "page=2&per_page=2", r.RawQuery)
	assert.Empty(t, r.Body)
	assert.Equal(t, ghost.PageMeta{
		Total: ghost.Some(5), Page: ghost.Some(2), PerPage: ghost.Some(2), LastPage: ghost.Some(3),
	}, page.Meta)
	require.Len(t, page.Items, 2)
	assert.Equal(t, "customer3@example.com", page.Items[0].Email)
	assert.Equal(t, "customer", page.Items[0].Resource)

	srv.ResetRequests()
	_, err = srv.Client.Customers.List(context.Background(), &ghost.CustomerListParams{Limit: 10})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, srv.Requests())
}

func TestKomojuCustomerAll(t *testing.T) {
	srv := newKomoju(t, ghosttest.WithSeed(5))
	var emails []string
	for c, err := range srv.Client.Customers.All(context.Background(), &ghost.CustomerListParams{PerPage: 2}) {
		require.NoError(t, err)
		emails = append(emails, c.Email)
	}
	assert.Equal(t, []string{
		"customer5@example.com", "customer4@example.com", "customer3@example.com", "customer2@example.com", "customer1@example.com",
	}, emails)
	var queries []string
	for _, r := range srv.Requests() {
		queries = append(queries, r.RawQuery)
	}
	assert.Equal(t, []string{"page=1&per_page=2", "page=2&per_page=2", "page=3&per_page=2"}, queries)
}

func TestKomojuErrors(t *testing.T) {
	srv := newKomoju(t)
	_, err := srv.Client.Customers.Create(context.Background(), ghost.CustomerParams{PaymentDetails: ghost.PaymentToken("not-a-token")})
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 400, e.StatusCode)
	assert.Equal(t, "invalid_parameter", e.Code)
	assert.Equal(t, "payment_details", e.Param)
	assert.NotEmpty(t, e.Message)
	assert.ErrorIs(t, err, ghost.ErrValidation)

	bad, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithSecretKey("sk_wrong"), ghost.WithConvention(ghost.ConventionKomoju))
	require.NoError(t, err)
	_, err = bad.Customers.List(context.Background(), nil)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.StatusCode)
	assert.Equal(t, "unauthorized", e.Code)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "sk_wrong")
	assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("sk_wrong:")), lastRequest(t, srv).Header.Get("Authorization"))
}

// The Komoju fields are refused under the Ghost convention, and the Ghost
// paging fields under Komoju: what is sent follows the convention.
func TestCustomerConventionFieldsRefused(t *testing.T) {
	srv := ghosttest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client
	require.Equal(t, ghost.ConventionGhost, c.Convention())

	_, err := c.Customers.Create(ctx, ghost.CustomerParams{Email: "a@b.c", PaymentDetails: ghost.PaymentToken("tok_1")})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = c.Customers.Update(ctx, "cus_1", ghost.CustomerUpdateParams{Currency: ghost.Some("JPY")})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = c.Customers.List(ctx, &ghost.CustomerListParams{Page: 2})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = c.Customers.DeleteReturning(ctx, "cus_1")
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, srv.Requests())
}

func TestCustomerDecodesEveryConvention(t *testing.T) {
	// Whatever the convention, what is received is decoded: camelCase and
	// snake_case timestamps alike.
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, body := range []string{
		`{"id":"cus_1","createdAt":"2024-05-06T07:08:09Z","updatedAt":"2024-05-06T07:08:09Z"}`,
		`{"id":"cus_1","created_at":"2024-05-06T07:08:09Z","updated_at":"2024-05-06T07:08:09Z"}`,
		`{"doc":{"id":"cus_1","created_at":"2024-05-06T07:08:09Z","updated_at":"2024-05-06T07:08:09Z"}}`,
	} {
		for _, conv := range []ghost.Convention{ghost.ConventionGhost, ghost.ConventionKomoju, ghost.ConventionSpark} {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, body)}}
			c, err := newFakeClient(t, f, ghost.WithConvention(conv)).Customers.Get(t.Context(), "1")
			require.NoError(t, err, body)
			assert.Equal(t, ghost.ID("cus_1"), c.ID)
			assert.True(t, c.CreatedAt.Equal(at), body)
			assert.True(t, c.UpdatedAt.Equal(at), body)
			assert.Zero(t, c.CreatedAtSnake, "folded into CreatedAt")
		}
	}
	var c ghost.Customer
	assert.Error(t, jsonUnmarshal(`{"id":"x","created_at":"yesterday"}`, &c))
	assert.Error(t, jsonUnmarshal(`{"id":[]}`, &c))
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// The convention changes what is sent, never what can be decoded: a client
// in one convention decodes the other conventions' shapes.
func TestCustomerConventionsDecodeAnyShape(t *testing.T) {
	bodies := map[string]string{
		"/api/v1/customers":   `{"resource":"list","total":7,"page":1,"per_page":2,"last_page":4,"data":[{"id":"a","resource":"customer","email":"a@x.jp","source":null,"metadata":{},"created_at":"2018-11-13T06:20:21Z"},{"id":"b","email":"b@x.jp"}]}`,
		"/api/v1/customers/g": `{"doc":{"id":"g","email":"g@x.io","createdAt":"2018-11-13T06:20:21Z"}}`,
		"/api/v1/customers/7": `{"id":7,"email":"s@x.io","created_at":"2018-11-13T06:20:21Z"}`,
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(bodies[r.URL.Path]))
	}))
	defer ts.Close()
	for _, conv := range []ghost.Convention{ghost.ConventionGhost, ghost.ConventionKomoju, ghost.ConventionSpark} {
		t.Run(conv.String(), func(t *testing.T) {
			c, err := ghost.NewClient(ghost.WithBaseURL(ts.URL), ghost.WithKeys("pk", "sk"), ghost.WithAuthToken("t"), ghost.WithConvention(conv))
			require.NoError(t, err)
			ctx := context.Background()
			page, err := c.Customers.List(ctx, nil)
			require.NoError(t, err)
			require.Len(t, page.Items, 2)
			assert.Equal(t, "a@x.jp", page.Items[0].Email)
			assert.True(t, page.Items[0].CreatedAt.Equal(komojuCreated))
			assert.Equal(t, ghost.Some(7), page.Meta.Total)
			assert.Equal(t, ghost.Some(4), page.Meta.LastPage)
			for _, id := range []ghost.ID{"g", "7"} {
				if _, isInt := id.Int(); conv == ghost.ConventionSpark && !isInt {
					continue // Spark ids are integers: refused before sending
				}
				got, err := c.Customers.Get(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, id, got.ID)
				assert.True(t, got.CreatedAt.Equal(komojuCreated), got.CreatedAt)
			}
		})
	}
}
