package ghosttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/ghostanalytics/ghost-go/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServesTheContract: every profile serves the document at
// /__ghost/openapi.yaml and .json, with or without the control API, without
// credentials, unrecorded; other methods are 405.
func TestServesTheContract(t *testing.T) {
	for _, p := range ghosttest.Profiles {
		for _, control := range []bool{false, true} {
			opts := []ghosttest.Option{ghosttest.WithProfile(p)}
			if control {
				opts = append(opts, ghosttest.WithControl())
			}
			srv := ghosttest.NewServer(opts...)
			t.Cleanup(srv.Close)
			for _, tc := range []struct {
				path, ctype string
				want        []byte
			}{
				{ghosttest.OpenAPIYAMLPath, "application/yaml", openapi.YAML()},
				{ghosttest.OpenAPIJSONPath, "application/json", openapi.JSON()},
			} {
				resp, err := http.Get(srv.URL + tc.path)
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, resp.StatusCode, "%s %s", p, tc.path)
				assert.Equal(t, tc.ctype, resp.Header.Get("Content-Type"))
				assert.Equal(t, tc.want, body, "%s %s", p, tc.path)

				resp, err = http.Post(srv.URL+tc.path, "application/json", nil)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
				assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
			}
			assert.Empty(t, srv.Requests(), "requests for the contract are not logged")
		}
	}
	var doc map[string]any
	require.NoError(t, json.Unmarshal(openapi.JSON(), &doc))
	assert.Equal(t, "3.1.0", doc["openapi"])
}
