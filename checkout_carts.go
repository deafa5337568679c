package ghost

import (
	"cmp"
	"context"
	"iter"
	"net/http"
	"net/mail"
	"strings"
	"time"
)

// CartsService manages abandoned carts and their payment links (Checkout
// API, base path /api, x-api-key auth).
type CartsService service

// CartStatus is where a cart is in its life: every cart starts abandoned
// and may become recovered (paid) or expired; both are final.
type CartStatus string

// The cart statuses.
const (
	CartAbandoned CartStatus = "abandoned"
	CartRecovered CartStatus = "recovered"
	CartExpired   CartStatus = "expired"
)

func (s CartStatus) valid() bool {
	switch s {
	case CartAbandoned, CartRecovered, CartExpired:
		return true
	}
	return false
}

// CartItem is one line of a cart.
type CartItem struct {
	Name     string `json:"name"`
	Quantity int64  `json:"quantity"`
	Price    Money  `json:"price"` // unit price
}

// Total returns Quantity × Price exactly, or an error wrapping ErrMoneyRange
// on overflow.
func (it CartItem) Total() (Money, error) { return it.Price.Mul(it.Quantity) }

// Cart is an abandoned (or recovered, or expired) checkout.
type Cart struct {
	ID            ID          `json:"id"`
	CustomerEmail string      `json:"customerEmail"`
	CustomerName  string      `json:"customerName,omitempty"`
	Items         []CartItem  `json:"items"`
	TotalValue    Money       `json:"totalValue"`
	Status        CartStatus  `json:"status"`
	AbandonedAt   time.Time   `json:"abandonedAt,omitzero"`
	PaymentLink   Opt[string] `json:"paymentLink,omitzero"` // unset when the cart has no live link (JSON null)
	CreatedAt     time.Time   `json:"createdAt,omitzero"`
	UpdatedAt     time.Time   `json:"updatedAt,omitzero"`
}

// ItemsTotal returns the exact sum of quantity × price over the cart's items,
// which the API reports as TotalValue. It returns an error wrapping
// ErrMoneyRange on overflow.
func (c *Cart) ItemsTotal() (Money, error) { return itemsTotal(c.Items) }

func itemsTotal(items []CartItem) (Money, error) {
	var sum Money
	for _, it := range items {
		t, err := it.Total()
		if err != nil {
			return Money{}, err
		}
		if sum, err = sum.Add(t); err != nil {
			return Money{}, err
		}
	}
	return sum, nil
}

// CartCreateParams creates a cart. CustomerEmail and at least one item are
// required; each item needs a name, a quantity of at least 1 and a price
// that is not negative. Create checks all of this before sending.
type CartCreateParams struct {
	CustomerEmail string     `json:"customerEmail"`
	CustomerName  string     `json:"customerName,omitempty"`
	Items         []CartItem `json:"items"`
}

func (p *CartCreateParams) validate() error {
	if err := validateEmail(p.CustomerEmail); err != nil {
		return err
	}
	return validateItems(p.Items)
}

func validateEmail(email string) error {
	if strings.TrimSpace(email) == "" {
		return invalidParams("customerEmail", "customerEmail is required")
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return invalidParams("customerEmail", "customerEmail %q is not an email address", email)
	}
	return nil
}

func validateItems(items []CartItem) error {
	if len(items) == 0 {
		return invalidParams("items", "a cart needs at least one item")
	}
	for i, it := range items {
		switch {
		case strings.TrimSpace(it.Name) == "":
			return invalidParams("items", "items[%d].name is required", i)
		case it.Quantity < 1:
			return invalidParams("items", "items[%d].quantity must be at least 1, got %d", i, it.Quantity)
		case it.Price.Sign() < 0:
			return invalidParams("items", "items[%d].price must not be negative, got %s", i, it.Price)
		}
	}
	if _, err := itemsTotal(items); err != nil {
		return invalidParams("items", "cart total: %v", err)
	}
	return nil
}

// CartUpdateParams changes a cart; only the fields that are set are sent.
// A recovered or expired cart's status is final: the API refuses to change
// it (422).
type CartUpdateParams struct {
	Status        Opt[CartStatus] `json:"status,omitzero"`
	CustomerEmail Opt[string]     `json:"customerEmail,omitzero"`
	CustomerName  Opt[string]     `json:"customerName,omitzero"`
	Items         Opt[[]CartItem] `json:"items,omitzero"` // replaces every item
}

func (p *CartUpdateParams) validate() error {
	if !p.Status.IsSet() && !p.CustomerEmail.IsSet() && !p.CustomerName.IsSet() && !p.Items.IsSet() {
		return invalidParams("", "nothing to update: set at least one field")
	}
	if st, ok := p.Status.Get(); ok && !st.valid() {
		return invalidParams("status", "status is %q; want abandoned, recovered or expired", st)
	}
	if email, ok := p.CustomerEmail.Get(); ok {
		if err := validateEmail(email); err != nil {
			return err
		}
	}
	if items, ok := p.Items.Get(); ok {
		return validateItems(items)
	}
	return nil
}

