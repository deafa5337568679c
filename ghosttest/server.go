// Package ghosttest provides an in-memory mock of the Ghost API for tests, in
// the spirit of net/http/httptest: New(t) starts it on a loopback port for a
// test (and fails the test on requests it does not model), NewServer for
// other uses; the server comes with a *ghost.Client already pointed at it.
//
// The mock is an independent implementation of the API's documented
// contracts (the five source documents), not a mirror of what the SDK sends:
// it answers plain curl the way the documents show, enforces auth, validation,
// status codes, envelopes and error shapes, keeps state (create then get
// returns it), hands out deterministic ids, records every request it receives
// and can inject faults.
package ghosttest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

// Profile selects which part of the API the mock emulates.
type Profile string

// The profiles, named like the SDK's parts (ghost.Part). ProfileAll serves
// every part at once: Ghost, Checkout and Exports at the server's URL,
// Komoju under KomojuPrefix and Spark under SparkPrefix (their customers and
// orders collide with Ghost's); the Spark resources Ghost does not define
// (products, categories, variants) are also served at the root.
// Server.BaseURLs names each part's base URL.
const (
	ProfileAll      Profile = "all"
	ProfileGhost    Profile = "ghost"
	ProfileKomoju   Profile = "komoju"
	ProfileCheckout Profile = "checkout"
	ProfileSpark    Profile = "spark"
	ProfileExports  Profile = "exports"

	// ProfileSparkPay is ProfileSpark under its name before v0.3.
	//
	// Deprecated: use ProfileSpark. The profile name "sparkpay" is still
	// accepted (ParseProfile, Config.Profile).
	ProfileSparkPay = ProfileSpark
	// ProfileClover is ProfileExports under its name before v0.3.
	//
	// Deprecated: use ProfileExports. The profile name "clover" is still
	// accepted (ParseProfile, Config.Profile).
	ProfileClover = ProfileExports
)

// Profiles lists every profile.
var Profiles = []Profile{ProfileAll, ProfileGhost, ProfileKomoju, ProfileCheckout, ProfileSpark, ProfileExports}

// profileAliases are the profile names before v0.3, still accepted.
var profileAliases = map[Profile]Profile{"sparkpay": ProfileSpark, "clover": ProfileExports}

// ParseProfile returns the profile a name stands for: one of Profiles, or an
// old name still accepted ("sparkpay" for ProfileSpark, "clover" for
// ProfileExports).
func ParseProfile(name string) (Profile, error) {
	p := Profile(name)
	if alias, ok := profileAliases[p]; ok {
		p = alias
	}
	if !slices.Contains(Profiles, p) {
		return "", fmt.Errorf("unknown profile %q (want one of %v)", name, Profiles)
	}
	return p, nil
}

// The credentials the mock accepts unless configured otherwise.
const (
	DefaultPublicKey   = "pk_test_ghost"
	DefaultSecretKey   = "sk_test_ghost"
	DefaultAPIKey      = "test_api_key"
	DefaultAuthToken   = "test_auth_token"
	DefaultBearerToken = "test_bearer_token"
)

// DefaultExportDuration is how long an export takes to reach DONE unless
// configured otherwise, in the library and in cmd/ghost-mock alike: long
// enough that a client polling every 100 ms sees PENDING, then IN_PROGRESS.
// Tests drive it with the mock's clock (Clock.Advance, POST /__ghost/clock)
// instead of waiting.
const DefaultExportDuration = 2 * time.Second

// Config is the mock's configuration; Options change it.
type Config struct {
	Profile     Profile
	Addr        string // listen address; default 127.0.0.1:0 (a free port)
	PublicKey   string
	SecretKey   string
	APIKey      string
	AuthToken   string
	BearerToken string
	Seed        int // objects preloaded per resource

	// CheckoutRateLimit is the Checkout API's limit of requests per minute per
	// client (default 100, as documented; negative turns it off).
	CheckoutRateLimit int
	// CheckoutRateWindow is the sliding window CheckoutRateLimit counts over
	// (default a minute). Shorten both to scale the limit for a test that runs
	// in real time: 20 per second is 1,200 per minute.
	CheckoutRateWindow time.Duration
	// SparkCallLimit is the Spark store's call limit per 10-second window
	// (SparkCallWindow), advertised in X-AC-Call-Limit on every Spark
	// response; a call over it is answered 429 with Retry-After. 0 (or less)
	// means DefaultSparkCallLimit: the limit is never 0.
	SparkCallLimit int
	// ExportConcurrency is how many exports may run at once (default 2).
	ExportConcurrency int
	// ExportHours, when set, is the daily UTC window the export service is open
	// in, e.g. [10, 15) for 10:00–15:00; default always open.
	ExportHours *[2]int
	// ExportDuration is how long an export takes from PENDING to DONE on the
	// mock's clock (default DefaultExportDuration).
	ExportDuration time.Duration
	// Control turns on the control API under ControlPrefix (/__ghost/):
	// the request log, faults, reset and the clock over plain HTTP.
	Control bool
	// StripeWebhookSecret, when set, is the secret the Checkout part checks
	// the Stripe-Signature header of POST /api/webhooks/stripe with.
	StripeWebhookSecret string

	clientOptions []ghost.Option
	replay        *replaySet // WithReplay: answer from cassettes (replay.go)
}

