package ghost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// SparkDecimal is an exact decimal amount as the Spark API writes prices
// (19.99). It keeps the number's text, so nothing is lost to float64
// rounding; it encodes as a JSON number and decodes from a JSON number or a
// string holding one. The zero value is "no value" (left out of request
// bodies with the omitzero tag); a parsed "0" is a value.
type SparkDecimal struct {
	s string
}

// ParseSparkDecimal parses a decimal such as "19.99", "-3" or "0.005".
// Exponents, signs other than a leading "-", and empty strings are refused.
func ParseSparkDecimal(s string) (SparkDecimal, error) {
	if !isDecimal(s) {
		return SparkDecimal{}, invalidParams("decimal", "%q is not a decimal number", s)
	}
	return SparkDecimal{s: canonicalDecimal(s)}, nil
}

// maxDecimalExponent bounds the exponent SparkDecimal accepts in 1e2 form.
const maxDecimalExponent = 40

// smallExponent reports whether s, a number with an exponent part, has one
// of at most maxDecimalExponent in size.
func smallExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
	return err == nil && exp >= -maxDecimalExponent && exp <= maxDecimalExponent
}

// canonicalDecimal drops the leading zeros of a decimal's integer part
// ("007.50" → "7.50", "000" → "0"), which JSON numbers may not have.
func canonicalDecimal(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if hasFrac {
		return sign + intPart + "." + frac
	}
	return sign + intPart
}

// SparkDecimalFromCents returns the decimal of an amount in cents (1999 → 19.99).
func SparkDecimalFromCents(cents int64) SparkDecimal {
	r := new(big.Rat).SetFrac(big.NewInt(cents), big.NewInt(100))
	return SparkDecimal{s: r.FloatString(2)}
}

func isDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// String returns the decimal's text ("" when unset).
func (d SparkDecimal) String() string { return d.s }

// IsZero reports whether d holds no value (omitzero uses it).
func (d SparkDecimal) IsZero() bool { return d.s == "" }

// Rat returns the exact value as a *big.Rat (0 when unset).
func (d SparkDecimal) Rat() *big.Rat {
	r := new(big.Rat)
	if d.s != "" {
		r.SetString(d.s)
	}
	return r
}

// Cmp compares d and e exactly: -1, 0 or +1.
func (d SparkDecimal) Cmp(e SparkDecimal) int { return d.Rat().Cmp(e.Rat()) }

