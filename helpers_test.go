package ghost_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/require"
)

// Test credentials; tests that check for leaks scan for these.
const (
	testPublic = "pk_live_PUBLIC_SENTINEL"
	testSecret = "sk_live_SECRET_SENTINEL"
	testAPIKey = "APIKEY_SENTINEL"
	testToken  = "AUTHTOKEN_SENTINEL"
	testBearer = "BEARER_SENTINEL"
)

var allSecrets = []string{testPublic, testSecret, testAPIKey, testToken, testBearer}

// fakeAPI is an in-memory RoundTripper: each request is recorded and
// answered by the next scripted reply (the last one repeats).
type fakeAPI struct {
	mu      sync.Mutex
	replies []func(*http.Request) (*http.Response, error)
	reqs    []*http.Request
	bodies  [][]byte
}

func (f *fakeAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.bodies = append(f.bodies, body)
	i := len(f.reqs) - 1
	if i >= len(f.replies) {
		i = len(f.replies) - 1
	}
	reply := f.replies[i]
	f.mu.Unlock()
	return reply(r)
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// reply returns a scripted reply with a status, body and header pairs.
func reply(status int, body string, header ...string) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		h := make(http.Header)
		h.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return &http.Response{
			StatusCode:    status,
			Status:        strconv.Itoa(status) + " " + http.StatusText(status),
			Header:        h,
			Body:          io.NopCloser(bytes.NewReader([]byte(body))),
			ContentLength: int64(len(body)),
			Request:       r,
		}, nil
	}
}

func failWith(err error) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) { return nil, err }
}

// newFakeClient returns a client whose requests go to f, with every credential set.
func newFakeClient(t *testing.T, f *fakeAPI, opts ...ghost.Option) *ghost.Client {
	t.Helper()
	base := []ghost.Option{
		ghost.WithBaseURL("https://api.ghost.test"),
		ghost.WithHTTPClient(&http.Client{Transport: f}),
		ghost.WithCredentials(ghost.Credentials{
			PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey,
			AuthToken: testToken, BearerToken: testBearer,
		}),
	}
	c, err := ghost.NewClient(append(base, opts...)...)
	require.NoError(t, err)
	return c
}
