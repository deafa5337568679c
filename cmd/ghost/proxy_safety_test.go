package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contract"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerLog is a test server that logs the headers of what it receives.
type headerLog struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]http.Header // by path
}

func newHeaderLog(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *headerLog {
	l := &headerLog{seen: map[string]http.Header{}}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.seen[r.URL.Path] = r.Header.Clone()
		l.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *headerLog) got(path string) (http.Header, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.seen[path]
	return h, ok
}

func proxyCall(t *testing.T, method, u, body string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// Each part gets its own real credential, in its own scheme; whatever
// the client sends as a credential stays in the proxy; cookies go neither
// way.
func TestProxyAddsEachPartsCredentialAndNoneOfTheClients(t *testing.T) {
	up := newHeaderLog(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "upstream-session"})
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	})
	ups := map[ghost.Part]*upstream{}
	creds := ghost.Credentials{PublicKey: live.PublicKey, SecretKey: live.SecretKey, APIKey: live.APIKey, AuthToken: live.AuthToken, BearerToken: live.BearerToken}
	for _, p := range parts {
		u, err := upstreamURL(up.URL+"/"+string(p)+"-upstream", false)
		require.NoError(t, err)
		ups[p] = &upstream{part: p, base: u, creds: creds}
	}
	px := startProxy(t, ups, "")
	want := map[ghost.Part][2]string{
		ghost.PartGhost:    {"Authorization", "Basic " + basicAuth(live.PublicKey, live.SecretKey)},
		ghost.PartKomoju:   {"Authorization", "Basic " + basicAuth(live.SecretKey, "")},
		ghost.PartCheckout: {"X-Api-Key", live.APIKey},
		ghost.PartSpark:    {"X-Ac-Auth-Token", live.AuthToken},
		ghost.PartExports:  {"Authorization", "Bearer " + live.BearerToken},
	}
	for _, p := range parts {
		status, hdr, _ := proxyCall(t, "GET", px.URL+"/"+string(p)+"/api/x?limit=1", "",
			"Authorization", "Bearer client-dummy", "X-Api-Key", "client-dummy", "X-AC-Auth-Token", "client-dummy",
			"Cookie", "a=b", "X-Session-Token", "client-dummy", "Idempotency-Key", "idem-1", ghosttest.CassetteHeader, "c1")
		require.Equal(t, 200, status, p)
		assert.Empty(t, hdr.Values("Set-Cookie"), "%s: the upstream's cookie stays in the proxy", p)
		got, ok := up.got("/" + string(p) + "-upstream/api/x")
		require.True(t, ok, p)
		for name, vals := range got {
			for _, v := range vals {
				assert.NotContains(t, v, "client-dummy", "%s: %s", p, name)
			}
		}
		assert.Equal(t, want[p][1], got.Get(want[p][0]), p)
		assert.Empty(t, got.Get("Cookie"), p)
		assert.Empty(t, got.Get(ghosttest.CassetteHeader), p)
		assert.Equal(t, "idem-1", got.Get("Idempotency-Key"), "%s: idempotency keys pass", p)
		n := 0
		for name := range got {
			if ghosttest.CredentialHeader(name) {
				n++
			}
		}
		assert.Equal(t, 1, n, "%s: exactly one credential header: %v", p, got)
	}
}

