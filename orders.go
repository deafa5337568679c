package ghost

import (
	"cmp"
	"context"
	"iter"
	"math"
	"net/http"
	"net/url"
	"time"
)

// OrdersService manages orders.
type OrdersService service

// OrderItemType is the kind of an order line.
type OrderItemType string

// The order item types the API accepts.
const (
	OrderItemTypeItem OrderItemType = "item"
	OrderItemTypeFee  OrderItemType = "fee"
	OrderItemTypeTax  OrderItemType = "tax"
)

// OrderItem is one line of an order. Amount is in cents.
type OrderItem struct {
	Amount      int64         `json:"amount"`
	Type        OrderItemType `json:"type"`
	IdentityID  ID            `json:"identityId,omitempty"`
	Description string        `json:"description,omitempty"`
}

// Order is a Ghost order, with the API's camelCase fields. Amount is in cents
// and equals the sum of its items.
type Order struct {
	ID         ID          `json:"id"`
	Amount     int64       `json:"amount"`
	CustomerID ID          `json:"customerId,omitempty"`
	CardID     ID          `json:"cardId,omitempty"`
	GatID      string      `json:"gatId,omitempty"`
	Referrer   string      `json:"referrer,omitempty"`
	Status     string      `json:"status,omitempty"`
	OrderItems []OrderItem `json:"orderItems,omitempty"`
	CreatedAt  time.Time   `json:"createdAt,omitzero"`
	UpdatedAt  time.Time   `json:"updatedAt,omitzero"`
}

// OrderCreateParams creates an order. Amount must equal the sum of the items'
// amounts; Create checks it before sending.
type OrderCreateParams struct {
	Amount     int64       `json:"amount"`
	CustomerID ID          `json:"customerId,omitempty"`
	CardID     ID          `json:"cardId,omitempty"`
	GatID      string      `json:"gatId,omitempty"`
	Referrer   string      `json:"referrer,omitempty"`
	OrderItems []OrderItem `json:"orderItems"`
}

func (p *OrderCreateParams) validate() error {
	if len(p.OrderItems) == 0 {
		return invalidParams("orderItems", "an order needs at least one item")
	}
	var sum int64
	for i, it := range p.OrderItems {
		switch it.Type {
		case OrderItemTypeItem, OrderItemTypeFee, OrderItemTypeTax:
		default:
			return invalidParams("orderItems", "orderItems[%d].type is %q; want item, fee or tax", i, it.Type)
		}
		if it.Amount < 0 {
			return invalidParams("orderItems", "orderItems[%d].amount is negative (%d)", i, it.Amount)
		}
		if sum > math.MaxInt64-it.Amount {
			return invalidParams("orderItems", "order item amounts overflow")
		}
		sum += it.Amount
	}
	if p.Amount != sum {
		return invalidParams("amount", "amount %d does not equal the sum of the order items, %d", p.Amount, sum)
	}
	if p.Amount <= 0 {
		return invalidParams("amount", "amount must be positive")
	}
	return nil
}

// SortDir is a sort direction.
type SortDir string

// Sort directions.
const (
	SortAsc  SortDir = "asc"
	SortDesc SortDir = "desc"
)

// DateRange bounds a list by creation time, both ends included. Both are
// required: the API takes the range as a two-element array, [start, end].
type DateRange struct {
	Start time.Time
	End   time.Time
}

// dateRangeLayout is how the original node.js client's query encoder writes
// a Date (toISOString): UTC with milliseconds.
const dateRangeLayout = "2006-01-02T15:04:05.000Z07:00"

// EncodeValues implements go-querystring's Encoder: the range goes on the
// wire as an array, dateRange[0]=start&dateRange[1]=end, as the original
// node.js client's qs encoding of [start, end] sends it.
func (r DateRange) EncodeValues(key string, v *url.Values) error {
	v.Set(key+"[0]", r.Start.UTC().Format(dateRangeLayout))
	v.Set(key+"[1]", r.End.UTC().Format(dateRangeLayout))
	return nil
}

