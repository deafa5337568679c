package ghost_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportedTypes is every exported type of package ghost, by name (generic
// ones instantiated). TestRedactionEveryExportedType fails when a type is
// declared and missing here, so a new type is checked as soon as it exists.
var exportedTypes = map[string]reflect.Type{
	"Account": reflect.TypeFor[ghost.Account](), "AccountsService": reflect.TypeFor[ghost.AccountsService](),
	"Analytics": reflect.TypeFor[ghost.Analytics](), "AnalyticsParams": reflect.TypeFor[ghost.AnalyticsParams](),
	"AnalyticsPeriod": reflect.TypeFor[ghost.AnalyticsPeriod](), "AnalyticsService": reflect.TypeFor[ghost.AnalyticsService](),
	"AnalyticsSummary": reflect.TypeFor[ghost.AnalyticsSummary](), "Attempt": reflect.TypeFor[ghost.Attempt](),
	"CallHook": reflect.TypeFor[ghost.CallHook](), "CallInfo": reflect.TypeFor[ghost.CallInfo](), "OperationInfo": reflect.TypeFor[ghost.OperationInfo](),
	"CallLimit": reflect.TypeFor[ghost.CallLimit](), "CallResult": reflect.TypeFor[ghost.CallResult](),
	"Card": reflect.TypeFor[ghost.Card](), "CardCreateParams": reflect.TypeFor[ghost.CardCreateParams](),
	"CardsService": reflect.TypeFor[ghost.CardsService](), "Cart": reflect.TypeFor[ghost.Cart](),
	"CartCreateParams": reflect.TypeFor[ghost.CartCreateParams](), "CartItem": reflect.TypeFor[ghost.CartItem](),
	"CartListParams": reflect.TypeFor[ghost.CartListParams](), "CartStatus": reflect.TypeFor[ghost.CartStatus](),
	"CartUpdateParams": reflect.TypeFor[ghost.CartUpdateParams](), "CartsService": reflect.TypeFor[ghost.CartsService](),
	"Charge": reflect.TypeFor[ghost.Charge](), "ChargeCreateParams": reflect.TypeFor[ghost.ChargeCreateParams](),
	"ChargesService": reflect.TypeFor[ghost.ChargesService](), "Client": reflect.TypeFor[ghost.Client](),
	"Credentials": reflect.TypeFor[ghost.Credentials](), "Customer": reflect.TypeFor[ghost.Customer](),
	"CustomerCreateParams": reflect.TypeFor[ghost.CustomerCreateParams](), "CustomerListParams": reflect.TypeFor[ghost.CustomerListParams](),
	"CustomerUpdateParams": reflect.TypeFor[ghost.CustomerUpdateParams](), "CustomersService": reflect.TypeFor[ghost.CustomersService](),
	"DailyStat": reflect.TypeFor[ghost.DailyStat](), "Date": reflect.TypeFor[ghost.Date](),
	"DateRange": reflect.TypeFor[ghost.DateRange](), "Endpoint": reflect.TypeFor[ghost.Endpoint](),
	"Error": reflect.TypeFor[ghost.Error](), "EventCreateParams": reflect.TypeFor[ghost.EventCreateParams](),
	"EventsService": reflect.TypeFor[ghost.EventsService](), "Export": reflect.TypeFor[ghost.Export](),
	"ExportCreateParams": reflect.TypeFor[ghost.ExportCreateParams](), "ExportStatus": reflect.TypeFor[ghost.ExportStatus](),
	"ExportType": reflect.TypeFor[ghost.ExportType](), "ExportURL": reflect.TypeFor[ghost.ExportURL](),
	"ExportedOrder": reflect.TypeFor[ghost.ExportedOrder](), "ExportErrorKind": reflect.TypeFor[ghost.ExportErrorKind](),
	"ExportErrorClass": reflect.TypeFor[ghost.ExportErrorClass](), "ExportWindow": reflect.TypeFor[ghost.ExportWindow](),
	"ExportWindows": reflect.TypeFor[ghost.ExportWindows](), "ExportedLineItem": reflect.TypeFor[ghost.ExportedLineItem](), "ExportedPayment": reflect.TypeFor[ghost.ExportedPayment](),
	"ExportsService": reflect.TypeFor[ghost.ExportsService](), "ID": reflect.TypeFor[ghost.ID](),
	"IdentitiesService": reflect.TypeFor[ghost.IdentitiesService](), "Identity": reflect.TypeFor[ghost.Identity](),
	"IdentityCreateParams": reflect.TypeFor[ghost.IdentityCreateParams](), "IdentityEvent": reflect.TypeFor[ghost.IdentityEvent](),
	"IdentityType": reflect.TypeFor[ghost.IdentityType](), "IdentityTypeCreateParams": reflect.TypeFor[ghost.IdentityTypeCreateParams](),
	"IdentityTypesService": reflect.TypeFor[ghost.IdentityTypesService](), "KomojuClient": reflect.TypeFor[ghost.KomojuClient](),
	"KomojuCustomer": reflect.TypeFor[ghost.KomojuCustomer](), "KomojuCustomerCreateParams": reflect.TypeFor[ghost.KomojuCustomerCreateParams](),
	"KomojuCustomerUpdateParams": reflect.TypeFor[ghost.KomojuCustomerUpdateParams](), "KomojuCustomersService": reflect.TypeFor[ghost.KomojuCustomersService](),
	"KomojuListParams": reflect.TypeFor[ghost.KomojuListParams](), "KomojuPaymentDetails": reflect.TypeFor[ghost.KomojuPaymentDetails](),
	"KomojuPaymentSource": reflect.TypeFor[ghost.KomojuPaymentSource](), "LimitKey": reflect.TypeFor[ghost.LimitKey](),
	"Limiter": reflect.TypeFor[ghost.Limiter](), "LimiterFunc": reflect.TypeFor[ghost.LimiterFunc](),
	"Money": reflect.TypeFor[ghost.Money](), "Opt": reflect.TypeFor[ghost.Opt[ghost.KomojuPaymentDetails]](),
	"Option": reflect.TypeFor[ghost.Option](), "Order": reflect.TypeFor[ghost.Order](),
	"OrderCreateParams": reflect.TypeFor[ghost.OrderCreateParams](), "OrderItem": reflect.TypeFor[ghost.OrderItem](),
	"OrderItemType": reflect.TypeFor[ghost.OrderItemType](), "OrderListParams": reflect.TypeFor[ghost.OrderListParams](),
	"OrdersService": reflect.TypeFor[ghost.OrdersService](), "Page": reflect.TypeFor[ghost.Page[ghost.KomojuCustomer]](),
	"PageMeta": reflect.TypeFor[ghost.PageMeta](), "Part": reflect.TypeFor[ghost.Part](),
	"PaymentLink": reflect.TypeFor[ghost.PaymentLink](), "RangeParams": reflect.TypeFor[ghost.RangeParams](),
	"RangePhase": reflect.TypeFor[ghost.RangePhase](), "RangeProgress": reflect.TypeFor[ghost.RangeProgress](),
	"RateLimiter": reflect.TypeFor[ghost.RateLimiter](), "RequestOption": reflect.TypeFor[ghost.RequestOption](),
	"Response": reflect.TypeFor[ghost.Response](), "RetryPolicy": reflect.TypeFor[ghost.RetryPolicy](),
	"Service": reflect.TypeFor[ghost.Service](), "ServiceHoursError": reflect.TypeFor[ghost.ServiceHoursError](),
	"SortDir": reflect.TypeFor[ghost.SortDir](), "SparkAddress": reflect.TypeFor[ghost.SparkAddress](),
	"SparkCategoriesService": reflect.TypeFor[ghost.SparkCategoriesService](), "SparkCategory": reflect.TypeFor[ghost.SparkCategory](),
	"SparkCategoryUpdateParams": reflect.TypeFor[ghost.SparkCategoryUpdateParams](), "SparkClient": reflect.TypeFor[ghost.SparkClient](),
	"SparkCustomer": reflect.TypeFor[ghost.SparkCustomer](), "SparkCustomerUpdateParams": reflect.TypeFor[ghost.SparkCustomerUpdateParams](),
	"SparkCustomersService": reflect.TypeFor[ghost.SparkCustomersService](), "SparkDecimal": reflect.TypeFor[ghost.SparkDecimal](),
	"SparkFilter": reflect.TypeFor[ghost.SparkFilter](), "SparkFilterOp": reflect.TypeFor[ghost.SparkFilterOp](),
	"SparkGetParams": reflect.TypeFor[ghost.SparkGetParams](), "SparkListParams": reflect.TypeFor[ghost.SparkListParams](),
	"SparkNested": reflect.TypeFor[ghost.SparkNested[ghost.SparkAddress]](), "SparkNestedListParams": reflect.TypeFor[ghost.SparkNestedListParams](),
	"SparkOrder": reflect.TypeFor[ghost.SparkOrder](), "SparkOrderItem": reflect.TypeFor[ghost.SparkOrderItem](),
	"SparkOrderItemVariant": reflect.TypeFor[ghost.SparkOrderItemVariant](), "SparkOrderUpdateParams": reflect.TypeFor[ghost.SparkOrderUpdateParams](),
	"SparkOrdersService": reflect.TypeFor[ghost.SparkOrdersService](), "SparkProduct": reflect.TypeFor[ghost.SparkProduct](),
	"SparkProductUpdateParams": reflect.TypeFor[ghost.SparkProductUpdateParams](), "SparkProductsService": reflect.TypeFor[ghost.SparkProductsService](),
	"SparkResourceService": reflect.TypeFor[ghost.SparkResourceService[ghost.SparkProduct]](), "SparkSelectParams": reflect.TypeFor[ghost.SparkSelectParams](),
	"SparkSortField": reflect.TypeFor[ghost.SparkSortField](), "SparkVariant": reflect.TypeFor[ghost.SparkVariant](),
	"SparkVariantUpdateParams": reflect.TypeFor[ghost.SparkVariantUpdateParams](), "SparkVariantsService": reflect.TypeFor[ghost.SparkVariantsService](),
	"WaitOptions": reflect.TypeFor[ghost.WaitOptions](),
}

// The secrets the redaction test configures; none may appear in any
// rendering, nor any encoding of them.
const (
	secretPublic = "pk_RedactPublic7Q"
	secretKey    = "sk_RedactSecret3Z"
	secretAPI    = "ak_RedactAPIKey9W"
	secretToken  = "at_RedactToken5V"
	secretBearer = "bt_RedactBearer2X"
	secretKomoju = "sk_RedactKomoju8Y"
	secretCard   = "4000056655665556"
	secretPay    = "tok_RedactPayment4U"
)

// secretForms is every way a secret could show: as it is, in hex (%x, %X),
// and inside a Basic auth header.
func secretForms() []string {
	var forms []string
	for _, s := range []string{secretPublic, secretKey, secretAPI, secretToken, secretBearer, secretKomoju, secretCard, secretPay} {
		forms = append(forms, s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))))
	}
	for _, b := range []string{secretPublic + ":" + secretKey, secretKey + ":", secretKomoju + ":"} {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(b)))
	}
	return forms
}

