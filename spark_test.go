package ghost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newSpark(t *testing.T, opts ...ghosttest.Option) *ghosttest.Server {
	t.Helper()
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(ghosttest.ProfileSpark)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

func dec(t *testing.T, s string) ghost.SparkDecimal {
	t.Helper()
	d, err := ghost.ParseSparkDecimal(s)
	require.NoError(t, err)
	return d
}

func assertSparkRequest(t *testing.T, srv *ghosttest.Server, method, path, rawQuery string) ghosttest.RecordedRequest {
	t.Helper()
	r := lastRequest(t, srv)
	assert.Equal(t, method, r.Method)
	assert.Equal(t, path, r.Path)
	assert.Equal(t, rawQuery, r.RawQuery)
	assert.Equal(t, ghosttest.DefaultAuthToken, r.Header.Get("X-AC-Auth-Token"))
	assert.Empty(t, r.Header.Get("Authorization"))
	return r
}

// items returns a filled nested collection's items, failing when it holds
// another form.
func items[T any](t *testing.T, n ghost.SparkNested[T]) []T {
	t.Helper()
	got, ok := n.Items()
	require.True(t, ok, "nested collection not filled: %s", n)
	return got
}

func catNames(cs []ghost.SparkCategory) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID.String()+" "+c.Name)
	}
	return out
}

func itemNames(ps []ghost.SparkProduct) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ItemName)
	}
	return out
}

func TestSparkListQuery(t *testing.T) {
	srv := newSpark(t, ghosttest.WithSeed(5))
	products := srv.Client.Spark.Products
	ctx := context.Background()
	var resp ghost.Response
	page, err := products.List(ctx, &ghost.SparkListParams{
		Count:   2,
		Expand:  []string{"variants"},
		Sort:    []ghost.SparkSortField{ghost.SparkDesc("price"), ghost.SparkAsc("item_name")},
		Fields:  []string{"id", "item_name", "price", "variants"},
		Filters: []ghost.SparkFilter{ghost.SparkWhere("price", ghost.SparkOpGT, ghost.SparkDecimalFromCents(1500))},
	}, ghost.WithResponse(&resp))
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products",
		"count=2&expand=variants&fields=id%2Citem_name%2Cprice%2Cvariants&price=gt%3A15.00&sort=-price%2Citem_name")

	assert.Equal(t, []string{"Item 5", "Item 4"}, itemNames(page.Items))
	p := page.Items[0]
	assert.Equal(t, ghost.IntID(5), p.ID)
	assert.Equal(t, "50.99", p.Price.String())
	assert.Empty(t, p.ItemNumber) // not in fields
	vs, ok := p.Variants.Items()
	require.True(t, ok, "variants were expanded")
	require.Len(t, vs, 2)
	assert.Equal(t, ghost.IntID(5), vs[0].ProductID)
	assert.False(t, p.Categories.IsSet(), "categories were not asked for")
	assert.Equal(t, ghost.Some(4), page.Meta.Total)
	assert.Equal(t, ghost.Some(1), page.Meta.Page)
	assert.Equal(t, ghost.Some(2), page.Meta.PerPage)
	next, err := url.Parse(page.Meta.NextURL)
	require.NoError(t, err)
	assert.Equal(t, "2", next.Query().Get("page"))
	assert.Equal(t, "2", next.Query().Get("count"))
	assert.Empty(t, page.Meta.PrevURL)
	assert.Equal(t, ghost.CallLimit{Used: 1, Max: ghosttest.DefaultSparkCallLimit}, resp.CallLimit)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestSparkFilters(t *testing.T) {
	at := time.Date(2024, 3, 4, 5, 6, 7, 0, time.FixedZone("JST", 9*3600))
	tests := []struct {
		filter ghost.SparkFilter
		want   string
	}{
		{ghost.SparkWhere("price", ghost.SparkOpGTE, 10), "price=gte%3A10"},
		{ghost.SparkWhere("price", ghost.SparkOpLT, 10.5), "price=lt%3A10.5"},
		{ghost.SparkWhere("price", ghost.SparkOpLTE, dec(t, "19.99")), "price=lte%3A19.99"},
		{ghost.SparkWhere("item_name", ghost.SparkOpLike, "shirt"), "item_name=like%3Ashirt"},
		{ghost.SparkWhere("item_name", ghost.SparkOpStartWith, "Item 1"), "item_name=startwith%3AItem+1"},
		{ghost.SparkWhere("item_name", ghost.SparkOpNot, "Item 2"), "item_name=not%3AItem+2"},
		{ghost.SparkWhere("created_at", ghost.SparkOpGT, at), "created_at=gt%3A2024-03-03T20%3A06%3A07Z"},
		{ghost.SparkWhere("id", ghost.SparkOpEq, ghost.IntID(3)), "id=eq%3A3"},
		{ghost.SparkWhere("id", ghost.SparkOpEq, int64(3)), "id=eq%3A3"},
	}
	srv := newSpark(t, ghosttest.WithSeed(3))
	products := srv.Client.Spark.Products
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := products.List(context.Background(), &ghost.SparkListParams{Filters: []ghost.SparkFilter{tt.filter}})
			require.NoError(t, err)
			assertSparkRequest(t, srv, "GET", "/api/v1/products", tt.want)
		})
	}

	page, err := products.List(context.Background(), &ghost.SparkListParams{Filters: []ghost.SparkFilter{
		ghost.SparkWhere("price", ghost.SparkOpGT, 15), ghost.SparkWhere("price", ghost.SparkOpLT, dec(t, "30.99")),
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"Item 2"}, itemNames(page.Items))

	srv.ResetRequests()
	for _, bad := range []ghost.SparkListParams{
		{Filters: []ghost.SparkFilter{ghost.SparkWhere("price", ghost.SparkOpGT, []int{1})}},
		{Filters: []ghost.SparkFilter{ghost.SparkWhere("price", "between", 1)}},
		{Filters: []ghost.SparkFilter{ghost.SparkWhere("page", ghost.SparkOpEq, 1)}},
		{Sort: []ghost.SparkSortField{ghost.SparkAsc("-price")}},
		{Fields: []string{"id,price"}},
		{Count: -1},
	} {
		_, err := products.List(context.Background(), &bad)
		assert.ErrorIs(t, err, ghost.ErrValidation, "%+v", bad)
	}
	assert.Empty(t, srv.Requests())
}

func TestSparkAllThreePages(t *testing.T) {
	for _, opts := range [][]ghost.RequestOption{nil, {ghost.WithPrefetch()}} {
		srv := newSpark(t, ghosttest.WithSeed(5))
		products := srv.Client.Spark.Products
		var got []string
		for p, err := range products.All(context.Background(), &ghost.SparkListParams{Count: 2}, opts...) {
			require.NoError(t, err)
			got = append(got, p.ItemName)
		}
		assert.Equal(t, []string{"Item 1", "Item 2", "Item 3", "Item 4", "Item 5"}, got)
		reqs := srv.Requests()
		require.Len(t, reqs, 3)
		for i, want := range []string{"count=2", "count=2&page=2", "count=2&page=3"} {
			assert.Equal(t, "GET", reqs[i].Method)
			assert.Equal(t, "/api/v1/products", reqs[i].Path)
			assert.Equal(t, want, reqs[i].RawQuery)
			assert.Equal(t, ghosttest.DefaultAuthToken, reqs[i].Header.Get("X-AC-Auth-Token"))
		}
	}
}

// sparkPages serves canned Spark list pages: body(page, host) gives the
// JSON of each page.
func sparkPages(t *testing.T, body func(page, host string) string) (*httptest.Server, *[]string) {
	t.Helper()
	var seen []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body(r.URL.Query().Get("page"), r.Host)))
	}))
	t.Cleanup(ts.Close)
	return ts, &seen
}

