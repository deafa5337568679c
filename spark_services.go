package ghost

import "context"

// SparkClient is the Spark Pay Online Store part of the API (seed 003):
// generic root resources under /api/v1/{resource} with snake_case fields,
// integer ids, X-AC-Auth-Token auth, total_count/next_page lists and
// {"status_code","message","details"} errors. Reach it as client.Spark.
//
// Products, Variants, Categories, Customers and Orders are typed services;
// SparkResource gives a typed accessor for any other root resource. Every
// one of them uses the store's endpoint and auth token, never another
// part's, whatever host the other parts are on.
type SparkClient struct {
	Products   *SparkProductsService   // /api/v1/products, nested variants and categories
	Variants   *SparkVariantsService   // /api/v1/product_variants
	Categories *SparkCategoriesService // /api/v1/categories
	Customers  *SparkCustomersService  // /api/v1/customers, nested addresses
	Orders     *SparkOrdersService     // /api/v1/orders, nested items

	client *Client
}

// The typed services' operations, declared with their resources.
var (
	opsSparkProducts   = declareSpark("Spark.Products", "products", "variants", "categories")
	opsSparkVariants   = declareSpark("Spark.Variants", "product_variants")
	opsSparkCategories = declareSpark("Spark.Categories", "categories")
	opsSparkCustomers  = declareSpark("Spark.Customers", "customers", "addresses")
	opsSparkOrders     = declareSpark("Spark.Orders", "orders", "items")
)

// sparkBase is the service every Spark call goes through: the store's
// endpoint and its X-AC-Auth-Token.
func sparkBase(c *Client) *service { return &service{client: c, name: ServiceResources} }

func newSparkClient(c *Client) *SparkClient {
	return &SparkClient{
		Products:   &SparkProductsService{*newSparkResource[SparkProduct](c, "products")},
		Variants:   &SparkVariantsService{*newSparkResource[SparkVariant](c, "product_variants")},
		Categories: &SparkCategoriesService{*newSparkResource[SparkCategory](c, "categories")},
		Customers:  &SparkCustomersService{*newSparkResource[SparkCustomer](c, "customers")},
		Orders:     &SparkOrdersService{*newSparkResource[SparkOrder](c, "orders")},
		client:     c,
	}
}

// sparkIDField is an id field of update params, with its JSON name.
type sparkIDField struct {
	name string
	id   Opt[ID]
}

// checkSparkIDs refuses an id field that is set but not an integer.
func checkSparkIDs(fields ...sparkIDField) error {
	for _, f := range fields {
		if id, ok := f.id.Get(); ok && id != "" {
			if _, isInt := id.Int(); !isInt {
				return invalidParams(f.name, "Spark ids are integers, got %q", string(id))
			}
		}
	}
	return nil
}

// SparkProductsService is /api/v1/products. It has every method of
// SparkResourceService (List, All, NextPage, Get, Filled, SelectMany,
// Delete) with typed Upsert and Update, and the nested lists of a product.
type SparkProductsService struct {
	SparkResourceService[SparkProduct]
}

// Resource returns the generic accessor the service is built on, for
// SparkListNested and for bodies the typed methods do not model.
func (s *SparkProductsService) Resource() *SparkResourceService[SparkProduct] {
	return &s.SparkResourceService
}

// Upsert creates or updates a product: POST /api/v1/products with p's set
// fields. When p.ID names an existing product its fields are applied to it
// and created is false (200); otherwise a product is created and created is
// true (201). Filled Variants and Categories are sent as arrays.
func (s *SparkProductsService) Upsert(ctx context.Context, p SparkProduct, opts ...RequestOption) (*SparkProduct, bool, error) {
	return s.SparkResourceService.Upsert(ctx, p, opts...)
}

