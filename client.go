// Package ghost is the Go client for the Ghost payment and analytics API.
//
// One *Client, safe for concurrent use, holds a service per resource
// (Customers, Orders, Carts, Exports, …). Every call takes a context first and
// returns typed values and an error; API errors are *Error whatever shape the
// server used. See the package examples and package ghosttest for a mock
// server to test against.
package ghost

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// DefaultBaseURL is the API host used when no base URL is configured.
const DefaultBaseURL = "https://analytics.ghostcreative.io"

// Service names one service of the client, for per-service endpoints.
type Service string

// The client's services.
const (
	ServiceAccounts      Service = "accounts"
	ServiceCards         Service = "cards"
	ServiceCharges       Service = "charges"
	ServiceCustomers     Service = "customers"
	ServiceEvents        Service = "events"
	ServiceIdentities    Service = "identities"
	ServiceIdentityTypes Service = "identity-types"
	ServiceOrders        Service = "orders"
	ServiceCarts         Service = "carts"
	ServiceAnalytics     Service = "analytics"
	ServiceExports       Service = "exports"
	ServiceResources     Service = "resources" // Spark-style generic resources
)

// Convention is the wire convention Customers and Orders speak. It changes what
// is sent; responses of every convention are decoded whatever is chosen.
type Convention int

const (
	// ConventionGhost is the default: /api/v1 with {doc}/{docs} envelopes,
	// Basic auth with the public and secret keys.
	ConventionGhost Convention = iota
	// ConventionKomoju makes Customers speak the Komoju customers API: Basic
	// auth with the secret key alone, PATCH updates, page/per_page lists.
	ConventionKomoju
	// ConventionSpark makes Customers and Orders speak the Spark store API:
	// X-AC-Auth-Token auth, integer ids, page/count lists, PUT updates.
	ConventionSpark
)

// String names the convention: ghost, komoju or spark.
func (c Convention) String() string {
	switch c {
	case ConventionGhost:
		return "ghost"
	case ConventionKomoju:
		return "komoju"
	case ConventionSpark:
		return "spark"
	}
	return fmt.Sprintf("Convention(%d)", int(c))
}

// Credentials holds the secrets of every auth scheme the API uses. Each
// service uses the one its part of the API documents. Formatting Credentials
// (fmt, slog) never shows the secrets.
type Credentials struct {
	PublicKey   string // Ghost: Basic username
	SecretKey   string // Ghost: Basic password; Komoju: Basic username
	APIKey      string // Checkout: x-api-key
	AuthToken   string // Spark: X-AC-Auth-Token
	BearerToken string // Exports: Authorization: Bearer
}

// String shows which credentials are set, never their values.
func (c Credentials) String() string {
	f := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "[redacted]"
	}
	return fmt.Sprintf("{PublicKey:%s SecretKey:%s APIKey:%s AuthToken:%s BearerToken:%s}",
		f(c.PublicKey), f(c.SecretKey), f(c.APIKey), f(c.AuthToken), f(c.BearerToken))
}

// GoString keeps %#v from printing the secrets.
func (c Credentials) GoString() string { return "ghost.Credentials" + c.String() }

// LogValue keeps slog from printing the secrets.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Endpoint is where one service is served and with what credentials.
type Endpoint struct {
	BaseURL     string // scheme://host[:port][/prefix]; the API paths are appended
	Credentials Credentials
}

// RetryPolicy says how failed requests are retried. Only requests that are
// safe to repeat are retried: GET, HEAD, PUT, DELETE, and other methods when
// the call carries an idempotency key. 429, 500, 502, 503, 504 and connection
// errors are retried.
type RetryPolicy struct {
	MaxRetries int           // retries after the first attempt; 0 disables retrying
	MinWait    time.Duration // first backoff; doubles each retry, with jitter
	MaxWait    time.Duration // longest wait; a Retry-After longer than this is not waited for: the error is returned
}

// DefaultRetryPolicy is used unless WithRetryPolicy says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 3, MinWait: 250 * time.Millisecond, MaxWait: 30 * time.Second}

// DefaultMaxResponseBytes bounds a response body unless WithMaxResponseBytes
// says otherwise.
const DefaultMaxResponseBytes = 32 << 20

// Option configures a Client.
type Option func(*config) error

type config struct {
	baseURL      string
	creds        Credentials
	endpoints    map[Service]Endpoint
	convention   Convention
	httpClient   *http.Client
	userAgent    string
	timeout      time.Duration
	retry        RetryPolicy
	limiter      Limiter
	hooks        hookConfig
	logger       *slog.Logger
	maxBody      int64
	insecureHTTP bool
	connsPerHost int
	now          func() time.Time
}

// WithBaseURL sets the base URL of every service (default DefaultBaseURL).
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = u; return nil }
}