func TestSparkAllRefusesForeignNextPage(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		w.Write([]byte(`{"total_count":2,"products":[{"id":2}]}`))
	}))
	defer foreign.Close()
	api, seen := sparkPages(t, func(page, host string) string {
		return `{"total_count":2,"next_page":"` + foreign.URL + `/api/v1/products?page=2","products":[{"id":1,"item_name":"one"}]}`
	})
	c, err := ghost.NewClient(ghost.WithBaseURL(api.URL), ghost.WithAuthToken("secret-token"))
	require.NoError(t, err)

	var items []string
	var iterErr error
	for p, err := range c.Spark.Products.All(context.Background(), nil) {
		if err != nil {
			iterErr = err
			continue
		}
		items = append(items, p.ItemName)
	}
	assert.Equal(t, []string{"one"}, items)
	var e *ghost.Error
	require.ErrorAs(t, iterErr, &e)
	assert.Equal(t, ghost.CodeForeignURL, e.Code)
	assert.NotContains(t, iterErr.Error(), "secret-token")
	assert.Equal(t, int32(0), foreignHits.Load(), "the foreign host received a request")
	assert.Equal(t, []string{""}, *seen)
}

func TestSparkAllNeverFetchesAPageTwice(t *testing.T) {
	// Page 2 points back at page 1: the walk stops with ErrPagingLoop
	// instead of fetching page 1 again.
	api, seen := sparkPages(t, func(page, host string) string {
		if page == "2" {
			return `{"total_count":4,"next_page":"http://` + host + `/api/v1/products?count=2","products":[{"id":3},{"id":4}]}`
		}
		return `{"total_count":4,"next_page":"http://` + host + `/api/v1/products?count=2&page=2","products":[{"id":1},{"id":2}]}`
	})
	c, err := ghost.NewClient(ghost.WithBaseURL(api.URL), ghost.WithAuthToken("t"))
	require.NoError(t, err)
	var ids []ghost.ID
	var iterErr error
	for p, err := range c.Spark.Products.All(context.Background(), &ghost.SparkListParams{Count: 2}) {
		if err != nil {
			iterErr = err
			break
		}
		ids = append(ids, p.ID)
	}
	assert.Equal(t, []ghost.ID{"1", "2", "3", "4"}, ids)
	assert.ErrorIs(t, iterErr, ghost.ErrPagingLoop)
	assert.Equal(t, []string{"count=2", "count=2&page=2"}, *seen)
}

func TestSparkGetFilledNested(t *testing.T) {
	srv := newSpark(t, ghosttest.WithSeed(3))
	products := srv.Client.Spark.Products
	ctx := context.Background()

	p, err := products.Get(ctx, ghost.IntID(2), &ghost.SparkGetParams{Expand: []string{"categories", "variants"}, Fields: []string{"id", "item_name", "categories"}})
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/2", "expand=categories%2Cvariants&fields=id%2Citem_name%2Ccategories")
	assert.Equal(t, "Item 2", p.ItemName)
	assert.Equal(t, []string{"2 Category 2"}, catNames(items(t, p.Categories)))
	assert.False(t, p.Variants.IsSet()) // not in fields
	assert.True(t, p.Price.IsZero())

	p, err = products.Get(ctx, ghost.IntID(2), nil)
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/2", "")
	assert.Equal(t, "item-2", p.ItemNumber)
	assert.Equal(t, 0, dec(t, "20.99").Cmp(p.Price))
	assert.False(t, p.Variants.IsSet())
	assert.False(t, p.Categories.IsSet())

	p, err = products.Filled(ctx, ghost.IntID(2), nil)
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/2/filled", "")
	assert.Len(t, items(t, p.Variants), 2)
	assert.Len(t, items(t, p.Categories), 1)

	p, err = products.Filled(ctx, ghost.IntID(2), []string{"id", "variants"})
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/2/filled", "fields=id%2Cvariants")
	assert.Empty(t, p.ItemName)
	assert.Len(t, items(t, p.Variants), 2)

	variants, err := products.ListVariants(ctx, ghost.IntID(2),
		&ghost.SparkNestedListParams{Sort: []ghost.SparkSortField{ghost.SparkDesc("sort_order")}, Fields: []string{"id", "product_id", "description", "sort_order"}})
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/2/variants", "fields=id%2Cproduct_id%2Cdescription%2Csort_order&sort=-sort_order")
	assert.Equal(t, []ghost.SparkVariant{
		{ID: "4", ProductID: "2", Description: "Item 2 variant 2", SortOrder: ghost.Some(2)},
		{ID: "3", ProductID: "2", Description: "Item 2 variant 1", SortOrder: ghost.Some(1)},
	}, variants.Items)
	assert.Equal(t, ghost.Some(2), variants.Meta.Total)

	cats, err := products.ListCategories(ctx, ghost.IntID(2), nil)
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/2/categories", "")
	require.Len(t, cats.Items, 1)
	assert.Equal(t, "Category 2", cats.Items[0].Name)

	// The generic nested list reaches any collection by name.
	generic, err := ghost.SparkListNested[ghost.SparkVariant](ctx, products.Resource(), ghost.IntID(2), "variants", nil)
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/2/variants", "")
	assert.Len(t, generic.Items, 2)

	_, err = products.Get(ctx, ghost.IntID(99), nil)
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 404, e.StatusCode)
	assert.Equal(t, "Not Found", e.Message)
	assert.NotEmpty(t, e.Details)
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	srv.ResetRequests()
	_, err = products.Get(ctx, "abc", nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = products.Get(ctx, "", nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = ghost.SparkListNested[ghost.SparkVariant](ctx, products.Resource(), ghost.IntID(1), "filled", nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = ghost.SparkResource[ghost.SparkProduct](srv.Client.Spark, "..").List(ctx, nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = ghost.SparkResource[ghost.SparkProduct](nil, "products").Get(ctx, ghost.IntID(1), nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = products.ListVariants(ctx, ghost.IntID(-1), nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	for _, err := range ghost.SparkResource[ghost.SparkProduct](nil, "products").All(ctx, nil) {
		assert.ErrorIs(t, err, ghost.ErrValidation)
	}
	assert.Empty(t, srv.Requests())
}

func TestSparkSelectMany(t *testing.T) {
	srv := newSpark(t, ghosttest.WithSeed(9))
	products := srv.Client.Spark.Products
	page, err := products.SelectMany(context.Background(), []ghost.ID{ghost.IntID(1), ghost.IntID(5), ghost.IntID(9)},
		&ghost.SparkSelectParams{Sort: []ghost.SparkSortField{ghost.SparkDesc("price")}, Fields: []string{"id", "price"}})
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/select_many", "fields=id%2Cprice&ids=1%2C5%2C9&sort=-price")
	var ids []ghost.ID
	for _, p := range page.Items {
		ids = append(ids, p.ID)
	}
	assert.Equal(t, []ghost.ID{"9", "5", "1"}, ids)
	assert.Equal(t, "90.99", page.Items[0].Price.String())

	srv.ResetRequests()
	_, err = products.SelectMany(context.Background(), nil, nil)
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, ghost.CodeInvalidParams, e.Code)
	assert.Equal(t, "ids", e.Param)
	assert.Empty(t, srv.Requests())
}

func TestSparkUpsertUpdateDelete(t *testing.T) {
	srv := newSpark(t)
	products := srv.Client.Spark.Products
	ctx := context.Background()

	p, created, err := products.Upsert(ctx, ghost.SparkProduct{
		ItemName: "Shirt", ItemNumber: "sh-1", Price: dec(t, "19.99"),
		Variants:   ghost.SparkNestedOf(ghost.SparkVariant{Description: "S", SortOrder: ghost.Some(1), PriceAdjustment: dec(t, "1.50")}),
		Categories: ghost.SparkNestedOf(ghost.SparkCategory{Name: "Clothes"}),
	})
	require.NoError(t, err)
	r := assertSparkRequest(t, srv, "POST", "/api/v1/products", "")
	assert.JSONEq(t, `{"item_name":"Shirt","item_number":"sh-1","price":19.99,"variants":[{"description":"S","sort_order":1,"price_adjustment":1.50}],"categories":[{"name":"Clothes"}]}`, string(r.Body))
	assert.True(t, created)
	assert.Equal(t, ghost.IntID(1), p.ID)
	assert.Equal(t, "19.99", p.Price.String())

	filled, err := products.Filled(ctx, p.ID, nil)
	require.NoError(t, err)
	fv := items(t, filled.Variants)
	require.Len(t, fv, 1)
	assert.Equal(t, "S", fv[0].Description)
	assert.Equal(t, "1.50", fv[0].PriceAdjustment.String())
	assert.Equal(t, []string{"1 Clothes"}, catNames(items(t, filled.Categories)))

	p, created, err = products.Upsert(ctx, ghost.SparkProduct{ID: ghost.IntID(1), Price: dec(t, "17.50")})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "POST", "/api/v1/products", "")
	assert.JSONEq(t, `{"id":1,"price":17.50}`, string(r.Body))
	assert.False(t, created)
	assert.Equal(t, "Shirt", p.ItemName)
	assert.Equal(t, "17.50", p.Price.String())

	p, err = products.Update(ctx, ghost.IntID(1), ghost.SparkProductUpdateParams{ItemNumber: ghost.Some("sh-2")})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "PUT", "/api/v1/products/1", "")
	assert.JSONEq(t, `{"item_number":"sh-2"}`, string(r.Body))
	assert.Equal(t, "sh-2", p.ItemNumber)
	assert.Equal(t, "17.50", p.Price.String())

	_, err = products.Update(ctx, ghost.IntID(7), ghost.SparkProductUpdateParams{ItemNumber: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	// The generic Upsert takes any body, for fields the model lacks.
	p, created, err = products.Resource().Upsert(ctx, map[string]any{"id": 1, "item_name": "Tee"})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "POST", "/api/v1/products", "")
	assert.JSONEq(t, `{"id":1,"item_name":"Tee"}`, string(r.Body))
	assert.False(t, created)
	assert.Equal(t, "Tee", p.ItemName)

	srv.ResetRequests()
	_, err = products.Update(ctx, ghost.IntID(1), ghost.SparkProductUpdateParams{PrimaryCategoryID: ghost.Some(ghost.ID("cat_1"))})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, srv.Requests())

	_, _, err = products.Upsert(ctx, ghost.SparkProduct{ItemNumber: "no-name"})
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusConflict, e.StatusCode)
	assert.Equal(t, "Conflict", e.Message)
	assert.Equal(t, "item_name is required", e.Details)
	assert.ErrorIs(t, err, ghost.ErrValidation)

	var resp ghost.Response
	require.NoError(t, products.Delete(ctx, ghost.IntID(1), ghost.WithResponse(&resp)))
	assertSparkRequest(t, srv, "DELETE", "/api/v1/products/1", "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.ErrorIs(t, products.Delete(ctx, ghost.IntID(1)), ghost.ErrNotFound)

	// Categories and variants are root resources too.
	cats := srv.Client.Spark.Categories
	sub, created, err := cats.Upsert(ctx, ghost.SparkCategory{Name: "Shirts", ParentCategoryID: ghost.IntID(1)})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "POST", "/api/v1/categories", "")
	assert.JSONEq(t, `{"name":"Shirts","parent_category_id":1}`, string(r.Body))
	assert.True(t, created)
	assert.Equal(t, ghost.IntID(2), sub.ID)
	assert.Equal(t, "Shirts", sub.Name)
	assert.Equal(t, ghost.IntID(1), sub.ParentCategoryID)
	sub, err = cats.Update(ctx, sub.ID, ghost.SparkCategoryUpdateParams{Name: ghost.Some("Tees"), ParentCategoryID: ghost.Some(ghost.IntID(0))})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "PUT", "/api/v1/categories/2", "")
	assert.JSONEq(t, `{"name":"Tees","parent_category_id":0}`, string(r.Body))
	assert.Equal(t, "Tees", sub.Name)
	assert.Equal(t, ghost.IntID(0), sub.ParentCategoryID, "a top-level category's parent reads 0")

	vars := srv.Client.Spark.Variants
	p, _, err = products.Upsert(ctx, ghost.SparkProduct{ItemName: "Cap"})
	require.NoError(t, err)
	v, created, err := vars.Upsert(ctx, ghost.SparkVariant{ProductID: p.ID, Description: "M", SortOrder: ghost.Some(2)})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "POST", "/api/v1/product_variants", "")
	assert.JSONEq(t, `{"product_id":`+p.ID.String()+`,"description":"M","sort_order":2}`, string(r.Body))
	assert.True(t, created)
	assert.Equal(t, "0", v.PriceAdjustment.String(), "an unset adjustment reads 0, not null")
	v, err = vars.Update(ctx, v.ID, ghost.SparkVariantUpdateParams{SortOrder: ghost.Some(0), PriceAdjustment: ghost.Some(dec(t, "2.50"))})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "PUT", "/api/v1/product_variants/"+v.ID.String(), "")
	assert.JSONEq(t, `{"sort_order":0,"price_adjustment":2.50}`, string(r.Body))
	assert.Equal(t, ghost.Some(0), v.SortOrder)
	assert.Equal(t, "2.50", v.PriceAdjustment.String())
	listed, err := srv.Client.Spark.Products.ListVariants(ctx, p.ID, nil)
	require.NoError(t, err)
	assertSparkRequest(t, srv, "GET", "/api/v1/products/"+p.ID.String()+"/variants", "")
	require.Len(t, listed.Items, 1, "the root resource and the product's nested list are the same variants")
	assert.Equal(t, v.ID, listed.Items[0].ID)
	require.NoError(t, vars.Delete(ctx, v.ID))
	assertSparkRequest(t, srv, "DELETE", "/api/v1/product_variants/"+v.ID.String(), "")
}

