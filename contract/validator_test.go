package contract_test

import (
	"net/http"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contract"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValidatorNamesOperationAndField: the Validator finds each part's
// operation under its own base URL (the all profile's prefixes included)
// and reports a violation with the operation and the field at fault.
func TestValidatorNamesOperationAndField(t *testing.T) {
	v := mustValidator(t)
	m := contract.Mounts{
		ghost.PartGhost: "http://mock.test", ghost.PartCheckout: "http://mock.test", ghost.PartExports: "http://mock.test",
		ghost.PartKomoju: "http://mock.test/komoju", ghost.PartSpark: "http://mock.test/spark",
	}
	resp := func(status int, body string, hdr ...string) *http.Response {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Set(hdr[i], hdr[i+1])
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	tests := []struct {
		name     string
		part     ghost.Part
		method   string
		url      string
		status   int
		body     string
		hdr      []string
		wantOp   string
		wantErrs []string // substrings of the error; none: conforms
	}{
		{"Ghost customer", ghost.PartGhost, "GET", "http://mock.test/api/v1/customers/cus_1", 200,
			`{"doc":{"id":"cus_1","email":"a@example.com","description":"","metadata":{},"createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z"}}`,
			nil, "Customers.Get", nil},
		{"Ghost customer, email not a string", ghost.PartGhost, "GET", "http://mock.test/api/v1/customers/cus_1", 200,
			`{"doc":{"id":"cus_1","email":5,"description":"","metadata":{},"createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z"}}`,
			nil, "Customers.Get", []string{"field /doc/email"}},
		{"Komoju under its prefix, an undocumented status", ghost.PartKomoju, "GET", "http://mock.test/komoju/api/v1/customers/x", 418,
			`{}`, nil, "Komoju.Customers.Get", []string{"status is not supported"}},
		{"Spark error without the call limit", ghost.PartSpark, "GET", "http://mock.test/spark/api/v1/products/1", 404,
			`{"status_code":404,"message":"Not Found"}`, nil, "Spark.Products.Get",
			[]string{`header "X-AC-Call-Limit" missing`, "details"}},
		{"Checkout error in another part's shape", ghost.PartCheckout, "GET", "http://mock.test/api/carts/c1", 404,
			`{"message":"Not Found","status":404,"error":"Not Found"}`, nil, "Carts.Get", []string{"missing property 'success'"}},
		{"Exports 503 with its message", ghost.PartExports, "POST", "http://mock.test/v3/merchants/M/exports", 503,
			`{"message":"Too many concurrent exports"}`, nil, "Exports.Create", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, nil)
			require.NoError(t, err)
			r := v.CheckResponse(t.Context(), m, tt.part, req, nil, resp(tt.status, tt.body, tt.hdr...), []byte(tt.body))
			assert.Equal(t, tt.wantOp, r.OperationID)
			if len(tt.wantErrs) == 0 {
				assert.NoError(t, r.Err)
				return
			}
			require.Error(t, r.Err)
			for _, want := range tt.wantErrs {
				assert.Contains(t, r.Err.Error(), want)
			}
			assert.True(t, strings.HasPrefix(r.String(), tt.wantOp+" "), r.String())
		})
	}

	// Requests: a parameter out of range and a body field of the wrong type
	// are named; a request under another part's base is not located.
	req, _ := http.NewRequest("GET", "http://mock.test/api/v1/customers?limit=500", nil)
	req.SetBasicAuth("pk", "sk")
	r := v.CheckRequest(t.Context(), m, ghost.PartGhost, req, nil)
	assert.Equal(t, "Customers.List", r.OperationID)
	assert.ErrorContains(t, r.Err, `parameter "limit" in query`)

	body := `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":"2","price":1}]}`
	req, _ = http.NewRequest("POST", "http://mock.test/api/carts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", "k")
	r = v.CheckRequest(t.Context(), m, ghost.PartCheckout, req, []byte(body))
	assert.Equal(t, "Carts.Create", r.OperationID)
	assert.ErrorContains(t, r.Err, "field /items/0/quantity")

	req, _ = http.NewRequest("GET", "http://mock.test/api/v1/customers", nil)
	r = v.CheckRequest(t.Context(), m, ghost.PartKomoju, req, nil)
	assert.Empty(t, r.OperationID)
	assert.ErrorContains(t, r.Err, "is not under the komoju base URL")

	req, _ = http.NewRequest("GET", "http://mock.test/api/v1/customers", nil)
	r = v.CheckRequest(t.Context(), m, ghost.PartGhost, req, nil)
	assert.ErrorContains(t, r.Err, "security requirements failed", "no credentials")
}
