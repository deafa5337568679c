package acapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// violation is one disagreement between an exchange (the SDK's request or
// the mock's response) and acapi.yaml, as either validator reports it.
type violation struct {
	validator string // "kin-openapi" or "prism"
	side      string // "request" or "response"
	op        string // "GET /products/{id}": method and the document's path template
	status    int    // the response's status
	field     string // the body field, indices as []: "categories[].short_description"
	code      string // what failed: a schema keyword ("type", "required"), "status" or "route"
	want      string // for code "type", the type the document wants
	message   string
}

func (v violation) String() string {
	s := fmt.Sprintf("%s: %s of %s", v.validator, v.side, v.op)
	if v.side == "response" {
		s += fmt.Sprintf(" (%d)", v.status)
	}
	if v.field != "" {
		s += ": field " + v.field
	}
	return s + ": " + v.message
}

// method is the HTTP method of the violation's operation.
func (v violation) method() string { m, _, _ := strings.Cut(v.op, " "); return m }

// leaf is the last name of the violation's field.
func (v violation) leaf() string { return v.field[strings.LastIndex(v.field, ".")+1:] }

// exception is a place where acapi.yaml is provably wrong about the API it
// describes, with the reason. The mock and the SDK follow the API there.
type exception struct {
	id     string
	reason string
	// excuses reports whether the exception explains a violation.
	excuses func(v violation) bool
	// documented, for an excused status or route violation, is the schema
	// of the answer the API documents in prose, which the body is checked
	// against instead (nil: no body).
	documented func(doc *openapi3.T, ex *exchange) (*openapi3.SchemaRef, bool)
	// repair, for a defect that stops the Go validator from reading the
	// document at all, rewrites the document before it is loaded; it
	// returns how many places it changed.
	repair func(doc map[string]any) int
}

// numberFields are the fields acapi.yaml types integer in a component
// schema and number in the same resource's POST body, by schema: money
// (orders' totals, order items' price and cost, variants' price_adjustment)
// and an order item's weight. They are read from the document (see
// TestNumberFieldsAreTheDocuments), so the exception cannot outlive a fix.
var numberFields = map[string][]string{
	"orders": {"subtotal", "shipping_total", "discount_total", "cost_total", "handling_total",
		"additional_fees", "discounted_shipping_total"},
	"order_items":            {"price", "cost", "weight"},
	"product_variants":       {"price_adjustment"},
	"product_nested_variant": {"price_adjustment"}, // the same variant, nested in a product
}

// errorStatuses are the error answers docs/common_usage.md lists (Error
// Handling, the page and select_many sections) besides DELETE's 404.
var errorStatuses = []int{400, 404, 409, 429}

