package ghosttest

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Ghost part (seed 000): the Ghost Analytics API under /api/v1.
//
// Routes (all require HTTP Basic auth, username = public key, password =
// secret key):
//
//	GET    /api/v1/accounts/{accountId}
//	POST   /api/v1/charges
//	GET    /api/v1/customers                      limit, offset
//	POST   /api/v1/customers
//	GET    /api/v1/customers/{customerId}
//	PUT    /api/v1/customers/{customerId}
//	DELETE /api/v1/customers/{customerId}
//	POST   /api/v1/customers/{customerId}/cards
//	GET    /api/v1/customers/{customerId}/cards/{cardId}
//	DELETE /api/v1/customers/{customerId}/cards/{cardId}
//	POST   /api/v1/identities
//	GET    /api/v1/identities/{identityId}
//	POST   /api/v1/identities/{identityId}/events (also spelled identites)
//	POST   /api/v1/identity-types
//	GET    /api/v1/identity-types/{identityTypeId}
//	GET    /api/v1/orders                         filters, limit, offset, sortBy, sortDir
//	POST   /api/v1/orders
//	GET    /api/v1/orders/{orderId}
//	DELETE /api/v1/orders/{orderId}
//
// One item comes back as {"doc": …}, several as {"docs": […]}, a deletion as
// {"success": true}; errors are {"message","status","error"}. Creates answer
// 201 Created, everything else 200 OK. Customers, cards and charges have
// prefixed string ids (cus_000001, card_000001, ch_000001); accounts,
// identities, identity types, events and orders have integer ids. A path id
// of an integer resource that is not a positive integer is 400 "Invalid id".
// Lists default to 10 items a page, at most 100.

func init() {
	registerPart("ghost", []Profile{ProfileGhost, ProfileAll}, func(s *Server) part { return newGhost(s) })
}

// Paging defaults of the Ghost lists.
const (
	ghostDefaultLimit = 10
	ghostMaxLimit     = 100
)

type ghostPart struct {
	s *Server

	mu            sync.Mutex
	seq           int64 // creation sequence: breaks ties between equal timestamps
	accounts      map[int]*ghostAccount
	customers     map[string]*ghostCustomer
	cards         map[string]*ghostCard
	charges       map[string]*ghostCharge
	orders        map[int]*ghostOrder
	identities    map[int]*ghostIdentity
	identityTypes map[int]*ghostIdentityType
	events        map[int]*ghostEvent
}

type ghostAccount struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type ghostCustomer struct {
	ID          string            `json:"id"`
	Email       string            `json:"email"`
	Description string            `json:"description"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	seq         int64
}

func (c *ghostCustomer) clone() *ghostCustomer {
	cp := *c
	cp.Metadata = maps.Clone(c.Metadata)
	return &cp
}

// ghostCard never holds the card number or the cvc: only what may be shown.
type ghostCard struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customerId"`
	Brand      string    `json:"brand"`
	Last4      string    `json:"last4"`
	ExpMonth   string    `json:"expMonth"`
	ExpYear    string    `json:"expYear"`
	CreatedAt  time.Time `json:"createdAt"`
}

type ghostCharge struct {
	ID          string    `json:"id"`
	Amount      int64     `json:"amount"`
	CardID      string    `json:"cardId"`
	CustomerID  string    `json:"customerId"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"createdAt"`
}

// ghostOrder is immutable once stored, so copies may share its pointers.
type ghostOrder struct {
	ID         int              `json:"id"`
	Amount     int64            `json:"amount"`
	CustomerID *string          `json:"customerId"`
	CardID     *string          `json:"cardId"`
	GatID      *string          `json:"gatId"`
	Referrer   *string          `json:"referrer"`
	Status     string           `json:"status"`
	OrderItems []ghostOrderItem `json:"orderItems"`
	CreatedAt  time.Time        `json:"createdAt"`
	UpdatedAt  time.Time        `json:"updatedAt"`
	seq        int64
}

type ghostOrderItem struct {
	Amount      int64   `json:"amount"`
	Type        string  `json:"type"`
	IdentityID  *int    `json:"identityId,omitempty"`
	Description *string `json:"description,omitempty"`
}

type ghostIdentity struct {
	ID                   int       `json:"id"`
	Name                 string    `json:"name"`
	ReferenceID          *string   `json:"referenceId"`
	ReferenceDescription *string   `json:"referenceDescription"`
	CreatedAt            time.Time `json:"createdAt"`
	UpdatedAt            time.Time `json:"updatedAt"`
}

type ghostIdentityType struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type ghostEvent struct {
	ID         int               `json:"id"`
	IdentityID int               `json:"identityId"`
	Name       string            `json:"name"`
	GatID      *string           `json:"gatId"`
	Properties []json.RawMessage `json:"properties"`
	CreatedAt  time.Time         `json:"createdAt"`
}

