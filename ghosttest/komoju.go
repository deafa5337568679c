package ghosttest

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Komoju part: the customers API of seed 001 (list, filtered by
// start_time/end_time as KOMOJU's API reference documents, show, create,
// update by PATCH, destroy returning the object), Basic auth with the
// secret key as the username, bare objects, the {"resource":"list",…}
// envelope and {"error":{"code","message","param"}} errors. Under
// ProfileAll it is served under KomojuPrefix: the Ghost part owns
// /api/v1/customers at the root.
func init() {
	registerPart("komoju", []Profile{ProfileKomoju, ProfileAll}, func(s *Server) part { return newKomoju(s) })
}

// komojuDefaultPerPage is the page size of the seed's list example.
const komojuDefaultPerPage = 10

type komojuCustomer struct {
	ID        string            `json:"id"`
	Resource  string            `json:"resource"`
	Email     string            `json:"email"`
	Currency  string            `json:"currency,omitempty"`
	Source    *komojuSource     `json:"source"`
	Metadata  map[string]string `json:"metadata"`
	CreatedAt string            `json:"created_at"`
}

type komojuSource struct {
	Type           string `json:"type"`
	Brand          string `json:"brand,omitempty"`
	LastFourDigits string `json:"last_four_digits,omitempty"`
	Month          int    `json:"month,omitempty"`
	Year           int    `json:"year,omitempty"`
}

// komojuList is the list envelope, in the seed's key order.
type komojuList struct {
	Resource string            `json:"resource"`
	Total    int               `json:"total"`
	Page     int               `json:"page"`
	PerPage  int               `json:"per_page"`
	LastPage int               `json:"last_page"`
	Data     []*komojuCustomer `json:"data"`
}

type komoju struct {
	srv *Server

	mu        sync.Mutex
	customers map[string]*komojuCustomer
	order     []string // ids, oldest first
}

func newKomoju(s *Server) *komoju {
	return &komoju{srv: s, customers: make(map[string]*komojuCustomer)}
}

func (k *komoju) routes(mux *http.ServeMux) {
	conflict := func(w http.ResponseWriter, r *http.Request) {
		komojuError(w, http.StatusConflict, "idempotency_conflict",
			"The idempotency key was already used with a different request", "X-KOMOJU-IDEMPOTENCY")
	}
	mux.HandleFunc("GET /api/v1/customers", k.auth(k.list))
	mux.HandleFunc("POST /api/v1/customers", k.auth(k.checkIdemKey(k.srv.idempotent("X-KOMOJU-IDEMPOTENCY", conflict, k.create))))
	mux.HandleFunc("GET /api/v1/customers/{id}", k.auth(k.show))
	mux.HandleFunc("PATCH /api/v1/customers/{id}", k.auth(k.update))
	mux.HandleFunc("DELETE /api/v1/customers/{id}", k.auth(k.destroy))
}

// seed preloads n customers shaped like the seed's list example.
func (k *komoju) seed(n int) {
	for i := 1; i <= n; i++ {
		k.add(&komojuCustomer{
			Email:    fmt.Sprintf("customer%d@example.com", i),
			Metadata: map[string]string{"order_id": "abcdefg"},
		})
	}
}

// add stores c with a fresh id and creation time.
func (k *komoju) add(c *komojuCustomer) {
	c.ID = komojuID(k.srv.nextInt("komoju_customer"))
	c.Resource = "customer"
	c.CreatedAt = k.srv.Clock.Now().Truncate(time.Second).Format(time.RFC3339)
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	k.mu.Lock()
	k.customers[c.ID] = c
	k.order = append(k.order, c.ID)
	k.mu.Unlock()
}

// komojuID derives the n-th id: 25 lowercase base-36 characters, the shape
// of the seed's ids, deterministic across runs.
func komojuID(n int) string {
	sum := sha256.Sum256([]byte("komoju-customer-" + strconv.Itoa(n)))
	s := new(big.Int).SetBytes(sum[:]).Text(36)
	for len(s) < 25 {
		s = "0" + s
	}
	return s[:25]
}

func komojuError(w http.ResponseWriter, status int, code, msg, param string) {
	var p any
	if param != "" {
		p = param
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg, "param": p}})
}

