package ghost_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDsAreEscapedIntoOneSegment(t *testing.T) {
	tests := []struct {
		id      ghost.ID
		rawPath string
	}{
		{"cus_1", "/api/v1/customers/cus_1"},
		{"../accounts/1", "/api/v1/customers/..%2Faccounts%2F1"},
		{"a/b", "/api/v1/customers/a%2Fb"},
		{"x?admin=1", "/api/v1/customers/x%3Fadmin=1"},
		{"x#frag", "/api/v1/customers/x%23frag"},
		{"100%", "/api/v1/customers/100%25"},
		{"with space", "/api/v1/customers/with%20space"},
		{"名前", "/api/v1/customers/%E5%90%8D%E5%89%8D"},
		{"%2e%2e", "/api/v1/customers/%252e%252e"},
	}
	for _, tt := range tests {
		t.Run(string(tt.id), func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{"doc":{"id":"x"}}`)}}
			c := newFakeClient(t, f)
			_, err := c.Customers.Get(t.Context(), tt.id)
			require.NoError(t, err)
			require.Equal(t, 1, f.count())
			r := f.reqs[0]
			assert.Equal(t, tt.rawPath, r.URL.EscapedPath())
			assert.Empty(t, r.URL.RawQuery)
			assert.Empty(t, r.URL.Fragment)
			assert.Equal(t, "/api/v1/customers/"+string(tt.id), r.URL.Path, "the id stays one segment")
		})
	}
}

func TestRedirectToAnotherHostDropsCredentials(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
				reply(status, ``, "Location", "https://evil.example/steal"),
				reply(200, `{"doc":{"id":1}}`),
			}}
			c := newFakeClient(t, f)
			_, err := c.Accounts.Get(t.Context(), "1")
			require.NoError(t, err)
			require.Equal(t, 2, f.count())
			assert.NotEmpty(t, f.reqs[0].Header.Get("Authorization"))
			foreign := f.reqs[1]
			assert.Equal(t, "evil.example", foreign.URL.Host)
			for _, h := range []string{"Authorization", "X-Api-Key", "X-Ac-Auth-Token", "Referer"} {
				assert.Empty(t, foreign.Header.Get(h), h)
			}
		})
	}
}

func TestRedirectOfPostToAnotherHostIsRefused(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
		reply(http.StatusTemporaryRedirect, ``, "Location", "https://evil.example/steal"),
		reply(200, `{"doc":{"id":1}}`),
	}}
	c := newFakeClient(t, f)
	_, err := c.Orders.Create(t.Context(), someOrder, ghost.WithIdempotencyKey("k1"))
	require.Error(t, err)
	assert.Equal(t, 1, f.count(), "nothing reaches the other host, and the refusal is not retried")
}

func TestRedirectOnSameHostKeepsCredentials(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
		reply(http.StatusMovedPermanently, ``, "Location", "https://api.ghost.test/api/v1/accounts/2"),
		reply(200, `{"doc":{"id":2}}`),
	}}
	c := newFakeClient(t, f)
	a, err := c.Accounts.Get(t.Context(), "1")
	require.NoError(t, err)
	assert.Equal(t, ghost.IntID(2), a.ID)
	assert.Equal(t, f.reqs[0].Header.Get("Authorization"), f.reqs[1].Header.Get("Authorization"))
}

func TestAuthSchemes(t *testing.T) {
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	tests := []struct {
		name   string
		call   func(c *ghost.Client) error
		header string
		want   string
	}{
		{"ghost basic", func(c *ghost.Client) error { _, err := c.Customers.Get(t.Context(), "1"); return err }, "Authorization", basic(testPublic, testSecret)},
		{"komoju basic", func(c *ghost.Client) error { _, err := c.Komoju.Customers.Get(t.Context(), "1"); return err }, "Authorization", basic(testSecret, "")},
		{"checkout api key", func(c *ghost.Client) error { _, err := c.Carts.Get(t.Context(), "1"); return err }, "X-Api-Key", testAPIKey},
		{"spark token", func(c *ghost.Client) error {
			_, err := c.Spark.Products.Get(t.Context(), "1", nil)
			return err
		}, "X-AC-Auth-Token", testToken},
		{"exports bearer", func(c *ghost.Client) error { _, err := c.Exports.Get(t.Context(), "M1", "E1"); return err }, "Authorization", "Bearer " + testBearer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{"id":"x"}`)}}
			c := newFakeClient(t, f)
			_ = tt.call(c)
			require.Equal(t, 1, f.count())
			assert.Equal(t, tt.want, f.reqs[0].Header.Get(tt.header))
			for _, h := range []string{"Authorization", "X-Api-Key", "X-AC-Auth-Token"} {
				if h != tt.header {
					assert.Empty(t, f.reqs[0].Header.Get(h), "only the part's own credential is sent")
				}
			}
		})
	}
}

