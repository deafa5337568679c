package main

import (
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mockEnv starts an in-process mock (seeded, fast exports) and returns the
// environment that points the command at it.
func mockEnv(t *testing.T) (*ghosttest.Server, []string) {
	t.Helper()
	srv, err := ghosttest.Start(ghosttest.WithConfig(ghosttest.Config{
		Seed: 3, ExportDuration: 50 * time.Millisecond, ExportConcurrency: 3,
	}))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, append(baseEnv(t), srv.Environ()...)
}

// without drops the named variables from env.
func without(env []string, names ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, name)
	})
}

// lastQuery is the query of the last request the mock received on path.
func lastRequest(t *testing.T, srv *ghosttest.Server, method, path string) ghosttest.RecordedRequest {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			return reqs[i]
		}
	}
	t.Fatalf("no %s %s among %d requests", method, path, len(reqs))
	return ghosttest.RecordedRequest{}
}

// The API's own words reach the wire as the API writes them.
func TestParametersInTheAPIsWords(t *testing.T) {
	srv, env := mockEnv(t)
	for _, tc := range []struct {
		args         []string
		method, path string
		query        url.Values
		body         string
	}{
		{[]string{"list", "spark-products", "--param", "sort=-price,item_name", "--param", "item_name=like:Item",
			"--param", "fields=id,item_name,price", "--param", "expand=variants", "--param", "count=2", "--param", "price=gt:10"},
			"GET", "/spark/api/v1/products", url.Values{"sort": {"-price,item_name"}, "item_name": {"like:Item"},
				"fields": {"id,item_name,price"}, "expand": {"variants"}, "count": {"2"}, "price": {"gt:10"}}, ""},
		{[]string{"list", "spark-orders", "--param", "order_number=1001"},
			"GET", "/spark/api/v1/orders", url.Values{"order_number": {"eq:1001"}}, ""},
		{[]string{"get", "spark-products", "1", "--param", "expand=variants,categories"},
			"GET", "/spark/api/v1/products/1", url.Values{"expand": {"variants,categories"}}, ""},
		{[]string{"list", "orders", "--param", "customerId=cus_000001", "--param", "dateRange[0]=2026-01-01",
			"--param", "dateRange[1]=2026-02-01T12:00:00Z", "--param", "sortBy=createdAt", "--param", "sortDir=desc", "--param", "limit=2"},
			"GET", "/api/v1/orders", url.Values{"customerId": {"cus_000001"}, "dateRange[0]": {"2026-01-01T00:00:00.000Z"},
				"dateRange[1]": {"2026-02-01T12:00:00.000Z"}, "sortBy": {"createdAt"}, "sortDir": {"desc"}, "limit": {"2"}}, ""},
		{[]string{"list", "komoju-customers", "--param", "per_page=2", "--param", "page=1"},
			"GET", "/komoju/api/v1/customers", url.Values{"per_page": {"2"}, "page": {"1"}}, ""},
		{[]string{"list", "carts", "--param", "status=abandoned", "--param", "limit=5"},
			"GET", "/api/carts", url.Values{"status": {"abandoned"}, "limit": {"5"}}, ""},
		{[]string{"get", "analytics", "--param", "startDate=2026-01-01", "--param", "endDate=2026-01-31"},
			"GET", "/api/analytics", url.Values{"startDate": {"2026-01-01T00:00:00Z"}, "endDate": {"2026-01-31T00:00:00Z"}}, ""},
		{[]string{"create", "exports", "M1", "--param", "type=orders", "--param", "startTime=1767225600000", "--param", "endTime=2026-01-31T00:00:00Z"},
			"POST", "/v3/merchants/M1/exports", nil, `{"type":"ORDERS","startTime":1767225600000,"endTime":1769817600000}`},
		{[]string{"create", "orders", "--data", `{"customerId":"cus_000001","orderItems":[{"amount":700,"type":"item"}]}`, "--param", "amount=700"},
			"POST", "/api/v1/orders", nil, `{"amount":700,"customerId":"cus_000001","orderItems":[{"amount":700,"type":"item"}]}`},
		{[]string{"create", "spark-products", "--param", "item_name=Hat", "--param", "item_number=123", "--param", "price=19.99", "--param", "is_featured=true"},
			"POST", "/spark/api/v1/products", nil, `{"item_name":"Hat","item_number":"123","price":19.99,"is_featured":true}`},
		{[]string{"create", "spark-products", "--param", "item_name=Cap", "--param", "primary_category_id=1", "--param", "product_status_id=1", "--param", "price=5"},
			"POST", "/spark/api/v1/products", nil, `{"item_name":"Cap","primary_category_id":1,"product_status_id":1,"price":5}`},
		{[]string{"update", "komoju-customers", "KC1", "--param", "currency=usd"},
			"PATCH", "/komoju/api/v1/customers/KC1", nil, `{"currency":"USD"}`},
	} {
		_, stderr, _ := runIn(t, "", env, tc.args...)
		req := lastRequest(t, srv, tc.method, tc.path)
		if tc.query != nil {
			q, err := url.ParseQuery(req.RawQuery)
			require.NoError(t, err)
			assert.Equal(t, tc.query, q, "%v: %s", tc.args, stderr)
		}
		if tc.body != "" {
			assert.JSONEq(t, tc.body, string(req.Body), "%v: %s", tc.args, stderr)
		}
	}
}

