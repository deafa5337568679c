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

// ResourceService is a typed accessor for one Spark-style root resource
// (/api/v1/{name}): products, categories, variants, or any other the store
// exposes. Get one with Resource; it authenticates with X-AC-Auth-Token.
type ResourceService[T any] struct {
	s    *service
	name string
}

// Resource returns the accessor of the Spark root resource name (e.g.
// "products") whose items decode into T:
//
//	products := ghost.Resource[ghost.Product](client, "products")
//	page, err := products.List(ctx, &ghost.ListParams{Count: 10})
func Resource[T any](c *Client, name string) *ResourceService[T] {
	return &ResourceService[T]{s: &service{client: c, name: ServiceResources}, name: name}
}

// Name returns the resource's name.
func (r *ResourceService[T]) Name() string { return r.name }

// ListParams selects one page of a Spark list. Zero fields are not sent (the
// API defaults to page 1 of 100 items).
type ListParams struct {
	Page    int         // page number, from 1
	Count   int         // items per page
	Expand  []string    // nested resources to fill, e.g. "variants"
	Sort    []SortField // sort keys, e.g. Desc("price"), Asc("item_name")
	Fields  []string    // fields to return; nested ones are filled
	Filters []Filter    // field=op:value filters, built with Where
}

// GetParams shapes a single resource.
type GetParams struct {
	Expand []string
	Fields []string
}

// NestedListParams shapes a nested list (/{id}/{nested}).
type NestedListParams struct {
	Sort   []SortField
	Fields []string
}

// SelectParams shapes a select_many list.
type SelectParams struct {
	Expand []string
	Sort   []SortField
	Fields []string
}

// sparkReserved are the query parameters a filter's field may not shadow.
var sparkReserved = []string{"page", "count", "expand", "sort", "fields", "ids"}

// sparkQuery builds a Spark query string from its parts, checking them.
func sparkQuery(page, count int, expand []string, sort []SortField, fields []string, filters []Filter) (url.Values, error) {
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

func (r *ResourceService[T]) root() (string, error) {
	if r == nil || r.s == nil || r.s.client == nil {
		return "", invalidParams("client", "Resource needs a client")
	}
	return pathf("/api/v1/%s", idArg{"resource", ID(r.name)})
}

func (r *ResourceService[T]) item(id ID, suffix ...string) (string, error) {
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
func (r *ResourceService[T]) List(ctx context.Context, params *ListParams, opts ...RequestOption) (*Page[T], error) {
	var p ListParams
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
	return page, nil
}

// All walks every item from params' page on, following each response's
// next_page. It follows a next_page only on the client's configured scheme
// and host (anything else is yielded as an *Error with Code "foreign_url"
// and nothing is sent there), and never fetches a page twice (ErrPagingLoop).
func (r *ResourceService[T]) All(ctx context.Context, params *ListParams, opts ...RequestOption) iter.Seq2[T, error] {
	first := ""
	if path, err := r.root(); err == nil {
		var p ListParams
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
			u, err := url.Parse(p.Meta.NextURL)
			if err != nil {
				loopErr = &Error{Code: CodeBadResponse, Message: "next_page is not a URL"}
				return true
			}
			if !u.IsAbs() && u.Host == "" {
				// A relative next_page is on the API's own host.
				u = s.client.endpoints[s.name].base.ResolveReference(u)
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

// Get returns one resource: GET /api/v1/{name}/{id}?expand=&fields=.
func (r *ResourceService[T]) Get(ctx context.Context, id ID, params *GetParams, opts ...RequestOption) (*T, error) {
	var p GetParams
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
func (r *ResourceService[T]) Filled(ctx context.Context, id ID, fields []string, opts ...RequestOption) (*T, error) {
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

// ListNested returns the nested resource list of one item, without the rest
// of it: GET /api/v1/{name}/{id}/{nested}?sort=&fields=. V is the nested
// items' type:
//
//	variants, err := ghost.ListNested[ghost.Variant](ctx, products, ghost.IntID(1), "variants", nil)
func ListNested[V, T any](ctx context.Context, r *ResourceService[T], id ID, nested string, params *NestedListParams, opts ...RequestOption) (*Page[V], error) {
	var p NestedListParams
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
	return listPage[V](ctx, r.s, &request{method: "GET", path: path, query: q, listKey: nested}, opts)
}

// SelectMany returns the resources with the given ids:
// GET /api/v1/{name}/select_many?ids=1,5,9. At least one id is required;
// without one nothing is sent.
func (r *ResourceService[T]) SelectMany(ctx context.Context, ids []ID, params *SelectParams, opts ...RequestOption) (*Page[T], error) {
	if len(ids) == 0 {
		return nil, invalidParams("ids", "select_many requires one or more resource IDs")
	}
	var p SelectParams
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
	return listPage[T](ctx, r.s, &request{method: "GET", path: path, query: q, listKey: r.name}, opts)
}

// Upsert creates or updates a resource: POST /api/v1/{name}. When body holds
// the id of an existing resource its fields are applied to it and created is
// false (200); otherwise a new resource is created and created is true (201).
// body is a T or any value that encodes to the JSON object to send. Pass
// WithIdempotencyKey to make it safe to retry.
func (r *ResourceService[T]) Upsert(ctx context.Context, body any, opts ...RequestOption) (item *T, created bool, err error) {
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
func (r *ResourceService[T]) Update(ctx context.Context, id ID, body any, opts ...RequestOption) (*T, error) {
	if id == "" {
		return nil, invalidParams("id", "id is required")
	}
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
func (r *ResourceService[T]) Delete(ctx context.Context, id ID, opts ...RequestOption) error {
	if id == "" {
		return invalidParams("id", "id is required")
	}
	path, err := r.item(id)
	if err != nil {
		return err
	}
	_, err = r.s.do(ctx, &request{method: "DELETE", path: path}, nil, opts)
	return err
}
