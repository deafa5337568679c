package ghost_test

import (
	"net/url"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newGhostMock(t *testing.T) *ghosttest.Server {
	t.Helper()
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost))
	t.Cleanup(srv.Close)
	return srv
}

// wantRequest asserts the last request the mock received.
func wantRequest(t *testing.T, srv *ghosttest.Server, method, path, rawQuery, jsonBody string) ghosttest.RecordedRequest {
	t.Helper()
	r, ok := srv.LastRequest()
	require.True(t, ok, "no request received")
	assert.Equal(t, method, r.Method)
	assert.Equal(t, path, r.Path)
	if rawQuery == "" {
		assert.Empty(t, r.RawQuery)
	} else {
		want, err := url.ParseQuery(rawQuery)
		require.NoError(t, err)
		got, err := url.ParseQuery(r.RawQuery)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	u, p, ok := basicAuth(r)
	assert.True(t, ok, "Basic auth")
	assert.Equal(t, []string{ghosttest.DefaultPublicKey, ghosttest.DefaultSecretKey}, []string{u, p})
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
	assert.Contains(t, r.Header.Get("User-Agent"), "ghost-go/")
	assertJSONBody(t, r, jsonBody)
	return r
}

func basicAuth(r ghosttest.RecordedRequest) (string, string, bool) {
	return (&requestHeader{r.Header}).basic()
}

func TestAccountsGet(t *testing.T) {
	srv := newGhostMock(t)
	a, err := srv.Client.Accounts.Get(t.Context(), ghost.IntID(1))
	require.NoError(t, err)
	wantRequest(t, srv, "GET", "/api/v1/accounts/1", "", "")
	assert.Equal(t, ghost.IntID(1), a.ID)
	assert.NotEmpty(t, a.Name)

	_, err = srv.Client.Accounts.Get(t.Context(), "999")
	require.ErrorIs(t, err, ghost.ErrNotFound)
}

func TestCustomersCRUD(t *testing.T) {
	srv := newGhostMock(t)
	c := srv.Client
	ctx := t.Context()

	cus, err := c.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "ada@example.com", Description: "some customer description",
		Metadata: map[string]string{"plan": "gold"}})
	require.NoError(t, err)
	wantRequest(t, srv, "POST", "/api/v1/customers", "",
		`{"email":"ada@example.com","description":"some customer description","metadata":{"plan":"gold"}}`)
	assert.NotEmpty(t, cus.ID)
	assert.Equal(t, "ada@example.com", cus.Email)
	assert.Equal(t, "some customer description", cus.Description)
	assert.Equal(t, map[string]string{"plan": "gold"}, cus.Metadata)
	assert.False(t, cus.CreatedAt.IsZero())

	got, err := c.Customers.Get(ctx, cus.ID)
	require.NoError(t, err)
	wantRequest(t, srv, "GET", "/api/v1/customers/"+cus.ID.String(), "", "")
	assert.Equal(t, cus.ID, got.ID)
	assert.Equal(t, cus.Email, got.Email)

	upd, err := c.Customers.Update(ctx, cus.ID, ghost.CustomerUpdateParams{Description: ghost.Some("some new customer description")})
	require.NoError(t, err)
	wantRequest(t, srv, "PUT", "/api/v1/customers/"+cus.ID.String(), "", `{"description":"some new customer description"}`)
	assert.Equal(t, "some new customer description", upd.Description)
	assert.Equal(t, "ada@example.com", upd.Email, "fields not sent are kept")

	cleared, err := c.Customers.Update(ctx, cus.ID, ghost.CustomerUpdateParams{Description: ghost.Some("")})
	require.NoError(t, err)
	wantRequest(t, srv, "PUT", "/api/v1/customers/"+cus.ID.String(), "", `{"description":""}`)
	assert.Empty(t, cleared.Description)

	require.NoError(t, c.Customers.Delete(ctx, cus.ID))
	wantRequest(t, srv, "DELETE", "/api/v1/customers/"+cus.ID.String(), "", "")
	_, err = c.Customers.Get(ctx, cus.ID)
	require.ErrorIs(t, err, ghost.ErrNotFound)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, "Not Found", ge.Code)
	assert.NotEmpty(t, ge.Message)
}