// SparkProductUpdateParams changes a product; unset fields are not sent.
type SparkProductUpdateParams struct {
	ItemName          Opt[string]       `json:"item_name,omitzero"`
	ItemNumber        Opt[string]       `json:"item_number,omitzero"`
	ShortDescription  Opt[string]       `json:"short_description,omitzero"`
	ManufacturerID    Opt[ID]           `json:"manufacturer_id,omitzero"`
	PrimaryCategoryID Opt[ID]           `json:"primary_category_id,omitzero"`
	ProductStatusID   Opt[ID]           `json:"product_status_id,omitzero"`
	Price             Opt[SparkDecimal] `json:"price,omitzero"`
	Cost              Opt[SparkDecimal] `json:"cost,omitzero"`
	Retail            Opt[SparkDecimal] `json:"retail,omitzero"`
	Weight            Opt[SparkDecimal] `json:"weight,omitzero"`
	WeightUnit        Opt[string]       `json:"weight_unit,omitzero"`
	QuantityOnHand    Opt[int]          `json:"quantity_on_hand,omitzero"`
}

// Update applies the set fields of params to a product (a partial update):
// PUT /api/v1/products/{id}. A missing product is ErrNotFound.
func (s *SparkProductsService) Update(ctx context.Context, id ID, params SparkProductUpdateParams, opts ...RequestOption) (*SparkProduct, error) {
	if err := checkSparkIDs(sparkIDField{"manufacturer_id", params.ManufacturerID}, sparkIDField{"primary_category_id", params.PrimaryCategoryID}, sparkIDField{"product_status_id", params.ProductStatusID}); err != nil {
		return nil, err
	}
	return s.SparkResourceService.Update(ctx, id, params, opts...)
}

// ListVariants returns a product's variants: GET /api/v1/products/{id}/variants.
func (s *SparkProductsService) ListVariants(ctx context.Context, productID ID, params *SparkNestedListParams, opts ...RequestOption) (*Page[SparkVariant], error) {
	return SparkListNested[SparkVariant](ctx, &s.SparkResourceService, productID, "variants", params, opts...)
}

// ListCategories returns a product's categories:
// GET /api/v1/products/{id}/categories.
func (s *SparkProductsService) ListCategories(ctx context.Context, productID ID, params *SparkNestedListParams, opts ...RequestOption) (*Page[SparkCategory], error) {
	return SparkListNested[SparkCategory](ctx, &s.SparkResourceService, productID, "categories", params, opts...)
}

// SparkVariantsService is /api/v1/product_variants, the product variants as
// a root resource (a product's own are also at /api/v1/products/{id}/variants:
// SparkProductsService.ListVariants). It has every method of
// SparkResourceService with typed Upsert and Update.
type SparkVariantsService struct {
	SparkResourceService[SparkVariant]
}

// Resource returns the generic accessor the service is built on.
func (s *SparkVariantsService) Resource() *SparkResourceService[SparkVariant] {
	return &s.SparkResourceService
}

// Upsert creates or updates a variant: POST /api/v1/product_variants with
// v's set fields; created reports 201 (created) rather than 200 (updated).
func (s *SparkVariantsService) Upsert(ctx context.Context, v SparkVariant, opts ...RequestOption) (*SparkVariant, bool, error) {
	return s.SparkResourceService.Upsert(ctx, v, opts...)
}

// SparkVariantUpdateParams changes a variant; unset fields are not sent.
type SparkVariantUpdateParams struct {
	ProductID           Opt[ID]           `json:"product_id,omitzero"`
	VariantGroupID      Opt[ID]           `json:"variant_group_id,omitzero"`
	Description         Opt[string]       `json:"description,omitzero"`
	SortOrder           Opt[int]          `json:"sort_order,omitzero"`
	PriceAdjustment     Opt[SparkDecimal] `json:"price_adjustment,omitzero"`
	PriceAdjustmentType Opt[string]       `json:"price_adjustment_type,omitzero"`
	IsHidden            Opt[bool]         `json:"is_hidden,omitzero"`
	IsDefaultSelection  Opt[bool]         `json:"is_default_selection,omitzero"`
}

