package ghost

import (
	"cmp"
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
	"time"
)

// KomojuClient is the Komoju part of the API (seed 001): its customers, with
// Basic auth on the secret key alone, snake_case bodies, page/per_page lists
// and the X-KOMOJU-IDEMPOTENCY header. Configure its host and key with
// WithEndpoint(PartKomoju, …); it defaults to DefaultKomojuBaseURL and the
// client's secret key.
type KomojuClient struct {
	Customers *KomojuCustomersService
}

func newKomojuClient(c *Client) *KomojuClient {
	return &KomojuClient{Customers: &KomojuCustomersService{c, ServiceKomojuCustomers}}
}

// KomojuCustomersService manages Komoju customers.
type KomojuCustomersService service

// KomojuCustomer is a Komoju customer, as the API writes it.
type KomojuCustomer struct {
	ID        ID                   `json:"id"`
	Resource  string               `json:"resource,omitempty"` // "customer"
	Email     string               `json:"email,omitempty"`
	Currency  string               `json:"currency,omitempty"` // 3-letter ISO code
	Metadata  map[string]string    `json:"metadata,omitempty"`
	Source    *KomojuPaymentSource `json:"source,omitempty"` // the stored payment method, nil when none
	CreatedAt time.Time            `json:"created_at,omitzero"`
}

// KomojuPaymentSource is the payment method stored on a Komoju customer.
type KomojuPaymentSource struct {
	Type           string `json:"type,omitempty"` // e.g. "credit_card"
	Brand          string `json:"brand,omitempty"`
	LastFourDigits string `json:"last_four_digits,omitempty"`
	Month          int    `json:"month,omitempty"`
	Year           int    `json:"year,omitempty"`
}

// KomojuPaymentDetails describes a Komoju payment method: either a token
// ("tok_…", from KomojuPaymentToken) or a hash of details (from
// KomojuPaymentHash, e.g. type, number, month, year, verification_value). It
// encodes as the token string or as the object.
type KomojuPaymentDetails struct {
	Token string
	Hash  map[string]any
}

// KomojuPaymentToken returns payment details given as a token.
func KomojuPaymentToken(token string) KomojuPaymentDetails {
	return KomojuPaymentDetails{Token: token}
}

// KomojuPaymentHash returns payment details given as a hash.
func KomojuPaymentHash(h map[string]any) KomojuPaymentDetails {
	return KomojuPaymentDetails{Hash: h}
}

func (p KomojuPaymentDetails) validate() *Error {
	switch {
	case p.Token != "" && len(p.Hash) > 0:
		return invalidParams("payment_details", "payment_details is a token or a hash, not both")
	case p.Token == "" && len(p.Hash) == 0:
		return invalidParams("payment_details", "payment_details is required: a token (KomojuPaymentToken) or a hash (KomojuPaymentHash)")
	}
	return nil
}

// wire is what the API is sent: the token string or the hash. (MarshalJSON
// renders the details redacted, so that logging or encoding a value that
// holds them never prints card data; the SDK sends this form instead.)
func (p KomojuPaymentDetails) wire() (json.RawMessage, error) {
	if e := p.validate(); e != nil {
		return nil, e
	}
	if p.Token != "" {
		return json.Marshal(p.Token)
	}
	return json.Marshal(p.Hash)
}

// UnmarshalJSON implements json.Unmarshaler: a string or an object.
func (p *KomojuPaymentDetails) UnmarshalJSON(b []byte) error {
	*p = KomojuPaymentDetails{}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &p.Token)
	}
	return json.Unmarshal(b, &p.Hash)
}

// KomojuCustomerCreateParams creates a Komoju customer. PaymentDetails is
// required (the API refuses a customer without one); Create refuses the zero
// value before sending.
type KomojuCustomerCreateParams struct {
	Email          string               `json:"email,omitempty"`
	Currency       string               `json:"currency,omitempty"` // 3-letter ISO code, upper-cased before sending
	Metadata       map[string]string    `json:"metadata,omitempty"`
	PaymentDetails KomojuPaymentDetails `json:"payment_details"` // required
}

// KomojuCustomerUpdateParams changes a Komoju customer; unset fields are
// left as they are. Komoju cannot clear an email: Some("") is refused.
type KomojuCustomerUpdateParams struct {
	Email          Opt[string]               `json:"email,omitzero"`
	Currency       Opt[string]               `json:"currency,omitzero"`
	Metadata       map[string]string         `json:"metadata,omitempty"`
	PaymentDetails Opt[KomojuPaymentDetails] `json:"payment_details,omitzero"`
}