// holders builds, for every type that can reach a secret, values of it
// holding the secrets, both as values and as pointers.
var holders = map[string]func(c *ghost.Client) []any{
	"Client":      func(c *ghost.Client) []any { return []any{c, *c} },
	"Credentials": func(*ghost.Client) []any { cr := secretCreds(); return []any{cr, &cr} },
	"Endpoint": func(*ghost.Client) []any {
		e := ghost.Endpoint{BaseURL: "https://user:" + secretKey + "@api.example.com/?key=" + secretAPI, Credentials: secretCreds()}
		return []any{e, &e}
	},
	"CardCreateParams": func(*ghost.Client) []any {
		p := ghost.CardCreateParams{Number: secretCard, ExpMonth: "12", ExpYear: "2030", CVC: "7391"}
		return []any{p, &p}
	},
	"KomojuPaymentDetails": func(*ghost.Client) []any {
		d := secretPayment()
		return []any{d, &d, ghost.KomojuPaymentDetails{Token: secretPay}}
	},
	"KomojuCustomerCreateParams": func(*ghost.Client) []any {
		p := ghost.KomojuCustomerCreateParams{Email: "a@example.com", PaymentDetails: secretPayment()}
		return []any{p, &p}
	},
	"KomojuCustomerUpdateParams": func(*ghost.Client) []any {
		p := ghost.KomojuCustomerUpdateParams{PaymentDetails: ghost.Some(secretPayment())}
		return []any{p, &p}
	},
	"Opt": func(*ghost.Client) []any {
		o := ghost.Some(secretPayment())
		return []any{o, &o}
	},
	"AccountsService":        func(c *ghost.Client) []any { return []any{c.Accounts, *c.Accounts} },
	"CardsService":           func(c *ghost.Client) []any { return []any{c.Cards, *c.Cards} },
	"ChargesService":         func(c *ghost.Client) []any { return []any{c.Charges, *c.Charges} },
	"CustomersService":       func(c *ghost.Client) []any { return []any{c.Customers, *c.Customers} },
	"EventsService":          func(c *ghost.Client) []any { return []any{c.Events, *c.Events} },
	"IdentitiesService":      func(c *ghost.Client) []any { return []any{c.Identities, *c.Identities} },
	"IdentityTypesService":   func(c *ghost.Client) []any { return []any{c.IdentityTypes, *c.IdentityTypes} },
	"OrdersService":          func(c *ghost.Client) []any { return []any{c.Orders, *c.Orders} },
	"CartsService":           func(c *ghost.Client) []any { return []any{c.Carts, *c.Carts} },
	"AnalyticsService":       func(c *ghost.Client) []any { return []any{c.Analytics, *c.Analytics} },
	"ExportsService":         func(c *ghost.Client) []any { return []any{c.Exports, *c.Exports} },
	"KomojuClient":           func(c *ghost.Client) []any { return []any{c.Komoju, *c.Komoju} },
	"KomojuCustomersService": func(c *ghost.Client) []any { return []any{c.Komoju.Customers, *c.Komoju.Customers} },
	"SparkClient":            func(c *ghost.Client) []any { return []any{c.Spark, *c.Spark} },
	"SparkProductsService":   func(c *ghost.Client) []any { return []any{c.Spark.Products, *c.Spark.Products} },
	"SparkVariantsService":   func(c *ghost.Client) []any { return []any{c.Spark.Variants, *c.Spark.Variants} },
	"SparkCategoriesService": func(c *ghost.Client) []any { return []any{c.Spark.Categories, *c.Spark.Categories} },
	"SparkCustomersService":  func(c *ghost.Client) []any { return []any{c.Spark.Customers, *c.Spark.Customers} },
	"SparkOrdersService":     func(c *ghost.Client) []any { return []any{c.Spark.Orders, *c.Spark.Orders} },
	"SparkResourceService": func(c *ghost.Client) []any {
		r := ghost.SparkResource[ghost.SparkProduct](c.Spark, "manufacturers")
		return []any{r, *r, c.Spark.Products.Resource()}
	},
}

