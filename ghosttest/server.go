// Package ghosttest provides an in-memory mock of the Ghost API for tests, in
// the spirit of net/http/httptest: NewServer starts it on a loopback port and
// returns a *ghost.Client already pointed at it.
//
// The mock is an independent implementation of the API's documented
// contracts (the five source documents), not a mirror of what the SDK sends:
// it answers plain curl the way the documents show, enforces auth, validation,
// status codes, envelopes and error shapes, keeps state (create then get
// returns it), hands out deterministic ids, records every request it receives
// and can inject faults.
package ghosttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

// Profile selects which part of the API the mock emulates.
type Profile string

// The profiles. ProfileAll serves ghost, checkout and clover together, plus the
// Spark resources the ghost part does not define (products, categories,
// variants).
const (
	ProfileAll      Profile = "all"
	ProfileGhost    Profile = "ghost"
	ProfileKomoju   Profile = "komoju"
	ProfileCheckout Profile = "checkout"
	ProfileSparkPay Profile = "sparkpay"
	ProfileClover   Profile = "clover"
)

// Profiles lists every profile.
var Profiles = []Profile{ProfileAll, ProfileGhost, ProfileKomoju, ProfileCheckout, ProfileSparkPay, ProfileClover}

// The credentials the mock accepts unless configured otherwise.
const (
	DefaultPublicKey   = "pk_test_ghost"
	DefaultSecretKey   = "sk_test_ghost"
	DefaultAPIKey      = "test_api_key"
	DefaultAuthToken   = "test_auth_token"
	DefaultBearerToken = "test_bearer_token"
)

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
	// SparkCallLimit is the Spark API's call limit per minute (0, the default,
	// turns it off; the seed documents the 429, not the number).
	SparkCallLimit int
	// ExportConcurrency is how many exports may run at once (default 2).
	ExportConcurrency int
	// ExportHours, when set, is the daily UTC window the export service is open
	// in, e.g. [10, 15) for 10:00–15:00; default always open.
	ExportHours *[2]int
	// ExportDuration is how long an export takes from PENDING to DONE on the
	// mock's clock (default 2s).
	ExportDuration time.Duration

	clientOptions []ghost.Option
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

// WithConfig replaces the whole configuration (zero fields take defaults).
func WithConfig(cfg Config) Option {
	return func(c *Config) {
		opts := c.clientOptions
		*c = cfg
		c.clientOptions = append(opts, cfg.clientOptions...)
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

	hs    *httptest.Server
	mux   *http.ServeMux
	parts []part

	idem idemStore

	mu     sync.Mutex
	log    []RecordedRequest
	faults []*Fault
	ids    map[string]int
}

// part is one part of the API (ghost, komoju, checkout, sparkpay, clover).
type part interface {
	routes(mux *http.ServeMux)
	seed(n int)
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
		c.ExportDuration = 2 * time.Second
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
	if !slices.Contains(Profiles, cfg.Profile) {
		return nil, fmt.Errorf("unknown profile %q (want one of %v)", cfg.Profile, Profiles)
	}
	s := &Server{Config: cfg, Clock: newClock(), ids: make(map[string]int)}
	s.mux = http.NewServeMux()
	for _, f := range partFactories {
		if slices.Contains(f.profiles, cfg.Profile) {
			p := f.new(s)
			p.routes(s.mux)
			s.parts = append(s.parts, p)
		}
	}
	s.mux.HandleFunc("/", notModelled)
	for _, p := range s.parts {
		p.seed(cfg.Seed)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.hs = httptest.NewUnstartedServer(s)
	s.hs.Listener.Close()
	s.hs.Listener = ln
	s.hs.Start()
	s.URL = s.hs.URL

	copts := []ghost.Option{
		ghost.WithBaseURL(s.URL),
		ghost.WithCredentials(ghost.Credentials{
			PublicKey: cfg.PublicKey, SecretKey: cfg.SecretKey, APIKey: cfg.APIKey,
			AuthToken: cfg.AuthToken, BearerToken: cfg.BearerToken,
		}),
		// Tests should not wait long for retries.
		ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: 5 * time.Millisecond, MaxWait: 2 * time.Second}),
	}
	switch cfg.Profile {
	case ProfileKomoju:
		copts = append(copts, ghost.WithConvention(ghost.ConventionKomoju))
	case ProfileSparkPay:
		copts = append(copts, ghost.WithConvention(ghost.ConventionSpark))
	}
	copts = append(copts, cfg.clientOptions...)
	c, err := ghost.NewClient(copts...)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Client = c
	return s, nil
}

// Close shuts the server down.
func (s *Server) Close() { s.hs.Close() }

// ServeHTTP records the request, applies any injected fault, then serves it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := RecordedRequest{
		Method:   r.Method,
		Path:     r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
		Time:     s.Clock.Now(),
	}
	s.mu.Lock()
	s.log = append(s.log, rec)
	f := s.takeFault(r)
	s.mu.Unlock()
	if f != nil && f.apply(w, r) {
		return
	}
	if f != nil && f.CutBody {
		cutBody(w, r, s.mux)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// RecordedRequest is a request the mock received.
type RecordedRequest struct {
	Method   string
	Path     string // escaped path
	RawQuery string
	Header   http.Header
	Body     []byte
	Time     time.Time // on the mock's clock
}

// Requests returns a copy of every request received so far, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// LastRequest returns the most recent request received.
func (s *Server) LastRequest() (RecordedRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) == 0 {
		return RecordedRequest{}, false
	}
	return s.log[len(s.log)-1], true
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
}

// nextID returns the next deterministic id for a prefix: prefix + "_" + a
// counter padded to 6 digits ("cus_000001"), or the bare counter when prefix
// is empty (integer ids).
func (s *Server) nextID(prefix string) string {
	s.mu.Lock()
	s.ids[prefix]++
	n := s.ids[prefix]
	s.mu.Unlock()
	if prefix == "" {
		return strconv.Itoa(n)
	}
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
