package contract_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badCase is a request the document forbids, to an operation with a body.
type badCase struct {
	op          string // its operationId
	part        ghost.Part
	method      string
	path        string // under the part's base; "{id}" is replaced by the fixture's id
	contentType string
	body        string
	status      int    // the part's documented validation status
	field       string // the field the error must name
	// state reads back what the request could have changed; it must read
	// the same before and after. For a create of a resource the API cannot
	// list, state creates a valid one and returns its id's number: then
	// the id after must be the one after the id before (a refused create
	// that stored something would have taken a number in between).
	state func(e *env, f *fixture) string
	seq   bool
}

// fixture holds one object per part for the bad requests to aim at.
type fixture struct {
	customer, komoju, cart map[string]string
}

// errorField is the part of a part's error body that names the field.
func errorField(part ghost.Part, body []byte) string {
	var v struct {
		Message string          `json:"message"`
		Details string          `json:"details"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var inner struct {
		Message string  `json:"message"`
		Param   *string `json:"param"`
	}
	switch part {
	case ghost.PartKomoju, ghost.PartCheckout:
		if json.Unmarshal(v.Error, &inner) != nil {
			return ""
		}
		if inner.Param != nil {
			return *inner.Param + " " + inner.Message
		}
		return inner.Message
	case ghost.PartSpark:
		return v.Details
	}
	return v.Message
}

// get reads a path under a part's base and returns the body, or "" and
// the status when it is not a 200.
func (e *env) get(part ghost.Part, path string) string {
	e.t.Helper()
	r := e.raw(part, "GET", path, "", "", true)
	if r.status != http.StatusOK {
		return http.StatusText(r.status)
	}
	return string(r.body)
}

// createNext creates a valid object and returns the number in its id
// ("card_000003" and 3 both give "3").
func (e *env) createNext(part ghost.Part, path, body string) string {
	e.t.Helper()
	r := e.raw(part, "POST", path, "application/json", body, true)
	require.Less(e.t, r.status, 300, string(r.body))
	var v struct {
		ID  any `json:"id"`
		Doc struct {
			ID any `json:"id"`
		} `json:"doc"`
	}
	require.NoError(e.t, json.Unmarshal(r.body, &v))
	id := v.ID
	if id == nil {
		id = v.Doc.ID
	}
	b, _ := json.Marshal(id)
	return strings.TrimLeft(strings.Trim(string(b), `"`)[strings.LastIndexAny(strings.Trim(string(b), `"`), "_T")+1:], "0")
}

var badCases = []badCase{
	// Ghost: 400 {message,status,error}.
	{"Customers.Create", ghost.PartGhost, "POST", "/api/v1/customers", "application/json", `{"email":5}`, 400, "email",
		func(e *env, f *fixture) string { return e.get(ghost.PartGhost, "/api/v1/customers?limit=100") }, false},
	{"Customers.Update", ghost.PartGhost, "PUT", "/api/v1/customers/{customer}", "application/json", `{"email":"not-an-email"}`, 400, "email",
		func(e *env, f *fixture) string { return e.get(ghost.PartGhost, "/api/v1/customers/"+f.customer["id"]) }, false},
	{"Cards.Create", ghost.PartGhost, "POST", "/api/v1/customers/{customer}/cards", "application/json", `{"number":"4242","expMonth":"02","expYear":"2030"}`, 400, "number",
		func(e *env, f *fixture) string {
			return e.createNext(ghost.PartGhost, "/api/v1/customers/"+f.customer["id"]+"/cards", `{"number":"4242424242424242","expMonth":"02","expYear":"2030"}`)
		}, true},
	{"Charges.Create", ghost.PartGhost, "POST", "/api/v1/charges", "application/json", `{"amount":"1000","cardId":"{card}","customerId":"{customer}"}`, 400, "amount",
		func(e *env, f *fixture) string {
			return e.createNext(ghost.PartGhost, "/api/v1/charges", `{"amount":1000,"cardId":"`+f.customer["card"]+`","customerId":"`+f.customer["id"]+`"}`)
		}, true},
	{"Identities.Create", ghost.PartGhost, "POST", "/api/v1/identities", "application/json", `{"referenceId":"r1"}`, 400, "name",
		func(e *env, f *fixture) string {
			return e.createNext(ghost.PartGhost, "/api/v1/identities", `{"name":"n"}`)
		}, true},
	{"IdentityTypes.Create", ghost.PartGhost, "POST", "/api/v1/identity-types", "application/json", `{"name":7}`, 400, "name",
		func(e *env, f *fixture) string {
			return e.createNext(ghost.PartGhost, "/api/v1/identity-types", `{"name":"t"}`)
		}, true},
	{"Events.Create", ghost.PartGhost, "POST", "/api/v1/identities/1/events", "application/json", `{"name":"Event Click","properties":[1]}`, 400, "properties",
		func(e *env, f *fixture) string {
			return e.createNext(ghost.PartGhost, "/api/v1/identities/1/events", `{"name":"e"}`)
		}, true},
	{"Orders.Create", ghost.PartGhost, "POST", "/api/v1/orders", "application/json", `{"amount":100,"orderItems":[{"amount":100,"type":"gift"}]}`, 400, "orderItems[0].type",
		func(e *env, f *fixture) string { return e.get(ghost.PartGhost, "/api/v1/orders?limit=100") }, false},

	// Komoju: 400 {"error":{code,message,param}}, param naming the field.
	{"Komoju.Customers.Create", ghost.PartKomoju, "POST", "/api/v1/customers", "application/json", `{"email":"a@example.com"}`, 400, "payment_details",
		func(e *env, f *fixture) string { return e.get(ghost.PartKomoju, "/api/v1/customers?per_page=100") }, false},
	{"Komoju.Customers.Create", ghost.PartKomoju, "POST", "/api/v1/customers", "application/json", `{"payment_details":"tok_1","nickname":"x"}`, 400, "nickname",
		func(e *env, f *fixture) string { return e.get(ghost.PartKomoju, "/api/v1/customers?per_page=100") }, false},
	{"Komoju.Customers.Update", ghost.PartKomoju, "PATCH", "/api/v1/customers/{komoju}", "application/json", `{"currency":"yen"}`, 400, "currency",
		func(e *env, f *fixture) string { return e.get(ghost.PartKomoju, "/api/v1/customers/"+f.komoju["id"]) }, false},

	// Checkout: 422 VALIDATION_ERROR for a well-formed body, 400 for the
	// webhook's bad event.
	{"Carts.Create", ghost.PartCheckout, "POST", "/api/carts", "application/json", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":1.234}]}`, 422, "items[0].price",
		func(e *env, f *fixture) string { return e.get(ghost.PartCheckout, "/api/carts?limit=100") }, false},
	{"Carts.Update", ghost.PartCheckout, "PATCH", "/api/carts/{cart}", "application/json", `{"status":"lost"}`, 422, "status",
		func(e *env, f *fixture) string { return e.get(ghost.PartCheckout, "/api/carts/"+f.cart["id"]) }, false},
	{"Webhooks.Stripe", ghost.PartCheckout, "POST", "/api/webhooks/stripe", "application/json",
		`{"id":"evt_x","object":"event","type":"charge.refunded","data":{"object":{"metadata":{"cartId":"{cart}"}}}}`, 400, "type",
		func(e *env, f *fixture) string { return e.get(ghost.PartCheckout, "/api/carts/"+f.cart["id"]) }, false},

	// Exports: 400 {message}.
	{"Exports.Create", ghost.PartExports, "POST", "/v3/merchants/M1/exports", "application/json", `{"type":"REFUNDS","startTime":0,"endTime":1000}`, 400, "type",
		func(e *env, f *fixture) string {
			return e.createNext(ghost.PartExports, "/v3/merchants/M1/exports", `{"type":"ORDERS","startTime":0,"endTime":1000}`)
		}, true},
}

