package ghost

import (
	"context"
	"iter"
	"math"
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

	itemSnake
}

// Order is an order. Amount is in cents and equals the sum of its items. It
// decodes Ghost's camelCase fields and Spark's snake_case ones.
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

	orderSnake
	snakeTimes
}

// OrderParams creates an order. Amount must equal the sum of the items'
// amounts; Create checks it before sending.
type OrderParams struct {
	Amount     int64       `json:"amount"`
	CustomerID ID          `json:"customerId,omitempty"`
	CardID     ID          `json:"cardId,omitempty"`
	GatID      string      `json:"gatId,omitempty"`
	Referrer   string      `json:"referrer,omitempty"`
	OrderItems []OrderItem `json:"orderItems"`
}

func (p *OrderParams) validate() error {
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

// DateRange bounds a list by creation time. Either end may be zero.
type DateRange struct {
	Start time.Time `url:"start,omitempty"`
	End   time.Time `url:"end,omitempty"`
}

// OrderListParams filters and pages orders. The date range is sent as
// dateRange[start] and dateRange[end] (RFC 3339).
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
	Page       int        `url:"-"` // Spark convention: page number, from 1
	PerPage    int        `url:"-"` // Spark convention: page size (count)
}

func (p *OrderListParams) validate() error {
	switch {
	case p.Limit < 0 || p.Offset < 0:
		return invalidParams("limit", "limit and offset must not be negative")
	case p.Page != 0 || p.PerPage != 0:
		return invalidParams("page", "page and per_page are not part of the Ghost convention; use Limit and Offset")
	case p.SortDir != "" && p.SortDir != SortAsc && p.SortDir != SortDesc:
		return invalidParams("sortDir", "sortDir is %q; want asc or desc", p.SortDir)
	case p.DateRange != nil && !p.DateRange.Start.IsZero() && !p.DateRange.End.IsZero() && p.DateRange.End.Before(p.DateRange.Start):
		return invalidParams("dateRange", "dateRange ends before it starts")
	}
	if p.DateRange != nil {
		r := *p.DateRange
		r.Start, r.End = r.Start.UTC(), r.End.UTC()
		p.DateRange = &r
	}
	return nil
}

// Get returns an order: GET /api/v1/orders/{orderId}.
func (s *OrdersService) Get(ctx context.Context, orderID ID, opts ...RequestOption) (*Order, error) {
	p, err := pathf("/api/v1/orders/%s", idArg{"orderID", orderID})
	if err != nil {
		return nil, err
	}
	return getOne[Order](ctx, (*service)(s), &request{method: "GET", path: p}, opts)
}

// Create creates an order: POST /api/v1/orders. The amount is checked
// against the items before anything is sent. Pass WithIdempotencyKey to make
// it safe to retry.
func (s *OrdersService) Create(ctx context.Context, params OrderParams, opts ...RequestOption) (*Order, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return getOne[Order](ctx, (*service)(s), &request{method: "POST", path: "/api/v1/orders", body: params}, opts)
}

// Delete deletes an order: DELETE /api/v1/orders/{orderId}.
func (s *OrdersService) Delete(ctx context.Context, orderID ID, opts ...RequestOption) error {
	p, err := pathf("/api/v1/orders/%s", idArg{"orderID", orderID})
	if err != nil {
		return err
	}
	_, err = (*service)(s).do(ctx, &request{method: "DELETE", path: p}, nil, opts)
	return err
}

// List returns one page of orders: GET /api/v1/orders.
func (s *OrdersService) List(ctx context.Context, params *OrderListParams, opts ...RequestOption) (*Page[Order], error) {
	var q OrderListParams
	if params != nil {
		q = *params
	}
	if err := q.validate(); err != nil {
		return nil, err
	}
	page, err := listPage[Order](ctx, (*service)(s), &request{method: "GET", path: "/api/v1/orders", query: &q}, opts)
	if err != nil {
		return nil, err
	}
	page.Meta.Offset = Some(q.Offset)
	return page, nil
}

// All walks every order matching params from its offset, a page of its
// limit (default 100) at a time.
func (s *OrdersService) All(ctx context.Context, params *OrderListParams, opts ...RequestOption) iter.Seq2[Order, error] {
	var q OrderListParams
	if params != nil {
		q = *params
	}
	if q.Limit == 0 {
		q.Limit = defaultPageSize
	}
	return offsetPager(&q.Limit, &q.Offset, func(ctx context.Context) (*Page[Order], error) {
		return s.List(ctx, &q, opts...)
	}).all(ctx, opts)
}

// orderSnake catches the snake_case spellings of Order's fields (Spark) in
// the same decoding pass; normalize folds them in.
type orderSnake struct {
	CustomerIDSnake ID          `json:"customer_id,omitempty"`
	CardIDSnake     ID          `json:"card_id,omitempty"`
	GatIDSnake      string      `json:"gat_id,omitempty"`
	OrderItemsSnake []OrderItem `json:"order_items,omitempty"`
}

// itemSnake catches identity_id.
type itemSnake struct {
	IdentityIDSnake ID `json:"identity_id,omitempty"`
}

func (o *Order) normalize() {
	if o.CustomerID == "" {
		o.CustomerID = o.CustomerIDSnake
	}
	if o.CardID == "" {
		o.CardID = o.CardIDSnake
	}
	if o.GatID == "" {
		o.GatID = o.GatIDSnake
	}
	if o.OrderItems == nil {
		o.OrderItems = o.OrderItemsSnake
	}
	o.orderSnake = orderSnake{}
	o.snakeTimes.fold(&o.CreatedAt, &o.UpdatedAt)
	for i := range o.OrderItems {
		it := &o.OrderItems[i]
		if it.IdentityID == "" {
			it.IdentityID = it.IdentityIDSnake
		}
		it.itemSnake = itemSnake{}
	}
}
