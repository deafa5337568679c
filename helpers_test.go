package ghost_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
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

// requireInvalid checks that err is a call refused before sending: an
// *Error of code invalid_params naming param, with no status, matching
// ErrValidation.
func requireInvalid(t *testing.T, err error, param string) {
	t.Helper()
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge, "%v", err)
	assert.Equal(t, ghost.CodeInvalidParams, ge.Code, "%v", err)
	assert.Equal(t, param, ge.Param, "%v", err)
	assert.Zero(t, ge.StatusCode)
	assert.ErrorIs(t, err, ghost.ErrValidation)
}

// newMockAt starts a mock of profile whose clock reads at.
func newMockAt(t *testing.T, profile ghosttest.Profile, at time.Time, opts ...ghosttest.Option) *ghosttest.Server {
	t.Helper()
	srv := ghosttest.NewServer(append([]ghosttest.Option{ghosttest.WithProfile(profile)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.Clock.Set(at)
	return srv
}

// assertJSONBody checks a recorded request's body: none when want is "",
// else JSON equal to want.
func assertJSONBody(t *testing.T, r ghosttest.RecordedRequest, want string) {
	t.Helper()
	if want == "" {
		assert.Empty(t, r.Body)
		return
	}
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.JSONEq(t, want, string(r.Body))
}

// requestHeader decodes a recorded Basic Authorization header.
type requestHeader struct{ h http.Header }

func (r *requestHeader) basic() (string, string, bool) {
	return (&http.Request{Header: r.h}).BasicAuth()
}

// rawPost sends body to the mock as plain curl would, past the SDK.
func rawPost(ctx context.Context, srv *ghosttest.Server, path, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(srv.Config.PublicKey, srv.Config.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}