// sparkBadCases: 409 {status_code,message,details}, details naming the
// field; one upsert and one update per modelled resource.
func sparkBadCases() []badCase {
	var out []badCase
	for _, r := range []struct{ res, op, field, value string }{
		{"products", "Products", "item_name", "5"},
		{"product_variants", "Variants", "product_id", `"seven"`},
		{"categories", "Categories", "name", "5"},
		{"customers", "Customers", "email", "5"},
		{"orders", "Orders", "customer_id", `"seven"`},
	} {
		count := func(e *env, f *fixture) string {
			return e.get(ghost.PartSpark, "/api/v1/"+r.res+"?fields=id&count=250")
		}
		one := func(e *env, f *fixture) string { return e.get(ghost.PartSpark, "/api/v1/"+r.res+"/1") }
		body := `{"` + r.field + `":` + r.value + `}`
		out = append(out,
			badCase{"Spark." + r.op + ".Upsert", ghost.PartSpark, "POST", "/api/v1/" + r.res, "application/json", body, 409, r.field, count, false},
			badCase{"Spark." + r.op + ".Update", ghost.PartSpark, "PUT", "/api/v1/" + r.res + "/1", "application/json", body, 409, r.field, one, false})
	}
	return out
}

// TestBadInput: a request the document forbids (at least one per operation
// with a body; the unmodelled Spark resources answer 501 to everything and
// are left out) gets the part's own validation error, in its documented
// status and shape, naming the field, and changes nothing. Each request is
// checked to be forbidden by the document, each answer to conform to it.
func TestBadInput(t *testing.T) {
	led := &ledger{}
	cases := append(append([]badCase(nil), badCases...), sparkBadCases()...)
	covered := map[string]bool{}
	for _, profile := range []ghosttest.Profile{ghosttest.ProfileAll, ghosttest.ProfileGhost, ghosttest.ProfileKomoju,
		ghosttest.ProfileCheckout, ghosttest.ProfileSpark, ghosttest.ProfileExports} {
		t.Run(string(profile), func(t *testing.T) {
			e := newEnv(t, led, profile, ghosttest.WithSeed(2))
			f := newFixture(e)
			for _, c := range cases {
				if _, served := e.mounts[c.part]; !served {
					continue
				}
				covered[c.op] = true
				t.Run(c.op+" "+c.field, func(t *testing.T) {
					e.t = t
					path, body := f.expand(c.path), f.expand(c.body)
					req, err := http.NewRequest(c.method, e.mounts[c.part]+path, strings.NewReader(body))
					require.NoError(t, err)
					req.Header.Set("Content-Type", c.contentType)
					res := e.v.CheckRequest(t.Context(), e.mounts, c.part, req, []byte(body))
					require.Equal(t, c.op, res.OperationID)
					require.Error(t, res.Err, "the document must forbid this request")
					before := c.state(e, f)
					r := e.raw(c.part, c.method, path, c.contentType, body, false)
					assert.Equal(t, c.status, r.status, string(r.body))
					assert.Contains(t, errorField(c.part, r.body), c.field, "the error names the field: %s", r.body)
					after := c.state(e, f)
					if c.seq {
						b, err1 := strconv.Atoi(before)
						a, err2 := strconv.Atoi(after)
						require.NoError(t, errors.Join(err1, err2), "ids %q, %q", before, after)
						assert.Equal(t, b+1, a, "the refused create stored nothing: the next id follows the one before it")
					} else {
						assert.Equal(t, before, after, "the refused request changed nothing")
					}
				})
			}
		})
	}
	t.Logf("%d validated exchanges", len(led.all()))
	v := mustValidator(t)
	for _, op := range v.Operations() {
		item := op.Method == "POST" || op.Method == "PUT" || op.Method == "PATCH"
		if item && op.Coverage.Mock != "unmodelled" && op.ID != "Carts.CreatePaymentLink" {
			assert.True(t, covered[op.ID], "%s takes a body but no bad input is sent to it", op.ID)
		}
	}
}

