package ghost_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// emptyServer answers every request with status and no body, and records
// what it received.
type emptyServer struct {
	*httptest.Server
	status int

	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, query, contentType, body string
	header                                 http.Header
}

func newEmptyServer(t *testing.T, status int) *emptyServer {
	s := &emptyServer{status: status}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Content-Type"), string(b), r.Header.Clone()})
		s.mu.Unlock()
		w.WriteHeader(s.status)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestEmptySuccessBodies: a DELETE or PUT answered 200 or 204 with an empty
// body succeeds on every part that has such calls (the Exports part has
// none), sent once; a method that returns an object returns nil. An empty
// 200 to a GET, POST or PATCH is still an error.
func TestEmptySuccessBodies(t *testing.T) {
	type call struct {
		name, method, path, body string
		auth                     string // header that must carry the part's credential
		run                      func(ctx context.Context, c *ghost.Client) (any, error)
	}
	calls := []call{
		{"Ghost Customers.Delete", "DELETE", "/api/v1/customers/cus_1", "", "Authorization",
			func(ctx context.Context, c *ghost.Client) (any, error) { return nil, c.Customers.Delete(ctx, "cus_1") }},
		{"Ghost Customers.Update", "PUT", "/api/v1/customers/cus_1", `{"description":"new"}`, "Authorization",
			func(ctx context.Context, c *ghost.Client) (any, error) {
				return c.Customers.Update(ctx, "cus_1", ghost.CustomerUpdateParams{Description: ghost.Some("new")})
			}},
		{"Ghost Cards.Delete", "DELETE", "/api/v1/customers/cus_1/cards/card_1", "", "Authorization",
			func(ctx context.Context, c *ghost.Client) (any, error) {
				return nil, c.Cards.Delete(ctx, "cus_1", "card_1")
			}},
		{"Ghost Orders.Delete", "DELETE", "/api/v1/orders/7", "", "Authorization",
			func(ctx context.Context, c *ghost.Client) (any, error) {
				return nil, c.Orders.Delete(ctx, ghost.IntID(7))
			}},
		{"Komoju.Customers.Delete", "DELETE", "/api/v1/customers/abc", "", "Authorization",
			func(ctx context.Context, c *ghost.Client) (any, error) { return c.Komoju.Customers.Delete(ctx, "abc") }},
		{"Checkout Carts.Delete", "DELETE", "/api/carts/cart_1", "", "X-Api-Key",
			func(ctx context.Context, c *ghost.Client) (any, error) { return nil, c.Carts.Delete(ctx, "cart_1") }},
		{"Spark.Products.Delete", "DELETE", "/api/v1/products/5", "", "X-Ac-Auth-Token",
			func(ctx context.Context, c *ghost.Client) (any, error) {
				return nil, c.Spark.Products.Delete(ctx, ghost.IntID(5))
			}},
		{"Spark.Products.Update", "PUT", "/api/v1/products/5", `{"item_name":"Renamed"}`, "X-Ac-Auth-Token",
			func(ctx context.Context, c *ghost.Client) (any, error) {
				return c.Spark.Products.Update(ctx, ghost.IntID(5), ghost.SparkProductUpdateParams{ItemName: ghost.Some("Renamed")})
			}},
	}
	for _, status := range []int{http.StatusOK, http.StatusNoContent} {
		for _, tc := range calls {
			t.Run(http.StatusText(status)+"/"+tc.name, func(t *testing.T) {
				srv := newEmptyServer(t, status)
				c := newEmptyClient(t, srv.URL)
				got, err := tc.run(t.Context(), c)
				require.NoError(t, err)
				assert.Nil(t, nilIfTypedNil(got), "no object comes back from an empty body")
				require.Len(t, srv.reqs, 1, "sent once")
				r := srv.reqs[0]
				assert.Equal(t, tc.method, r.method)
				assert.Equal(t, tc.path, r.path)
				assert.Empty(t, r.query)
				assert.JSONEqf(t, orEmptyObject(tc.body), orEmptyObject(r.body), "body")
				if tc.body == "" {
					assert.Empty(t, r.body)
					assert.Empty(t, r.contentType)
				} else {
					assert.Equal(t, "application/json", r.contentType)
				}
				assert.NotEmpty(t, r.header.Get(tc.auth), "the part's credential")
			})
		}
	}
}

// TestEmptyBodyStillFailsElsewhere: an empty 200 to a GET, a POST or a
// PATCH says nothing about the call: a bad_response error (Accepted for a
// write), as before.
func TestEmptyBodyStillFailsElsewhere(t *testing.T) {
	cases := []struct {
		name     string
		accepted bool
		run      func(ctx context.Context, c *ghost.Client) error
	}{
		{"GET", false, func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Customers.Get(ctx, "cus_1")
			return err
		}},
		{"POST", true, func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "a@example.com"})
			return err
		}},
		{"PATCH", true, func(ctx context.Context, c *ghost.Client) error {
			_, err := c.Carts.Update(ctx, "cart_1", ghost.CartUpdateParams{Status: ghost.Some(ghost.CartRecovered)})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newEmptyServer(t, http.StatusOK)
			err := tc.run(t.Context(), newEmptyClient(t, srv.URL))
			var ge *ghost.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, ghost.CodeBadResponse, ge.Code)
			assert.Equal(t, tc.accepted, ge.Accepted)
			assert.Len(t, srv.reqs, 1)
		})
	}
}

func newEmptyClient(t *testing.T, base string) *ghost.Client {
	t.Helper()
	c, err := ghost.NewClient(ghost.WithBaseURL(base), ghost.WithCredentials(ghost.Credentials{
		PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey,
		AuthToken: testToken, BearerToken: testBearer,
	}))
	require.NoError(t, err)
	return c
}

// nilIfTypedNil turns a typed nil pointer held in an interface into nil.
func nilIfTypedNil(v any) any {
	switch p := v.(type) {
	case *ghost.Customer:
		if p == nil {
			return nil
		}
	case *ghost.KomojuCustomer:
		if p == nil {
			return nil
		}
	case *ghost.SparkProduct:
		if p == nil {
			return nil
		}
	}
	return v
}

func orEmptyObject(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}