// WithKeys sets the public and secret keys (Ghost Basic auth; Komoju uses
// the secret key alone).
func WithKeys(publicKey, secretKey string) Option {
	return func(c *config) error { c.creds.PublicKey, c.creds.SecretKey = publicKey, secretKey; return nil }
}

// WithSecretKey sets the secret key alone (Komoju Basic auth).
func WithSecretKey(secretKey string) Option {
	return func(c *config) error { c.creds.SecretKey = secretKey; return nil }
}

// WithAPIKey sets the Checkout API's x-api-key.
func WithAPIKey(key string) Option {
	return func(c *config) error { c.creds.APIKey = key; return nil }
}

// WithAuthToken sets the Spark API's X-AC-Auth-Token.
func WithAuthToken(token string) Option {
	return func(c *config) error { c.creds.AuthToken = token; return nil }
}

// WithBearerToken sets the Exports API's bearer token.
func WithBearerToken(token string) Option {
	return func(c *config) error { c.creds.BearerToken = token; return nil }
}

// WithCredentials sets every credential at once.
func WithCredentials(creds Credentials) Option {
	return func(c *config) error { c.creds = creds; return nil }
}

// WithEndpoint points one service at its own base URL with its own
// credentials; empty fields of e fall back to the client's.
func WithEndpoint(svc Service, e Endpoint) Option {
	return func(c *config) error {
		if c.endpoints == nil {
			c.endpoints = make(map[Service]Endpoint)
		}
		c.endpoints[svc] = e
		return nil
	}
}

// WithConvention chooses the convention Customers and Orders speak.
func WithConvention(conv Convention) Option {
	return func(c *config) error {
		if conv < ConventionGhost || conv > ConventionSpark {
			return fmt.Errorf("ghost: unknown convention %d", int(conv))
		}
		c.convention = conv
		return nil
	}
}

// WithHTTPClient sets the *http.Client requests go through. The client is
// copied, not changed, and the SDK's safety rules still apply to it: its
// Transport is wrapped for the Limiter, logging and any transport middleware;
// its redirect policy runs first and the SDK's after it, so credentials and
// Referer are removed from a hop to another host, a non-GET redirect to
// another host is refused and redirects stop after 10, whatever it does;
// retries, the response size limit and the credential rules are the SDK's.
// What it drops is the SDK's connection pool (WithConnsPerHost): its
// Transport's pool, proxy and TLS settings are used as they are; its Timeout,
// when set, replaces WithTimeout; its Jar, if any, keeps cookies. To observe
// or change attempts while keeping the SDK's transport, use
// WithTransportMiddleware instead.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("ghost: WithHTTPClient(nil)")
		}
		c.httpClient = hc
		return nil
	}
}

// WithUserAgent sets a prefix for the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.userAgent = ua; return nil }
}

// WithTimeout bounds each attempt of a request, body included (default 30s).
// It applies to a client given with WithHTTPClient unless that client sets
// its own Timeout. Bound a whole call, retries included, with the context or
// WithRequestTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("ghost: negative timeout %s", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if p.MaxRetries < 0 || p.MinWait < 0 || p.MaxWait < p.MinWait {
			return fmt.Errorf("ghost: invalid retry policy %+v", p)
		}
		c.retry = p
		return nil
	}
}

// WithRateLimit turns on a client-side limit of r requests per second with
// the given burst, shared by all services; every attempt waits for it.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(c *config) error {
		if r <= 0 || burst <= 0 {
			return fmt.Errorf("ghost: rate limit must be positive")
		}
		c.limiter = &RateLimiter{l: rate.NewLimiter(r, burst)}
		return nil
	}
}

// WithLogger logs one record per attempt (method, host, path, status,
// duration, attempt) at Debug level, and failures at Warn. Query strings,
// headers and bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithMaxResponseBytes bounds the bytes read from a response body, after
// decompression (default DefaultMaxResponseBytes).
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("ghost: max response bytes must be positive")
		}
		c.maxBody = n
		return nil
	}
}

// DefaultConnsPerHost is the default size of the connection pool per host.
const DefaultConnsPerHost = 64

// WithConnsPerHost sizes the client's connection pool: at most n connections
// per host, all kept for reuse (default DefaultConnsPerHost). Requests beyond
// n in flight wait for a free connection. It does not apply to a client
// given with WithHTTPClient.
func WithConnsPerHost(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("ghost: connections per host must be positive")
		}
		c.connsPerHost = n
		return nil
	}
}

// WithInsecureHTTP allows plain http:// base URLs on hosts other than
// loopback. Without it such URLs are refused, so credentials never travel in
// clear text by accident.
func WithInsecureHTTP() Option {
	return func(c *config) error { c.insecureHTTP = true; return nil }
}

