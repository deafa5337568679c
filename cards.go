package ghost

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// CardsService manages a customer's cards (Ghost API).
type CardsService service

// Card is a customer's card. The API never returns the full number or the CVC.
type Card struct {
	ID         ID        `json:"id"`
	CustomerID ID        `json:"customerId,omitempty"`
	Brand      string    `json:"brand,omitempty"`
	Last4      string    `json:"last4,omitempty"`
	ExpMonth   string    `json:"expMonth,omitempty"` // "02"
	ExpYear    string    `json:"expYear,omitempty"`  // "2018"
	CreatedAt  time.Time `json:"createdAt,omitzero"`
}

// UnmarshalJSON accepts expMonth and expYear as strings or numbers, as the
// API's examples write both.
func (c *Card) UnmarshalJSON(b []byte) error {
	type plain Card
	var aux struct {
		*plain
		ExpMonth json.RawMessage `json:"expMonth"`
		ExpYear  json.RawMessage `json:"expYear"`
	}
	aux.plain = (*plain)(c)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var err error
	if c.ExpMonth, err = numberOrString(aux.ExpMonth); err != nil {
		return fmt.Errorf("card expMonth: %w", err)
	}
	if c.ExpYear, err = numberOrString(aux.ExpYear); err != nil {
		return fmt.Errorf("card expYear: %w", err)
	}
	return nil
}

func numberOrString(r json.RawMessage) (string, error) {
	if len(r) == 0 || string(r) == "null" {
		return "", nil
	}
	var id ID
	if err := id.UnmarshalJSON(r); err != nil {
		return "", err
	}
	return string(id), nil
}

// CardCreateParams creates a card. Formatting it (fmt, slog) shows only the last
// four digits of the number and never the CVC.
type CardCreateParams struct {
	Number   string `json:"number"`
	ExpMonth string `json:"expMonth"` // "02" or "2"
	ExpYear  string `json:"expYear"`  // "2028"
	CVC      string `json:"cvc,omitempty"`
}

// String shows the card with only the last four digits and no CVC.
func (p CardCreateParams) String() string {
	return fmt.Sprintf("{Number:%s ExpMonth:%s ExpYear:%s CVC:[redacted]}", maskNumber(p.Number), p.ExpMonth, p.ExpYear)
}

// GoString keeps %#v from printing the number and CVC.
func (p CardCreateParams) GoString() string { return "ghost.CardCreateParams" + p.String() }

// LogValue keeps slog from printing the number and CVC.
func (p CardCreateParams) LogValue() slog.Value { return slog.StringValue(p.String()) }

func (p *CardCreateParams) validate() error {
	p.Number = strings.ReplaceAll(p.Number, " ", "")
	switch {
	case p.Number == "":
		return invalidParams("number", "card number is required")
	case !allDigits(p.Number) || len(p.Number) < 12 || len(p.Number) > 19:
		return invalidParams("number", "card number must be 12 to 19 digits")
	case p.ExpMonth == "" || p.ExpYear == "":
		return invalidParams("expMonth", "card expiry month and year are required")
	case !allDigits(p.ExpMonth) || !allDigits(p.ExpYear):
		return invalidParams("expMonth", "card expiry must be digits")
	case p.CVC != "" && (!allDigits(p.CVC) || len(p.CVC) < 3 || len(p.CVC) > 4):
		return invalidParams("cvc", "cvc must be 3 or 4 digits")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var (
	opCardsGet    = declare(PartGhost, "Cards.Get", http.MethodGet, "/api/v1/customers/{customerID}/cards/{cardID}")
	opCardsCreate = declare(PartGhost, "Cards.Create", http.MethodPost, "/api/v1/customers/{customerID}/cards")
	opCardsDelete = declare(PartGhost, "Cards.Delete", http.MethodDelete, "/api/v1/customers/{customerID}/cards/{cardID}")
)

// Get returns a card: GET /api/v1/customers/{customerId}/cards/{cardId}.
func (s *CardsService) Get(ctx context.Context, customerID, cardID ID, opts ...RequestOption) (*Card, error) {
	return getOne[Card](ctx, (*service)(s), &request{op: opCardsGet, ids: []ID{customerID, cardID}}, opts)
}

// Create adds a card to a customer: POST /api/v1/customers/{customerId}/cards.
func (s *CardsService) Create(ctx context.Context, customerID ID, params CardCreateParams, opts ...RequestOption) (*Card, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return getOne[Card](ctx, (*service)(s), &request{op: opCardsCreate, ids: []ID{customerID}, body: cardWire(params)}, opts)
}

// cardWire is what Create sends: the card in full. (CardCreateParams'
// MarshalJSON renders it redacted.)
type cardWire struct {
	Number   string `json:"number"`
	ExpMonth string `json:"expMonth"`
	ExpYear  string `json:"expYear"`
	CVC      string `json:"cvc,omitempty"`
}

// Delete removes a card: DELETE /api/v1/customers/{customerId}/cards/{cardId}.
func (s *CardsService) Delete(ctx context.Context, customerID, cardID ID, opts ...RequestOption) error {
	_, err := (*service)(s).do(ctx, &request{op: opCardsDelete, ids: []ID{customerID, cardID}}, nil, opts)
	return err
}
