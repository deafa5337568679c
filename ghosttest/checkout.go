package ghosttest

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The checkout part emulates the Quick Checkout Tracker API (seed 002):
// carts, payment links and recovery analytics under /api, authenticated by
// the x-api-key header, answering {"success":true,"data":…} and
// {"success":false,"error":{"code","message"}}.
//
// Its rules, where the document leaves a choice:
//
//   - Status codes: a bad query parameter (limit over 100, page or limit not
//     a positive integer, unknown status or period, a malformed date) and a
//     body that is not a JSON object answer 400 BAD_REQUEST; a well-formed
//     body that fails validation (missing or malformed customerEmail, no
//     items, an item without a name, quantity < 1 or not an integer, a price
//     that is negative, not a number or finer than cents, an unknown status,
//     a forbidden status change) answers 422 VALIDATION_ERROR; an unknown id
//     answers 404 NOT_FOUND; a missing or wrong x-api-key answers 401
//     UNAUTHORIZED; over the rate limit answers 429 RATE_LIMITED.
//   - Money is parsed exactly (no floats): totalValue is the exact sum of
//     quantity × price, written with two decimals.
//   - Carts are created "abandoned" (abandonedAt = createdAt) and answer 201.
//     PATCH may change customerEmail, customerName, items (recomputing
//     totalValue) and status; other fields are ignored. "recovered" and
//     "expired" are final: changing the status or the items of such a cart
//     answers 422. Leaving "abandoned" clears the payment link.
//   - Lists are newest first (createdAt, then id, descending).
//   - A payment link is https://checkout.stripe.com/pay/cs_test_<cart id>_<n>
//     and expires 7 days later on the mock clock. Each POST makes a new link
//     that replaces the previous one (201). Once expired, the cart reports
//     paymentLink null until a new link is made; the cart stays abandoned.
//     Only an abandoned cart can get a link (otherwise 422).
//   - Analytics: period 7d/30d/90d is the last N UTC days, today included
//     (from midnight N-1 days ago to now); startDate/endDate (both required,
//     not with period) take RFC 3339 timestamps or YYYY-MM-DD days (a day
//     endDate includes the whole day) and bound the range inclusively, at
//     most 366 days; nothing given means 30d. Every cart counts on the UTC
//     day it was abandoned (every cart was abandoned once, so "abandoned"
//     counts all carts abandoned in the range); "recovered" counts those of
//     them now recovered, so the daily stats add up to the summary and the
//     rate never exceeds 100. recoveryRate = recovered / abandoned × 100,
//     rounded half up to one decimal (0.0 when nothing was abandoned).
//     dailyStats lists every UTC day of the range, days without carts
//     included, oldest first.
//   - Beyond the seed, POSTs honour an Idempotency-Key header: a repeat
//     with the same key and body replays the first answer
//     (Idempotent-Replayed: true); another body answers 422.
//   - Rate limit: Config.CheckoutRateLimit requests per sliding minute of the
//     mock clock per client (the API key when valid, else the remote IP);
//     every checkout request counts, refused ones excepted. Over it: 429 with
//     Retry-After in whole seconds until a slot frees.

func init() {
	registerPart("checkout", []Profile{ProfileCheckout, ProfileAll}, func(s *Server) part { return newCheckout(s) })
}

const (
	checkoutMaxLimit     = 100
	checkoutDefaultLimit = 10
	checkoutLinkTTL      = 7 * 24 * time.Hour
	checkoutWindow       = time.Minute
	checkoutMaxItems     = 1000
	checkoutMaxRangeDays = 366
)

type checkout struct {
	srv *Server

	mu    sync.Mutex
	carts map[string]*coCart
	hits  map[string][]time.Time // accepted requests per client in the last window
}

type coCart struct {
	id          string
	email       string
	name        string
	items       []coItem
	total       coMoney
	status      string
	abandonedAt time.Time
	createdAt   time.Time
	updatedAt   time.Time
	link        string
	linkExpires time.Time
	links       int    // links made so far
	paidLink    string // the link a webhook recovered the cart through
}

type coItem struct {
	Name     string  `json:"name"`
	Quantity int64   `json:"quantity"`
	Price    coMoney `json:"price"`
}

// coMoney is an amount in cents, written as a decimal with two places.
type coMoney int64

