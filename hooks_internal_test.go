package ghost

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestURLTemplateWords parses the package's source and checks that every
// word of every path literal ("/api/v1/customers/%s/cards") is a known path
// word, so that URL templates keep it: a new endpoint with a new word fails
// here until the word is added to pathWords.
func TestURLTemplateWords(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	seen := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \n") {
				return true
			}
			for _, seg := range strings.Split(s[1:], "/") {
				if seg == "" || strings.Contains(seg, "%") {
					continue
				}
				seen++
				assert.True(t, pathWords[seg], "%s: path word %q of %q is missing from pathWords", fset.Position(lit.Pos()), seg, s)
			}
			return true
		})
	}
	assert.Greater(t, seen, 20, "the source's path literals were found")
}

func TestURLTemplate(t *testing.T) {
	tests := []struct{ prefix, path, want string }{
		{"", "/api/v1/customers/cus_123/cards/card%2F9", "/api/v1/customers/{id}/cards/{id}"},
		{"/proxy", "/api/carts/cart_1/payment-link", "/proxy/api/carts/{id}/payment-link"},
		{"", "/api/v1/products/1/filled", "/api/v1/products/{id}/filled"},
		{"", "/api/v1/widgets/7", "/api/v1/{id}/{id}"},
		{"", "/v3/merchants/M1/exports/E2", "/v3/merchants/{id}/exports/{id}"},
		{"", "/files/export-abc.json.gz", "/{id}/{id}"},
		{"", "/", "/"},
		{"", "/api/v1/customers/", "/api/v1/customers/"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, urlTemplate(tt.prefix, tt.path), "%s %s", tt.prefix, tt.path)
	}
}

func TestParseFrame(t *testing.T) {
	p := pkgPrefix
	tests := []struct {
		fn   string
		want opFrame
	}{
		{p + "(*CustomersService).Get", opFrame{inPkg: true, op: "Customers.Get", closure: false}},
		{p + "(*ResourceService[...]).Upsert", opFrame{inPkg: true, op: "Resource.Upsert", closure: false}},
		{p + "(*CustomersService).All.func1", opFrame{inPkg: true, op: "Customers.All", closure: true}},
		{p + "(*CustomersService).All-range1", opFrame{inPkg: true, op: "Customers.All", closure: true}},
		{p + "(*CustomersService).All.func1.2", opFrame{inPkg: true, op: "Customers.All", closure: true}},
		{p + "(*CustomersService).createKomoju", opFrame{inPkg: true, op: "", closure: false}},
		{p + "(*service).do", opFrame{inPkg: true, op: "", closure: false}},
		{p + "getOne[...]", opFrame{inPkg: true, op: "", closure: false}},
		{p + "pager[...].all.func1", opFrame{inPkg: true, op: "", closure: true}},
		{p + "ListNested[...]", opFrame{inPkg: true, op: "ListNested", closure: false}},
		{p + "ExportObjects[...].func1", opFrame{inPkg: true, op: "ExportObjects", closure: true}},
		{p + "CartStatus.valid", opFrame{inPkg: true, op: "", closure: false}},
		{p + "CartStatus.Valid.func1", opFrame{inPkg: true, op: "", closure: true}},
		{"github.com/ghostanalytics/ghost-go/ghosttest.(*Server).ServeHTTP", opFrame{}},
		{"github.com/ghostanalytics/ghost-go_test.TestX", opFrame{}},
		{"main.main", opFrame{}},
		{"github.com/you/app.run.(*ExportsService).Orders.ExportObjects[...].func5", opFrame{inlinedOp: "ExportObjects"}},
		{"github.com/you/app.run.(*CustomersService).All.func1", opFrame{inlinedOp: "Customers.All"}},
		{"github.com/you/app.(*BillingService).Run", opFrame{}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, parseFrame(tt.fn), tt.fn)
	}
}
