package ghost

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

// envelope is the response envelope a part's successful responses use, for
// the one-pass decoder. Any documented envelope still decodes through the
// tolerant path when the fast one does not apply.
type envelope uint8

const (
	envTolerant envelope = iota // no fast path
	envDoc                      // Ghost {"doc": …} and {"docs": […]}
)

// paging is how a part's lists page.
type paging uint8

const (
	pagingNone   paging = iota
	pagingOffset        // Ghost: limit/offset, a short page ends the list
	pagingPage          // Komoju page/per_page/last_page, Checkout page/limit/totalPages
	pagingNext          // Spark: follow next_page
)

// partSpec is everything a part declares. The executor reads it; no method
// switches on the part.
type partSpec struct {
	part       Part
	baseURL    string     // default base URL; "" when the part has none
	auth       authScheme // how its requests carry credentials
	envelope   envelope   // fast-path decoder of its 2xx bodies
	paging     paging     // how its lists page
	idemHeader string     // its documented idempotency header; "" when it documents none
	services   []Service  // the client services that belong to it
}

// parts is the part table.
var parts = []*partSpec{
	{PartGhost, DefaultBaseURL, authGhostBasic, envDoc, pagingOffset, "Idempotency-Key", []Service{
		ServiceAccounts, ServiceCards, ServiceCharges, ServiceCustomers, ServiceEvents,
		ServiceIdentities, ServiceIdentityTypes, ServiceOrders,
	}},
	{PartKomoju, DefaultKomojuBaseURL, authKomojuBasic, envTolerant, pagingPage, "X-KOMOJU-IDEMPOTENCY", []Service{
		ServiceKomojuCustomers,
	}},
	{PartCheckout, "", authAPIKey, envTolerant, pagingPage, "", []Service{
		ServiceCarts, ServiceAnalytics,
	}},
	{PartSpark, "", authToken, envTolerant, pagingNext, "", []Service{
		ServiceResources,
	}},
	{PartExports, DefaultExportsBaseURL, authBearer, envTolerant, pagingNone, "", []Service{
		ServiceExports,
	}},
}

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