func TestCustomersListAndAll(t *testing.T) {
	srv := newGhostMock(t)
	ctx := t.Context()
	var ids []ghost.ID
	for range 5 {
		cus, err := srv.Client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "x@example.com"})
		require.NoError(t, err)
		ids = append(ids, cus.ID)
	}
	page, err := srv.Client.Customers.List(ctx, &ghost.CustomerListParams{Limit: 2, Offset: 1})
	require.NoError(t, err)
	wantRequest(t, srv, "GET", "/api/v1/customers", "limit=2&offset=1", "")
	require.Len(t, page.Items, 2)
	assert.Equal(t, ids[1:3], []ghost.ID{page.Items[0].ID, page.Items[1].ID})

	srv.ResetRequests()
	var walked []ghost.ID
	for cus, err := range srv.Client.Customers.All(ctx, &ghost.CustomerListParams{Limit: 2}) {
		require.NoError(t, err)
		walked = append(walked, cus.ID)
	}
	assert.Equal(t, ids, walked)
	assert.Len(t, srv.Requests(), 3, "2 + 2 + a short page of 1")
}

func TestCards(t *testing.T) {
	srv := newGhostMock(t)
	ctx := t.Context()
	cus, err := srv.Client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "card@example.com"})
	require.NoError(t, err)
	path := "/api/v1/customers/" + cus.ID.String() + "/cards"

	card, err := srv.Client.Cards.Create(ctx, cus.ID, ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "02", ExpYear: "2018", CVC: "123"})
	require.NoError(t, err)
	r := wantRequest(t, srv, "POST", path, "", `{"number":"4242424242424242","expMonth":"02","expYear":"2018","cvc":"123"}`)
	assert.Len(t, r.Header.Get("Idempotency-Key"), 26, "a key generated by the SDK")
	assert.NotEmpty(t, card.ID)
	assert.Equal(t, cus.ID, card.CustomerID)
	assert.Equal(t, "4242", card.Last4)
	assert.Equal(t, "visa", card.Brand)
	assert.Equal(t, "02", card.ExpMonth)
	assert.Equal(t, "2018", card.ExpYear)

	got, err := srv.Client.Cards.Get(ctx, cus.ID, card.ID)
	require.NoError(t, err)
	wantRequest(t, srv, "GET", path+"/"+card.ID.String(), "", "")
	assert.Equal(t, card.ID, got.ID)

	require.NoError(t, srv.Client.Cards.Delete(ctx, cus.ID, card.ID))
	wantRequest(t, srv, "DELETE", path+"/"+card.ID.String(), "", "")
	_, err = srv.Client.Cards.Get(ctx, cus.ID, card.ID)
	require.ErrorIs(t, err, ghost.ErrNotFound)

	_, err = srv.Client.Cards.Create(ctx, "cus_unknown", ghost.CardCreateParams{Number: "4242424242424242", ExpMonth: "02", ExpYear: "2030"})
	require.ErrorIs(t, err, ghost.ErrNotFound)
}

// customerWithCard creates a customer and gives it a card.
func customerWithCard(t *testing.T, srv *ghosttest.Server, email, number string) (*ghost.Customer, *ghost.Card) {
	t.Helper()
	cus, err := srv.Client.Customers.Create(t.Context(), ghost.CustomerCreateParams{Email: email})
	require.NoError(t, err)
	card, err := srv.Client.Cards.Create(t.Context(), cus.ID, ghost.CardCreateParams{Number: number, ExpMonth: "12", ExpYear: "2031", CVC: "321"})
	require.NoError(t, err)
	return cus, card
}

func TestChargesCreate(t *testing.T) {
	srv := newGhostMock(t)
	ctx := t.Context()
	cus, card := customerWithCard(t, srv, "pay@example.com", "5555555555554444")

	ch, err := srv.Client.Charges.Create(ctx, ghost.ChargeCreateParams{Amount: 1000, CardID: card.ID, CustomerID: cus.ID, Description: "some charge description"},
		ghost.WithIdempotencyKey("charge-1"))
	require.NoError(t, err)
	r := wantRequest(t, srv, "POST", "/api/v1/charges", "",
		`{"amount":1000,"cardId":"`+card.ID.String()+`","customerId":"`+cus.ID.String()+`","description":"some charge description"}`)
	assert.Equal(t, "charge-1", r.Header.Get("Idempotency-Key"))
	assert.NotEmpty(t, ch.ID)
	assert.Equal(t, int64(1000), ch.Amount)
	assert.Equal(t, card.ID, ch.CardID)
	assert.Equal(t, cus.ID, ch.CustomerID)
	assert.Equal(t, "some charge description", ch.Description)
	assert.NotEmpty(t, ch.Status)

	// The same key again is replayed, not charged twice.
	again, err := srv.Client.Charges.Create(ctx, ghost.ChargeCreateParams{Amount: 1000, CardID: card.ID, CustomerID: cus.ID, Description: "some charge description"},
		ghost.WithIdempotencyKey("charge-1"))
	require.NoError(t, err)
	assert.Equal(t, ch.ID, again.ID)
	assert.Equal(t, 1, srv.IdempotentReplays())
}

