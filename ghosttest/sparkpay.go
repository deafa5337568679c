package ghosttest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
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
// store's call limit (docs/README.md of the vendor's API repository): every
// response carries X-AC-Call-Limit "used/max", the count resets every 10
// seconds of the mock's clock, and a call over the limit is answered 429
// with Retry-After. max is Config.SparkCallLimit, DefaultSparkCallLimit when
// unset; it is never 0.
//
// It serves products (with nested variants and categories),
// product_variants, categories, customers (with nested addresses) and
// orders (with nested items), with the fields and types of the API's
// OpenAPI description (acapi.yaml): an unset field reads as the value the
// description's examples show ("", 0, false, []), never null; an unset date
// is left out. The other root resources of that description answer 501 in
// Spark's error shape. Under ProfileAll all of it is served under
// SparkPrefix, and products, product_variants and categories also at the
// root (the Ghost part owns customers and orders there). A nested
// collection appears in an item only when expanded (expand, fields,
// /filled), as in the description's sample models.
func init() {
	registerPart("sparkpay", []Profile{ProfileSparkPay, ProfileAll}, func(s *Server) part { return newSparkPay(s) })
}

const (
	sparkDefaultCount = 100
	sparkMaxCount     = 250
)

// DefaultSparkCallLimit is the Spark call limit per 10-second window the
// mock advertises and enforces when Config.SparkCallLimit is not set: high
// enough that no test or benchmark reaches it by accident. The API's plans
// allow 5 to 50 calls per window; set Config.SparkCallLimit to test
// throttling.
const DefaultSparkCallLimit = 1_000_000

// SparkCallWindow is how often the Spark call count resets.
const SparkCallWindow = 10 * time.Second

// sparkKind is the type of a resource field.
type sparkKind int

const (
	sparkString  sparkKind = iota
	sparkInt               // integer (ids of other resources, counters)
	sparkDecimal           // exact decimal (money, weights, rates)
	sparkBool              // true or false
	sparkTime              // a date and time, RFC 3339; omitted while unset
	sparkArray             // any JSON array
	sparkObject            // any JSON object
	sparkGUID              // a GUID string; unset reads as the nil GUID
	sparkNested            // a nested resource collection
)

type sparkField struct {
	kind        sparkKind
	required    bool // on create
	readOnly    bool // set by the server; ignored in bodies
	optional    bool // left out of responses while unset (not in the description)
	nonNegative bool // a price, cost or total
}

// sparkChild is where a nested collection's items live: the store, and the
// field of a child holding its parent's id. Products' categories are linked
// instead (many to many); their child has no parent field.
type sparkChild struct {
	store  string
	parent string
}

// sparkSchema describes one resource.
type sparkSchema struct {
	name   string
	order  []string // output order of the fields
	fields map[string]sparkField
	// ref names fields that must hold the id of an existing item of another
	// resource (nil and 0 allowed unless required).
	ref map[string]string
	// children are the nested collections, by name.
	children map[string]sparkChild
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

// set adds or replaces a field, keeping the output order.
func (sc *sparkSchema) set(name string, f sparkField) {
	if _, ok := sc.fields[name]; !ok {
		sc.order = append(sc.order, name)
	}
	sc.fields[name] = f
}

// lead moves names to the front of the output order.
func (sc *sparkSchema) lead(names ...string) {
	rest := slices.DeleteFunc(slices.Clone(sc.order), func(n string) bool { return slices.Contains(names, n) })
	sc.order = append(slices.Clone(names), rest...)
}

// require marks fields required on create.
func (sc *sparkSchema) require(names ...string) {
	for _, n := range names {
		f := sc.fields[n]
		f.required = true
		sc.fields[n] = f
	}
}

// nest adds a nested collection stored in store, its items pointing at
// their parent through the parent field.
func (sc *sparkSchema) nest(name, store, parent string) {
	sc.set(name, sparkField{kind: sparkNested})
	sc.children[name] = sparkChild{store: store, parent: parent}
}

// sparkKindOf maps a type of the API description to a kind. The
// description types several money fields (subtotal, shipping_total, price
// of an order item …) as integer in its components while its own request
// bodies type them number and its sample models carry decimal totals: money
// is a decimal whatever the description says. Its dates (…_at, …_date) are
// strings holding RFC 3339 times.
func sparkKindOf(name, typ string) sparkField {
	money := name == "price" || name == "cost" || name == "subtotal" || strings.HasSuffix(name, "_total") ||
		strings.HasSuffix(name, "_price") || strings.HasSuffix(name, "_amount") || strings.HasSuffix(name, "_fees") ||
		name == "additional_fees" || name == "retail" || name == "tax" || strings.HasSuffix(name, "_adjustment")
	nonNeg := name == "price" || name == "cost" || name == "subtotal" || name == "grand_total"
	switch typ {
	case "integer":
		if money {
			return sparkField{kind: sparkDecimal, nonNegative: nonNeg}
		}
		return sparkField{kind: sparkInt}
	case "number":
		return sparkField{kind: sparkDecimal, nonNegative: nonNeg}
	case "boolean":
		return sparkField{kind: sparkBool}
	case "array":
		return sparkField{kind: sparkArray}
	case "object":
		return sparkField{kind: sparkObject}
	case "guid":
		return sparkField{kind: sparkGUID}
	}
	if strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_date") {
		return sparkField{kind: sparkTime}
	}
	return sparkField{kind: sparkString}
}

