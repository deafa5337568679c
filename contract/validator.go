package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/openapi"
)

// Operation is one operation of the document.
type Operation struct {
	ID     string // operationId, e.g. "Komoju.Customers.List"
	Part   ghost.Part
	Method string
	Path   string // the path key, e.g. "/v1/customers/{id}"
	// URLPath is the path a request has on the part's host: the path of
	// the part's server and the path key, e.g. "/api/v1/customers/{id}".
	URLPath string
	// Coverage is the operation's x-ghost-coverage: how the SDK and the
	// mock cover it.
	Coverage Coverage
}

// Coverage says which SDK method calls an operation and how the mock
// answers it.
type Coverage struct {
	SDK    string `json:"sdk"`    // the Go method, or "none"
	Mock   string `json:"mock"`   // "served", "mock-only" or "unmodelled"
	Reason string `json:"reason"` // why, for mock-only and unmodelled
}

// Validator validates exchanges with the five parts against the document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	ops    []Operation
	byID   map[string]*Operation
	// roots are the scheme://host of each part's servers (variables at
	// their defaults): a request is located by rewriting its URL onto them.
	roots map[ghost.Part][]string
}

// tagPart maps the document's tags to the SDK's parts.
var tagPart = map[string]ghost.Part{
	"Ghost": ghost.PartGhost, "Komoju": ghost.PartKomoju, "Checkout": ghost.PartCheckout,
	"Spark": ghost.PartSpark, "Exports": ghost.PartExports,
}

// New loads the embedded document (openapi.YAML), validates it and
// builds its router.
func New() (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.YAML())
	if err != nil {
		return nil, fmt.Errorf("contract: loading ghost.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("contract: ghost.yaml is not a valid OpenAPI document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: routing ghost.yaml: %w", err)
	}
	v := &Validator{doc: doc, router: router, byID: map[string]*Operation{}, roots: map[ghost.Part][]string{}}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			o, err := newOperation(path, method, op)
			if err != nil {
				return nil, err
			}
			if len(item.Servers) > 0 {
				o.URLPath = serverPath(item.Servers[0]) + path
			}
			v.ops = append(v.ops, o)
			for _, s := range item.Servers {
				if root := serverRoot(s); !slices.Contains(v.roots[o.Part], root) {
					v.roots[o.Part] = append(v.roots[o.Part], root)
				}
			}
		}
	}
	slices.SortFunc(v.ops, func(a, b Operation) int { return strings.Compare(a.ID, b.ID) })
	for i := range v.ops {
		v.byID[v.ops[i].ID] = &v.ops[i]
	}
	return v, nil
}

func newOperation(path, method string, op *openapi3.Operation) (Operation, error) {
	o := Operation{ID: op.OperationID, Method: method, Path: path}
	if len(op.Tags) != 1 || tagPart[op.Tags[0]] == "" {
		return o, fmt.Errorf("contract: %s %s: want one tag naming its part, got %v", method, path, op.Tags)
	}
	o.Part = tagPart[op.Tags[0]]
	raw, ok := op.Extensions["x-ghost-coverage"].(map[string]any)
	if !ok {
		return o, fmt.Errorf("contract: %s has no x-ghost-coverage", o.ID)
	}
	o.Coverage.SDK, _ = raw["sdk"].(string)
	o.Coverage.Mock, _ = raw["mock"].(string)
	o.Coverage.Reason, _ = raw["reason"].(string)
	return o, nil
}

// serverRoot is the scheme://host a request must have for the router to
// match a server: a URL that is one variable ({origin}) stands for its
// default, as kin-openapi's router reads it; a variable inside the host
// ({store}) matches any one DNS label, so it stands for its own name.
func serverRoot(s *openapi3.Server) string {
	u := s.URL
	for name, sv := range s.Variables {
		if u == "{"+name+"}" {
			u = sv.Default
			break
		}
		u = strings.ReplaceAll(u, "{"+name+"}", name)
	}
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Scheme + "://" + p.Host
}

// serverPath is the path of a server's URL, without a trailing slash.
func serverPath(s *openapi3.Server) string {
	u := s.URL
	for name, sv := range s.Variables {
		u = strings.ReplaceAll(u, "{"+name+"}", sv.Default)
	}
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(p.Path, "/")
}

