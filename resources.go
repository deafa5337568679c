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
	return &SparkResourceService[T]{s: sparkBase(c), name: name}
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

func (r *SparkResourceService[T]) root() (string, error) {
	if r == nil || r.s == nil || r.s.client == nil {
		return "", invalidParams("client", "SparkResource needs a client")
	}
	return pathf("/api/v1/%s", idArg{"resource", ID(r.name)})
}

func (r *SparkResourceService[T]) item(id ID, suffix ...string) (string, error) {
	if _, err := r.root(); err != nil {
		return "", err
	}
	if _, ok := id.Int(); !ok && id != "" {
		return "", invalidParams("id", "Spark ids are integers, got %q", string(id))
	}
	args := []idArg{{"resource", ID(r.name)}, {"id", id}}
	format := "/api/v1/%s/%s"
	for _, s := range suffix {
		format += "/%s"
		args = append(args, idArg{"nested", ID(s)})
	}
	return pathf(format, args...)
}

// List returns one page: GET /api/v1/{name}?page=&count=&expand=&sort=&fields=&field=op:value.
// Meta.Total is total_count and Meta.NextURL/PrevURL the next/previous page.
func (r *SparkResourceService[T]) List(ctx context.Context, params *SparkListParams, opts ...RequestOption) (*Page[T], error) {
	var p SparkListParams
	if params != nil {
		p = *params
	}
	q, err := sparkQuery(p.Page, p.Count, p.Expand, p.Sort, p.Fields, p.Filters)
	if err != nil {
		return nil, err
	}
	path, err := r.root()
	if err != nil {
		return nil, err
	}
	page, err := listPage[T](ctx, r.s, &request{method: "GET", path: path, query: q, listKey: r.name}, opts)
	if err != nil {
		return nil, err
	}
	page.Meta.Page = Some(max(p.Page, 1))
	if p.Count > 0 {
		page.Meta.PerPage = Some(p.Count)
	}
	return r.linkNext(page, opts), nil
}

// linkNext gives page its Next: the page its next_page link names.
func (r *SparkResourceService[T]) linkNext(page *Page[T], opts []RequestOption) *Page[T] {
	return sparkLinkNext(r.s, r.name, page, opts)
}