// goWords are what an error must never show: the SDK's Go names, Go's
// decoding errors, a doubled prefix or status.
var goWords = regexp.MustCompile(`ghost: ghost:|\b(\d{3}) \d{3}\b|With[A-Z]\w+|ghost\.[A-Z]|[A-Z]\w*Params\b|Go value|Go struct|json: |KomojuPayment|SparkResource|\bDesc\b`)

func TestErrorsSayPartStatusAndSetting(t *testing.T) {
	_, env := mockEnv(t)
	onlyGhost := without(env, "GHOST_KOMOJU_BASE_URL", "GHOST_SPARK_BASE_URL")
	for _, tc := range []struct {
		env  []string
		args []string
		want []string
	}{
		{onlyGhost, []string{"list", "komoju-customers"}, []string{
			"ghost: Komoju API: GET /api/v1/customers: 401 Unauthorized: ",
			"the Komoju API's base URL is not set, so the request went to http://127.0.0.1:",
			"(base-url, from GHOST_BASE_URL)", "set GHOST_KOMOJU_BASE_URL (or --komoju-base-url, or \"ghost config set komoju-base-url URL\")"}},
		{onlyGhost, []string{"get", "spark-customers", "1"}, []string{"ghost: Spark API: GET /api/v1/customers/1: 401 Unauthorized", "set GHOST_SPARK_BASE_URL"}},
		{without(env, "GHOST_API_KEY"), []string{"list", "carts"}, []string{
			"ghost: Checkout API: GET /api/carts: no credentials set", "authenticates with api-key: set GHOST_API_KEY (or --api-key"}},
		{append(without(env, "GHOST_API_KEY"), "GHOST_API_KEY=wrong"), []string{"list", "carts"}, []string{
			"ghost: Checkout API: GET /api/carts: 401 Unauthorized: ", "refused its credentials: check api-key (GHOST_API_KEY)"}},
		{append(without(env, "GHOST_KOMOJU_SECRET_KEY", "GHOST_SECRET_KEY"), "GHOST_SECRET_KEY=nope"), []string{"list", "komoju-customers"}, []string{
			"ghost: Komoju API: GET /komoju/api/v1/customers: 401 Unauthorized", "check komoju-secret-key (GHOST_SECRET_KEY)"}},
		{baseEnv(t), []string{"list", "carts"}, []string{"ghost: Checkout API: no base URL set",
			"the Checkout API has no default base URL: set GHOST_CHECKOUT_BASE_URL"}},
		{baseEnv(t), []string{"list", "customers"}, []string{"ghost: Ghost API: GET /api/v1/customers: no credentials set",
			"set GHOST_PUBLIC_KEY", "GHOST_SECRET_KEY", "ghost --mock"}},
		{env, []string{"get", "orders", "ord_000001"}, []string{"ghost: Ghost API: GET /api/v1/orders/ord_000001: 400 Bad Request: Invalid id"}},
		{env, []string{"list", "spark-products", "--param", "sort=-nope"}, []string{"ghost: Spark API: GET /spark/api/v1/products: 400 Bad Request"}},
		{env, []string{"list", "spark-products", "--param", "sort=--price"}, []string{"ghost: Spark API: invalid sort: ", "(-FIELD sorts descending)"}},
		{env, []string{"create", "customers", "--param", "colour=red"}, []string{
			`ghost: create customers: unknown parameter "colour"; this call takes: email, description, metadata`}},
		{env, []string{"create", "orders", "--param", "amount=abc"}, []string{`parameter amount: want a whole number, got "abc"`}},
		{env, []string{"create", "exports", "M1", "--param", "type=ORDERS", "--param", "startTime=2026-01-01", "--param", "endTime=2026-03-01"},
			[]string{"ghost: Exports API: invalid endTime: an export covers at most 30 days", "(ghost export runs longer ranges)"}},
		{env, []string{"create", "komoju-customers", "--param", "email=k@example.com"}, []string{
			"ghost: Komoju API: invalid payment_details: payment_details is required: a token or a hash"}},
		{env, []string{"create", "exports", "M1", "--param", "startTime=yesterday"}, []string{
			`parameter startTime: "yesterday" is not a time: want epoch milliseconds, RFC 3339 or YYYY-MM-DD`}},
		{env, []string{"get", "widgets", "1"}, []string{`get "widgets": not a resource that supports get`}},
		{env, []string{"get", "exports", "M1"}, []string{"usage: ghost get exports MERCHANT_ID EXPORT_ID"}},
		{env, []string{"get", "carts", "nope"}, []string{"ghost: Checkout API: GET /api/carts/nope: 404 Not Found"}},
	} {
		_, stderr, code := runIn(t, "", tc.env, tc.args...)
		assert.Equal(t, 1, code, "%v: %s", tc.args, stderr)
		for _, w := range tc.want {
			assert.Contains(t, stderr, w, tc.args)
		}
		assert.NotRegexp(t, goWords, stderr, tc.args)
		assert.Equal(t, 1, strings.Count(stderr, "ghost: "), "one error, printed once: %s", stderr)
	}
}