func (c coMoney) MarshalJSON() ([]byte, error) {
	n := int64(c)
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", -u
	}
	return fmt.Appendf(nil, "%s%d.%02d", sign, u/100, u%100), nil
}

// coRate is a percentage in tenths, written with one decimal (30.0).
type coRate int64

func (r coRate) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%d.%d", int64(r)/10, int64(r)%10), nil
}

func newCheckout(s *Server) *checkout {
	return &checkout{srv: s, carts: make(map[string]*coCart), hits: make(map[string][]time.Time)}
}

func (c *checkout) routes(mux *http.ServeMux) {
	// Beyond the seed: a POST carrying Idempotency-Key runs once per key;
	// a repeat gets the first answer again, a repeat with another body 422.
	idem := func(h http.HandlerFunc) http.HandlerFunc {
		return c.srv.idempotent("Idempotency-Key", func(w http.ResponseWriter, r *http.Request) {
			coValidationError(w, "Idempotency-Key was already used with a different request body")
		}, h)
	}
	mux.HandleFunc("GET /api/carts", c.guard(c.listCarts))
	mux.HandleFunc("POST /api/carts", c.guard(idem(c.createCart)))
	mux.HandleFunc("GET /api/carts/{id}", c.guard(c.getCart))
	mux.HandleFunc("PATCH /api/carts/{id}", c.guard(c.updateCart))
	mux.HandleFunc("DELETE /api/carts/{id}", c.guard(c.deleteCart))
	mux.HandleFunc("POST /api/carts/{id}/payment-link", c.guard(idem(c.createLink)))
	mux.HandleFunc("GET /api/analytics", c.guard(c.analytics))
	// Stripe calls the webhook without the x-api-key (see webhook.go).
	mux.HandleFunc("POST /api/webhooks/stripe", c.stripeWebhook)
}

// seed adds n carts with mixed statuses, items and dates over the last weeks.
func (c *checkout) seed(n int) {
	catalogue := []coItem{
		{Name: "Wireless Headphones", Price: 4999},
		{Name: "Phone Case", Price: 1999},
		{Name: "USB-C Cable", Price: 999},
		{Name: "Laptop Stand", Price: 3450},
		{Name: "Coffee Beans 1kg", Price: 2675},
	}
	statuses := []string{"abandoned", "recovered", "abandoned", "expired", "recovered"}
	now := c.srv.Clock.Now().Truncate(time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range n {
		created := now.Add(-time.Duration(i*11+1) * time.Hour)
		var items []coItem
		var total coMoney
		for j := range 1 + i%3 {
			it := catalogue[(i+j)%len(catalogue)]
			it.Quantity = int64(1 + (i+j)%3)
			items = append(items, it)
			total += it.Price * coMoney(it.Quantity)
		}
		cart := &coCart{
			id:          c.srv.nextID("cart"),
			email:       fmt.Sprintf("customer%d@example.com", i+1),
			name:        fmt.Sprintf("Customer %d", i+1),
			items:       items,
			total:       total,
			status:      statuses[i%len(statuses)],
			createdAt:   created,
			abandonedAt: created,
			updatedAt:   created,
		}
		if cart.status != "abandoned" {
			cart.updatedAt = created.Add(time.Duration(1+i%5) * time.Hour)
			if cart.updatedAt.After(now) {
				cart.updatedAt = now
			}
		}
		c.carts[cart.id] = cart
	}
}

// guard applies the rate limit and the x-api-key check.
func (c *checkout) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Api-Key")
		valid := key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(c.srv.Config.APIKey)) == 1
		client := "key:" + key
		if !valid {
			client = "ip:" + coRemoteIP(r)
		}
		if !c.allow(w, client) {
			return
		}
		if !valid {
			checkoutError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Missing or invalid API key")
			return
		}
		h(w, r)
	}
}

func coRemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allow counts the request against the client's sliding window, or answers
// 429 when the window is full.
func (c *checkout) allow(w http.ResponseWriter, client string) bool {
	limit := c.srv.Config.CheckoutRateLimit
	if limit < 0 {
		return true
	}
	window := cmp.Or(c.srv.Config.CheckoutRateWindow, checkoutWindow)
	now := c.srv.Clock.Now()
	c.mu.Lock()
	hits := c.hits[client]
	kept := hits[:0]
	for _, t := range hits {
		// Keep (now-window, now]; a clock set backwards forgets the future.
		if t.After(now.Add(-window)) && !t.After(now) {
			kept = append(kept, t)
		}
	}
	if len(kept) >= limit {
		c.hits[client] = kept
		wait := window
		if len(kept) > 0 {
			wait = kept[0].Add(window).Sub(now)
		}
		c.mu.Unlock()
		secs := max(int64((wait+time.Second-1)/time.Second), 1)
		h := w.Header()
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", "0")
		checkoutError(w, http.StatusTooManyRequests, "RATE_LIMITED",
			fmt.Sprintf("Too many requests: the limit is %d per minute; retry in %d s", limit, secs))
		return false
	}
	kept = append(kept, now)
	c.hits[client] = kept
	c.mu.Unlock()
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(limit-len(kept)))
	return true
}

func checkoutError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{
		"success": false,
		"error":   map[string]string{"code": code, "message": msg},
	})
}

func checkoutOK(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, map[string]any{"success": true, "data": data})
}

func coBadRequest(w http.ResponseWriter, format string, args ...any) {
	checkoutError(w, http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf(format, args...))
}

func coValidationError(w http.ResponseWriter, format string, args ...any) {
	checkoutError(w, http.StatusUnprocessableEntity, "VALIDATION_ERROR", fmt.Sprintf(format, args...))
}

func coNotFound(w http.ResponseWriter) {
	checkoutError(w, http.StatusNotFound, "NOT_FOUND", "Cart not found")
}

// now is the mock clock's time, to the second, as the API writes times.
func (c *checkout) now() time.Time { return c.srv.Clock.Now().Truncate(time.Second) }

