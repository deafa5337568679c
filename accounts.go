package ghost

import (
	"context"
	"net/http"
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

var opAccountsGet = declare(PartGhost, "Accounts.Get", http.MethodGet, "/api/v1/accounts/{accountID}")

// Get returns an account: GET /api/v1/accounts/{accountId}.
func (s *AccountsService) Get(ctx context.Context, accountID ID, opts ...RequestOption) (*Account, error) {
	return getOne[Account](ctx, (*service)(s), &request{op: opAccountsGet, ids: []ID{accountID}}, opts)
}