// nilGUID is how the API's sample models write an unset GUID.
const nilGUID = "00000000-0000-0000-0000-000000000000"

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// zero is what an unset field of kind k reads as: the values the API's
// sample models show ("", 0, false, []), never null. An unset time has no
// value and is left out (ok false).
func (k sparkKind) zero() (v any, ok bool) {
	switch k {
	case sparkString:
		return "", true
	case sparkGUID:
		return nilGUID, true
	case sparkInt, sparkDecimal:
		return json.Number("0"), true
	case sparkBool:
		return false, true
	case sparkArray:
		return []any{}, true
	case sparkObject:
		return map[string]any{}, true
	}
	return nil, false
}

// valueOf is the value field name of obj reads as: its stored value, or
// its kind's zero when unset (nil for an unset time).
func valueOf(sc *sparkSchema, obj sparkObj, name string) any {
	return sc.fields[name].kind.read(obj[name])
}

// read is what a stored value v of kind k reads as: v, or the zero when
// unset (nil).
func (k sparkKind) read(v any) any {
	if v != nil {
		return v
	}
	z, _ := k.zero()
	return z
}

// sparkSchemas builds the modelled resources from the fields of the API's
// OpenAPI description (sparkAPIFields): every field it defines is accepted,
// stored, echoed and type-checked, plus the few fields the vendor's own
// request examples send that the description leaves out (sparkExampleFields).
func sparkSchemas() map[string]*sparkSchema {
	build := func(name, api string) *sparkSchema {
		sc := &sparkSchema{name: name, fields: map[string]sparkField{}, ref: map[string]string{}, children: map[string]sparkChild{}}
		for _, f := range strings.Fields(sparkAPIFields[api]) {
			n, typ, _ := strings.Cut(f, ":")
			sc.set(n, sparkKindOf(n, typ))
		}
		for _, f := range strings.Fields(sparkExampleFields[api]) {
			n, typ, _ := strings.Cut(f, ":")
			kind := sparkKindOf(n, typ)
			kind.optional = true
			sc.set(n, kind)
		}
		sc.set("id", sparkField{kind: sparkInt, readOnly: true})
		sc.set("created_at", sparkField{kind: sparkTime, readOnly: true})
		sc.set("updated_at", sparkField{kind: sparkTime, readOnly: true})
		return sc
	}
	products := build("products", "products")
	products.lead("id", "item_name", "item_number", "price") // the seed's examples' order
	products.require("item_name")
	products.nest("variants", "product_variants", "product_id")
	products.nest("categories", "categories", "")

	variants := build("product_variants", "product_variants")
	variants.require("product_id")
	variants.ref["product_id"] = "products"

	categories := build("categories", "categories")
	categories.require("name")
	categories.ref["parent_category_id"] = "categories"

	customers := build("customers", "customers")
	customers.require("email")
	customers.nest("addresses", "addresses", "customer_id")

	orders := build("orders", "orders")
	orders.nest("items", "order_items", "order_id")
	orders.ref["customer_id"] = "customers"

	items := build("order_items", "order_items")
	addresses := build("addresses", "addresses")

	return map[string]*sparkSchema{
		"products": products, "product_variants": variants, "categories": categories,
		"customers": customers, "orders": orders, "order_items": items, "addresses": addresses,
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
			v = p.orderedList(p.stores[sc.children[name].store].schema, children)
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
	p.roots = []string{"products", "product_variants", "categories", "customers", "orders"}
	for name, sc := range sparkSchemas() {
		p.stores[name] = &sparkStore{schema: sc, items: map[int]sparkObj{}}
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

// wrap runs h with the resource's store (the gate has let the call in).
func (p *sparkPay) wrap(name string, h func(http.ResponseWriter, *http.Request, *sparkStore)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r, p.stores[name]) // stores is built once, before any route
	}
}

// gate runs before every request to the Spark API (/api/v1/…), modelled
// or not: it authenticates, counts the call against the store's limit and
// sets X-AC-Call-Limit, and answers 401 or 429 itself (returning false).
// A path outside the API is left to the router's 404.
func (p *sparkPay) gate(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
		return true
	}
	limit := p.srv.Config.SparkCallLimit
	if limit <= 0 {
		limit = DefaultSparkCallLimit
	}
	now := p.srv.Clock.Now()
	authed := subtle.ConstantTimeCompare([]byte(r.Header.Get("X-AC-Auth-Token")), []byte(p.srv.Config.AuthToken)) == 1
	p.mu.Lock()
	if p.window.IsZero() || !now.Before(p.window.Add(SparkCallWindow)) {
		p.window, p.used = now, 0
	}
	over := authed && p.used >= limit
	if authed && !over {
		p.used++
	}
	used, reset := p.used, p.window.Add(SparkCallWindow).Sub(now)
	p.mu.Unlock()
	w.Header().Set("X-AC-Call-Limit", fmt.Sprintf("%d/%d", used, limit))
	switch {
	case !authed:
		sparkError(w, http.StatusUnauthorized, "A valid X-AC-Auth-Token header is required")
		return false
	case over:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int((reset+time.Second-1)/time.Second))))
		sparkError(w, http.StatusTooManyRequests, fmt.Sprintf("Call limit of %d calls per %s exceeded", limit, SparkCallWindow))
		return false
	}
	return true
}

