package acapi

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// documentPath is the pinned copy of the vendor's document (see
// ../testdata/README.md for where it comes from).
const documentPath = "../testdata/acapi.yaml"

// modelled are the root resources the mock models and the SDK types, as
// acapi.yaml names them.
var modelled = []string{"products", "product_variants", "categories", "customers", "orders"}

// rawDocument is acapi.yaml as plain data, exactly as the vendor wrote it.
func rawDocument(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile(documentPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", documentPath, err)
	}
	return doc
}

// modelledPath reports whether a path of the document belongs to a
// modelled resource: /{resource} or /{resource}/{id}.
func modelledPath(p string) bool {
	for _, r := range modelled {
		if p == "/"+r || p == "/"+r+"/{id}" {
			return true
		}
	}
	return false
}

var (
	loadOnce  sync.Once
	loadedDoc *openapi3.T
	loadErr   error
	// repaired counts the places each repair of the exception list changed.
	repaired = map[string]int{}
)

// document is acapi.yaml as the Go validator reads it: the modelled
// resources' paths, every component, and the repairs of the exception list
// applied (each names the defect it works around).
func document(t testing.TB) *openapi3.T {
	t.Helper()
	loadOnce.Do(func() {
		raw := repairedDocument(t)
		paths, _ := raw["paths"].(map[string]any)
		for p := range paths {
			if !modelledPath(p) {
				delete(paths, p) // out of scope; some do not load (minItems: -4)
			}
		}
		b, err := json.Marshal(raw)
		if err != nil {
			loadErr = err
			return
		}
		loader := openapi3.NewLoader()
		loadedDoc, loadErr = loader.LoadFromData(b)
		if loadErr == nil {
			// The examples are not checked here: TestVendorRequestExamples sends
			// them to the mock (one, PUT /customers/{id}, contradicts its own
			// schema, which types affiliate_id null).
			loadErr = loadedDoc.Validate(loader.Context, openapi3.DisableExamplesValidation())
		}
	})
	if loadErr != nil {
		t.Fatalf("loading %s: %v", documentPath, loadErr)
	}
	return loadedDoc
}

// repairedDocument is acapi.yaml with the repairs of the exception list
// applied, each counted in repaired.
func repairedDocument(t testing.TB) map[string]any {
	raw := rawDocument(t)
	for _, e := range exceptions {
		if e.repair != nil {
			repaired[e.id] = e.repair(raw)
		}
	}
	return raw
}

// walkSchemas calls f on every schema object of the document: the values
// under components.schemas, each "schema" key, and their properties and
// items, recursively.
func walkSchemas(v any, inSchema bool, f func(schema map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if inSchema {
			f(x)
		}
		for k, c := range x {
			switch {
			case inSchema && k == "properties":
				for _, p := range asMap(c) {
					walkSchemas(p, true, f)
				}
			case inSchema && k == "items":
				walkSchemas(c, true, f)
			case k == "schema":
				walkSchemas(c, true, f)
			case k == "schemas":
				for _, s := range asMap(c) {
					walkSchemas(s, true, f)
				}
			case !inSchema:
				walkSchemas(c, false, f)
			}
		}
	case []any:
		for _, c := range x {
			walkSchemas(c, inSchema, f)
		}
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// requestExample is one request body the document gives for an operation.
type requestExample struct {
	method, path, name string
	body               map[string]any
}

// requestExamples returns every request body example acapi.yaml gives for
// the modelled resources: the schema's x-examples, the schema's examples
// and the media type's examples, in a stable order.
func requestExamples(t testing.TB) []requestExample {
	t.Helper()
	var out []requestExample
	for p, item := range asMap(rawDocument(t)["paths"]) {
		if !modelledPath(p) {
			continue
		}
		for method, op := range asMap(item) {
			media := asMap(asMap(asMap(asMap(op)["requestBody"])["content"])["application/json"])
			if media == nil {
				continue
			}
			schema := asMap(media["schema"])
			add := func(kind string, examples map[string]any, wrapped bool) {
				for name, ex := range examples {
					body := asMap(ex)
					if wrapped {
						body = asMap(body["value"])
					}
					if body == nil {
						t.Fatalf("%s %s: %s example %q is not an object", method, p, kind, name)
					}
					out = append(out, requestExample{method, p, kind + "." + name, body})
				}
			}
			add("x-examples", asMap(schema["x-examples"]), false)
			add("schema.examples", asMap(schema["examples"]), true)
			add("examples", asMap(media["examples"]), true)
		}
	}
	slices.SortFunc(out, func(a, b requestExample) int {
		return strings.Compare(a.path+" "+a.method+" "+a.name, b.path+" "+b.method+" "+b.name)
	})
	return out
}

// rootResources returns the first path segment of every path of the
// document, sorted: the root resources it defines.
func rootResources(t testing.TB) []string {
	t.Helper()
	seen := map[string]bool{}
	for p := range asMap(rawDocument(t)["paths"]) {
		root, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		seen[root] = true
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