func TestIdentitiesTypesAndEvents(t *testing.T) {
	srv := newGhostMock(t)
	ctx := t.Context()

	typ, err := srv.Client.IdentityTypes.Create(ctx, ghost.IdentityTypeCreateParams{Name: "customer"})
	require.NoError(t, err)
	wantRequest(t, srv, "POST", "/api/v1/identity-types", "", `{"name":"customer"}`)
	assert.Equal(t, "customer", typ.Name)
	gotType, err := srv.Client.IdentityTypes.Get(ctx, typ.ID)
	require.NoError(t, err)
	wantRequest(t, srv, "GET", "/api/v1/identity-types/"+typ.ID.String(), "", "")
	assert.Equal(t, typ.ID, gotType.ID)

	id, err := srv.Client.Identities.Create(ctx, ghost.IdentityCreateParams{Name: "Ada", ReferenceID: "user-7", ReferenceDescription: "app user"})
	require.NoError(t, err)
	wantRequest(t, srv, "POST", "/api/v1/identities", "", `{"name":"Ada","referenceId":"user-7","referenceDescription":"app user"}`)
	assert.Equal(t, "user-7", id.ReferenceID)
	gotID, err := srv.Client.Identities.Get(ctx, id.ID)
	require.NoError(t, err)
	wantRequest(t, srv, "GET", "/api/v1/identities/"+id.ID.String(), "", "")
	assert.Equal(t, "Ada", gotID.Name)
	assert.Equal(t, "app user", gotID.ReferenceDescription)

	ev, err := srv.Client.Events.Create(ctx, id.ID, ghost.EventCreateParams{
		Name: "Event Click", GatID: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
		Properties: []map[string]any{{"eventId": 4, "userId": 3}},
	})
	require.NoError(t, err)
	wantRequest(t, srv, "POST", "/api/v1/identities/"+id.ID.String()+"/events", "",
		`{"name":"Event Click","gatId":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","properties":[{"eventId":4,"userId":3}]}`)
	assert.Equal(t, id.ID, ev.IdentityID)
	assert.Equal(t, "Event Click", ev.Name)
	require.Len(t, ev.Properties, 1)
	assert.EqualValues(t, 4, ev.Properties[0]["eventId"])

	_, err = srv.Client.Events.Create(ctx, "424242", ghost.EventCreateParams{Name: "x"})
	require.ErrorIs(t, err, ghost.ErrNotFound)
}

func TestOrders(t *testing.T) {
	srv := newGhostMock(t)
	ctx := t.Context()
	cus, card := customerWithCard(t, srv, "o@example.com", "4242424242424242")
	ident, err := srv.Client.Identities.Create(ctx, ghost.IdentityCreateParams{Name: "seller"})
	require.NoError(t, err)

	params := ghost.OrderCreateParams{
		Amount: 5000, CustomerID: cus.ID, CardID: card.ID, GatID: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
		OrderItems: []ghost.OrderItem{
			{Amount: 3000, Type: ghost.OrderItemTypeItem},
			{Amount: 1000, Type: ghost.OrderItemTypeItem, IdentityID: ident.ID},
			{Amount: 800, Type: ghost.OrderItemTypeFee, Description: "processing fee"},
			{Amount: 200, Type: ghost.OrderItemTypeTax},
		},
	}
	o, err := srv.Client.Orders.Create(ctx, params)
	require.NoError(t, err)
	wantRequest(t, srv, "POST", "/api/v1/orders", "", `{"amount":5000,"customerId":"`+cus.ID.String()+`","cardId":"`+card.ID.String()+`",
		"gatId":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","orderItems":[{"amount":3000,"type":"item"},
		{"amount":1000,"type":"item","identityId":`+ident.ID.String()+`},{"amount":800,"type":"fee","description":"processing fee"},
		{"amount":200,"type":"tax"}]}`)
	assert.Equal(t, int64(5000), o.Amount)
	assert.Equal(t, cus.ID, o.CustomerID)
	require.Len(t, o.OrderItems, 4)
	assert.Equal(t, ghost.OrderItemTypeTax, o.OrderItems[3].Type)
	assert.Equal(t, ident.ID, o.OrderItems[1].IdentityID)

	got, err := srv.Client.Orders.Get(ctx, o.ID)
	require.NoError(t, err)
	wantRequest(t, srv, "GET", "/api/v1/orders/"+o.ID.String(), "", "")
	assert.Equal(t, o.ID, got.ID)

	require.NoError(t, srv.Client.Orders.Delete(ctx, o.ID))
	wantRequest(t, srv, "DELETE", "/api/v1/orders/"+o.ID.String(), "", "")
	_, err = srv.Client.Orders.Get(ctx, o.ID)
	require.ErrorIs(t, err, ghost.ErrNotFound)
}