// notModelled answers a root resource of the API the mock does not model:
// 501 in Spark's error shape.
func (p *sparkPay) notModelled(w http.ResponseWriter, r *http.Request) {
	sparkError(w, http.StatusNotImplemented, fmt.Sprintf("ghost-mock: %s %s is not modelled by the Spark mock", r.Method, r.URL.Path))
}

// seed preloads n categories, n products with two variants each (linked to
// a category), n customers with an address each and n orders with one item
// each (customer i, item of product i).
func (p *sparkPay) seed(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 1; i <= n; i++ {
		p.insert("categories", sparkObj{"name": fmt.Sprintf("Category %d", i), "sort_order": json.Number(strconv.Itoa(i))})
	}
	for i := 1; i <= n; i++ {
		// The fields POST /products requires (primary_category_id,
		// product_status_id, item_name, price) are filled.
		id := p.insert("products", sparkObj{
			"item_name": fmt.Sprintf("Item %d", i), "item_number": fmt.Sprintf("item-%d", i),
			"price": json.Number(fmt.Sprintf("%d.99", 10*i)), "cost": json.Number(strconv.Itoa(4 * i)),
			"primary_category_id": json.Number(strconv.Itoa(i)), "product_status_id": json.Number("1"),
		})
		for j := 1; j <= 2; j++ {
			p.insert("product_variants", sparkObj{
				"product_id": json.Number(strconv.Itoa(id)), "variant_group_id": json.Number("1"),
				"description": fmt.Sprintf("Item %d variant %d", i, j), "sort_order": json.Number(strconv.Itoa(j)),
				"price_adjustment": json.Number(fmt.Sprintf("%d.50", j-1)), "price_adjustment_type": "+ dollars",
			})
		}
		p.catLink[id] = []int{i}
	}
	num := func(n int) json.Number { return json.Number(strconv.Itoa(n)) }
	for i := 1; i <= n; i++ {
		id := p.insert("customers", sparkObj{
			"email": fmt.Sprintf("customer%d@example.com", i), "first_name": "Customer", "last_name": strconv.Itoa(i),
			"store_id": num(1), "customer_type_id": num(1), "is_no_tax_customer": false,
		})
		p.insert("addresses", sparkObj{
			"customer_id": num(id), "address_line_1": fmt.Sprintf("%d Main St", i), "city": "Austin", "state": "Texas",
			"postal_code": "78701", "country": "United States", "is_default_shipping_address": true, "is_default_billing_address": true,
		})
	}
	for i := 1; i <= n; i++ {
		// One item at 10·i, quantity 2; 8.25% tax; shipping 5.
		price := new(big.Rat).SetInt64(int64(10 * i))
		sub := new(big.Rat).Mul(price, big.NewRat(2, 1))
		tax := new(big.Rat).Mul(sub, big.NewRat(825, 10000))
		grand := new(big.Rat).Add(new(big.Rat).Add(sub, tax), big.NewRat(5, 1))
		dec := func(r *big.Rat) json.Number {
			return json.Number(strings.TrimRight(strings.TrimRight(r.FloatString(4), "0"), "."))
		}
		// The fields POST /orders requires are filled; the order's
		// addresses (order_addresses, not modelled) are numbered like it.
		id := p.insert("orders", sparkObj{
			"customer_id": num(i), "order_status_id": num(1), "store_id": num(1),
			"order_shipping_address_id": num(i), "order_billing_address_id": num(i),
			"subtotal": dec(sub), "tax_total": dec(tax), "shipping_total": num(5), "discount_total": num(0), "grand_total": dec(grand),
			"ordered_at": p.srv.Clock.Now().Truncate(time.Second).Format(time.RFC3339),
		})
		p.insert("order_items", sparkObj{
			"order_id": num(id), "product_id": num(i), "item_name": fmt.Sprintf("Item %d", i), "item_number": fmt.Sprintf("item-%d", i),
			"price": dec(price), "quantity": num(2), "is_taxable": true,
		})
	}
}

