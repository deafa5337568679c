package acapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// exchange is one request the SDK sent and the answer it got.
type exchange struct {
	method   string
	path     string // below /api/v1: "/products/1"
	op       string // "GET /products/{id}"
	req      *http.Request
	reqBody  []byte
	status   int
	header   http.Header
	respBody []byte

	route      *routers.Route // nil when the document has no such operation
	pathParams map[string]string
}

// apiPrefix is the base path of the Spark API; acapi.yaml's paths are below it.
const apiPrefix = "/api/v1"

var idSegment = regexp.MustCompile(`^-?[0-9]+$`)

// template is the document's path template of a path below /api/v1:
// integer segments are ids.
func template(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if idSegment.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// recorder collects the exchanges and violations of a run.
type recorder struct {
	mu         sync.Mutex
	exchanges  []string // op and status of each exchange
	violations []violation
	excused    map[string]int // by exception id
	excusedLog []string       // each excused violation, with its exception
}

func newRecorder() *recorder { return &recorder{excused: map[string]int{}} }

// add records v and returns the exception that excuses it, or nil.
func (r *recorder) add(v violation) *exception {
	e := excuse(v)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e != nil {
		r.excused[e.id]++
		r.excusedLog = append(r.excusedLog, e.id+": "+v.String())
		return e
	}
	r.violations = append(r.violations, v)
	return nil
}

func (r *recorder) exchange(op string, status int) {
	r.mu.Lock()
	r.exchanges = append(r.exchanges, fmt.Sprintf("%s %d", op, status))
	r.mu.Unlock()
}

// report fails t with every unexcused violation, and logs the counts.
func (r *recorder) report(t *testing.T, validator string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	total := len(r.violations)
	for _, n := range r.excused {
		total += n
	}
	t.Logf("%s: %d exchanges validated against acapi.yaml; %d violations, %d of them excused %v",
		validator, len(r.exchanges), total, total-len(r.violations), r.excused)
	if len(r.exchanges) == 0 {
		t.Errorf("%s: no exchange was validated", validator)
	}
	if testing.Verbose() {
		for _, l := range r.excusedLog {
			t.Logf("excused by %s", l)
		}
	}
	for _, v := range r.violations {
		t.Errorf("%s", v)
	}
}

// kinValidator is a RoundTripper that checks every request and response
// against acapi.yaml with kin-openapi's openapi3filter.
type kinValidator struct {
	doc    *openapi3.T
	router routers.Router
	rec    *recorder
	next   http.RoundTripper
}

func newKinValidator(t testing.TB, rec *recorder) func(http.RoundTripper) http.RoundTripper {
	doc := document(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return &kinValidator{doc: doc, router: router, rec: rec, next: next}
	}
}

// docServer is the server acapi.yaml names; requests are matched as if they
// went there.
var docServer = func() *url.URL {
	u, _ := url.Parse("https://www.yoursite.com")
	return u
}()

func (k *kinValidator) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := &exchange{method: req.Method, path: strings.TrimPrefix(req.URL.Path, apiPrefix)}
	ex.op = req.Method + " " + template(ex.path)
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := k.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.status, ex.header, ex.respBody = resp.StatusCode, resp.Header, body

	// Match and validate a copy addressed to the document's server.
	vreq := req.Clone(req.Context())
	vreq.URL.Scheme, vreq.URL.Host = docServer.Scheme, docServer.Host
	vreq.Body = io.NopCloser(bytes.NewReader(ex.reqBody))
	ex.req = vreq
	k.check(req.Context(), ex)
	k.rec.exchange(ex.op, ex.status)
	return resp, nil
}

// check validates one exchange, recording its violations.
func (k *kinValidator) check(ctx context.Context, ex *exchange) {
	base := violation{validator: "kin-openapi", op: ex.op, status: ex.status}
	route, params, err := k.router.FindRoute(ex.req)
	if err != nil {
		v := base
		v.side, v.code, v.message = "request", "route", "acapi.yaml has no operation "+ex.op
		if e := k.rec.add(v); e != nil && e.documented != nil {
			k.checkBody(ex, base, e)
		}
		return
	}
	ex.route, ex.pathParams = route, params
	in := &openapi3filter.RequestValidationInput{
		Request: ex.req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: checkToken},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		for _, v := range flatten(err, withSide(base, "request")) {
			k.rec.add(v)
		}
	}
	answer := route.Operation.Responses.Status(ex.status)
	if answer == nil {
		v := withSide(base, "response")
		v.code, v.message = "status", fmt.Sprintf("acapi.yaml lists no %d answer for %s", ex.status, ex.op)
		if e := k.rec.add(v); e != nil && e.documented != nil {
			k.checkBody(ex, base, e)
		}
		return
	}
	if jsonSchema(answer) == nil && len(bytes.TrimSpace(ex.respBody)) > 0 {
		// The validator does not look at a body the document does not
		// describe: say so.
		v := withSide(base, "response")
		v.code, v.message = "body", fmt.Sprintf("acapi.yaml's %d answer to %s has no body", ex.status, ex.op)
		if e := k.rec.add(v); e != nil && e.documented != nil {
			k.checkBody(ex, base, e)
		}
		return
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: ex.status, Header: ex.header,
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	rin.SetBodyBytes(ex.respBody)
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		for _, v := range flatten(err, withSide(base, "response")) {
			k.rec.add(v)
		}
	}
}