// Operations lists every operation of the document, by operationId.
func (v *Validator) Operations() []Operation { return slices.Clone(v.ops) }

// Operation returns the operation with the given operationId.
func (v *Validator) Operation(id string) (Operation, bool) {
	o, ok := v.byID[id]
	if !ok {
		return Operation{}, false
	}
	return *o, true
}

// Mounts maps each part to the base URL it is served at, scheme://host
// plus any prefix (ghosttest's Server.BaseURLs under the part names): the
// documented paths of the part follow the base.
type Mounts map[ghost.Part]string

// Result is the outcome of validating one exchange.
type Result struct {
	Part        ghost.Part
	OperationID string // "" when no operation of the document matches
	Method      string
	Path        string // the request's path as sent
	Status      int    // the response's status; 0 when only the request was checked
	Err         error  // nil when the exchange conforms
}

func (r Result) String() string {
	id := r.OperationID
	if id == "" {
		id = "(no operation)"
	}
	s := fmt.Sprintf("%s %s %s", id, r.Method, r.Path)
	if r.Status != 0 {
		s += fmt.Sprintf(" → %d", r.Status)
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// located is a request rewritten onto the document's server, with its route.
type located struct {
	route  *routers.Route
	params map[string]string
	req    *http.Request
}

// locate finds the operation of req, a request to part served at m[part].
func (v *Validator) locate(m Mounts, part ghost.Part, req *http.Request) (*located, error) {
	base, ok := m[part]
	if !ok {
		return nil, fmt.Errorf("no base URL for part %s", part)
	}
	bu, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %v", base, err)
	}
	path := req.URL.EscapedPath()
	if req.URL.Host != bu.Host || !strings.HasPrefix(path, bu.EscapedPath()) {
		return nil, fmt.Errorf("%s is not under the %s base URL %s", req.URL.Redacted(), part, base)
	}
	rel := strings.TrimPrefix(path, bu.EscapedPath())
	var notAllowed error
	for _, root := range v.roots[part] {
		u, err := url.Parse(root + rel)
		if err != nil {
			return nil, err
		}
		u.RawQuery = req.URL.RawQuery
		r := req.Clone(req.Context())
		r.URL, r.Host, r.RequestURI = u, u.Host, ""
		route, params, err := v.router.FindRoute(r)
		switch {
		case err == nil && route.Operation != nil && tagPart[firstTag(route.Operation)] == part:
			return &located{route: route, params: params, req: r}, nil
		case errors.Is(err, routers.ErrMethodNotAllowed):
			notAllowed = fmt.Errorf("the document has no %s operation on %s", req.Method, rel)
		}
	}
	if notAllowed != nil {
		return nil, notAllowed
	}
	return nil, fmt.Errorf("no %s operation of the document matches %s %s", part, req.Method, rel)
}

func firstTag(op *openapi3.Operation) string {
	if len(op.Tags) == 0 {
		return ""
	}
	return op.Tags[0]
}

// authenticate accepts a request that carries the credential a security
// scheme names (its value is the mock's business, not the contract's).
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	h := in.RequestValidationInput.Request.Header
	switch s.Type {
	case "http":
		prefix := map[string]string{"basic": "Basic ", "bearer": "Bearer "}[strings.ToLower(s.Scheme)]
		if prefix == "" || !strings.HasPrefix(h.Get("Authorization"), prefix) {
			return fmt.Errorf("no %s Authorization header", s.Scheme)
		}
	case "apiKey":
		if s.In != "header" || h.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	default:
		return fmt.Errorf("unsupported security scheme type %q", s.Type)
	}
	return nil
}

// CheckRequest validates a request to part, whose body is body, against
// its operation. The result names the operation, and the violations if any.
func (v *Validator) CheckRequest(ctx context.Context, m Mounts, part ghost.Part, req *http.Request, body []byte) Result {
	res := Result{Part: part, Method: req.Method, Path: req.URL.EscapedPath()}
	loc, err := v.locate(m, part, req)
	if err != nil {
		res.Err = err
		return res
	}
	res.OperationID = loc.route.Operation.OperationID
	in := v.requestInput(loc, body)
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		res.Err = fmt.Errorf("request: %s", describe(err))
	}
	return res
}

