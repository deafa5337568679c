package ghost

import (
	"context"
	"iter"
	"time"
)

// CustomersService manages customers.
type CustomersService service

// Customer is a customer. It decodes what every convention sends: Ghost's
// camelCase fields and the snake_case ones of Komoju and Spark (created_at,
// updated_at); Currency, Source and Resource come from Komoju.
type Customer struct {
	ID          ID                `json:"id"`
	Email       string            `json:"email,omitempty"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Currency    string            `json:"currency,omitempty"` // Komoju: 3-letter ISO code
	Source      *PaymentSource    `json:"source,omitempty"`   // Komoju: the stored payment method, nil when none
	Resource    string            `json:"resource,omitempty"` // Komoju: "customer"
	CreatedAt   time.Time         `json:"createdAt,omitzero"`
	UpdatedAt   time.Time         `json:"updatedAt,omitzero"`

	snakeTimes
}

// snakeTimes catches the snake_case timestamps of Komoju and Spark in the same
// decoding pass as the camelCase ones (a custom UnmarshalJSON would double the
// cost of decoding every model); normalize folds them in. Its fields are
// always empty after the SDK returns a value.
type snakeTimes struct {
	CreatedAtSnake time.Time `json:"created_at,omitzero"`
	UpdatedAtSnake time.Time `json:"updated_at,omitzero"`
}

func (t *snakeTimes) fold(created, updated *time.Time) {
	if created.IsZero() {
		*created = t.CreatedAtSnake
	}
	if updated.IsZero() {
		*updated = t.UpdatedAtSnake
	}
	*t = snakeTimes{}
}

func (c *Customer) normalize() { c.snakeTimes.fold(&c.CreatedAt, &c.UpdatedAt) }

// CustomerParams creates a customer. Description is Ghost only; Currency and
// PaymentDetails are Komoju only (PaymentDetails is required there). A field
// the client's convention does not know is refused before sending.
type CustomerParams struct {
	Email          string            `json:"email,omitempty"`
	Description    string            `json:"description,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	Currency       string            `json:"-"`
	PaymentDetails *PaymentDetails   `json:"-"`
}

// CustomerUpdateParams changes a customer; unset fields are left as they are,
// and Some("") clears a field.
// Currency and PaymentDetails are Komoju only, Description Ghost only.
type CustomerUpdateParams struct {
	Email          Opt[string]       `json:"email,omitzero"`
	Description    Opt[string]       `json:"description,omitzero"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	Currency       Opt[string]       `json:"-"`
	PaymentDetails *PaymentDetails   `json:"-"`
}

// CustomerListParams pages through customers: with Limit and Offset under
// the Ghost convention, with Page and PerPage under Komoju (page, per_page)
// and Spark (page, count). The other convention's fields are refused.
type CustomerListParams struct {
	Limit   int `url:"limit,omitempty"`  // page size; All defaults it to 100
	Offset  int `url:"offset,omitempty"` // items to skip
	Page    int `url:"-"`                // page number, from 1
	PerPage int `url:"-"`                // page size
}

func (p *CustomerListParams) validate() error {
	if p.Limit < 0 || p.Offset < 0 {
		return invalidParams("limit", "limit and offset must not be negative")
	}
	if p.Page != 0 || p.PerPage != 0 {
		return invalidParams("page", "page and per_page are not part of the Ghost convention; use Limit and Offset")
	}
	return nil
}

// Get returns a customer: GET /api/v1/customers/{customerId}.
func (s *CustomersService) Get(ctx context.Context, customerID ID, opts ...RequestOption) (*Customer, error) {
	p, err := pathf("/api/v1/customers/%s", idArg{"customerID", customerID})
	if err != nil {
		return nil, err
	}
	return getOne[Customer](ctx, (*service)(s), &request{method: "GET", path: p}, opts)
}

// Create creates a customer: POST /api/v1/customers.
//
// Under Komoju it sends email, currency, metadata and payment_details
// (required) with the X-KOMOJU-IDEMPOTENCY header for WithIdempotencyKey;
// under Spark it upserts the customer (POST /api/v1/customers).
func (s *CustomersService) Create(ctx context.Context, params CustomerParams, opts ...RequestOption) (*Customer, error) {
	switch s.client.cfg.convention {
	case ConventionKomoju:
		return s.createKomoju(ctx, params, opts)
	}
	if params.Currency != "" || params.PaymentDetails != nil {
		return nil, invalidParams("payment_details", "currency and payment_details are Komoju fields; use WithConvention(ConventionKomoju)")
	}
	return getOne[Customer](ctx, (*service)(s), &request{method: "POST", path: "/api/v1/customers", body: params}, opts)
}

// Update changes a customer: PUT /api/v1/customers/{customerId} (PATCH
// under Komoju).
func (s *CustomersService) Update(ctx context.Context, customerID ID, params CustomerUpdateParams, opts ...RequestOption) (*Customer, error) {
	switch s.client.cfg.convention {
	case ConventionKomoju:
		return s.updateKomoju(ctx, customerID, params, opts)
	}
	if params.Currency.IsSet() || params.PaymentDetails != nil {
		return nil, invalidParams("payment_details", "currency and payment_details are Komoju fields; use WithConvention(ConventionKomoju)")
	}
	p, err := pathf("/api/v1/customers/%s", idArg{"customerID", customerID})
	if err != nil {
		return nil, err
	}
	return getOne[Customer](ctx, (*service)(s), &request{method: "PUT", path: p, body: params}, opts)
}

// Delete deletes a customer: DELETE /api/v1/customers/{customerId}. Under
// Komoju, DeleteReturning also returns the deleted customer.
func (s *CustomersService) Delete(ctx context.Context, customerID ID, opts ...RequestOption) error {
	p, err := pathf("/api/v1/customers/%s", idArg{"customerID", customerID})
	if err != nil {
		return err
	}
	_, err = (*service)(s).do(ctx, &request{method: "DELETE", path: p}, nil, opts)
	return err
}

// List returns one page of customers: GET /api/v1/customers.
func (s *CustomersService) List(ctx context.Context, params *CustomerListParams, opts ...RequestOption) (*Page[Customer], error) {
	var q CustomerListParams
	if params != nil {
		q = *params
	}
	switch s.client.cfg.convention {
	case ConventionKomoju:
		return s.listKomoju(ctx, q, opts)
	}
	if err := q.validate(); err != nil {
		return nil, err
	}
	page, err := listPage[Customer](ctx, (*service)(s), &request{method: "GET", path: "/api/v1/customers", query: &q}, opts)
	if err != nil {
		return nil, err
	}
	page.Meta.Offset = Some(q.Offset)
	return page, nil
}

// All walks every customer from params' offset, a page of params' limit
// (default 100) at a time. Under Komoju it walks pages until last_page;
// under Spark it follows next_page.
func (s *CustomersService) All(ctx context.Context, params *CustomerListParams, opts ...RequestOption) iter.Seq2[Customer, error] {
	var q CustomerListParams
	if params != nil {
		q = *params
	}
	switch s.client.cfg.convention {
	case ConventionKomoju:
		return s.allKomoju(ctx, q, opts)
	}
	if q.Limit == 0 {
		q.Limit = defaultPageSize
	}
	return offsetPager(&q.Limit, &q.Offset, func(ctx context.Context) (*Page[Customer], error) {
		return s.List(ctx, &q, opts...)
	}).all(ctx, opts)
}

// defaultPageSize is the page size iterators ask for when the caller does not.
const defaultPageSize = 100
