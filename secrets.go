package ghost

import (
	"encoding/json"
	"fmt"
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
