// Package ghost is the Go client for the Ghost payment and analytics API.
//
// The API has five parts, each documented by its own team with its own host,
// credentials, envelopes and paging. One *Client, safe for concurrent use,
// serves them all, each part as a namespace with its own services and types:
// Ghost at the top level (client.Customers, client.Orders, …), Komoju under
// client.Komoju, Checkout as client.Carts and client.Analytics, Spark under
// client.Spark, and client.Exports. Configure each part's endpoint with
// WithEndpoint. Every call takes a context first and returns typed values and
// an error; API errors are *Error whatever shape the server used. See the
// package examples and package ghosttest for a mock server to test against.
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
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.2.0"

// Service names one service of the client, for per-service endpoints
// (WithServiceEndpoint), for deployments that split a part across hosts.
type Service string

// The client's services.
const (
	ServiceAccounts        Service = "accounts"
	ServiceCards           Service = "cards"
	ServiceCharges         Service = "charges"
	ServiceCustomers       Service = "customers"
	ServiceEvents          Service = "events"
	ServiceIdentities      Service = "identities"
	ServiceIdentityTypes   Service = "identity-types"
	ServiceOrders          Service = "orders"
	ServiceKomojuCustomers Service = "komoju-customers"
	ServiceCarts           Service = "carts"
	ServiceAnalytics       Service = "analytics"
	ServiceExports         Service = "exports"
	ServiceResources       Service = "resources" // Spark store resources
)

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
func (c Credentials) String() string { return fmt.Sprintf("%+v", c.redacted()) }

// GoString keeps %#v from printing the secrets.
func (c Credentials) GoString() string { return "ghost.Credentials" + c.String() }

// LogValue keeps slog from printing the secrets.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Endpoint is where a part (or one service) is served and with what
// credentials.
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
	parts        map[Part]Endpoint
	endpoints    map[Service]Endpoint
	httpClient   *http.Client
	userAgent    string
	timeout      time.Duration
	retry        RetryPolicy
	limiter      Limiter
	hooks        hookConfig
	logger       *slog.Logger
	maxBody      int64
	maxObject    int64 // export stream objects; 0: DefaultMaxExportObjectBytes
	insecureHTTP bool
	connsPerHost int
	now          func() time.Time
}

// WithBaseURL sets the base URL of every part at once, for a deployment
// (such as the ghosttest mock) that serves them all on one host. WithEndpoint
// and WithServiceEndpoint override it for one part or service.
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

// WithEndpoint points one part of the API at its own base URL with its own
// credentials; empty fields of e fall back to WithBaseURL (or the part's
// default base URL) and to the client-wide credentials:
//
//	ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{
//		Credentials: ghost.Credentials{SecretKey: komojuSecret},
//	})
func WithEndpoint(p Part, e Endpoint) Option {
	return func(c *config) error {
		if lookupPart(p) == nil {
			return fmt.Errorf("ghost: WithEndpoint: unknown part %q", p)
		}
		if c.parts == nil {
			c.parts = make(map[Part]Endpoint)
		}
		c.parts[p] = e
		return nil
	}
}