// auth accepts HTTP Basic with the secret key as the username and an empty
// password, as the seed's `curl -u sk_123456:` sends it.
func (k *komoju) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || pass != "" || subtle.ConstantTimeCompare([]byte(user), []byte(k.srv.Config.SecretKey)) != 1 {
			komojuError(w, http.StatusUnauthorized, "unauthorized", "Invalid authentication credentials: use your secret key as the Basic auth username", "")
			return
		}
		h(w, r)
	}
}

// checkIdemKey refuses idempotency keys Komoju does not accept.
func (k *komoju) checkIdemKey(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-KOMOJU-IDEMPOTENCY")
		if len(key) > 100 || strings.IndexFunc(key, func(c rune) bool { return c < 0x20 || c > 0x7e }) >= 0 {
			komojuError(w, http.StatusBadRequest, "invalid_parameter", "The idempotency key must be at most 100 ASCII characters", "X-KOMOJU-IDEMPOTENCY")
			return
		}
		h(w, r)
	}
}

func (k *komoju) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	num := func(name string, def int) (int, bool) {
		v := q.Get(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			komojuError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("The parameter %s must be a positive integer", name), name)
			return 0, false
		}
		return n, true
	}
	page, ok := num("page", 1)
	if !ok {
		return
	}
	perPage, ok := num("per_page", komojuDefaultPerPage)
	if !ok {
		return
	}
	start, ok := komojuTime(w, q, "start_time")
	if !ok {
		return
	}
	end, ok := komojuTime(w, q, "end_time")
	if !ok {
		return
	}
	k.mu.Lock()
	// Newest first, like the seed's list.
	var match []*komojuCustomer
	for i := len(k.order) - 1; i >= 0; i-- {
		c := k.customers[k.order[i]]
		created, _ := time.Parse(time.RFC3339, c.CreatedAt)
		if (!start.IsZero() && created.Before(start)) || (!end.IsZero() && created.After(end)) {
			continue
		}
		match = append(match, c)
	}
	total := len(match)
	data := []*komojuCustomer{}
	for i := (page - 1) * perPage; i < total && len(data) < perPage; i++ {
		c := *match[i]
		data = append(data, &c)
	}
	k.mu.Unlock()
	last := max(1, (total+perPage-1)/perPage)
	writeJSON(w, http.StatusOK, komojuList{Resource: "list", Total: total, Page: page, PerPage: perPage, LastPage: last, Data: data})
}

// komojuTime reads the start_time or end_time filter of a list: an ISO 8601
// date-time (RFC 3339, fractional seconds allowed, as KOMOJU's Node SDK
// sends Date.toISOString()). KOMOJU's reference says "records created after
// this time" (start_time) and "before this time" (end_time) without saying
// whether the bound itself is included: the mock includes it, so a customer
// created at exactly start_time or end_time is listed. An absent or empty
// parameter is no bound; anything else is a 400 naming the parameter.
func komojuTime(w http.ResponseWriter, q url.Values, name string) (time.Time, bool) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		komojuError(w, http.StatusBadRequest, "invalid_parameter",
			fmt.Sprintf("The parameter %s must be an ISO 8601 date-time, e.g. 2024-01-15T10:30:00Z", name), name)
		return time.Time{}, false
	}
	return t, true
}

