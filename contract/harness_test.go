package contract_test

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contract"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validator is the one Validator of the tests (loading the document takes
// a while; a Validator is safe for concurrent use).
var validator = sync.OnceValues(contract.New)

func mustValidator(t *testing.T) *contract.Validator {
	t.Helper()
	v, err := validator()
	require.NoError(t, err)
	return v
}

// ledger records every validated exchange of a test run.
type ledger struct {
	mu      sync.Mutex
	results []contract.Result
}

func (l *ledger) add(r contract.Result) {
	l.mu.Lock()
	l.results = append(l.results, r)
	l.mu.Unlock()
}

func (l *ledger) all() []contract.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]contract.Result(nil), l.results...)
}

// partOfProfile is the SDK part each mock profile's base URL serves.
var partOfProfile = map[ghosttest.Profile]ghost.Part{
	ghosttest.ProfileGhost: ghost.PartGhost, ghosttest.ProfileKomoju: ghost.PartKomoju,
	ghosttest.ProfileCheckout: ghost.PartCheckout, ghosttest.ProfileSpark: ghost.PartSpark,
	ghosttest.ProfileExports: ghost.PartExports,
}

// env is a mock server whose client validates every exchange.
type env struct {
	t      *testing.T
	srv    *ghosttest.Server
	v      *contract.Validator
	mounts contract.Mounts
	led    *ledger
	// client validates every request and response; bad is the same with
	// wrong credentials.
	client, bad *ghost.Client
}

func newEnv(t *testing.T, led *ledger, profile ghosttest.Profile, opts ...ghosttest.Option) *env {
	t.Helper()
	e := &env{t: t, v: mustValidator(t), led: led, mounts: contract.Mounts{}}
	// The profile last: a WithConfig among opts would reset it.
	e.srv = ghosttest.NewServer(append(opts, ghosttest.WithProfile(profile))...)
	t.Cleanup(e.srv.Close)
	for p, base := range e.srv.BaseURLs() {
		e.mounts[partOfProfile[p]] = base
	}
	mw := ghost.WithTransportMiddleware(e.v.Middleware(e.mounts, e.record))
	var err error
	e.client, err = ghost.NewClient(append(e.srv.ClientOptions(), mw, ghost.WithRetryPolicy(ghost.RetryPolicy{}))...)
	require.NoError(t, err)
	e.bad, err = ghost.NewClient(append(e.srv.ClientOptions(), mw, ghost.WithRetryPolicy(ghost.RetryPolicy{}),
		ghost.WithCredentials(ghost.Credentials{PublicKey: "pk_wrong", SecretKey: "sk_wrong", APIKey: "wrong", AuthToken: "wrong", BearerToken: "wrong"}))...)
	require.NoError(t, err)
	return e
}

// record keeps a result and fails the test on a violation, naming the
// operation and the field.
func (e *env) record(r contract.Result) {
	e.led.add(r)
	if r.Err != nil {
		e.t.Errorf("contract violation: %s", r)
	}
}

// rawResponse is a raw answer of the mock.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// raw sends a request to part past the SDK, with the part's credentials
// unless noAuth, validates the response against the document (and, when
// valid is set, the request too), and returns the answer.
func (e *env) raw(part ghost.Part, method, path, contentType, body string, valid bool, hdr ...string) rawResponse {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.mounts[part]+path, strings.NewReader(body))
	require.NoError(e.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	cfg := e.srv.Config
	switch part {
	case ghost.PartGhost:
		req.SetBasicAuth(cfg.PublicKey, cfg.SecretKey)
	case ghost.PartKomoju:
		req.SetBasicAuth(cfg.SecretKey, "")
	case ghost.PartCheckout:
		req.Header.Set("X-Api-Key", cfg.APIKey)
	case ghost.PartSpark:
		req.Header.Set("X-AC-Auth-Token", cfg.AuthToken)
	case ghost.PartExports:
		req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	if valid {
		if r := e.v.CheckRequest(e.t.Context(), e.mounts, part, req, []byte(body)); r.Err != nil {
			e.t.Errorf("the test's own request breaks the contract: %s", r)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	req.Body = io.NopCloser(bytes.NewReader([]byte(body)))
	e.record(e.v.CheckResponse(e.t.Context(), e.mounts, part, req, []byte(body), resp, data))
	return rawResponse{resp.StatusCode, resp.Header, data}
}

// exhaust spends a part's rate limit of n requests on GET path, then
// checks that the next request is refused with 429.
func (e *env) exhaust(part ghost.Part, path string, n int) {
	e.t.Helper()
	for range n {
		assert.Equal(e.t, http.StatusOK, e.raw(part, "GET", path, "", "", true).status)
	}
	assert.Equal(e.t, http.StatusTooManyRequests, e.raw(part, "GET", path, "", "", true).status)
}

// summary counts the answers of each operation by status.
func summary(results []contract.Result) map[string]map[int]int {
	out := map[string]map[int]int{}
	for _, r := range results {
		if r.OperationID == "" || r.Status == 0 {
			continue
		}
		if out[r.OperationID] == nil {
			out[r.OperationID] = map[int]int{}
		}
		out[r.OperationID][r.Status]++
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
