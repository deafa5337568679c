// Package openapi holds the contract of the API ghost-go speaks: one OpenAPI
// 3.1 document (ghost.yaml) describing every operation of the five parts
// (Ghost, Komoju, Checkout, Spark, Exports) that the SDK calls or the mock
// serves, with their parameters, bodies, responses, error shapes, servers
// and security schemes. Its operationIds are the names a Go user writes after
// client. (Customers.Get, Komoju.Customers.List, Spark.Variants.Update).
//
// The document is embedded, so any program can import it without reading
// files: a validating proxy, a test harness, a documentation server.
// ghost-mock serves it at GET /__ghost/openapi.yaml and /__ghost/openapi.json.
// The package uses the standard library only.
package openapi

import _ "embed"

//go:generate sh -c "cd ../contract && go run ./cmd/openapijson ../openapi/ghost.yaml ../openapi/ghost.json"

var (
	//go:embed ghost.yaml
	yamlDoc []byte
	//go:embed ghost.json
	jsonDoc []byte
)

// YAML returns the document as written, in YAML. The slice is a copy: the
// caller may change it.
func YAML() []byte { return clone(yamlDoc) }

// JSON returns the same document in JSON, generated from the YAML (go
// generate; the contract tests fail when it is stale). The slice is a copy.
func JSON() []byte { return clone(jsonDoc) }

func clone(b []byte) []byte { return append([]byte(nil), b...) }