func newGhost(s *Server) *ghostPart {
	g := &ghostPart{
		s:             s,
		accounts:      make(map[int]*ghostAccount),
		customers:     make(map[string]*ghostCustomer),
		cards:         make(map[string]*ghostCard),
		charges:       make(map[string]*ghostCharge),
		orders:        make(map[int]*ghostOrder),
		identities:    make(map[int]*ghostIdentity),
		identityTypes: make(map[int]*ghostIdentityType),
		events:        make(map[int]*ghostEvent),
	}
	g.addAccount("Ghost Test Account", "account@ghost.test")
	return g
}

// seq names for the integer ids, kept apart from other parts' sequences.
const (
	seqGhostAccounts      = "ghost.accounts"
	seqGhostOrders        = "ghost.orders"
	seqGhostIdentities    = "ghost.identities"
	seqGhostIdentityTypes = "ghost.identityTypes"
	seqGhostEvents        = "ghost.events"
)

func (g *ghostPart) addAccount(name, email string) {
	now := g.s.Clock.Now()
	id := g.s.nextInt(seqGhostAccounts)
	g.mu.Lock()
	g.accounts[id] = &ghostAccount{ID: id, Name: name, Email: email, CreatedAt: now, UpdatedAt: now}
	g.mu.Unlock()
}

// seed preloads n more accounts, n customers with one card each, n identities,
// n identity types and n orders (order i belongs to customer i and its card).
// The objects of round i are stamped n-i+1 minutes before the server started,
// so they sort by creation in id order.
func (g *ghostPart) seed(n int) {
	for i := 1; i <= n; i++ {
		g.addAccount(fmt.Sprintf("Seed Account %d", i), fmt.Sprintf("account%d@ghost.test", i))
	}
	referrers := []string{"google", "newsletter", "direct"}
	start := g.s.Clock.Now()
	for i := 1; i <= n; i++ {
		now := start.Add(-time.Duration(n-i+1) * time.Minute)
		g.mu.Lock()
		g.seq++
		cus := &ghostCustomer{
			ID:          g.s.nextID("cus"),
			Email:       fmt.Sprintf("customer%d@example.com", i),
			Description: fmt.Sprintf("Seed customer %d", i),
			Metadata:    map[string]string{"seed": strconv.Itoa(i)},
			CreatedAt:   now, UpdatedAt: now, seq: g.seq,
		}
		g.customers[cus.ID] = cus
		card := &ghostCard{
			ID: g.s.nextID("card"), CustomerID: cus.ID, Brand: "visa", Last4: "4242",
			ExpMonth: "12", ExpYear: "2030", CreatedAt: now,
		}
		g.cards[card.ID] = card
		iid := g.s.nextInt(seqGhostIdentities)
		g.identities[iid] = &ghostIdentity{
			ID: iid, Name: fmt.Sprintf("Identity %d", i),
			ReferenceID:          ptr(fmt.Sprintf("ref_%d", i)),
			ReferenceDescription: ptr(fmt.Sprintf("Seed identity %d", i)),
			CreatedAt:            now, UpdatedAt: now,
		}
		tid := g.s.nextInt(seqGhostIdentityTypes)
		g.identityTypes[tid] = &ghostIdentityType{ID: tid, Name: fmt.Sprintf("Identity type %d", i), CreatedAt: now, UpdatedAt: now}
		g.seq++
		oid := g.s.nextInt(seqGhostOrders)
		itemAmount := int64(1000 * i)
		g.orders[oid] = &ghostOrder{
			ID:         oid,
			Amount:     itemAmount + 100,
			CustomerID: ptr(cus.ID),
			CardID:     ptr(card.ID),
			GatID:      ptr(fmt.Sprintf("00000000-0000-4000-8000-%012d", i)),
			Referrer:   ptr(referrers[(i-1)%len(referrers)]),
			Status:     "pending",
			OrderItems: []ghostOrderItem{
				{Amount: itemAmount, Type: "item", IdentityID: ptr(iid)},
				{Amount: 100, Type: "fee", Description: ptr("processing fee")},
			},
			CreatedAt: now, UpdatedAt: now, seq: g.seq,
		}
		g.mu.Unlock()
	}
}

func ptr[T any](v T) *T { return &v }

// ghostHandler serves one request: a status and a value to send, or an error.
type ghostHandler func(r *http.Request) (int, any, *ghostErr)

// ghostErr is an error answered in the Ghost shape.
type ghostErr struct {
	status int
	msg    string
}

func ghostError(status int, format string, args ...any) *ghostErr {
	return &ghostErr{status: status, msg: fmt.Sprintf(format, args...)}
}

func ghostBad(format string, args ...any) *ghostErr {
	return ghostError(http.StatusBadRequest, format, args...)
}

func ghostNotFound(format string, args ...any) *ghostErr {
	return ghostError(http.StatusNotFound, format, args...)
}

func writeGhostError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"message": msg,
		"status":  status,
		"error":   http.StatusText(status),
	})
}

func doc(v any) map[string]any { return map[string]any{"doc": v} }

