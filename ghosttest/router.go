package ghosttest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
)

// The mock's routing: every part's routes live on a mount (a ServeMux under
// a path prefix). A request no route matches is answered 404, a known path
// with another method 405 with Allow, each in the error shape of the part
// whose path space it falls in. 501 is kept for the routes the seeds
// document and the mock does not model (unmodelledRoutes).

// Prefixes of the parts that ProfileAll serves under their own base URL
// because their paths collide with the Ghost part's (/api/v1/customers,
// /api/v1/orders).
const (
	KomojuPrefix = "/komoju"
	SparkPrefix  = "/spark"
)

// ControlPrefix is the reserved path prefix of the control API (see
// WithControl). No part of the API uses it.
const ControlPrefix = "/__ghost/"

// mount is one ServeMux served under a path prefix.
type mount struct {
	prefix string
	mux    *http.ServeMux
	// shape picks the part whose error shape answers an unknown path.
	shape func(path string) part
}

// state is everything a reset rebuilds: the parts and their routes.
type state struct {
	mounts []*mount // longest prefix first; the root mount ("") last
	parts  map[string]part
}

type ctxKey int

const (
	prefixKey ctxKey = iota
	reqStateKey
)

// reqState is per-request bookkeeping shared with the handlers.
type reqState struct {
	expected bool // a documented 5xx the configuration asked for (e.g. export hours)
}

// markExpected records that the 5xx answering r is modelled behaviour the
// test configured (export service hours or concurrency), so New does not
// report it as a mock failure.
func markExpected(r *http.Request) {
	if st, ok := r.Context().Value(reqStateKey).(*reqState); ok {
		st.expected = true
	}
}

// mountPrefix is the prefix of the mount serving r ("" at the root): parts
// put it back into the absolute URLs they hand out.
func mountPrefix(r *http.Request) string {
	p, _ := r.Context().Value(prefixKey).(string)
	return p
}

// requestBase is scheme://host of the request as the client sent it,
// honouring X-Forwarded-Proto and X-Forwarded-Host set by a proxy in front
// of the mock.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstToken(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := firstToken(r.Header.Get("X-Forwarded-Host")); h != "" && !strings.ContainsAny(h, "/?#@ ") {
		host = h
	}
	return scheme + "://" + host
}

// firstToken is the first of a comma-separated header's values, trimmed.
func firstToken(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.ToLower(strings.TrimSpace(v))
}

// build creates the parts of the configured profile, their routes and their
// seeded data.
func (s *Server) build() *state {
	if s.Config.replay != nil && s.Config.replay.on {
		return s.buildReplay()
	}
	st := &state{parts: map[string]part{}}
	var order []part
	for _, f := range partFactories {
		if slices.Contains(f.profiles, s.Config.Profile) {
			p := f.new(s)
			st.parts[f.name] = p
			order = append(order, p)
		}
	}
	root := &mount{mux: http.NewServeMux()}
	if s.Config.Profile == ProfileAll {
		ghostP, checkoutP, cloverP := st.parts["ghost"], st.parts["checkout"], st.parts["clover"]
		sparkP := st.parts["sparkpay"].(*sparkPay)
		ghostP.routes(root.mux)
		checkoutP.routes(root.mux)
		cloverP.routes(root.mux)
		shared := []string{"products", "product_variants", "categories"}
		sparkP.routesFor(root.mux, shared)
		root.shape = func(path string) part {
			switch {
			case strings.HasPrefix(path, "/v3/"):
				return cloverP
			case strings.HasPrefix(path, "/api/v1/"):
				res, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/v1/"), "/")
				if slices.Contains(shared, res) {
					return sparkP
				}
				return ghostP
			case strings.HasPrefix(path, "/api/"):
				return checkoutP
			}
			return ghostP
		}
		for _, name := range []string{"komoju", "sparkpay"} {
			p := st.parts[name]
			m := &mount{prefix: map[string]string{"komoju": KomojuPrefix, "sparkpay": SparkPrefix}[name], mux: http.NewServeMux()}
			p.routes(m.mux)
			if name == "sparkpay" {
				for _, rt := range unmodelledRoutes(ProfileSparkPay) {
					m.mux.HandleFunc(rt, sparkP.notModelled)
				}
			}
			m.shape = func(string) part { return p }
			st.mounts = append(st.mounts, m)
		}
	} else {
		for _, p := range order {
			p.routes(root.mux)
		}
		only := order[0]
		root.shape = func(string) part { return only }
	}
	for _, rt := range unmodelledRoutes(s.Config.Profile) {
		h := notModelled
		if sp, ok := st.parts["sparkpay"].(*sparkPay); ok {
			h = sp.notModelled // only the sparkpay profile has unmodelled routes
		}
		root.mux.HandleFunc(rt, h)
	}
	st.mounts = append(st.mounts, root)
	for _, p := range order {
		p.seed(s.Config.Seed)
	}
	return st
}

// unmodelledRoutes are the routes the seeds document that the mock does not
// model: they answer 501. Spark's common usage applies to "any of the root
// level resources"; the mock models products, product_variants, categories,
// customers and orders, and answers 501 for the other root resources of the
// Spark API's public OpenAPI description (acapi.yaml), in Spark's error
// shape. contract/acapi's tests derive the list from that document.
func unmodelledRoutes(p Profile) []string {
	if p != ProfileSparkPay {
		return nil
	}
	var out []string
	for _, res := range sparkUnmodelled {
		out = append(out, "/api/v1/"+res, "/api/v1/"+res+"/")
	}
	return out
}