// CartListParams filters and pages carts. Zero fields take the API's
// defaults (page 1, limit 10).
type CartListParams struct {
	Status CartStatus `url:"status,omitempty"` // abandoned, recovered or expired; empty for all
	Page   int        `url:"page,omitempty"`   // from 1
	Limit  int        `url:"limit,omitempty"`  // at most MaxCartsPageSize
}

// MaxCartsPageSize is the largest page of carts the API serves.
const MaxCartsPageSize = 100

func (p *CartListParams) validate() error {
	switch {
	case p.Status != "" && !p.Status.valid():
		return invalidParams("status", "status is %q; want abandoned, recovered or expired", p.Status)
	case p.Page < 0:
		return invalidParams("page", "page must be at least 1, got %d", p.Page)
	case p.Limit < 0 || p.Limit > MaxCartsPageSize:
		return invalidParams("limit", "limit must be between 1 and %d, got %d", MaxCartsPageSize, p.Limit)
	}
	return nil
}

func (p *CartListParams) cursor() cursor { return cursor{&p.Page, p.Limit} }

// PaymentLink is a checkout link for a cart and when it stops working.
type PaymentLink struct {
	URL       string    `json:"paymentLink"`
	ExpiresAt time.Time `json:"expiresAt"`
}

var (
	opCartsList              = declare(PartCheckout, "Carts.List", http.MethodGet, "/api/carts").listing("carts")
	opCartsGet               = declare(PartCheckout, "Carts.Get", http.MethodGet, "/api/carts/{cartID}")
	opCartsCreate            = declare(PartCheckout, "Carts.Create", http.MethodPost, "/api/carts")
	opCartsUpdate            = declare(PartCheckout, "Carts.Update", http.MethodPatch, "/api/carts/{cartID}")
	opCartsDelete            = declare(PartCheckout, "Carts.Delete", http.MethodDelete, "/api/carts/{cartID}")
	opCartsCreatePaymentLink = declare(PartCheckout, "Carts.CreatePaymentLink", http.MethodPost, "/api/carts/{cartID}/payment-link")
)

// List returns one page of carts: GET /api/carts. Meta carries the page,
// limit, total and last page (totalPages) the API reported. Parameters the
// API would refuse (an unknown status, a limit over 100) are refused before
// sending. The page's Next fetches the following page while HasMore says
// one follows (page < totalPages).
func (s *CartsService) List(ctx context.Context, params *CartListParams, opts ...RequestOption) (*Page[Cart], error) {
	return list[Cart](ctx, (*service)(s), opCartsList, params, opts)
}

// All walks every cart matching params from its page (default 1), a page of
// its limit (default 100) at a time, until the API's last page (totalPages).
func (s *CartsService) All(ctx context.Context, params *CartListParams, opts ...RequestOption) iter.Seq2[Cart, error] {
	q := valueOf(params)
	q.Limit = cmp.Or(q.Limit, MaxCartsPageSize)
	q.Page = cmp.Or(q.Page, 1)
	return walk[Cart](ctx, (*service)(s), opCartsList, &q, opts)
}

// Get returns a cart: GET /api/carts/{id}.
func (s *CartsService) Get(ctx context.Context, cartID ID, opts ...RequestOption) (*Cart, error) {
	return getOne[Cart](ctx, (*service)(s), &request{op: opCartsGet, ids: []ID{cartID}}, opts)
}

// Create creates a cart, abandoned: POST /api/carts. The parameters are
// checked before sending. A POST is retried only with WithIdempotencyKey.
func (s *CartsService) Create(ctx context.Context, params CartCreateParams, opts ...RequestOption) (*Cart, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return getOne[Cart](ctx, (*service)(s), &request{op: opCartsCreate, body: params}, opts)
}

// Update changes a cart: PATCH /api/carts/{id}, sending only the fields set
// in params.
func (s *CartsService) Update(ctx context.Context, cartID ID, params CartUpdateParams, opts ...RequestOption) (*Cart, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return getOne[Cart](ctx, (*service)(s), &request{op: opCartsUpdate, ids: []ID{cartID}, body: params}, opts)
}

// Delete deletes a cart: DELETE /api/carts/{id}.
func (s *CartsService) Delete(ctx context.Context, cartID ID, opts ...RequestOption) error {
	_, err := (*service)(s).do(ctx, &request{op: opCartsDelete, ids: []ID{cartID}}, nil, opts)
	return err
}

// CreatePaymentLink generates a new payment link for an abandoned cart:
// POST /api/carts/{id}/payment-link. The link replaces any earlier one and
// expires at ExpiresAt (a week later on the reference server).
func (s *CartsService) CreatePaymentLink(ctx context.Context, cartID ID, opts ...RequestOption) (*PaymentLink, error) {
	return getOne[PaymentLink](ctx, (*service)(s), &request{op: opCartsCreatePaymentLink, ids: []ID{cartID}}, opts)
}