func (g *ghostPart) routes(mux *http.ServeMux) {
	type route struct {
		method string
		h      ghostHandler
	}
	paths := []struct {
		path   string
		routes []route
	}{
		{"/api/v1/accounts/{accountId}", []route{{"GET", g.getAccount}}},
		{"/api/v1/charges", []route{{"POST", g.createCharge}}},
		{"/api/v1/customers", []route{{"GET", g.listCustomers}, {"POST", g.createCustomer}}},
		{"/api/v1/customers/{customerId}", []route{{"GET", g.getCustomer}, {"PUT", g.updateCustomer}, {"DELETE", g.deleteCustomer}}},
		{"/api/v1/customers/{customerId}/cards", []route{{"POST", g.createCard}}},
		{"/api/v1/customers/{customerId}/cards/{cardId}", []route{{"GET", g.getCard}, {"DELETE", g.deleteCard}}},
		{"/api/v1/identities", []route{{"POST", g.createIdentity}}},
		{"/api/v1/identities/{identityId}", []route{{"GET", g.getIdentity}}},
		{"/api/v1/identities/{identityId}/events", []route{{"POST", g.createEvent}}},
		// The README's spelling of the same route.
		{"/api/v1/identites/{identityId}/events", []route{{"POST", g.createEvent}}},
		{"/api/v1/identity-types", []route{{"POST", g.createIdentityType}}},
		{"/api/v1/identity-types/{identityTypeId}", []route{{"GET", g.getIdentityType}}},
		{"/api/v1/orders", []route{{"GET", g.listOrders}, {"POST", g.createOrder}}},
		{"/api/v1/orders/{orderId}", []route{{"GET", g.getOrder}, {"DELETE", g.deleteOrder}}},
	}
	// A known path called with another method is answered 405 (with Allow)
	// by the router, as for every part.
	for _, p := range paths {
		for _, rt := range p.routes {
			h := g.serve(rt.h)
			if rt.method == http.MethodPost {
				h = g.s.idempotent("Idempotency-Key", g.idempotencyConflict, h)
			}
			mux.HandleFunc(rt.method+" "+p.path, g.auth(h))
		}
	}
}

// auth checks HTTP Basic credentials: the public key and the secret key.
func (g *ghostPart) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="ghost"`)
			writeGhostError(w, http.StatusUnauthorized, "Missing credentials: use HTTP Basic auth with your public key as the username and your secret key as the password")
			return
		}
		okUser := subtle.ConstantTimeCompare([]byte(user), []byte(g.s.Config.PublicKey)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(g.s.Config.SecretKey)) == 1
		if !okUser || !okPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="ghost"`)
			writeGhostError(w, http.StatusUnauthorized, "Invalid public key or secret key")
			return
		}
		h(w, r)
	}
}

func (g *ghostPart) serve(h ghostHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, v, err := h(r)
		if err != nil {
			writeGhostError(w, err.status, err.msg)
			return
		}
		writeJSON(w, status, v)
	}
}

func (g *ghostPart) idempotencyConflict(w http.ResponseWriter, r *http.Request) {
	writeGhostError(w, http.StatusConflict, "Idempotency-Key was already used with a different request body")
}

// ---- request decoding ----

// ghostBody is a decoded JSON object body, field by field.
type ghostBody map[string]json.RawMessage

// readGhostBody decodes a JSON object body; an empty body is an empty object.
func readGhostBody(r *http.Request) (ghostBody, *ghostErr) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, ghostBad("Could not read the request body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return ghostBody{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var b ghostBody
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, ghostBad("The request body must be a JSON object")
		}
		return nil, ghostBad("Malformed JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ghostBad("Malformed JSON body: unexpected data after the JSON object")
	}
	if b == nil {
		return nil, ghostBad("The request body must be a JSON object")
	}
	return b, nil
}

// raw returns the field's JSON text, or nil when it is absent or null.
func (b ghostBody) raw(name string) json.RawMessage {
	v, ok := b[name]
	if !ok || string(bytes.TrimSpace(v)) == "null" {
		return nil
	}
	return bytes.TrimSpace(v)
}

// has reports whether the field is present, null included.
func (b ghostBody) has(name string) bool {
	_, ok := b[name]
	return ok
}

// str reads a string field.
func (b ghostBody) str(name string) (string, bool, *ghostErr) {
	return rawStr(b.raw(name), name)
}

func rawStr(v json.RawMessage, name string) (string, bool, *ghostErr) {
	if v == nil {
		return "", false, nil
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", false, ghostBad("%s must be a string", name)
	}
	return s, true, nil
}

// text reads a field given as a string or a number, as its text.
func (b ghostBody) text(name string) (string, bool, *ghostErr) {
	return rawText(b.raw(name), name)
}

func rawText(v json.RawMessage, name string) (string, bool, *ghostErr) {
	if v == nil {
		return "", false, nil
	}
	if v[0] == '"' {
		return rawStr(v, name)
	}
	var n json.Number
	if json.Unmarshal(v, &n) != nil {
		return "", false, ghostBad("%s must be a string or a number", name)
	}
	return n.String(), true, nil
}

// integer reads an integer number field.
func (b ghostBody) integer(name string) (int64, bool, *ghostErr) {
	return rawInt(b.raw(name), name)
}

