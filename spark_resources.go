package ghost

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// SparkResourceService is a typed accessor for one Spark root resource
// (/api/v1/{name}). The typed services of SparkClient (Products, Customers,
// Orders, …) are built on it; SparkResource gives one for any other root
// resource the store exposes. It always uses the store's endpoint and its
// X-AC-Auth-Token.
type SparkResourceService[T any] struct {
	s    *service
	name string
	ops  *sparkOps // the typed service's operations, or Spark.Resources'
}

// sparkOps are the operations on one Spark root resource: its typed
// service's (Spark.Products.Get, …), or for any other resource the generic
// Spark.Resources ones, whose path takes the resource's name as its first
// parameter.
type sparkOps struct {
	generic                                               bool
	list, upsert, selectMany, get, update, remove, filled *operation
	nested                                                map[string]*operation // the typed nested lists, by name
}

// declareSpark declares the operations of a Spark root resource, named
// prefix.Method ("Spark.Products.Get"), and of its typed nested lists
// (prefix.ListVariants for "variants").
func declareSpark(prefix, resource string, nested ...string) *sparkOps {
	base := "/api/v1/" + resource
	ops := &sparkOps{
		list:       declare(PartSpark, prefix+".List", http.MethodGet, base).listing(resource),
		upsert:     declare(PartSpark, prefix+".Upsert", http.MethodPost, base),
		selectMany: declare(PartSpark, prefix+".SelectMany", http.MethodGet, base+"/select_many").listing(resource),
		get:        declare(PartSpark, prefix+".Get", http.MethodGet, base+"/{id}"),
		update:     declare(PartSpark, prefix+".Update", http.MethodPut, base+"/{id}"),
		remove:     declare(PartSpark, prefix+".Delete", http.MethodDelete, base+"/{id}"),
		filled:     declare(PartSpark, prefix+".Filled", http.MethodGet, base+"/{id}/filled"),
		nested:     map[string]*operation{},
	}
	for _, n := range nested {
		method := "List" + strings.ToUpper(n[:1]) + n[1:]
		ops.nested[n] = declare(PartSpark, prefix+"."+method, http.MethodGet, base+"/{id}/"+n).listing(n)
	}
	return ops
}

// The generic operations, on /api/v1/{resource}: a resource other than the
// typed services', or another nested list. The key of a list's items is
// the resource's (or nested list's) name, given with each request.
var (
	opsSparkResources      = declareSpark("Spark.Resources", "{resource}")
	opSparkResourcesNested = declare(PartSpark, "Spark.Resources.ListNested", http.MethodGet, "/api/v1/{resource}/{id}/{nested}").listing("")
)

// sparkTyped are the typed services' operations, by resource name.
var sparkTyped = map[string]*sparkOps{}

func init() {
	opsSparkResources.generic = true
	for _, ops := range []*sparkOps{opsSparkProducts, opsSparkVariants, opsSparkCategories, opsSparkCustomers, opsSparkOrders} {
		sparkTyped[ops.list.listKey] = ops
	}
}

// request is a request for op on the resource, with the ids of its path
// after the resource's name; a generic operation's items sit under the
// resource's name.
func (r *SparkResourceService[T]) request(op *operation, ids ...ID) *request {
	req := &request{op: op, ids: ids}
	if r.ops.generic {
		req.ids = append([]ID{ID(r.name)}, ids...)
		req.listKey = r.name
	}
	return req
}

// SparkResource returns the accessor of the Spark root resource name (e.g.
// "manufacturers") whose items decode into T:
//
//	type manufacturer struct {
//		ID   ghost.ID `json:"id"`
//		Name string   `json:"name"`
//	}
//	ms := ghost.SparkResource[manufacturer](client.Spark, "manufacturers")
//	page, err := ms.List(ctx, &ghost.SparkListParams{Count: 10})
func SparkResource[T any](sc *SparkClient, name string) *SparkResourceService[T] {
	var c *Client
	if sc != nil {
		c = sc.client
	}
	return newSparkResource[T](c, name)
}

