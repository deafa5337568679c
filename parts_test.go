package ghost_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each part is served from its own host with its own credentials: one
// client, five endpoints, and every request carries only its part's
// credential and idempotency header.
func TestPartsExactRequests(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name                 string
		call                 func(ctx context.Context, c *ghost.Client) error
		method, url, body    string
		authHeader, auth     string
		idemHeader, idemNone string
	}{
		{
			name: "ghost customer create",
			call: func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "a@x.io"}, ghost.WithIdempotencyKey("key-1"))
				return err
			},
			method: "POST", url: "https://ghost.test/api/v1/customers", body: `{"email":"a@x.io"}`,
			authHeader: "Authorization", auth: "Basic " + b64("pk_g:sk_g"),
			idemHeader: "Idempotency-Key", idemNone: "X-KOMOJU-IDEMPOTENCY",
		},
		{
			name: "ghost orders with a date range",
			call: func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Orders.List(ctx, &ghost.OrderListParams{Limit: 5, DateRange: &ghost.DateRange{
					Start: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), End: time.Date(2024, 2, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)),
				}})
				return err
			},
			method: "GET", url: "https://ghost.test/api/v1/orders?dateRange%5B0%5D=2024-01-02T03%3A04%3A05.000Z&dateRange%5B1%5D=2024-02-01T00%3A00%3A00.000Z&limit=5",
			authHeader: "Authorization", auth: "Basic " + b64("pk_g:sk_g"),
		},
		{
			name: "komoju customer update",
			call: func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Komoju.Customers.Update(ctx, "cus_k", ghost.KomojuCustomerUpdateParams{Currency: ghost.Some("jpy")}, ghost.WithIdempotencyKey("key-1"))
				return err
			},
			method: "PATCH", url: "https://komoju.test/api/v1/customers/cus_k", body: `{"currency":"JPY"}`,
			authHeader: "Authorization", auth: "Basic " + b64("sk_k:"),
			idemHeader: "X-KOMOJU-IDEMPOTENCY", idemNone: "Idempotency-Key",
		},
		{
			name: "komoju customer list",
			call: func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Komoju.Customers.List(ctx, &ghost.KomojuListParams{Page: 2, PerPage: 20})
				return err
			},
			method: "GET", url: "https://komoju.test/api/v1/customers?page=2&per_page=20",
			authHeader: "Authorization", auth: "Basic " + b64("sk_k:"),
		},
		{
			name: "checkout carts",
			call: func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Carts.List(ctx, &ghost.CartListParams{Status: ghost.CartAbandoned, Page: 2, Limit: 50})
				return err
			},
			method: "GET", url: "https://checkout.test/app/api/carts?limit=50&page=2&status=abandoned",
			authHeader: "X-Api-Key", auth: "ak_c",
		},
		{
			name: "spark resource",
			call: func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Spark.Products.Get(ctx, "7", nil)
				return err
			},
			method: "GET", url: "https://store.test/api/v1/products/7",
			authHeader: "X-AC-Auth-Token", auth: "tok_s",
		},
		{
			name: "exports",
			call: func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Exports.Get(ctx, "M1", "E1")
				return err
			},
			method: "GET", url: "https://exports.test/v3/merchants/M1/exports/E1",
			authHeader: "Authorization", auth: "Bearer br_e",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{}`)}}
			c, err := ghost.NewClient(
				ghost.WithHTTPClient(&http.Client{Transport: f}),
				ghost.WithEndpoint(ghost.PartGhost, ghost.Endpoint{BaseURL: "https://ghost.test", Credentials: ghost.Credentials{PublicKey: "pk_g", SecretKey: "sk_g"}}),
				ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{BaseURL: "https://komoju.test", Credentials: ghost.Credentials{SecretKey: "sk_k"}}),
				ghost.WithEndpoint(ghost.PartCheckout, ghost.Endpoint{BaseURL: "https://checkout.test/app", Credentials: ghost.Credentials{APIKey: "ak_c"}}),
				ghost.WithEndpoint(ghost.PartSpark, ghost.Endpoint{BaseURL: "https://store.test", Credentials: ghost.Credentials{AuthToken: "tok_s"}}),
				ghost.WithEndpoint(ghost.PartExports, ghost.Endpoint{BaseURL: "https://exports.test", Credentials: ghost.Credentials{BearerToken: "br_e"}}),
			)
			require.NoError(t, err)
			_ = tt.call(t.Context(), c) // the reply is not what the call expects; the request is what counts
			require.Equal(t, 1, f.count())
			r := f.reqs[0]
			assert.Equal(t, tt.method, r.Method)
			assert.Equal(t, tt.url, r.URL.String())
			assert.Equal(t, tt.auth, r.Header.Get(tt.authHeader))
			for _, h := range []string{"Authorization", "X-Api-Key", "X-AC-Auth-Token"} {
				if h != tt.authHeader {
					assert.Empty(t, r.Header.Get(h), "only the part's own credential")
				}
			}
			if tt.body == "" {
				assert.Empty(t, f.bodies[0])
			} else {
				assert.JSONEq(t, tt.body, string(f.bodies[0]))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}
			if tt.idemHeader != "" {
				assert.Equal(t, "key-1", r.Header.Get(tt.idemHeader))
				assert.Empty(t, r.Header.Get(tt.idemNone))
			}
		})
	}
}

// Without configuration each part uses its documented host; the parts with
// no public host refuse to send until one is configured.
func TestPartDefaults(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{}`)}}
	c, err := ghost.NewClient(ghost.WithHTTPClient(&http.Client{Transport: f}), ghost.WithCredentials(ghost.Credentials{
		PublicKey: "pk", SecretKey: "sk", APIKey: "ak", AuthToken: "at", BearerToken: "bt",
	}))
	require.NoError(t, err)
	ctx := t.Context()
	_, _ = c.Accounts.Get(ctx, "1")
	_, _ = c.Komoju.Customers.Get(ctx, "1")
	_, _ = c.Exports.Get(ctx, "M", "E")
	require.Equal(t, 3, f.count())
	assert.Equal(t, "https://analytics.ghostcreative.io/api/v1/accounts/1", f.reqs[0].URL.String())
	assert.Equal(t, "https://komoju.com/api/v1/customers/1", f.reqs[1].URL.String())
	assert.Equal(t, "https://api.clover.com/v3/merchants/M/exports/E", f.reqs[2].URL.String())

	for name, call := range map[string]func() error{
		"checkout": func() error { _, err := c.Carts.Get(ctx, "1"); return err },
		"spark":    func() error { _, err := c.Spark.Products.Get(ctx, "1", nil); return err },
	} {
		err := call()
		var e *ghost.Error
		require.ErrorAs(t, err, &e, name)
		assert.Equal(t, ghost.CodeMissingEndpoint, e.Code, name)
		assert.Contains(t, e.Message, "no base URL configured for the "+name+" part", name)
	}
	assert.Equal(t, 3, f.count(), "nothing sent without a base URL")
	assert.Equal(t, "ghost.Client{ghost: https://analytics.ghostcreative.io, komoju: https://komoju.com, checkout: unset, spark: unset, exports: https://api.clover.com}", c.String())
}

