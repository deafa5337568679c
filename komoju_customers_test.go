package ghost_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	return newMockAt(t, ghosttest.ProfileKomoju, komojuCreated, opts...)
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
		params   ghost.KomojuCustomerCreateParams
		wantBody string
		want     ghost.KomojuPaymentSource
	}{
		{
			name: "token",
			params: ghost.KomojuCustomerCreateParams{
				Email: "test@example.com", Currency: "jpy", Metadata: map[string]string{"order_id": "abcdefg"},
				PaymentDetails: ghost.KomojuPaymentToken("tok_38e6c5838b91e5d4"),
			},
			wantBody: `{"email":"test@example.com","currency":"JPY","metadata":{"order_id":"abcdefg"},"payment_details":"tok_38e6c5838b91e5d4"}`,
			want:     ghost.KomojuPaymentSource{Type: "credit_card", Brand: "visa", LastFourDigits: "1111", Month: 1, Year: 2023},
		},
		{
			name: "hash",
			params: ghost.KomojuCustomerCreateParams{
				Email: "card@example.com",
				PaymentDetails: ghost.KomojuPaymentHash(map[string]any{
					"type": "credit_card", "number": "4111111111111111", "month": 7, "year": 2031, "verification_value": "123",
				}),
			},
			wantBody: `{"email":"card@example.com","payment_details":{"type":"credit_card","number":"4111111111111111","month":7,"year":2031,"verification_value":"123"}}`,
			want:     ghost.KomojuPaymentSource{Type: "credit_card", Brand: "visa", LastFourDigits: "1111", Month: 7, Year: 2031},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := srv.Client.Komoju.Customers.Create(ctx, tt.params)
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
	params := ghost.KomojuCustomerCreateParams{Email: "x@example.com", PaymentDetails: ghost.KomojuPaymentToken("tok_1")}
	a, err := srv.Client.Komoju.Customers.Create(context.Background(), params, ghost.WithIdempotencyKey("cus-create-1"))
	require.NoError(t, err)
	r := lastRequest(t, srv)
	assert.Equal(t, "cus-create-1", r.Header.Get("X-KOMOJU-IDEMPOTENCY"))
	assert.Empty(t, r.Header.Get("Idempotency-Key"))

	b, err := srv.Client.Komoju.Customers.Create(context.Background(), params, ghost.WithIdempotencyKey("cus-create-1"))
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, 1, srv.IdempotentReplays())

	// Komoju allows at most 100 characters: refused before sending.
	srv.ResetRequests()
	_, err = srv.Client.Komoju.Customers.Create(context.Background(), params, ghost.WithIdempotencyKey(strings.Repeat("k", 101)))
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, srv.Requests())
}

func TestKomojuCustomerCreateRefusedBeforeSending(t *testing.T) {
	srv := newKomoju(t)
	tests := []struct {
		name   string
		params ghost.KomojuCustomerCreateParams
		param  string
	}{
		{"no payment details", ghost.KomojuCustomerCreateParams{Email: "a@b.jp"}, "payment_details"},
		{"empty token", ghost.KomojuCustomerCreateParams{PaymentDetails: ghost.KomojuPaymentToken("")}, "payment_details"},
		{"token and hash", ghost.KomojuCustomerCreateParams{PaymentDetails: ghost.KomojuPaymentDetails{Token: "tok_1", Hash: map[string]any{"type": "x"}}}, "payment_details"},
		{"currency not 3 letters", ghost.KomojuCustomerCreateParams{Currency: "JP", PaymentDetails: ghost.KomojuPaymentToken("tok_1")}, "currency"},
		{"currency not letters", ghost.KomojuCustomerCreateParams{Currency: "J1Y", PaymentDetails: ghost.KomojuPaymentToken("tok_1")}, "currency"},
		{"clear email", ghost.KomojuCustomerCreateParams{PaymentDetails: ghost.KomojuPaymentHash(nil)}, "payment_details"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Client.Komoju.Customers.Create(context.Background(), tt.params)
			requireInvalid(t, err, tt.param)
		})
	}
	assert.Empty(t, srv.Requests())
}