func TestSparkCallLimitAndRateLimit(t *testing.T) {
	srv := newSpark(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileSpark, SparkCallLimit: 2}))
	srv.Clock.Freeze()
	cats := srv.Client.Spark.Categories
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		var resp ghost.Response
		_, err := cats.List(ctx, nil, ghost.WithResponse(&resp))
		require.NoError(t, err)
		assert.Equal(t, ghost.CallLimit{Used: i, Max: 2}, resp.CallLimit)
	}
	var resp ghost.Response
	_, err := cats.List(ctx, nil, ghost.WithResponse(&resp))
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusTooManyRequests, e.StatusCode)
	assert.Equal(t, 10*time.Second, e.RetryAfter, "the count resets every 10 seconds")
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.Equal(t, ghost.CallLimit{Used: 2, Max: 2}, resp.CallLimit)

	srv.Clock.Advance(ghosttest.SparkCallWindow - time.Second)
	_, err = cats.List(ctx, nil, ghost.WithResponse(&resp), ghost.WithMaxRetries(0))
	require.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.Equal(t, ghost.CallLimit{Used: 2, Max: 2}, resp.CallLimit)
	srv.Clock.Advance(time.Second)
	_, err = cats.List(ctx, nil, ghost.WithResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, ghost.CallLimit{Used: 1, Max: 2}, resp.CallLimit, "a new window")
}

func TestSparkUnauthorized(t *testing.T) {
	srv := newSpark(t)
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithAuthToken("wrong-token"))
	require.NoError(t, err)
	_, err = c.Spark.Products.List(context.Background(), nil)
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusUnauthorized, e.StatusCode)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "wrong-token")
}

