package ghost

import (
	"context"
	"iter"
	"time"
)

// CustomersService manages Ghost customers (seed 000). Komoju customers are
// client.Komoju.Customers.
type CustomersService service

// Customer is a Ghost customer, with the API's camelCase fields.
type Customer struct {
	ID          ID                `json:"id"`
	Email       string            `json:"email,omitempty"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	CreatedAt   time.Time         `json:"createdAt,omitzero"`
	UpdatedAt   time.Time         `json:"updatedAt,omitzero"`
}

// CustomerCreateParams creates a Ghost customer.
type CustomerCreateParams struct {
	Email       string            `json:"email,omitempty"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// CustomerUpdateParams changes a Ghost customer; unset fields are left as
// they are, and Some("") clears a field.
type CustomerUpdateParams struct {
	Email       Opt[string]       `json:"email,omitzero"`
	Description Opt[string]       `json:"description,omitzero"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// CustomerListParams pages through Ghost customers.
type CustomerListParams struct {
	Limit  int `url:"limit,omitempty"`  // page size; All defaults it to 100
	Offset int `url:"offset,omitempty"` // items to skip
}

func (p *CustomerListParams) validate() error {
	if p.Limit < 0 || p.Offset < 0 {
		return invalidParams("limit", "limit and offset must not be negative")
	}
	return nil
}

func customerPath(id ID) (string, error) {
	return pathf("/api/v1/customers/%s", idArg{"customerID", id})
}

// Get returns a customer: GET /api/v1/customers/{customerId}.
func (s *CustomersService) Get(ctx context.Context, customerID ID, opts ...RequestOption) (*Customer, error) {
	p, err := customerPath(customerID)
	if err != nil {
		return nil, err
	}
	return getOne[Customer](ctx, (*service)(s), &request{method: "GET", path: p}, opts)
}

// Create creates a customer: POST /api/v1/customers.
func (s *CustomersService) Create(ctx context.Context, params CustomerCreateParams, opts ...RequestOption) (*Customer, error) {
	return getOne[Customer](ctx, (*service)(s), &request{method: "POST", path: "/api/v1/customers", body: params}, opts)
}

// Update changes a customer: PUT /api/v1/customers/{customerId}. It returns
// the updated customer; a server that answers 200 or 204 without a body
// applied the update, and Update then returns nil with no error.
func (s *CustomersService) Update(ctx context.Context, customerID ID, params CustomerUpdateParams, opts ...RequestOption) (*Customer, error) {
	p, err := customerPath(customerID)
	if err != nil {
		return nil, err
	}
	return getOne[Customer](ctx, (*service)(s), &request{method: "PUT", path: p, body: params}, opts)
}

// Delete deletes a customer: DELETE /api/v1/customers/{customerId}.
func (s *CustomersService) Delete(ctx context.Context, customerID ID, opts ...RequestOption) error {
	p, err := customerPath(customerID)
	if err != nil {
		return err
	}
	_, err = (*service)(s).do(ctx, &request{method: "DELETE", path: p}, nil, opts)
	return err
}

// List returns one page of customers: GET /api/v1/customers?limit=&offset=.
// The page's Next fetches the following one (offset advanced by the items
// received) while HasMore says one may follow.
func (s *CustomersService) List(ctx context.Context, params *CustomerListParams, opts ...RequestOption) (*Page[Customer], error) {
	var q CustomerListParams
	if params != nil {
		q = *params
	}
	if err := q.validate(); err != nil {
		return nil, err
	}
	page, err := listPage[Customer](ctx, (*service)(s), &request{method: "GET", path: "/api/v1/customers", query: &q}, opts)
	if err != nil {
		return nil, err
	}
	page.Meta.Offset = Some(q.Offset)
	withNext((*service)(s), page, q.Limit, func(ctx context.Context) (*Page[Customer], error) {
		n := q
		n.Offset += len(page.Items)
		return s.List(ctx, &n, opts...)
	})
	return page, nil
}

// All walks every customer from params' offset, a page of params' limit
// (default 100) at a time.
func (s *CustomersService) All(ctx context.Context, params *CustomerListParams, opts ...RequestOption) iter.Seq2[Customer, error] {
	var q CustomerListParams
	if params != nil {
		q = *params
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