// pagesOf follows a list's pages with Next while HasMore says one follows,
// and returns each page's query, the items seen and the last page; it
// checks that Next after the last page is ErrNoMorePages.
func pagesOf[T any](t *testing.T, srv *ghosttest.Server, page *ghost.Page[T], err error) (queries []string, n int, last *ghost.Page[T]) {
	t.Helper()
	for {
		require.NoError(t, err)
		queries = append(queries, lastRequest(t, srv).RawQuery)
		n += len(page.Items)
		if !page.HasMore() {
			break
		}
		page, err = page.Next(t.Context())
	}
	_, err = page.Next(t.Context())
	assert.ErrorIs(t, err, ghost.ErrNoMorePages)
	return queries, n, page
}

// Every list's page says whether more follow and fetches the next one, in
// its part's paging style, without offset arithmetic by the caller.
func TestManualPaging(t *testing.T) {
	ctx := t.Context()
	t.Run("ghost limit/offset", func(t *testing.T) {
		srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost), ghosttest.WithSeed(5))
		t.Cleanup(srv.Close)
		page, err := srv.Client.Customers.List(ctx, &ghost.CustomerListParams{Limit: 2})
		queries, n, _ := pagesOf(t, srv, page, err)
		assert.Equal(t, 5, n)
		assert.Equal(t, []string{"limit=2", "limit=2&offset=2", "limit=2&offset=4"}, queries)
	})
	t.Run("ghost full last page", func(t *testing.T) {
		// Limit/offset cannot tell a full last page from a middle one: the
		// next page comes back empty and says no more follow.
		srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost), ghosttest.WithSeed(2))
		t.Cleanup(srv.Close)
		page, err := srv.Client.Orders.List(ctx, &ghost.OrderListParams{Limit: 2})
		queries, n, last := pagesOf(t, srv, page, err)
		assert.Equal(t, 2, n)
		assert.Empty(t, last.Items)
		assert.Equal(t, []string{"limit=2", "limit=2&offset=2"}, queries)
	})
	t.Run("checkout page/limit/totalPages", func(t *testing.T) {
		srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout), ghosttest.WithSeed(5))
		t.Cleanup(srv.Close)
		page, err := srv.Client.Carts.List(ctx, &ghost.CartListParams{Limit: 2})
		queries, n, last := pagesOf(t, srv, page, err)
		assert.Equal(t, 5, n)
		assert.Equal(t, []string{"limit=2", "limit=2&page=2", "limit=2&page=3"}, queries)
		assert.Equal(t, ghost.Some(3), last.Meta.LastPage)
	})
	t.Run("spark next_page", func(t *testing.T) {
		srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileSpark), ghosttest.WithSeed(5))
		t.Cleanup(srv.Close)
		page, err := srv.Client.Spark.Products.List(ctx, &ghost.SparkListParams{Count: 2})
		queries, n, _ := pagesOf(t, srv, page, err)
		assert.Equal(t, 5, n)
		assert.Equal(t, []string{"count=2", "count=2&page=2", "count=2&page=3"}, queries)
	})
}

