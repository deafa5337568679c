package ghost

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// komojuIdemHeader is Komoju's idempotency header.
const komojuIdemHeader = "X-KOMOJU-IDEMPOTENCY"

// PaymentSource is the payment method stored on a Komoju customer.
type PaymentSource struct {
	Type           string `json:"type,omitempty"` // e.g. "credit_card"
	Brand          string `json:"brand,omitempty"`
	LastFourDigits string `json:"last_four_digits,omitempty"`
	Month          int    `json:"month,omitempty"`
	Year           int    `json:"year,omitempty"`
}

// PaymentDetails describes a Komoju payment method: either a token
// ("tok_…", from PaymentToken) or a hash of details (from PaymentHash, e.g.
// type, number, month, year, verification_value). It encodes as the token
// string or as the object.
type PaymentDetails struct {
	Token string
	Hash  map[string]any
}

// PaymentToken returns payment details given as a token.
func PaymentToken(token string) *PaymentDetails { return &PaymentDetails{Token: token} }

// PaymentHash returns payment details given as a hash.
func PaymentHash(h map[string]any) *PaymentDetails { return &PaymentDetails{Hash: h} }

func (p *PaymentDetails) validate() error {
	switch {
	case p == nil:
		return invalidParams("payment_details", "payment_details is required")
	case p.Token != "" && len(p.Hash) > 0:
		return invalidParams("payment_details", "payment_details is a token or a hash, not both")
	case p.Token == "" && len(p.Hash) == 0:
		return invalidParams("payment_details", "payment_details needs a token or a hash")
	}
	return nil
}

// MarshalJSON implements json.Marshaler: the token string or the hash.
func (p PaymentDetails) MarshalJSON() ([]byte, error) {
	var e *Error
	if err := p.validate(); errors.As(err, &e) {
		return nil, errors.New("ghost: " + e.Message)
	}
	if p.Token != "" {
		return json.Marshal(p.Token)
	}
	return json.Marshal(p.Hash)
}

// UnmarshalJSON implements json.Unmarshaler: a string or an object.
func (p *PaymentDetails) UnmarshalJSON(b []byte) error {
	*p = PaymentDetails{}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &p.Token)
	}
	return json.Unmarshal(b, &p.Hash)
}

// komojuCustomerBody is what Komoju's create and update accept.
type komojuCustomerBody struct {
	Email          string            `json:"email,omitempty"`
	Currency       string            `json:"currency,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	PaymentDetails *PaymentDetails   `json:"payment_details,omitempty"`
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

func (s *CustomersService) createKomoju(ctx context.Context, p CustomerParams, opts []RequestOption) (*Customer, error) {
	if p.Description != "" {
		return nil, invalidParams("description", "Komoju customers have no description")
	}
	if err := p.PaymentDetails.validate(); err != nil {
		return nil, err
	}
	body := komojuCustomerBody{Email: p.Email, Metadata: p.Metadata, PaymentDetails: p.PaymentDetails}
	if p.Currency != "" {
		c, err := komojuCurrency(p.Currency)
		if err != nil {
			return nil, err
		}
		body.Currency = c
	}
	r := &request{method: "POST", path: "/api/v1/customers", body: body, idemHdr: komojuIdemHeader}
	return getOne[Customer](ctx, (*service)(s), r, opts)
}

func (s *CustomersService) updateKomoju(ctx context.Context, id ID, p CustomerUpdateParams, opts []RequestOption) (*Customer, error) {
	if p.Description.IsSet() {
		return nil, invalidParams("description", "Komoju customers have no description")
	}
	path, err := pathf("/api/v1/customers/%s", idArg{"customerID", id})
	if err != nil {
		return nil, err
	}
	body := komojuCustomerBody{Email: p.Email.Or(""), Metadata: p.Metadata}
	if p.Email.IsSet() && body.Email == "" {
		return nil, invalidParams("email", "Komoju cannot clear an email; leave it unset")
	}
	if c, ok := p.Currency.Get(); ok {
		if body.Currency, err = komojuCurrency(c); err != nil {
			return nil, err
		}
	}
	if p.PaymentDetails != nil {
		if err := p.PaymentDetails.validate(); err != nil {
			return nil, err
		}
		body.PaymentDetails = p.PaymentDetails
	}
	return getOne[Customer](ctx, (*service)(s), &request{method: "PATCH", path: path, body: body}, opts)
}

// DeleteReturning deletes a customer and returns it as the API last knew it:
// DELETE /api/v1/customers/{id}. Only the Komoju convention returns the
// deleted object; under the others it is refused before sending (use Delete).
func (s *CustomersService) DeleteReturning(ctx context.Context, customerID ID, opts ...RequestOption) (*Customer, error) {
	if conv := s.client.cfg.convention; conv != ConventionKomoju {
		return nil, invalidParams("convention", "the %s convention does not return deleted customers; use Delete", conv)
	}
	path, err := pathf("/api/v1/customers/%s", idArg{"customerID", customerID})
	if err != nil {
		return nil, err
	}
	return getOne[Customer](ctx, (*service)(s), &request{method: "DELETE", path: path}, opts)
}

func komojuListQuery(p CustomerListParams) (url.Values, error) {
	switch {
	case p.Limit != 0 || p.Offset != 0:
		return nil, invalidParams("limit", "limit and offset are not part of the Komoju convention; use Page and PerPage")
	case p.Page < 0 || p.PerPage < 0:
		return nil, invalidParams("page", "page and per_page must not be negative")
	}
	q := url.Values{}
	if p.Page > 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(p.PerPage))
	}
	return q, nil
}

func (s *CustomersService) listKomoju(ctx context.Context, p CustomerListParams, opts []RequestOption) (*Page[Customer], error) {
	q, err := komojuListQuery(p)
	if err != nil {
		return nil, err
	}
	return listPage[Customer](ctx, (*service)(s), &request{method: "GET", path: "/api/v1/customers", query: q}, opts)
}

func (s *CustomersService) allKomoju(ctx context.Context, p CustomerListParams, opts []RequestOption) iter.Seq2[Customer, error] {
	if p.Page == 0 {
		p.Page = 1
	}
	return pageNumberPager(&p.Page, p.PerPage, func(ctx context.Context) (*Page[Customer], error) {
		return s.listKomoju(ctx, p, opts)
	}).all(ctx, opts)
}