func TestPerServiceEndpoint(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{"doc":{"id":1}}`)}}
	c := newFakeClient(t, f, ghost.WithServiceEndpoint(ghost.ServiceOrders, ghost.Endpoint{
		BaseURL:     "https://orders.internal.test/prefix/",
		Credentials: ghost.Credentials{PublicKey: "pk_orders", SecretKey: "sk_orders"},
	}))
	_, err := c.Orders.Get(t.Context(), "1")
	require.NoError(t, err)
	_, err = c.Accounts.Get(t.Context(), "1")
	require.NoError(t, err)
	require.Equal(t, 2, f.count())
	assert.Equal(t, "https://orders.internal.test/prefix/api/v1/orders/1", f.reqs[0].URL.String())
	u, p, _ := f.reqs[0].BasicAuth()
	assert.Equal(t, []string{"pk_orders", "sk_orders"}, []string{u, p})
	assert.Equal(t, "https://api.ghost.test/api/v1/accounts/1", f.reqs[1].URL.String())
	u, p, _ = f.reqs[1].BasicAuth()
	assert.Equal(t, []string{testPublic, testSecret}, []string{u, p})
}

func TestMissingCredentials(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200, `{}`)}}
	c, err := ghost.NewClient(ghost.WithBaseURL("https://api.ghost.test"), ghost.WithHTTPClient(&http.Client{Transport: f}))
	require.NoError(t, err)
	_, err = c.Accounts.Get(t.Context(), "1")
	require.ErrorIs(t, err, ghost.ErrUnauthorized)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, ghost.CodeMissingCredentials, ge.Code)
	assert.Zero(t, f.count())
}

func TestBaseURLChecks(t *testing.T) {
	tests := []struct {
		url  string
		opts []ghost.Option
		ok   bool
	}{
		{"https://api.example.com", nil, true},
		{"http://127.0.0.1:8080", nil, true},
		{"http://localhost:8080", nil, true},
		{"http://[::1]:8080", nil, true},
		{"http://api.example.com", nil, false},
		{"http://api.example.com", []ghost.Option{ghost.WithInsecureHTTP()}, true},
		{"ftp://api.example.com", nil, false},
		{"https://user:pass@api.example.com", nil, false},
		{"api.example.com", nil, false},
		{"https://api.example.com?x=1", nil, false},
	}
	for _, tt := range tests {
		_, err := ghost.NewClient(append([]ghost.Option{ghost.WithBaseURL(tt.url)}, tt.opts...)...)
		if tt.ok {
			assert.NoError(t, err, tt.url)
		} else {
			assert.Error(t, err, tt.url)
			if err != nil {
				assert.NotContains(t, err.Error(), "pass", "user info must not be echoed")
			}
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
		reply(401, `{"message":"Invalid credentials","status":401,"error":"Unauthorized"}`),
	}}
	c := newFakeClient(t, f, ghost.WithLogger(logger))
	_, err := c.Accounts.Get(t.Context(), "1")
	require.Error(t, err)
	creds := ghost.Credentials{PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey, AuthToken: testToken, BearerToken: testBearer}
	card := ghost.CardCreateParams{Number: "4242424242424242", CVC: "987", ExpMonth: "02", ExpYear: "2030"}
	logger.Info("values", "creds", creds, "card", card)
	captured := strings.Join([]string{
		err.Error(), fmt.Sprintf("%v|%+v|%#v", err, err, err),
		fmt.Sprintf("%v|%+v|%#v|%s|%v|%+v", c, c, c, c, *c, *c),
		fmt.Sprintf("%v|%+v|%#v", creds, creds, creds),
		fmt.Sprintf("%v|%+v|%#v", ghost.Endpoint{Credentials: creds}, ghost.Endpoint{Credentials: creds}, ghost.Endpoint{Credentials: creds}),
		fmt.Sprintf("%v|%+v|%#v", card, card, card),
		logs.String(),
	}, "\n")
	for _, s := range append(allSecrets, "4242424242424242") {
		assert.NotContains(t, captured, s)
	}
	// The CVC is only three digits, which timestamps can contain: look for it
	// in the card's own renderings.
	var cardLog struct {
		Card string `json:"card"`
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"values"`) {
			require.NoError(t, json.Unmarshal([]byte(line), &cardLog))
		}
	}
	require.NotEmpty(t, cardLog.Card)
	for _, r := range []string{cardLog.Card, fmt.Sprintf("%v|%+v|%#v", card, card, card)} {
		assert.NotContains(t, r, "987")
		assert.Contains(t, r, "4242", "the last four digits are kept")
	}
	assert.Contains(t, logs.String(), `"path":"/api/v1/accounts/1"`)
	assert.Contains(t, logs.String(), `"status":401`)
	assert.Contains(t, logs.String(), `"attempt":1`)
}

func TestOptionErrors(t *testing.T) {
	bad := []ghost.Option{
		ghost.WithTimeout(-1),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: -1}),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MinWait: 2, MaxWait: 1}),
		ghost.WithMaxResponseBytes(0),
		ghost.WithConnsPerHost(0),
		ghost.WithRateLimit(0, 1),
		ghost.WithHTTPClient(nil),
		ghost.WithEndpoint("nope", ghost.Endpoint{}),
		ghost.WithServiceEndpoint("nope", ghost.Endpoint{}),
		ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{BaseURL: "http://komoju.example.com"}),
		ghost.WithServiceEndpoint(ghost.ServiceOrders, ghost.Endpoint{BaseURL: "http://orders.example.com"}),
	}
	for i, o := range bad {
		_, err := ghost.NewClient(o)
		assert.Error(t, err, "option %d", i)
	}
}