func TestSparkDecimal(t *testing.T) {
	for _, s := range []string{"19.99", "0", "-3", "0.005", "1000000000000000000000.01"} {
		d, err := ghost.ParseSparkDecimal(s)
		require.NoError(t, err, s)
		b, err := json.Marshal(d)
		require.NoError(t, err)
		assert.Equal(t, s, string(b))
	}
	for _, s := range []string{"", "1.", ".5", "1e3", "abc", "--1", "1.2.3"} {
		_, err := ghost.ParseSparkDecimal(s)
		assert.ErrorIs(t, err, ghost.ErrValidation, s)
	}
	var v struct {
		A, B, C, D ghost.SparkDecimal
	}
	require.NoError(t, json.Unmarshal([]byte(`{"A":0.1,"B":"2.50","C":null,"D":1.5e2}`), &v))
	assert.Equal(t, "0.1", v.A.String())
	assert.Equal(t, "2.50", v.B.String())
	assert.True(t, v.C.IsZero())
	assert.Equal(t, "150", v.D.String())
	assert.Error(t, json.Unmarshal([]byte(`{"A":"x"}`), &v))

	// Exact arithmetic: 0.1 + 0.2 == 0.3, unlike float64.
	sum := dec(t, "0.1").Rat()
	sum.Add(sum, dec(t, "0.2").Rat())
	assert.Equal(t, 0, sum.Cmp(dec(t, "0.3").Rat()))
	cents, ok := dec(t, "19.99").Cents()
	assert.True(t, ok)
	assert.Equal(t, int64(1999), cents)
	_, ok = dec(t, "0.005").Cents()
	assert.False(t, ok)
	assert.Equal(t, "-0.05", ghost.SparkDecimalFromCents(-5).String())
	assert.Equal(t, 1, dec(t, "10").Cmp(dec(t, "9.99")))

	m, err := dec(t, "19.90").Money()
	require.NoError(t, err)
	assert.Equal(t, ghost.MoneyFromCents(1990), m)
	_, err = dec(t, "0.005").Money()
	assert.ErrorIs(t, err, ghost.ErrMoneyPrecision)
	assert.Equal(t, "49.99", ghost.SparkDecimalFromMoney(ghost.MoneyFromCents(4999)).String())

	b, err := json.Marshal(struct {
		P ghost.SparkDecimal `json:"p,omitzero"`
	}{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b))
}

func TestSparkAllFollowsRelativeNextPage(t *testing.T) {
	api, seen := sparkPages(t, func(page, host string) string {
		if page == "2" {
			return `{"total_count":2,"previous_page":"/api/v1/products?page=1","products":[{"id":2}]}`
		}
		return `{"total_count":2,"next_page":"/api/v1/products?page=2","products":[{"id":1}]}`
	})
	c, err := ghost.NewClient(ghost.WithBaseURL(api.URL), ghost.WithAuthToken("t"))
	require.NoError(t, err)
	var ids []ghost.ID
	for p, err := range c.Spark.Products.All(context.Background(), nil) {
		require.NoError(t, err)
		ids = append(ids, p.ID)
	}
	assert.Equal(t, []ghost.ID{"1", "2"}, ids)
	assert.Equal(t, []string{"", "page=2"}, *seen)
}

func TestSparkConcurrentUse(t *testing.T) {
	srv := newSpark(t, ghosttest.WithSeed(2))
	products := srv.Client.Spark.Products
	ctx := context.Background()
	const workers, each = 8, 5
	errs := make(chan error, workers*each*3)
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < each; i++ {
				p, created, err := products.Upsert(ctx, ghost.SparkProduct{ItemName: "p", Variants: ghost.SparkNestedOf(ghost.SparkVariant{Description: "v"})})
				if err == nil && !created {
					err = errors.New("upsert without id did not create")
				}
				errs <- err
				if err != nil {
					continue
				}
				_, err = products.Filled(ctx, p.ID, nil)
				errs <- err
				_, err = products.List(ctx, &ghost.SparkListParams{Count: 3, Expand: []string{"variants"}, Sort: []ghost.SparkSortField{ghost.SparkDesc("id")}})
				errs <- err
			}
		}()
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	page, err := products.List(ctx, &ghost.SparkListParams{Count: 1})
	require.NoError(t, err)
	assert.Equal(t, ghost.Some(2+workers*each), page.Meta.Total)
	variants, err := srv.Client.Spark.Variants.List(ctx, &ghost.SparkListParams{Count: 1})
	require.NoError(t, err)
	assert.Equal(t, ghost.Some(4+workers*each), variants.Meta.Total)
}

// stubCall is one request a sparkStub received.
type stubCall struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// sparkStub is a Spark store of a test's own: routes maps "METHOD
// /path[?query]" to a reply made from the request body; "{{url}}" in a
// reply is the stub's URL. Anything else is a Spark 404.
type sparkStub struct {
	URL string

	mu    sync.Mutex
	calls []stubCall
}

type stubReply func(body string) (int, string)

func reply200(body string) stubReply {
	return func(string) (int, string) { return http.StatusOK, body }
}

func newSparkStub(t *testing.T, routes map[string]stubReply) *sparkStub {
	t.Helper()
	st := &sparkStub{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		st.mu.Lock()
		st.calls = append(st.calls, stubCall{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(b)})
		st.mu.Unlock()
		key := r.Method + " " + r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			key += "?" + r.URL.RawQuery
		}
		status, body := http.StatusNotFound, `{"status_code":404,"message":"Not Found","details":"no such route"}`
		if h, ok := routes[key]; ok {
			status, body = h(string(b))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-AC-Call-Limit", "1/500")
		w.WriteHeader(status)
		w.Write([]byte(strings.ReplaceAll(body, "{{url}}", st.URL)))
	}))
	t.Cleanup(ts.Close)
	st.URL = ts.URL
	return st
}

func (st *sparkStub) requests() []stubCall {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.calls)
}

func (st *sparkStub) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.calls = nil
}

const storeToken = "store-token-0123"

func storeClient(t *testing.T, st *sparkStub) *ghost.Client {
	t.Helper()
	c, err := ghost.NewClient(ghost.WithBaseURL(st.URL), ghost.WithAuthToken(storeToken),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 0}))
	require.NoError(t, err)
	return c
}

// stubCase is one call of a typed Spark service and the exact request it
// must send.
type stubCase struct {
	name                string
	call                func(ctx context.Context, sc *ghost.SparkClient) (any, error)
	method, path, query string
	body                string // "" when the request has no body
	check               func(t *testing.T, got any)
}