// Update applies the set fields of params to a variant:
// PUT /api/v1/product_variants/{id}. A missing variant is ErrNotFound.
func (s *SparkVariantsService) Update(ctx context.Context, id ID, params SparkVariantUpdateParams, opts ...RequestOption) (*SparkVariant, error) {
	if err := checkSparkIDs(sparkIDField{"product_id", params.ProductID}, sparkIDField{"variant_group_id", params.VariantGroupID}); err != nil {
		return nil, err
	}
	return s.SparkResourceService.Update(ctx, id, params, opts...)
}

// SparkCategoriesService is /api/v1/categories. It has every method of
// SparkResourceService with typed Upsert and Update.
type SparkCategoriesService struct {
	SparkResourceService[SparkCategory]
}

// Resource returns the generic accessor the service is built on.
func (s *SparkCategoriesService) Resource() *SparkResourceService[SparkCategory] {
	return &s.SparkResourceService
}

// Upsert creates or updates a category: POST /api/v1/categories with c's
// set fields; created reports 201 (created) rather than 200 (updated).
func (s *SparkCategoriesService) Upsert(ctx context.Context, c SparkCategory, opts ...RequestOption) (*SparkCategory, bool, error) {
	return s.SparkResourceService.Upsert(ctx, c, opts...)
}

// SparkCategoryUpdateParams changes a category; unset fields are not sent.
type SparkCategoryUpdateParams struct {
	Name             Opt[string] `json:"name,omitzero"`
	ParentCategoryID Opt[ID]     `json:"parent_category_id,omitzero"`
	ShortDescription Opt[string] `json:"short_description,omitzero"`
	SortOrder        Opt[int]    `json:"sort_order,omitzero"`
	IsHidden         Opt[bool]   `json:"is_hidden,omitzero"`
}

// Update applies the set fields of params to a category:
// PUT /api/v1/categories/{id}. A missing category is ErrNotFound.
func (s *SparkCategoriesService) Update(ctx context.Context, id ID, params SparkCategoryUpdateParams, opts ...RequestOption) (*SparkCategory, error) {
	if err := checkSparkIDs(sparkIDField{"parent_category_id", params.ParentCategoryID}); err != nil {
		return nil, err
	}
	return s.SparkResourceService.Update(ctx, id, params, opts...)
}

// SparkCustomersService is /api/v1/customers, the store's customers (not
// Ghost's client.Customers nor Komoju's). It has every method of
// SparkResourceService with typed Upsert and Update, and a customer's
// addresses.
type SparkCustomersService struct {
	SparkResourceService[SparkCustomer]
}

// Resource returns the generic accessor the service is built on.
func (s *SparkCustomersService) Resource() *SparkResourceService[SparkCustomer] {
	return &s.SparkResourceService
}

// Upsert creates or updates a customer: POST /api/v1/customers with c's set
// fields; created reports 201 (created) rather than 200 (updated).
func (s *SparkCustomersService) Upsert(ctx context.Context, c SparkCustomer, opts ...RequestOption) (*SparkCustomer, bool, error) {
	return s.SparkResourceService.Upsert(ctx, c, opts...)
}

// SparkCustomerUpdateParams changes a customer; unset fields are not sent.
type SparkCustomerUpdateParams struct {
	Email              Opt[string]       `json:"email,omitzero"`
	FirstName          Opt[string]       `json:"first_name,omitzero"`
	LastName           Opt[string]       `json:"last_name,omitzero"`
	Company            Opt[string]       `json:"company,omitzero"`
	PhoneNumber        Opt[string]       `json:"phone_number,omitzero"`
	Username           Opt[string]       `json:"username,omitzero"`
	CustomerTypeID     Opt[ID]           `json:"customer_type_id,omitzero"`
	Comments           Opt[string]       `json:"comments,omitzero"`
	IsNoTaxCustomer    Opt[bool]         `json:"is_no_tax_customer,omitzero"`
	IsInactive         Opt[bool]         `json:"is_inactive,omitzero"`
	TaxExemptionNumber Opt[string]       `json:"tax_exemption_number,omitzero"`
	CreditLimit        Opt[SparkDecimal] `json:"credit_limit,omitzero"`
}

