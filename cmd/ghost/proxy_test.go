package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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

// The credentials of the "production" upstream in these tests: long and
// unlike anything else, so that a scan for them means something.
var live = ghosttest.Config{
	PublicKey:   "pk_live_5f0c1e9ab27d4c8e",
	SecretKey:   "sk_live_93b7aa41c06e2d58f1",
	APIKey:      "ck_live_api_7e21c9f04b5a",
	AuthToken:   "ac_live_token_d1f84a27c3",
	BearerToken: "clover_live_bearer_6b93e0d5a8",
}

// The tour's card numbers and verification values.
const (
	tourCard       = "4242 4242 4242 4242"
	tourCVC        = "737"
	tourKomojuCard = "5555555555554444"
	tourKomojuCVC  = "9371"
)

var (
	validatorOnce sync.Once
	validator     *contract.Validator
	validatorErr  error
)

func testValidator(t *testing.T) *contract.Validator {
	t.Helper()
	validatorOnce.Do(func() { validator, validatorErr = contract.New() })
	require.NoError(t, validatorErr)
	return validator
}

// lockedBuffer is the proxy's log, read while it writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// upstreamsOf points every part at a mock's base URL with its credentials.
func upstreamsOf(t *testing.T, srv *ghosttest.Server) map[ghost.Part]*upstream {
	t.Helper()
	c := srv.Config
	creds := ghost.Credentials{PublicKey: c.PublicKey, SecretKey: c.SecretKey, APIKey: c.APIKey, AuthToken: c.AuthToken, BearerToken: c.BearerToken}
	ups := map[ghost.Part]*upstream{}
	for _, p := range parts {
		u, err := upstreamURL(srv.BaseURL(ghosttest.Profile(p)), false)
		require.NoError(t, err)
		ups[p] = &upstream{part: p, base: u, creds: creds}
	}
	return ups
}

type testProxy struct {
	*proxy
	URL string
	log *lockedBuffer
	srv *httptest.Server
}

// startProxy serves a proxy to ups on a loopback port for the test;
// recording into dir unless it is "".
func startProxy(t *testing.T, ups map[ghost.Part]*upstream, dir string) *testProxy {
	t.Helper()
	log := &lockedBuffer{}
	cfg := proxyConfig{upstreams: ups, validator: testValidator(t), cassette: "session", log: log, timeout: 10 * time.Second}
	if dir != "" {
		var err error
		cfg.recorder, err = ghosttest.NewCassetteRecorder(dir, ghosttest.NewRedactor(proxySecrets(ups)))
		require.NoError(t, err)
	}
	p := newProxy(cfg)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return &testProxy{proxy: p, URL: srv.URL, log: log, srv: srv}
}

// envOf parses export lines (the proxy's block) into NAME=value entries.
func envOf(block string) []string {
	var env []string
	for _, l := range strings.Split(block, "\n") {
		if kv, ok := strings.CutPrefix(l, "export "); ok {
			env = append(env, kv)
		}
	}
	return env
}

// clientFromEnv builds a client from an environment block, as the SDK's
// examples do, with a transport that fails every request to a host other
// than only: the proof that a run touches nothing else.
func clientFromEnv(t *testing.T, env []string, only string, opts ...ghost.Option) *ghost.Client {
	t.Helper()
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	endpoint := func(base string, c ghost.Credentials) ghost.Endpoint {
		return ghost.Endpoint{BaseURL: m[base], Credentials: c}
	}
	opts = append([]ghost.Option{
		ghost.WithEndpoint(ghost.PartGhost, endpoint("GHOST_BASE_URL", ghost.Credentials{PublicKey: m["GHOST_PUBLIC_KEY"], SecretKey: m["GHOST_SECRET_KEY"]})),
		ghost.WithEndpoint(ghost.PartKomoju, endpoint("GHOST_KOMOJU_BASE_URL", ghost.Credentials{SecretKey: m["GHOST_KOMOJU_SECRET_KEY"]})),
		ghost.WithEndpoint(ghost.PartCheckout, endpoint("GHOST_CHECKOUT_BASE_URL", ghost.Credentials{APIKey: m["GHOST_API_KEY"]})),
		ghost.WithEndpoint(ghost.PartSpark, endpoint("GHOST_SPARK_BASE_URL", ghost.Credentials{AuthToken: m["GHOST_AUTH_TOKEN"]})),
		ghost.WithEndpoint(ghost.PartExports, endpoint("GHOST_EXPORTS_BASE_URL", ghost.Credentials{BearerToken: m["GHOST_BEARER_TOKEN"]})),
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: 5 * time.Millisecond, MaxWait: 2 * time.Second}),
		ghost.WithTransportMiddleware(onlyHost(t, only)),
	}, opts...)
	c, err := ghost.NewClient(opts...)
	require.NoError(t, err)
	return c
}