func TestOutputFormats(t *testing.T) {
	_, env := mockEnv(t)
	stdout, stderr, code := runIn(t, "", env, "list", "carts", "--output", "jsonl")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		assert.True(t, json.Valid([]byte(l)) && strings.HasPrefix(l, `{"id":"cart_`), l)
	}

	stdout, _, code = runIn(t, "", env, "list", "carts", "-o", "csv")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(stdout, "id,customerEmail,customerName,items,totalValue,status,"), stdout)
	assert.Contains(t, stdout, "\ncart_000001,customer1@example.com,Customer 1,")

	stdout, _, code = runIn(t, "", env, "list", "orders", "-o", "table")
	require.Equal(t, 0, code)
	assert.Regexp(t, `^ID\s+AMOUNT\s+CUSTOMERID\s+CARDID\s+`, stdout)
	assert.Regexp(t, `\n1\s+1100\s+cus_000001\s+card_000001\s+`, stdout)

	stdout, _, code = runIn(t, "", env, "get", "customers", "cus_000002", "-o", "table")
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)^id\s+cus_000002$`, stdout)
	assert.Regexp(t, `(?m)^metadata\s+\{"seed":"2"\}$`, stdout)

	// Not a terminal: JSON by default, a list as one array.
	stdout, _, code = runIn(t, "", env, "list", "customers", "--all", "--param", "limit=2")
	require.Equal(t, 0, code)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	assert.Len(t, list, 3, "every page of the three seeded customers")

	stdout, _, code = runIn(t, "", env, "delete", "carts", "cart_000001")
	require.Equal(t, 0, code)
	assert.JSONEq(t, `{"deleted":true,"id":"cart_000001"}`, stdout)

	_, stderr, code = runIn(t, "", env, "list", "carts", "-o", "yaml")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `--output "yaml": want one of json, jsonl, csv, table`)
}

func TestDefaultOutput(t *testing.T) {
	for _, tc := range []struct {
		flag, verb string
		tty        bool
		want       string
	}{
		{"", "get", true, "table"}, {"", "list", true, "table"}, {"", "create", true, "json"},
		{"", "delete", true, "json"}, {"", "get", false, "json"}, {"", "list", false, "json"},
		{"csv", "list", true, "csv"}, {"table", "list", false, "table"},
	} {
		assert.Equal(t, tc.want, outputFormat(tc.flag, tc.verb, tc.tty), "%+v", tc)
	}
}

func TestTablePrinterFitsTheWidth(t *testing.T) {
	var out, note strings.Builder
	p := &tablePrinter{w: &out, note: &note, width: 40}
	for _, row := range []string{
		`{"id":1,"item_name":"A hat with a very long name that goes on and on","price":19.99,"empty":"","sku":"HAT-1"}`,
		`{"id":2,"item_name":"Scarf","price":9.5,"empty":null,"sku":"SC-2"}`,
	} {
		require.NoError(t, p.item(json.RawMessage(row)))
	}
	require.NoError(t, p.end())
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		assert.LessOrEqual(t, len([]rune(l)), 40, l)
	}
	assert.True(t, strings.HasPrefix(out.String(), "ID  PRICE  SKU\n1   19.99  HAT-1\n"), out.String())
	assert.NotContains(t, out.String(), "EMPTY", "a field empty in every row is left out")
	assert.Equal(t, "(1 more fields do not fit: --output json shows every field)\n", note.String(), "item_name is too wide")
}

func TestConfigProfiles(t *testing.T) {
	srv, env := mockEnv(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ghost", "config.yaml")
	bare := append(without(baseEnv(t), "GHOST_CONFIG"), "GHOST_CONFIG="+cfg)
	ghost := func(env []string, stdin string, args ...string) (string, string, int) {
		t.Helper()
		if stdin == "" {
			return runIn(t, "", env, args...)
		}
		return runWithStdin(t, env, stdin, args...)
	}

	// Every setting of the mock's block, into the default profile; the
	// secret from stdin (not the command line).
	for _, kv := range srv.Environ() {
		name, v, _ := strings.Cut(kv, "=")
		key := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "GHOST_")), "_", "-")
		if key == "secret-key" {
			_, stderr, code := ghost(bare, v+"\n", "config", "set", key)
			require.Equal(t, 0, code, stderr)
			continue
		}
		_, stderr, code := ghost(bare, "", "config", "set", key, v)
		require.Equal(t, 0, code, stderr)
	}
	st, err := os.Stat(cfg)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the file holds secrets")

	// The config file alone reaches every part.
	everyPart(t, bare, true)

	stdout, _, code := ghost(bare, "", "config", "show")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "profile      default")
	assert.Regexp(t, `komoju-base-url\s+http://127.0.0.1:\d+/komoju\s+config profile "default"\s+GHOST_KOMOJU_BASE_URL`, stdout)
	assert.Regexp(t, `bearer-token\s+\*\*\*\*oken\s+config profile "default"`, stdout)
	for _, secret := range []string{ghosttest.DefaultSecretKey, ghosttest.DefaultAPIKey, ghosttest.DefaultAuthToken, ghosttest.DefaultBearerToken} {
		assert.NotContains(t, stdout, secret, "config show never prints a secret")
	}
	assert.Regexp(t, `(?m)^spark\s+http://127.0.0.1:\d+/spark\s+spark-base-url\s+auth-token set$`, stdout)

	// The environment wins over the file, a flag over the environment.
	stdout, _, _ = ghost(append(bare, "GHOST_SPARK_BASE_URL=http://env.example"), "", "config", "show")
	assert.Regexp(t, `spark-base-url\s+http://env.example\s+GHOST_SPARK_BASE_URL`, stdout)
	stdout, _, _ = ghost(append(bare, "GHOST_SPARK_BASE_URL=http://env.example"), "", "--spark-base-url", "http://flag.example", "config", "show")
	assert.Regexp(t, `spark-base-url\s+http://flag.example\s+--spark-base-url`, stdout)

	// Profiles: another one, chosen by --profile, GHOST_PROFILE or "use".
	_, _, code = ghost(bare, "", "config", "set", "--profile", "staging", "base-url", "http://staging.example")
	require.Equal(t, 0, code)
	stdout, _, _ = ghost(append(bare, "GHOST_PROFILE=staging"), "", "config", "show")
	assert.Contains(t, stdout, "profile      staging (from GHOST_PROFILE)")
	assert.Regexp(t, `base-url\s+http://staging.example\s+config profile "staging"`, stdout)
	_, _, code = ghost(bare, "", "config", "use", "staging")
	require.Equal(t, 0, code)
	stdout, _, _ = ghost(bare, "", "config", "show")
	assert.Contains(t, stdout, "profile      staging (from config file)")
	_, _, code = ghost(bare, "", "config", "unset", "--profile", "staging", "base-url")
	require.Equal(t, 0, code)
	b, _ := os.ReadFile(cfg)
	assert.NotContains(t, string(b), "staging.example")

	_, stderr, code := ghost(append(bare, "GHOST_PROFILE=nope"), "", "list", "customers")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no profile "nope" in the config file`)
	_, stderr, code = ghost(bare, "", "config", "set", "colour", "red")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no setting "colour"; the settings are: base-url, public-key, secret-key, komoju-base-url,`)
	require.NoError(t, os.WriteFile(cfg, []byte("profiles:\n  default:\n    colour: red\n"), 0o600))
	_, stderr, code = ghost(bare, "", "list", "customers")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `profile "default": unknown key "colour"`)
	stdout, _, _ = ghost(bare, "", "config", "path")
	assert.Equal(t, cfg+"\n", stdout)
	_ = env
}