// Update applies the set fields of params to a customer:
// PUT /api/v1/customers/{id}. A missing customer is ErrNotFound.
func (s *SparkCustomersService) Update(ctx context.Context, id ID, params SparkCustomerUpdateParams, opts ...RequestOption) (*SparkCustomer, error) {
	if err := checkSparkIDs(sparkIDField{"customer_type_id", params.CustomerTypeID}); err != nil {
		return nil, err
	}
	return s.SparkResourceService.Update(ctx, id, params, opts...)
}

// ListAddresses returns a customer's addresses:
// GET /api/v1/customers/{id}/addresses.
func (s *SparkCustomersService) ListAddresses(ctx context.Context, customerID ID, params *SparkNestedListParams, opts ...RequestOption) (*Page[SparkAddress], error) {
	return SparkListNested[SparkAddress](ctx, &s.SparkResourceService, customerID, "addresses", params, opts...)
}

// SparkOrdersService is /api/v1/orders, the store's orders (not Ghost's
// client.Orders). It has every method of SparkResourceService with typed
// Upsert and Update, and an order's items.
type SparkOrdersService struct {
	SparkResourceService[SparkOrder]
}

// Resource returns the generic accessor the service is built on.
func (s *SparkOrdersService) Resource() *SparkResourceService[SparkOrder] {
	return &s.SparkResourceService
}

// Upsert creates or updates an order: POST /api/v1/orders with o's set
// fields (filled Items are sent as an array); created reports 201 (created)
// rather than 200 (updated).
func (s *SparkOrdersService) Upsert(ctx context.Context, o SparkOrder, opts ...RequestOption) (*SparkOrder, bool, error) {
	return s.SparkResourceService.Upsert(ctx, o, opts...)
}

// SparkOrderUpdateParams changes an order; unset fields are not sent.
type SparkOrderUpdateParams struct {
	OrderStatusID          Opt[ID]           `json:"order_status_id,omitzero"`
	CustomerID             Opt[ID]           `json:"customer_id,omitzero"`
	OrderNumber            Opt[string]       `json:"order_number,omitzero"`
	Subtotal               Opt[SparkDecimal] `json:"subtotal,omitzero"`
	TaxTotal               Opt[SparkDecimal] `json:"tax_total,omitzero"`
	ShippingTotal          Opt[SparkDecimal] `json:"shipping_total,omitzero"`
	DiscountTotal          Opt[SparkDecimal] `json:"discount_total,omitzero"`
	HandlingTotal          Opt[SparkDecimal] `json:"handling_total,omitzero"`
	GrandTotal             Opt[SparkDecimal] `json:"grand_total,omitzero"`
	SelectedShippingMethod Opt[string]       `json:"selected_shipping_method,omitzero"`
	CouponCode             Opt[string]       `json:"coupon_code,omitzero"`
	SpecialInstructions    Opt[string]       `json:"special_instructions,omitzero"`
	AdminComments          Opt[string]       `json:"admin_comments,omitzero"`
	PublicComments         Opt[string]       `json:"public_comments,omitzero"`
	IsGift                 Opt[bool]         `json:"is_gift,omitzero"`
	GiftMessage            Opt[string]       `json:"gift_message,omitzero"`
}

// Update applies the set fields of params to an order:
// PUT /api/v1/orders/{id}. A missing order is ErrNotFound.
func (s *SparkOrdersService) Update(ctx context.Context, id ID, params SparkOrderUpdateParams, opts ...RequestOption) (*SparkOrder, error) {
	if err := checkSparkIDs(sparkIDField{"order_status_id", params.OrderStatusID}, sparkIDField{"customer_id", params.CustomerID}); err != nil {
		return nil, err
	}
	return s.SparkResourceService.Update(ctx, id, params, opts...)
}

// ListItems returns an order's items: GET /api/v1/orders/{id}/items.
func (s *SparkOrdersService) ListItems(ctx context.Context, orderID ID, params *SparkNestedListParams, opts ...RequestOption) (*Page[SparkOrderItem], error) {
	return SparkListNested[SparkOrderItem](ctx, &s.SparkResourceService, orderID, "items", params, opts...)
}