type coCartView struct {
	ID            string    `json:"id"`
	CustomerEmail string    `json:"customerEmail"`
	CustomerName  string    `json:"customerName"`
	Items         []coItem  `json:"items"`
	TotalValue    coMoney   `json:"totalValue"`
	Status        string    `json:"status"`
	AbandonedAt   time.Time `json:"abandonedAt"`
	PaymentLink   *string   `json:"paymentLink"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// view renders a cart; c.mu is held.
func (c *checkout) view(m *coCart, now time.Time) coCartView {
	v := coCartView{
		ID: m.id, CustomerEmail: m.email, CustomerName: m.name,
		Items: slices.Clone(m.items), TotalValue: m.total, Status: m.status,
		AbandonedAt: m.abandonedAt, CreatedAt: m.createdAt, UpdatedAt: m.updatedAt,
	}
	if m.link != "" && now.Before(m.linkExpires) {
		link := m.link
		v.PaymentLink = &link
	}
	return v
}

func coValidStatus(s string) bool {
	return s == "abandoned" || s == "recovered" || s == "expired"
}

// coPositiveParam reads an optional positive integer query parameter.
func coPositiveParam(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive integer, got %q", name, v)
	}
	return n, nil
}

func (c *checkout) listCarts(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		coBadRequest(w, "malformed query string")
		return
	}
	page, err := coPositiveParam(q, "page", 1)
	if err != nil {
		coBadRequest(w, "%v", err)
		return
	}
	limit, err := coPositiveParam(q, "limit", checkoutDefaultLimit)
	if err != nil {
		coBadRequest(w, "%v", err)
		return
	}
	if limit > checkoutMaxLimit {
		coBadRequest(w, "limit must be at most %d, got %d", checkoutMaxLimit, limit)
		return
	}
	status := q.Get("status")
	if status != "" && !coValidStatus(status) {
		coBadRequest(w, "status must be one of abandoned, recovered, expired; got %q", status)
		return
	}

	now := c.srv.Clock.Now()
	c.mu.Lock()
	var all []*coCart
	for _, m := range c.carts {
		if status == "" || m.status == status {
			all = append(all, m)
		}
	}
	slices.SortFunc(all, func(a, b *coCart) int {
		if d := b.createdAt.Compare(a.createdAt); d != 0 {
			return d
		}
		return strings.Compare(b.id, a.id)
	})
	total := len(all)
	views := []coCartView{}
	if (page - 1) <= total/limit {
		from := (page - 1) * limit
		for _, m := range all[min(from, total):min(from+limit, total)] {
			views = append(views, c.view(m, now))
		}
	}
	c.mu.Unlock()
	checkoutOK(w, http.StatusOK, map[string]any{
		"carts": views,
		"pagination": map[string]int{
			"page": page, "limit": limit, "total": total, "totalPages": (total + limit - 1) / limit,
		},
	})
}

func (c *checkout) getCart(w http.ResponseWriter, r *http.Request) {
	now := c.srv.Clock.Now()
	c.mu.Lock()
	m, ok := c.carts[r.PathValue("id")]
	var v coCartView
	if ok {
		v = c.view(m, now)
	}
	c.mu.Unlock()
	if !ok {
		coNotFound(w)
		return
	}
	checkoutOK(w, http.StatusOK, v)
}

// coCartInput is a create or update body; each field is checked by hand so a
// wrong type is a validation error (422), not a malformed body (400).
type coCartInput struct {
	CustomerEmail json.RawMessage `json:"customerEmail"`
	CustomerName  json.RawMessage `json:"customerName"`
	Items         json.RawMessage `json:"items"`
	Status        json.RawMessage `json:"status"`
}

// coReadObject decodes a JSON object body, or answers 400.
func coReadObject(w http.ResponseWriter, r *http.Request, into any) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		coBadRequest(w, "cannot read body")
		return false
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		coBadRequest(w, "request body must be a JSON object")
		return false
	}
	if err := json.Unmarshal(body, into); err != nil {
		coBadRequest(w, "request body must be a JSON object")
		return false
	}
	return true
}

func coGiven(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

func coString(raw json.RawMessage, field string) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", fmt.Errorf("%s must be a string", field)
	}
	return s, nil
}

func coEmail(raw json.RawMessage) (string, error) {
	if !coGiven(raw) {
		return "", fmt.Errorf("customerEmail is required")
	}
	s, err := coString(raw, "customerEmail")
	if err != nil {
		return "", err
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(s, " \t\r\n<>,;") || strings.Contains(domain, "@") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", fmt.Errorf("customerEmail %q is not a valid email address", s)
	}
	return s, nil
}

func coItems(raw json.RawMessage) ([]coItem, coMoney, error) {
	if !coGiven(raw) {
		return nil, 0, fmt.Errorf("items is required")
	}
	var list []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, 0, fmt.Errorf("items must be an array")
	}
	if len(list) == 0 {
		return nil, 0, fmt.Errorf("items must not be empty")
	}
	if len(list) > checkoutMaxItems {
		return nil, 0, fmt.Errorf("a cart holds at most %d items", checkoutMaxItems)
	}
	items := make([]coItem, 0, len(list))
	var total coMoney
	for i, e := range list {
		var f struct {
			Name     json.RawMessage `json:"name"`
			Quantity json.RawMessage `json:"quantity"`
			Price    json.RawMessage `json:"price"`
		}
		if e[0] != '{' || json.Unmarshal(e, &f) != nil {
			return nil, 0, fmt.Errorf("items[%d] must be an object", i)
		}
		name, err := coString(f.Name, fmt.Sprintf("items[%d].name", i))
		if err != nil || strings.TrimSpace(name) == "" {
			return nil, 0, fmt.Errorf("items[%d].name is required", i)
		}
		if !coGiven(f.Quantity) {
			return nil, 0, fmt.Errorf("items[%d].quantity is required", i)
		}
		qty, err := strconv.ParseInt(string(f.Quantity), 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("items[%d].quantity must be an integer", i)
		}
		if qty < 1 {
			return nil, 0, fmt.Errorf("items[%d].quantity must be at least 1", i)
		}
		if !coGiven(f.Price) {
			return nil, 0, fmt.Errorf("items[%d].price is required", i)
		}
		price, err := coCents(f.Price)
		if err != nil {
			return nil, 0, fmt.Errorf("items[%d].price %v", i, err)
		}
		if price < 0 {
			return nil, 0, fmt.Errorf("items[%d].price must not be negative", i)
		}
		line := new(big.Int).Mul(big.NewInt(price), big.NewInt(qty))
		line.Add(line, big.NewInt(int64(total)))
		if !line.IsInt64() {
			return nil, 0, fmt.Errorf("cart total is out of range")
		}
		total = coMoney(line.Int64())
		items = append(items, coItem{Name: name, Quantity: qty, Price: coMoney(price)})
	}
	return items, total, nil
}

// coCents parses a JSON number exactly (as a rational) into cents.
func coCents(raw json.RawMessage) (int64, error) {
	s := string(raw)
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, fmt.Errorf("must be a number")
	}
	if len(s) > 40 {
		return 0, fmt.Errorf("is out of range")
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 30 || e < -30 {
			return 0, fmt.Errorf("is out of range")
		}
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("must be a number")
	}
	v.Mul(v, big.NewRat(100, 1))
	if !v.IsInt() {
		return 0, fmt.Errorf("has more precision than cents")
	}
	if !v.Num().IsInt64() {
		return 0, fmt.Errorf("is out of range")
	}
	return v.Num().Int64(), nil
}

func (c *checkout) createCart(w http.ResponseWriter, r *http.Request) {
	var in coCartInput
	if !coReadObject(w, r, &in) {
		return
	}
	email, err := coEmail(in.CustomerEmail)
	if err != nil {
		coValidationError(w, "%v", err)
		return
	}
	var name string
	if coGiven(in.CustomerName) {
		if name, err = coString(in.CustomerName, "customerName"); err != nil {
			coValidationError(w, "%v", err)
			return
		}
	}
	items, total, err := coItems(in.Items)
	if err != nil {
		coValidationError(w, "%v", err)
		return
	}
	now := c.now()
	m := &coCart{
		id: c.srv.nextID("cart"), email: email, name: name, items: items, total: total,
		status: "abandoned", abandonedAt: now, createdAt: now, updatedAt: now,
	}
	c.mu.Lock()
	c.carts[m.id] = m
	v := c.view(m, now)
	c.mu.Unlock()
	checkoutOK(w, http.StatusCreated, v)
}

func (c *checkout) updateCart(w http.ResponseWriter, r *http.Request) {
	var in coCartInput
	if !coReadObject(w, r, &in) {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.carts[r.PathValue("id")]
	if !ok {
		coNotFound(w)
		return
	}
	var (
		email, name, status string
		items               []coItem
		total               coMoney
		err                 error
	)
	if coGiven(in.CustomerEmail) {
		if email, err = coEmail(in.CustomerEmail); err != nil {
			coValidationError(w, "%v", err)
			return
		}
	}
	if coGiven(in.CustomerName) {
		if name, err = coString(in.CustomerName, "customerName"); err != nil {
			coValidationError(w, "%v", err)
			return
		}
	}
	if coGiven(in.Items) {
		if items, total, err = coItems(in.Items); err != nil {
			coValidationError(w, "%v", err)
			return
		}
	}
	if coGiven(in.Status) {
		if status, err = coString(in.Status, "status"); err != nil {
			coValidationError(w, "%v", err)
			return
		}
		if !coValidStatus(status) {
			coValidationError(w, "status must be one of abandoned, recovered, expired; got %q", status)
			return
		}
	}
	final := m.status != "abandoned"
	if final && status != "" && status != m.status {
		coValidationError(w, "cart is %s; its status cannot change to %s", m.status, status)
		return
	}
	if final && items != nil {
		coValidationError(w, "cart is %s; its items cannot change", m.status)
		return
	}
	if email != "" {
		m.email = email
	}
	if coGiven(in.CustomerName) {
		m.name = name
	}
	if items != nil {
		m.items, m.total = items, total
	}
	if status != "" && status != m.status {
		m.status = status
		m.link, m.linkExpires = "", time.Time{}
	}
	m.updatedAt = now
	checkoutOK(w, http.StatusOK, c.view(m, now))
}

func (c *checkout) deleteCart(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c.mu.Lock()
	_, ok := c.carts[id]
	delete(c.carts, id)
	c.mu.Unlock()
	if !ok {
		coNotFound(w)
		return
	}
	checkoutOK(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
}

func (c *checkout) createLink(w http.ResponseWriter, r *http.Request) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.carts[r.PathValue("id")]
	if !ok {
		coNotFound(w)
		return
	}
	if m.status != "abandoned" {
		coValidationError(w, "cart is %s; only an abandoned cart can get a payment link", m.status)
		return
	}
	m.links++
	m.link = fmt.Sprintf("https://checkout.stripe.com/pay/cs_test_%s_%d", m.id, m.links)
	m.linkExpires = now.Add(checkoutLinkTTL)
	m.updatedAt = now
	checkoutOK(w, http.StatusCreated, map[string]any{"paymentLink": m.link, "expiresAt": m.linkExpires})
}

// coRange resolves the report's range from the query; the error is a
// 400 message.
func coRange(q url.Values, now time.Time) (start, end time.Time, err error) {
	period, startS, endS := q.Get("period"), q.Get("startDate"), q.Get("endDate")
	if period != "" && (startS != "" || endS != "") {
		return start, end, fmt.Errorf("use either period or startDate/endDate, not both")
	}
	if startS == "" && endS == "" {
		days := 30
		switch period {
		case "", "30d":
		case "7d":
			days = 7
		case "90d":
			days = 90
		default:
			return start, end, fmt.Errorf("period must be one of 7d, 30d, 90d; got %q", period)
		}
		y, m, d := now.UTC().Date()
		start = time.Date(y, m, d-(days-1), 0, 0, 0, 0, time.UTC)
		return start, now, nil
	}
	if startS == "" || endS == "" {
		return start, end, fmt.Errorf("startDate and endDate must be given together")
	}
	if start, err = coParseISO(startS, false); err != nil {
		return start, end, fmt.Errorf("startDate: %v", err)
	}
	if end, err = coParseISO(endS, true); err != nil {
		return start, end, fmt.Errorf("endDate: %v", err)
	}
	if end.Before(start) {
		return start, end, fmt.Errorf("endDate is before startDate")
	}
	if coDay(end).Sub(coDay(start)) >= checkoutMaxRangeDays*24*time.Hour {
		return start, end, fmt.Errorf("the range spans more than %d days", checkoutMaxRangeDays)
	}
	return start, end, nil
}

// coParseISO reads an RFC 3339 timestamp or a YYYY-MM-DD day; a day as the end
// of a range means its last instant.
func coParseISO(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("%q is not an ISO 8601 date (YYYY-MM-DD or RFC 3339)", s)
	}
	return t.UTC(), nil
}

func coDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

type coDailyStat struct {
	Date           string  `json:"date"`
	Abandoned      int64   `json:"abandoned"`
	Recovered      int64   `json:"recovered"`
	AbandonedValue coMoney `json:"abandonedValue"`
	RecoveredValue coMoney `json:"recoveredValue"`
}

func (c *checkout) analytics(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		coBadRequest(w, "malformed query string")
		return
	}
	start, end, err := coRange(q, c.srv.Clock.Now())
	if err != nil {
		coBadRequest(w, "%v", err)
		return
	}
	first := coDay(start)
	var days []coDailyStat
	index := map[string]int{}
	for d := first; !d.After(end); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		index[key] = len(days)
		days = append(days, coDailyStat{Date: key})
	}
	abandonedValue, recoveredValue := new(big.Int), new(big.Int)
	var abandoned, recovered int64
	c.mu.Lock()
	for _, m := range c.carts {
		if m.abandonedAt.Before(start) || m.abandonedAt.After(end) {
			continue
		}
		ds := &days[index[m.abandonedAt.UTC().Format(time.DateOnly)]]
		ds.Abandoned++
		ds.AbandonedValue += m.total
		abandoned++
		abandonedValue.Add(abandonedValue, big.NewInt(int64(m.total)))
		if m.status == "recovered" {
			ds.Recovered++
			ds.RecoveredValue += m.total
			recovered++
			recoveredValue.Add(recoveredValue, big.NewInt(int64(m.total)))
		}
	}
	c.mu.Unlock()
	if !abandonedValue.IsInt64() {
		checkoutError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "total value out of range")
		return
	}
	var rate coRate
	if abandoned > 0 {
		rate = coRate((recovered*2000 + abandoned) / (2 * abandoned))
	}
	checkoutOK(w, http.StatusOK, map[string]any{
		"summary": map[string]any{
			"totalAbandoned":      abandoned,
			"totalRecovered":      recovered,
			"recoveryRate":        rate,
			"totalAbandonedValue": coMoney(abandonedValue.Int64()),
			"totalRecoveredValue": coMoney(recoveredValue.Int64()),
		},
		"dailyStats": days,
	})
}

func (c *checkout) writeError(w http.ResponseWriter, status int, msg string) {
	code := map[int]string{
		http.StatusBadRequest:       "BAD_REQUEST",
		http.StatusNotFound:         "NOT_FOUND",
		http.StatusMethodNotAllowed: "METHOD_NOT_ALLOWED",
	}[status]
	if code == "" {
		code = strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	}
	checkoutError(w, status, code, msg)
}