func TestVersion(t *testing.T) {
	stdout, _, code := runGhost(t, "--version")
	require.Equal(t, 0, code)
	assert.Regexp(t, `^ghost (v\d+\.\d+\.\d+\S*|\(devel\))( \([0-9a-f]{12}(, modified)?\))?\n$`, stdout)
}

// examples are the example lines of every command's help.
func examples(t *testing.T) map[string][]string {
	out := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, l := range strings.Split(c.Example, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				require.True(t, strings.HasPrefix(l, "ghost "), "%s: %q", c.CommandPath(), l)
				out[c.CommandPath()] = append(out[c.CommandPath()], l)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(io.Discard, io.Discard, os.LookupEnv).root)
	return out
}

// runExamples runs example lines in order in one directory against one
// mock, as a shell would (with ghost on the PATH).
func runExamples(t *testing.T, name string, lines []string) {
	_, env := mockEnv(t)
	env = append(without(env, "PATH"), "PATH="+filepath.Dir(ghostBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := t.TempDir()
	for _, line := range lines {
		if strings.Contains(line, "export --resume") {
			writeCheckpoint(t, dir, line)
		}
		out, err := shell(dir, env, line)
		assert.NoError(t, err, "%s: %s\n%s", name, line, out)
	}
}

// writeCheckpoint gives an example that resumes an export a checkpoint to
// resume: an export of two windows, none done yet.
func writeCheckpoint(t *testing.T, dir, line string) {
	out := regexp.MustCompile(`--out (\S+)`).FindStringSubmatch(line)[1]
	if _, err := os.Stat(filepath.Join(dir, out+".checkpoint")); err == nil {
		return
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, out), nil, 0o644))
	cp := exportCheckpoint{Version: 1, Merchant: "ABC123", Type: "ORDERS", Format: "jsonl",
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, cp.save(filepath.Join(dir, out+".checkpoint")))
}