// Redirects: the proxy follows them for the client, adding credentials
// for the configured host only (302 and 307, GET); a POST is not sent on
// to another host (the client gets the 307).
func TestProxyRedirectsCarryNoCredentialsToAnotherHost(t *testing.T) {
	foreign := newHeaderLog(t, nil)
	up := newHeaderLog(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/302":
			http.Redirect(w, r, foreign.URL+"/landed-302", http.StatusFound)
		case "/api/307":
			http.Redirect(w, r, foreign.URL+"/landed-307", http.StatusTemporaryRedirect)
		case "/api/same":
			http.Redirect(w, r, "/api/landed-same", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true}`)
		}
	})
	u, err := upstreamURL(up.URL, false)
	require.NoError(t, err)
	ups := map[ghost.Part]*upstream{}
	for _, p := range parts {
		ups[p] = &upstream{part: p, base: u, creds: ghost.Credentials{PublicKey: live.PublicKey, SecretKey: live.SecretKey,
			APIKey: live.APIKey, AuthToken: live.AuthToken, BearerToken: live.BearerToken}}
	}
	px := startProxy(t, ups, "")
	for _, p := range parts {
		for _, code := range []string{"302", "307"} {
			status, _, body := proxyCall(t, "GET", px.URL+"/"+string(p)+"/api/"+code, "")
			require.Equal(t, 200, status, "%s %s: %s", p, code, body)
			got, ok := foreign.got("/landed-" + code)
			require.True(t, ok)
			for name := range got {
				assert.False(t, ghosttest.CredentialHeader(name), "%s %s: %s reached another host", p, code, name)
			}
			assert.Empty(t, got.Get("Referer"))
		}
		// The same host keeps them.
		status, _, _ := proxyCall(t, "GET", px.URL+"/"+string(p)+"/api/same", "")
		require.Equal(t, 200, status)
		got, _ := up.got("/api/landed-same")
		assert.NotEmpty(t, got.Get(credentialHeaderOf[p]), p)
	}
	foreign.mu.Lock()
	delete(foreign.seen, "/landed-307")
	foreign.mu.Unlock()
	status, hdr, _ := proxyCall(t, "POST", px.URL+"/checkout/api/307", `{"secret":"body"}`, "Content-Type", "application/json")
	assert.Equal(t, http.StatusTemporaryRedirect, status)
	assert.Equal(t, foreign.URL+"/landed-307", hdr.Get("Location"))
	_, ok := foreign.got("/landed-307")
	assert.False(t, ok, "the POST was not sent to another host")
}

// credentialHeaderOf is the header each part's credential travels in.
var credentialHeaderOf = map[ghost.Part]string{
	ghost.PartGhost: "Authorization", ghost.PartKomoju: "Authorization", ghost.PartCheckout: "X-Api-Key",
	ghost.PartSpark: "X-Ac-Auth-Token", ghost.PartExports: "Authorization",
}

// A part without a base URL, an unknown prefix, an unlisted file: the
// proxy says so, in the shape the SDK reads.
func TestProxyRefusesWhatItCannotForward(t *testing.T) {
	up := newHeaderLog(t, nil)
	u, err := upstreamURL(up.URL, false)
	require.NoError(t, err)
	ups := map[ghost.Part]*upstream{ghost.PartGhost: {part: ghost.PartGhost, base: u}}
	for _, p := range parts[1:] {
		ups[p] = &upstream{part: p, missing: "no base URL for the " + partTitle(p) + " part: set --" + string(p) + "-base-url or " + envName(string(p)+"-base-url")}
	}
	px := startProxy(t, ups, "")
	for _, tc := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/spark/api/v1/products", 502, "ghost proxy: no base URL for the Spark API part: set --spark-base-url or GHOST_SPARK_BASE_URL"},
		{"GET", "/stripe/v1/charges", 404, "the proxy serves each part under its own prefix"},
		{"GET", "/__cassette/files/session/1", 404, "is not an export file this proxy listed"},
		{"GET", "/__ghost/nothing", 404, "is not a proxy endpoint"},
		{"PUT", "/__ghost/violations", 405, "PUT is not allowed"},
	} {
		status, hdr, body := proxyCall(t, tc.method, px.URL+tc.path, "")
		assert.Equal(t, tc.status, status, tc.path)
		assert.Equal(t, "error", hdr.Get("X-Ghost-Proxy"), tc.path)
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(body), &e))
		assert.Contains(t, e.Message, tc.want, tc.path)
	}
	status, _, body := proxyCall(t, "GET", px.URL+"/ghost/api/v1/accounts/1", "", ghosttest.CassetteHeader, "../etc")
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `X-Ghost-Cassette \"../etc\"`)

	// The SDK reads the proxy's error as an API error.
	c := clientFromEnv(t, envOf(proxyEnvBlock(px.URL)), hostOf(t, px.URL))
	_, err = c.Spark.Products.Get(context.Background(), "1", nil)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, 502, ge.StatusCode)
	assert.Contains(t, ge.Message, "GHOST_SPARK_BASE_URL")
}

