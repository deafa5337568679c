package ghosttest

import (
	"net/http"
	"strconv"

	"github.com/ghostanalytics/ghost-go/openapi"
)

// The contract of the API (openapi/ghost.yaml) is served read-only at
//
//	GET /__ghost/openapi.yaml   (application/yaml)
//	GET /__ghost/openapi.json   (application/json)
//
// with or without the control API: it changes nothing and holds no secret,
// so a test in another language can point its client generator or
// validating proxy at a running mock without turning on the endpoints that
// reset state or inject faults. Like the control API, these requests are
// not recorded in the request log and never get an injected fault.
const (
	OpenAPIYAMLPath = ControlPrefix + "openapi.yaml"
	OpenAPIJSONPath = ControlPrefix + "openapi.json"
)

var (
	openAPIYAML = openapi.YAML()
	openAPIJSON = openapi.JSON()
)

// serveOpenAPI answers a request for the document; it reports false when
// r asks for something else.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) bool {
	var body []byte
	var ctype string
	switch r.URL.Path {
	case OpenAPIYAMLPath:
		body, ctype = openAPIYAML, "application/yaml"
	case OpenAPIJSONPath:
		body, ctype = openAPIJSON, "application/json"
	default:
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		controlError(w, http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
		return true
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
	return true
}