// Option configures the mock.
type Option func(*Config)

// WithProfile selects the part of the API to emulate (default ProfileAll).
func WithProfile(p Profile) Option { return func(c *Config) { c.Profile = p } }

// WithAddr sets the listen address (default 127.0.0.1:0).
func WithAddr(addr string) Option { return func(c *Config) { c.Addr = addr } }

// WithKeys sets the public and secret keys accepted by Basic auth.
func WithKeys(publicKey, secretKey string) Option {
	return func(c *Config) { c.PublicKey, c.SecretKey = publicKey, secretKey }
}

// WithAPIKey sets the Checkout x-api-key accepted.
func WithAPIKey(k string) Option { return func(c *Config) { c.APIKey = k } }

// WithAuthToken sets the Spark X-AC-Auth-Token accepted.
func WithAuthToken(t string) Option { return func(c *Config) { c.AuthToken = t } }

// WithBearerToken sets the Exports bearer token accepted.
func WithBearerToken(t string) Option { return func(c *Config) { c.BearerToken = t } }

// WithSeed preloads n objects per resource.
func WithSeed(n int) Option { return func(c *Config) { c.Seed = n } }

// WithControl turns on the control API under /__ghost/ (see Config.Control).
func WithControl() Option { return func(c *Config) { c.Control = true } }

// WithStripeWebhookSecret makes POST /api/webhooks/stripe require a valid
// Stripe-Signature made with secret (see Server.SendStripeEvent).
func WithStripeWebhookSecret(secret string) Option {
	return func(c *Config) { c.StripeWebhookSecret = secret }
}

// WithConfig replaces the whole configuration (zero fields take defaults).
func WithConfig(cfg Config) Option {
	return func(c *Config) {
		opts, rp := c.clientOptions, c.replay
		*c = cfg
		c.clientOptions = append(opts, cfg.clientOptions...)
		if c.replay == nil {
			c.replay = rp
		}
	}
}

// WithClientOptions adds options to the *ghost.Client the server returns.
func WithClientOptions(opts ...ghost.Option) Option {
	return func(c *Config) { c.clientOptions = append(c.clientOptions, opts...) }
}

// Server is a running mock. Its Client talks to it with valid credentials.
type Server struct {
	URL    string        // base URL, http://127.0.0.1:PORT
	Client *ghost.Client // a client pointed at the server
	Config Config        // the configuration in force
	Clock  *Clock        // the mock's clock; tests may freeze and advance it

	hs *httptest.Server
	st atomic.Pointer[state]

	idem idemStore

	mu  sync.Mutex
	log []*RecordedRequest
	// forgotten are requests dropped from the log (ResetRequests, Reset,
	// the control API) that New must still check: answered with an
	// unexpected status, or not answered yet when dropped.
	forgotten []*RecordedRequest
	faults    []*Fault
	ids       map[string]int
	// exportFileBase is scheme://host[/prefix] of export file URLs; ""
	// means the request's host.
	exportFileBase string
}

// part is one part of the API (ghost, komoju, checkout, and Spark and
// Exports, registered as "sparkpay" and "clover").
type part interface {
	routes(mux *http.ServeMux)
	seed(n int)
	// writeError answers status with msg in the part's own error shape.
	writeError(w http.ResponseWriter, status int, msg string)
}

type partFactory struct {
	name     string
	profiles []Profile
	new      func(s *Server) part
}

var partFactories []partFactory

// registerPart makes a part available to the profiles it belongs to. Part
// files call it from init.
func registerPart(name string, profiles []Profile, f func(s *Server) part) {
	partFactories = append(partFactories, partFactory{name, profiles, f})
	sort.Slice(partFactories, func(i, j int) bool { return partFactories[i].name < partFactories[j].name })
}