func runStubCases(t *testing.T, st *sparkStub, c *ghost.Client, cases []stubCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st.reset()
			got, err := tc.call(t.Context(), c.Spark)
			require.NoError(t, err)
			reqs := st.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, tc.path, r.Path)
			assert.Equal(t, tc.query, r.RawQuery)
			assert.Equal(t, storeToken, r.Header.Get("X-AC-Auth-Token"))
			assert.Empty(t, r.Header.Get("Authorization"))
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			if tc.body == "" {
				assert.Empty(t, r.Body)
				assert.Empty(t, r.Header.Get("Content-Type"))
			} else {
				assert.JSONEq(t, tc.body, r.Body)
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// Customers and orders as the store's OpenAPI description (acapi.yaml)
// writes them.
const (
	acCustomer = `{"id":13,"customer_number":"C-13","last_name":"Lovelace","first_name":"Ada","email":"ada@example.com",` +
		`"phone_number":"555-0100","registered_at":"2024-02-03T10:11:12-06:00","last_visit_at":null,"customer_type_id":2,` +
		`"is_no_tax_customer":false,"store_id":1,"source":"web","company":"Engines Ltd","credit_limit":250.5,"is_inactive":false,` +
		`"updated_at":"2024-02-04T10:11:12-06:00","created_at":"2024-02-03T10:11:12.5-06:00"%s}`
	acAddress = `{"id":5,"customer_id":13,"address_line_1":"1 Loop Rd","address_line_2":"","city":"Austin","state":"TX",` +
		`"postal_code":"78701","country":"US","is_default_shipping_address":true,"is_default_billing_address":false,` +
		`"first_name":"Ada","last_name":"Lovelace","address_type":"Residential"}`
	acOrder = `{"id":100001,"customer_id":13,"customer_type_id":0,"ordered_at":"2024-03-01T09:30:00-06:00","order_status_id":5,` +
		`"subtotal":2295,"tax_total":191.4,"shipping_total":25,"discount_total":0,"grand_total":2511.4,"cost_total":0,` +
		`"selected_shipping_method":"Ground","order_shipping_address_id":5,"order_billing_address_id":5,"store_id":1,` +
		`"is_gift":false,"from_subscription_id":null,"expires_at":null,"previous_order_status_id":2,"order_number":"",` +
		`"order_type":"Order","channel":"Online","created_at":"2024-03-01T09:30:08.16-06:00","updated_at":"2024-03-02T08:00:00-06:00"%s}`
	acItem = `{"id":135,"order_id":100001,"product_id":4,"item_number":"gb-12","item_name":"Golf balls","price":100,"cost":0,` +
		`"quantity":3,"is_discount_item":false,"weight":25,"is_taxable":true,"weight_unit":"Lbs","variant_inventory_id":null,` +
		`"parent_order_item_id":null,"tax":5.5275,"discount_amount":0.0000,"status":"","personalizations":null,` +
		`"variants":[{"id":7,"description":"Color: Blue","variant_group_id":3}]}`
)

func nestedJSON(key, form string) string {
	if form == "" {
		return ""
	}
	return `,"` + key + `":` + form
}

func TestSparkCustomersOnStore(t *testing.T) {
	filled := fmt.Sprintf(acCustomer, nestedJSON("addresses", "["+acAddress+"]"))
	linked := fmt.Sprintf(acCustomer, nestedJSON("addresses", `{"link":"{{url}}/api/v1/customers/13/addresses"}`))
	upsert := func(body string) (int, string) {
		if strings.Contains(body, `"id"`) {
			return http.StatusOK, linked
		}
		return http.StatusCreated, linked
	}
	st := newSparkStub(t, map[string]stubReply{
		"GET /api/v1/customers?count=1&email=like%3Aexample.com&expand=addresses": reply200(`{"total_count":2,"next_page":"{{url}}/api/v1/customers?page=2&count=1","customers":[` + filled + `]}`),
		"GET /api/v1/customers/13":                                  reply200(linked),
		"GET /api/v1/customers/13/filled?fields=id%2Caddresses":     reply200(filled),
		"GET /api/v1/customers/13/addresses?sort=-id":               reply200(`{"total_count":1,"addresses":[` + acAddress + `]}`),
		"GET /api/v1/customers/select_many?expand=addresses&ids=13": reply200(`{"total_count":1,"customers":[` + filled + `]}`),
		"POST /api/v1/customers":                                    upsert,
		"PUT /api/v1/customers/13":                                  reply200(linked),
		"DELETE /api/v1/customers/13":                               func(string) (int, string) { return http.StatusNoContent, "" },
	})
	c := storeClient(t, st)
	registered := time.Date(2024, 2, 3, 16, 11, 12, 0, time.UTC)

	checkAda := func(t *testing.T, cu ghost.SparkCustomer) {
		t.Helper()
		assert.Equal(t, ghost.IntID(13), cu.ID)
		assert.Equal(t, "C-13", cu.CustomerNumber)
		assert.Equal(t, "ada@example.com", cu.Email)
		assert.Equal(t, "Ada", cu.FirstName)
		assert.Equal(t, "Lovelace", cu.LastName)
		assert.Equal(t, ghost.IntID(2), cu.CustomerTypeID)
		assert.Equal(t, "250.5", cu.CreditLimit.String())
		assert.True(t, cu.RegisteredAt.Equal(registered), cu.RegisteredAt)
		assert.True(t, cu.LastVisitAt.IsZero())
	}
	checkAddr := func(t *testing.T, a ghost.SparkAddress) {
		t.Helper()
		assert.Equal(t, ghost.SparkAddress{ID: "5", CustomerID: "13", FirstName: "Ada", LastName: "Lovelace", AddressLine1: "1 Loop Rd",
			City: "Austin", State: "TX", PostalCode: "78701", Country: "US", AddressType: "Residential", IsDefaultShippingAddress: true}, a)
	}
	checkLinked := func(t *testing.T, got any) {
		cu := got.(*ghost.SparkCustomer)
		checkAda(t, *cu)
		assert.True(t, cu.Addresses.IsLink())
		assert.Equal(t, st.URL+"/api/v1/customers/13/addresses", cu.Addresses.Link())
	}
	upserted := func(created bool) func(t *testing.T, got any) {
		return func(t *testing.T, got any) {
			r := got.([]any)
			checkLinked(t, r[0])
			assert.Equal(t, created, r[1])
		}
	}
	runStubCases(t, st, c, []stubCase{
		{name: "List", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Customers.List(ctx, &ghost.SparkListParams{Count: 1, Expand: []string{"addresses"},
				Filters: []ghost.SparkFilter{ghost.SparkWhere("email", ghost.SparkOpLike, "example.com")}})
		}, method: "GET", path: "/api/v1/customers", query: "count=1&email=like%3Aexample.com&expand=addresses",
			check: func(t *testing.T, got any) {
				p := got.(*ghost.Page[ghost.SparkCustomer])
				require.Len(t, p.Items, 1)
				checkAda(t, p.Items[0])
				addrs := items(t, p.Items[0].Addresses)
				require.Len(t, addrs, 1)
				checkAddr(t, addrs[0])
				assert.Equal(t, ghost.Some(2), p.Meta.Total)
				assert.Equal(t, st.URL+"/api/v1/customers?page=2&count=1", p.Meta.NextURL)
			}},
		{name: "Get", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Customers.Get(ctx, ghost.IntID(13), nil)
		}, method: "GET", path: "/api/v1/customers/13", check: checkLinked},
		{name: "Filled", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Customers.Filled(ctx, ghost.IntID(13), []string{"id", "addresses"})
		}, method: "GET", path: "/api/v1/customers/13/filled", query: "fields=id%2Caddresses", check: func(t *testing.T, got any) {
			addrs := items(t, got.(*ghost.SparkCustomer).Addresses)
			require.Len(t, addrs, 1)
			checkAddr(t, addrs[0])
		}},
		{name: "ListAddresses", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Customers.ListAddresses(ctx, ghost.IntID(13), &ghost.SparkNestedListParams{Sort: []ghost.SparkSortField{ghost.SparkDesc("id")}})
		}, method: "GET", path: "/api/v1/customers/13/addresses", query: "sort=-id", check: func(t *testing.T, got any) {
			p := got.(*ghost.Page[ghost.SparkAddress])
			require.Len(t, p.Items, 1)
			checkAddr(t, p.Items[0])
		}},
		{name: "SelectMany", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Customers.SelectMany(ctx, []ghost.ID{ghost.IntID(13)}, &ghost.SparkSelectParams{Expand: []string{"addresses"}})
		}, method: "GET", path: "/api/v1/customers/select_many", query: "expand=addresses&ids=13", check: func(t *testing.T, got any) {
			p := got.(*ghost.Page[ghost.SparkCustomer])
			require.Len(t, p.Items, 1)
			checkAda(t, p.Items[0])
		}},
		{name: "Upsert creates", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			cu, created, err := sc.Customers.Upsert(ctx, ghost.SparkCustomer{Email: "ada@example.com", FirstName: "Ada",
				Addresses: ghost.SparkNestedOf(ghost.SparkAddress{AddressLine1: "1 Loop Rd", City: "Austin"})})
			return []any{cu, created}, err
		}, method: "POST", path: "/api/v1/customers",
			body:  `{"email":"ada@example.com","first_name":"Ada","addresses":[{"address_line_1":"1 Loop Rd","city":"Austin"}]}`,
			check: upserted(true)},
		{name: "Upsert updates", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			cu, created, err := sc.Customers.Upsert(ctx, ghost.SparkCustomer{ID: ghost.IntID(13), Company: "Engines Ltd"})
			return []any{cu, created}, err
		}, method: "POST", path: "/api/v1/customers", body: `{"id":13,"company":"Engines Ltd"}`, check: upserted(false)},
		{name: "Update", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Customers.Update(ctx, ghost.IntID(13), ghost.SparkCustomerUpdateParams{
				FirstName: ghost.Some("Ada"), IsInactive: ghost.Some(false), CreditLimit: ghost.Some(dec(t, "250.50"))})
		}, method: "PUT", path: "/api/v1/customers/13", body: `{"first_name":"Ada","is_inactive":false,"credit_limit":250.50}`, check: checkLinked},
		{name: "Delete", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return nil, sc.Customers.Delete(ctx, ghost.IntID(13))
		}, method: "DELETE", path: "/api/v1/customers/13"},
	})

	st.reset()
	_, err := c.Spark.Customers.Update(t.Context(), ghost.IntID(13), ghost.SparkCustomerUpdateParams{CustomerTypeID: ghost.Some(ghost.ID("wholesale"))})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = c.Spark.Customers.Get(t.Context(), "cus_13", nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, st.requests())
}