// onlyHost fails (and reports) every request to another host than host.
func onlyHost(t *testing.T, host string) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			if r.URL.Host != host {
				t.Errorf("a request left for %s (only %s is allowed): %s %s", r.URL.Host, host, r.Method, r.URL.Path)
				return nil, fmt.Errorf("test transport: %s is not %s", r.URL.Host, host)
			}
			return next.RoundTrip(r)
		})
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}

// runTour is the README's tour (every part, exports included) and a
// little more: a card and a Komoju card by number, a customer read back by
// id, Spark paged one product at a time (next_page URLs). It returns what
// it saw.
func runTour(ctx context.Context, c *ghost.Client) ([]string, error) {
	var out []string
	cus, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "ada@example.com"})
	if err != nil {
		return out, err
	}
	got, err := c.Customers.Get(ctx, cus.ID)
	if err != nil {
		return out, err
	}
	card, err := c.Cards.Create(ctx, cus.ID, ghost.CardCreateParams{Number: tourCard, ExpMonth: "12", ExpYear: "2030", CVC: tourCVC})
	if err != nil {
		return out, err
	}
	order, err := c.Orders.Create(ctx, ghost.OrderCreateParams{
		Amount: 5000, CustomerID: cus.ID,
		OrderItems: []ghost.OrderItem{{Amount: 4000, Type: ghost.OrderItemTypeItem}, {Amount: 1000, Type: ghost.OrderItemTypeFee}},
	}, ghost.WithIdempotencyKey("order-for-invoice-42"))
	if err != nil {
		return out, err
	}
	out = append(out, fmt.Sprintf("ghost: %s %s %s %d", cus.ID, got.Email, card.Last4, order.Amount))

	kc, err := c.Komoju.Customers.Create(ctx, ghost.KomojuCustomerCreateParams{
		Email: "ada@example.com", Currency: "JPY", PaymentDetails: ghost.KomojuPaymentToken("tok_38e6c5838b91e5d4"),
	}, ghost.WithIdempotencyKey("komoju-ada"))
	if err != nil {
		return out, err
	}
	kh, err := c.Komoju.Customers.Create(ctx, ghost.KomojuCustomerCreateParams{
		Email: "bob@example.com", Currency: "JPY",
		PaymentDetails: ghost.KomojuPaymentHash(map[string]any{
			"type": "credit_card", "number": tourKomojuCard, "month": 12, "year": 2030, "verification_value": tourKomojuCVC,
		}),
	})
	if err != nil {
		return out, err
	}
	out = append(out, fmt.Sprintf("komoju: %s %s %s %s", kc.ID, kc.Source.Brand, kh.ID, kh.Source.LastFourDigits))

	price, err := ghost.ParseMoney("49.99")
	if err != nil {
		return out, err
	}
	cart, err := c.Carts.Create(ctx, ghost.CartCreateParams{CustomerEmail: "ada@example.com", Items: []ghost.CartItem{{Name: "Book", Quantity: 2, Price: price}}})
	if err != nil {
		return out, err
	}
	link, err := c.Carts.CreatePaymentLink(ctx, cart.ID)
	if err != nil {
		return out, err
	}
	out = append(out, fmt.Sprintf("checkout: %s %s %t", cart.ID, cart.TotalValue, link.URL != ""))

	// With the fields the contract requires on create (the README's tour
	// sends item_name alone, which the proxy reports as a violation).
	for i, name := range []string{"Hat", "Scarf"} {
		p := ghost.SparkProduct{ItemName: name, PrimaryCategoryID: "1", ProductStatusID: "1", Price: ghost.SparkDecimalFromCents(int64(1999 + i*1000))}
		if _, _, err := c.Spark.Products.Upsert(ctx, p); err != nil {
			return out, err
		}
	}
	var names []string
	for p, err := range c.Spark.Products.All(ctx, &ghost.SparkListParams{Count: 1}) {
		if err != nil {
			return out, err
		}
		names = append(names, p.ItemName)
	}
	out = append(out, "spark: "+strings.Join(names, ","))

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ex, err := c.Exports.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 30)})
	if err != nil {
		return out, err
	}
	ex, err = c.Exports.Wait(ctx, "MERCHANT1", ex.ID, ghost.WaitOptions{Interval: 20 * time.Millisecond})
	if err != nil {
		return out, err
	}
	n, last := 0, ""
	for o, err := range c.Exports.Orders(ctx, ex) {
		if err != nil {
			return out, err
		}
		n, last = n+1, string(o.ID)
	}
	out = append(out, fmt.Sprintf("exports: %s %s files=%d orders=%d last=%s", ex.ID, ex.Status, len(ex.ExportURLs), n, last))
	return out, nil
}

