package ghost_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(ghosttest.ProfileSparkPay)}, opts...)...)
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
	assert.Equal(t, ghost.CallLimit{Used: 1, Max: 0}, resp.CallLimit)
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
		Variants:   ghost.SparkNestedOf(ghost.SparkVariant{Description: "S", SortOrder: ghost.Some(1), Price: dec(t, "19.99")}),
		Categories: ghost.SparkNestedOf(ghost.SparkCategory{Name: "Clothes"}),
	})
	require.NoError(t, err)
	r := assertSparkRequest(t, srv, "POST", "/api/v1/products", "")
	assert.JSONEq(t, `{"item_name":"Shirt","item_number":"sh-1","price":19.99,"variants":[{"description":"S","sort_order":1,"price":19.99}],"categories":[{"name":"Clothes"}]}`, string(r.Body))
	assert.True(t, created)
	assert.Equal(t, ghost.IntID(1), p.ID)
	assert.Equal(t, "19.99", p.Price.String())

	filled, err := products.Filled(ctx, p.ID, nil)
	require.NoError(t, err)
	fv := items(t, filled.Variants)
	require.Len(t, fv, 1)
	assert.Equal(t, "S", fv[0].Description)
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
	sub, created, err := cats.Upsert(ctx, ghost.SparkCategory{Name: "Shirts", ParentID: ghost.IntID(1)})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "POST", "/api/v1/categories", "")
	assert.JSONEq(t, `{"name":"Shirts","parent_id":1}`, string(r.Body))
	assert.True(t, created)
	assert.Equal(t, ghost.IntID(2), sub.ID)
	assert.Equal(t, "Shirts", sub.Name)
	assert.Equal(t, ghost.IntID(1), sub.ParentID)
	sub, err = cats.Update(ctx, sub.ID, ghost.SparkCategoryUpdateParams{Name: ghost.Some("Tees")})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "PUT", "/api/v1/categories/2", "")
	assert.JSONEq(t, `{"name":"Tees"}`, string(r.Body))
	assert.Equal(t, "Tees", sub.Name)

	vars := srv.Client.Spark.Variants
	p, _, err = products.Upsert(ctx, ghost.SparkProduct{ItemName: "Cap"})
	require.NoError(t, err)
	v, created, err := vars.Upsert(ctx, ghost.SparkVariant{ProductID: p.ID, Description: "M", SortOrder: ghost.Some(2)})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "POST", "/api/v1/variants", "")
	assert.JSONEq(t, `{"product_id":`+p.ID.String()+`,"description":"M","sort_order":2}`, string(r.Body))
	assert.True(t, created)
	v, err = vars.Update(ctx, v.ID, ghost.SparkVariantUpdateParams{SortOrder: ghost.Some(0), Price: ghost.Some(dec(t, "21.00"))})
	require.NoError(t, err)
	r = assertSparkRequest(t, srv, "PUT", "/api/v1/variants/"+v.ID.String(), "")
	assert.JSONEq(t, `{"sort_order":0,"price":21.00}`, string(r.Body))
	assert.Equal(t, ghost.Some(0), v.SortOrder)
	assert.Equal(t, "21.00", v.Price.String())
	require.NoError(t, vars.Delete(ctx, v.ID))
	assertSparkRequest(t, srv, "DELETE", "/api/v1/variants/"+v.ID.String(), "")
}

func TestSparkCallLimitAndRateLimit(t *testing.T) {
	srv := newSpark(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileSparkPay, SparkCallLimit: 2}))
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
	assert.Equal(t, 60*time.Second, e.RetryAfter)
	assert.ErrorIs(t, err, ghost.ErrRateLimited)
	assert.Equal(t, ghost.CallLimit{Used: 2, Max: 2}, resp.CallLimit)

	srv.Clock.Advance(time.Minute)
	_, err = cats.List(ctx, nil)
	require.NoError(t, err)
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