func newFixture(e *env) *fixture {
	f := &fixture{}
	if _, ok := e.mounts[ghost.PartGhost]; ok {
		f.customer = map[string]string{"id": "cus_000001", "card": "card_000001"}
	}
	if _, ok := e.mounts[ghost.PartKomoju]; ok {
		r := e.raw(ghost.PartKomoju, "POST", "/api/v1/customers", "application/json", `{"payment_details":"tok_fixture","currency":"JPY"}`, true)
		var v struct{ ID string }
		require.NoError(e.t, json.Unmarshal(r.body, &v))
		f.komoju = map[string]string{"id": v.ID}
	}
	if _, ok := e.mounts[ghost.PartCheckout]; ok {
		r := e.raw(ghost.PartCheckout, "POST", "/api/carts", "application/json", `{"customerEmail":"f@example.com","items":[{"name":"x","quantity":1,"price":1}]}`, true)
		var v struct{ Data struct{ ID string } }
		require.NoError(e.t, json.Unmarshal(r.body, &v))
		f.cart = map[string]string{"id": v.Data.ID}
	}
	return f
}

// expand replaces {customer}, {card}, {komoju} and {cart} in s.
func (f *fixture) expand(s string) string {
	for k, m := range map[string]map[string]string{"customer": f.customer, "komoju": f.komoju, "cart": f.cart} {
		if m != nil {
			s = strings.ReplaceAll(s, "{"+k+"}", m["id"])
		}
	}
	if f.customer != nil {
		s = strings.ReplaceAll(s, "{card}", f.customer["card"])
	}
	return s
}
