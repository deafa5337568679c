package main

// The resources: one row per resource, naming its part and the SDK service
// that serves it. The verbs a resource supports are its service's methods
// (Get; List and All; Create, or Upsert on Spark; Update; Delete), found
// and called by reflection, so a row is all a resource costs and the command
// follows the SDK's methods as they are.

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"reflect"
	"strings"

	ghost "github.com/ghostanalytics/ghost-go"
)

// resource is one row of the table.
type resource struct {
	name    string                  // as the command line writes it
	part    ghost.Part              // the part of the API that serves it
	ids     []string                // the ID arguments, in the order the SDK takes them
	service func(*ghost.Client) any // the SDK service
	model   reflect.Type            // Spark: the SDK's model, which types --param values of a body
}

func row(name string, part ghost.Part, ids string, service func(*ghost.Client) any) resource {
	return resource{name: name, part: part, ids: strings.Fields(ids), service: service}
}

// spark is a Spark root resource as raw JSON (every field the store
// sends), reached by the name the SDK's typed service uses.
func spark[T any](name string, typed func(*ghost.SparkClient) *ghost.SparkResourceService[T]) resource {
	return resource{name: "spark-" + name, part: ghost.PartSpark, ids: []string{"ID"},
		service: func(c *ghost.Client) any {
			return ghost.SparkResource[json.RawMessage](c.Spark, typed(c.Spark).Name())
		},
		model: reflect.TypeFor[T]()}
}

var resources = []resource{
	row("accounts", ghost.PartGhost, "ACCOUNT_ID", func(c *ghost.Client) any { return c.Accounts }),
	row("customers", ghost.PartGhost, "CUSTOMER_ID", func(c *ghost.Client) any { return c.Customers }),
	row("cards", ghost.PartGhost, "CUSTOMER_ID CARD_ID", func(c *ghost.Client) any { return c.Cards }),
	row("charges", ghost.PartGhost, "", func(c *ghost.Client) any { return c.Charges }),
	row("identities", ghost.PartGhost, "IDENTITY_ID", func(c *ghost.Client) any { return c.Identities }),
	row("identity-types", ghost.PartGhost, "IDENTITY_TYPE_ID", func(c *ghost.Client) any { return c.IdentityTypes }),
	row("events", ghost.PartGhost, "IDENTITY_ID", func(c *ghost.Client) any { return c.Events }),
	row("orders", ghost.PartGhost, "ORDER_ID", func(c *ghost.Client) any { return c.Orders }),
	row("komoju-customers", ghost.PartKomoju, "CUSTOMER_ID", func(c *ghost.Client) any { return c.Komoju.Customers }),
	row("carts", ghost.PartCheckout, "CART_ID", func(c *ghost.Client) any { return c.Carts }),
	row("analytics", ghost.PartCheckout, "", func(c *ghost.Client) any { return c.Analytics }),
	spark("products", func(s *ghost.SparkClient) *ghost.SparkResourceService[ghost.SparkProduct] {
		return s.Products.Resource()
	}),
	spark("product_variants", func(s *ghost.SparkClient) *ghost.SparkResourceService[ghost.SparkVariant] {
		return s.Variants.Resource()
	}),
	spark("categories", func(s *ghost.SparkClient) *ghost.SparkResourceService[ghost.SparkCategory] {
		return s.Categories.Resource()
	}),
	spark("customers", func(s *ghost.SparkClient) *ghost.SparkResourceService[ghost.SparkCustomer] {
		return s.Customers.Resource()
	}),
	spark("orders", func(s *ghost.SparkClient) *ghost.SparkResourceService[ghost.SparkOrder] { return s.Orders.Resource() }),
	row("exports", ghost.PartExports, "MERCHANT_ID EXPORT_ID", func(c *ghost.Client) any { return c.Exports }),
}

// methodNames are the SDK methods behind each verb, first match wins.
var methodNames = map[string][]string{
	"get":    {"Get"},
	"list":   {"List"},
	"create": {"Create", "Upsert"},
	"update": {"Update"},
	"delete": {"Delete"},
	"all":    {"All"}, // list --all
}