// Cents returns the value in cents, and false when it has fractions of a
// cent or does not fit an int64.
func (d SparkDecimal) Cents() (int64, bool) {
	r := d.Rat()
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// Money converts d to a Money amount. A value with a non-zero digit below
// cents is refused (ErrMoneyPrecision) rather than rounded; unset is 0.00.
func (d SparkDecimal) Money() (Money, error) {
	if d.s == "" {
		return Money{}, nil
	}
	return ParseMoney(d.s)
}

// SparkDecimalFromMoney returns the decimal of a Money amount (49.99).
func SparkDecimalFromMoney(m Money) SparkDecimal { return SparkDecimal{s: m.String()} }

// MarshalJSON implements json.Marshaler: the number, or null when unset.
func (d SparkDecimal) MarshalJSON() ([]byte, error) {
	if d.s == "" {
		return []byte("null"), nil
	}
	if !isDecimal(d.s) {
		return nil, fmt.Errorf("ghost: %q is not a decimal number", d.s)
	}
	return []byte(d.s), nil
}

// UnmarshalJSON implements json.Unmarshaler: a JSON number, a string holding
// one, or null.
func (d *SparkDecimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*d = SparkDecimal{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if !isDecimal(s) {
		// Accept what JSON allows beyond our plain syntax (1e2), exactly, but
		// only with a modest exponent: 1e1000000 would cost the client
		// megabytes and seconds (a server must not be able to do that).
		if !smallExponent(s) {
			return fmt.Errorf("ghost: %.30q is not a decimal number within range", s)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return fmt.Errorf("ghost: %.30q is not a decimal number", s)
		}
		s = ratString(r)
	}
	*d = SparkDecimal{s: canonicalDecimal(s)}
	return nil
}

// ratString writes r as a plain decimal when it has a finite expansion.
func ratString(r *big.Rat) string {
	for prec := 0; prec <= 30; prec++ {
		s := r.FloatString(prec)
		if back, ok := new(big.Rat).SetString(s); ok && back.Cmp(r) == 0 {
			return s
		}
	}
	return r.FloatString(30)
}

// sparkNestedState is which form a nested collection arrived in.
type sparkNestedState uint8

const (
	nestedAbsent sparkNestedState = iota
	nestedNull
	nestedLink
	nestedItems
)

// SparkNested is a nested collection of a Spark resource (a product's
// variants, an order's items, a customer's addresses). The API writes it in
// one of four forms, and SparkNested keeps which one it got:
//
//   - absent: the key is not in the object (the zero value);
//   - null: the key holds null;
//   - a link object, {"link": "https://…/products/1/categories"}, when the
//     collection was not expanded: Link returns the URL;
//   - the filled array, when the call asked for it (Expand, Fields naming
//     it, or Filled): Items returns the items.
//
// It encodes back to the form it holds: the array, the link object, or null
// (absent is left out of a body by the omitzero tag, null otherwise). Build
// one to send with SparkNestedOf.
type SparkNested[T any] struct {
	state sparkNestedState
	link  string
	items []T
}

// SparkNestedOf returns a filled nested collection holding items (an empty
// array when there are none).
func SparkNestedOf[T any](items ...T) SparkNested[T] {
	if items == nil {
		items = []T{}
	}
	return SparkNested[T]{state: nestedItems, items: items}
}

// SparkNestedLink returns a nested collection that is a link to its items.
func SparkNestedLink[T any](link string) SparkNested[T] {
	return SparkNested[T]{state: nestedLink, link: link}
}

// Items returns the items and true when the collection was filled (an empty
// array is filled with no items); nil and false for the absent, null and link
// forms.
func (n SparkNested[T]) Items() ([]T, bool) {
	if n.state != nestedItems {
		return nil, false
	}
	return n.items, true
}

// Link returns the URL of an unexpanded collection ("" unless it came as a
// link object). Fetch its items with the service's nested list (for example
// SparkProductsService.ListVariants) or SparkListNested.
func (n SparkNested[T]) Link() string { return n.link }

// IsSet reports whether the key was present (null, a link or the items).
func (n SparkNested[T]) IsSet() bool { return n.state != nestedAbsent }

// IsNull reports whether the key held null.
func (n SparkNested[T]) IsNull() bool { return n.state == nestedNull }

// IsLink reports whether the collection came as a link object.
func (n SparkNested[T]) IsLink() bool { return n.state == nestedLink }

// IsZero reports whether the key was absent (omitzero uses it).
func (n SparkNested[T]) IsZero() bool { return n.state == nestedAbsent }

// Len returns the number of items held (0 unless filled).
func (n SparkNested[T]) Len() int { return len(n.items) }

// String describes the form held: "absent", "null", "link <url>" or
// "<n> items".
func (n SparkNested[T]) String() string {
	switch n.state {
	case nestedNull:
		return "null"
	case nestedLink:
		return "link " + n.link
	case nestedItems:
		return strconv.Itoa(len(n.items)) + " items"
	}
	return "absent"
}

// sparkLink is the link object of an unexpanded nested collection.
type sparkLink struct {
	Link *string `json:"link"`
}

// MarshalJSON implements json.Marshaler: the items as an array, the link
// object, or null (absent and null).
func (n SparkNested[T]) MarshalJSON() ([]byte, error) {
	switch n.state {
	case nestedLink:
		return json.Marshal(sparkLink{Link: &n.link})
	case nestedItems:
		if n.items == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(n.items)
	}
	return []byte("null"), nil
}

// UnmarshalJSON implements json.Unmarshaler: null, an array of items, or an
// object whose "link" is a string (other keys of that object are ignored).
// Anything else is an error.
func (n *SparkNested[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("ghost: empty nested collection")
	}
	switch b[0] {
	case 'n':
		if string(b) != "null" {
			break
		}
		*n = SparkNested[T]{state: nestedNull}
		return nil
	case '[':
		// Decoded in place: n is already on the heap with its parent, so
		// no slice header is allocated per collection.
		*n = SparkNested[T]{state: nestedItems}
		if err := json.Unmarshal(b, &n.items); err != nil {
			*n = SparkNested[T]{}
			return err
		}
		if n.items == nil {
			n.items = []T{}
		}
		return nil
	case '{':
		var l sparkLink
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("ghost: nested collection object: %w", err)
		}
		if l.Link == nil {
			return fmt.Errorf("ghost: nested collection object has no link")
		}
		*n = SparkNested[T]{state: nestedLink, link: *l.Link}
		return nil
	}
	return fmt.Errorf("ghost: nested collection must be an array, a link object or null, got %.20s", b)
}

// SparkProduct is a Spark product (/api/v1/products). Variants and
// Categories are nested collections: filled when the call asked for them
// (Expand, Fields naming them, or Filled), otherwise absent or a link.
type SparkProduct struct {
	ID                ID                         `json:"id,omitempty"`
	ItemName          string                     `json:"item_name,omitempty"`
	ItemNumber        string                     `json:"item_number,omitempty"`
	ManufacturerID    ID                         `json:"manufacturer_id,omitempty"`
	PrimaryCategoryID ID                         `json:"primary_category_id,omitempty"`
	ProductStatusID   ID                         `json:"product_status_id,omitempty"`
	ShortDescription  string                     `json:"short_description,omitempty"`
	Price             SparkDecimal               `json:"price,omitzero"`
	Cost              SparkDecimal               `json:"cost,omitzero"`
	Retail            SparkDecimal               `json:"retail,omitzero"`
	Weight            SparkDecimal               `json:"weight,omitzero"`
	WeightUnit        string                     `json:"weight_unit,omitempty"`
	QuantityOnHand    Opt[int]                   `json:"quantity_on_hand,omitzero"`
	CreatedAt         time.Time                  `json:"created_at,omitzero"`
	UpdatedAt         time.Time                  `json:"updated_at,omitzero"`
	Variants          SparkNested[SparkVariant]  `json:"variants,omitzero"`
	Categories        SparkNested[SparkCategory] `json:"categories,omitzero"`
}

// SparkVariant is one variant of a product (size, colour, …), nested in a
// product or the root resource "product_variants". A variant has no price
// of its own: PriceAdjustment changes the product's price, as
// PriceAdjustmentType says ("+ dollars", "- percent", …).
type SparkVariant struct {
	ID                  ID           `json:"id,omitempty"`
	ProductID           ID           `json:"product_id,omitempty"`
	VariantGroupID      ID           `json:"variant_group_id,omitempty"`
	Description         string       `json:"description,omitempty"`
	SortOrder           Opt[int]     `json:"sort_order,omitzero"`
	PriceAdjustment     SparkDecimal `json:"price_adjustment,omitzero"`
	PriceAdjustmentType string       `json:"price_adjustment_type,omitempty"`
	ItemNumberExtension string       `json:"item_number_extension,omitempty"`
	IsHidden            bool         `json:"is_hidden,omitempty"`
	IsDefaultSelection  bool         `json:"is_default_selection,omitempty"`
	CreatedAt           time.Time    `json:"created_at,omitzero"`
	UpdatedAt           time.Time    `json:"updated_at,omitzero"`
}

// SparkCategory is a product category (/api/v1/categories, or nested in a
// product; a product names its primary one in PrimaryCategoryID).
// ParentCategoryID is "0" for a top-level category, as the API writes an
// unset id.
type SparkCategory struct {
	ID               ID        `json:"id,omitempty"`
	Name             string    `json:"name,omitempty"`
	ParentCategoryID ID        `json:"parent_category_id,omitempty"`
	ShortDescription string    `json:"short_description,omitempty"`
	SortOrder        Opt[int]  `json:"sort_order,omitzero"`
	IsHidden         bool      `json:"is_hidden,omitempty"`
	CreatedAt        time.Time `json:"created_at,omitzero"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
}

// SparkCustomer is a store customer (/api/v1/customers), with the fields of
// the API's OpenAPI description. Addresses is a nested collection: filled
// with Expand("addresses") or Filled, otherwise absent or a link.
type SparkCustomer struct {
	ID                 ID                        `json:"id,omitempty"`
	CustomerNumber     string                    `json:"customer_number,omitempty"`
	Email              string                    `json:"email,omitempty"`
	FirstName          string                    `json:"first_name,omitempty"`
	LastName           string                    `json:"last_name,omitempty"`
	Company            string                    `json:"company,omitempty"`
	PhoneNumber        string                    `json:"phone_number,omitempty"`
	Username           string                    `json:"username,omitempty"`
	CustomerTypeID     ID                        `json:"customer_type_id,omitempty"`
	StoreID            ID                        `json:"store_id,omitempty"`
	Comments           string                    `json:"comments,omitempty"`
	Source             string                    `json:"source,omitempty"`
	IsNoTaxCustomer    bool                      `json:"is_no_tax_customer,omitempty"`
	IsInactive         bool                      `json:"is_inactive,omitempty"`
	TaxExemptionNumber string                    `json:"tax_exemption_number,omitempty"`
	CreditLimit        SparkDecimal              `json:"credit_limit,omitzero"`
	RegisteredAt       time.Time                 `json:"registered_at,omitzero"`
	LastVisitAt        time.Time                 `json:"last_visit_at,omitzero"`
	CreatedAt          time.Time                 `json:"created_at,omitzero"`
	UpdatedAt          time.Time                 `json:"updated_at,omitzero"`
	Addresses          SparkNested[SparkAddress] `json:"addresses,omitzero"`
}

// SparkAddress is one of a customer's addresses (/api/v1/addresses, or
// nested in a customer).
type SparkAddress struct {
	ID                       ID        `json:"id,omitempty"`
	CustomerID               ID        `json:"customer_id,omitempty"`
	FirstName                string    `json:"first_name,omitempty"`
	LastName                 string    `json:"last_name,omitempty"`
	Company                  string    `json:"company,omitempty"`
	AddressLine1             string    `json:"address_line_1,omitempty"`
	AddressLine2             string    `json:"address_line_2,omitempty"`
	City                     string    `json:"city,omitempty"`
	State                    string    `json:"state,omitempty"`
	PostalCode               string    `json:"postal_code,omitempty"`
	Country                  string    `json:"country,omitempty"`
	Phone                    string    `json:"phone,omitempty"`
	AddressType              string    `json:"address_type,omitempty"`
	IsDefaultShippingAddress bool      `json:"is_default_shipping_address,omitempty"`
	IsDefaultBillingAddress  bool      `json:"is_default_billing_address,omitempty"`
	CreatedAt                time.Time `json:"created_at,omitzero"`
	UpdatedAt                time.Time `json:"updated_at,omitzero"`
}

// SparkOrder is a store order (/api/v1/orders), with the fields of the API's
// OpenAPI description. The totals are exact decimals. Items is a nested
// collection: filled with Expand("items") or Filled, otherwise absent or a
// link.
type SparkOrder struct {
	ID                     ID                          `json:"id,omitempty"`
	OrderNumber            string                      `json:"order_number,omitempty"`
	CustomerID             ID                          `json:"customer_id,omitempty"`
	CustomerTypeID         ID                          `json:"customer_type_id,omitempty"`
	OrderStatusID          ID                          `json:"order_status_id,omitempty"`
	PreviousOrderStatusID  ID                          `json:"previous_order_status_id,omitempty"`
	OrderType              string                      `json:"order_type,omitempty"`
	OrderedAt              time.Time                   `json:"ordered_at,omitzero"`
	Subtotal               SparkDecimal                `json:"subtotal,omitzero"`
	TaxTotal               SparkDecimal                `json:"tax_total,omitzero"`
	ShippingTotal          SparkDecimal                `json:"shipping_total,omitzero"`
	DiscountTotal          SparkDecimal                `json:"discount_total,omitzero"`
	HandlingTotal          SparkDecimal                `json:"handling_total,omitzero"`
	GrandTotal             SparkDecimal                `json:"grand_total,omitzero"`
	CostTotal              SparkDecimal                `json:"cost_total,omitzero"`
	SelectedShippingMethod string                      `json:"selected_shipping_method,omitempty"`
	OrderShippingAddressID ID                          `json:"order_shipping_address_id,omitempty"`
	OrderBillingAddressID  ID                          `json:"order_billing_address_id,omitempty"`
	StoreID                ID                          `json:"store_id,omitempty"`
	CouponCode             string                      `json:"coupon_code,omitempty"`
	Referrer               string                      `json:"referrer,omitempty"`
	Source                 string                      `json:"source,omitempty"`
	Channel                string                      `json:"channel,omitempty"`
	SpecialInstructions    string                      `json:"special_instructions,omitempty"`
	AdminComments          string                      `json:"admin_comments,omitempty"`
	PublicComments         string                      `json:"public_comments,omitempty"`
	IsGift                 bool                        `json:"is_gift,omitempty"`
	GiftMessage            string                      `json:"gift_message,omitempty"`
	CreatedAt              time.Time                   `json:"created_at,omitzero"`
	UpdatedAt              time.Time                   `json:"updated_at,omitzero"`
	Items                  SparkNested[SparkOrderItem] `json:"items,omitzero"`
}

// SparkOrderItem is one line of an order (nested in an order, or
// /api/v1/order_items). Price, Cost and Tax are exact decimals.
type SparkOrderItem struct {
	ID                 ID                      `json:"id,omitempty"`
	OrderID            ID                      `json:"order_id,omitempty"`
	ProductID          ID                      `json:"product_id,omitempty"`
	ItemNumber         string                  `json:"item_number,omitempty"`
	ItemName           string                  `json:"item_name,omitempty"`
	Description        string                  `json:"description,omitempty"`
	Quantity           int                     `json:"quantity,omitempty"`
	Price              SparkDecimal            `json:"price,omitzero"`
	Cost               SparkDecimal            `json:"cost,omitzero"`
	Tax                SparkDecimal            `json:"tax,omitzero"`
	DiscountAmount     SparkDecimal            `json:"discount_amount,omitzero"`
	Weight             SparkDecimal            `json:"weight,omitzero"`
	WeightUnit         string                  `json:"weight_unit,omitempty"`
	IsTaxable          bool                    `json:"is_taxable,omitempty"`
	IsDiscountItem     bool                    `json:"is_discount_item,omitempty"`
	VariantInventoryID ID                      `json:"variant_inventory_id,omitempty"`
	ParentOrderItemID  ID                      `json:"parent_order_item_id,omitempty"`
	Status             string                  `json:"status,omitempty"`
	Variants           []SparkOrderItemVariant `json:"variants,omitempty"`
	CreatedAt          time.Time               `json:"created_at,omitzero"`
	UpdatedAt          time.Time               `json:"updated_at,omitzero"`
}

// SparkOrderItemVariant is a variant chosen on an order item.
type SparkOrderItemVariant struct {
	ID             ID     `json:"id,omitempty"`
	Description    string `json:"description,omitempty"`
	VariantGroupID ID     `json:"variant_group_id,omitempty"`
}

// SparkFilterOp is a Spark filter operator.
type SparkFilterOp string

// The Spark filter operators.
const (
	SparkOpEq        SparkFilterOp = "eq"
	SparkOpNot       SparkFilterOp = "not"
	SparkOpLike      SparkFilterOp = "like"
	SparkOpStartWith SparkFilterOp = "startwith"
	SparkOpGT        SparkFilterOp = "gt"
	SparkOpGTE       SparkFilterOp = "gte"
	SparkOpLT        SparkFilterOp = "lt"
	SparkOpLTE       SparkFilterOp = "lte"
)

func (op SparkFilterOp) valid() bool {
	switch op {
	case SparkOpEq, SparkOpNot, SparkOpLike, SparkOpStartWith, SparkOpGT, SparkOpGTE, SparkOpLT, SparkOpLTE:
		return true
	}
	return false
}

// SparkFilter is one Spark list filter, sent as field=op:value. Build it
// with SparkWhere, which formats the value.
type SparkFilter struct {
	Field string
	Op    SparkFilterOp
	Value string

	err error
}

// SparkWhere returns the filter field op value. The value may be a string,
// any integer or float type, a bool, a time.Time (sent as RFC 3339 in UTC),
// an ID, a SparkDecimal or a fmt.Stringer; anything else makes the call that
// uses the filter fail with an invalid_params error before sending.
func SparkWhere(field string, op SparkFilterOp, value any) SparkFilter {
	f := SparkFilter{Field: field, Op: op}
	switch v := value.(type) {
	case string:
		f.Value = v
	case ID:
		f.Value = string(v)
	case SparkDecimal:
		f.Value = v.String()
	case time.Time:
		f.Value = v.UTC().Format(time.RFC3339)
	case bool:
		f.Value = strconv.FormatBool(v)
	case int:
		f.Value = strconv.Itoa(v)
	case int8, int16, int32, int64:
		f.Value = fmt.Sprint(v)
	case uint, uint8, uint16, uint32, uint64:
		f.Value = fmt.Sprint(v)
	case float32:
		f.Value = strconv.FormatFloat(float64(v), 'f', -1, 32)
	case float64:
		f.Value = strconv.FormatFloat(v, 'f', -1, 64)
	case fmt.Stringer:
		f.Value = v.String()
	default:
		f.err = invalidParams(field, "filter value of type %T cannot be formatted", value)
	}
	return f
}

// SparkSortField is one key of a Spark sort: a field, ascending unless Desc.
type SparkSortField struct {
	Field string
	Desc  bool
}

// SparkAsc sorts by field ascending.
func SparkAsc(field string) SparkSortField { return SparkSortField{Field: field} }

// SparkDesc sorts by field descending (sent as -field).
func SparkDesc(field string) SparkSortField { return SparkSortField{Field: field, Desc: true} }
