package ghosttest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Redaction: what never reaches a cassette. A Redactor replaces with
// Redacted, before anything is written:
//
//   - headers named like a credential (CredentialHeader: Authorization,
//     Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, X-AC-Auth-Token,
//     Stripe-Signature, …), whatever their value;
//   - query values whose name is credential-like (token, signature, sig,
//     key, X-Amz-Credential, …), in the request's query and in any URL a
//     body holds; every query value of an export file's URL (it is signed);
//   - body fields whose name says secret (password, secret, token, cvc,
//     cvv, verification_value, security_code, api_key, …, and the extra
//     names the Redactor is given), in JSON and form bodies alike;
//   - card numbers anywhere in a string: 13 to 19 digits (spaces or dashes
//     allowed) starting with 2 to 6 and passing the Luhn check, and numbers
//     of that shape under a field named number, card_number or pan;
//   - every literal secret the Redactor is given (the upstream credentials),
//     wherever it appears: header values, queries, bodies, text.
//
// Headers that only make noise in a diff are not recorded at all:
// Content-Length, Accept-Encoding, Connection, User-Agent, Date and the
// proxies' X-Forwarded-*.

// Redactor redacts exchanges for a cassette. The zero value applies the
// rules above with no literal secrets.
type Redactor struct {
	secrets []string
	fields  []string // extra field names, normalised
}

// minSecretLen is the shortest literal secret scrubbed: replacing shorter
// strings everywhere would mangle ordinary data. (Credential headers are
// redacted whatever their length.)
const minSecretLen = 6

// NewRedactor returns a Redactor that also scrubs the literal secrets
// (each at least 6 characters long; shorter ones are left to the header
// rules) and redacts the extra body fields named.
func NewRedactor(secrets []string, fields ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if len(s) >= minSecretLen && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	// Longest first, so that a secret containing another goes whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	for _, f := range fields {
		r.fields = append(r.fields, normField(f))
	}
	return r
}

// CredentialHeader reports whether a header's name says it carries a
// credential: it contains auth, cookie, token, key, secret, session,
// password, signature or credential (Authorization, Cookie, X-Api-Key,
// X-AC-Auth-Token, Stripe-Signature, …), idempotency keys excepted. The
// proxy strips such headers from what clients send, and cassettes hold
// them redacted.
func CredentialHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.Contains(n, "idempotency") {
		return false
	}
	for _, w := range []string{"auth", "cookie", "token", "key", "secret", "session", "password", "signature", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// noiseHeaders are not recorded: they change between runs or are the
// transport's business.
var noiseHeaders = []string{
	"Content-Length", "Accept-Encoding", "Connection", "Keep-Alive", "Transfer-Encoding", "Te", "Trailer",
	"Upgrade", "User-Agent", "Date", "Proxy-Connection", "X-Forwarded-For", "X-Forwarded-Host",
	"X-Forwarded-Proto", "Forwarded", "Via", CassetteHeader,
}

// header returns h without noise, credentials redacted, secrets scrubbed.
func (r *Redactor) header(h http.Header) RecordedHeader {
	out := RecordedHeader{}
	for k, vs := range h {
		k = http.CanonicalHeaderKey(k)
		if slices.Contains(noiseHeaders, k) {
			continue
		}
		vals := make([]string, len(vs))
		for i, v := range vs {
			if CredentialHeader(k) {
				vals[i] = Redacted
			} else {
				vals[i] = r.text(v)
			}
		}
		out[k] = vals
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// credentialParam reports whether a query parameter's name says it
// carries a credential or a signature: one of its words (split at
// punctuation and camelCase) is token, key, secret, signature, sig,
// password, pass, credential, auth, session, jwt, expires or policy, or it
// starts with X-Amz- or X-Goog- (signed storage URLs). "api_key",
// "access_token", "X-Amz-Signature" are; "meta_keywords" is not.
func credentialParam(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "x-amz-") || strings.HasPrefix(n, "x-goog-") {
		return true
	}
	for _, w := range words(name) {
		switch w {
		case "token", "key", "apikey", "secret", "signature", "sig", "password", "pass", "credential",
			"credentials", "auth", "session", "jwt", "expires", "policy":
			return true
		}
	}
	return false
}

// words splits a name at non-letters-or-digits and at lower-to-upper case
// changes, lower-cased.
func words(name string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		if end > start {
			out = append(out, strings.ToLower(name[start:end]))
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch {
		case !alnum:
			flush(i)
			start = i + 1
		case c >= 'A' && c <= 'Z' && i > start && name[i-1] >= 'a' && name[i-1] <= 'z':
			flush(i)
			start = i
		}
	}
	flush(len(name))
	return out
}

// query redacts a raw query string, keeping its order: the values of
// credential-like parameters, or every value when all is set (a signed
// URL), and every literal secret.
func (r *Redactor) query(raw string, all bool) string {
	if raw == "" {
		return ""
	}
	pairs := strings.Split(raw, "&")
	for i, p := range pairs {
		k, v, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		switch {
		case hasValue && (all || credentialParam(name)):
			v = Redacted
		case hasValue:
			if dv, err := url.QueryUnescape(v); err == nil && r.sensitiveText(dv) {
				v = Redacted
			}
		}
		if r.holdsSecret([]byte(k)) {
			k = Redacted
		}
		if hasValue {
			pairs[i] = k + "=" + v
		} else {
			pairs[i] = k
		}
	}
	return strings.Join(pairs, "&")
}

// redactURL redacts the query of an absolute URL (all values when all is
// set); a string that is not an absolute URL with a query is scrubbed as
// text.
func (r *Redactor) redactURL(s string, all bool) string {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return r.text(s)
	}
	base, q, ok := strings.Cut(s, "?")
	if !ok {
		return r.text(s)
	}
	frag := ""
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q, frag = q[:i], q[i:]
	}
	return r.text(base) + "?" + r.query(q, all) + r.text(frag)
}