func rawInt(v json.RawMessage, name string) (int64, bool, *ghostErr) {
	if v == nil {
		return 0, false, nil
	}
	var n json.Number
	if v[0] == '"' || json.Unmarshal(v, &n) != nil {
		return 0, false, ghostBad("%s must be an integer", name)
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, false, ghostBad("%s must be an integer", name)
	}
	return i, true, nil
}

// ref reads an id given as a string or an integer.
func (b ghostBody) ref(name string) (string, bool, *ghostErr) {
	return rawRef(b.raw(name), name)
}

func rawRef(v json.RawMessage, name string) (string, bool, *ghostErr) {
	s, ok, err := rawText(v, name)
	if err != nil {
		return "", false, ghostBad("%s must be a string or an integer id", name)
	}
	if ok && v[0] != '"' {
		if _, perr := strconv.ParseInt(s, 10, 64); perr != nil {
			return "", false, ghostBad("%s must be a string or an integer id", name)
		}
	}
	if ok && s == "" {
		return "", false, ghostBad("%s must not be empty", name)
	}
	return s, ok, nil
}

// rawIntRef reads the id of an integer resource, given as 1 or "1".
func rawIntRef(v json.RawMessage, name string) (int, bool, *ghostErr) {
	s, ok, err := rawRef(v, name)
	if err != nil || !ok {
		return 0, ok, err
	}
	n, perr := strconv.Atoi(s)
	if perr != nil || n <= 0 {
		return 0, false, ghostBad("Invalid %s", name)
	}
	return n, true, nil
}

// pathInt reads an integer id from the path.
func pathInt(r *http.Request, name string) (int, *ghostErr) {
	n, err := strconv.Atoi(r.PathValue(name))
	if err != nil || n <= 0 {
		return 0, ghostBad("Invalid id")
	}
	return n, nil
}

// paging reads limit and offset.
func paging(q url.Values) (limit, offset int, e *ghostErr) {
	limit, offset = ghostDefaultLimit, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ghostMaxLimit {
			return 0, 0, ghostBad("limit must be an integer from 1 to %d", ghostMaxLimit)
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, ghostBad("offset must be a non-negative integer")
		}
		offset = n
	}
	return limit, offset, nil
}

func pageOf[T any](all []T, limit, offset int) []T {
	if offset >= len(all) {
		return []T{}
	}
	return all[offset:min(offset+limit, len(all))]
}

// ---- accounts ----

func (g *ghostPart) getAccount(r *http.Request) (int, any, *ghostErr) {
	return getByInt(g, r, "accountId", "Account", g.accounts)
}

// ---- customers ----

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

func (g *ghostPart) createCustomer(r *http.Request) (int, any, *ghostErr) {
	_, email, desc, meta, e := readCustomerBody(r)
	if e != nil {
		return 0, nil, e
	}
	if meta == nil {
		meta = map[string]string{}
	}
	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq++
	c := &ghostCustomer{
		ID: g.s.nextID("cus"), Email: email, Description: desc, Metadata: meta,
		CreatedAt: now, UpdatedAt: now, seq: g.seq,
	}
	g.customers[c.ID] = c
	return http.StatusCreated, doc(c.clone()), nil
}

// readCustomerBody reads and checks a customer's fields: email (a bare
// address when given), description, metadata.
func readCustomerBody(r *http.Request) (b ghostBody, email, desc string, meta map[string]string, e *ghostErr) {
	if b, e = readGhostBody(r); e != nil {
		return
	}
	if email, _, e = b.str("email"); e != nil {
		return
	}
	if email != "" && !validEmail(email) {
		e = ghostBad("email is not a valid email address")
		return
	}
	if desc, _, e = b.str("description"); e != nil {
		return
	}
	meta, _, e = b.metadata()
	return
}

// metadata reads the metadata field: an object of strings.
func (b ghostBody) metadata() (map[string]string, bool, *ghostErr) {
	v := b.raw("metadata")
	if v == nil {
		return nil, false, nil
	}
	var m map[string]string
	if v[0] != '{' || json.Unmarshal(v, &m) != nil {
		return nil, false, ghostBad("metadata must be an object of string values")
	}
	return m, true, nil
}

func (g *ghostPart) getCustomer(r *http.Request) (int, any, *ghostErr) {
	id := r.PathValue("customerId")
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.customers[id]
	if !ok {
		return 0, nil, ghostNotFound("Customer %s not found", id)
	}
	return http.StatusOK, doc(c.clone()), nil
}