func TestOrdersListFilters(t *testing.T) {
	srv := newGhostMock(t)
	ctx := t.Context()
	cus, err := srv.Client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "f@example.com"})
	require.NoError(t, err)
	var ids []ghost.ID
	for i := range 3 {
		o, err := srv.Client.Orders.Create(ctx, ghost.OrderCreateParams{Amount: int64(100 * (i + 1)), CustomerID: cus.ID,
			OrderItems: []ghost.OrderItem{{Amount: int64(100 * (i + 1)), Type: ghost.OrderItemTypeItem}}})
		require.NoError(t, err)
		ids = append(ids, o.ID)
	}
	_, err = srv.Client.Orders.Create(ctx, ghost.OrderCreateParams{Amount: 7, OrderItems: []ghost.OrderItem{{Amount: 7, Type: ghost.OrderItemTypeItem}}})
	require.NoError(t, err)

	start := time.Date(2000, 1, 2, 3, 4, 5, 0, time.UTC)
	end := time.Date(2100, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))
	page, err := srv.Client.Orders.List(ctx, &ghost.OrderListParams{
		CustomerID: cus.ID, DateRange: &ghost.DateRange{Start: start, End: end},
		Limit: 25, Offset: 1, SortBy: "createdAt", SortDir: ghost.SortDesc,
	})
	require.NoError(t, err)
	wantRequest(t, srv, "GET", "/api/v1/orders", "customerId="+cus.ID.String()+
		"&dateRange%5B0%5D=2000-01-02T03%3A04%3A05.000Z&dateRange%5B1%5D=2099-12-31T23%3A00%3A00.000Z"+
		"&limit=25&offset=1&sortBy=createdAt&sortDir=desc", "")
	require.Len(t, page.Items, 2, "3 orders of the customer, offset 1")
	assert.Equal(t, []ghost.ID{ids[1], ids[0]}, []ghost.ID{page.Items[0].ID, page.Items[1].ID}, "newest first")

	for _, tt := range []struct {
		name   string
		params ghost.OrderListParams
		query  string
	}{
		{"referrer", ghost.OrderListParams{Referrer: "newsletter"}, "referrer=newsletter"},
		{"gatId", ghost.OrderListParams{GatID: "gat-1"}, "gatId=gat-1"},
		{"status", ghost.OrderListParams{Status: "pending"}, "status=pending"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Client.Orders.List(ctx, &tt.params)
			require.NoError(t, err)
			wantRequest(t, srv, "GET", "/api/v1/orders", tt.query, "")
		})
	}
	pending, err := srv.Client.Orders.List(ctx, &ghost.OrderListParams{Status: "pending"})
	require.NoError(t, err)
	assert.Len(t, pending.Items, 4)
}

func TestOrderRulesEnforcedByMock(t *testing.T) {
	// The mock refuses what the SDK refuses; send raw bodies past the SDK's
	// own checks to see the mock's answer.
	srv := newGhostMock(t)
	for _, body := range []string{
		`{"amount":5000,"orderItems":[{"amount":3000,"type":"item"}]}`,
		`{"amount":100,"orderItems":[{"amount":100,"type":"discount"}]}`,
	} {
		resp, err := rawPost(t.Context(), srv, "/api/v1/orders", body)
		require.NoError(t, err)
		assert.Equal(t, 400, resp.StatusCode, body)
	}
}

func TestGhostAuthFailure(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost),
		ghosttest.WithClientOptions(ghost.WithKeys(ghosttest.DefaultPublicKey, "sk_wrong")))
	defer srv.Close()
	_, err := srv.Client.Accounts.Get(t.Context(), "1")
	require.ErrorIs(t, err, ghost.ErrUnauthorized)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, 401, ge.StatusCode)
	assert.NotContains(t, err.Error(), "sk_wrong")
}
