package contract_test

import (
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ghostScenario calls every Ghost operation through the SDK, answered with
// success and with errors, plus the errors only raw HTTP can provoke.
func ghostScenario(e *env) {
	t, ctx, c := e.t, e.t.Context(), e.client
	_, err := c.Accounts.Get(ctx, ghost.IntID(1))
	require.NoError(t, err)
	_, err = c.Accounts.Get(ctx, ghost.IntID(99999))
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	cus, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "ada@example.com", Description: "Ada", Metadata: map[string]string{"plan": "pro"}})
	require.NoError(t, err)
	_, err = c.Customers.Get(ctx, cus.ID)
	require.NoError(t, err)
	_, err = c.Customers.Get(ctx, "cus_missing")
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Customers.Update(ctx, cus.ID, ghost.CustomerUpdateParams{Description: ghost.Some("Ada L.")})
	require.NoError(t, err)
	_, err = c.Customers.Update(ctx, "cus_missing", ghost.CustomerUpdateParams{Description: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Customers.List(ctx, &ghost.CustomerListParams{Limit: 2})
	require.NoError(t, err)

	card, err := c.Cards.Create(ctx, cus.ID, ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "02", ExpYear: "2030", CVC: "123"})
	require.NoError(t, err)
	_, err = c.Cards.Create(ctx, "cus_missing", ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "02", ExpYear: "2030"})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Cards.Get(ctx, cus.ID, card.ID)
	require.NoError(t, err)
	_, err = c.Cards.Get(ctx, cus.ID, "card_missing")
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	_, err = c.Charges.Create(ctx, ghost.ChargeCreateParams{Amount: 1000, CardID: card.ID, CustomerID: cus.ID, Description: "first"})
	require.NoError(t, err)
	_, err = c.Charges.Create(ctx, ghost.ChargeCreateParams{Amount: 1000, CardID: "card_missing", CustomerID: cus.ID})
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	id, err := c.Identities.Create(ctx, ghost.IdentityCreateParams{Name: "Reader", ReferenceID: "ref_1", ReferenceDescription: "a reader"})
	require.NoError(t, err)
	_, err = c.Identities.Get(ctx, id.ID)
	require.NoError(t, err)
	_, err = c.Identities.Get(ctx, ghost.IntID(99999))
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	it, err := c.IdentityTypes.Create(ctx, ghost.IdentityTypeCreateParams{Name: "reader"})
	require.NoError(t, err)
	_, err = c.IdentityTypes.Get(ctx, it.ID)
	require.NoError(t, err)
	_, err = c.IdentityTypes.Get(ctx, ghost.IntID(99999))
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Events.Create(ctx, id.ID, ghost.EventCreateParams{Name: "Event Click", GatID: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", Properties: []map[string]any{{"eventId": 4}}})
	require.NoError(t, err)
	_, err = c.Events.Create(ctx, ghost.IntID(99999), ghost.EventCreateParams{Name: "Event Click"})
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	o, err := c.Orders.Create(ctx, ghost.OrderCreateParams{
		Amount: 5000, CustomerID: cus.ID, CardID: card.ID, GatID: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", Referrer: "newsletter",
		OrderItems: []ghost.OrderItem{{Amount: 3000, Type: ghost.OrderItemTypeItem}, {Amount: 1000, Type: ghost.OrderItemTypeItem, IdentityID: id.ID},
			{Amount: 1000, Type: ghost.OrderItemTypeFee, Description: "processing fee"}},
	})
	require.NoError(t, err)
	_, err = c.Orders.Create(ctx, ghost.OrderCreateParams{Amount: 100, CustomerID: "cus_missing", OrderItems: []ghost.OrderItem{{Amount: 100, Type: ghost.OrderItemTypeTax}}})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = c.Orders.Get(ctx, o.ID)
	require.NoError(t, err)
	now := time.Now()
	_, err = c.Orders.List(ctx, &ghost.OrderListParams{CustomerID: cus.ID, Referrer: "newsletter", Status: "pending",
		DateRange: &ghost.DateRange{Start: now.Add(-time.Hour), End: now.Add(time.Hour)}, SortBy: "amount", SortDir: ghost.SortDesc, Limit: 5})
	require.NoError(t, err)
	require.NoError(t, c.Orders.Delete(ctx, o.ID))
	assert.ErrorIs(t, c.Orders.Delete(ctx, o.ID), ghost.ErrNotFound)
	_, err = c.Orders.Get(ctx, o.ID)
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	require.NoError(t, c.Cards.Delete(ctx, cus.ID, card.ID))
	assert.ErrorIs(t, c.Cards.Delete(ctx, cus.ID, card.ID), ghost.ErrNotFound)
	require.NoError(t, c.Customers.Delete(ctx, cus.ID))
	assert.ErrorIs(t, c.Customers.Delete(ctx, cus.ID), ghost.ErrNotFound)

	// Wrong keys: 401 on every operation.
	b := e.bad
	unauthorized := func(err error) { t.Helper(); assert.ErrorIs(t, err, ghost.ErrUnauthorized) }
	_, err = b.Accounts.Get(ctx, ghost.IntID(1))
	unauthorized(err)
	_, err = b.Customers.List(ctx, nil)
	unauthorized(err)
	_, err = b.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "x@example.com"})
	unauthorized(err)
	_, err = b.Customers.Get(ctx, "cus_1")
	unauthorized(err)
	_, err = b.Customers.Update(ctx, "cus_1", ghost.CustomerUpdateParams{Description: ghost.Some("x")})
	unauthorized(err)
	unauthorized(b.Customers.Delete(ctx, "cus_1"))
	_, err = b.Cards.Create(ctx, "cus_1", ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "2", ExpYear: "2030"})
	unauthorized(err)
	_, err = b.Cards.Get(ctx, "cus_1", "card_1")
	unauthorized(err)
	unauthorized(b.Cards.Delete(ctx, "cus_1", "card_1"))
	_, err = b.Charges.Create(ctx, ghost.ChargeCreateParams{Amount: 1, CardID: "card_1", CustomerID: "cus_1"})
	unauthorized(err)
	_, err = b.Identities.Create(ctx, ghost.IdentityCreateParams{Name: "x"})
	unauthorized(err)
	_, err = b.Identities.Get(ctx, ghost.IntID(1))
	unauthorized(err)
	_, err = b.IdentityTypes.Create(ctx, ghost.IdentityTypeCreateParams{Name: "x"})
	unauthorized(err)
	_, err = b.IdentityTypes.Get(ctx, ghost.IntID(1))
	unauthorized(err)
	_, err = b.Events.Create(ctx, ghost.IntID(1), ghost.EventCreateParams{Name: "x"})
	unauthorized(err)
	_, err = b.Orders.List(ctx, nil)
	unauthorized(err)
	_, err = b.Orders.Create(ctx, ghost.OrderCreateParams{Amount: 1, OrderItems: []ghost.OrderItem{{Amount: 1, Type: ghost.OrderItemTypeItem}}})
	unauthorized(err)
	_, err = b.Orders.Get(ctx, ghost.IntID(1))
	unauthorized(err)
	unauthorized(b.Orders.Delete(ctx, ghost.IntID(1)))

	// Errors the SDK refuses to provoke: answered in the Ghost shape.
	g := ghost.PartGhost
	assert.Equal(t, 400, e.raw(g, "GET", "/api/v1/orders/abc", "", "", false).status)
	assert.Equal(t, 400, e.raw(g, "GET", "/api/v1/customers?limit=101", "", "", false).status)
	assert.Equal(t, 400, e.raw(g, "GET", "/api/v1/orders?sortDir=sideways", "", "", false).status)
	assert.Equal(t, 400, e.raw(g, "GET", "/api/v1/accounts/0", "", "", false).status)
	assert.Equal(t, 400, e.raw(g, "GET", "/api/v1/identities/x", "", "", false).status)
	assert.Equal(t, 400, e.raw(g, "GET", "/api/v1/identity-types/-1", "", "", false).status)
	assert.Equal(t, 400, e.raw(g, "DELETE", "/api/v1/orders/1.5", "", "", false).status)
	// An idempotency key reused with another body: 409.
	key := []string{"Idempotency-Key", "contract-test-key-1"}
	assert.Equal(t, 201, e.raw(g, "POST", "/api/v1/identity-types", "application/json", `{"name":"a"}`, true, key...).status)
	assert.Equal(t, 409, e.raw(g, "POST", "/api/v1/identity-types", "application/json", `{"name":"b"}`, true, key...).status)
}