func TestKomojuCustomerGetUpdateDelete(t *testing.T) {
	srv := newKomoju(t, ghosttest.WithSeed(2))
	ctx := context.Background()
	page, err := srv.Client.Komoju.Customers.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	id := page.Items[0].ID

	got, err := srv.Client.Komoju.Customers.Get(ctx, id)
	require.NoError(t, err)
	r := lastRequest(t, srv)
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "/api/v1/customers/"+string(id), r.Path)
	assert.Equal(t, komojuAuth, r.Header.Get("Authorization"))
	assert.Equal(t, "customer2@example.com", got.Email)
	assert.Nil(t, got.Source)
	assert.Equal(t, map[string]string{"order_id": "abcdefg"}, got.Metadata)
	assert.WithinDuration(t, time.Now(), got.CreatedAt, time.Minute) // seeded before the clock was set

	upd, err := srv.Client.Komoju.Customers.Update(ctx, id, ghost.KomojuCustomerUpdateParams{
		PaymentDetails: ghost.Some(ghost.KomojuPaymentToken("tok_840321a7")),
		Currency:       ghost.Some("usd"),
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

	deleted, err := srv.Client.Komoju.Customers.Delete(ctx, id)
	require.NoError(t, err)
	r = lastRequest(t, srv)
	assert.Equal(t, "DELETE", r.Method)
	assert.Equal(t, "/api/v1/customers/"+string(id), r.Path)
	assert.Equal(t, upd, deleted)

	_, err = srv.Client.Komoju.Customers.Get(ctx, id)
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 404, e.StatusCode)
	assert.Equal(t, "not_found", e.Code)
	assert.Equal(t, "id", e.Param)
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	_, err = srv.Client.Komoju.Customers.Delete(ctx, id)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
}

func TestKomojuCustomerList(t *testing.T) {
	srv := newKomoju(t, ghosttest.WithSeed(5))
	page, err := srv.Client.Komoju.Customers.List(context.Background(), &ghost.KomojuListParams{Page: 2, PerPage: 2})
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

	assert.True(t, page.HasMore())

	// Next asks for the following page with the same page size.
	srv.ResetRequests()
	last, err := page.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "page=3&per_page=2", lastRequest(t, srv).RawQuery)
	require.Len(t, last.Items, 1)
	assert.False(t, last.HasMore())
	_, err = last.Next(context.Background())
	assert.ErrorIs(t, err, ghost.ErrNoMorePages)
	assert.Len(t, srv.Requests(), 1)

	srv.ResetRequests()
	_, err = srv.Client.Komoju.Customers.List(context.Background(), &ghost.KomojuListParams{PerPage: -1})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, srv.Requests())
}

func TestKomojuCustomerAll(t *testing.T) {
	srv := newKomoju(t, ghosttest.WithSeed(5))
	var emails []string
	for c, err := range srv.Client.Komoju.Customers.All(context.Background(), &ghost.KomojuListParams{PerPage: 2}) {
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

// TestKomojuCustomerListTimeRange: StartTime/EndTime go out as KOMOJU's
// start_time/end_time (ISO 8601, UTC), the mock lists only the customers
// created in the range, bounds included, and paging (total, last_page, Next,
// All) counts the filtered list.
func TestKomojuCustomerListTimeRange(t *testing.T) {
	srv := newKomoju(t)
	ctx := context.Background()
	var created []time.Time
	for i := range 5 {
		_, err := srv.Client.Komoju.Customers.Create(ctx, ghost.KomojuCustomerCreateParams{
			Email: fmt.Sprintf("t%d@example.com", i), PaymentDetails: ghost.KomojuPaymentToken("tok_abc"),
		})
		require.NoError(t, err)
		created = append(created, srv.Clock.Now())
		srv.Clock.Advance(time.Hour)
	}
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name       string
		params     ghost.KomojuListParams
		wantQuery  string
		wantEmails []string
		wantTotal  int
	}{
		{"both bounds, inclusive, sent in UTC",
			ghost.KomojuListParams{StartTime: created[1].In(tokyo), EndTime: created[3]},
			"end_time=2018-11-13T09%3A20%3A21Z&start_time=2018-11-13T07%3A20%3A21Z",
			[]string{"t3@example.com", "t2@example.com", "t1@example.com"}, 3},
		{"start only",
			ghost.KomojuListParams{StartTime: created[3].Add(time.Millisecond)},
			"start_time=2018-11-13T09%3A20%3A21.001Z",
			[]string{"t4@example.com"}, 1},
		{"end only, paged",
			ghost.KomojuListParams{EndTime: created[2].Add(-time.Second), PerPage: 1},
			"end_time=2018-11-13T08%3A20%3A20Z&per_page=1",
			[]string{"t1@example.com"}, 2},
		{"empty range", ghost.KomojuListParams{StartTime: created[4].Add(time.Hour)},
			"start_time=2018-11-13T11%3A20%3A21Z", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			page, err := srv.Client.Komoju.Customers.List(ctx, &tt.params)
			require.NoError(t, err)
			r := lastRequest(t, srv)
			assert.Equal(t, "GET", r.Method)
			assert.Equal(t, "/api/v1/customers", r.Path)
			assert.Equal(t, tt.wantQuery, r.RawQuery)
			assert.Empty(t, r.Body)
			var emails []string
			for _, c := range page.Items {
				emails = append(emails, c.Email)
			}
			assert.Equal(t, tt.wantEmails, emails)
			assert.Equal(t, ghost.Some(tt.wantTotal), page.Meta.Total)
		})
	}

	// All walks the filtered list, page by page, keeping the range.
	srv.ResetRequests()
	var emails []string
	for c, err := range srv.Client.Komoju.Customers.All(ctx, &ghost.KomojuListParams{StartTime: created[1], EndTime: created[3], PerPage: 2}) {
		require.NoError(t, err)
		emails = append(emails, c.Email)
	}
	assert.Equal(t, []string{"t3@example.com", "t2@example.com", "t1@example.com"}, emails)
	var queries []string
	for _, r := range srv.Requests() {
		queries = append(queries, r.RawQuery)
	}
	assert.Equal(t, []string{
		"end_time=2018-11-13T09%3A20%3A21Z&page=1&per_page=2&start_time=2018-11-13T07%3A20%3A21Z",
		"end_time=2018-11-13T09%3A20%3A21Z&page=2&per_page=2&start_time=2018-11-13T07%3A20%3A21Z",
	}, queries)
}