// insert stores obj as a new item of resource and returns its id; p.mu is
// held. Fields obj leaves out are unset: they read as their kind's zero.
func (p *sparkPay) insert(resource string, obj sparkObj) int {
	st := p.stores[resource]
	id := p.srv.nextInt("spark_" + resource)
	now := p.srv.Clock.Now().Truncate(time.Second).Format(time.RFC3339)
	obj["id"] = json.Number(strconv.Itoa(id))
	obj["created_at"], obj["updated_at"] = now, now
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

// render copies an item for output, unset fields as their kind's zero
// (an unset time, or a field of the vendor's examples only, is left out);
// p.mu is held.
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
		if val := valueOf(sc, obj, name); val != nil && (obj[name] != nil || !f.optional) {
			out[name] = val
		}
	}
	return out
}

// children returns the rendered nested collection of an item; p.mu is held.
func (p *sparkPay) children(resource string, obj sparkObj, nested string, v sparkView) []sparkObj {
	id := objID(obj)
	out := []sparkObj{}
	child := p.stores[resource].schema.children[nested]
	switch {
	case child.parent != "":
		st := p.stores[child.store]
		for _, cid := range sortedIDs(st.items) {
			it := st.items[cid]
			if intOf(it[child.parent]) == id {
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
		if !ok || f.kind == sparkNested || f.kind == sparkArray || f.kind == sparkObject {
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
			if c := compareValues(k.kind, k.kind.read(a[k.field]), k.kind.read(b[k.field])); c != 0 {
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
		if !ok || f.kind == sparkNested || f.kind == sparkArray || f.kind == sparkObject {
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
	v := f.kind.read(obj[f.field])
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
	childSt := p.stores[st.schema.children[nested].store]
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

// sparkChange is a validated change to one item, with the nested items of
// its body.
type sparkChange struct {
	fields   sparkObj
	kids     map[string][]sparkKid // nested collections stored with a parent field
	catIDs   []int                 // existing categories to link
	newCats  []*sparkChange
	touchCat bool
}

// sparkKid is a nested item of a body: a change to an existing child
// (existing > 0) or a new one.
type sparkKid struct {
	ch       *sparkChange
	existing int
}

// validate checks body against a schema; create requires the required
// fields; parentField (of a nested item) is set from the parent. It returns
// the change or the details of a 409. p.mu is held.
func (p *sparkPay) validate(sc *sparkSchema, body sparkObj, create bool, parentField string) (*sparkChange, string) {
	ch := &sparkChange{fields: sparkObj{}, kids: map[string][]sparkKid{}}
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
		if f.readOnly || (parentField != "" && name == parentField) {
			continue
		}
		if v == nil {
			if f.required || f.kind == sparkNested {
				return nil, fmt.Sprintf("%s cannot be null", name)
			}
			ch.fields[name] = nil
			continue
		}
		if f.kind == sparkNested {
			if msg := p.validateNested(sc, ch, name, v); msg != "" {
				return nil, msg
			}
			continue
		}
		var msg string
		if v, msg = checkValue(name, f, v); msg != "" {
			return nil, msg
		}
		if target, ok := sc.ref[name]; ok {
			if n := intOf(v); n != 0 {
				if _, exists := p.stores[target].items[n]; !exists {
					return nil, fmt.Sprintf("%s %d does not exist", name, n)
				}
			}
		}
		ch.fields[name] = v
	}
	if create {
		for name, f := range sc.fields {
			if f.required && name != parentField {
				if _, ok := ch.fields[name]; !ok {
					return nil, fmt.Sprintf("%s is required", name)
				}
			}
		}
	}
	return ch, ""
}

// checkValue checks a non-null body value against its field and returns the
// value to store, or the details of a 409. An empty string clears a time.
// checkValue checks a non-null body value against its field and returns the
// value to store, or the details of a 409. An empty time clears it, as the
// vendor's examples send "" for a date they leave unset.
func checkValue(name string, f sparkField, v any) (any, string) {
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
		if f.nonNegative && strings.HasPrefix(string(n), "-") {
			return nil, fmt.Sprintf("%s must not be negative", name)
		}
		v = n
	case sparkBool:
		if _, ok := v.(bool); !ok {
			return nil, fmt.Sprintf("%s must be true or false", name)
		}
	case sparkArray:
		if _, ok := v.([]any); !ok {
			return nil, fmt.Sprintf("%s must be an array", name)
		}
	case sparkObject:
		if _, ok := v.(map[string]any); !ok {
			return nil, fmt.Sprintf("%s must be an object", name)
		}
	case sparkGUID:
		if s, ok := v.(string); !ok || !guidPattern.MatchString(s) {
			return nil, fmt.Sprintf("%s must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", name)
		}
	case sparkTime:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Sprintf("%s must be a date and time (RFC 3339)", name)
		}
		if s == "" {
			return nil, ""
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return nil, fmt.Sprintf("%s: %q is not a date and time (RFC 3339)", name, s)
		}
	}
	return v, ""
}

// validateNested checks the inline items of a nested collection (a
// product's variants or categories, an order's items, a customer's
// addresses). p.mu is held.
func (p *sparkPay) validateNested(sc *sparkSchema, ch *sparkChange, name string, v any) string {
	list, ok := v.([]any)
	if !ok {
		return fmt.Sprintf("%s must be an array", name)
	}
	child := sc.children[name]
	store := p.stores[child.store]
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
			if _, ok := store.items[int(id)]; !ok {
				return fmt.Sprintf("%s[%d]: %s %d does not exist", name, i, name, id)
			}
			existing = int(id)
		}
		if child.parent == "" && existing != 0 && len(obj) == 1 {
			ch.catIDs = append(ch.catIDs, existing)
			continue
		}
		sub, msg := p.validate(store.schema, obj, existing == 0, child.parent)
		if msg != "" {
			return fmt.Sprintf("%s[%d]: %s", name, i, msg)
		}
		switch {
		case child.parent != "":
			ch.kids[name] = append(ch.kids[name], sparkKid{sub, existing})
		case existing != 0:
			ch.catIDs = append(ch.catIDs, existing)
			sub.fields["id"] = json.Number(strconv.Itoa(existing))
			ch.newCats = append(ch.newCats, sub)
		default:
			ch.newCats = append(ch.newCats, sub)
		}
	}
	if child.parent == "" {
		ch.touchCat = true
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
	names := make([]string, 0, len(ch.kids))
	for name := range ch.kids {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		child := st.schema.children[name]
		for _, k := range ch.kids[name] {
			k.ch.fields[child.parent] = json.Number(strconv.Itoa(id))
			p.apply(child.store, k.existing, k.ch)
		}
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
	for _, child := range st.schema.children {
		if child.parent == "" {
			continue
		}
		cs := p.stores[child.store]
		for cid, c := range cs.items {
			if intOf(c[child.parent]) == id {
				delete(cs.items, cid)
			}
		}
	}
	switch st.schema.name {
	case "products":
		delete(p.catLink, id)
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
