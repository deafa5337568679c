package openapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ghostanalytics/ghost-go/openapi"
)

// The document, in YAML as written and in JSON for tools that take only
// JSON.
func Example() {
	line, _ := bufio.NewReader(bytes.NewReader(openapi.YAML())).ReadString('\n')
	fmt.Print(line)

	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON(), &doc); err != nil {
		panic(err)
	}
	_, ok := doc.Paths["/v1/customers"]
	fmt.Println(doc.OpenAPI, ok)
	// Output:
	// openapi: 3.1.0
	// 3.1.0 true
}
