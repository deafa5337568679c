package acapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSparkAgainstAcapi drives every method of the five typed Spark
// services against the sparkpay mock, success and error answers, through
// a RoundTripper that validates each request and response against the
// vendor's acapi.yaml with kin-openapi. A violation that no exception of
// the list explains fails the test, naming the operation and the field.
func TestSparkAgainstAcapi(t *testing.T) {
	rec := newRecorder()
	validate := ghost.WithTransportMiddleware(newKinValidator(t, rec))

	srv := ghosttest.New(t, ghosttest.WithProfile(ghosttest.ProfileSpark), ghosttest.WithSeed(driveSeed),
		ghosttest.WithClientOptions(validate))
	drive(t, srv.Client)

	limited := ghosttest.New(t, ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileSpark, SparkCallLimit: 1}),
		ghosttest.WithClientOptions(validate, ghost.WithRetryPolicy(ghost.RetryPolicy{})))
	limited.Clock.Freeze()
	driveCallLimit(t, limited.Client)

	rec.report(t, "kin-openapi")
	t.Logf("operations and statuses: %v", rec.sortedExchanges())
	for _, e := range exceptions {
		if e.repair != nil {
			if repaired[e.id] == 0 {
				t.Errorf("exception %s repairs nothing in acapi.yaml any more: remove it", e.id)
			}
			continue
		}
		if rec.excused[e.id] == 0 {
			t.Errorf("exception %s excused no violation: remove it, or drive the call it is for", e.id)
		}
	}
}

// send makes one raw request to the mock with the store's token and
// returns the status, the X-AC-Call-Limit header and the decoded body.
func send(t *testing.T, srv *ghosttest.Server, method, path string, body any) (int, string, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL+apiPrefix+path, rd)
	require.NoError(t, err)
	req.Header.Set("X-AC-Auth-Token", ghosttest.DefaultAuthToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		require.NoError(t, d.Decode(&out), "%s %s: %s", method, path, raw)
	}
	return resp.StatusCode, resp.Header.Get("X-AC-Call-Limit"), out
}

// exampleSeed is how many objects of each resource the mock holds when it
// takes the document's examples: enough for the ids they refer to
// (parent_category_id 14, customer_id 88, …).
const exampleSeed = 100

// TestVendorRequestExamples sends every request example acapi.yaml gives
// for the modelled resources, as the document holds it, to the mock: each
// is accepted (200 or 201) and what it sets reads back.
func TestVendorRequestExamples(t *testing.T) {
	srv := ghosttest.New(t, ghosttest.WithProfile(ghosttest.ProfileSpark), ghosttest.WithSeed(exampleSeed))
	examples := requestExamples(t)
	require.NotEmpty(t, examples)
	for _, ex := range examples {
		t.Run(ex.method+" "+ex.path+" "+ex.name, func(t *testing.T) {
			path := ex.path
			if strings.Contains(path, "{id}") {
				id := "1"
				if n, ok := ex.body["id"]; ok {
					id = fmt.Sprint(n) // an update names its own item
				}
				path = strings.Replace(path, "{id}", id, 1)
			}
			status, _, got := send(t, srv, strings.ToUpper(ex.method), path, ex.body)
			require.Contains(t, []int{http.StatusOK, http.StatusCreated}, status, "the mock refused the vendor's example: %v", got)
			for k, want := range ex.body {
				if k == "id" || k == "created_at" || k == "updated_at" || want == nil || want == "" {
					continue // set by the server, or left unset
				}
				assert.Equal(t, fmt.Sprint(want), fmt.Sprint(got[k]), "field %s", k)
			}
		})
	}
	t.Logf("%d request examples accepted", len(examples))
}