func TestOrdersDateRangeNeedsBothEnds(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{"docs":[]}`)}}
	c := newFakeClient(t, f)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []ghost.DateRange{{Start: at}, {End: at}, {Start: at, End: at.Add(-time.Second)}} {
		_, err := c.Orders.List(t.Context(), &ghost.OrderListParams{DateRange: &r})
		var e *ghost.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "dateRange", e.Param)
	}
	assert.Equal(t, 0, f.count())
}

// The mock's client is configured for every part the server serves.
func TestMockClientReachesEveryServedPart(t *testing.T) {
	ctx := t.Context()
	all := ghosttest.NewServer()
	t.Cleanup(all.Close)
	c := all.Client
	_, err := c.Customers.List(ctx, nil)
	assert.NoError(t, err, "ghost")
	_, err = c.Carts.List(ctx, nil)
	assert.NoError(t, err, "checkout")
	_, err = c.Spark.Products.List(ctx, nil)
	assert.NoError(t, err, "spark")
	_, err = c.Exports.Get(ctx, "M1", "missing")
	assert.ErrorIs(t, err, ghost.ErrNotFound, "exports answers, with its own auth")

	_, err = c.Komoju.Customers.List(ctx, nil)
	assert.NoError(t, err, "komoju")
	_, err = c.Spark.Orders.List(ctx, nil)
	assert.NoError(t, err, "spark orders")
	for _, r := range all.Requests() {
		assert.NotEqual(t, http.StatusUnauthorized, r.Status, "%s %s", r.Method, r.Path)
	}
	assert.True(t, slices.ContainsFunc(all.Requests(), func(r ghosttest.RecordedRequest) bool {
		return r.Path == ghosttest.KomojuPrefix+"/api/v1/customers"
	}), "Komoju customers went to the Komoju part, not Ghost's")
}