func TestSparkOrdersOnStore(t *testing.T) {
	filled := fmt.Sprintf(acOrder, nestedJSON("items", "["+acItem+"]"))
	bare := fmt.Sprintf(acOrder, "")
	st := newSparkStub(t, map[string]stubReply{
		"GET /api/v1/orders?count=10&expand=items&order_status_id=eq%3A5&sort=-ordered_at": reply200(`{"total_count":1,"orders":[` + filled + `]}`),
		"GET /api/v1/orders/100001":                          reply200(bare),
		"GET /api/v1/orders/100001/filled":                   reply200(filled),
		"GET /api/v1/orders/100001/items?fields=id%2Cprice":  reply200(`{"total_count":1,"items":[` + acItem + `]}`),
		"GET /api/v1/orders/select_many?ids=100001%2C100002": reply200(`{"total_count":1,"orders":[` + bare + `]}`),
		"POST /api/v1/orders": func(body string) (int, string) {
			if strings.Contains(body, `"id"`) {
				return http.StatusOK, bare
			}
			return http.StatusCreated, filled
		},
		"PUT /api/v1/orders/100001":    reply200(bare),
		"DELETE /api/v1/orders/100001": func(string) (int, string) { return http.StatusNoContent, "" },
	})
	c := storeClient(t, st)

	checkOrder := func(t *testing.T, o *ghost.SparkOrder) {
		t.Helper()
		assert.Equal(t, ghost.IntID(100001), o.ID)
		assert.Equal(t, ghost.IntID(13), o.CustomerID)
		assert.Equal(t, ghost.IntID(5), o.OrderStatusID)
		assert.Equal(t, ghost.IntID(2), o.PreviousOrderStatusID)
		assert.Equal(t, "2295", o.Subtotal.String())
		assert.Equal(t, "191.4", o.TaxTotal.String())
		assert.Equal(t, "25", o.ShippingTotal.String())
		assert.Equal(t, "2511.4", o.GrandTotal.String())
		// The totals add up exactly: 2295 + 191.4 + 25 = 2511.4.
		sum := o.Subtotal.Rat()
		sum.Add(sum, o.TaxTotal.Rat())
		sum.Add(sum, o.ShippingTotal.Rat())
		assert.Equal(t, 0, sum.Cmp(o.GrandTotal.Rat()))
		assert.True(t, o.OrderedAt.Equal(time.Date(2024, 3, 1, 15, 30, 0, 0, time.UTC)), o.OrderedAt)
		assert.Equal(t, ghost.IntID(5), o.OrderShippingAddressID)
		assert.Equal(t, "Online", o.Channel)
	}
	checkItem := func(t *testing.T, it ghost.SparkOrderItem) {
		t.Helper()
		assert.Equal(t, ghost.IntID(135), it.ID)
		assert.Equal(t, ghost.IntID(100001), it.OrderID)
		assert.Equal(t, ghost.IntID(4), it.ProductID)
		assert.Equal(t, 3, it.Quantity)
		assert.Equal(t, "100", it.Price.String())
		assert.Equal(t, "5.5275", it.Tax.String())
		assert.True(t, it.IsTaxable)
		assert.Empty(t, it.VariantInventoryID)
		assert.Equal(t, []ghost.SparkOrderItemVariant{{ID: "7", Description: "Color: Blue", VariantGroupID: "3"}}, it.Variants)
	}
	withItems := func(t *testing.T, o *ghost.SparkOrder) {
		t.Helper()
		checkOrder(t, o)
		its := items(t, o.Items)
		require.Len(t, its, 1)
		checkItem(t, its[0])
	}
	runStubCases(t, st, c, []stubCase{
		{name: "List", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Orders.List(ctx, &ghost.SparkListParams{Count: 10, Expand: []string{"items"},
				Sort: []ghost.SparkSortField{ghost.SparkDesc("ordered_at")}, Filters: []ghost.SparkFilter{ghost.SparkWhere("order_status_id", ghost.SparkOpEq, 5)}})
		}, method: "GET", path: "/api/v1/orders", query: "count=10&expand=items&order_status_id=eq%3A5&sort=-ordered_at",
			check: func(t *testing.T, got any) {
				p := got.(*ghost.Page[ghost.SparkOrder])
				require.Len(t, p.Items, 1)
				withItems(t, &p.Items[0])
				assert.Equal(t, ghost.Some(1), p.Meta.Total)
				assert.Empty(t, p.Meta.NextURL)
			}},
		{name: "Get", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Orders.Get(ctx, ghost.IntID(100001), nil)
		}, method: "GET", path: "/api/v1/orders/100001", check: func(t *testing.T, got any) {
			o := got.(*ghost.SparkOrder)
			checkOrder(t, o)
			assert.False(t, o.Items.IsSet())
		}},
		{name: "Filled", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Orders.Filled(ctx, ghost.IntID(100001), nil)
		}, method: "GET", path: "/api/v1/orders/100001/filled", check: func(t *testing.T, got any) { withItems(t, got.(*ghost.SparkOrder)) }},
		{name: "ListItems", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Orders.ListItems(ctx, ghost.IntID(100001), &ghost.SparkNestedListParams{Fields: []string{"id", "price"}})
		}, method: "GET", path: "/api/v1/orders/100001/items", query: "fields=id%2Cprice", check: func(t *testing.T, got any) {
			p := got.(*ghost.Page[ghost.SparkOrderItem])
			require.Len(t, p.Items, 1)
			checkItem(t, p.Items[0])
		}},
		{name: "SelectMany", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Orders.SelectMany(ctx, []ghost.ID{ghost.IntID(100001), ghost.IntID(100002)}, nil)
		}, method: "GET", path: "/api/v1/orders/select_many", query: "ids=100001%2C100002", check: func(t *testing.T, got any) {
			p := got.(*ghost.Page[ghost.SparkOrder])
			require.Len(t, p.Items, 1)
			checkOrder(t, &p.Items[0])
		}},
		{name: "Upsert creates", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			o, created, err := sc.Orders.Upsert(ctx, ghost.SparkOrder{CustomerID: ghost.IntID(13), OrderStatusID: ghost.IntID(5),
				Subtotal: dec(t, "2295"), TaxTotal: dec(t, "191.4"), ShippingTotal: dec(t, "25"), GrandTotal: dec(t, "2511.40"),
				Items: ghost.SparkNestedOf(ghost.SparkOrderItem{ProductID: ghost.IntID(4), Quantity: 3, Price: dec(t, "100")})})
			return []any{o, created}, err
		}, method: "POST", path: "/api/v1/orders",
			body: `{"customer_id":13,"order_status_id":5,"subtotal":2295,"tax_total":191.4,"shipping_total":25,"grand_total":2511.40,` +
				`"items":[{"product_id":4,"quantity":3,"price":100}]}`,
			check: func(t *testing.T, got any) {
				r := got.([]any)
				withItems(t, r[0].(*ghost.SparkOrder))
				assert.Equal(t, true, r[1])
			}},
		{name: "Upsert updates", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			o, created, err := sc.Orders.Upsert(ctx, ghost.SparkOrder{ID: ghost.IntID(100001), AdminComments: "gift wrap"})
			return []any{o, created}, err
		}, method: "POST", path: "/api/v1/orders", body: `{"id":100001,"admin_comments":"gift wrap"}`,
			check: func(t *testing.T, got any) {
				r := got.([]any)
				checkOrder(t, r[0].(*ghost.SparkOrder))
				assert.Equal(t, false, r[1])
			}},
		{name: "Update", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return sc.Orders.Update(ctx, ghost.IntID(100001), ghost.SparkOrderUpdateParams{OrderStatusID: ghost.Some(ghost.IntID(3)),
				GrandTotal: ghost.Some(dec(t, "2511.40")), IsGift: ghost.Some(false)})
		}, method: "PUT", path: "/api/v1/orders/100001", body: `{"order_status_id":3,"grand_total":2511.40,"is_gift":false}`,
			check: func(t *testing.T, got any) { checkOrder(t, got.(*ghost.SparkOrder)) }},
		{name: "Delete", call: func(ctx context.Context, sc *ghost.SparkClient) (any, error) {
			return nil, sc.Orders.Delete(ctx, ghost.IntID(100001))
		}, method: "DELETE", path: "/api/v1/orders/100001"},
	})

	st.reset()
	_, err := c.Spark.Orders.Update(t.Context(), ghost.IntID(1), ghost.SparkOrderUpdateParams{CustomerID: ghost.Some(ghost.ID("cus_1"))})
	assert.ErrorIs(t, err, ghost.ErrValidation)
	_, err = c.Spark.Orders.SelectMany(t.Context(), []ghost.ID{"ord_1"}, nil)
	assert.ErrorIs(t, err, ghost.ErrValidation)
	assert.Empty(t, st.requests())
}