// TestUnmodelledRootResources sends every operation acapi.yaml defines on
// a root resource the mock does not model: each answers 501 in Spark's
// error shape, with X-AC-Call-Limit, and ghosttest.New reports it. The
// list comes from the document, so a resource it adds cannot be missed.
func TestUnmodelledRootResources(t *testing.T) {
	// New's report is what this test checks: it goes to guarded.
	guarded := &recordingTB{TB: t}
	srv := ghosttest.New(guarded, ghosttest.WithProfile(ghosttest.ProfileSpark))
	var roots []string
	for _, r := range rootResources(t) {
		if !slices.Contains(modelled, r) {
			roots = append(roots, r)
		}
	}
	assert.Len(t, roots, 66, "acapi.yaml's root resources the mock does not model")
	ops := 0
	for p, item := range asMap(rawDocument(t)["paths"]) {
		root, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if !slices.Contains(roots, root) {
			continue
		}
		for method := range asMap(item) {
			if method == "parameters" {
				continue
			}
			ops++
			status, limit, got := send(t, srv, strings.ToUpper(method), strings.ReplaceAll(p, "{id}", "1"), nil)
			assert.Equal(t, http.StatusNotImplemented, status, "%s %s", method, p)
			assert.Equal(t, json.Number("501"), got["status_code"], "%s %s: Spark's error shape", method, p)
			assert.Equal(t, "Not Implemented", got["message"], "%s %s", method, p)
			assert.Contains(t, got["details"], "not modelled", "%s %s", method, p)
			assert.NotContains(t, got, "error", "%s %s: not Ghost's error shape", method, p)
			assert.NotEmpty(t, limit, "%s %s: X-AC-Call-Limit", method, p)
		}
	}
	t.Logf("%d operations on %d unmodelled root resources answer 501", ops, len(roots))
	guarded.finish()
	assert.Len(t, guarded.errors, ops, "ghosttest.New reports every 501")
	assert.Contains(t, strings.Join(guarded.errors, "\n"), "GET /api/v1/shipping_provider_services was answered 501")
}

// recordingTB is a testing.TB that records what ghosttest.New reports.
type recordingTB struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recordingTB) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recordingTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func (r *recordingTB) finish() {
	for _, f := range slices.Backward(r.cleanups) {
		f()
	}
}

// TestMockFieldsAreTheDocuments checks that a filled item of every
// modelled resource carries the fields of its acapi.yaml schema and no
// other (besides its nested collections), each of its type; only an unset
// date may be left out. The mock's field table cannot drift from the
// document.
func TestMockFieldsAreTheDocuments(t *testing.T) {
	srv := ghosttest.New(t, ghosttest.WithProfile(ghosttest.ProfileSpark), ghosttest.WithSeed(1))
	doc := document(t)
	nested := map[string][]string{"products": {"categories"}, "customers": {"addresses"}, "orders": {"items"}}
	for _, res := range modelled {
		schema := doc.Components.Schemas[res].Value
		_, _, item := send(t, srv, "GET", "/"+res+"/1/filled", nil)
		require.NotEmpty(t, item, res)
		for name, v := range item {
			p, ok := schema.Properties[name]
			if !ok {
				assert.Contains(t, nested[res], name, "%s has a field acapi.yaml does not define", res)
				continue
			}
			if p.Value.Type == nil {
				continue
			}
			if err := p.Value.VisitJSON(plain(v), openapi3.EnableJSONSchema2020()); err != nil {
				for _, viol := range flatten(err, violation{validator: "kin-openapi", side: "response", op: "GET /" + res + "/{id}/filled"}) {
					viol.field = strings.TrimSuffix(name+"."+viol.field, ".")
					assert.NotNil(t, excuse(viol), "%s: %v", res, viol)
				}
			}
		}
		for name := range schema.Properties {
			if _, ok := item[name]; !ok {
				assert.True(t, strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_date"),
					"%s.%s is missing (only an unset date may be)", res, name)
			}
		}
	}
}

// plain turns json.Numbers back into float64 for schema checks.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}

// TestNumberFieldsAreTheDocuments checks the integer-or-number exception
// against the document: each field it names is integer in the component
// and number in the resource's POST body.
func TestNumberFieldsAreTheDocuments(t *testing.T) {
	doc := document(t)
	found := map[string][]string{}
	for _, res := range []string{"orders", "order_items", "product_variants"} {
		component := doc.Components.Schemas[res].Value
		raw := asMap(asMap(rawDocument(t)["paths"])["/"+res])
		post := asMap(asMap(asMap(asMap(raw["post"])["requestBody"])["content"])["application/json"])
		props := asMap(asMap(post["schema"])["properties"])
		for name, p := range component.Properties {
			if p.Value.Type.Is("integer") && asMap(props[name])["type"] == "number" && !strings.HasSuffix(name, "_id") {
				found[res] = append(found[res], name)
			}
		}
	}
	for res, fields := range numberFields {
		if res != "product_nested_variant" {
			assert.Subset(t, found[res], fields, res)
		}
	}
	assert.True(t, doc.Components.Schemas["product_nested_variant"].Value.Properties["price_adjustment"].Value.Type.Is("integer"))
}