// An upstream whose Ghost customers call their email "emailAddress", as a
// drifted production might: the proxy lists the response violations, one
// per field, and a request the contract forbids too.
func TestProxyListsWhereTheUpstreamLeavesTheContract(t *testing.T) {
	mock, err := ghosttest.Start(ghosttest.WithConfig(live))
	require.NoError(t, err)
	defer mock.Close()
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		mock.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if strings.HasPrefix(r.URL.Path, "/api/v1/customers") {
			body = []byte(strings.ReplaceAll(string(body), `"email":`, `"emailAddress":`))
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	defer wrong.Close()
	ups := upstreamsOf(t, mock)
	u, err := upstreamURL(wrong.URL, false)
	require.NoError(t, err)
	ups[ghost.PartGhost].base = u
	px := startProxy(t, ups, "")
	c := clientFromEnv(t, envOf(proxyEnvBlock(px.URL)), hostOf(t, px.URL))
	ctx := context.Background()
	cus, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "ada@example.com"})
	require.NoError(t, err, "the SDK does not notice")
	assert.Empty(t, cus.Email)
	_, err = c.Customers.Get(ctx, cus.ID)
	require.NoError(t, err)
	_, err = c.Carts.List(ctx, nil) // another part, faithful
	require.NoError(t, err)
	// A request the contract forbids: an order item of an unknown type.
	status, _, _ := proxyCall(t, "POST", px.URL+"/ghost/api/v1/orders",
		`{"amount":100,"orderItems":[{"amount":100,"type":"gift"}]}`, "Content-Type", "application/json")
	assert.Equal(t, 400, status, "the upstream refuses it too")

	var got struct {
		Checked    int         `json:"checked"`
		Violations []violation `json:"violations"`
	}
	getJSON(t, px.URL+violationsPath, &got)
	assert.Equal(t, 8, got.Checked, "each of the 4 exchanges: its request and its response")
	type key struct{ op, in, field string }
	var keys []key
	for _, v := range got.Violations {
		keys = append(keys, key{v.Operation, v.In, v.Field})
		assert.Equal(t, ghost.PartGhost, v.Part)
	}
	assert.Equal(t, []key{
		{"Customers.Create", "response", "/doc/email"},
		{"Customers.Get", "response", "/doc/email"},
		{"Orders.Create", "request", "/orderItems/0/type"},
	}, keys)
	for _, v := range got.Violations {
		if v.In == "response" {
			assert.Equal(t, `property "email" is missing`, v.Message)
			assert.True(t, strings.HasPrefix(v.Path, "/api/v1/customers"), "the API's path: %s", v.Path)
		}
	}
	// One log line each, naming the operation and the field.
	lines := strings.Split(strings.TrimSpace(px.log.String()), "\n")
	assert.Len(t, lines, len(got.Violations))
	assert.Contains(t, lines, `ghost proxy: violation: Customers.Create POST /api/v1/customers → 201 response /doc/email: property "email" is missing`)

	// DELETE clears the list.
	status, _, _ = proxyCall(t, "DELETE", px.URL+violationsPath, "")
	assert.Equal(t, http.StatusNoContent, status)
	getJSON(t, px.URL+violationsPath, &got)
	assert.Empty(t, got.Violations)
}

// The violations of one exchange come from the contract in one error;
// each becomes its own line with its field.
func TestViolationsSplitByField(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		err  string
		want [][2]string // field, message
	}{
		{`response: field /doc: property "email" is missing; response header "X-AC-Call-Limit" missing`,
			[][2]string{{"/doc", `property "email" is missing`}, {"header X-AC-Call-Limit", `response header "X-AC-Call-Limit" missing`}}},
		{`request: parameter "limit" in query: number must be at most 100; body: doesn't match schema #/x: field /: doesn't match`,
			[][2]string{{"query limit", "number must be at most 100"}, {"/", "body: doesn't match schema #/x: doesn't match"}}},
		{`request: security requirements failed: no basic Authorization header`, [][2]string{{"security", "security requirements failed: no basic Authorization header"}}},
	} {
		res := contract.Result{Part: ghost.PartGhost, OperationID: "Customers.Get", Method: "GET", Path: "/ghost/api/v1/customers/c1", Status: 200, Err: errors.New(tc.err)}
		vs := violations(res, "response", at)
		require.Len(t, vs, len(tc.want), tc.err)
		for i, w := range tc.want {
			assert.Equal(t, w[0], vs[i].Field, tc.err)
			assert.Equal(t, w[1], vs[i].Message, tc.err)
		}
	}
}
