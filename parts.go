package ghost

import (
	"encoding/base64"
	"net/http"

	"github.com/ghostanalytics/ghost-go/internal/wire"
)

// Part is one part of the API, documented by its own team with its own host,
// credentials, envelopes and paging. Each part is a namespace of the client:
// Ghost at the top level (Customers, Orders, …), Komoju under client.Komoju,
// Checkout (Carts, Analytics), Spark under client.Spark, and Exports.
type Part string

// The parts of the API.
const (
	PartGhost    Part = "ghost"    // seed 000: accounts, customers, cards, charges, identities, orders
	PartKomoju   Part = "komoju"   // seed 001: Komoju customers
	PartCheckout Part = "checkout" // seed 002: carts, payment links, analytics
	PartSpark    Part = "spark"    // seed 003: Spark Pay store resources
	PartExports  Part = "exports"  // seed 004: bulk exports
)

// Default base URLs of the parts that have one. The Checkout API is served
// by the application that embeds it and a Spark store by its own domain:
// those two parts have no default and must be configured (WithEndpoint or
// WithBaseURL) before their services are called.
const (
	DefaultBaseURL        = "https://analytics.ghostcreative.io" // Ghost
	DefaultKomojuBaseURL  = "https://komoju.com"
	DefaultExportsBaseURL = "https://api.clover.com"
)

// paging is how a part's lists page.
type paging uint8

const (
	pagingNone   paging = iota
	pagingOffset        // Ghost: limit/offset, a short page ends the list
	pagingPage          // Komoju page/per_page/last_page, Checkout page/limit/totalPages
	pagingNext          // Spark: follow next_page
)

// authScheme is how a request carries credentials.
type authScheme uint8

const (
	authDefault     authScheme = iota // the part's own scheme
	authGhostBasic                    // Basic public:secret
	authKomojuBasic                   // Basic secret:
	authAPIKey                        // x-api-key
	authToken                         // X-AC-Auth-Token
	authBearer                        // Authorization: Bearer
	authNone                          // no credentials (export files)
)

// schemes says what each auth scheme sends: its header, its value from
// the credentials, whether they hold what it needs, and, for an error, what
// that is.
var schemes = [...]struct {
	header string
	value  func(Credentials) string
	has    func(Credentials) bool
	needs  string
}{
	authGhostBasic: {"Authorization", func(c Credentials) string { return "Basic " + basic(c.PublicKey, c.SecretKey) },
		func(c Credentials) bool { return c.PublicKey != "" && c.SecretKey != "" }, "public and secret keys (WithKeys)"},
	authKomojuBasic: {"Authorization", func(c Credentials) string { return "Basic " + basic(c.SecretKey, "") },
		func(c Credentials) bool { return c.SecretKey != "" }, "secret key (WithSecretKey)"},
	authAPIKey: {"X-Api-Key", func(c Credentials) string { return c.APIKey },
		func(c Credentials) bool { return c.APIKey != "" }, "API key (WithAPIKey)"},
	authToken: {"X-Ac-Auth-Token", func(c Credentials) string { return c.AuthToken },
		func(c Credentials) bool { return c.AuthToken != "" }, "auth token (WithAuthToken)"},
	authBearer: {"Authorization", func(c Credentials) string { return "Bearer " + c.BearerToken },
		func(c Credentials) bool { return c.BearerToken != "" }, "bearer token (WithBearerToken)"},
	authNone: {},
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// partSpec is everything a part declares. The executor reads it; no method
// and no step of the executor switches on the part.
type partSpec struct {
	part    Part
	baseURL string     // default base URL; "" when the part has none
	auth    authScheme // how its requests carry credentials
	// item and list are the envelopes of its successful answers: one object,
	// and one page of a list. A body is decoded by its part's envelope
	// alone: an object may carry any field name, "doc" or "total_count"
	// included.
	item, list wire.Shape
	paging     paging // how its lists page
	// idemHeader is its documented idempotency header ("" when it
	// documents none) and idemMax the longest key it takes.
	idemHeader string
	idemMax    int
	// failureStatus maps the code of a failure reported in a 2xx body
	// ({"success": false, "error": {"code"}}) to the status the part's
	// documentation pairs it with; a code it does not list is a 400.
	failureStatus map[string]int
	// callLimit is the response header that reports the part's call limit
	// (Response.CallLimit); "" when it has none.
	callLimit string
	services  []Service // the client services that belong to it
}

// parts is the part table.
var parts = []*partSpec{{
	part: PartGhost, baseURL: DefaultBaseURL, auth: authGhostBasic,
	item: wire.Doc, list: wire.Docs, paging: pagingOffset,
	idemHeader: "Idempotency-Key", idemMax: 255,
	services: []Service{
		ServiceAccounts, ServiceCards, ServiceCharges, ServiceCustomers, ServiceEvents,
		ServiceIdentities, ServiceIdentityTypes, ServiceOrders,
	},
}, {
	part: PartKomoju, baseURL: DefaultKomojuBaseURL, auth: authKomojuBasic,
	item: wire.Bare, list: wire.ResourceList, paging: pagingPage,
	idemHeader: "X-KOMOJU-IDEMPOTENCY", idemMax: 100,
	services: []Service{ServiceKomojuCustomers},
}, {
	part: PartCheckout, auth: authAPIKey,
	item: wire.Data, list: wire.Data, paging: pagingPage,
	failureStatus: map[string]int{
		"UNAUTHORIZED":     http.StatusUnauthorized,
		"NOT_FOUND":        http.StatusNotFound,
		"VALIDATION_ERROR": http.StatusUnprocessableEntity,
		"RATE_LIMITED":     http.StatusTooManyRequests,
		"INTERNAL_ERROR":   http.StatusInternalServerError,
	},
	services: []Service{ServiceCarts, ServiceAnalytics},
}, {
	part: PartSpark, auth: authToken,
	item: wire.Bare, list: wire.NamedList, paging: pagingNext,
	callLimit: "X-AC-Call-Limit",
	services:  []Service{ServiceResources},
}, {
	part: PartExports, baseURL: DefaultExportsBaseURL, auth: authBearer,
	item:     wire.Bare, // no lists: export files are streamed
	services: []Service{ServiceExports},
}}

// partOf maps every service to its part.
var partOf = func() map[Service]*partSpec {
	m := make(map[Service]*partSpec)
	for _, p := range parts {
		for _, s := range p.services {
			m[s] = p
		}
	}
	return m
}()

func lookupPart(p Part) *partSpec {
	for _, ps := range parts {
		if ps.part == p {
			return ps
		}
	}
	return nil
}

// statusOfFailure is the status a failure reported in a 2xx body stands for.
func (p *partSpec) statusOfFailure(code string) int {
	if s, ok := p.failureStatus[code]; ok {
		return s
	}
	return http.StatusBadRequest
}