// Client is the Ghost API client. Create it with NewClient; it is safe for
// concurrent use.
type Client struct {
	Accounts      *AccountsService
	Cards         *CardsService
	Charges       *ChargesService
	Customers     *CustomersService
	Events        *EventsService
	Identities    *IdentitiesService
	IdentityTypes *IdentityTypesService
	Orders        *OrdersService
	Carts         *CartsService
	Analytics     *AnalyticsService
	Exports       *ExportsService

	cfg          config
	endpoints    map[Service]*endpoint
	http         *retryablehttp.Client
	userAgent    string
	userAgentHdr []string
}

// service is the state every service shares: the client and its own name.
type service struct {
	client *Client
	name   Service
}

type endpoint struct {
	base  *url.URL
	creds Credentials
	// Authorization header values, computed once.
	ghostBasic, komojuBasic, bearer []string
}

func newEndpoint(base *url.URL, creds Credentials) *endpoint {
	return &endpoint{
		base:        base,
		creds:       creds,
		ghostBasic:  []string{"Basic " + basic(creds.PublicKey, creds.SecretKey)},
		komojuBasic: []string{"Basic " + basic(creds.SecretKey, "")},
		bearer:      []string{"Bearer " + creds.BearerToken},
	}
}

// NewClient returns a client configured by opts.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{
		baseURL: DefaultBaseURL,
		timeout: 30 * time.Second,
		retry:   DefaultRetryPolicy,
		maxBody: DefaultMaxResponseBytes,
		now:     time.Now,

		connsPerHost: DefaultConnsPerHost,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Client{cfg: cfg, endpoints: make(map[Service]*endpoint)}
	for _, svc := range allServices {
		e := Endpoint{BaseURL: cfg.baseURL, Credentials: cfg.creds}
		if o, ok := cfg.endpoints[svc]; ok {
			e.BaseURL = cmp.Or(o.BaseURL, e.BaseURL)
			e.Credentials = mergeCreds(o.Credentials, cfg.creds)
		}
		u, err := parseBaseURL(e.BaseURL, cfg.insecureHTTP)
		if err != nil {
			return nil, fmt.Errorf("ghost: %s endpoint: %w", svc, err)
		}
		c.endpoints[svc] = newEndpoint(u, e.Credentials)
	}
	for svc := range cfg.endpoints {
		if _, ok := c.endpoints[svc]; !ok {
			return nil, fmt.Errorf("ghost: WithEndpoint: unknown service %q", svc)
		}
	}
	c.userAgent = "ghost-go/" + Version
	if cfg.userAgent != "" {
		c.userAgent = cfg.userAgent + " " + c.userAgent
	}
	c.userAgentHdr = []string{c.userAgent}
	c.http = newHTTP(&c.cfg)

	c.Accounts = &AccountsService{c, ServiceAccounts}
	c.Cards = &CardsService{c, ServiceCards}
	c.Charges = &ChargesService{c, ServiceCharges}
	c.Customers = &CustomersService{c, ServiceCustomers}
	c.Events = &EventsService{c, ServiceEvents}
	c.Identities = &IdentitiesService{c, ServiceIdentities}
	c.IdentityTypes = &IdentityTypesService{c, ServiceIdentityTypes}
	c.Orders = &OrdersService{c, ServiceOrders}
	c.Carts = &CartsService{c, ServiceCarts}
	c.Analytics = &AnalyticsService{c, ServiceAnalytics}
	c.Exports = &ExportsService{c, ServiceExports}
	return c, nil
}

var allServices = []Service{
	ServiceAccounts, ServiceCards, ServiceCharges, ServiceCustomers, ServiceEvents,
	ServiceIdentities, ServiceIdentityTypes, ServiceOrders, ServiceCarts,
	ServiceAnalytics, ServiceExports, ServiceResources,
}

// String describes the client without any credential. (A value receiver, so
// that printing a dereferenced client cannot print its credentials either.)
func (c Client) String() string {
	return fmt.Sprintf("ghost.Client{baseURL: %s, convention: %s}", c.cfg.baseURL, c.cfg.convention)
}

// GoString keeps %#v from printing the credentials.
func (c Client) GoString() string { return c.String() }

// Convention returns the convention Customers and Orders speak.
func (c *Client) Convention() Convention { return c.cfg.convention }

func mergeCreds(o, def Credentials) Credentials {
	o.PublicKey = cmp.Or(o.PublicKey, def.PublicKey)
	o.SecretKey = cmp.Or(o.SecretKey, def.SecretKey)
	o.APIKey = cmp.Or(o.APIKey, def.APIKey)
	o.AuthToken = cmp.Or(o.AuthToken, def.AuthToken)
	o.BearerToken = cmp.Or(o.BearerToken, def.BearerToken)
	return o
}

func parseBaseURL(raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid base URL: %w", err)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("invalid base URL %q: want http(s)://host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid base URL %q: no user info, query or fragment allowed", u.Redacted())
	}
	if u.Scheme == "http" && !insecure && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing plain http to %s (credentials would travel in clear text); use https or WithInsecureHTTP", u.Host)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether u is on the scheme and host of base.
func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}