// OrderListParams filters and pages orders. The date range is sent as
// dateRange[0] and dateRange[1] (ISO 8601 in UTC, with milliseconds).
type OrderListParams struct {
	CustomerID ID         `url:"customerId,omitempty"`
	Referrer   string     `url:"referrer,omitempty"`
	DateRange  *DateRange `url:"dateRange,omitempty"`
	GatID      string     `url:"gatId,omitempty"`
	Status     string     `url:"status,omitempty"`
	Limit      int        `url:"limit,omitempty"`  // page size; All defaults it to 100
	Offset     int        `url:"offset,omitempty"` // items to skip
	SortBy     string     `url:"sortBy,omitempty"` // e.g. "createdAt"
	SortDir    SortDir    `url:"sortDir,omitempty"`
}

func (p *OrderListParams) validate() error {
	switch {
	case p.Limit < 0 || p.Offset < 0:
		return invalidParams("limit", "limit and offset must not be negative")
	case p.SortDir != "" && p.SortDir != SortAsc && p.SortDir != SortDesc:
		return invalidParams("sortDir", "sortDir is %q; want asc or desc", p.SortDir)
	case p.DateRange != nil && (p.DateRange.Start.IsZero() || p.DateRange.End.IsZero()):
		return invalidParams("dateRange", "dateRange needs both a start and an end")
	case p.DateRange != nil && p.DateRange.End.Before(p.DateRange.Start):
		return invalidParams("dateRange", "dateRange ends before it starts")
	}
	return nil
}

func (p *OrderListParams) cursor() cursor { return cursor{&p.Offset, p.Limit} }

var (
	opOrdersGet    = declare(PartGhost, "Orders.Get", http.MethodGet, "/api/v1/orders/{orderID}")
	opOrdersCreate = declare(PartGhost, "Orders.Create", http.MethodPost, "/api/v1/orders")
	opOrdersDelete = declare(PartGhost, "Orders.Delete", http.MethodDelete, "/api/v1/orders/{orderID}")
	opOrdersList   = declare(PartGhost, "Orders.List", http.MethodGet, "/api/v1/orders").listing("")
)

// Get returns an order: GET /api/v1/orders/{orderId}.
func (s *OrdersService) Get(ctx context.Context, orderID ID, opts ...RequestOption) (*Order, error) {
	return getOne[Order](ctx, (*service)(s), &request{op: opOrdersGet, ids: []ID{orderID}}, opts)
}

// Create creates an order: POST /api/v1/orders. The amount is checked
// against the items before anything is sent. It carries an idempotency key
// (generated, or yours with WithIdempotencyKey), so it is retried safely.
func (s *OrdersService) Create(ctx context.Context, params OrderCreateParams, opts ...RequestOption) (*Order, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return getOne[Order](ctx, (*service)(s), &request{op: opOrdersCreate, body: params}, opts)
}

// Delete deletes an order: DELETE /api/v1/orders/{orderId}.
func (s *OrdersService) Delete(ctx context.Context, orderID ID, opts ...RequestOption) error {
	_, err := (*service)(s).do(ctx, &request{op: opOrdersDelete, ids: []ID{orderID}}, nil, opts)
	return err
}

// List returns one page of orders: GET /api/v1/orders. The page's Next
// fetches the following one while HasMore says one may follow.
func (s *OrdersService) List(ctx context.Context, params *OrderListParams, opts ...RequestOption) (*Page[Order], error) {
	return list[Order](ctx, (*service)(s), opOrdersList, params, opts)
}

// All walks every order matching params from its offset, a page of its
// limit (default 100) at a time.
func (s *OrdersService) All(ctx context.Context, params *OrderListParams, opts ...RequestOption) iter.Seq2[Order, error] {
	q := valueOf(params)
	q.Limit = cmp.Or(q.Limit, defaultPageSize)
	return walk[Order](ctx, (*service)(s), opOrdersList, &q, opts)
}
