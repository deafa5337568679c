package contract_test

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contract"
	"github.com/ghostanalytics/ghost-go/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's coverage table from openapi/ghost.yaml")

// sdkTypes are the SDK types the document's x-ghost-coverage names.
var sdkTypes = map[string]reflect.Type{
	"AccountsService":        reflect.TypeFor[*ghost.AccountsService](),
	"CardsService":           reflect.TypeFor[*ghost.CardsService](),
	"ChargesService":         reflect.TypeFor[*ghost.ChargesService](),
	"CustomersService":       reflect.TypeFor[*ghost.CustomersService](),
	"EventsService":          reflect.TypeFor[*ghost.EventsService](),
	"IdentitiesService":      reflect.TypeFor[*ghost.IdentitiesService](),
	"IdentityTypesService":   reflect.TypeFor[*ghost.IdentityTypesService](),
	"OrdersService":          reflect.TypeFor[*ghost.OrdersService](),
	"KomojuCustomersService": reflect.TypeFor[*ghost.KomojuCustomersService](),
	"CartsService":           reflect.TypeFor[*ghost.CartsService](),
	"AnalyticsService":       reflect.TypeFor[*ghost.AnalyticsService](),
	"ExportsService":         reflect.TypeFor[*ghost.ExportsService](),
	"SparkProductsService":   reflect.TypeFor[*ghost.SparkProductsService](),
	"SparkVariantsService":   reflect.TypeFor[*ghost.SparkVariantsService](),
	"SparkCategoriesService": reflect.TypeFor[*ghost.SparkCategoriesService](),
	"SparkCustomersService":  reflect.TypeFor[*ghost.SparkCustomersService](),
	"SparkOrdersService":     reflect.TypeFor[*ghost.SparkOrdersService](),
	"SparkResourceService":   reflect.TypeFor[*ghost.SparkResourceService[map[string]any]](),
}

// sdkFuncs are the package-level SDK functions it names.
var sdkFuncs = map[string]any{
	"SparkListNested": ghost.SparkListNested[map[string]any, map[string]any],
}

// sdkExists reports whether the SDK has the method or function a coverage
// entry names ("CustomersService.Get", "SparkListNested", or the first of
// "ExportsService.Objects (Orders, Payments, Range)").
func sdkExists(name string) bool {
	name, _, _ = strings.Cut(name, " ")
	if _, ok := sdkFuncs[name]; ok {
		return true
	}
	typ, method, ok := strings.Cut(name, ".")
	if !ok {
		return false
	}
	rt, ok := sdkTypes[typ]
	if !ok {
		return false
	}
	_, ok = rt.MethodByName(method)
	return ok
}

// TestCoverage: every operation of the document has an SDK method and a
// mock handler, or is marked mock-only or unmodelled with a reason; and
// the README's table says the same as the document.
func TestCoverage(t *testing.T) {
	v := mustValidator(t)
	ops := v.Operations()
	require.NotEmpty(t, ops)
	for _, op := range ops {
		c := op.Coverage
		switch c.Mock {
		case "served":
			assert.Empty(t, c.Reason, "%s: a served operation needs no reason", op.ID)
			assert.True(t, sdkExists(c.SDK), "%s: x-ghost-coverage names SDK method %q, which does not exist", op.ID, c.SDK)
		case "mock-only":
			assert.NotEmpty(t, c.Reason, "%s: mock-only needs a reason", op.ID)
			assert.Equal(t, "none", c.SDK, "%s: a mock-only operation has no SDK method", op.ID)
		case "unmodelled":
			assert.NotEmpty(t, c.Reason, "%s: unmodelled needs a reason", op.ID)
			assert.True(t, sdkExists(c.SDK), "%s: x-ghost-coverage names SDK method %q, which does not exist", op.ID, c.SDK)
		default:
			t.Errorf("%s: x-ghost-coverage mock is %q; want served, mock-only or unmodelled", op.ID, c.Mock)
		}
	}

	const path = "../README.md"
	readme, err := os.ReadFile(path)
	require.NoError(t, err)
	want := coverageTable(ops)
	got, err := between(string(readme), tableBegin, tableEnd)
	require.NoError(t, err, "README.md must hold the coverage table between %q and %q", tableBegin, tableEnd)
	if *updateReadme {
		i := strings.Index(string(readme), tableBegin) + len(tableBegin)
		j := strings.Index(string(readme), tableEnd)
		out := string(readme[:i]) + want + string(readme[j:])
		require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
		return
	}
	assert.Equal(t, want, got, "README.md's coverage table differs from openapi/ghost.yaml: run go test ./contract -run TestCoverage -update-readme")
}

const (
	tableBegin = "<!-- coverage table: generated from openapi/ghost.yaml by contract/coverage_test.go -->\n"
	tableEnd   = "<!-- end of coverage table -->"
)

func between(s, begin, end string) (string, error) {
	i := strings.Index(s, begin)
	j := strings.Index(s, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("markers not found")
	}
	return s[i+len(begin) : j], nil
}

// coverageTable renders the README's table: one row per operation, the
// reasons as numbered notes below it.
func coverageTable(ops []contract.Operation) string {
	var b, notes strings.Builder
	var reasons []string
	b.WriteString("| operationId | request | SDK | mock |\n|---|---|---|---|\n")
	for _, op := range ops {
		mock := op.Coverage.Mock
		if r := op.Coverage.Reason; r != "" {
			n := indexOf(reasons, r)
			if n < 0 {
				reasons = append(reasons, r)
				n = len(reasons) - 1
				fmt.Fprintf(&notes, "%d. %s\n", n+1, r)
			}
			mock = fmt.Sprintf("%s (%d)", mock, n+1)
		}
		sdk := "—"
		if op.Coverage.SDK != "none" {
			sdk = "`" + op.Coverage.SDK + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s %s` | %s | %s |\n", op.ID, op.Method, op.URLPath, sdk, mock)
	}
	if notes.Len() > 0 {
		b.WriteString("\n" + notes.String())
	}
	return b.String()
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// TestDocumentJSONIsCurrent: openapi/ghost.json is ghost.yaml converted
// (go generate ./openapi), and both parse to the same document.
func TestDocumentJSONIsCurrent(t *testing.T) {
	want, err := contract.YAMLToJSON(openapi.YAML())
	require.NoError(t, err)
	assert.Equal(t, string(want), string(openapi.JSON()), "openapi/ghost.json is stale: run go generate ./openapi")
}
