package ghosttest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Spark part: the Spark Pay common-usage contract of seed 003 over a
// set of root resources under /api/v1/{resource} — paged lists with
// total_count/next_page/previous_page, page, count, expand, sort, fields and
// field=op:value filters; /{id}, /{id}/filled, /{id}/{nested},
// /select_many?ids=; POST upsert (201/200), PUT partial update, DELETE 204;
// X-AC-Auth-Token auth; {"status_code","message","details"} errors; the
// X-AC-Call-Limit header on every response and an optional call limit
// (Config.SparkCallLimit per minute on the mock clock) answering 429.
//
// X-AC-Call-Limit reads "used/max" where max is Config.SparkCallLimit; with
// the limit off (0) it reads "used/0" and no call is refused.
//
// ProfileSparkPay serves products (with nested variants and categories),
// variants, categories, customers and orders. ProfileAll serves products,
// variants and categories only: the Ghost part owns customers and orders
// there.
func init() {
	registerPart("sparkpay", []Profile{ProfileSparkPay, ProfileAll}, func(s *Server) part { return newSparkPay(s) })
}

const (
	sparkDefaultCount = 100
	sparkMaxCount     = 250
)

// sparkKind is the type of a resource field.
type sparkKind int

const (
	sparkString  sparkKind = iota
	sparkInt               // integer (ids of other resources, counters, cents)
	sparkDecimal           // exact decimal (prices)
	sparkTime              // RFC 3339, set by the server
	sparkMap               // object of strings (metadata)
	sparkItems             // array of order items
	sparkNested            // a nested resource collection
)

type sparkField struct {
	kind     sparkKind
	required bool // on create
	readOnly bool // set by the server; ignored in bodies
}

// sparkSchema describes one root resource.
type sparkSchema struct {
	name   string
	order  []string // output order of the fields
	fields map[string]sparkField
	// ref names fields that must hold the id of an existing item of another
	// resource (nil allowed unless required).
	ref map[string]string
}