func secretCreds() ghost.Credentials {
	return ghost.Credentials{PublicKey: secretPublic, SecretKey: secretKey, APIKey: secretAPI, AuthToken: secretToken, BearerToken: secretBearer}
}

func secretPayment() ghost.KomojuPaymentDetails {
	return ghost.KomojuPaymentDetails{Token: secretPay, Hash: map[string]any{"type": "credit_card", "number": secretCard, "verification_value": "7391"}}
}

// secretRoots are the types that are secrets themselves.
var secretRoots = []reflect.Type{reflect.TypeFor[ghost.Credentials](), reflect.TypeFor[ghost.CardCreateParams](), reflect.TypeFor[ghost.KomojuPaymentDetails]()}

// reachesSecret reports whether a value of t can hold a secret through its
// fields (exported or not), pointers, slices, arrays and maps.
func reachesSecret(t reflect.Type, seen map[reflect.Type]bool) bool {
	if slices.Contains(secretRoots, t) {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return reachesSecret(t.Elem(), seen)
	case reflect.Map:
		return reachesSecret(t.Key(), seen) || reachesSecret(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if reachesSecret(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// declaredTypes parses the package's own (non-test) files for the names of
// its exported types.
func declaredTypes(t *testing.T) []string {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
						names = append(names, ts.Name.Name)
					}
				}
			}
		}
	}
	return names
}