func newSparkResource[T any](c *Client, name string) *SparkResourceService[T] {
	ops := sparkTyped[name]
	if ops == nil {
		ops = opsSparkResources
	}
	return &SparkResourceService[T]{s: sparkBase(c), name: name, ops: ops}
}

// Name returns the resource's name.
func (r *SparkResourceService[T]) Name() string { return r.name }

// SparkListParams selects one page of a Spark list. Zero fields are not sent
// (the API defaults to page 1 of 100 items).
type SparkListParams struct {
	Page    int              // page number, from 1
	Count   int              // items per page
	Expand  []string         // nested resources to fill, e.g. "variants"
	Sort    []SparkSortField // sort keys, e.g. SparkDesc("price"), SparkAsc("item_name")
	Fields  []string         // fields to return; nested ones are filled
	Filters []SparkFilter    // field=op:value filters, built with SparkWhere
}

// SparkGetParams shapes a single resource.
type SparkGetParams struct {
	Expand []string // nested resources to fill
	Fields []string // fields to return; nested ones are filled
}

// SparkNestedListParams shapes a nested list (/{id}/{nested}).
type SparkNestedListParams struct {
	Sort   []SparkSortField
	Fields []string
}

// SparkSelectParams shapes a select_many list.
type SparkSelectParams struct {
	Expand []string
	Sort   []SparkSortField
	Fields []string
}

// sparkReserved are the query parameters a filter's field may not shadow.
var sparkReserved = []string{"page", "count", "expand", "sort", "fields", "ids"}

// sparkQuery builds a Spark query string from its parts, checking them.
func sparkQuery(page, count int, expand []string, sort []SparkSortField, fields []string, filters []SparkFilter) (url.Values, error) {
	q := url.Values{}
	if page < 0 || count < 0 {
		return nil, invalidParams("page", "page and count must not be negative")
	}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if count > 0 {
		q.Set("count", strconv.Itoa(count))
	}
	lists := []struct {
		name string
		vals []string
	}{{"expand", expand}, {"fields", fields}}
	for _, l := range lists {
		if len(l.vals) == 0 {
			continue
		}
		for _, v := range l.vals {
			if v == "" || strings.Contains(v, ",") {
				return nil, invalidParams(l.name, "%s entry %q must be a single non-empty name", l.name, v)
			}
		}
		q.Set(l.name, strings.Join(l.vals, ","))
	}
	if len(sort) > 0 {
		keys := make([]string, len(sort))
		for i, s := range sort {
			if s.Field == "" || strings.ContainsAny(s.Field, ",") || strings.HasPrefix(s.Field, "-") {
				return nil, invalidParams("sort", "sort field %q must be a plain field name (use Desc for descending)", s.Field)
			}
			keys[i] = s.Field
			if s.Desc {
				keys[i] = "-" + s.Field
			}
		}
		q.Set("sort", strings.Join(keys, ","))
	}
	for _, f := range filters {
		if f.err != nil {
			return nil, f.err
		}
		switch {
		case f.Field == "" || slices.Contains(sparkReserved, f.Field):
			return nil, invalidParams("filters", "filter field %q is empty or a reserved parameter", f.Field)
		case !f.Op.valid():
			return nil, invalidParams("filters", "filter operator %q; want eq, not, like, startwith, gt, gte, lt or lte", f.Op)
		}
		q.Add(f.Field, string(f.Op)+":"+f.Value)
	}
	return q, nil
}

// check refuses an accessor without a client, and an id that is not an
// integer (Spark's ids are).
func (r *SparkResourceService[T]) check(id ID) error {
	if r == nil || r.s == nil || r.s.client == nil {
		return invalidParams("client", "SparkResource needs a client")
	}
	if _, ok := id.Int(); !ok && id != "" {
		return invalidParams("id", "Spark ids are integers, got %q", string(id))
	}
	return nil
}