// komojuCustomerBody is what create and update send: the caller's fields,
// with the payment details in their wire form.
type komojuCustomerBody struct {
	Email          string            `json:"email,omitempty"`
	Currency       string            `json:"currency,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	PaymentDetails json.RawMessage   `json:"payment_details,omitempty"`
}

// KomojuListParams selects one page of a Komoju list, optionally only the
// customers created in a time range. StartTime and EndTime are KOMOJU's
// start_time and end_time ("records created after this time" and "before
// this time" in its API reference), sent as ISO 8601 date-times in UTC; a
// zero time is no bound. Whether a customer created at exactly a bound is
// listed is the server's choice: the reference does not say (the mock, for
// one, lists it).
type KomojuListParams struct {
	Page      int       `url:"page,omitempty"`     // page number, from 1
	PerPage   int       `url:"per_page,omitempty"` // page size
	StartTime time.Time `url:"start_time,omitempty" layout:"2006-01-02T15:04:05.999999999Z07:00"`
	EndTime   time.Time `url:"end_time,omitempty" layout:"2006-01-02T15:04:05.999999999Z07:00"`
}

// komojuCurrency checks and upper-cases a 3-letter ISO currency code.
func komojuCurrency(c string) (string, error) {
	if len(c) != 3 {
		return "", invalidParams("currency", "currency must be a 3-letter ISO code, got %q", c)
	}
	for i := 0; i < 3; i++ {
		if b := c[i] | 0x20; b < 'a' || b > 'z' {
			return "", invalidParams("currency", "currency must be a 3-letter ISO code, got %q", c)
		}
	}
	return strings.ToUpper(c), nil
}

var (
	opKomojuCustomersGet    = declare(PartKomoju, "Komoju.Customers.Get", http.MethodGet, "/api/v1/customers/{customerID}")
	opKomojuCustomersCreate = declare(PartKomoju, "Komoju.Customers.Create", http.MethodPost, "/api/v1/customers")
	opKomojuCustomersUpdate = declare(PartKomoju, "Komoju.Customers.Update", http.MethodPatch, "/api/v1/customers/{customerID}")
	opKomojuCustomersDelete = declare(PartKomoju, "Komoju.Customers.Delete", http.MethodDelete, "/api/v1/customers/{customerID}")
	opKomojuCustomersList   = declare(PartKomoju, "Komoju.Customers.List", http.MethodGet, "/api/v1/customers").listing("")
)

// Get returns a customer: GET /api/v1/customers/{id}.
func (s *KomojuCustomersService) Get(ctx context.Context, customerID ID, opts ...RequestOption) (*KomojuCustomer, error) {
	return getOne[KomojuCustomer](ctx, (*service)(s), &request{op: opKomojuCustomersGet, ids: []ID{customerID}}, opts)
}

// Create creates a customer: POST /api/v1/customers with email, currency,
// metadata and payment_details. WithIdempotencyKey sends
// X-KOMOJU-IDEMPOTENCY (at most 100 characters).
func (s *KomojuCustomersService) Create(ctx context.Context, params KomojuCustomerCreateParams, opts ...RequestOption) (*KomojuCustomer, error) {
	if params.Currency != "" {
		c, err := komojuCurrency(params.Currency)
		if err != nil {
			return nil, err
		}
		params.Currency = c
	}
	pd, err := params.PaymentDetails.wire()
	if err != nil {
		return nil, err
	}
	body := komojuCustomerBody{Email: params.Email, Currency: params.Currency, Metadata: params.Metadata, PaymentDetails: pd}
	return getOne[KomojuCustomer](ctx, (*service)(s), &request{op: opKomojuCustomersCreate, body: body}, opts)
}

// Update changes a customer: PATCH /api/v1/customers/{id}, sending only the
// fields set. WithIdempotencyKey sends X-KOMOJU-IDEMPOTENCY.
func (s *KomojuCustomersService) Update(ctx context.Context, customerID ID, params KomojuCustomerUpdateParams, opts ...RequestOption) (*KomojuCustomer, error) {
	if e, ok := params.Email.Get(); ok && e == "" {
		return nil, invalidParams("email", "Komoju cannot clear an email; leave it unset")
	}
	if c, ok := params.Currency.Get(); ok {
		c, err := komojuCurrency(c)
		if err != nil {
			return nil, err
		}
		params.Currency = Some(c)
	}
	body := komojuCustomerBody{Email: params.Email.Or(""), Currency: params.Currency.Or(""), Metadata: params.Metadata}
	if pd, ok := params.PaymentDetails.Get(); ok {
		var err error
		if body.PaymentDetails, err = pd.wire(); err != nil {
			return nil, err
		}
	}
	return getOne[KomojuCustomer](ctx, (*service)(s), &request{op: opKomojuCustomersUpdate, ids: []ID{customerID}, body: body}, opts)
}

// Delete deletes a customer and returns it as the API last knew it:
// DELETE /api/v1/customers/{id}. A server that answers 200 or 204 without a
// body deleted it too: Delete then returns nil with no error.
func (s *KomojuCustomersService) Delete(ctx context.Context, customerID ID, opts ...RequestOption) (*KomojuCustomer, error) {
	return getOne[KomojuCustomer](ctx, (*service)(s), &request{op: opKomojuCustomersDelete, ids: []ID{customerID}}, opts)
}

// validate checks the params and puts the time bounds in UTC, as they are
// sent.
func (p *KomojuListParams) validate() error {
	if p.Page < 0 || p.PerPage < 0 {
		return invalidParams("page", "page and per_page must not be negative")
	}
	p.StartTime, p.EndTime = utcOrZero(p.StartTime), utcOrZero(p.EndTime)
	return nil
}

func (p *KomojuListParams) cursor() cursor { return cursor{&p.Page, p.PerPage} }

// List returns one page of customers: GET /api/v1/customers?page=&per_page=.
// Meta carries total, page, per_page and last_page; the page's Next fetches
// the following page while HasMore says one follows.
func (s *KomojuCustomersService) List(ctx context.Context, params *KomojuListParams, opts ...RequestOption) (*Page[KomojuCustomer], error) {
	return list[KomojuCustomer](ctx, (*service)(s), opKomojuCustomersList, params, opts)
}

// All walks every customer from params' page (default 1) until the last page.
func (s *KomojuCustomersService) All(ctx context.Context, params *KomojuListParams, opts ...RequestOption) iter.Seq2[KomojuCustomer, error] {
	q := valueOf(params)
	q.Page = cmp.Or(q.Page, 1)
	return walk[KomojuCustomer](ctx, (*service)(s), opKomojuCustomersList, &q, opts)
}

// utcOrZero is t in UTC, or the zero time (no bound) when t is zero.
func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