// WithServiceEndpoint points one service at its own base URL with its own
// credentials, for a deployment that splits a part across hosts; empty
// fields of e fall back to its part's endpoint. The service keeps its part's
// auth scheme, envelope and paging.
func WithServiceEndpoint(svc Service, e Endpoint) Option {
	return func(c *config) error {
		if partOf[svc] == nil {
			return fmt.Errorf("ghost: WithServiceEndpoint: unknown service %q", svc)
		}
		if c.endpoints == nil {
			c.endpoints = make(map[Service]Endpoint)
		}
		c.endpoints[svc] = e
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
// concurrent use. The Ghost part's services are at the top level; every
// other part is its own namespace or service.
type Client struct {
	// Ghost (seed 000).
	Accounts      *AccountsService
	Cards         *CardsService
	Charges       *ChargesService
	Customers     *CustomersService
	Events        *EventsService
	Identities    *IdentitiesService
	IdentityTypes *IdentityTypesService
	Orders        *OrdersService

	// Komoju (seed 001).
	Komoju *KomojuClient

	// Checkout (seed 002).
	Carts     *CartsService
	Analytics *AnalyticsService

	// Spark (seed 003): the store's resources.
	Spark *SparkClient

	// Exports (seed 004).
	Exports *ExportsService

	cfg          config
	endpoints    map[Service]*endpoint
	http         *retryablehttp.Client
	httpStream   *retryablehttp.Client // http without the per-attempt timeout, for streamed bodies
	userAgent    string
	userAgentHdr []string
}

// service is the state every service shares: the client and its own name.
type service struct {
	client *Client
	name   Service
}

// endpoint is where one service's requests go, as its part declares them.
type endpoint struct {
	part    *partSpec
	base    *url.URL // never nil; empty when missing is set
	missing string   // why the service cannot be called (no base URL), or ""
	// auth is what each scheme sends from the endpoint's credentials,
	// computed once.
	auth [len(schemes)]credential
}

// credential is what one auth scheme sends: its header, with a value
// computed once (shared, never mutated), or what is missing to send it.
type credential struct {
	header  string
	value   []string
	missing string // the credentials to configure, when they are not set
}

func newEndpoint(part *partSpec, base *url.URL, creds Credentials) *endpoint {
	ep := &endpoint{part: part, base: base}
	for s, sc := range schemes {
		switch {
		case sc.header == "":
		case !sc.has(creds):
			ep.auth[s] = credential{header: sc.header, missing: sc.needs}
		default:
			ep.auth[s] = credential{header: sc.header, value: []string{sc.value(creds)}}
		}
	}
	return ep
}

// NewClient returns a client configured by opts. Without options it has:
//
//   - base URLs: Ghost DefaultBaseURL (https://analytics.ghostcreative.io),
//     Komoju DefaultKomojuBaseURL (https://komoju.com), Exports
//     DefaultExportsBaseURL (https://api.clover.com); Checkout and Spark have
//     none (each deployment has its own host): their calls fail with an
//     *Error of Code "missing_endpoint" (CodeMissingEndpoint) until WithEndpoint or WithBaseURL
//     names one. Plain http:// is refused except on loopback.
//   - credentials: none; each part asks for its own (WithKeys, WithSecretKey,
//     WithAPIKey, WithAuthToken, WithBearerToken, or per part WithEndpoint).
//   - timeout: 30s per attempt (WithTimeout).
//   - retries: DefaultRetryPolicy, 3 retries with backoff from 250ms to 30s
//     (WithRetryPolicy), of idempotent requests and keyed POSTs only.
//   - pool: DefaultConnsPerHost (64) connections per host, all kept idle for
//     reuse (WithConnsPerHost).
//   - response bodies: at most DefaultMaxResponseBytes (32 MiB).
//   - no client-side rate limit, no logging.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{
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
	for _, p := range parts {
		pe := Endpoint{BaseURL: cmp.Or(cfg.baseURL, p.baseURL), Credentials: cfg.creds}
		if o, ok := cfg.parts[p.part]; ok {
			pe.BaseURL = cmp.Or(o.BaseURL, pe.BaseURL)
			pe.Credentials = mergeCreds(o.Credentials, pe.Credentials)
		}
		for _, svc := range p.services {
			e := pe
			if o, ok := cfg.endpoints[svc]; ok {
				e.BaseURL = cmp.Or(o.BaseURL, e.BaseURL)
				e.Credentials = mergeCreds(o.Credentials, e.Credentials)
			}
			if e.BaseURL == "" {
				ep := newEndpoint(p, &url.URL{}, e.Credentials)
				ep.missing = fmt.Sprintf("no base URL configured for the %s part (WithEndpoint(Part%s, …) or WithBaseURL)", p.part, partTitle(p.part))
				c.endpoints[svc] = ep
				continue
			}
			u, err := parseBaseURL(e.BaseURL, cfg.insecureHTTP)
			if err != nil {
				return nil, fmt.Errorf("ghost: %s endpoint: %w", svc, err)
			}
			c.endpoints[svc] = newEndpoint(p, u, e.Credentials)
		}
	}
	c.userAgent = "ghost-go/" + Version
	if cfg.userAgent != "" {
		c.userAgent = cfg.userAgent + " " + c.userAgent
	}
	c.userAgentHdr = []string{c.userAgent}
	c.http = newHTTP(&c.cfg)
	c.httpStream = streamClient(c.http)

	c.Accounts = &AccountsService{c, ServiceAccounts}
	c.Cards = &CardsService{c, ServiceCards}
	c.Charges = &ChargesService{c, ServiceCharges}
	c.Customers = &CustomersService{c, ServiceCustomers}
	c.Events = &EventsService{c, ServiceEvents}
	c.Identities = &IdentitiesService{c, ServiceIdentities}
	c.IdentityTypes = &IdentityTypesService{c, ServiceIdentityTypes}
	c.Orders = &OrdersService{c, ServiceOrders}
	c.Komoju = newKomojuClient(c)
	c.Carts = &CartsService{c, ServiceCarts}
	c.Analytics = &AnalyticsService{c, ServiceAnalytics}
	c.Spark = newSparkClient(c)
	c.Exports = &ExportsService{c, ServiceExports}
	return c, nil
}

// partTitle is the part's name as its Part constant spells it.
func partTitle(p Part) string {
	if p == "" {
		return ""
	}
	return strings.ToUpper(string(p[:1])) + string(p[1:])
}

// String describes the client without any credential: each part's base URL.
// (A value receiver, so that printing a dereferenced client cannot print its
// credentials either.)
func (c Client) String() string {
	var b strings.Builder
	b.WriteString("ghost.Client{")
	for i, p := range parts {
		if i > 0 {
			b.WriteString(", ")
		}
		base := "unset"
		if ep := c.endpoints[p.services[0]]; ep != nil && ep.missing == "" {
			base = ep.base.String()
		}
		fmt.Fprintf(&b, "%s: %s", p.part, base)
	}
	b.WriteString("}")
	return b.String()
}

// GoString keeps %#v from printing the credentials.
func (c Client) GoString() string { return c.String() }

func mergeCreds(o, def Credentials) Credentials {
	o.PublicKey = cmp.Or(o.PublicKey, def.PublicKey)
	o.SecretKey = cmp.Or(o.SecretKey, def.SecretKey)
	o.APIKey = cmp.Or(o.APIKey, def.APIKey)
	o.AuthToken = cmp.Or(o.AuthToken, def.AuthToken)
	o.BearerToken = cmp.Or(o.BearerToken, def.BearerToken)
	return o
}

func parseBaseURL(raw string, insecure bool) (*url.URL, error) {
	// Errors quote scheme, host and path only: a base URL's user info or
	// query may hold credentials.
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("invalid base URL: it does not parse (not shown: it may hold credentials)")
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("invalid base URL %q: want http(s)://host", quoteURL(u))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid base URL %q: no user info, query or fragment allowed", quoteURL(u))
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