// exceptions is THE list of places where acapi.yaml is wrong about its own
// API. Both validators (the Go one and the Prism proxy) use it; every entry
// must excuse at least one violation of the Go validator's run, or repair
// the document, or the test says it is stale.
var exceptions = []exception{
	{
		id: "read-routes",
		reason: "docs/common_usage.md documents GET /{resource}/{id}, /{id}/filled, /{id}/{nested} and " +
			"/{resource}/select_many for every root resource; acapi.yaml has no operation for them. " +
			"Their answers are checked against the resource's own schema instead.",
		excuses:    func(v violation) bool { return v.code == "route" && v.method() == "GET" },
		documented: readRouteSchema,
	},
	{
		id: "customers-post-answer",
		reason: "POST /customers declares a 200 answer without a body. Like every other POST of the " +
			"document, and as docs/common_usage.md says, it answers the customer: 201 when created, 200 " +
			"when updated. The body is checked against components/schemas/customers.",
		excuses: func(v violation) bool {
			return v.op == "POST /customers" && (v.code == "status" && v.status == 201 || v.code == "body" && v.status == 200)
		},
		documented: func(doc *openapi3.T, _ *exchange) (*openapi3.SchemaRef, bool) {
			return doc.Components.Schemas["customers"], true
		},
	},
	{
		id: "created-201",
		reason: "docs/common_usage.md: a POST that creates a resource answers 201 Created with it; acapi.yaml " +
			"lists only 200. The body is checked against the 200 answer.",
		excuses: func(v violation) bool {
			return v.code == "status" && v.status == 201 && v.method() == "POST"
		},
		documented: func(doc *openapi3.T, ex *exchange) (*openapi3.SchemaRef, bool) {
			return jsonSchema(ex.route.Operation.Responses.Status(200)), true
		},
	},
	{
		id: "deleted-204",
		reason: "docs/common_usage.md: DELETE answers 204 No Content; acapi.yaml lists 200 (with no body). " +
			"The answer is checked to have no body.",
		excuses: func(v violation) bool {
			return v.code == "status" && v.status == 204 && v.method() == "DELETE"
		},
		documented: func(*openapi3.T, *exchange) (*openapi3.SchemaRef, bool) { return nil, true },
	},
	{
		id: "error-statuses",
		reason: "docs/common_usage.md (Error Handling, page, select_many): 400, 404, 409 and 429 answer " +
			"{status_code, message, details}; acapi.yaml declares that shape only for DELETE's 404 " +
			"(components/responses/404). The other error answers are checked against it.",
		excuses: func(v violation) bool {
			return v.code == "status" && slices.Contains(errorStatuses, v.status)
		},
		documented: func(doc *openapi3.T, _ *exchange) (*openapi3.SchemaRef, bool) {
			return jsonSchema(doc.Components.Responses["404"]), true
		},
	},
	{
		id: "integer-or-number",
		reason: "acapi.yaml types these fields integer in its component schemas but number in the same " +
			"resources' POST bodies (POST /orders, /order_items, /product_variants); its examples carry " +
			"decimal totals (orders' tax_total, grand_total) and products' price and weight, which orders " +
			"copy, are number. The API sends decimals there: " + fmt.Sprint(numberFields),
		excuses: func(v violation) bool {
			if v.code != "type" || v.want != "integer" {
				return false
			}
			for _, fields := range numberFields {
				if slices.Contains(fields, v.leaf()) {
					return true
				}
			}
			return false
		},
	},
	{
		id: "upsert-update-required",
		reason: "docs/common_usage.md: a POST whose body holds the id of an existing resource updates it " +
			"with the fields passed (200 OK). acapi.yaml's POST bodies list the fields required to create; " +
			"they are not required of an update.",
		excuses: func(v violation) bool {
			return v.side == "request" && v.method() == "POST" && v.code == "required" && v.status == 200
		},
	},
	{
		id: "tab-name-required",
		reason: "POST /products lists long_description_tab_name_5, the title of the fifth description tab, " +
			"as required; no example of the vendor's that creates a product sends it " +
			"(docs/resources/products.md, examples/python/creating_product_groups.py).",
		excuses: func(v violation) bool {
			return v.side == "request" && v.op == "POST /products" && v.code == "required" &&
				v.field == "long_description_tab_name_5"
		},
	},
	{
		id: "guid-type",
		reason: "products.cart_product_id is typed \"guid\", which is no JSON Schema type: the Go validator " +
			"refuses the document, and Prism silently skips every schema holding it (no product body is " +
			"checked). A GUID is a JSON string; the field is read as one.",
		repair: func(doc map[string]any) int {
			n := 0
			walkSchemas(doc, false, func(s map[string]any) {
				if s["type"] == "guid" {
					s["type"], s["format"] = "string", "uuid"
					n++
				}
			})
			return n
		},
	},
	{
		id: "schema-examples-map",
		reason: "two schemas (POST /categories' body, components/schemas/wishlists) write \"examples\" as a " +
			"map; in OpenAPI 3.1 (JSON Schema 2020-12) it is an array: the Go validator refuses the " +
			"document and Prism skips the schema. Those two keywords are dropped (the request-examples " +
			"test still sends the examples).",
		repair: func(doc map[string]any) int {
			n := 0
			walkSchemas(doc, false, func(s map[string]any) {
				if _, isMap := s["examples"].(map[string]any); isMap {
					delete(s, "examples")
					n++
				}
			})
			return n
		},
	},
}

// excuse returns the exception that explains v, or nil.
func excuse(v violation) *exception {
	for i := range exceptions {
		if e := &exceptions[i]; e.excuses != nil && e.excuses(v) {
			return e
		}
	}
	return nil
}

// jsonSchema is the application/json schema of a response (nil when it has
// none).
func jsonSchema(r *openapi3.ResponseRef) *openapi3.SchemaRef {
	if r == nil || r.Value == nil {
		return nil
	}
	if mt := r.Value.Content.Get("application/json"); mt != nil {
		return mt.Schema
	}
	return nil
}