func (c *Config) defaults() {
	if c.Profile == "" {
		c.Profile = ProfileAll
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.PublicKey, DefaultPublicKey)
	def(&c.SecretKey, DefaultSecretKey)
	def(&c.APIKey, DefaultAPIKey)
	def(&c.AuthToken, DefaultAuthToken)
	def(&c.BearerToken, DefaultBearerToken)
	if c.CheckoutRateLimit == 0 {
		c.CheckoutRateLimit = 100
	}
	if c.ExportConcurrency == 0 {
		c.ExportConcurrency = 2
	}
	if c.ExportDuration == 0 {
		c.ExportDuration = DefaultExportDuration
	}
}

// NewServer starts a mock server. Close it when done. It panics if the
// profile is unknown or the address cannot be listened on, as
// httptest.NewServer does; use Start for an error instead.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic("ghosttest: " + err.Error())
	}
	return s
}

// Start starts a mock server, or says why it cannot.
func Start(opts ...Option) (*Server, error) {
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	cfg.defaults()
	profile, err := ParseProfile(string(cfg.Profile))
	if err != nil {
		return nil, err
	}
	cfg.Profile = profile
	s := &Server{Config: cfg, Clock: newClock(), ids: make(map[string]int)}
	s.st.Store(s.build())
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.hs = httptest.NewUnstartedServer(s)
	s.hs.Listener.Close()
	s.hs.Listener = ln
	s.hs.Start()
	s.URL = s.hs.URL

	copts := append(s.ClientOptions(),
		// Tests should not wait long for retries.
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: 5 * time.Millisecond, MaxWait: 2 * time.Second}))
	copts = append(copts, cfg.clientOptions...)
	c, err := ghost.NewClient(copts...)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Client = c
	return s, nil
}

// ClientOptions are the options that point a ghost.Client at every part
// the server serves, each at its own base URL, with the credentials the
// server accepts. Server.Client is built with them (and a fast retry
// policy); add your own to build another client:
//
//	c, err := ghost.NewClient(append(srv.ClientOptions(), ghost.WithTimeout(time.Second))...)
func (s *Server) ClientOptions() []ghost.Option {
	cfg := s.Config
	opts := []ghost.Option{
		ghost.WithBaseURL(s.URL),
		ghost.WithCredentials(ghost.Credentials{
			PublicKey: cfg.PublicKey, SecretKey: cfg.SecretKey, APIKey: cfg.APIKey,
			AuthToken: cfg.AuthToken, BearerToken: cfg.BearerToken,
		}),
	}
	// Under the all profile Komoju and Spark sit under their own prefixes.
	for profile, base := range s.BaseURLs() {
		if part, ok := partOfProfile[profile]; ok {
			opts = append(opts, ghost.WithEndpoint(part, ghost.Endpoint{BaseURL: base}))
		}
	}
	return opts
}

// Environ is the environment that points the ghost command (cmd/ghost) and
// the SDK's examples at the server, as NAME=value entries: GHOST_BASE_URL
// (the server's URL, which every part defaults to), then for each part the
// server serves, in the order of Profiles, its own base URL and the
// credentials the server accepts for it:
//
//	ghost     GHOST_PUBLIC_KEY, GHOST_SECRET_KEY (its base URL is GHOST_BASE_URL)
//	komoju    GHOST_KOMOJU_BASE_URL, GHOST_KOMOJU_SECRET_KEY
//	checkout  GHOST_CHECKOUT_BASE_URL, GHOST_API_KEY
//	spark     GHOST_SPARK_BASE_URL, GHOST_AUTH_TOKEN
//	exports   GHOST_EXPORTS_BASE_URL, GHOST_BEARER_TOKEN
//
// cmd/ghost-mock prints it on start.
func (s *Server) Environ() []string {
	c, urls := s.Config, s.BaseURLs()
	env := []string{"GHOST_BASE_URL=" + s.URL}
	for _, pe := range []struct {
		profile Profile
		vars    []string // NAME, value, …
	}{
		{ProfileGhost, []string{"GHOST_PUBLIC_KEY", c.PublicKey, "GHOST_SECRET_KEY", c.SecretKey}},
		{ProfileKomoju, []string{"GHOST_KOMOJU_BASE_URL", urls[ProfileKomoju], "GHOST_KOMOJU_SECRET_KEY", c.SecretKey}},
		{ProfileCheckout, []string{"GHOST_CHECKOUT_BASE_URL", urls[ProfileCheckout], "GHOST_API_KEY", c.APIKey}},
		{ProfileSpark, []string{"GHOST_SPARK_BASE_URL", urls[ProfileSpark], "GHOST_AUTH_TOKEN", c.AuthToken}},
		{ProfileExports, []string{"GHOST_EXPORTS_BASE_URL", urls[ProfileExports], "GHOST_BEARER_TOKEN", c.BearerToken}},
	} {
		if _, ok := urls[pe.profile]; !ok {
			continue
		}
		for i := 0; i < len(pe.vars); i += 2 {
			env = append(env, pe.vars[i]+"="+pe.vars[i+1])
		}
	}
	return env
}

