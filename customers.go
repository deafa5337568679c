package ghost

import (
	"cmp"
	"context"
	"iter"
	"net/http"
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

func (p *CustomerListParams) cursor() cursor { return cursor{&p.Offset, p.Limit} }

var (
	opCustomersGet    = declare(PartGhost, "Customers.Get", http.MethodGet, "/api/v1/customers/{customerID}")
	opCustomersCreate = declare(PartGhost, "Customers.Create", http.MethodPost, "/api/v1/customers")
	opCustomersUpdate = declare(PartGhost, "Customers.Update", http.MethodPut, "/api/v1/customers/{customerID}")
	opCustomersDelete = declare(PartGhost, "Customers.Delete", http.MethodDelete, "/api/v1/customers/{customerID}")
	opCustomersList   = declare(PartGhost, "Customers.List", http.MethodGet, "/api/v1/customers").listing("")
)

// Get returns a customer: GET /api/v1/customers/{customerId}.
func (s *CustomersService) Get(ctx context.Context, customerID ID, opts ...RequestOption) (*Customer, error) {
	return getOne[Customer](ctx, (*service)(s), &request{op: opCustomersGet, ids: []ID{customerID}}, opts)
}

// Create creates a customer: POST /api/v1/customers.
func (s *CustomersService) Create(ctx context.Context, params CustomerCreateParams, opts ...RequestOption) (*Customer, error) {
	return getOne[Customer](ctx, (*service)(s), &request{op: opCustomersCreate, body: params}, opts)
}

// Update changes a customer: PUT /api/v1/customers/{customerId}. It returns
// the updated customer; a server that answers 200 or 204 without a body
// applied the update, and Update then returns nil with no error.
func (s *CustomersService) Update(ctx context.Context, customerID ID, params CustomerUpdateParams, opts ...RequestOption) (*Customer, error) {
	return getOne[Customer](ctx, (*service)(s), &request{op: opCustomersUpdate, ids: []ID{customerID}, body: params}, opts)
}

// Delete deletes a customer: DELETE /api/v1/customers/{customerId}.
func (s *CustomersService) Delete(ctx context.Context, customerID ID, opts ...RequestOption) error {
	_, err := (*service)(s).do(ctx, &request{op: opCustomersDelete, ids: []ID{customerID}}, nil, opts)
	return err
}

// List returns one page of customers: GET /api/v1/customers?limit=&offset=.
// The page's Next fetches the following one (offset advanced by the items
// received) while HasMore says one may follow.
func (s *CustomersService) List(ctx context.Context, params *CustomerListParams, opts ...RequestOption) (*Page[Customer], error) {
	return list[Customer](ctx, (*service)(s), opCustomersList, params, opts)
}

// All walks every customer from params' offset, a page of params' limit
// (default 100) at a time.
func (s *CustomersService) All(ctx context.Context, params *CustomerListParams, opts ...RequestOption) iter.Seq2[Customer, error] {
	q := valueOf(params)
	q.Limit = cmp.Or(q.Limit, defaultPageSize)
	return walk[Customer](ctx, (*service)(s), opCustomersList, &q, opts)
}

// defaultPageSize is the page size iterators ask for when the caller does not.
const defaultPageSize = 100