// nestedView is what every SparkNested tells about its form.
type nestedView interface {
	IsSet() bool
	IsNull() bool
	IsLink() bool
	IsZero() bool
	Link() string
	Len() int
}

// Every model with a nested collection decodes it in all four forms, keeps
// what it got and encodes it back the same way.
func TestSparkNestedForms(t *testing.T) {
	const link = "https://store.example/api/v1/x/1/nested"
	forms := []struct {
		name, json  string
		set, null   bool
		link        string
		filled      bool
		items       int
		reencodedAs string // the nested key in the re-encoded model; "" = absent
	}{
		{name: "absent"},
		{name: "null", json: `null`, set: true, null: true, reencodedAs: `null`},
		{name: "link", json: `{"link":"` + link + `"}`, set: true, link: link, reencodedAs: `{"link":"` + link + `"}`},
		{name: "empty array", json: `[]`, set: true, filled: true, reencodedAs: `[]`},
		{name: "filled", json: `[%s,%s]`, set: true, filled: true, items: 2},
	}
	models := []struct {
		name, path, key, body, item string
		nested                      func(t *testing.T, c *ghost.Client) (nestedView, any)
	}{
		{"product variants", "/api/v1/products/1", "variants", `{"id":1,"item_name":"Shirt","price":19.99%s}`, `{"id":3,"product_id":1,"description":"S","price_adjustment":1.5}`,
			func(t *testing.T, c *ghost.Client) (nestedView, any) {
				p, err := c.Spark.Products.Get(t.Context(), ghost.IntID(1), nil)
				require.NoError(t, err)
				return p.Variants, p
			}},
		{"product categories", "/api/v1/products/1", "categories", `{"id":1,"item_name":"Shirt"%s}`, `{"id":2,"name":"Clothes","is_primary":true}`,
			func(t *testing.T, c *ghost.Client) (nestedView, any) {
				p, err := c.Spark.Products.Get(t.Context(), ghost.IntID(1), nil)
				require.NoError(t, err)
				return p.Categories, p
			}},
		{"order items", "/api/v1/orders/1", "items", `{"id":1,"grand_total":10.5%s}`, acItem,
			func(t *testing.T, c *ghost.Client) (nestedView, any) {
				o, err := c.Spark.Orders.Get(t.Context(), ghost.IntID(1), nil)
				require.NoError(t, err)
				return o.Items, o
			}},
		{"customer addresses", "/api/v1/customers/1", "addresses", `{"id":1,"email":"a@example.com"%s}`, acAddress,
			func(t *testing.T, c *ghost.Client) (nestedView, any) {
				cu, err := c.Spark.Customers.Get(t.Context(), ghost.IntID(1), nil)
				require.NoError(t, err)
				return cu.Addresses, cu
			}},
	}
	for _, m := range models {
		for _, f := range forms {
			t.Run(m.name+"/"+f.name, func(t *testing.T) {
				form := f.json
				if f.items > 0 {
					form = fmt.Sprintf(form, m.item, m.item)
				}
				body := fmt.Sprintf(m.body, nestedJSON(m.key, form))
				st := newSparkStub(t, map[string]stubReply{"GET " + m.path: reply200(body)})
				n, model := m.nested(t, storeClient(t, st))
				assert.Equal(t, f.set, n.IsSet(), "IsSet")
				assert.Equal(t, !f.set, n.IsZero(), "IsZero")
				assert.Equal(t, f.null, n.IsNull(), "IsNull")
				assert.Equal(t, f.link != "", n.IsLink(), "IsLink")
				assert.Equal(t, f.link, n.Link())
				assert.Equal(t, f.items, n.Len())

				out, err := json.Marshal(model)
				require.NoError(t, err)
				var keys map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(out, &keys))
				raw, present := keys[m.key]
				assert.Equal(t, f.set, present, "re-encoded %s", out)
				switch {
				case f.items > 0:
					var back []map[string]any
					require.NoError(t, json.Unmarshal(raw, &back))
					assert.Len(t, back, f.items)
					var item map[string]any
					require.NoError(t, json.Unmarshal([]byte(m.item), &item))
					assert.Equal(t, item["id"], back[0]["id"])
				case f.set:
					assert.JSONEq(t, f.reencodedAs, string(raw))
				}
			})
		}
	}
}

