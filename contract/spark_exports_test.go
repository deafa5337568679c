package contract_test

import (
	"context"
	"net/http"
	"strings"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sparkScenario calls every modelled Spark operation through the SDK (the
// typed services), answered with success and with errors, and the generic
// accessor on the resources the mock does not model (501).
func sparkScenario(e *env) {
	t, ctx, s := e.t, e.t.Context(), e.client.Spark
	cat, created, err := s.Categories.Upsert(ctx, ghost.SparkCategory{Name: "Flame throwers"})
	require.NoError(t, err)
	assert.True(t, created)
	_, created, err = s.Categories.Upsert(ctx, ghost.SparkCategory{ID: cat.ID, Name: "Not flame throwers"})
	require.NoError(t, err)
	assert.False(t, created)
	prod, _, err := s.Products.Upsert(ctx, ghost.SparkProduct{ItemName: "Not a Flame Thrower", ItemNumber: "NCC-1701-C",
		PrimaryCategoryID: cat.ID, ProductStatusID: ghost.IntID(1), Price: ghost.SparkDecimalFromCents(5500)})
	require.NoError(t, err)
	variant, _, err := s.Variants.Upsert(ctx, ghost.SparkVariant{ProductID: prod.ID, VariantGroupID: ghost.IntID(1), Description: "Red"})
	require.NoError(t, err)
	cus, _, err := s.Customers.Upsert(ctx, ghost.SparkCustomer{Email: "store@example.com", StoreID: ghost.IntID(1), FirstName: "Ada"})
	require.NoError(t, err)
	order, _, err := s.Orders.Upsert(ctx, ghost.SparkOrder{CustomerID: cus.ID, OrderStatusID: ghost.IntID(1),
		OrderShippingAddressID: ghost.IntID(1), OrderBillingAddressID: ghost.IntID(1)})
	require.NoError(t, err)

	type resource struct {
		name string
		id   ghost.ID
		r    interface {
			list() error
			get(ghost.ID) error
			filled(ghost.ID) error
			selectMany([]ghost.ID) error
			del(ghost.ID) error
		}
	}
	for _, res := range []resource{
		{"products", prod.ID, sparkOps[ghost.SparkProduct]{ctx, &s.Products.SparkResourceService}},
		{"product_variants", variant.ID, sparkOps[ghost.SparkVariant]{ctx, &s.Variants.SparkResourceService}},
		{"categories", cat.ID, sparkOps[ghost.SparkCategory]{ctx, &s.Categories.SparkResourceService}},
		{"customers", cus.ID, sparkOps[ghost.SparkCustomer]{ctx, &s.Customers.SparkResourceService}},
		{"orders", order.ID, sparkOps[ghost.SparkOrder]{ctx, &s.Orders.SparkResourceService}},
	} {
		require.NoError(t, res.r.list(), res.name)
		require.NoError(t, res.r.get(res.id), res.name)
		assert.ErrorIs(t, res.r.get(ghost.IntID(99999)), ghost.ErrNotFound, res.name)
		require.NoError(t, res.r.filled(res.id), res.name)
		assert.ErrorIs(t, res.r.filled(ghost.IntID(99999)), ghost.ErrNotFound, res.name)
		require.NoError(t, res.r.selectMany([]ghost.ID{res.id, ghost.IntID(99999)}), res.name)
		// select_many without ids and an out-of-bounds page, raw: the SDK
		// refuses the first.
		assert.Equal(t, http.StatusBadRequest, e.raw(ghost.PartSpark, "GET", "/api/v1/"+res.name+"/select_many", "", "", false).status, res.name)
		assert.Equal(t, http.StatusNotFound, e.raw(ghost.PartSpark, "GET", "/api/v1/"+res.name+"?page=999", "", "", true).status, res.name)
	}
	_, err = s.Products.ListVariants(ctx, prod.ID, nil)
	require.NoError(t, err)
	_, err = s.Products.ListVariants(ctx, ghost.IntID(99999), nil)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = s.Products.ListCategories(ctx, prod.ID, nil)
	require.NoError(t, err)
	_, err = s.Products.ListCategories(ctx, ghost.IntID(99999), nil)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = s.Customers.ListAddresses(ctx, cus.ID, nil)
	require.NoError(t, err)
	_, err = s.Customers.ListAddresses(ctx, ghost.IntID(99999), nil)
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = s.Orders.ListItems(ctx, order.ID, nil)
	require.NoError(t, err)
	_, err = s.Orders.ListItems(ctx, ghost.IntID(99999), nil)
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	_, err = s.Products.Update(ctx, prod.ID, ghost.SparkProductUpdateParams{ItemName: ghost.Some("Renamed")})
	require.NoError(t, err)
	_, err = s.Products.Update(ctx, ghost.IntID(99999), ghost.SparkProductUpdateParams{ItemName: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = s.Variants.Update(ctx, variant.ID, ghost.SparkVariantUpdateParams{Description: ghost.Some("Blue")})
	require.NoError(t, err)
	_, err = s.Variants.Update(ctx, ghost.IntID(99999), ghost.SparkVariantUpdateParams{Description: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = s.Categories.Update(ctx, cat.ID, ghost.SparkCategoryUpdateParams{Name: ghost.Some("Torches")})
	require.NoError(t, err)
	_, err = s.Categories.Update(ctx, ghost.IntID(99999), ghost.SparkCategoryUpdateParams{Name: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = s.Customers.Update(ctx, cus.ID, ghost.SparkCustomerUpdateParams{FirstName: ghost.Some("Grace")})
	require.NoError(t, err)
	_, err = s.Customers.Update(ctx, ghost.IntID(99999), ghost.SparkCustomerUpdateParams{FirstName: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	_, err = s.Orders.Update(ctx, order.ID, ghost.SparkOrderUpdateParams{SpecialInstructions: ghost.Some("Leave at the door")})
	require.NoError(t, err)
	_, err = s.Orders.Update(ctx, ghost.IntID(99999), ghost.SparkOrderUpdateParams{SpecialInstructions: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrNotFound)

	// A body the API refuses: 409 on each upsert.
	sp := ghost.PartSpark
	for _, res := range []string{"products", "product_variants", "categories", "customers", "orders"} {
		assert.Equal(t, http.StatusConflict, e.raw(sp, "POST", "/api/v1/"+res, "application/json", `{"id":"one"}`, false).status, res)
	}

	for _, d := range []struct {
		name string
		del  func(context.Context, ghost.ID, ...ghost.RequestOption) error
		id   ghost.ID
	}{
		{"orders", s.Orders.Delete, order.ID}, {"customers", s.Customers.Delete, cus.ID},
		{"product_variants", s.Variants.Delete, variant.ID}, {"products", s.Products.Delete, prod.ID},
		{"categories", s.Categories.Delete, cat.ID},
	} {
		require.NoError(t, d.del(ctx, d.id), d.name)
		assert.ErrorIs(t, d.del(ctx, d.id), ghost.ErrNotFound, d.name)
	}

	// Wrong token: 401 on every typed operation.
	b := e.bad.Spark
	_, err = b.Products.List(ctx, nil)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, _, err = b.Products.Upsert(ctx, ghost.SparkProduct{ID: ghost.IntID(1)})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Variants.Get(ctx, ghost.IntID(1), nil)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Categories.Filled(ctx, ghost.IntID(1), nil)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Customers.SelectMany(ctx, []ghost.ID{ghost.IntID(1)}, nil)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = b.Orders.Update(ctx, ghost.IntID(1), ghost.SparkOrderUpdateParams{SpecialInstructions: ghost.Some("x")})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	assert.ErrorIs(t, b.Products.Delete(ctx, ghost.IntID(1)), ghost.ErrUnauthorized)
	_, err = b.Products.ListVariants(ctx, ghost.IntID(1), nil)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)

	// The root resources the mock does not model answer 501, in Spark's
	// shape, to every generic operation.
	for _, name := range []string{"manufacturers", "shipping_provider_services", "tax_rates"} {
		m := ghost.SparkResource[map[string]any](s, name)
		notModelled := func(err error) {
			t.Helper()
			var ge *ghost.Error
			if assert.ErrorAs(t, err, &ge, name) {
				assert.Equal(t, http.StatusNotImplemented, ge.StatusCode, name)
			}
		}
		_, err = m.List(ctx, nil)
		notModelled(err)
		_, _, err = m.Upsert(ctx, map[string]any{"name": "x"})
		notModelled(err)
		_, err = m.SelectMany(ctx, []ghost.ID{ghost.IntID(1)}, nil)
		notModelled(err)
		_, err = m.Get(ctx, ghost.IntID(1), nil)
		notModelled(err)
		_, err = m.Update(ctx, ghost.IntID(1), map[string]any{"name": "x"})
		notModelled(err)
		notModelled(m.Delete(ctx, ghost.IntID(1)))
		_, err = m.Filled(ctx, ghost.IntID(1), nil)
		notModelled(err)
		_, err = ghost.SparkListNested[map[string]any](ctx, m, ghost.IntID(1), "pictures", nil)
		notModelled(err)
	}
}

// sparkOps adapts a typed Spark service to the scenario's loop.
type sparkOps[T any] struct {
	ctx context.Context
	s   *ghost.SparkResourceService[T]
}

func (o sparkOps[T]) list() error {
	_, err := o.s.List(o.ctx, &ghost.SparkListParams{Count: 2, Sort: []ghost.SparkSortField{ghost.SparkDesc("id")}})
	return err
}
func (o sparkOps[T]) get(id ghost.ID) error { _, err := o.s.Get(o.ctx, id, nil); return err }
func (o sparkOps[T]) filled(id ghost.ID) error {
	_, err := o.s.Filled(o.ctx, id, nil)
	return err
}
func (o sparkOps[T]) selectMany(ids []ghost.ID) error {
	_, err := o.s.SelectMany(o.ctx, ids, nil)
	return err
}
func (o sparkOps[T]) del(id ghost.ID) error { return o.s.Delete(o.ctx, id) }

// sparkCallLimit drives the Spark call limit to its 429.
func sparkCallLimit(e *env) {
	e.exhaust(ghost.PartSpark, "/api/v1/products", 2)
}

var sparkLimited = []ghosttest.Option{ghosttest.WithConfig(ghosttest.Config{SparkCallLimit: 2})}

// exportsScenario runs an export to its files through the SDK, and the
// errors the export API answers.
func exportsScenario(e *env) {
	t, ctx, x := e.t, e.t.Context(), e.client.Exports
	start := time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour)
	exp, err := x.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(48 * time.Hour)})
	require.NoError(t, err)
	_, err = x.Get(ctx, "MERCHANT1", exp.ID)
	require.NoError(t, err)
	_, err = x.Get(ctx, "MERCHANT1", "EXPORT_MISSING")
	assert.ErrorIs(t, err, ghost.ErrNotFound)
	e.srv.Clock.Advance(ghosttest.DefaultExportDuration)
	done, err := x.Get(ctx, "MERCHANT1", exp.ID)
	require.NoError(t, err)
	require.Equal(t, ghost.ExportStatusDone, done.Status)
	n := 0
	for _, err := range x.Orders(ctx, done) {
		require.NoError(t, err)
		n++
	}
	assert.Positive(t, n)

	// Over the concurrency limit (2): 503, the message says so.
	for range 2 {
		_, err = x.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{Type: ghost.ExportTypePayments, Start: start, End: start.Add(time.Hour)})
		require.NoError(t, err)
	}
	_, err = x.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{Type: ghost.ExportTypePayments, Start: start, End: start.Add(time.Hour)})
	assert.ErrorIs(t, err, ghost.ErrUnavailable)

	_, err = e.bad.Exports.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(time.Hour)})
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)
	_, err = e.bad.Exports.Get(ctx, "MERCHANT1", exp.ID)
	assert.ErrorIs(t, err, ghost.ErrUnauthorized)

	// Raw: a range over 30 days (the SDK refuses it), a file with a bad
	// token, a file after it expired.
	xp := ghost.PartExports
	assert.Equal(t, http.StatusBadRequest, e.raw(xp, "POST", "/v3/merchants/MERCHANT1/exports", "application/json",
		`{"type":"ORDERS","startTime":0,"endTime":2678400001}`, true).status)
	file := done.ExportURLs[0].URL
	rel := file[strings.Index(file, "/v3/"):]
	noAuth := []string{"Authorization", ""}
	assert.Equal(t, http.StatusOK, e.raw(xp, "GET", rel, "", "", true, noAuth...).status)
	bad := rel[:strings.Index(rel, "token=")] + "token=forged"
	assert.Equal(t, http.StatusForbidden, e.raw(xp, "GET", bad, "", "", true, noAuth...).status)
	e.srv.Clock.Advance(25 * time.Hour)
	assert.Equal(t, http.StatusGone, e.raw(xp, "GET", rel, "", "", true, noAuth...).status)
}

// exportsOutsideHours: the service closed answers 503 naming its hours.
func exportsOutsideHours(e *env) {
	y, m, d := time.Now().UTC().Date()
	e.srv.Clock.Set(time.Date(y, m, d, 3, 0, 0, 0, time.UTC))
	start := time.Date(y, m, d-3, 0, 0, 0, 0, time.UTC)
	_, err := e.client.Exports.Create(e.t.Context(), "MERCHANT1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(time.Hour)})
	var he *ghost.ServiceHoursError
	assert.ErrorAs(e.t, err, &he)
	_, err = e.client.Exports.Get(e.t.Context(), "MERCHANT1", "EXPORT0000001")
	assert.ErrorIs(e.t, err, ghost.ErrUnavailable)
}

var exportHours = []ghosttest.Option{ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 15}})}