// fileHost serves the upstream's export files from another origin (as
// Clover's storage does), logging what it receives.
type fileHost struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newFileHost(t *testing.T, mock *ghosttest.Server) *fileHost {
	fh := &fileHost{}
	target, err := url.Parse(mock.URL)
	require.NoError(t, err)
	fh.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fh.mu.Lock()
		fh.seen = append(fh.seen, r.Clone(context.Background()))
		fh.mu.Unlock()
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
		r.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(fh.Close)
	mock.SetExportFileBase(fh.URL)
	return fh
}

func (fh *fileHost) requests() []*http.Request {
	fh.mu.Lock()
	defer fh.mu.Unlock()
	return append([]*http.Request(nil), fh.seen...)
}

// secretsIn lists the needles found in any file under dir.
func secretsIn(t *testing.T, dir string, needles []string) []string {
	t.Helper()
	var found []string
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found = append(found, fmt.Sprintf("%s in %s", n, filepath.Base(path)))
			}
		}
		return nil
	}))
	require.Positive(t, files, "nothing was recorded")
	return found
}

func TestRecordTourThenReplayItOffline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := live
	cfg.ExportDuration = 150 * time.Millisecond
	upstream, err := ghosttest.Start(ghosttest.WithConfig(cfg))
	require.NoError(t, err)
	defer upstream.Close()
	files := newFileHost(t, upstream)
	dir := t.TempDir()
	px := startProxy(t, upstreamsOf(t, upstream), dir)

	// Record: the client holds dummy credentials and reaches nothing but
	// the proxy.
	recEnv := envOf(proxyEnvBlock(px.URL))
	recorded, err := runTour(ctx, clientFromEnv(t, recEnv, hostOf(t, px.URL), ghosttest.RecordAs(ghosttest.CassetteName(t))))
	require.NoError(t, err, "%v\n%s", recorded, px.log.String())

	// The faithful upstream agrees with the contract.
	var vs struct {
		Checked    int         `json:"checked"`
		Violations []violation `json:"violations"`
	}
	getJSON(t, px.URL+violationsPath, &vs)
	assert.Greater(t, vs.Checked, 30)
	assert.Empty(t, vs.Violations, px.log.String())

	// The upstream saw the live credentials and never the dummy ones.
	dummy := []string{proxyDummy, basicAuth(proxyDummy, proxyDummy), basicAuth(proxyDummy, "")}
	reqs := upstream.Requests()
	require.NotEmpty(t, reqs)
	for _, rq := range reqs {
		for name, vals := range rq.Header {
			for _, v := range vals {
				for _, d := range dummy {
					assert.NotContains(t, v, d, "%s %s: %s", rq.Method, rq.Path, name)
				}
			}
		}
	}
	// The files' host got no credential, and signed URLs.
	var signatures []string
	require.NotEmpty(t, files.requests())
	for _, r := range files.requests() {
		for name := range r.Header {
			assert.False(t, ghosttest.CredentialHeader(name), "an export file request carried %s", name)
		}
		tok := r.URL.Query().Get("token")
		require.NotEmpty(t, tok, r.URL.String())
		signatures = append(signatures, tok)
	}

	// The cassette holds none of the test's secrets.
	secrets := []string{
		live.PublicKey, live.SecretKey, live.APIKey, live.AuthToken, live.BearerToken,
		basicAuth(live.PublicKey, live.SecretKey), basicAuth(live.SecretKey, ""),
		tourCard, strings.ReplaceAll(tourCard, " ", ""), tourKomojuCard,
		`"cvc": "` + tourCVC, `"verification_value": "` + tourKomojuCVC,
	}
	secrets = append(append(secrets, dummy...), signatures...)
	assert.Empty(t, secretsIn(t, dir, secrets))
	c, err := ghosttest.LoadCassette(ghosttest.CassettePath(dir, ghosttest.CassetteName(t)))
	require.NoError(t, err)
	assertTourCassette(t, c)

	// Replay with production gone: the proxy, the upstream and the files'
	// host are closed.
	px.srv.Close()
	upstream.Close()
	files.Close()
	for _, u := range []string{upstream.URL, files.URL, px.URL} {
		_, err := net.DialTimeout("tcp", hostOf(t, u), time.Second)
		require.Error(t, err, "%s is still up", u)
	}
	srv := ghosttest.Replay(t, dir)
	replayed, err := runTour(ctx, clientFromEnv(t, srv.Environ(), hostOf(t, srv.URL)))
	require.NoError(t, err, "%v\n%v", replayed, srv.ReplayMisses())
	assert.Equal(t, recorded, replayed)
	assert.Empty(t, srv.ReplayMisses())
	assert.Empty(t, srv.ReplayUnused(), "the replayed tour asks for every recorded exchange")
	assert.Len(t, srv.Requests(), len(c.Interactions), "each answer served once")
	// The replay's clock followed the recording.
	assert.Equal(t, c.Interactions[len(c.Interactions)-1].At, srv.Clock.Now())
}