func (sc *sparkSchema) nested() []string {
	var out []string
	for name, f := range sc.fields {
		if f.kind == sparkNested {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func sparkSchemas() map[string]*sparkSchema {
	ts := map[string]sparkField{"created_at": {kind: sparkTime, readOnly: true}, "updated_at": {kind: sparkTime, readOnly: true}}
	with := func(m map[string]sparkField) map[string]sparkField {
		m["id"] = sparkField{kind: sparkInt, readOnly: true}
		for k, v := range ts {
			m[k] = v
		}
		return m
	}
	return map[string]*sparkSchema{
		"products": {name: "products", order: []string{"id", "item_name", "item_number", "price", "created_at", "updated_at", "variants", "categories"}, fields: with(map[string]sparkField{
			"item_name":   {kind: sparkString, required: true},
			"item_number": {kind: sparkString},
			"price":       {kind: sparkDecimal},
			"variants":    {kind: sparkNested},
			"categories":  {kind: sparkNested},
		})},
		"variants": {name: "variants", order: []string{"id", "product_id", "description", "sort_order", "price", "created_at", "updated_at"}, fields: with(map[string]sparkField{
			"product_id":  {kind: sparkInt, required: true},
			"description": {kind: sparkString},
			"sort_order":  {kind: sparkInt},
			"price":       {kind: sparkDecimal},
		}), ref: map[string]string{"product_id": "products"}},
		"categories": {name: "categories", order: []string{"id", "name", "parent_id", "created_at", "updated_at"}, fields: with(map[string]sparkField{
			"name":      {kind: sparkString, required: true},
			"parent_id": {kind: sparkInt},
		}), ref: map[string]string{"parent_id": "categories"}},
		"customers": {name: "customers", order: []string{"id", "email", "first_name", "last_name", "metadata", "created_at", "updated_at"}, fields: with(map[string]sparkField{
			"email":      {kind: sparkString, required: true},
			"first_name": {kind: sparkString},
			"last_name":  {kind: sparkString},
			"metadata":   {kind: sparkMap},
		})},
		"orders": {name: "orders", order: []string{"id", "customer_id", "amount", "status", "order_items", "created_at", "updated_at"}, fields: with(map[string]sparkField{
			"customer_id": {kind: sparkInt},
			"amount":      {kind: sparkInt, required: true},
			"status":      {kind: sparkString},
			"order_items": {kind: sparkItems, required: true},
		}), ref: map[string]string{"customer_id": "customers"}},
	}
}

type sparkObj = map[string]any

// orderedObj is a JSON object written in its keys' order, so responses read
// like the seed's examples (id first, list metadata before the items).
type orderedObj []orderedKV

type orderedKV struct {
	key string
	val any
}

// MarshalJSON implements json.Marshaler.
func (o orderedObj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		var v bytes.Buffer
		enc := json.NewEncoder(&v)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(kv.key); err != nil {
			return nil, err
		}
		v.Truncate(v.Len() - 1)
		v.WriteByte(':')
		if err := enc.Encode(kv.val); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(v.Bytes(), "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ordered lays out a rendered item in its schema's field order, nested
// items too; p.mu is held.
func (p *sparkPay) ordered(sc *sparkSchema, obj sparkObj) orderedObj {
	out := make(orderedObj, 0, len(obj))
	for _, name := range sc.order {
		v, ok := obj[name]
		if !ok {
			continue
		}
		if children, isList := v.([]sparkObj); isList {
			v = p.orderedList(p.stores[name].schema, children)
		}
		out = append(out, orderedKV{name, v})
	}
	return out
}

func (p *sparkPay) orderedList(sc *sparkSchema, items []sparkObj) []orderedObj {
	out := make([]orderedObj, len(items))
	for i, it := range items {
		out[i] = p.ordered(sc, it)
	}
	return out
}

// listEnvelope is Spark's list result: total_count, next_page and
// previous_page (when they exist), then the items under key.
func listEnvelope(total int, next, prev, key string, items []orderedObj) orderedObj {
	out := orderedObj{{"total_count", total}}
	if next != "" {
		out = append(out, orderedKV{"next_page", next})
	}
	if prev != "" {
		out = append(out, orderedKV{"previous_page", prev})
	}
	return append(out, orderedKV{key, items})
}

type sparkStore struct {
	schema *sparkSchema
	items  map[int]sparkObj
}

type sparkPay struct {
	srv   *Server
	roots []string

	mu      sync.Mutex
	stores  map[string]*sparkStore
	catLink map[int][]int // product id → category ids
	used    int           // calls in the current window
	window  time.Time     // start of the current call-limit window
}

func newSparkPay(s *Server) *sparkPay {
	p := &sparkPay{srv: s, stores: map[string]*sparkStore{}, catLink: map[int][]int{}}
	p.roots = []string{"products", "variants", "categories", "customers", "orders"}
	schemas := sparkSchemas()
	for _, name := range p.roots {
		p.stores[name] = &sparkStore{schema: schemas[name], items: map[int]sparkObj{}}
	}
	return p
}

func (p *sparkPay) routes(mux *http.ServeMux) { p.routesFor(mux, p.roots) }

// routesFor registers the routes of the given root resources.
func (p *sparkPay) routesFor(mux *http.ServeMux, roots []string) {
	for _, name := range roots {
		base := "/api/v1/" + name
		mux.HandleFunc("GET "+base, p.wrap(name, p.list))
		mux.HandleFunc("POST "+base, p.wrap(name, p.upsert))
		mux.HandleFunc("GET "+base+"/select_many", p.wrap(name, p.selectMany))
		mux.HandleFunc("GET "+base+"/{id}", p.wrap(name, p.get))
		mux.HandleFunc("PUT "+base+"/{id}", p.wrap(name, p.put))
		mux.HandleFunc("DELETE "+base+"/{id}", p.wrap(name, p.remove))
		mux.HandleFunc("GET "+base+"/{id}/filled", p.wrap(name, p.filled))
		mux.HandleFunc("GET "+base+"/{id}/{nested}", p.wrap(name, p.nestedList))
		notAllowed := p.wrap(name, func(w http.ResponseWriter, r *http.Request, _ *sparkStore) {
			// A known path with another method is a 405; anything deeper
			// than /{resource}/{id}/{nested} does not exist.
			if strings.Count(strings.TrimPrefix(r.URL.Path, base), "/") > 2 {
				sparkError(w, http.StatusNotFound, r.URL.Path+" does not exist")
				return
			}
			sparkError(w, http.StatusMethodNotAllowed, r.Method+" is not supported on "+r.URL.Path)
		})
		mux.HandleFunc(base, notAllowed)
		mux.HandleFunc(base+"/", notAllowed)
	}
}

func sparkError(w http.ResponseWriter, status int, details string) {
	sparkJSON(w, status, orderedObj{{"status_code", status}, {"message", http.StatusText(status)}, {"details", details}})
}

// sparkJSON writes v as JSON without HTML escaping, so next_page URLs read
// "?count=2&page=2" as in the seed.
func sparkJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeJSON(w, http.StatusInternalServerError, orderedObj{{"status_code", 500}, {"message", "Internal Server Error"}, {"details", "encoding failed"}})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(bytes.TrimRight(b.Bytes(), "\n"))
}

// wrap authenticates, applies the call limit and sets X-AC-Call-Limit, then
// runs h with the resource's store.
func (p *sparkPay) wrap(name string, h func(http.ResponseWriter, *http.Request, *sparkStore)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit := p.srv.Config.SparkCallLimit
		if limit < 0 {
			limit = 0
		}
		now := p.srv.Clock.Now()
		authed := subtle.ConstantTimeCompare([]byte(r.Header.Get("X-AC-Auth-Token")), []byte(p.srv.Config.AuthToken)) == 1
		p.mu.Lock()
		if p.window.IsZero() || !now.Before(p.window.Add(time.Minute)) {
			p.window, p.used = now, 0
		}
		over := authed && limit > 0 && p.used >= limit
		if authed && !over {
			p.used++
		}
		used, reset := p.used, p.window.Add(time.Minute).Sub(now)
		p.mu.Unlock()
		w.Header().Set("X-AC-Call-Limit", fmt.Sprintf("%d/%d", used, limit))
		switch {
		case !authed:
			sparkError(w, http.StatusUnauthorized, "A valid X-AC-Auth-Token header is required")
		case over:
			w.Header().Set("Retry-After", strconv.Itoa(int((reset+time.Second-1)/time.Second)))
			sparkError(w, http.StatusTooManyRequests, fmt.Sprintf("Call limit of %d calls per minute exceeded", limit))
		default:
			p.mu.Lock()
			st := p.stores[name]
			p.mu.Unlock()
			h(w, r, st)
		}
	}
}

// seed preloads n categories, n products with two variants each (linked to
// a category), and under ProfileSparkPay n customers and n orders.
func (p *sparkPay) seed(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 1; i <= n; i++ {
		p.insert("categories", sparkObj{"name": fmt.Sprintf("Category %d", i), "parent_id": nil})
	}
	for i := 1; i <= n; i++ {
		id := p.insert("products", sparkObj{
			"item_name": fmt.Sprintf("Item %d", i), "item_number": fmt.Sprintf("item-%d", i),
			"price": json.Number(fmt.Sprintf("%d.99", 10*i)),
		})
		for j := 1; j <= 2; j++ {
			p.insert("variants", sparkObj{
				"product_id": json.Number(strconv.Itoa(id)), "description": fmt.Sprintf("Item %d variant %d", i, j),
				"sort_order": json.Number(strconv.Itoa(j)), "price": json.Number(fmt.Sprintf("%d.99", 10*i+j)),
			})
		}
		p.catLink[id] = []int{i}
	}
	if _, ok := p.stores["customers"]; !ok {
		return
	}
	for i := 1; i <= n; i++ {
		p.insert("customers", sparkObj{"email": fmt.Sprintf("customer%d@example.com", i), "first_name": "Customer", "last_name": strconv.Itoa(i)})
	}
	for i := 1; i <= n; i++ {
		amount := json.Number(strconv.Itoa(1000 * i))
		p.insert("orders", sparkObj{
			"customer_id": json.Number(strconv.Itoa(i)), "amount": amount, "status": "pending",
			"order_items": []any{map[string]any{"amount": amount, "type": "item", "description": fmt.Sprintf("Order %d", i)}},
		})
	}
}

// insert stores obj as a new item of resource and returns its id; p.mu is held.
func (p *sparkPay) insert(resource string, obj sparkObj) int {
	st := p.stores[resource]
	id := p.srv.nextInt("spark_" + resource)
	now := p.srv.Clock.Now().Truncate(time.Second).Format(time.RFC3339)
	obj["id"] = json.Number(strconv.Itoa(id))
	obj["created_at"], obj["updated_at"] = now, now
	for name, f := range st.schema.fields {
		if _, ok := obj[name]; !ok && f.kind != sparkNested {
			obj[name] = nil
		}
	}
	st.items[id] = obj
	return id
}

// ---- reading ----

// sparkView is how items are rendered: which nested collections to fill and
// which fields to keep (nil: all).
type sparkView struct {
	expand map[string]bool
	fields map[string]bool
}

// parseView reads expand and fields; it writes a 400 and returns false on a
// name the resource does not have.
func parseView(w http.ResponseWriter, q url.Values, sc *sparkSchema, allowExpand bool) (sparkView, bool) {
	v := sparkView{expand: map[string]bool{}}
	if allowExpand {
		for _, name := range splitList(q.Get("expand")) {
			if f, ok := sc.fields[name]; !ok || f.kind != sparkNested {
				sparkError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a nested resource of %s", name, sc.name))
				return v, false
			}
			v.expand[name] = true
		}
	}
	if fs := splitList(q.Get("fields")); len(fs) > 0 {
		v.fields = map[string]bool{}
		for _, name := range fs {
			f, ok := sc.fields[name]
			if !ok {
				sparkError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a field of %s", name, sc.name))
				return v, false
			}
			v.fields[name] = true
			if f.kind == sparkNested {
				v.expand[name] = true // nested fields are filled automatically
			}
		}
	}
	return v, true
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// render copies an item for output; p.mu is held.
func (p *sparkPay) render(sc *sparkSchema, obj sparkObj, v sparkView) sparkObj {
	out := sparkObj{}
	for name, f := range sc.fields {
		if v.fields != nil && !v.fields[name] {
			continue
		}
		if f.kind == sparkNested {
			if v.expand[name] {
				out[name] = p.children(sc.name, obj, name, sparkView{})
			}
			continue
		}
		out[name] = obj[name]
	}
	return out
}

// children returns the rendered nested collection of an item; p.mu is held.
func (p *sparkPay) children(resource string, obj sparkObj, nested string, v sparkView) []sparkObj {
	id := objID(obj)
	out := []sparkObj{}
	switch {
	case resource == "products" && nested == "variants":
		st := p.stores["variants"]
		for _, vid := range sortedIDs(st.items) {
			it := st.items[vid]
			if intOf(it["product_id"]) == id {
				out = append(out, p.render(st.schema, it, v))
			}
		}
	case resource == "products" && nested == "categories":
		st := p.stores["categories"]
		for _, cid := range p.catLink[id] {
			if it, ok := st.items[cid]; ok {
				out = append(out, p.render(st.schema, it, v))
			}
		}
	}
	return out
}

func objID(obj sparkObj) int {
	return intOf(obj["id"])
}

// intOf reads a stored integer (a json.Number); anything else is 0.
func intOf(v any) int {
	n, _ := v.(json.Number)
	i, _ := n.Int64()
	return int(i)
}

// ratOf reads a stored number exactly; anything else is 0.
func ratOf(v any) *big.Rat {
	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	if !ok {
		return new(big.Rat)
	}
	return r
}

func sortedIDs(m map[int]sparkObj) []int {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sparkSortKey is one key of a sort parameter.
type sparkSortKey struct {
	field string
	desc  bool
	kind  sparkKind
}

func parseSort(w http.ResponseWriter, q url.Values, sc *sparkSchema) ([]sparkSortKey, bool) {
	var keys []sparkSortKey
	for _, s := range splitList(q.Get("sort")) {
		k := sparkSortKey{field: strings.TrimPrefix(s, "-"), desc: strings.HasPrefix(s, "-")}
		f, ok := sc.fields[k.field]
		if !ok || f.kind == sparkNested || f.kind == sparkMap || f.kind == sparkItems {
			sparkError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a sortable field of %s", k.field, sc.name))
			return nil, false
		}
		k.kind = f.kind
		keys = append(keys, k)
	}
	return keys, true
}

// compareValues orders two field values of a kind; nil sorts first.
func compareValues(kind sparkKind, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch kind {
	case sparkInt, sparkDecimal:
		return ratOf(a).Cmp(ratOf(b))
	case sparkTime:
		ta, _ := time.Parse(time.RFC3339, a.(string))
		tb, _ := time.Parse(time.RFC3339, b.(string))
		return ta.Compare(tb)
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func sortItems(items []sparkObj, keys []sparkSortKey) {
	slices.SortStableFunc(items, func(a, b sparkObj) int {
		for _, k := range keys {
			if c := compareValues(k.kind, a[k.field], b[k.field]); c != 0 {
				if k.desc {
					return -c
				}
				return c
			}
		}
		return objID(a) - objID(b)
	})
}

// sparkFilter is one field=op:value filter.
type sparkFilter struct {
	field, op, value string
	kind             sparkKind
	num              *big.Rat
	at               time.Time
}

var sparkOps = []string{"eq", "not", "like", "startwith", "gt", "gte", "lt", "lte"}

// parseFilters reads every query parameter that is not a reserved one as a
// filter; unknown parameters and malformed values are a 400.
func parseFilters(w http.ResponseWriter, q url.Values, sc *sparkSchema, reserved ...string) ([]sparkFilter, bool) {
	var out []sparkFilter
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(reserved, name) {
			continue
		}
		f, ok := sc.fields[name]
		if !ok || f.kind == sparkNested || f.kind == sparkMap || f.kind == sparkItems {
			sparkError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a parameter or a filterable field of %s", name, sc.name))
			return nil, false
		}
		for _, raw := range q[name] {
			flt := sparkFilter{field: name, op: "eq", value: raw, kind: f.kind}
			if op, val, ok := strings.Cut(raw, ":"); ok && slices.Contains(sparkOps, op) {
				flt.op, flt.value = op, val
			}
			bad := false
			switch f.kind {
			case sparkInt, sparkDecimal:
				if flt.op != "like" && flt.op != "startwith" {
					flt.num, ok = new(big.Rat).SetString(flt.value)
					bad = !ok
				}
			case sparkTime:
				if flt.op != "like" && flt.op != "startwith" {
					var err error
					flt.at, err = time.Parse(time.RFC3339, flt.value)
					bad = err != nil
				}
			}
			if bad {
				sparkError(w, http.StatusBadRequest, fmt.Sprintf("filter %s=%s: %q is not a valid value for this field", name, raw, flt.value))
				return nil, false
			}
			out = append(out, flt)
		}
	}
	return out, true
}

func (f sparkFilter) match(obj sparkObj) bool {
	v := obj[f.field]
	if v == nil {
		return f.op == "not"
	}
	text := fmt.Sprint(v)
	switch f.op {
	case "like":
		return likeMatch(strings.ToLower(text), strings.ToLower(f.value))
	case "startwith":
		return strings.HasPrefix(strings.ToLower(text), strings.ToLower(f.value))
	}
	var c int
	switch f.kind {
	case sparkInt, sparkDecimal:
		r, _ := new(big.Rat).SetString(text)
		c = r.Cmp(f.num)
	case sparkTime:
		t, _ := time.Parse(time.RFC3339, text)
		c = t.Compare(f.at)
	default:
		c = strings.Compare(text, f.value)
	}
	switch f.op {
	case "eq":
		return c == 0
	case "not":
		return c != 0
	case "gt":
		return c > 0
	case "gte":
		return c >= 0
	case "lt":
		return c < 0
	}
	return c <= 0 // lte
}

// likeMatch matches SQL-like patterns: % is any run of characters; without
// a % the pattern matches anywhere in s.
func likeMatch(s, pattern string) bool {
	if !strings.Contains(pattern, "%") {
		return strings.Contains(s, pattern)
	}
	parts := strings.Split(pattern, "%")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, part := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, part)
		}
		j := strings.Index(s, part)
		if j < 0 {
			return false
		}
		s = s[j+len(part):]
	}
	return true
}

// onlyParams answers 400 when the query has a parameter not in allowed.
func onlyParams(w http.ResponseWriter, q url.Values, allowed ...string) bool {
	for name := range q {
		if !slices.Contains(allowed, name) {
			sparkError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a parameter of this method", name))
			return false
		}
	}
	return true
}

func positiveInt(w http.ResponseWriter, q url.Values, name string, def int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		sparkError(w, http.StatusBadRequest, fmt.Sprintf("%s must be an integer", name))
		return 0, false
	}
	return n, true
}

// pageURL is the absolute URL of another page of this request, built from
// the request's own host, keeping its other parameters.
func pageURL(r *http.Request, page int) string {
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(page))
	return requestBase(r) + mountPrefix(r) + r.URL.EscapedPath() + "?" + q.Encode()
}

func (p *sparkPay) list(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	q := r.URL.Query()
	page, ok := positiveInt(w, q, "page", 1)
	if !ok {
		return
	}
	count, ok := positiveInt(w, q, "count", sparkDefaultCount)
	if !ok {
		return
	}
	if count < 1 || count > sparkMaxCount {
		sparkError(w, http.StatusBadRequest, fmt.Sprintf("count must be between 1 and %d", sparkMaxCount))
		return
	}
	view, ok := parseView(w, q, st.schema, true)
	if !ok {
		return
	}
	keys, ok := parseSort(w, q, st.schema)
	if !ok {
		return
	}
	filters, ok := parseFilters(w, q, st.schema, "page", "count", "expand", "sort", "fields")
	if !ok {
		return
	}
	p.mu.Lock()
	var matched []sparkObj
	for _, id := range sortedIDs(st.items) {
		obj := st.items[id]
		if !slices.ContainsFunc(filters, func(f sparkFilter) bool { return !f.match(obj) }) {
			matched = append(matched, obj)
		}
	}
	sortItems(matched, keys)
	total := len(matched)
	last := max(1, (total+count-1)/count)
	if page < 1 || page > last {
		p.mu.Unlock()
		sparkError(w, http.StatusNotFound, fmt.Sprintf("Page %d does not exist (%d pages of %d)", page, last, count))
		return
	}
	items := []orderedObj{}
	for _, obj := range matched[(page-1)*count : min(total, page*count)] {
		items = append(items, p.ordered(st.schema, p.render(st.schema, obj, view)))
	}
	p.mu.Unlock()
	var next, prev string
	if page < last {
		next = pageURL(r, page+1)
	}
	if page > 1 {
		prev = pageURL(r, page-1)
	}
	sparkJSON(w, http.StatusOK, listEnvelope(total, next, prev, st.schema.name, items))
}

// item finds the {id} of the path; it writes a 404 and returns nil when
// there is none. p.mu must not be held.
func (p *sparkPay) item(w http.ResponseWriter, r *http.Request, st *sparkStore) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	p.mu.Lock()
	_, ok := st.items[id]
	p.mu.Unlock()
	if err != nil || !ok {
		sparkError(w, http.StatusNotFound, fmt.Sprintf("No %s with id %s", st.schema.name, r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func (p *sparkPay) get(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	id, ok := p.item(w, r, st)
	if !ok {
		return
	}
	q := r.URL.Query()
	view, ok := parseView(w, q, st.schema, true)
	if !ok {
		return
	}
	if !onlyParams(w, q, "expand", "fields") {
		return
	}
	p.writeItem(w, http.StatusOK, st, id, view)
}

func (p *sparkPay) writeItem(w http.ResponseWriter, status int, st *sparkStore, id int, view sparkView) {
	p.mu.Lock()
	obj, ok := st.items[id]
	var out orderedObj
	if ok {
		out = p.ordered(st.schema, p.render(st.schema, obj, view))
	}
	p.mu.Unlock()
	if !ok {
		sparkError(w, http.StatusNotFound, fmt.Sprintf("No %s with id %d", st.schema.name, id))
		return
	}
	sparkJSON(w, status, out)
}

func (p *sparkPay) filled(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	id, ok := p.item(w, r, st)
	if !ok {
		return
	}
	q := r.URL.Query()
	view, ok := parseView(w, q, st.schema, false)
	if !ok {
		return
	}
	if !onlyParams(w, q, "fields") {
		return
	}
	for _, n := range st.schema.nested() {
		view.expand[n] = true
	}
	p.writeItem(w, http.StatusOK, st, id, view)
}

func (p *sparkPay) nestedList(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	id, ok := p.item(w, r, st)
	if !ok {
		return
	}
	nested := r.PathValue("nested")
	if f, ok := st.schema.fields[nested]; !ok || f.kind != sparkNested {
		sparkError(w, http.StatusNotFound, fmt.Sprintf("%s has no nested resource %q", st.schema.name, nested))
		return
	}
	p.mu.Lock()
	childSt := p.stores[nested]
	p.mu.Unlock()
	q := r.URL.Query()
	view, ok := parseView(w, q, childSt.schema, false)
	if !ok {
		return
	}
	keys, ok := parseSort(w, q, childSt.schema)
	if !ok {
		return
	}
	if !onlyParams(w, q, "sort", "fields") {
		return
	}
	p.mu.Lock()
	parent, exists := st.items[id]
	if !exists {
		p.mu.Unlock()
		sparkError(w, http.StatusNotFound, fmt.Sprintf("No %s with id %d", st.schema.name, id))
		return
	}
	all := p.children(st.schema.name, parent, nested, sparkView{})
	sortItems(all, keys)
	items := make([]orderedObj, len(all))
	for i, obj := range all {
		items[i] = p.ordered(childSt.schema, p.render(childSt.schema, obj, view))
	}
	p.mu.Unlock()
	sparkJSON(w, http.StatusOK, listEnvelope(len(items), "", "", nested, items))
}

func (p *sparkPay) selectMany(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	q := r.URL.Query()
	raw := splitList(q.Get("ids"))
	if len(raw) == 0 {
		sparkError(w, http.StatusBadRequest, "This method requires one or more resource IDs to be specified")
		return
	}
	ids := make([]int, len(raw))
	for i, s := range raw {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			sparkError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a resource ID", s))
			return
		}
		ids[i] = n
	}
	view, ok := parseView(w, q, st.schema, true)
	if !ok {
		return
	}
	keys, ok := parseSort(w, q, st.schema)
	if !ok {
		return
	}
	if !onlyParams(w, q, "ids", "expand", "sort", "fields") {
		return
	}
	p.mu.Lock()
	var found []sparkObj
	for _, id := range ids {
		if obj, ok := st.items[id]; ok && !slices.ContainsFunc(found, func(o sparkObj) bool { return objID(o) == id }) {
			found = append(found, obj)
		}
	}
	if len(keys) > 0 {
		sortItems(found, keys)
	}
	items := []orderedObj{}
	for _, obj := range found {
		items = append(items, p.ordered(st.schema, p.render(st.schema, obj, view)))
	}
	p.mu.Unlock()
	sparkJSON(w, http.StatusOK, listEnvelope(len(items), "", "", st.schema.name, items))
}

// ---- writing ----

// readBody decodes a JSON object body; it writes a 400 and returns false
// when the body is not one.
func readBody(w http.ResponseWriter, r *http.Request) (sparkObj, bool) {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var body sparkObj
	if err := dec.Decode(&body); err != nil || body == nil {
		sparkError(w, http.StatusBadRequest, "The request body must be a JSON object")
		return nil, false
	}
	return body, true
}

// sparkChange is a validated change to one item, with the nested items of a
// product's body.
type sparkChange struct {
	fields   sparkObj
	variants []*sparkChange
	variantI []int // existing variant ids (0 for new) of variants
	catIDs   []int // existing categories to link
	newCats  []*sparkChange
	touchCat bool
	touchVar bool
}

// validate checks body against a schema; create requires the required
// fields. It returns the change or the details of a 409. p.mu is held.
func (p *sparkPay) validate(sc *sparkSchema, body sparkObj, create bool, nestedIn string) (*sparkChange, string) {
	ch := &sparkChange{fields: sparkObj{}}
	names := make([]string, 0, len(body))
	for name := range body {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v := body[name]
		f, ok := sc.fields[name]
		if !ok {
			return nil, fmt.Sprintf("%q is not a field of %s", name, sc.name)
		}
		if f.readOnly {
			continue
		}
		if name == "product_id" && nestedIn == "products" {
			continue // set from the parent
		}
		if v == nil {
			if f.required || f.kind == sparkNested || f.kind == sparkItems {
				return nil, fmt.Sprintf("%s cannot be null", name)
			}
			ch.fields[name] = nil
			continue
		}
		switch f.kind {
		case sparkString:
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Sprintf("%s must be a string", name)
			}
			if f.required && strings.TrimSpace(s) == "" {
				return nil, fmt.Sprintf("%s cannot be empty", name)
			}
			if name == "email" && !strings.Contains(s, "@") {
				return nil, fmt.Sprintf("%q is not a valid email address", s)
			}
		case sparkInt:
			n, ok := v.(json.Number)
			if _, err := n.Int64(); !ok || err != nil {
				return nil, fmt.Sprintf("%s must be an integer", name)
			}
		case sparkDecimal:
			var n json.Number
			switch x := v.(type) {
			case json.Number:
				n = x
			case string:
				n = json.Number(x)
			}
			if _, ok := new(big.Rat).SetString(string(n)); n == "" || !ok {
				return nil, fmt.Sprintf("%s must be a decimal number", name)
			}
			if strings.HasPrefix(string(n), "-") {
				return nil, fmt.Sprintf("%s must not be negative", name)
			}
			v = n
		case sparkMap:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Sprintf("%s must be an object", name)
			}
			for k, x := range m {
				if _, ok := x.(string); !ok {
					return nil, fmt.Sprintf("%s[%s] must be a string", name, k)
				}
			}
		case sparkItems:
			if msg := validItems(v); msg != "" {
				return nil, msg
			}
		case sparkNested:
			if msg := p.validateNested(sc, ch, name, v); msg != "" {
				return nil, msg
			}
			continue
		}
		if target, ok := sc.ref[name]; ok {
			n := intOf(v)
			if _, exists := p.stores[target].items[n]; !exists {
				return nil, fmt.Sprintf("%s %d does not exist", name, n)
			}
		}
		ch.fields[name] = v
	}
	if create {
		for name, f := range sc.fields {
			if f.required && !(name == "product_id" && nestedIn == "products") {
				if _, ok := ch.fields[name]; !ok {
					return nil, fmt.Sprintf("%s is required", name)
				}
			}
		}
	}
	if sc.name == "orders" {
		if msg := orderTotal(ch.fields); msg != "" {
			return nil, msg
		}
	}
	return ch, ""
}

// validateNested checks a product's inline variants or categories. p.mu is held.
func (p *sparkPay) validateNested(sc *sparkSchema, ch *sparkChange, name string, v any) string {
	list, ok := v.([]any)
	if !ok {
		return fmt.Sprintf("%s must be an array", name)
	}
	child := p.stores[name].schema
	for i, x := range list {
		obj, ok := x.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s[%d] must be an object", name, i)
		}
		existing := 0
		if raw, ok := obj["id"]; ok && raw != nil {
			n, ok := raw.(json.Number)
			id, err := n.Int64()
			if !ok || err != nil {
				return fmt.Sprintf("%s[%d].id must be an integer", name, i)
			}
			if _, ok := p.stores[name].items[int(id)]; !ok {
				return fmt.Sprintf("%s[%d]: %s %d does not exist", name, i, name, id)
			}
			existing = int(id)
		}
		if name == "categories" && existing != 0 && len(obj) == 1 {
			ch.catIDs = append(ch.catIDs, existing)
			continue
		}
		sub, msg := p.validate(child, obj, existing == 0, sc.name)
		if msg != "" {
			return fmt.Sprintf("%s[%d]: %s", name, i, msg)
		}
		if name == "variants" {
			ch.variants, ch.variantI = append(ch.variants, sub), append(ch.variantI, existing)
		} else if existing != 0 {
			ch.catIDs = append(ch.catIDs, existing)
			sub.fields["id"] = json.Number(strconv.Itoa(existing))
			ch.newCats = append(ch.newCats, sub)
		} else {
			ch.newCats = append(ch.newCats, sub)
		}
	}
	if name == "variants" {
		ch.touchVar = true
	} else {
		ch.touchCat = true
	}
	return ""
}