// partOfProfile is the SDK part each single-part profile emulates.
var partOfProfile = map[Profile]ghost.Part{
	ProfileGhost:    ghost.PartGhost,
	ProfileKomoju:   ghost.PartKomoju,
	ProfileCheckout: ghost.PartCheckout,
	ProfileSparkPay: ghost.PartSpark,
	ProfileClover:   ghost.PartExports,
}

// Close shuts the server down.
func (s *Server) Close() { s.hs.Close() }

// RecordedRequest is a request the mock received.
type RecordedRequest struct {
	Method   string
	Path     string // escaped path
	RawQuery string
	Header   http.Header
	Body     []byte
	Time     time.Time // on the mock's clock
	// Status is the status the mock answered (0 while the request is
	// being served, or when a fault dropped the connection).
	Status int
	// Injected reports that a fault injected the answer.
	Injected bool
	// Expected reports a 5xx the configuration asked for (the export
	// service's hours or concurrency limit), which New does not report.
	Expected bool
}

// Requests returns a copy of every request received so far, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.log))
	for i, r := range s.log {
		out[i] = *r
	}
	return out
}

// LastRequest returns the most recent request received.
func (s *Server) LastRequest() (RecordedRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) == 0 {
		return RecordedRequest{}, false
	}
	return *s.log[len(s.log)-1], true
}

// ResetRequests forgets the requests received so far. (A server started
// with New still reports, when the test ends, the unexpected answers among
// them.)
func (s *Server) ResetRequests() {
	s.mu.Lock()
	for _, r := range s.log {
		if r.Status == 0 || unexpectedStatus(*r) {
			s.forgotten = append(s.forgotten, r)
		}
	}
	s.log = nil
	s.mu.Unlock()
}

// unexpectedAnswers returns the requests answered 501 or with a 5xx nobody
// asked for, forgotten or still in the log.
func (s *Server) unexpectedAnswers() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RecordedRequest
	for _, r := range append(slices.Clip(s.forgotten), s.log...) {
		if unexpectedStatus(*r) {
			out = append(out, *r)
		}
	}
	return out
}

// nextID returns the next deterministic id for a prefix: prefix + "_" + a
// counter padded to 6 digits ("cus_000001"). (Integer ids: nextInt.)
func (s *Server) nextID(prefix string) string {
	s.mu.Lock()
	s.ids[prefix]++
	n := s.ids[prefix]
	s.mu.Unlock()
	return fmt.Sprintf("%s_%06d", prefix, n)
}

// nextInt returns the next deterministic integer id for a sequence name.
func (s *Server) nextInt(seq string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids["#"+seq]++
	return s.ids["#"+seq]
}

func notModelled(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotImplemented, map[string]any{
		"message": fmt.Sprintf("ghost-mock: %s %s is not modelled by this profile", r.Method, r.URL.Path),
		"status":  http.StatusNotImplemented,
		"error":   "Not Implemented",
	})
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"message":"ghost-mock: encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// Clock is the mock's clock. It follows real time until Freeze or Set, after
// which it moves only with Advance.
type Clock struct {
	mu     sync.Mutex
	frozen bool
	at     time.Time
	offset time.Duration
}

func newClock() *Clock { return &Clock{} }

// Now returns the mock's current time (UTC).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at
	}
	return time.Now().Add(c.offset).UTC()
}

// Set freezes the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.frozen, c.at = true, t.UTC()
	c.mu.Unlock()
}

// Freeze stops the clock at the current time.
func (c *Clock) Freeze() { c.Set(c.Now()) }

// Advance moves the clock forward by d (frozen or not).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	if c.frozen {
		c.at = c.at.Add(d)
	} else {
		c.offset += d
	}
	c.mu.Unlock()
}

// Resume lets the clock run again from its current time.
func (c *Clock) Resume() {
	c.mu.Lock()
	if c.frozen {
		c.frozen, c.offset = false, time.Until(c.at)
	}
	c.mu.Unlock()
}

// state is the clock's time and whether it is frozen.
func (c *Clock) state() (time.Time, bool) {
	now := c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	return now, c.frozen
}

// reset makes the clock follow real time again.
func (c *Clock) reset() {
	c.mu.Lock()
	c.frozen, c.offset, c.at = false, 0, time.Time{}
	c.mu.Unlock()
}
