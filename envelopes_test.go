package ghost_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envelopeKeys are the keys of the five parts' envelopes, as fields of an
// object: any part's object may carry them, and each part's answers are
// decoded by its own envelope alone.
const envelopeKeys = `"doc":"manual.pdf","docs":["a.pdf"],"data":{"x":1},"total_count":3,"success":false,"resource":"list","next_page":"https://elsewhere.test/p2"`

// TestObjectsMayCarryEnvelopeKeys answers every part's single-object and
// list calls, from a plain httptest server, with objects that carry every
// envelope key as an ordinary field, and checks that each decodes by its
// part's declared envelope.
func TestObjectsMayCarryEnvelopeKeys(t *testing.T) {
	tests := []struct {
		name string
		body string // %s is the objects' extra fields
		call func(ctx context.Context, c *ghost.Client) (any, error)
		want any
	}{{
		name: "ghost object",
		body: `{"doc":{"id":"cus_1","email":"a@example.com",%s}}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) { return c.Customers.Get(ctx, "cus_1") },
		want: &ghost.Customer{ID: "cus_1", Email: "a@example.com"},
	}, {
		name: "ghost list",
		body: `{"docs":[{"id":"cus_1",%s},{"id":"cus_2",%s}]}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) {
			p, err := c.Customers.List(ctx, nil)
			return pageItems(p, err)
		},
		want: []ghost.Customer{{ID: "cus_1"}, {ID: "cus_2"}},
	}, {
		name: "komoju object",
		body: `{"id":"k1",%s,"resource":"customer","email":"k@example.com"}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) { return c.Komoju.Customers.Get(ctx, "k1") },
		want: &ghost.KomojuCustomer{ID: "k1", Resource: "customer", Email: "k@example.com"},
	}, {
		name: "komoju list",
		body: `{"resource":"list","total":2,"page":1,"per_page":10,"last_page":1,"data":[{"id":"k1",%s},{"id":"k2",%s}]}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) {
			p, err := c.Komoju.Customers.List(ctx, nil)
			return pageItems(p, err)
		},
		want: []ghost.KomojuCustomer{{ID: "k1", Resource: "list"}, {ID: "k2", Resource: "list"}},
	}, {
		name: "checkout object",
		body: `{"success":true,"data":{"id":"cart_1","customerEmail":"c@example.com",%s}}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) { return c.Carts.Get(ctx, "cart_1") },
		want: &ghost.Cart{ID: "cart_1", CustomerEmail: "c@example.com"},
	}, {
		name: "checkout list",
		body: `{"success":true,"data":{"carts":[{"id":"cart_1",%s},{"id":"cart_2",%s}],"pagination":{"page":1,"limit":10,"total":2,"totalPages":1}}}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) {
			p, err := c.Carts.List(ctx, nil)
			return pageItems(p, err)
		},
		want: []ghost.Cart{{ID: "cart_1"}, {ID: "cart_2"}},
	}, {
		name: "spark object",
		body: `{"id":1,"item_name":"Hat",%s}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) {
			return c.Spark.Products.Get(ctx, ghost.IntID(1), nil)
		},
		want: &ghost.SparkProduct{ID: "1", ItemName: "Hat"},
	}, {
		name: "spark list",
		body: `{"total_count":2,"products":[{"id":1,%s},{"id":2,%s}]}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) {
			p, err := c.Spark.Products.List(ctx, nil)
			return pageItems(p, err)
		},
		want: []ghost.SparkProduct{{ID: "1"}, {ID: "2"}},
	}, {
		name: "exports object",
		body: `{"id":"E1","type":"ORDERS","status":"DONE",%s}`,
		call: func(ctx context.Context, c *ghost.Client) (any, error) { return c.Exports.Get(ctx, "M1", "E1") },
		want: &ghost.Export{ID: "E1", Type: ghost.ExportTypeOrders, Status: ghost.ExportStatusDone},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.ReplaceAll(tt.body, "%s", envelopeKeys)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(body))
			}))
			defer srv.Close()
			c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithCredentials(ghost.Credentials{
				PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey, AuthToken: testToken, BearerToken: testBearer}))
			require.NoError(t, err)
			got, err := tt.call(t.Context(), c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// pageItems is a page's items, or the error that prevented it.
func pageItems[T any](p *ghost.Page[T], err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}

// Each part reads only its own envelope: a body in another part's envelope
// is not its answer, and says so (bad_response), rather than being decoded
// as something it is not.
func TestOtherPartsEnvelopesAreNotGuessed(t *testing.T) {
	tests := []struct {
		name string
		body string
		call func(ctx context.Context, c *ghost.Client) error
	}{
		{"ghost object in a checkout envelope", `{"success":true,"data":{"id":"cus_1"}}`,
			func(ctx context.Context, c *ghost.Client) error { _, err := c.Customers.Get(ctx, "cus_1"); return err }},
		{"ghost list in a komoju envelope", `{"resource":"list","data":[{"id":"cus_1"}]}`,
			func(ctx context.Context, c *ghost.Client) error { _, err := c.Customers.List(ctx, nil); return err }},
		{"komoju list in a ghost envelope", `{"docs":[{"id":"k1"}]}`,
			func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Komoju.Customers.List(ctx, nil)
				return err
			}},
		{"checkout object bare", `{"id":"cart_1"}`,
			func(ctx context.Context, c *ghost.Client) error { _, err := c.Carts.Get(ctx, "cart_1"); return err }},
		{"spark list in a komoju envelope", `{"resource":"list","data":[{"id":1}]}`,
			func(ctx context.Context, c *ghost.Client) error {
				_, err := c.Spark.Products.List(ctx, nil)
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, tt.body)}}
			err := tt.call(t.Context(), newFakeClient(t, f))
			var ge *ghost.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, ghost.CodeBadResponse, ge.Code)
			assert.ErrorIs(t, err, ghost.ErrDecode)
		})
	}
}

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