// CheckResponse validates the response resp (body respBody) to a request
// to part against the operation's documented responses: its status must be
// documented, and its headers and body must match. The request itself is
// not validated (a test may send one the document forbids on purpose).
// Header and body violations are all reported, not only the first.
func (v *Validator) CheckResponse(ctx context.Context, m Mounts, part ghost.Part, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) Result {
	res := Result{Part: part, Method: req.Method, Path: req.URL.EscapedPath(), Status: resp.StatusCode}
	loc, err := v.locate(m, part, req)
	if err != nil {
		res.Err = err
		return res
	}
	op := loc.route.Operation
	res.OperationID = op.OperationID
	// Status and headers: kin-openapi's response validation, body aside.
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: v.requestInput(loc, reqBody),
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: true},
	}
	in.SetBodyBytes(respBody)
	var errs []string
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		errs = append(errs, describe(err))
	}
	if err := validateBody(op, resp.StatusCode, resp.Header, respBody); err != nil {
		errs = append(errs, describe(err))
	}
	if len(errs) > 0 {
		res.Err = errors.New("response: " + strings.Join(errs, "; "))
	}
	return res
}

// validateBody checks a response body against the schema the operation
// documents for its status and content type.
func validateBody(op *openapi3.Operation, status int, header http.Header, body []byte) error {
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil // an undocumented status: reported with the headers
	}
	empty := len(bytes.TrimSpace(body)) == 0
	content := ref.Value.Content
	switch {
	case len(content) == 0 && !empty:
		return fmt.Errorf("the document gives status %d no body; got %d bytes", status, len(body))
	case len(content) == 0:
		return nil
	case empty:
		return fmt.Errorf("the body is empty; the document gives status %d a body", status)
	}
	ct := header.Get("Content-Type")
	media := content.Get(ct)
	if media == nil {
		return fmt.Errorf("content type %q is not documented for status %d", ct, status)
	}
	if media.Schema == nil || media.Schema.Value == nil {
		return nil
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("the body is not JSON: %v", err)
	}
	return media.Schema.Value.VisitJSON(value, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse(), openapi3.MultiErrors())
}

func (v *Validator) requestInput(loc *located, body []byte) *openapi3filter.RequestValidationInput {
	r := loc.req.Clone(loc.req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: loc.params,
		Route:      loc.route,
		Options:    &openapi3filter.Options{MultiError: true, AuthenticationFunc: authenticate},
	}
}

// describe flattens kin-openapi's errors into one line per violation, each
// naming the parameter, header or body field at fault.
func describe(err error) string {
	var out []string
	var walk func(prefix string, err error)
	walk = func(prefix string, err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, e := range e {
				walk(prefix, e)
			}
		case *openapi3filter.RequestError:
			switch {
			case e.Parameter != nil:
				prefix += fmt.Sprintf("parameter %q in %s: ", e.Parameter.Name, e.Parameter.In)
			case e.RequestBody != nil:
				prefix += "body: "
			}
			if e.Err == nil {
				out = append(out, prefix+e.Reason)
				return
			}
			if e.Reason != "" && e.Reason != e.Err.Error() {
				prefix += e.Reason + ": "
			}
			walk(prefix, e.Err)
		case *openapi3filter.ResponseError:
			if e.Err == nil {
				out = append(out, prefix+e.Reason)
				return
			}
			walk(prefix+e.Reason+": ", e.Err)
		case *openapi3.SchemaError:
			// Error() holds the detail (a 2020-12 validator's reason) on its
			// first line, then dumps the schema and the value: keep the line.
			reason, _, _ := strings.Cut(e.Error(), "\n")
			if i := strings.Index(reason, `": `); strings.HasPrefix(reason, `Error at "`) && i > 0 {
				reason = reason[i+3:]
			}
			out = append(out, fmt.Sprintf("%sfield /%s: %s", prefix, strings.Join(e.JSONPointer(), "/"), reason))
		default:
			out = append(out, prefix+err.Error())
		}
	}
	walk("", err)
	return strings.Join(out, "; ")
}
