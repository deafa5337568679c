package ghost

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// This file keeps secrets out of every rendering of the types that hold
// them: fmt (%v, %+v, %#v, %s), slog (text and JSON handlers) and
// encoding/json, and keeps URLs' passwords and query strings out of errors.

// redactedCreds is what Credentials look like when rendered.
type redactedCreds struct {
	PublicKey, SecretKey, APIKey, AuthToken, BearerToken string
}

func (c Credentials) redacted() redactedCreds {
	f := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "[redacted]"
	}
	return redactedCreds{f(c.PublicKey), f(c.SecretKey), f(c.APIKey), f(c.AuthToken), f(c.BearerToken)}
}

// MarshalJSON renders Credentials without their values ("[redacted]" or
// "unset" for each), so neither encoding/json nor slog's JSON handler (nor
// any struct or map holding Credentials) prints a secret.
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.redacted()) }

// redactedURL is raw as scheme, host and path only (see quoteURL); a URL
// that does not parse is not shown at all.
func redactedURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable URL]"
	}
	return quoteURL(u)
}

// quoteURL renders u as scheme://host/path only: no user info, query or
// fragment, which may hold credentials or pre-signed signatures.
func quoteURL(u *url.URL) string {
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return v.String()
}

// String shows the endpoint's base URL without password or query string,
// and which credentials are set.
func (e Endpoint) String() string {
	return fmt.Sprintf("{BaseURL:%s Credentials:%s}", redactedURL(e.BaseURL), e.Credentials)
}

// GoString keeps %#v from printing the credentials.
func (e Endpoint) GoString() string { return "ghost.Endpoint" + e.String() }

// LogValue keeps slog (text and JSON) from printing the credentials.
func (e Endpoint) LogValue() slog.Value { return slog.StringValue(e.String()) }

// MarshalJSON renders the endpoint without secrets.
func (e Endpoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL     string
		Credentials redactedCreds
	}{redactedURL(e.BaseURL), e.Credentials.redacted()})
}

// paymentHashShown are the KomojuPaymentHash keys shown as they are; "number"
// shows its last four digits; every other value is redacted.
var paymentHashShown = []string{"type", "month", "year", "currency", "last_four_digits", "name", "family_name", "given_name"}

// maskNumber shows a card number by its last four digits only ("****4242";
// a number of four characters or fewer not at all).
func maskNumber(n string) string {
	if len(n) <= 4 {
		return "****"
	}
	return "****" + n[len(n)-4:]
}

// String shows payment details like CardCreateParams: the token and CVC never,
// a card number only by its last four digits.
func (p KomojuPaymentDetails) String() string {
	var b strings.Builder
	b.WriteString("{")
	if p.Token != "" {
		b.WriteString("Token:[redacted]")
	}
	if len(p.Hash) > 0 {
		if p.Token != "" {
			b.WriteString(" ")
		}
		b.WriteString("Hash:{")
		keys := make([]string, 0, len(p.Hash))
		for k := range p.Hash {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteString(" ")
			}
			v := "[redacted]"
			switch {
			case slices.Contains(paymentHashShown, k):
				v = fmt.Sprint(p.Hash[k])
			case k == "number":
				v = maskNumber(fmt.Sprint(p.Hash[k]))
			}
			fmt.Fprintf(&b, "%s:%s", k, v)
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	return b.String()
}

// GoString keeps %#v from printing the card data.
func (p KomojuPaymentDetails) GoString() string { return "ghost.KomojuPaymentDetails" + p.String() }

// LogValue keeps slog (text and JSON) from printing the card data.
func (p KomojuPaymentDetails) LogValue() slog.Value { return slog.StringValue(p.String()) }

// MarshalJSON renders the details redacted (as String does), so encoding/json
// and slog's JSON handler never print card data, alone or inside the params
// that hold them. The SDK sends the API the full token or hash.
func (p KomojuPaymentDetails) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// MarshalJSON renders the card redacted (as String does): encoding/json and
// slog's JSON handler never print its number or CVC. The SDK sends the API
// the full card.
func (p CardCreateParams) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// Every exported type that holds a credential (or card data), directly or
// through the *Client behind it, has a Format method: fmt then never walks
// its fields, whatever the verb (%s, %q, %x, %d, %t … as well as %v, %+v and
// %#v). A Stringer alone is not enough: fmt ignores String for %d or %t, and
// for a struct holding an unexported *Client it walks the client's fields.
// slog's text handler formats with %+v, so it goes through Format too; the
// JSON handler and encoding/json see no exported field holding a secret.
// TestRedactionEveryExportedType checks every exported type of the package.

// formatRedacted writes text (gotext for %#v) under any verb: %v and %s
// write it, %q, %x and %X apply to it, any other verb reports itself as
// fmt does for a value it cannot format.
func formatRedacted(f fmt.State, verb rune, text, gotext string) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			text = gotext
		}
		io.WriteString(f, text)
	case 's':
		io.WriteString(f, text)
	case 'q', 'x', 'X':
		fmt.Fprintf(f, fmt.FormatString(f, verb), text)
	default:
		fmt.Fprintf(f, "%%!%c(%s)", verb, text)
	}
}