func (k *komoju) show(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	c, ok := k.customers[r.PathValue("id")]
	var out komojuCustomer
	if ok {
		out = *c
	}
	k.mu.Unlock()
	if !ok {
		komojuNotFound(w, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func komojuNotFound(w http.ResponseWriter, id string) {
	komojuError(w, http.StatusNotFound, "not_found", fmt.Sprintf("The requested resource (customer %s) could not be found", id), "id")
}

func (k *komoju) destroy(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	k.mu.Lock()
	c, ok := k.customers[id]
	if ok {
		delete(k.customers, id)
		k.order = slices.DeleteFunc(k.order, func(s string) bool { return s == id })
	}
	k.mu.Unlock()
	if !ok {
		komojuNotFound(w, id)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// komojuInput is a create or update body, from JSON or a form.
type komojuInput struct {
	email, currency       *string
	metadata              map[string]string
	hasMetadata           bool
	paymentToken          string
	paymentHash           map[string]string
	hasPayment            bool
	paymentDetailsInvalid bool
}

// parseKomojuBody reads a JSON body or a form-encoded one (curl -d, with
// bracketed keys such as metadata[order_id]). A body that is JSON is read
// as JSON whatever its Content-Type says (the seed's Node example sends
// none); any other body is read as a form. It writes the error itself and
// returns false when the body cannot be used.
func parseKomojuBody(w http.ResponseWriter, r *http.Request) (komojuInput, bool) {
	var in komojuInput
	data, err := io.ReadAll(r.Body)
	if err != nil {
		komojuError(w, http.StatusBadRequest, "bad_request", "The request body could not be read", "")
		return in, false
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	trimmed := bytes.TrimSpace(data)
	if ct == "application/json" || (len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &m); err != nil || m == nil {
			komojuError(w, http.StatusBadRequest, "bad_request", "The request body is not a valid JSON object", "")
			return in, false
		}
		for key, raw := range m {
			switch key {
			case "email", "currency":
				var s string
				if json.Unmarshal(raw, &s) != nil {
					komojuError(w, http.StatusBadRequest, "invalid_parameter", "The parameter "+key+" must be a string", key)
					return in, false
				}
				if key == "email" {
					in.email = &s
				} else {
					in.currency = &s
				}
			case "metadata":
				var md map[string]any
				if json.Unmarshal(raw, &md) != nil {
					komojuError(w, http.StatusBadRequest, "invalid_parameter", "The parameter metadata must be an object", "metadata")
					return in, false
				}
				in.metadata, in.hasMetadata = stringMap(md), true
			case "payment_details":
				in.hasPayment = true
				var tok string
				var hash map[string]any
				switch {
				case json.Unmarshal(raw, &tok) == nil:
					in.paymentToken = tok
				case json.Unmarshal(raw, &hash) == nil && hash != nil:
					in.paymentHash = stringMap(hash)
				default:
					in.paymentDetailsInvalid = true
				}
			default:
				komojuError(w, http.StatusBadRequest, "invalid_parameter", "Unknown parameter "+key, key)
				return in, false
			}
		}
		return in, true
	}
	if ct != "" && ct != "application/x-www-form-urlencoded" && len(trimmed) > 0 {
		komojuError(w, http.StatusBadRequest, "bad_request", "The request body must be JSON or form-encoded, not "+ct, "")
		return in, false
	}
	form, err := url.ParseQuery(string(trimmed))
	if err != nil {
		komojuError(w, http.StatusBadRequest, "bad_request", "The request body could not be parsed", "")
		return in, false
	}
	for key, vs := range form {
		v := vs[len(vs)-1]
		name, sub, nested := strings.Cut(key, "[")
		if nested {
			if !strings.HasSuffix(sub, "]") || strings.ContainsAny(sub[:len(sub)-1], "[]") {
				komojuError(w, http.StatusBadRequest, "invalid_parameter", "Malformed parameter "+key, key)
				return in, false
			}
			sub = sub[:len(sub)-1]
		}
		switch {
		case name == "email" && !nested:
			in.email = &v
		case name == "currency" && !nested:
			in.currency = &v
		case name == "metadata" && nested:
			if in.metadata == nil {
				in.metadata = map[string]string{}
			}
			in.metadata[sub], in.hasMetadata = v, true
		case name == "payment_details" && !nested:
			in.paymentToken, in.hasPayment = v, true
		case name == "payment_details" && nested:
			if in.paymentHash == nil {
				in.paymentHash = map[string]string{}
			}
			in.paymentHash[sub], in.hasPayment = v, true
		default:
			komojuError(w, http.StatusBadRequest, "invalid_parameter", "Unknown parameter "+key, name)
			return in, false
		}
	}
	return in, true
}

func stringMap(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
			out[k] = ""
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

// source derives the stored payment method from payment_details: a token
// stands for the test card of the seed's example (visa ending 1111, 1/2023);
// a credit_card hash gives its own brand, last four digits and expiry.
func (in komojuInput) source() (*komojuSource, string) {
	if in.paymentDetailsInvalid {
		return nil, "The parameter payment_details must be a token or a hash"
	}
	if in.paymentHash == nil {
		if !strings.HasPrefix(in.paymentToken, "tok_") || len(in.paymentToken) < 5 {
			return nil, "The payment_details token is invalid"
		}
		return &komojuSource{Type: "credit_card", Brand: "visa", LastFourDigits: "1111", Month: 1, Year: 2023}, ""
	}
	h := in.paymentHash
	typ := h["type"]
	if typ == "" {
		return nil, "payment_details[type] is required"
	}
	if typ != "credit_card" {
		return &komojuSource{Type: typ}, ""
	}
	num := strings.ReplaceAll(h["number"], " ", "")
	month, errM := strconv.Atoi(h["month"])
	year, errY := strconv.Atoi(h["year"])
	if len(num) < 12 || strings.IndexFunc(num, func(c rune) bool { return c < '0' || c > '9' }) >= 0 {
		return nil, "payment_details[number] is not a card number"
	}
	if errM != nil || month < 1 || month > 12 || errY != nil || year < 2000 {
		return nil, "payment_details[month] and payment_details[year] must be a valid expiry"
	}
	brand := "unknown"
	switch {
	case num[0] == '4':
		brand = "visa"
	case num[0] == '5':
		brand = "master"
	case strings.HasPrefix(num, "34"), strings.HasPrefix(num, "37"):
		brand = "american_express"
	case strings.HasPrefix(num, "35"):
		brand = "jcb"
	}
	return &komojuSource{Type: typ, Brand: brand, LastFourDigits: num[len(num)-4:], Month: month, Year: year}, ""
}

// apply validates in and applies it to c; it writes the error and returns
// false when in is invalid.
func (in komojuInput) apply(w http.ResponseWriter, c *komojuCustomer) bool {
	if in.currency != nil {
		cur := *in.currency
		if len(cur) != 3 || strings.ToUpper(cur) != cur || strings.IndexFunc(cur, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			komojuError(w, http.StatusBadRequest, "invalid_parameter", "The parameter currency must be a 3 letter ISO currency code", "currency")
			return false
		}
	}
	if in.email != nil && *in.email != "" && !strings.Contains(*in.email, "@") {
		komojuError(w, http.StatusBadRequest, "invalid_parameter", "The parameter email is not an email address", "email")
		return false
	}
	var src *komojuSource
	if in.hasPayment {
		var msg string
		if src, msg = in.source(); msg != "" {
			komojuError(w, http.StatusBadRequest, "invalid_parameter", msg, "payment_details")
			return false
		}
	}
	if in.email != nil {
		c.Email = *in.email
	}
	if in.currency != nil {
		c.Currency = *in.currency
	}
	if in.hasMetadata {
		c.Metadata = in.metadata
	}
	if src != nil {
		c.Source = src
	}
	return true
}

func (k *komoju) create(w http.ResponseWriter, r *http.Request) {
	in, ok := parseKomojuBody(w, r)
	if !ok {
		return
	}
	if !in.hasPayment {
		komojuError(w, http.StatusBadRequest, "missing_parameter", "A required parameter (payment_details) is missing", "payment_details")
		return
	}
	c := &komojuCustomer{}
	if !in.apply(w, c) {
		return
	}
	k.add(c)
	k.mu.Lock()
	out := *c
	k.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (k *komoju) update(w http.ResponseWriter, r *http.Request) {
	in, ok := parseKomojuBody(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	k.mu.Lock()
	defer k.mu.Unlock()
	c, found := k.customers[id]
	if !found {
		komojuNotFound(w, id)
		return
	}
	next := *c
	if !in.apply(w, &next) {
		return
	}
	*c = next
	writeJSON(w, http.StatusOK, next)
}

func (k *komoju) writeError(w http.ResponseWriter, status int, msg string) {
	code := map[int]string{
		http.StatusBadRequest:       "bad_request",
		http.StatusNotFound:         "not_found",
		http.StatusMethodNotAllowed: "method_not_allowed",
	}[status]
	if code == "" {
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	}
	komojuError(w, status, code, msg, "")
}