func (g *ghostPart) listCustomers(r *http.Request) (int, any, *ghostErr) {
	limit, offset, e := paging(r.URL.Query())
	if e != nil {
		return 0, nil, e
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	all := slices.SortedFunc(maps.Values(g.customers), func(a, b *ghostCustomer) int { return cmp.Compare(a.seq, b.seq) })
	page := pageOf(all, limit, offset)
	docs := make([]*ghostCustomer, len(page))
	for i, c := range page {
		docs[i] = c.clone()
	}
	return http.StatusOK, map[string]any{"docs": docs}, nil
}

// updateCustomer changes the fields present in the body; a field given as
// "" or null is cleared, an absent one is left as it is.
func (g *ghostPart) updateCustomer(r *http.Request) (int, any, *ghostErr) {
	id := r.PathValue("customerId")
	b, email, desc, meta, e := readCustomerBody(r)
	if e != nil {
		return 0, nil, e
	}
	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.customers[id]
	if !ok {
		return 0, nil, ghostNotFound("Customer %s not found", id)
	}
	if b.has("email") {
		c.Email = email
	}
	if b.has("description") {
		c.Description = desc
	}
	if b.has("metadata") {
		if meta == nil {
			meta = map[string]string{}
		}
		c.Metadata = meta
	}
	c.UpdatedAt = now
	return http.StatusOK, doc(c.clone()), nil
}

// deleteCustomer removes the customer and its cards.
func (g *ghostPart) deleteCustomer(r *http.Request) (int, any, *ghostErr) {
	id := r.PathValue("customerId")
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.customers[id]; !ok {
		return 0, nil, ghostNotFound("Customer %s not found", id)
	}
	delete(g.customers, id)
	maps.DeleteFunc(g.cards, func(_ string, c *ghostCard) bool { return c.CustomerID == id })
	return http.StatusOK, map[string]any{"success": true}, nil
}

// ---- cards ----

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func cardBrand(number string) string {
	switch number[0] {
	case '4':
		return "visa"
	case '5':
		return "mastercard"
	case '3':
		return "amex"
	}
	return "unknown"
}

func (g *ghostPart) createCard(r *http.Request) (int, any, *ghostErr) {
	cusID := r.PathValue("customerId")
	b, e := readGhostBody(r)
	if e != nil {
		return 0, nil, e
	}
	number, ok, e := b.text("number")
	switch {
	case e != nil:
		return 0, nil, e
	case !ok:
		return 0, nil, ghostBad("number is required")
	case !allDigits(number) || len(number) < 12 || len(number) > 19:
		return 0, nil, ghostBad("number must be 12 to 19 digits")
	}
	month, ok, e := b.text("expMonth")
	switch {
	case e != nil:
		return 0, nil, e
	case !ok:
		return 0, nil, ghostBad("expMonth is required")
	}
	m, err := strconv.Atoi(month)
	if !allDigits(month) || len(month) > 2 || err != nil || m < 1 || m > 12 {
		return 0, nil, ghostBad("expMonth must be a month from 1 to 12")
	}
	year, ok, e := b.text("expYear")
	switch {
	case e != nil:
		return 0, nil, e
	case !ok:
		return 0, nil, ghostBad("expYear is required")
	case !allDigits(year) || (len(year) != 2 && len(year) != 4):
		return 0, nil, ghostBad("expYear must be a 2- or 4-digit year")
	}
	if len(year) == 2 {
		year = "20" + year
	}
	cvc, ok, e := b.text("cvc")
	switch {
	case e != nil:
		return 0, nil, e
	case ok && (!allDigits(cvc) || len(cvc) < 3 || len(cvc) > 4):
		return 0, nil, ghostBad("cvc must be 3 or 4 digits")
	}
	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.customers[cusID]; !ok {
		return 0, nil, ghostNotFound("Customer %s not found", cusID)
	}
	c := &ghostCard{
		ID: g.s.nextID("card"), CustomerID: cusID, Brand: cardBrand(number),
		Last4: number[len(number)-4:], ExpMonth: fmt.Sprintf("%02d", m), ExpYear: year, CreatedAt: now,
	}
	g.cards[c.ID] = c
	cp := *c
	return http.StatusCreated, doc(cp), nil
}

// customerCard finds a card of a customer; g.mu is held.
func (g *ghostPart) customerCard(r *http.Request) (*ghostCard, *ghostErr) {
	cusID, cardID := r.PathValue("customerId"), r.PathValue("cardId")
	if _, ok := g.customers[cusID]; !ok {
		return nil, ghostNotFound("Customer %s not found", cusID)
	}
	c, ok := g.cards[cardID]
	if !ok || c.CustomerID != cusID {
		return nil, ghostNotFound("Card %s not found for customer %s", cardID, cusID)
	}
	return c, nil
}

func (g *ghostPart) getCard(r *http.Request) (int, any, *ghostErr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, e := g.customerCard(r)
	if e != nil {
		return 0, nil, e
	}
	cp := *c
	return http.StatusOK, doc(cp), nil
}

func (g *ghostPart) deleteCard(r *http.Request) (int, any, *ghostErr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, e := g.customerCard(r)
	if e != nil {
		return 0, nil, e
	}
	delete(g.cards, c.ID)
	return http.StatusOK, map[string]any{"success": true}, nil
}

// ---- charges ----

func (g *ghostPart) createCharge(r *http.Request) (int, any, *ghostErr) {
	b, e := readGhostBody(r)
	if e != nil {
		return 0, nil, e
	}
	amount, ok, e := b.integer("amount")
	switch {
	case e != nil:
		return 0, nil, ghostBad("amount must be an integer number of cents")
	case !ok:
		return 0, nil, ghostBad("amount is required")
	case amount <= 0:
		return 0, nil, ghostBad("amount must be a positive number of cents")
	}
	cardID, ok, e := b.ref("cardId")
	if e != nil {
		return 0, nil, e
	}
	if !ok {
		return 0, nil, ghostBad("cardId is required")
	}
	cusID, ok, e := b.ref("customerId")
	if e != nil {
		return 0, nil, e
	}
	if !ok {
		return 0, nil, ghostBad("customerId is required")
	}
	desc, _, e := b.str("description")
	if e != nil {
		return 0, nil, e
	}
	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.customers[cusID]; !ok {
		return 0, nil, ghostNotFound("Customer %s not found", cusID)
	}
	card, ok := g.cards[cardID]
	if !ok {
		return 0, nil, ghostNotFound("Card %s not found", cardID)
	}
	if card.CustomerID != cusID {
		return 0, nil, ghostBad("Card %s does not belong to customer %s", cardID, cusID)
	}
	ch := &ghostCharge{
		ID: g.s.nextID("ch"), Amount: amount, CardID: cardID, CustomerID: cusID,
		Description: desc, Status: "succeeded", CreatedAt: now,
	}
	g.charges[ch.ID] = ch
	cp := *ch
	return http.StatusCreated, doc(cp), nil
}

// ---- identities, identity types, events ----

func (g *ghostPart) createIdentity(r *http.Request) (int, any, *ghostErr) {
	b, e := readGhostBody(r)
	if e != nil {
		return 0, nil, e
	}
	name, _, e := b.str("name")
	if e != nil {
		return 0, nil, e
	}
	if name == "" {
		return 0, nil, ghostBad("name is required")
	}
	ref, hasRef, e := b.text("referenceId")
	if e != nil {
		return 0, nil, e
	}
	refDesc, hasRefDesc, e := b.str("referenceDescription")
	if e != nil {
		return 0, nil, e
	}
	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	id := &ghostIdentity{ID: g.s.nextInt(seqGhostIdentities), Name: name, CreatedAt: now, UpdatedAt: now}
	if hasRef {
		id.ReferenceID = &ref
	}
	if hasRefDesc {
		id.ReferenceDescription = &refDesc
	}
	g.identities[id.ID] = id
	cp := *id
	return http.StatusCreated, doc(cp), nil
}

func (g *ghostPart) getIdentity(r *http.Request) (int, any, *ghostErr) {
	return getByInt(g, r, "identityId", "Identity", g.identities)
}

func (g *ghostPart) createIdentityType(r *http.Request) (int, any, *ghostErr) {
	b, e := readGhostBody(r)
	if e != nil {
		return 0, nil, e
	}
	name, _, e := b.str("name")
	if e != nil {
		return 0, nil, e
	}
	if name == "" {
		return 0, nil, ghostBad("name is required")
	}
	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	t := &ghostIdentityType{ID: g.s.nextInt(seqGhostIdentityTypes), Name: name, CreatedAt: now, UpdatedAt: now}
	g.identityTypes[t.ID] = t
	cp := *t
	return http.StatusCreated, doc(cp), nil
}

func (g *ghostPart) getIdentityType(r *http.Request) (int, any, *ghostErr) {
	return getByInt(g, r, "identityTypeId", "Identity type", g.identityTypes)
}

// createEvent records an identity event. The identity comes from the path;
// an identityId in the body is ignored.
func (g *ghostPart) createEvent(r *http.Request) (int, any, *ghostErr) {
	identityID, e := pathInt(r, "identityId")
	if e != nil {
		return 0, nil, e
	}
	b, e := readGhostBody(r)
	if e != nil {
		return 0, nil, e
	}
	name, _, e := b.str("name")
	if e != nil {
		return 0, nil, e
	}
	if name == "" {
		return 0, nil, ghostBad("name is required")
	}
	gatID, hasGat, e := b.str("gatId")
	if e != nil {
		return 0, nil, e
	}
	props := []json.RawMessage{}
	if v := b.raw("properties"); v != nil {
		var arr []json.RawMessage
		if v[0] != '[' || json.Unmarshal(v, &arr) != nil {
			return 0, nil, ghostBad("properties must be an array of objects")
		}
		for i, p := range arr {
			p = bytes.TrimSpace(p)
			if len(p) == 0 || p[0] != '{' {
				return 0, nil, ghostBad("properties[%d] must be an object", i)
			}
			props = append(props, p)
		}
	}
	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.identities[identityID]; !ok {
		return 0, nil, ghostNotFound("Identity %d not found", identityID)
	}
	ev := &ghostEvent{
		ID: g.s.nextInt(seqGhostEvents), IdentityID: identityID, Name: name,
		Properties: props, CreatedAt: now,
	}
	if hasGat {
		ev.GatID = &gatID
	}
	g.events[ev.ID] = ev
	cp := *ev
	return http.StatusCreated, doc(cp), nil
}

// ---- orders ----

var ghostItemTypes = []string{"item", "fee", "tax"}

func (g *ghostPart) createOrder(r *http.Request) (int, any, *ghostErr) {
	b, e := readGhostBody(r)
	if e != nil {
		return 0, nil, e
	}
	amount, ok, e := b.integer("amount")
	switch {
	case e != nil:
		return 0, nil, ghostBad("amount must be an integer number of cents")
	case !ok:
		return 0, nil, ghostBad("amount is required")
	case amount <= 0:
		return 0, nil, ghostBad("amount must be a positive number of cents")
	}
	var rawItems []json.RawMessage
	if v := b.raw("orderItems"); v != nil {
		if v[0] != '[' || json.Unmarshal(v, &rawItems) != nil {
			return 0, nil, ghostBad("orderItems must be an array of order items")
		}
	}
	if len(rawItems) == 0 {
		return 0, nil, ghostBad("orderItems must contain at least one item")
	}
	items := make([]ghostOrderItem, len(rawItems))
	var sum int64
	for i, raw := range rawItems {
		var ib ghostBody
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &ib) != nil {
			return 0, nil, ghostBad("orderItems[%d] must be an object", i)
		}
		field := func(f string) string { return fmt.Sprintf("orderItems[%d].%s", i, f) }
		a, ok, e := rawInt(ib.raw("amount"), field("amount"))
		switch {
		case e != nil:
			return 0, nil, e
		case !ok:
			return 0, nil, ghostBad("%s is required", field("amount"))
		case a < 0:
			return 0, nil, ghostBad("%s must not be negative", field("amount"))
		}
		typ, _, e := rawStr(ib.raw("type"), field("type"))
		if e != nil {
			return 0, nil, e
		}
		if !slices.Contains(ghostItemTypes, typ) {
			return 0, nil, ghostBad("%s must be one of item, fee, tax (got %q)", field("type"), typ)
		}
		it := ghostOrderItem{Amount: a, Type: typ}
		if iid, ok, e := rawIntRef(ib.raw("identityId"), field("identityId")); e != nil {
			return 0, nil, e
		} else if ok {
			it.IdentityID = &iid
		}
		if d, ok, e := rawStr(ib.raw("description"), field("description")); e != nil {
			return 0, nil, e
		} else if ok {
			it.Description = &d
		}
		if sum > math.MaxInt64-a {
			return 0, nil, ghostBad("%s is too large", field("amount"))
		}
		sum += a
		items[i] = it
	}
	if sum != amount {
		return 0, nil, ghostBad("amount (%d) must equal the sum of the orderItems amounts (%d)", amount, sum)
	}
	o := &ghostOrder{Amount: amount, Status: "pending", OrderItems: items}
	for _, f := range []struct {
		name string
		dst  **string
		ref  bool
	}{{"customerId", &o.CustomerID, true}, {"cardId", &o.CardID, true}, {"gatId", &o.GatID, false}, {"referrer", &o.Referrer, false}} {
		var (
			v  string
			ok bool
			e  *ghostErr
		)
		if f.ref {
			v, ok, e = b.ref(f.name)
		} else {
			v, ok, e = b.str(f.name)
		}
		if e != nil {
			return 0, nil, e
		}
		if ok {
			*f.dst = &v
		}
	}
	if st, ok, e := b.str("status"); e != nil {
		return 0, nil, e
	} else if ok {
		if st == "" {
			return 0, nil, ghostBad("status must not be empty")
		}
		o.Status = st
	}

	now := g.s.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if o.CustomerID != nil {
		if _, ok := g.customers[*o.CustomerID]; !ok {
			return 0, nil, ghostNotFound("Customer %s not found", *o.CustomerID)
		}
	}
	if o.CardID != nil {
		card, ok := g.cards[*o.CardID]
		if !ok {
			return 0, nil, ghostNotFound("Card %s not found", *o.CardID)
		}
		if o.CustomerID != nil && card.CustomerID != *o.CustomerID {
			return 0, nil, ghostBad("Card %s does not belong to customer %s", *o.CardID, *o.CustomerID)
		}
	}
	for _, it := range items {
		if it.IdentityID != nil {
			if _, ok := g.identities[*it.IdentityID]; !ok {
				return 0, nil, ghostNotFound("Identity %d not found", *it.IdentityID)
			}
		}
	}
	g.seq++
	o.ID, o.seq = g.s.nextInt(seqGhostOrders), g.seq
	o.CreatedAt, o.UpdatedAt = now, now
	g.orders[o.ID] = o
	cp := *o
	return http.StatusCreated, doc(cp), nil
}