// sensitiveText reports a value that is itself a secret: a literal secret
// or a card number.
func (r *Redactor) sensitiveText(s string) bool {
	return r.holdsSecret([]byte(s)) || cardNumber(s)
}

// text scrubs literal secrets and card numbers out of free text.
func (r *Redactor) text(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, Redacted)
	}
	return cardDigits.ReplaceAllStringFunc(s, func(m string) string {
		if cardNumber(m) {
			return Redacted
		}
		return m
	})
}

func (r *Redactor) holdsSecret(b []byte) bool {
	for _, sec := range r.secrets {
		if bytes.Contains(b, []byte(sec)) {
			return true
		}
	}
	return false
}

// form redacts a form-encoded body as a query (by name, card numbers and
// secrets in values).
func (r *Redactor) form(body string) string {
	var kept []string
	for _, p := range strings.Split(body, "&") {
		k, v, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && (r.secretField(name) || r.secretField(lastBracket(name))) {
			v = Redacted
		} else if hasValue {
			if dv, err := url.QueryUnescape(v); err == nil && r.sensitiveText(dv) {
				v = Redacted
			}
		}
		if hasValue {
			kept = append(kept, k+"="+v)
		} else {
			kept = append(kept, k)
		}
	}
	return r.text(strings.Join(kept, "&"))
}

// lastBracket is the innermost key of a form name: "payment_details[number]" is "number".
func lastBracket(name string) string {
	i := strings.LastIndexByte(name, '[')
	if i < 0 || !strings.HasSuffix(name, "]") {
		return name
	}
	return name[i+1 : len(name)-1]
}

func normField(name string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(name))
}

// secretField reports a body field whose value is a secret by its name.
func (r *Redactor) secretField(name string) bool {
	n := normField(name)
	if n == "" {
		return false
	}
	if slices.Contains(r.fields, n) {
		return true
	}
	for _, w := range []string{"password", "secret", "token", "cvc", "cvv", "apikey", "privatekey", "passphrase"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return slices.Contains([]string{"verificationvalue", "securitycode", "authorization", "signature", "pin"}, n)
}

// cardField names a field that holds a card number.
func cardField(name string) bool {
	return slices.Contains([]string{"number", "cardnumber", "pan", "accountnumber"}, normField(name))
}

// value redacts a JSON value (decodeOrdered) found under the field name
// key.
func (r *Redactor) value(key string, v any) any {
	switch x := v.(type) {
	case *jsonObject:
		for i, k := range x.keys {
			x.vals[i] = r.value(k, x.vals[i])
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = r.value(key, e)
		}
		return x
	case string:
		switch {
		case x == "":
			return x
		case r.secretField(key) || cardNumber(x):
			return Redacted
		}
		return r.redactURL(x, false)
	case json.Number:
		if r.secretField(key) || cardField(key) && cardNumber(x.String()) {
			return Redacted
		}
	}
	return v
}

// cardDigits finds runs that may be a card number in text.
var cardDigits = regexp.MustCompile(`[2-6](?:[ -]?[0-9]){12,18}`)

// cardNumber reports whether s is a payment card number: 13 to 19 digits
// (spaces or dashes between them allowed), starting with 2 to 6 (the
// networks' ranges; epoch milliseconds start with 1), passing the Luhn
// check.
func cardNumber(s string) bool {
	digits := make([]byte, 0, 19)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case (c == ' ' || c == '-') && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	if len(digits) < 13 || len(digits) > 19 || digits[0] < '2' || digits[0] > '6' {
		return false
	}
	sum := 0
	for i := range digits {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