// namedFromClient returns the package's exported named types reachable from
// *Client through any field.
func namedFromClient() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	pkg := reflect.TypeFor[ghost.Client]().PkgPath()
	var walk func(t reflect.Type)
	seen := map[reflect.Type]bool{}
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		if t.PkgPath() == pkg && t.Name() != "" && token.IsExported(t.Name()) {
			name, _, _ := strings.Cut(t.Name(), "[")
			out[name] = t
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		}
	}
	walk(reflect.TypeFor[*ghost.Client]())
	return out
}

// Every exported type that can hold a credential or card data renders
// redacted under every fmt verb, slog's text and JSON handlers and
// encoding/json. The list of types is checked against the package's
// declarations, so a new type cannot be left out.
func TestRedactionEveryExportedType(t *testing.T) {
	declared := declaredTypes(t)
	for _, name := range declared {
		if _, ok := exportedTypes[name]; !ok {
			t.Errorf("exported type %s is not in exportedTypes: add it (and to holders if it can hold a secret)", name)
		}
	}
	for name := range exportedTypes {
		assert.Contains(t, declared, name, "exportedTypes lists %s, which the package no longer declares", name)
	}
	for name, typ := range exportedTypes {
		if _, ok := holders[name]; !ok && reachesSecret(typ, map[reflect.Type]bool{}) {
			t.Errorf("%s can hold a secret: add it to holders so its renderings are checked", name)
		}
	}
	for name, typ := range namedFromClient() {
		if _, ok := holders[name]; !ok && reachesSecret(typ, map[reflect.Type]bool{}) {
			t.Errorf("%s, reachable from *Client, can hold a secret: add it to holders", name)
		}
	}

	c, err := ghost.NewClient(ghost.WithCredentials(secretCreds()),
		ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{Credentials: ghost.Credentials{SecretKey: secretKomoju}}),
		ghost.WithEndpoint(ghost.PartCheckout, ghost.Endpoint{BaseURL: "https://checkout.example.com"}),
		ghost.WithEndpoint(ghost.PartSpark, ghost.Endpoint{BaseURL: "https://store.example.com"}))
	require.NoError(t, err)
	forms := secretForms()
	verbs := []string{"%s", "%q", "%x", "%X", "%v", "%+v", "%#v", "%d", "%t", "%10.3s", "%#x", "% x"}
	for name, build := range holders {
		for i, v := range build(c) {
			label := fmt.Sprintf("%s #%d (%T)", name, i, v)
			var outs []string
			for _, verb := range verbs {
				outs = append(outs, verb+": "+fmt.Sprintf(verb, v))
			}
			outs = append(outs, "slog text: "+logged(slog.NewTextHandler, v), "slog JSON: "+logged(slog.NewJSONHandler, v))
			if b, err := json.Marshal(v); err == nil {
				outs = append(outs, "json: "+string(b))
			}
			for _, out := range outs {
				for _, s := range forms {
					assert.NotContains(t, out, s, "%s leaks under %s", label, out)
				}
			}
		}
	}
}

func logged[H slog.Handler](newHandler func(w io.Writer, o *slog.HandlerOptions) H, v any) string {
	var b bytes.Buffer
	slog.New(newHandler(&b, nil)).Info("value", "v", v)
	return b.String()
}