// With the store on its own host, Spark customers and orders go there with
// the store's token; the core host never sees a Spark call nor the token,
// and Ghost's customers never go to the store.
func TestSparkStoreOnItsOwnHost(t *testing.T) {
	var coreCalls []stubCall
	var mu sync.Mutex
	core := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		coreCalls = append(coreCalls, stubCall{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"docs":[]}`))
	}))
	defer core.Close()
	store := newSparkStub(t, map[string]stubReply{
		"GET /api/v1/customers":     reply200(`{"total_count":1,"customers":[` + fmt.Sprintf(acCustomer, "") + `]}`),
		"GET /api/v1/orders/100001": reply200(fmt.Sprintf(acOrder, "")),
		"POST /api/v1/orders":       func(string) (int, string) { return http.StatusCreated, fmt.Sprintf(acOrder, "") },
	})
	// The store's host is "localhost", the core's "127.0.0.1": two hosts.
	storeURL := strings.Replace(store.URL, "127.0.0.1", "localhost", 1)
	c, err := ghost.NewClient(
		ghost.WithBaseURL(core.URL),
		ghost.WithKeys("pk_core", "sk_core"),
		ghost.WithEndpoint(ghost.PartSpark, ghost.Endpoint{BaseURL: storeURL, Credentials: ghost.Credentials{AuthToken: storeToken}}),
		ghost.WithRetryPolicy(ghost.RetryPolicy{}),
	)
	require.NoError(t, err)
	ctx := t.Context()

	page, err := c.Spark.Customers.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "ada@example.com", page.Items[0].Email)
	o, err := c.Spark.Orders.Get(ctx, ghost.IntID(100001), nil)
	require.NoError(t, err)
	assert.Equal(t, "2511.4", o.GrandTotal.String())
	_, created, err := c.Spark.Orders.Upsert(ctx, ghost.SparkOrder{CustomerID: ghost.IntID(13)})
	require.NoError(t, err)
	assert.True(t, created)

	reqs := store.requests()
	require.Len(t, reqs, 3)
	for i, want := range []string{"GET /api/v1/customers", "GET /api/v1/orders/100001", "POST /api/v1/orders"} {
		assert.Equal(t, want, reqs[i].Method+" "+reqs[i].Path)
		assert.Equal(t, storeToken, reqs[i].Header.Get("X-AC-Auth-Token"))
		assert.Empty(t, reqs[i].Header.Get("Authorization"), "the core's keys went to the store")
	}
	mu.Lock()
	assert.Empty(t, coreCalls, "a Spark call reached the core host")
	mu.Unlock()

	// Ghost's customers stay on the core host with its own auth.
	_, err = c.Customers.List(ctx, nil)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, coreCalls, 1)
	assert.Equal(t, "/api/v1/customers", coreCalls[0].Path)
	assert.Empty(t, coreCalls[0].Header.Get("X-AC-Auth-Token"), "the Spark token reached the core host")
	assert.NotEmpty(t, coreCalls[0].Header.Get("Authorization"))
	assert.Len(t, store.requests(), 3)
}

// NextPage walks a list by hand, page after page, and stops with nil.
func TestSparkNextPage(t *testing.T) {
	srv := newSpark(t, ghosttest.WithSeed(5))
	products := srv.Client.Spark.Products
	ctx := t.Context()
	page, err := products.List(ctx, &ghost.SparkListParams{Count: 2, Sort: []ghost.SparkSortField{ghost.SparkDesc("id")}})
	require.NoError(t, err)
	var got []string
	var pages []int
	for page != nil {
		got = append(got, itemNames(page.Items)...)
		pages = append(pages, page.Meta.Page.Or(0))
		assert.Equal(t, ghost.Some(2), page.Meta.PerPage)
		page, err = products.NextPage(ctx, page)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"Item 5", "Item 4", "Item 3", "Item 2", "Item 1"}, got)
	assert.Equal(t, []int{1, 2, 3}, pages)
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	for i, want := range []string{"count=2&sort=-id", "count=2&page=2&sort=-id", "count=2&page=3&sort=-id"} {
		assert.Equal(t, "GET", reqs[i].Method)
		assert.Equal(t, "/api/v1/products", reqs[i].Path)
		assert.Equal(t, want, reqs[i].RawQuery)
		assert.Equal(t, ghosttest.DefaultAuthToken, reqs[i].Header.Get("X-AC-Auth-Token"))
	}

	// A next_page on another host is not followed: no request, no token.
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	next, err := products.NextPage(ctx, &ghost.Page[ghost.SparkProduct]{Meta: ghost.PageMeta{NextURL: foreign.URL + "/api/v1/products?page=2"}})
	assert.Nil(t, next)
	var e *ghost.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, ghost.CodeForeignURL, e.Code)
	assert.Equal(t, int32(0), foreignHits.Load())
	next, err = products.NextPage(ctx, nil)
	assert.Nil(t, next)
	assert.NoError(t, err)
}

// Spark customers on the mock: an upsert without an id creates (201), with
// the id of an existing customer it updates (200).
func TestSparkCustomersUpsertOnMock(t *testing.T) {
	srv := newSpark(t, ghosttest.WithSeed(1))
	cs := srv.Client.Spark.Customers
	ctx := t.Context()

	cu, created, err := cs.Upsert(ctx, ghost.SparkCustomer{Email: "new@example.com", FirstName: "New"})
	require.NoError(t, err)
	r := assertSparkRequest(t, srv, "POST", "/api/v1/customers", "")
	assert.JSONEq(t, `{"email":"new@example.com","first_name":"New"}`, string(r.Body))
	assert.True(t, created)
	assert.Equal(t, ghost.IntID(2), cu.ID)
	assert.False(t, cu.CreatedAt.IsZero())

	cu, created, err = cs.Upsert(ctx, ghost.SparkCustomer{ID: cu.ID, LastName: "Comer"})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "POST", "/api/v1/customers", "")
	assert.JSONEq(t, `{"id":2,"last_name":"Comer"}`, string(r.Body))
	assert.False(t, created)
	assert.Equal(t, "New", cu.FirstName)
	assert.Equal(t, "Comer", cu.LastName)

	cu, err = cs.Update(ctx, cu.ID, ghost.SparkCustomerUpdateParams{Email: ghost.Some("newer@example.com")})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "PUT", "/api/v1/customers/2", "")
	assert.JSONEq(t, `{"email":"newer@example.com"}`, string(r.Body))
	assert.Equal(t, "newer@example.com", cu.Email)

	var n int
	for _, err := range cs.All(ctx, &ghost.SparkListParams{Count: 1}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n)

	require.NoError(t, cs.Delete(ctx, cu.ID))
	assertSparkRequest(t, srv, "DELETE", "/api/v1/customers/2", "")
	_, err = cs.Get(ctx, cu.ID, nil)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
}

// FuzzSparkNested: whatever a nested collection decodes from, it encodes
// back to the same form, and that encoding is stable.
func FuzzSparkNested(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"variants":null}`,
		`{"variants":{"link":"https://store.example/api/v1/products/1/variants"}}`,
		`{"variants":[{"id":3,"product_id":1,"description":"S","sort_order":1,"price":19.99}]}`,
		`{"variants":[]}`,
		`{"variants":{"link":"/relative","extra":true}}`,
		`{"variants":{"href":"x"}}`,
		`{"variants":"nope"}`,
		fmt.Sprintf(acOrder, nestedJSON("items", "["+acItem+"]")),
		fmt.Sprintf(acOrder, nestedJSON("items", `{"link":"https://store.example/api/v1/orders/1/items"}`)),
		fmt.Sprintf(acCustomer, nestedJSON("addresses", "["+acAddress+"]")),
		fmt.Sprintf(acCustomer, nestedJSON("addresses", "null")),
	} {
		f.Add([]byte(s))
	}
	type holder struct {
		Variants ghost.SparkNested[ghost.SparkVariant] `json:"variants,omitzero"`
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// The models holding nested collections decode or refuse, never
		// panic, and what they accept encodes.
		decode(t, b, new(ghost.SparkOrder))
		decode(t, b, new(ghost.SparkCustomer))
		decode(t, b, new(ghost.SparkProduct))
		var v holder
		if json.Unmarshal(b, &v) != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode it: %v", b, err)
		}
		var back holder
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("cannot decode its own encoding %s: %v", out, err)
		}
		n, m := v.Variants, back.Variants
		if n.IsSet() != m.IsSet() || n.IsNull() != m.IsNull() || n.IsLink() != m.IsLink() || n.Link() != m.Link() || n.Len() != m.Len() {
			t.Fatalf("form changed: %q decoded as %s, re-encoded as %s, decoded back as %s", b, n, out, m)
		}
		_, filled := n.Items()
		if _, backFilled := m.Items(); filled != backFilled {
			t.Fatalf("filled changed: %q → %s", b, out)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("encoding not stable: %s then %s (%v)", out, again, err)
		}
	})
}

// Nested lists and select_many pages say whether more follow and fetch the
// next page by its next_page link, like root lists.
func TestSparkNestedAndSelectManyPaging(t *testing.T) {
	st := newSparkStub(t, map[string]stubReply{
		"GET /api/v1/products/1/variants": reply200(
			`{"total_count":3,"next_page":"{{url}}/api/v1/products/1/variants?page=2","previous_page":null,"variants":[{"id":1},{"id":2}]}`),
		"GET /api/v1/products/1/variants?page=2": reply200(
			`{"total_count":3,"next_page":null,"previous_page":"{{url}}/api/v1/products/1/variants","variants":[{"id":3}]}`),
		"GET /api/v1/products/select_many?ids=1%2C2%2C3": reply200(
			`{"total_count":3,"next_page":"{{url}}/api/v1/products/select_many?ids=1%2C2%2C3&page=2","products":[{"id":1},{"id":2}]}`),
		"GET /api/v1/products/select_many?ids=1%2C2%2C3&page=2": reply200(
			`{"total_count":3,"next_page":null,"products":[{"id":3}]}`),
	})
	c, err := ghost.NewClient(ghost.WithBaseURL(st.URL), ghost.WithAuthToken("t"))
	require.NoError(t, err)
	ctx := t.Context()

	vs, err := c.Spark.Products.ListVariants(ctx, ghost.IntID(1), nil)
	require.NoError(t, err)
	require.True(t, vs.HasMore())
	vs2, err := vs.Next(ctx)
	require.NoError(t, err)
	require.Len(t, vs2.Items, 1)
	assert.Equal(t, ghost.IntID(3), vs2.Items[0].ID)
	assert.False(t, vs2.HasMore())

	ps, err := c.Spark.Products.SelectMany(ctx, []ghost.ID{ghost.IntID(1), ghost.IntID(2), ghost.IntID(3)}, nil)
	require.NoError(t, err)
	require.True(t, ps.HasMore())
	ps2, err := ps.Next(ctx)
	require.NoError(t, err)
	require.Len(t, ps2.Items, 1)
	assert.False(t, ps2.HasMore())
	_, err = ps2.Next(ctx)
	assert.ErrorIs(t, err, ghost.ErrNoMorePages)

	calls := st.requests()
	require.Len(t, calls, 4)
	assert.Equal(t, "page=2", calls[1].RawQuery)
	assert.Equal(t, "ids=1%2C2%2C3&page=2", calls[3].RawQuery)
}
