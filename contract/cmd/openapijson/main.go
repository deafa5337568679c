// Command openapijson writes the JSON form of an OpenAPI document written in
// YAML, keeping the order of every mapping (paths, properties, responses),
// so the JSON reads like the YAML. `go generate ./openapi` runs it on
// openapi/ghost.yaml; the contract tests fail when openapi/ghost.json is
// stale.
//
//	go run ./cmd/openapijson in.yaml out.json
package main

import (
	"fmt"
	"os"

	"github.com/ghostanalytics/ghost-go/contract"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: openapijson in.yaml out.json")
		os.Exit(2)
	}
	in, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := contract.YAMLToJSON(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