// List returns one page: GET /api/v1/{name}?page=&count=&expand=&sort=&fields=&field=op:value.
// Meta.Total is total_count and Meta.NextURL/PrevURL the next/previous page.
func (r *SparkResourceService[T]) List(ctx context.Context, params *SparkListParams, opts ...RequestOption) (*Page[T], error) {
	p := valueOf(params)
	q, err := sparkQuery(p.Page, p.Count, p.Expand, p.Sort, p.Fields, p.Filters)
	if err != nil {
		return nil, err
	}
	if err := r.check(""); err != nil {
		return nil, err
	}
	req := r.request(r.ops.list)
	req.query = q
	page, err := sparkList[T](ctx, r.s, req, opts)
	if err != nil {
		return nil, err
	}
	page.Meta.Page = Some(max(p.Page, 1))
	if p.Count > 0 {
		page.Meta.PerPage = Some(p.Count)
	}
	return page, nil
}

// sparkList fetches the page of a list that list selects, and gives it its
// Next: the page its next_page link names.
func sparkList[V any](ctx context.Context, s *service, list *request, opts []RequestOption) (*Page[V], error) {
	page, err := listPage[V](ctx, s, list, opts)
	if err != nil {
		return nil, err
	}
	return sparkLinkNext(s, list, page, opts), nil
}

// All walks every item from params' page on, following each response's
// next_page. It follows a next_page only on the client's configured scheme
// and host (anything else is yielded as an *Error with Code "foreign_url"
// and nothing is sent there), and never fetches a page twice (ErrPagingLoop).
func (r *SparkResourceService[T]) All(ctx context.Context, params *SparkListParams, opts ...RequestOption) iter.Seq2[T, error] {
	first := ""
	p := valueOf(params)
	req := r.request(r.ops.list)
	if q, err := sparkQuery(p.Page, p.Count, p.Expand, p.Sort, p.Fields, p.Filters); err == nil && r.check("") == nil {
		if path, err := req.op.path(req.ids); err == nil {
			base := r.s.client.endpoints[r.s.name].base
			first = pageKey(base.Scheme+"://"+base.Host, base.EscapedPath()+path, q)
		}
	}
	return nextPager(r.s, req, first, func(ctx context.Context) (*Page[T], error) {
		return r.List(ctx, params, opts...)
	}, opts).all(ctx, opts)
}

// pageKey identifies a page of a list by its origin, path and query, page 1 when
// the query names none, so a next_page back to a page already seen is
// recognised whatever the order of its parameters.
func pageKey(origin, path string, q url.Values) string {
	q = maps.Clone(q)
	if q.Get("page") == "" {
		q.Set("page", "1")
	}
	return strings.ToLower(origin) + path + "?" + q.Encode()
}

// nextPager walks a Spark list by its next_page links: first gets the first
// page (whose key is firstKey, fetched by list); later pages are fetched
// from the previous page's next_page, and a page already fetched is never
// fetched again.
func nextPager[T any](s *service, list *request, firstKey string, first func(ctx context.Context) (*Page[T], error), opts []RequestOption) pager[T] {
	var (
		next    *url.URL
		loopErr error
	)
	seen := map[string]bool{firstKey: true}
	return pager[T]{
		fetch: func(ctx context.Context) (*Page[T], error) {
			switch {
			case loopErr != nil:
				return nil, loopErr
			case next == nil:
				return first(ctx)
			}
			return listPage[T](ctx, s, list.at(next), opts)
		},
		advance: func(p *Page[T]) bool {
			if p.Meta.NextURL == "" {
				return false
			}
			u, err := sparkNextURL(s, p.Meta.NextURL)
			if err != nil {
				loopErr = err
				return true
			}
			key := pageKey(u.Scheme+"://"+u.Host, u.EscapedPath(), u.Query())
			if seen[key] {
				loopErr = fmt.Errorf("%w (next_page %s was already fetched)", ErrPagingLoop, u.EscapedPath())
				return true
			}
			seen[key] = true
			next = u
			return true
		},
	}
}

