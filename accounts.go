package ghost

import (
	"context"
	"time"
)

// AccountsService reads accounts (Ghost API).
type AccountsService service

// Account is a Ghost account.
type Account struct {
	ID        ID        `json:"id"`
	Name      string    `json:"name,omitempty"`
	Email     string    `json:"email,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Get returns an account: GET /api/v1/accounts/{accountId}.
func (s *AccountsService) Get(ctx context.Context, accountID ID, opts ...RequestOption) (*Account, error) {
	p, err := pathf("/api/v1/accounts/%s", idArg{"accountID", accountID})
	if err != nil {
		return nil, err
	}
	return getOne[Account](ctx, (*service)(s), &request{method: "GET", path: p}, opts)
}
