package ghost

import (
	"context"
	"net/http"
	"time"
)

// ChargesService creates charges (Ghost API).
type ChargesService service

// Charge is a charge of a customer's card. Amount is in cents.
type Charge struct {
	ID          ID        `json:"id"`
	Amount      int64     `json:"amount"`
	CardID      ID        `json:"cardId,omitempty"`
	CustomerID  ID        `json:"customerId,omitempty"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status,omitempty"`
	CreatedAt   time.Time `json:"createdAt,omitzero"`
}

// ChargeCreateParams creates a charge. Amount is in cents and must be positive.
type ChargeCreateParams struct {
	Amount      int64  `json:"amount"`
	CardID      ID     `json:"cardId"`
	CustomerID  ID     `json:"customerId"`
	Description string `json:"description,omitempty"`
}

func (p ChargeCreateParams) validate() error {
	switch {
	case p.Amount <= 0:
		return invalidParams("amount", "amount must be a positive number of cents, got %d", p.Amount)
	case p.CardID == "":
		return invalidParams("cardId", "cardId is required")
	case p.CustomerID == "":
		return invalidParams("customerId", "customerId is required")
	}
	return nil
}

var opChargesCreate = declare(PartGhost, "Charges.Create", http.MethodPost, "/api/v1/charges")

// Create charges a card: POST /api/v1/charges. It carries an idempotency key
// (generated, or yours with WithIdempotencyKey), so it is retried safely.
func (s *ChargesService) Create(ctx context.Context, params ChargeCreateParams, opts ...RequestOption) (*Charge, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return getOne[Charge](ctx, (*service)(s), &request{op: opChargesCreate, body: params}, opts)
}