// sparkNextURL parses a next_page link; a relative one is on the store's own
// host. Whether it may be followed (same scheme and host as the store's
// endpoint) is checked by the executor when it is fetched.
func sparkNextURL(s *service, link string) (*url.URL, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, &Error{Code: CodeBadResponse, Message: "next_page is not a URL"}
	}
	if !u.IsAbs() && u.Host == "" {
		u = s.client.endpoints[s.name].base.ResolveReference(u)
	}
	return u, nil
}

// NextPage fetches the page after page by its next_page link. It returns
// nil and no error when page is the last one (it has no next_page), so a
// manual walk reads:
//
//	for page != nil {
//		// use page.Items
//		page, err = products.NextPage(ctx, page)
//	}
//
// The link is followed only on the store's configured scheme and host: a
// link anywhere else is an *Error with Code "foreign_url" and nothing is sent
// there (nor the auth token). page must come from this resource's List,
// SelectMany or NextPage (a nested list's items sit under another key).
// Meta.Page and Meta.PerPage of the result are read from the link's page and
// count.
func (r *SparkResourceService[T]) NextPage(ctx context.Context, page *Page[T], opts ...RequestOption) (*Page[T], error) {
	if page == nil || page.Meta.NextURL == "" {
		return nil, nil
	}
	if err := r.check(""); err != nil {
		return nil, err
	}
	return sparkNextPage(ctx, r.s, r.request(r.ops.list), page, opts)
}

// sparkNextPage fetches the page of list that page's next_page names, and
// gives it its own Next.
func sparkNextPage[V any](ctx context.Context, s *service, list *request, page *Page[V], opts []RequestOption) (*Page[V], error) {
	u, err := sparkNextURL(s, page.Meta.NextURL)
	if err != nil {
		return nil, err
	}
	next, err := sparkList[V](ctx, s, list.at(u), opts)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	next.Meta.Page = Some(1)
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		next.Meta.Page = Some(n)
	}
	if n, err := strconv.Atoi(q.Get("count")); err == nil && n > 0 {
		next.Meta.PerPage = Some(n)
	}
	return next, nil
}

// sparkLinkNext gives page of list its Next: the page its next_page link
// names.
func sparkLinkNext[V any](s *service, list *request, page *Page[V], opts []RequestOption) *Page[V] {
	withNext(s, page, 0, func(ctx context.Context) (*Page[V], error) {
		return sparkNextPage(ctx, s, list, page, opts)
	})
	return page
}

// Get returns one resource: GET /api/v1/{name}/{id}?expand=&fields=.
func (r *SparkResourceService[T]) Get(ctx context.Context, id ID, params *SparkGetParams, opts ...RequestOption) (*T, error) {
	p := valueOf(params)
	q, err := sparkQuery(0, 0, p.Expand, nil, p.Fields, nil)
	if err != nil {
		return nil, err
	}
	return r.getItem(ctx, r.ops.get, id, q, opts)
}

// getItem runs op, which returns one resource, on the resource id with the
// query q.
func (r *SparkResourceService[T]) getItem(ctx context.Context, op *operation, id ID, q url.Values, opts []RequestOption) (*T, error) {
	if err := r.check(id); err != nil {
		return nil, err
	}
	req := r.request(op, id)
	req.query = q
	return getOne[T](ctx, r.s, req, opts)
}

// Filled returns one resource with every nested resource filled:
// GET /api/v1/{name}/{id}/filled?fields=.
func (r *SparkResourceService[T]) Filled(ctx context.Context, id ID, fields []string, opts ...RequestOption) (*T, error) {
	q, err := sparkQuery(0, 0, nil, nil, fields, nil)
	if err != nil {
		return nil, err
	}
	return r.getItem(ctx, r.ops.filled, id, q, opts)
}