// checkBody validates the response body against the answer exception e
// says the API documents in prose.
func (k *kinValidator) checkBody(ex *exchange, base violation, e *exception) {
	base = withSide(base, "response")
	schema, ok := e.documented(k.doc, ex)
	if !ok {
		return
	}
	if schema == nil {
		if len(bytes.TrimSpace(ex.respBody)) > 0 {
			v := base
			v.code, v.message = "body", fmt.Sprintf("%s: the documented answer has no body, got %d bytes", e.id, len(ex.respBody))
			k.rec.add(v)
		}
		return
	}
	var value any
	if err := json.Unmarshal(ex.respBody, &value); err != nil {
		v := base
		v.code, v.message = "body", "not JSON: "+err.Error()
		k.rec.add(v)
		return
	}
	if err := schema.Value.VisitJSON(value, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		for _, v := range flatten(err, base) {
			k.rec.add(v)
		}
	}
}

func withSide(v violation, side string) violation { v.side = side; return v }

// checkToken is the document's security scheme: the X-AC-Auth-Token header.
func checkToken(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme.Type == "apiKey" && in.RequestValidationInput.Request.Header.Get(in.SecurityScheme.Name) == "" {
		return fmt.Errorf("no %s header", in.SecurityScheme.Name)
	}
	return nil
}

// flatten turns a validation error into violations, one per failing field.
func flatten(err error, base violation) []violation {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []violation
		for _, c := range e {
			out = append(out, flatten(c, base)...)
		}
		return out
	case *openapi3.SchemaError:
		var causes openapi3.MultiError
		if e.Origin != nil && errors.As(e.Origin, &causes) {
			return flatten(causes, base)
		}
		return schemaViolations(e, base)
	case *openapi3filter.RequestError:
		if isSchemaError(e.Err) {
			return flatten(e.Err, base)
		}
	case *openapi3filter.ResponseError:
		if isSchemaError(e.Err) {
			return flatten(e.Err, base)
		}
	}
	v := base
	v.code, v.message = "other", err.Error()
	return []violation{v}
}

func isSchemaError(err error) bool {
	switch err.(type) {
	case openapi3.MultiError, *openapi3.SchemaError:
		return true
	}
	return false
}

// schemaViolations are the violations of one failing keyword: one per
// missing property for "required".
func schemaViolations(se *openapi3.SchemaError, base violation) []violation {
	v := base
	v.field = fieldPath(se.JSONPointer())
	v.code, v.message = se.SchemaField, se.Reason
	if se.SchemaField == "type" && se.Schema != nil && se.Schema.Type != nil {
		v.want = strings.Join(se.Schema.Type.Slice(), ",")
	}
	if se.SchemaField != "required" {
		return []violation{v}
	}
	i := strings.LastIndex(se.Reason, "missing propert")
	if i < 0 {
		return []violation{v}
	}
	var out []violation
	for _, m := range quotedName.FindAllStringSubmatch(se.Reason[i:], -1) {
		r := v
		r.field = strings.TrimPrefix(v.field+"."+m[1], ".")
		r.message = "missing required property " + m[1]
		out = append(out, r)
	}
	if len(out) == 0 {
		return []violation{v}
	}
	return out
}

var quotedName = regexp.MustCompile(`'([^']+)'`)

// fieldPath joins a JSON pointer's names with dots, indices as [].
func fieldPath(ptr []string) string {
	var b strings.Builder
	for _, p := range ptr {
		if idSegment.MatchString(p) {
			b.WriteString("[]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// nestedSchemas are the schemas of the nested collections the modelled
// resources expose (docs/resources/*.md, Nested Resources).
var nestedSchemas = map[string]string{
	"products/variants":   "product_nested_variant",
	"products/categories": "categories",
	"customers/addresses": "addresses",
	"orders/items":        "order_items",
}

// readRouteSchema is the schema of a read the document has no operation
// for: a single resource (plain or filled) is its resource's schema, a
// select_many its list, a nested list a list of the nested schema.
func readRouteSchema(doc *openapi3.T, ex *exchange) (*openapi3.SchemaRef, bool) {
	segs := strings.Split(strings.TrimPrefix(template(ex.path), "/"), "/")
	res := segs[0]
	component := doc.Components.Schemas[res]
	switch {
	case len(segs) == 2 && segs[1] == "select_many":
		if list := doc.Paths.Find("/" + res); list != nil && list.Get != nil {
			return jsonSchema(list.Get.Responses.Status(200)), true
		}
	case len(segs) == 2 || (len(segs) == 3 && segs[2] == "filled"):
		return component, component != nil
	case len(segs) == 3:
		if name, ok := nestedSchemas[res+"/"+segs[2]]; ok {
			list := openapi3.NewObjectSchema().
				WithProperty("total_count", openapi3.NewIntegerSchema()).
				WithPropertyRef(segs[2], &openapi3.SchemaRef{Value: openapi3.NewArraySchema().WithItems(doc.Components.Schemas[name].Value)})
			return openapi3.NewSchemaRef("", list), true
		}
	}
	return nil, false
}

// sortedExchanges lists the distinct operations and statuses of a run.
func (r *recorder) sortedExchanges() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.exchanges)
	slices.Sort(out)
	return slices.Compact(out)
}