func TestKomojuErrors(t *testing.T) {
	srv := newKomoju(t)
	_, err := srv.Client.Komoju.Customers.Create(context.Background(), ghost.KomojuCustomerCreateParams{PaymentDetails: ghost.KomojuPaymentToken("not-a-token")})
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 400, e.StatusCode)
	assert.Equal(t, "invalid_parameter", e.Code)
	assert.Equal(t, "payment_details", e.Param)
	assert.NotEmpty(t, e.Message)
	assert.ErrorIs(t, err, ghost.ErrValidation)

	bad, err := ghost.NewClient(ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{BaseURL: srv.URL, Credentials: ghost.Credentials{SecretKey: "sk_wrong"}}))
	require.NoError(t, err)
	_, err = bad.Komoju.Customers.List(context.Background(), nil)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.StatusCode)
	assert.Equal(t, "unauthorized", e.Code)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "sk_wrong")
	assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("sk_wrong:")), lastRequest(t, srv).Header.Get("Authorization"))
}

// Komoju's update takes X-KOMOJU-IDEMPOTENCY like its create (v0.1 sent
// Idempotency-Key on the PATCH).
func TestKomojuCustomerUpdateIdempotencyHeader(t *testing.T) {
	srv := newKomoju(t, ghosttest.WithSeed(1))
	page, err := srv.Client.Komoju.Customers.List(t.Context(), nil)
	require.NoError(t, err)
	id := page.Items[0].ID
	_, err = srv.Client.Komoju.Customers.Update(t.Context(), id, ghost.KomojuCustomerUpdateParams{Email: ghost.Some("new@example.com")},
		ghost.WithIdempotencyKey("upd-1"))
	require.NoError(t, err)
	r := lastRequest(t, srv)
	assert.Equal(t, "PATCH", r.Method)
	assert.Equal(t, "/api/v1/customers/"+string(id), r.Path)
	assert.Equal(t, "", r.RawQuery)
	assert.Equal(t, komojuAuth, r.Header.Get("Authorization"))
	assert.Equal(t, "upd-1", r.Header.Get("X-KOMOJU-IDEMPOTENCY"))
	assert.Empty(t, r.Header.Get("Idempotency-Key"))
	assert.JSONEq(t, `{"email":"new@example.com"}`, string(r.Body))

	_, err = srv.Client.Komoju.Customers.Update(t.Context(), id, ghost.KomojuCustomerUpdateParams{Email: ghost.Some("")})
	assert.ErrorIs(t, err, ghost.ErrValidation)
}