// offline is a client that sends nothing, for looking at the services'
// methods (help, completion) without any settings.
var offline = func() *ghost.Client {
	c, err := ghost.NewClient()
	if err != nil {
		panic("ghost.NewClient(): " + err.Error())
	}
	return c
}()

var (
	ctxType = reflect.TypeFor[context.Context]()
	idType  = reflect.TypeFor[ghost.ID]()
	errType = reflect.TypeFor[error]()
)

// sdkCall is one SDK method a verb calls: its IDs and its params type.
type sdkCall struct {
	method reflect.Value
	ids    int          // leading ghost.ID arguments
	params reflect.Type // the params argument, nil when none
}

// call returns the SDK method behind verb for c, if the resource has one.
func (r resource) call(c *ghost.Client, verb string) (sdkCall, bool) {
	svc := reflect.ValueOf(r.service(c))
	for _, name := range methodNames[verb] {
		m := svc.MethodByName(name)
		if !m.IsValid() {
			continue
		}
		t := m.Type()
		if t.NumIn() == 0 || t.In(0) != ctxType || t.NumOut() == 0 {
			continue
		}
		sc := sdkCall{method: m}
		for i := 1; i < t.NumIn(); i++ {
			switch in := t.In(i); {
			case t.IsVariadic() && i == t.NumIn()-1: // per-call options
			case in == idType && sc.params == nil:
				sc.ids++
			case sc.params == nil:
				sc.params = in
			default:
				panic(fmt.Sprintf("%s %s: %s takes more than one params argument", verb, r.name, name))
			}
		}
		return sc, true
	}
	return sdkCall{}, false
}

// verbs lists the verbs the resource supports, in the command's order.
func (r resource) verbs() []string {
	var out []string
	for _, v := range verbNames {
		if _, ok := r.call(offline, v); ok {
			out = append(out, v)
		}
	}
	return out
}

func (r resource) supports(verb string) bool {
	_, ok := r.call(offline, verb)
	return ok
}

// usage is the resource's arguments for a verb: "customers CUSTOMER_ID".
func (r resource) usage(verb string) string {
	sc, _ := r.call(offline, verb)
	return strings.TrimSpace(r.name + " " + strings.Join(r.ids[:sc.ids], " "))
}

// invoke calls the method with ids and the params built from the API's
// words, and returns its results before the error (All returns only its
// iterator).
func (sc sdkCall) invoke(ctx context.Context, ids []string, params reflect.Value) ([]reflect.Value, error) {
	args := []reflect.Value{reflect.ValueOf(ctx)}
	for _, id := range ids {
		args = append(args, reflect.ValueOf(ghost.ID(id)))
	}
	if sc.params != nil {
		args = append(args, params)
	}
	out := sc.method.Call(args)
	if last := out[len(out)-1]; last.Type() == errType { // not All's iterator
		if err, _ := last.Interface().(error); err != nil {
			return nil, err
		}
		out = out[:len(out)-1]
	}
	return out, nil
}

// items returns the objects a list call returned: a *Page[T]'s Items, or
// every item of an iter.Seq2[T, error], as JSON.
func items(v reflect.Value) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		if v.Kind() == reflect.Func { // iter.Seq2[T, error]
			fn := reflect.MakeFunc(v.Type().In(0), func(a []reflect.Value) []reflect.Value {
				var more bool
				if err, _ := a[1].Interface().(error); err != nil {
					more = yield(nil, err)
				} else {
					more = yield(toJSON(a[0].Interface()))
				}
				return []reflect.Value{reflect.ValueOf(more)}
			})
			v.Call([]reflect.Value{fn})
			return
		}
		list := v.Elem().FieldByName("Items")
		for i := range list.Len() {
			if !yield(toJSON(list.Index(i).Interface())) {
				return
			}
		}
	}
}

func toJSON(v any) (json.RawMessage, error) {
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}

func findResource(name string) (resource, bool) {
	for _, r := range resources {
		if r.name == name {
			return r, true
		}
	}
	return resource{}, false
}

// resourceNames are the resources that support verb.
func resourceNames(verb string) []string {
	var out []string
	for _, r := range resources {
		if r.supports(verb) {
			out = append(out, r.name)
		}
	}
	return out
}