func TestEveryHelpExampleRuns(t *testing.T) {
	ex := examples(t)
	require.GreaterOrEqual(t, len(ex), 9, "root, export, resources, config and the five verbs have examples")
	for name, lines := range ex {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) { runExamples(t, name, lines) })
	}
}

// readmeSection is the README's "The `ghost` command" section.
func readmeSection(t *testing.T) string {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, "\n## The `ghost` command\n")
	require.GreaterOrEqual(t, i, 0)
	s = s[i+1:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	return s
}

// readmeCommand is a command line of the README and, in a transcript,
// the error it shows (its first "ghost: " line).
type readmeCommand struct{ line, shownError string }

// readmeCommands are the README section's ghost commands: in sh blocks the
// lines that start with "ghost ", in text blocks (transcripts) the "$ "
// lines that run ghost.
func readmeCommands(t *testing.T) []readmeCommand {
	var out []readmeCommand
	block := ""
	runsGhost := regexp.MustCompile(`^(\w+=\S* )*ghost `)
	for _, l := range strings.Split(readmeSection(t), "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			block = map[bool]string{true: strings.TrimPrefix(l, "```"), false: ""}[block == ""]
		case block == "sh" && strings.HasPrefix(l, "ghost "):
			l, _, _ = strings.Cut(l, "   #") // a comment after the command
			out = append(out, readmeCommand{line: strings.TrimSpace(l)})
		case block == "text" && strings.HasPrefix(l, "$ ") && runsGhost.MatchString(l[2:]):
			out = append(out, readmeCommand{line: l[2:]})
		case block == "text" && strings.HasPrefix(l, "$ "):
			out = append(out, readmeCommand{}) // another command: ends the transcript
		case block == "text" && len(out) > 0 && out[len(out)-1].line != "" && out[len(out)-1].shownError == "" &&
			strings.HasPrefix(l, "ghost: ") && !strings.HasPrefix(l, "ghost: using an in-process mock"):
			out[len(out)-1].shownError = l
		}
	}
	return slices.DeleteFunc(out, func(c readmeCommand) bool { return c.line == "" })
}

// Every command of the README's section runs against the mock: those whose
// transcript shows an error fail with that error, the others succeed.
func TestEveryREADMEExampleRuns(t *testing.T) {
	cmds := readmeCommands(t)
	require.GreaterOrEqual(t, len(cmds), 15, "the README's ghost section shows commands")
	require.True(t, slices.ContainsFunc(cmds, func(c readmeCommand) bool { return c.shownError != "" }), "and an error")
	_, env := mockEnv(t)
	env = append(without(env, "PATH"), "PATH="+filepath.Dir(ghostBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := t.TempDir()
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	for _, c := range cmds {
		if strings.Contains(c.line, "export --resume") {
			writeCheckpoint(t, dir, c.line)
		}
		out, err := shell(dir, env, c.line)
		if c.shownError == "" {
			assert.NoError(t, err, "%s\n%s", c.line, out)
			continue
		}
		assert.Error(t, err, c.line)
		assert.Contains(t, port.ReplaceAllString(out, "127.0.0.1:PORT"), port.ReplaceAllString(c.shownError, "127.0.0.1:PORT"), c.line)
	}
}

// The README shows "ghost --help" as it is.
func TestREADMEShowsTheHelp(t *testing.T) {
	stdout, _, code := runGhost(t, "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, readmeSection(t), "```text\n$ ghost --help\n"+stdout+"```", "README: paste the output of ghost --help")
}

func TestCompletion(t *testing.T) {
	stdout, _, code := runGhost(t, "completion", "bash")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "__start_ghost")
	stdout, _, code = runGhost(t, "__complete", "get", "")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "customers\n")
	assert.Contains(t, stdout, "spark-product_variants\n")
	assert.NotContains(t, stdout, "charges\n", "charges cannot be got")
	stdout, _, _ = runGhost(t, "__complete", "list", "--output", "")
	assert.Contains(t, stdout, "jsonl\n")
	stdout, _, _ = runGhost(t, "__complete", "config", "set", "")
	assert.Contains(t, stdout, "komoju-secret-key\t")
}

func TestResourcesTable(t *testing.T) {
	stdout, _, code := runGhost(t, "resources")
	require.Equal(t, 0, code)
	for _, want := range []string{
		`(?m)^customers\s+ghost\s+get,list,create,update,delete\s+CUSTOMER_ID$`,
		`(?m)^cards\s+ghost\s+get,create,delete\s+CUSTOMER_ID CARD_ID$`,
		`(?m)^analytics\s+checkout\s+get\s*$`,
		`(?m)^komoju-customers\s+komoju\s+get,list,create,update,delete\s+CUSTOMER_ID$`,
		`(?m)^spark-product_variants\s+spark\s+get,list,create,update,delete\s+ID$`,
		`(?m)^exports\s+exports\s+get,create\s+MERCHANT_ID EXPORT_ID$`,
	} {
		assert.Regexp(t, want, stdout)
	}
	stdout, _, code = runGhost(t, "resources", "spark-products")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "ghost list spark-products [--all]\n      parameters: page, count, expand, sort, fields, FIELD=[OP:]VALUE")
	assert.Contains(t, stdout, "ghost create spark-products\n      parameters: the resource's fields")
	stdout, _, _ = runGhost(t, "resources", "exports")
	assert.Contains(t, stdout, "ghost create exports MERCHANT_ID\n      parameters: type, startTime, endTime")
}