// One client reaches Ghost customers and Komoju customers side by side, each
// part on its own host (the mock serves the colliding /api/v1/customers of
// the two parts under separate profiles) with its own credentials.
func TestGhostAndKomojuCustomersSideBySide(t *testing.T) {
	ghostSrv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost))
	t.Cleanup(ghostSrv.Close)
	komojuSrv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileKomoju), ghosttest.WithKeys("unused", "sk_komoju"))
	t.Cleanup(komojuSrv.Close)

	client, err := ghost.NewClient(
		ghost.WithKeys(ghosttest.DefaultPublicKey, ghosttest.DefaultSecretKey),
		ghost.WithEndpoint(ghost.PartGhost, ghost.Endpoint{BaseURL: ghostSrv.URL}),
		ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{BaseURL: komojuSrv.URL, Credentials: ghost.Credentials{SecretKey: "sk_komoju"}}),
	)
	require.NoError(t, err)
	ctx := t.Context()

	g, err := client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "g@example.com", Description: "ghost"}, ghost.WithIdempotencyKey("g-1"))
	require.NoError(t, err)
	k, err := client.Komoju.Customers.Create(ctx, ghost.KomojuCustomerCreateParams{
		Email: "k@example.com", Currency: "JPY", PaymentDetails: ghost.KomojuPaymentToken("tok_1"),
	}, ghost.WithIdempotencyKey("k-1"))
	require.NoError(t, err)
	assert.Equal(t, "g@example.com", g.Email)
	assert.Equal(t, "ghost", g.Description)
	assert.Equal(t, "k@example.com", k.Email)
	assert.Equal(t, "JPY", k.Currency)

	tests := []struct {
		name               string
		srv                *ghosttest.Server
		auth, idemHdr, key string
		body               string
	}{
		{"ghost", ghostSrv, "Basic " + base64.StdEncoding.EncodeToString([]byte(ghosttest.DefaultPublicKey+":"+ghosttest.DefaultSecretKey)),
			"Idempotency-Key", "g-1", `{"email":"g@example.com","description":"ghost"}`},
		{"komoju", komojuSrv, "Basic " + base64.StdEncoding.EncodeToString([]byte("sk_komoju:")),
			"X-KOMOJU-IDEMPOTENCY", "k-1", `{"email":"k@example.com","currency":"JPY","payment_details":"tok_1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := tt.srv.Requests()
			require.Len(t, reqs, 1, "each part's request reaches its own host only")
			r := reqs[0]
			assert.Equal(t, "POST", r.Method)
			assert.Equal(t, "/api/v1/customers", r.Path)
			assert.Equal(t, "", r.RawQuery)
			assert.Equal(t, tt.auth, r.Header.Get("Authorization"))
			assert.Equal(t, tt.key, r.Header.Get(tt.idemHdr))
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.JSONEq(t, tt.body, string(r.Body))
		})
	}

	// Both lists, side by side, each in its own paging style.
	gp, err := client.Customers.List(ctx, &ghost.CustomerListParams{Limit: 10})
	require.NoError(t, err)
	kp, err := client.Komoju.Customers.List(ctx, &ghost.KomojuListParams{PerPage: 10})
	require.NoError(t, err)
	assert.Equal(t, []ghost.Customer{*g}, gp.Items)
	assert.Equal(t, []ghost.KomojuCustomer{*k}, kp.Items)
	assert.Equal(t, "limit=10", lastRequest(t, ghostSrv).RawQuery)
	assert.Equal(t, "per_page=10", lastRequest(t, komojuSrv).RawQuery)
}

// A model decoded with encoding/json, as a user decodes a webhook payload,
// is complete: each part's model reads the one spelling its part uses.
func TestModelsDecodeTheirPartsSpelling(t *testing.T) {
	var k ghost.KomojuCustomer
	require.NoError(t, jsonUnmarshal(`{"id":"a790tjviahrpcsz561912k7az","resource":"customer","email":"a@x.jp","currency":"JPY",
		"source":{"type":"credit_card","brand":"visa","last_four_digits":"1111","month":1,"year":2023},
		"metadata":{"order_id":"abcdefg"},"created_at":"2018-11-13T06:20:21Z"}`, &k))
	assert.Equal(t, ghost.KomojuCustomer{
		ID: "a790tjviahrpcsz561912k7az", Resource: "customer", Email: "a@x.jp", Currency: "JPY",
		Source:   &ghost.KomojuPaymentSource{Type: "credit_card", Brand: "visa", LastFourDigits: "1111", Month: 1, Year: 2023},
		Metadata: map[string]string{"order_id": "abcdefg"}, CreatedAt: komojuCreated,
	}, k)

	var g ghost.Customer
	require.NoError(t, jsonUnmarshal(`{"id":"cus_1","email":"g@x.io","description":"d","createdAt":"2018-11-13T06:20:21Z","updatedAt":"2018-11-13T06:20:21Z"}`, &g))
	assert.Equal(t, ghost.Customer{ID: "cus_1", Email: "g@x.io", Description: "d", CreatedAt: komojuCreated, UpdatedAt: komojuCreated}, g)

	var o ghost.Order
	require.NoError(t, jsonUnmarshal(`{"id":"ord_1","amount":300,"customerId":"cus_1","cardId":"card_1","gatId":"g","referrer":"r","status":"paid",
		"orderItems":[{"amount":300,"type":"item","identityId":"idt_1","description":"x"}],"createdAt":"2018-11-13T06:20:21Z"}`, &o))
	assert.Equal(t, ghost.Order{ID: "ord_1", Amount: 300, CustomerID: "cus_1", CardID: "card_1", GatID: "g", Referrer: "r", Status: "paid",
		OrderItems: []ghost.OrderItem{{Amount: 300, Type: ghost.OrderItemTypeItem, IdentityID: "idt_1", Description: "x"}}, CreatedAt: komojuCreated}, o)

	assert.Error(t, jsonUnmarshal(`{"id":"x","created_at":"yesterday"}`, &k))
	assert.Error(t, jsonUnmarshal(`{"id":[]}`, &g))
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