// assertTourCassette checks what the recording holds: every part, the
// operations and templates, the redacted fields, the moved URLs.
func assertTourCassette(t *testing.T, c *ghosttest.Cassette) {
	t.Helper()
	partsSeen := map[ghost.Part]bool{}
	ops := map[string]ghosttest.Interaction{}
	for _, in := range c.Interactions {
		partsSeen[in.Part] = true
		if _, ok := ops[in.Operation]; !ok {
			ops[in.Operation] = in
		}
		for _, h := range []string{"Authorization", "X-Api-Key", "X-Ac-Auth-Token"} {
			if v := in.Request.Header.Get(h); v != "" {
				assert.Equal(t, ghosttest.Redacted, v, "#%d %s", in.Seq, h)
			}
		}
	}
	assert.Len(t, partsSeen, 5, "every part")
	for _, op := range []string{"Customers.Create", "Customers.Get", "Cards.Create", "Orders.Create", "Komoju.Customers.Create",
		"Carts.Create", "Carts.CreatePaymentLink", "Spark.Products.Upsert", "Spark.Products.List", "Exports.Create", "Exports.Get", "Exports.DownloadFile"} {
		assert.Contains(t, ops, op)
	}
	assert.Equal(t, "/api/v1/customers/{customerId}", ops["Customers.Get"].Request.Template)
	var card map[string]string
	require.NoError(t, json.Unmarshal(ops["Cards.Create"].Request.JSON, &card))
	assert.Equal(t, ghosttest.Redacted, card["number"])
	assert.Equal(t, ghosttest.Redacted, card["cvc"])
	assert.Equal(t, "12", card["expMonth"])
	// Spark's next_page and the export's files point at the cassette.
	var pages, fileURLs int
	for _, in := range c.Interactions {
		pages += strings.Count(string(in.Response.JSON), `"cassette://spark/api/v1/products?`)
		fileURLs += strings.Count(string(in.Response.JSON), `"cassette://files/`+c.Name+`/`)
		if in.Operation == "Exports.DownloadFile" {
			assert.True(t, strings.HasPrefix(in.Request.Path, ghosttest.CassetteFilesPath+c.Name+"/"), in.Request.Path)
			assert.Contains(t, in.Upstream, "?token="+ghosttest.Redacted)
		}
	}
	assert.Positive(t, pages)
	assert.Positive(t, fileURLs)
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
