package contract_test

import (
	"os"
	"slices"
	"testing"

	"github.com/ghostanalytics/ghost-go/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// schemaDoc is the part of an OpenAPI document this test reads.
type schemaDoc struct {
	Components struct {
		Schemas map[string]struct {
			Properties map[string]struct {
				Type any `yaml:"type"`
			} `yaml:"properties"`
		} `yaml:"schemas"`
	} `yaml:"components"`
}

// sparkSchemaNames maps ghost.yaml's Spark schemas to acapi.yaml's.
var sparkSchemaNames = map[string]string{
	"SparkProduct": "products", "SparkVariant": "product_variants", "SparkCategory": "categories",
	"SparkCustomer": "customers", "SparkOrder": "orders", "SparkOrderItem": "order_items", "SparkAddress": "addresses",
}

// sparkTypeExceptions are the fields whose type ghost.yaml gives otherwise
// than acapi.yaml, each for the reason its description states.
var sparkTypeExceptions = map[string]map[string]string{
	// Money typed integer beside decimal examples.
	"product_variants": {"price_adjustment": "number"},
	"orders": {"subtotal": "number", "shipping_total": "number", "discount_total": "number", "cost_total": "number",
		"handling_total": "number", "additional_fees": "number", "discounted_shipping_total": "number"},
	"order_items": {"price": "number", "cost": "number", "weight": "number"},
	// "guid" is not a JSON type: a string with format uuid.
	"products": {"cart_product_id": "string"},
}

// sparkNested are the nested collections ghost.yaml adds to a schema (the
// mock fills them on expand); acapi.yaml's own products.variants is one.
var sparkNested = map[string][]string{
	"products": {"variants", "categories"}, "customers": {"addresses"}, "orders": {"items"},
}

// TestSparkSchemasFollowAcapi: every Spark schema of ghost.yaml has exactly
// the fields of acapi.yaml's schema of the same resource, with its JSON
// types, but for the exceptions above. A field may also allow null: ghost.yaml
// does where the vendor's own examples show null.
func TestSparkSchemasFollowAcapi(t *testing.T) {
	raw, err := os.ReadFile("testdata/acapi.yaml")
	require.NoError(t, err)
	var acapi, ours schemaDoc
	require.NoError(t, yaml.Unmarshal(raw, &acapi))
	require.NoError(t, yaml.Unmarshal(openapi.YAML(), &ours))
	for name, res := range sparkSchemaNames {
		theirs, ok := acapi.Components.Schemas[res]
		require.True(t, ok, res)
		mine, ok := ours.Components.Schemas[name]
		require.True(t, ok, name)
		var want, got []string
		for f := range theirs.Properties {
			want = append(want, f)
		}
		want = append(want, sparkNested[res]...)
		for f := range mine.Properties {
			got = append(got, f)
		}
		assert.ElementsMatch(t, slices.Compact(slices.Sorted(slices.Values(want))), got, "%s: fields of %s", name, res)
		for f, p := range theirs.Properties {
			m, ok := mine.Properties[f]
			if !ok || slices.Contains(sparkNested[res], f) {
				continue
			}
			wantType, _ := p.Type.(string)
			if ex, ok := sparkTypeExceptions[res][f]; ok {
				wantType = ex
			}
			switch typ := m.Type.(type) {
			case string:
				assert.Equal(t, wantType, typ, "%s.%s", res, f)
			case []any:
				assert.Equal(t, []any{wantType, "null"}, typ, "%s.%s", res, f)
			default:
				t.Errorf("%s.%s: type %v", res, f, typ)
			}
		}
	}
}