// Format writes the redacted credentials (see String) under every verb.
func (c Credentials) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.GoString())
}

// Format writes the redacted endpoint (see String) under every verb.
func (e Endpoint) Format(f fmt.State, verb rune) { formatRedacted(f, verb, e.String(), e.GoString()) }

// Format writes the redacted details (see String) under every verb.
func (p KomojuPaymentDetails) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, p.String(), p.GoString())
}

// Format writes the masked card (see String) under every verb.
func (p CardCreateParams) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, p.String(), p.GoString())
}

// Format writes the client's base URLs (see String), never its
// credentials, under every verb.
func (c Client) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String(), c.GoString()) }

// Format writes the value as %v, %s, %q, %x and %X did through String, and
// under any other verb the value itself with that verb, so a value that
// redacts itself (KomojuPaymentDetails) stays redacted.
func (o Opt[T]) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, o.GoString())
	case verb == 'v' || verb == 's':
		io.WriteString(f, o.String())
	case verb == 'q' || verb == 'x' || verb == 'X' || !o.ok:
		fmt.Fprintf(f, fmt.FormatString(f, verb), o.String())
	default:
		fmt.Fprintf(f, fmt.FormatString(f, verb), o.v)
	}
}

// handleText describes a service handle: its type and the base URL its
// requests go to, never a credential.
func handleText(typ string, s *service) string {
	base := "unset"
	if s != nil && s.client != nil {
		if ep := s.client.endpoints[s.name]; ep != nil && ep.missing == "" {
			base = ep.base.String()
		}
	}
	return "ghost." + typ + "{" + base + "}"
}

func formatHandle(f fmt.State, verb rune, typ string, s *service) {
	t := handleText(typ, s)
	formatRedacted(f, verb, t, t)
}

// Format writes the service's base URL, never the client's credentials.
func (s AccountsService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "AccountsService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s CardsService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "CardsService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s ChargesService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "ChargesService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s CustomersService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "CustomersService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s EventsService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "EventsService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s IdentitiesService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "IdentitiesService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s IdentityTypesService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "IdentityTypesService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s OrdersService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "OrdersService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s CartsService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "CartsService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s AnalyticsService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "AnalyticsService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s ExportsService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "ExportsService", (*service)(&s))
}

// Format writes the service's base URL, never the client's credentials.
func (s KomojuCustomersService) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "KomojuCustomersService", (*service)(&s))
}

// Format writes the part's base URL, never the client's credentials.
func (k KomojuClient) Format(f fmt.State, verb rune) {
	var s *service
	if k.Customers != nil {
		s = (*service)(k.Customers)
	}
	formatHandle(f, verb, "KomojuClient", s)
}

// Format writes the store's base URL, never the client's credentials.
func (sc SparkClient) Format(f fmt.State, verb rune) {
	var s *service
	if sc.client != nil {
		s = sparkBase(sc.client)
	}
	formatHandle(f, verb, "SparkClient", s)
}

// Format writes the resource and the store's base URL, never the client's
// credentials. The typed Spark services (SparkProductsService, …) embed it
// and format the same way.
func (r SparkResourceService[T]) Format(f fmt.State, verb rune) {
	formatHandle(f, verb, "SparkResourceService["+r.name+"]", r.s)
}
