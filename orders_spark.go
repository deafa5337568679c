package ghost

import (
	"context"
	"iter"
)

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

// sparkOrderItem and sparkOrderBody are what a Spark orders resource accepts.
type sparkOrderItem struct {
	Amount      int64         `json:"amount"`
	Type        OrderItemType `json:"type"`
	Description string        `json:"description,omitempty"`
}

type sparkOrderBody struct {
	Amount     int64            `json:"amount"`
	CustomerID ID               `json:"customer_id,omitempty"`
	OrderItems []sparkOrderItem `json:"order_items"`
}

// spark is the orders resource under the Spark convention.
func (s *OrdersService) spark() *ResourceService[Order] {
	return &ResourceService[Order]{s: (*service)(s), name: "orders"}
}

func (s *OrdersService) createSpark(ctx context.Context, p OrderParams, opts []RequestOption) (*Order, error) {
	for _, err := range []error{
		sparkRefuse("cardId", p.CardID != ""),
		sparkRefuse("gatId", p.GatID != ""),
		sparkRefuse("referrer", p.Referrer != ""),
	} {
		if err != nil {
			return nil, err
		}
	}
	if _, ok := p.CustomerID.Int(); !ok && p.CustomerID != "" {
		return nil, invalidParams("customerId", "Spark ids are integers, got %q", string(p.CustomerID))
	}
	body := sparkOrderBody{Amount: p.Amount, CustomerID: p.CustomerID, OrderItems: make([]sparkOrderItem, len(p.OrderItems))}
	for i, it := range p.OrderItems {
		if it.IdentityID != "" {
			return nil, invalidParams("identityId", "order item identities are not part of the Spark convention")
		}
		body.OrderItems[i] = sparkOrderItem{Amount: it.Amount, Type: it.Type, Description: it.Description}
	}
	o, _, err := s.spark().Upsert(ctx, body, opts...)
	return o, err
}

// sparkOrderListParams maps the order filters onto Spark's: customer_id and
// status as eq filters, the date range as created_at gte/lte, SortBy and
// SortDir as sort.
func sparkOrderListParams(p OrderListParams) (*ListParams, error) {
	for _, err := range []error{
		sparkRefuse("referrer", p.Referrer != ""),
		sparkRefuse("gatId", p.GatID != ""),
	} {
		if err != nil {
			return nil, err
		}
	}
	lp, err := sparkPageParams(p.Limit, p.Offset, p.Page, p.PerPage)
	if err != nil {
		return nil, err
	}
	if p.CustomerID != "" {
		lp.Filters = append(lp.Filters, Where("customer_id", OpEq, p.CustomerID))
	}
	if p.Status != "" {
		lp.Filters = append(lp.Filters, Where("status", OpEq, p.Status))
	}
	if r := p.DateRange; r != nil {
		if !r.Start.IsZero() {
			lp.Filters = append(lp.Filters, Where("created_at", OpGTE, r.Start))
		}
		if !r.End.IsZero() {
			lp.Filters = append(lp.Filters, Where("created_at", OpLTE, r.End))
		}
	}
	switch {
	case p.SortDir != "" && p.SortDir != SortAsc && p.SortDir != SortDesc:
		return nil, invalidParams("sortDir", "sortDir is %q; want asc or desc", p.SortDir)
	case p.SortBy != "":
		lp.Sort = []SortField{{Field: p.SortBy, Desc: p.SortDir == SortDesc}}
	case p.SortDir != "":
		return nil, invalidParams("sortDir", "sortDir needs sortBy")
	}
	return lp, nil
}

func (s *OrdersService) listSpark(ctx context.Context, p OrderListParams, opts []RequestOption) (*Page[Order], error) {
	lp, err := sparkOrderListParams(p)
	if err != nil {
		return nil, err
	}
	return s.spark().List(ctx, lp, opts...)
}

func (s *OrdersService) allSpark(ctx context.Context, p OrderListParams, opts []RequestOption) iter.Seq2[Order, error] {
	lp, err := sparkOrderListParams(p)
	if err != nil {
		return func(yield func(Order, error) bool) { yield(Order{}, err) }
	}
	return s.spark().All(ctx, lp, opts...)
}

// OrderUpdateParams changes an order under the Spark convention; unset
// fields are left as they are.
type OrderUpdateParams struct {
	Status     Opt[string] `json:"status,omitzero"`
	CustomerID Opt[ID]     `json:"customer_id,omitzero"`
}

// Update changes an order with a partial PUT /api/v1/orders/{id}. Only the
// Spark convention updates orders (the Ghost API documents no order update);
// under the others it is refused before sending. A missing order is
// ErrNotFound.
func (s *OrdersService) Update(ctx context.Context, orderID ID, params OrderUpdateParams, opts ...RequestOption) (*Order, error) {
	if conv := s.client.cfg.convention; conv != ConventionSpark {
		return nil, invalidParams("convention", "the %s convention has no order update", conv)
	}
	if id, ok := params.CustomerID.Get(); ok {
		if _, isInt := id.Int(); !isInt {
			return nil, invalidParams("customerId", "Spark ids are integers, got %q", string(id))
		}
	}
	return s.spark().Update(ctx, orderID, params, opts...)
}