func validItems(v any) string {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return "order_items must be a non-empty array"
	}
	for i, x := range list {
		it, ok := x.(map[string]any)
		if !ok {
			return fmt.Sprintf("order_items[%d] must be an object", i)
		}
		n, ok := it["amount"].(json.Number)
		if a, err := n.Int64(); !ok || err != nil || a < 0 {
			return fmt.Sprintf("order_items[%d].amount must be a non-negative integer", i)
		}
		if t, _ := it["type"].(string); t != "item" && t != "fee" && t != "tax" {
			return fmt.Sprintf("order_items[%d].type must be item, fee or tax", i)
		}
		for k := range it {
			if k != "amount" && k != "type" && k != "description" {
				return fmt.Sprintf("order_items[%d].%s is not a field of order items", i, k)
			}
		}
	}
	return ""
}

// orderTotal checks that amount equals the sum of the items' amounts.
func orderTotal(f sparkObj) string {
	amount, okA := f["amount"].(json.Number)
	items, okI := f["order_items"].([]any)
	if !okA || !okI {
		return ""
	}
	a, _ := amount.Int64()
	var sum int64
	for _, x := range items {
		it, _ := x.(map[string]any)
		sum += int64(intOf(it["amount"]))
	}
	if a <= 0 || a != sum {
		return fmt.Sprintf("amount %d must be positive and equal the sum of order_items amounts (%d)", a, sum)
	}
	return ""
}