func (g *ghostPart) getOrder(r *http.Request) (int, any, *ghostErr) {
	return getByInt(g, r, "orderId", "Order", g.orders)
}

func (g *ghostPart) deleteOrder(r *http.Request) (int, any, *ghostErr) {
	id, e := pathInt(r, "orderId")
	if e != nil {
		return 0, nil, e
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.orders[id]; !ok {
		return 0, nil, ghostNotFound("Order %d not found", id)
	}
	delete(g.orders, id)
	return http.StatusOK, map[string]any{"success": true}, nil
}

// listOrders answers GET /api/v1/orders. Filters: customerId, referrer,
// gatId, status (exact matches), dateRange[start] and dateRange[end] or
// dateRange[0] and dateRange[1] (RFC 3339 or epoch ms, inclusive, on
// createdAt). Paging: limit (default 10, 1–100), offset.
// Order: sortBy createdAt (default), amount or id; sortDir asc (default) or
// desc. Ties are broken by creation order.
func (g *ghostPart) listOrders(r *http.Request) (int, any, *ghostErr) {
	q := r.URL.Query()
	limit, offset, e := paging(q)
	if e != nil {
		return 0, nil, e
	}
	start, end, e := orderDateRange(q)
	if e != nil {
		return 0, nil, e
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return 0, nil, ghostBad("dateRange[end] must not be before dateRange[start]")
	}
	sortBy := cmp.Or(q.Get("sortBy"), "createdAt")
	var key func(a, b *ghostOrder) int
	switch sortBy {
	case "createdAt":
		key = func(a, b *ghostOrder) int { return a.CreatedAt.Compare(b.CreatedAt) }
	case "amount":
		key = func(a, b *ghostOrder) int { return cmp.Compare(a.Amount, b.Amount) }
	case "id":
		key = func(a, b *ghostOrder) int { return cmp.Compare(a.ID, b.ID) }
	default:
		return 0, nil, ghostBad("sortBy must be one of createdAt, amount, id")
	}
	sortDir := cmp.Or(q.Get("sortDir"), "asc")
	if sortDir != "asc" && sortDir != "desc" {
		return 0, nil, ghostBad("sortDir must be asc or desc")
	}
	match := func(field *string, key string) bool {
		want := q.Get(key)
		return want == "" || (field != nil && *field == want)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	var all []*ghostOrder
	for _, o := range g.orders {
		if !match(o.CustomerID, "customerId") || !match(o.Referrer, "referrer") || !match(o.GatID, "gatId") ||
			!match(&o.Status, "status") {
			continue
		}
		if (!start.IsZero() && o.CreatedAt.Before(start)) || (!end.IsZero() && o.CreatedAt.After(end)) {
			continue
		}
		all = append(all, o)
	}
	slices.SortFunc(all, func(a, b *ghostOrder) int {
		c := cmp.Or(key(a, b), cmp.Compare(a.seq, b.seq))
		if sortDir == "desc" {
			return -c
		}
		return c
	})
	page := pageOf(all, limit, offset)
	docs := make([]ghostOrder, len(page))
	for i, o := range page {
		docs[i] = *o
	}
	return http.StatusOK, map[string]any{"docs": docs}, nil
}

// orderDateRange reads the orders filter dateRange in every form a client
// sends it: dateRange[start]/dateRange[end] (the README), dateRange[0]/
// dateRange[1] (the original node client, through qs) and dateRange[]
// twice. Each bound is an RFC 3339 timestamp or epoch milliseconds. Any
// other dateRange key is a 400, never silently ignored.
func orderDateRange(q url.Values) (start, end time.Time, e *ghostErr) {
	vals := map[string]string{}
	for key, vs := range q {
		if !strings.HasPrefix(key, "dateRange") {
			continue
		}
		switch key {
		case "dateRange[start]", "dateRange[0]":
			vals["start"+key] = vs[len(vs)-1]
		case "dateRange[end]", "dateRange[1]":
			vals["end"+key] = vs[len(vs)-1]
		case "dateRange[]":
			if len(vs) != 2 {
				return start, end, ghostBad("dateRange[] must be given twice: the start, then the end")
			}
			vals["start"+key], vals["end"+key] = vs[0], vs[1]
		default:
			return start, end, ghostBad("%s is not a dateRange key: use dateRange[start] and dateRange[end] (or dateRange[0] and dateRange[1])", key)
		}
	}
	for _, bound := range []struct {
		name string
		dst  *time.Time
	}{{"start", &start}, {"end", &end}} {
		var key, v string
		for _, k := range []string{"dateRange[" + bound.name + "]", "dateRange[" + map[string]string{"start": "0", "end": "1"}[bound.name] + "]", "dateRange[]"} {
			if got, ok := vals[bound.name+k]; ok {
				if key != "" {
					return start, end, ghostBad("%s and %s both give the dateRange %s: give one", key, k, bound.name)
				}
				key, v = k, got
			}
		}
		if v == "" {
			continue
		}
		if allDigits(v) {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				*bound.dst = time.UnixMilli(ms).UTC()
				continue
			}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return start, end, ghostBad("%s must be an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z) or epoch milliseconds", key)
		}
		*bound.dst = t
	}
	return start, end, nil
}

// getByInt answers GET of an integer-id resource held in m: the object in
// {"doc": …}, or a 404 naming what was not found.
func getByInt[T any](g *ghostPart, r *http.Request, param, what string, m map[int]*T) (int, any, *ghostErr) {
	id, e := pathInt(r, param)
	if e != nil {
		return 0, nil, e
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := m[id]
	if !ok {
		return 0, nil, ghostNotFound("%s %d not found", what, id)
	}
	cp := *v
	return http.StatusOK, doc(cp), nil
}

func (g *ghostPart) writeError(w http.ResponseWriter, status int, msg string) {
	writeGhostError(w, status, msg)
}