// SparkListNested returns the nested resource list of one item, without the
// rest of it: GET /api/v1/{name}/{id}/{nested}?sort=&fields=. V is the
// nested items' type:
//
//	pics, err := ghost.SparkListNested[picture](ctx, client.Spark.Products.Resource(), ghost.IntID(1), "pictures", nil)
func SparkListNested[V, T any](ctx context.Context, r *SparkResourceService[T], id ID, nested string, params *SparkNestedListParams, opts ...RequestOption) (*Page[V], error) {
	p := valueOf(params)
	if nested == "" || nested == "filled" || nested == "select_many" {
		return nil, invalidParams("nested", "nested resource name %q is not a collection", nested)
	}
	q, err := sparkQuery(0, 0, nil, p.Sort, p.Fields, nil)
	if err != nil {
		return nil, err
	}
	if err := r.check(id); err != nil {
		return nil, err
	}
	req := &request{op: opSparkResourcesNested, ids: []ID{ID(r.name), id, ID(nested)}, listKey: nested}
	if op := r.ops.nested[nested]; op != nil {
		req = r.request(op, id)
	}
	req.query = q
	return sparkList[V](ctx, r.s, req, opts)
}

// SelectMany returns the resources with the given ids:
// GET /api/v1/{name}/select_many?ids=1,5,9. At least one id is required;
// without one nothing is sent.
func (r *SparkResourceService[T]) SelectMany(ctx context.Context, ids []ID, params *SparkSelectParams, opts ...RequestOption) (*Page[T], error) {
	if len(ids) == 0 {
		return nil, invalidParams("ids", "select_many requires one or more resource IDs")
	}
	p := valueOf(params)
	q, err := sparkQuery(0, 0, p.Expand, p.Sort, p.Fields, nil)
	if err != nil {
		return nil, err
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		if _, ok := id.Int(); !ok {
			return nil, invalidParams("ids", "Spark ids are integers, got %q", string(id))
		}
		strs[i] = string(id)
	}
	q.Set("ids", strings.Join(strs, ","))
	if err := r.check(""); err != nil {
		return nil, err
	}
	req := r.request(r.ops.selectMany)
	req.query = q
	return sparkList[T](ctx, r.s, req, opts)
}

// Upsert creates or updates a resource: POST /api/v1/{name}. When body holds
// the id of an existing resource its fields are applied to it and created is
// false (200); otherwise a new resource is created and created is true (201).
// body is a T or any value that encodes to the JSON object to send. The
// Spark API documents no idempotency key, so an upsert is sent once, not
// retried blindly; one that carries the id of an existing resource is safe
// to repeat.
func (r *SparkResourceService[T]) Upsert(ctx context.Context, body any, opts ...RequestOption) (item *T, created bool, err error) {
	if err := r.check(""); err != nil {
		return nil, false, err
	}
	if body == nil {
		return nil, false, invalidParams("body", "a body is required")
	}
	req := r.request(r.ops.upsert)
	req.body = body
	v := new(T)
	resp, err := r.s.do(ctx, req, v, opts)
	if err != nil {
		return nil, false, err
	}
	return v, resp.StatusCode == http.StatusCreated, nil
}

// Update applies the fields in body to an existing resource (a partial
// update): PUT /api/v1/{name}/{id}. A missing resource is ErrNotFound.
func (r *SparkResourceService[T]) Update(ctx context.Context, id ID, body any, opts ...RequestOption) (*T, error) {
	if err := r.check(id); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, invalidParams("body", "a body is required")
	}
	req := r.request(r.ops.update, id)
	req.body = body
	return getOne[T](ctx, r.s, req, opts)
}

// Delete deletes a resource: DELETE /api/v1/{name}/{id} (204, no body). A
// missing resource is ErrNotFound.
func (r *SparkResourceService[T]) Delete(ctx context.Context, id ID, opts ...RequestOption) error {
	if err := r.check(id); err != nil {
		return err
	}
	_, err := r.s.do(ctx, r.request(r.ops.remove, id), nil, opts)
	return err
}