// All walks every item from params' page on, following each response's
// next_page. It follows a next_page only on the client's configured scheme
// and host (anything else is yielded as an *Error with Code "foreign_url"
// and nothing is sent there), and never fetches a page twice (ErrPagingLoop).
func (r *SparkResourceService[T]) All(ctx context.Context, params *SparkListParams, opts ...RequestOption) iter.Seq2[T, error] {
	first := ""
	if path, err := r.root(); err == nil {
		var p SparkListParams
		if params != nil {
			p = *params
		}
		if q, err := sparkQuery(p.Page, p.Count, p.Expand, p.Sort, p.Fields, p.Filters); err == nil {
			base := r.s.client.endpoints[r.s.name].base
			first = pageKey(base.Scheme+"://"+base.Host, base.EscapedPath()+path, q)
		}
	}
	return nextPager(r.s, r.name, first, func(ctx context.Context) (*Page[T], error) {
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
// page (whose key is firstKey); later pages are fetched from the previous
// page's next_page, and a page already fetched is never fetched again.
func nextPager[T any](s *service, listKey, firstKey string, first func(ctx context.Context) (*Page[T], error), opts []RequestOption) pager[T] {
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
			return listPage[T](ctx, s, &request{method: "GET", url: next, listKey: listKey}, opts)
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
	if _, err := r.root(); err != nil {
		return nil, err
	}
	return sparkNextPage(ctx, r.s, r.name, page, opts)
}

// sparkNextPage fetches the page page's next_page names, of a list whose
// items sit under listKey, and gives it its own Next.
func sparkNextPage[V any](ctx context.Context, s *service, listKey string, page *Page[V], opts []RequestOption) (*Page[V], error) {
	u, err := sparkNextURL(s, page.Meta.NextURL)
	if err != nil {
		return nil, err
	}
	next, err := listPage[V](ctx, s, &request{method: "GET", url: u, listKey: listKey}, opts)
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
	return sparkLinkNext(s, listKey, next, opts), nil
}

// sparkLinkNext gives page its Next: the page its next_page link names.
func sparkLinkNext[V any](s *service, listKey string, page *Page[V], opts []RequestOption) *Page[V] {
	withNext(s, page, 0, func(ctx context.Context) (*Page[V], error) {
		return sparkNextPage(ctx, s, listKey, page, opts)
	})
	return page
}

// Get returns one resource: GET /api/v1/{name}/{id}?expand=&fields=.
func (r *SparkResourceService[T]) Get(ctx context.Context, id ID, params *SparkGetParams, opts ...RequestOption) (*T, error) {
	var p SparkGetParams
	if params != nil {
		p = *params
	}
	q, err := sparkQuery(0, 0, p.Expand, nil, p.Fields, nil)
	if err != nil {
		return nil, err
	}
	path, err := r.item(id)
	if err != nil {
		return nil, err
	}
	return getOne[T](ctx, r.s, &request{method: "GET", path: path, query: q}, opts)
}

// Filled returns one resource with every nested resource filled:
// GET /api/v1/{name}/{id}/filled?fields=.
func (r *SparkResourceService[T]) Filled(ctx context.Context, id ID, fields []string, opts ...RequestOption) (*T, error) {
	q, err := sparkQuery(0, 0, nil, nil, fields, nil)
	if err != nil {
		return nil, err
	}
	path, err := r.item(id, "filled")
	if err != nil {
		return nil, err
	}
	return getOne[T](ctx, r.s, &request{method: "GET", path: path, query: q}, opts)
}

// SparkListNested returns the nested resource list of one item, without the
// rest of it: GET /api/v1/{name}/{id}/{nested}?sort=&fields=. V is the
// nested items' type:
//
//	pics, err := ghost.SparkListNested[picture](ctx, client.Spark.Products.Resource(), ghost.IntID(1), "pictures", nil)
func SparkListNested[V, T any](ctx context.Context, r *SparkResourceService[T], id ID, nested string, params *SparkNestedListParams, opts ...RequestOption) (*Page[V], error) {
	var p SparkNestedListParams
	if params != nil {
		p = *params
	}
	if nested == "" || nested == "filled" || nested == "select_many" {
		return nil, invalidParams("nested", "nested resource name %q is not a collection", nested)
	}
	q, err := sparkQuery(0, 0, nil, p.Sort, p.Fields, nil)
	if err != nil {
		return nil, err
	}
	path, err := r.item(id, nested)
	if err != nil {
		return nil, err
	}
	page, err := listPage[V](ctx, r.s, &request{method: "GET", path: path, query: q, listKey: nested}, opts)
	if err != nil {
		return nil, err
	}
	return sparkLinkNext(r.s, nested, page, opts), nil
}

// SelectMany returns the resources with the given ids:
// GET /api/v1/{name}/select_many?ids=1,5,9. At least one id is required;
// without one nothing is sent.
func (r *SparkResourceService[T]) SelectMany(ctx context.Context, ids []ID, params *SparkSelectParams, opts ...RequestOption) (*Page[T], error) {
	if len(ids) == 0 {
		return nil, invalidParams("ids", "select_many requires one or more resource IDs")
	}
	var p SparkSelectParams
	if params != nil {
		p = *params
	}
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
	path, err := r.root()
	if err != nil {
		return nil, err
	}
	path += "/select_many"
	page, err := listPage[T](ctx, r.s, &request{method: "GET", path: path, query: q, listKey: r.name}, opts)
	if err != nil {
		return nil, err
	}
	return r.linkNext(page, opts), nil
}

// Upsert creates or updates a resource: POST /api/v1/{name}. When body holds
// the id of an existing resource its fields are applied to it and created is
// false (200); otherwise a new resource is created and created is true (201).
// body is a T or any value that encodes to the JSON object to send. The
// Spark API documents no idempotency key, so an upsert is sent once, not
// retried blindly; one that carries the id of an existing resource is safe
// to repeat.
func (r *SparkResourceService[T]) Upsert(ctx context.Context, body any, opts ...RequestOption) (item *T, created bool, err error) {
	path, err := r.root()
	if err != nil {
		return nil, false, err
	}
	if body == nil {
		return nil, false, invalidParams("body", "a body is required")
	}
	v := new(T)
	resp, err := r.s.do(ctx, &request{method: "POST", path: path, body: body}, v, opts)
	if err != nil {
		return nil, false, err
	}
	return v, resp.StatusCode == http.StatusCreated, nil
}

// Update applies the fields in body to an existing resource (a partial
// update): PUT /api/v1/{name}/{id}. A missing resource is ErrNotFound.
func (r *SparkResourceService[T]) Update(ctx context.Context, id ID, body any, opts ...RequestOption) (*T, error) {
	path, err := r.item(id)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, invalidParams("body", "a body is required")
	}
	return getOne[T](ctx, r.s, &request{method: "PUT", path: path, body: body}, opts)
}

// Delete deletes a resource: DELETE /api/v1/{name}/{id} (204, no body). A
// missing resource is ErrNotFound.
func (r *SparkResourceService[T]) Delete(ctx context.Context, id ID, opts ...RequestOption) error {
	path, err := r.item(id)
	if err != nil {
		return err
	}
	_, err = r.s.do(ctx, &request{method: "DELETE", path: path}, nil, opts)
	return err
}
