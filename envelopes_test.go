package ghost_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
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
