package acapi

import (
	"context"
	"errors"
	"net/http"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// driveSeed is how many objects of each resource the driven mock holds.
const driveSeed = 3

// missing is an id no resource of the driven mock has.
var missing = ghost.IntID(999)

func dec(s string) ghost.SparkDecimal {
	d, err := ghost.ParseSparkDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// wantStatus asserts that err is a *ghost.Error with the status.
func wantStatus(t *testing.T, err error, status int, call string) {
	t.Helper()
	var ge *ghost.Error
	if assert.True(t, errors.As(err, &ge), "%s: want a %d *ghost.Error, got %v", call, status, err) {
		assert.Equal(t, status, ge.StatusCode, "%s: %v", call, err)
	}
}

// resourceCalls drives every generic method of one typed service, each
// to a success and to an error answer.
type resourceCalls[T any] struct {
	r      *ghost.SparkResourceService[T]
	expand []string // its nested collections
}

func (rc resourceCalls[T]) run(t *testing.T, ctx context.Context) {
	name := rc.r.Name()
	page, err := rc.r.List(ctx, &ghost.SparkListParams{Count: 2, Expand: rc.expand})
	require.NoError(t, err, name+".List")
	require.Len(t, page.Items, 2, name+".List")
	next, err := rc.r.NextPage(ctx, page)
	require.NoError(t, err, name+".NextPage")
	assert.NotEmpty(t, next.Items, name+".NextPage")
	_, err = rc.r.List(ctx, &ghost.SparkListParams{Page: 99})
	wantStatus(t, err, http.StatusNotFound, name+".List page 99")

	n := 0
	for _, err := range rc.r.All(ctx, &ghost.SparkListParams{Count: 2}) {
		require.NoError(t, err, name+".All")
		n++
	}
	assert.GreaterOrEqual(t, n, driveSeed, name+".All")

	_, err = rc.r.Get(ctx, ghost.IntID(1), &ghost.SparkGetParams{Expand: rc.expand})
	require.NoError(t, err, name+".Get")
	_, err = rc.r.Get(ctx, missing, nil)
	wantStatus(t, err, http.StatusNotFound, name+".Get missing")

	_, err = rc.r.Filled(ctx, ghost.IntID(1), nil)
	require.NoError(t, err, name+".Filled")
	_, err = rc.r.Filled(ctx, missing, nil)
	wantStatus(t, err, http.StatusNotFound, name+".Filled missing")

	sel, err := rc.r.SelectMany(ctx, []ghost.ID{ghost.IntID(1), ghost.IntID(2)}, nil)
	require.NoError(t, err, name+".SelectMany")
	assert.Len(t, sel.Items, 2, name+".SelectMany")
	_, err = rc.r.SelectMany(ctx, []ghost.ID{ghost.IntID(1)}, &ghost.SparkSelectParams{Sort: []ghost.SparkSortField{ghost.SparkAsc("no_such_field")}})
	wantStatus(t, err, http.StatusBadRequest, name+".SelectMany unknown sort field")

	err = rc.r.Delete(ctx, missing)
	wantStatus(t, err, http.StatusNotFound, name+".Delete missing")
}

// writeCalls are the typed writes of one service: a create, an update of
// the created item, a create the mock refuses (409) and a Delete.
type writeCalls[T any] struct {
	r       *ghost.SparkResourceService[T]
	upsert  func(ctx context.Context, item T, opts ...ghost.RequestOption) (*T, bool, error)
	create  T
	again   func(created *T) T // the created item changed, sent to Upsert again
	refused T
	update  func(ctx context.Context, id ghost.ID) (*T, error)
	id      func(*T) ghost.ID
}

func (wc writeCalls[T]) run(t *testing.T, ctx context.Context) {
	name := wc.r.Name()
	created, isNew, err := wc.upsert(ctx, wc.create)
	require.NoError(t, err, name+".Upsert create")
	assert.True(t, isNew, name+".Upsert create")
	id := wc.id(created)

	_, isNew, err = wc.upsert(ctx, wc.again(created))
	require.NoError(t, err, name+".Upsert update")
	assert.False(t, isNew, name+".Upsert update")

	_, _, err = wc.upsert(ctx, wc.refused)
	wantStatus(t, err, http.StatusConflict, name+".Upsert refused")

	_, err = wc.update(ctx, id)
	require.NoError(t, err, name+".Update")
	_, err = wc.update(ctx, missing)
	wantStatus(t, err, http.StatusNotFound, name+".Update missing")

	require.NoError(t, wc.r.Delete(ctx, id), name+".Delete")
}

// nestedCall is one nested list, called on an existing and a missing parent.
func nestedCall[V any](t *testing.T, name string, list func(ghost.ID) (*ghost.Page[V], error)) {
	t.Helper()
	page, err := list(ghost.IntID(1))
	require.NoError(t, err, name)
	assert.NotEmpty(t, page.Items, name)
	_, err = list(missing)
	wantStatus(t, err, http.StatusNotFound, name+" missing parent")
}

// drive calls every method of the five typed Spark services against a mock
// seeded with driveSeed objects per resource, each to a success and to an
// error answer.
func drive(t *testing.T, c *ghost.Client) {
	ctx := context.Background()
	s := c.Spark
	resourceCalls[ghost.SparkProduct]{s.Products.Resource(), []string{"variants", "categories"}}.run(t, ctx)
	resourceCalls[ghost.SparkVariant]{s.Variants.Resource(), nil}.run(t, ctx)
	resourceCalls[ghost.SparkCategory]{s.Categories.Resource(), nil}.run(t, ctx)
	resourceCalls[ghost.SparkCustomer]{s.Customers.Resource(), []string{"addresses"}}.run(t, ctx)
	resourceCalls[ghost.SparkOrder]{s.Orders.Resource(), []string{"items"}}.run(t, ctx)

	nestedCall(t, "Products.ListVariants", func(id ghost.ID) (*ghost.Page[ghost.SparkVariant], error) {
		return s.Products.ListVariants(ctx, id, nil)
	})
	nestedCall(t, "Products.ListCategories", func(id ghost.ID) (*ghost.Page[ghost.SparkCategory], error) {
		return s.Products.ListCategories(ctx, id, nil)
	})
	nestedCall(t, "Customers.ListAddresses", func(id ghost.ID) (*ghost.Page[ghost.SparkAddress], error) {
		return s.Customers.ListAddresses(ctx, id, nil)
	})
	nestedCall(t, "Orders.ListItems", func(id ghost.ID) (*ghost.Page[ghost.SparkOrderItem], error) {
		return s.Orders.ListItems(ctx, id, nil)
	})

	one := ghost.IntID(1)
	writeCalls[ghost.SparkCategory]{
		r: s.Categories.Resource(), upsert: s.Categories.Upsert,
		create: ghost.SparkCategory{Name: "Lamps", ParentCategoryID: one, ShortDescription: "Desk and floor lamps"},
		again:  func(c *ghost.SparkCategory) ghost.SparkCategory { return ghost.SparkCategory{ID: c.ID, IsHidden: true} },
		// The parent does not exist.
		refused: ghost.SparkCategory{Name: "Orphans", ParentCategoryID: missing},
		update: func(ctx context.Context, id ghost.ID) (*ghost.SparkCategory, error) {
			return s.Categories.Update(ctx, id, ghost.SparkCategoryUpdateParams{Name: ghost.Some("Lighting"), SortOrder: ghost.Some(2)})
		},
		id: func(c *ghost.SparkCategory) ghost.ID { return c.ID },
	}.run(t, ctx)

	writeCalls[ghost.SparkProduct]{
		r: s.Products.Resource(), upsert: s.Products.Upsert,
		create: ghost.SparkProduct{
			ItemName: "Desk lamp", ItemNumber: "lamp-1", Price: dec("19.99"), Cost: dec("7.25"),
			PrimaryCategoryID: one, ProductStatusID: one, QuantityOnHand: ghost.Some(4),
			Variants: ghost.SparkNestedOf(ghost.SparkVariant{Description: "Brass", VariantGroupID: one, PriceAdjustment: dec("2.50")}),
		},
		again: func(p *ghost.SparkProduct) ghost.SparkProduct {
			return ghost.SparkProduct{ID: p.ID, ItemName: "Desk lamp II", Retail: dec("24.00")}
		},
		refused: ghost.SparkProduct{ItemName: "Free lamp", Price: dec("-1"), PrimaryCategoryID: one, ProductStatusID: one},
		update: func(ctx context.Context, id ghost.ID) (*ghost.SparkProduct, error) {
			return s.Products.Update(ctx, id, ghost.SparkProductUpdateParams{Price: ghost.Some(dec("17.50")), ShortDescription: ghost.Some("Brass desk lamp")})
		},
		id: func(p *ghost.SparkProduct) ghost.ID { return p.ID },
	}.run(t, ctx)

	writeCalls[ghost.SparkVariant]{
		r: s.Variants.Resource(), upsert: s.Variants.Upsert,
		create: ghost.SparkVariant{ProductID: one, VariantGroupID: one, Description: "XL", PriceAdjustment: dec("3.50"), PriceAdjustmentType: "+ dollars"},
		again:  func(v *ghost.SparkVariant) ghost.SparkVariant { return ghost.SparkVariant{ID: v.ID, IsHidden: true} },
		// The product does not exist.
		refused: ghost.SparkVariant{ProductID: missing, VariantGroupID: one, Description: "XS"},
		update: func(ctx context.Context, id ghost.ID) (*ghost.SparkVariant, error) {
			return s.Variants.Update(ctx, id, ghost.SparkVariantUpdateParams{PriceAdjustment: ghost.Some(dec("4")), SortOrder: ghost.Some(3)})
		},
		id: func(v *ghost.SparkVariant) ghost.ID { return v.ID },
	}.run(t, ctx)

	writeCalls[ghost.SparkCustomer]{
		r: s.Customers.Resource(), upsert: s.Customers.Upsert,
		create: ghost.SparkCustomer{
			Email: "ada@example.com", StoreID: one, FirstName: "Ada", LastName: "Lovelace", CreditLimit: dec("250.00"),
			Addresses: ghost.SparkNestedOf(ghost.SparkAddress{AddressLine1: "12 St James's Square", City: "London", Country: "United Kingdom"}),
		},
		again: func(c *ghost.SparkCustomer) ghost.SparkCustomer {
			return ghost.SparkCustomer{ID: c.ID, Company: "Analytical Engines"}
		},
		refused: ghost.SparkCustomer{Email: "not-an-address", StoreID: one},
		update: func(ctx context.Context, id ghost.ID) (*ghost.SparkCustomer, error) {
			return s.Customers.Update(ctx, id, ghost.SparkCustomerUpdateParams{PhoneNumber: ghost.Some("555-0100"), IsInactive: ghost.Some(true)})
		},
		id: func(c *ghost.SparkCustomer) ghost.ID { return c.ID },
	}.run(t, ctx)

	writeCalls[ghost.SparkOrder]{
		r: s.Orders.Resource(), upsert: s.Orders.Upsert,
		create: ghost.SparkOrder{
			CustomerID: one, OrderStatusID: one, OrderShippingAddressID: one, OrderBillingAddressID: one,
			Subtotal: dec("39.98"), TaxTotal: dec("3.30"), ShippingTotal: dec("5"), GrandTotal: dec("48.28"),
			Items: ghost.SparkNestedOf(ghost.SparkOrderItem{ProductID: one, ItemName: "Item 1", Quantity: 2, Price: dec("19.99")}),
		},
		again: func(o *ghost.SparkOrder) ghost.SparkOrder {
			return ghost.SparkOrder{ID: o.ID, AdminComments: "gift wrap"}
		},
		// The customer does not exist.
		refused: ghost.SparkOrder{CustomerID: missing, OrderStatusID: one, OrderShippingAddressID: one, OrderBillingAddressID: one},
		update: func(ctx context.Context, id ghost.ID) (*ghost.SparkOrder, error) {
			return s.Orders.Update(ctx, id, ghost.SparkOrderUpdateParams{OrderStatusID: ghost.Some(ghost.IntID(2)), IsGift: ghost.Some(true)})
		},
		id: func(o *ghost.SparkOrder) ghost.ID { return o.ID },
	}.run(t, ctx)
}

// driveCallLimit makes one call, then one over the store's call limit of
// 1, which is answered 429 (c does not retry).
func driveCallLimit(t *testing.T, c *ghost.Client) {
	ctx := context.Background()
	_, err := c.Spark.Products.List(ctx, nil)
	require.NoError(t, err)
	_, err = c.Spark.Products.List(ctx, nil)
	wantStatus(t, err, http.StatusTooManyRequests, "Products.List over the call limit")
}