// apply writes a validated change to item id (0 creates it) and returns the
// id; p.mu is held.
func (p *sparkPay) apply(resource string, id int, ch *sparkChange) int {
	st := p.stores[resource]
	if id == 0 {
		id = p.insert(resource, ch.fields)
	} else {
		obj := st.items[id]
		for k, v := range ch.fields {
			obj[k] = v
		}
		obj["updated_at"] = p.srv.Clock.Now().Truncate(time.Second).Format(time.RFC3339)
	}
	for i, v := range ch.variants {
		v.fields["product_id"] = json.Number(strconv.Itoa(id))
		p.apply("variants", ch.variantI[i], v)
	}
	if ch.touchCat {
		links := slices.Clone(ch.catIDs)
		for _, c := range ch.newCats {
			if raw, ok := c.fields["id"]; ok {
				delete(c.fields, "id")
				p.apply("categories", intOf(raw), c)
				continue
			}
			links = append(links, p.apply("categories", 0, c))
		}
		slices.Sort(links)
		p.catLink[id] = slices.Compact(links)
	}
	return id
}

func (p *sparkPay) upsert(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	p.mu.Lock()
	id := 0
	if raw, ok := body["id"]; ok && raw != nil {
		n, isNum := raw.(json.Number)
		v, err := n.Int64()
		if !isNum || err != nil {
			p.mu.Unlock()
			sparkError(w, http.StatusConflict, "id must be an integer")
			return
		}
		if _, exists := st.items[int(v)]; exists {
			id = int(v)
		}
	}
	ch, msg := p.validate(st.schema, body, id == 0, "")
	if msg != "" {
		p.mu.Unlock()
		sparkError(w, http.StatusConflict, msg)
		return
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	id = p.apply(st.schema.name, id, ch)
	p.mu.Unlock()
	p.writeItem(w, status, st, id, sparkView{expand: map[string]bool{}})
}

func (p *sparkPay) put(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	id, ok := p.item(w, r, st)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	p.mu.Lock()
	if raw, ok := body["id"]; ok && raw != nil && fmt.Sprint(raw) != strconv.Itoa(id) {
		p.mu.Unlock()
		sparkError(w, http.StatusConflict, "the body's id does not match the URL's")
		return
	}
	if _, exists := st.items[id]; !exists {
		p.mu.Unlock()
		sparkError(w, http.StatusNotFound, fmt.Sprintf("No %s with id %d", st.schema.name, id))
		return
	}
	ch, msg := p.validate(st.schema, body, false, "")
	if msg == "" && st.schema.name == "orders" {
		merged := sparkObj{}
		for k, v := range st.items[id] {
			merged[k] = v
		}
		for k, v := range ch.fields {
			merged[k] = v
		}
		msg = orderTotal(merged)
	}
	if msg != "" {
		p.mu.Unlock()
		sparkError(w, http.StatusConflict, msg)
		return
	}
	p.apply(st.schema.name, id, ch)
	p.mu.Unlock()
	p.writeItem(w, http.StatusOK, st, id, sparkView{expand: map[string]bool{}})
}

func (p *sparkPay) remove(w http.ResponseWriter, r *http.Request, st *sparkStore) {
	id, ok := p.item(w, r, st)
	if !ok {
		return
	}
	p.mu.Lock()
	delete(st.items, id)
	switch st.schema.name {
	case "products":
		delete(p.catLink, id)
		if vs, ok := p.stores["variants"]; ok {
			for vid, v := range vs.items {
				if intOf(v["product_id"]) == id {
					delete(vs.items, vid)
				}
			}
		}
	case "categories":
		for pid, links := range p.catLink {
			p.catLink[pid] = slices.DeleteFunc(links, func(c int) bool { return c == id })
		}
	}
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (p *sparkPay) writeError(w http.ResponseWriter, status int, msg string) {
	sparkError(w, status, msg)
}