// sparkUnmodelled lists the root resources of the Spark API that the mock
// does not model ("themes" holds one route, /themes/import).
var sparkUnmodelled = []string{
	"adcodes", "addresses", "attribute_groups", "attributes", "blacklisted_ips", "blog_categories",
	"blog_posts", "blogs", "cart_items", "carts", "coupon_codes", "credit_cards", "custom_field_values",
	"custom_fields", "custom_shipping_methods", "customer_association", "customer_payment_methods",
	"customer_types", "discount_actions", "discount_methods", "discount_rules", "drips", "email_templates",
	"external_image_whitelist", "gift_certificate_transactions", "gift_certificates", "inventory", "links",
	"mailing_lists", "manufacturers", "microstores", "notifications", "order_addresses", "order_items",
	"order_payments", "order_shipments", "order_statuses", "pages", "payment_methods",
	"price_calculator_rule_modifiers", "price_calculator_rules", "price_calculators",
	"product_inactive_in_store", "product_lists", "product_pictures", "product_pricing", "product_reviews",
	"product_statuses", "profiles", "quotes", "regions", "sessions", "shipping_provider_services",
	"shipping_providers", "shipping_rate_adjustments", "store_locations", "stores", "subscriptions",
	"tax_rates", "themes", "url_redirects", "users", "variant_groups", "variant_inventory", "warehouses",
	"wishlists",
}

// UnmodelledRoutes lists, for the README and tools, the documented routes
// each profile answers 501 Not Implemented.
func UnmodelledRoutes(p Profile) []string {
	if p == ProfileAll {
		var out []string
		for _, rt := range unmodelledRoutes(ProfileSparkPay) {
			if !strings.HasSuffix(rt, "/") {
				out = append(out, SparkPrefix+rt)
			}
		}
		return out
	}
	var out []string
	for _, rt := range unmodelledRoutes(p) {
		if !strings.HasSuffix(rt, "/") {
			out = append(out, rt)
		}
	}
	return out
}

// mountFor picks the mount whose prefix r's path falls under.
func (st *state) mountFor(path string) *mount {
	for _, m := range st.mounts {
		if m.prefix == "" || path == m.prefix || strings.HasPrefix(path, m.prefix+"/") {
			return m
		}
	}
	return st.mounts[len(st.mounts)-1]
}

// gatedPart is a part that sees every request in its path space first,
// routed or not (Spark: auth and the call limit on every response).
type gatedPart interface {
	gate(w http.ResponseWriter, r *http.Request) bool
}

// serve answers r on m: the part's gate, then the route's handler, or a
// 404/405 in the part's own error shape.
func (m *mount) serve(w http.ResponseWriter, r *http.Request) {
	if m.prefix != "" {
		r2 := r.Clone(context.WithValue(r.Context(), prefixKey, m.prefix))
		r2.Body = r.Body
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, m.prefix)
		if r2.URL.Path == "" {
			r2.URL.Path = "/"
		}
		r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, m.prefix)
		r = r2
	}
	p := m.shape(r.URL.Path)
	if g, ok := p.(gatedPart); ok && !g.gate(w, r) {
		return
	}
	if _, pat := m.mux.Handler(r); pat != "" {
		m.mux.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	m.mux.ServeHTTP(rec, r)
	switch rec.Code {
	case http.StatusNotFound:
		p.writeError(w, http.StatusNotFound, fmt.Sprintf("%s does not exist", r.URL.Path))
	case http.StatusMethodNotAllowed:
		allow := rec.Header().Get("Allow")
		w.Header().Set("Allow", allow)
		p.writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
	default:
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Hijack lets faults drop or cut the connection.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Flush passes flushes through.
func (w *statusWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP records the request, applies any injected fault, then serves it.
// Requests for the contract (OpenAPIYAMLPath, OpenAPIJSONPath) and to the
// control API (when enabled) are neither recorded nor subject to faults.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveOpenAPI(w, r) {
		return
	}
	if s.Config.Control && strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.control(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &RecordedRequest{
		Method:   r.Method,
		Path:     r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
		Time:     s.Clock.Now(),
	}
	s.mu.Lock()
	s.log = append(s.log, rec)
	f := s.takeFault(r)
	s.mu.Unlock()

	rs := &reqState{}
	r = r.WithContext(context.WithValue(r.Context(), reqStateKey, rs))
	sw := &statusWriter{ResponseWriter: w}
	st := s.st.Load()
	m := st.mountFor(r.URL.Path)
	injected := false
	defer func() {
		s.mu.Lock()
		rec.Status, rec.Injected, rec.Expected = sw.status, injected, rs.expected
		s.mu.Unlock()
	}()
	switch {
	case err != nil || len(body) > maxBody:
		// An unreadable body is never silently ignored.
		m.shape(r.URL.Path).writeError(sw, http.StatusBadRequest, "The request body could not be read")
	case f != nil && f.apply(sw, r):
		injected = true
	case f != nil && f.CutBody:
		cutBody(sw, r, http.HandlerFunc(m.serve))
	default:
		m.serve(sw, r)
	}
}

// maxBody is the largest request body the mock reads (10 MiB).
const maxBody = 10 << 20
