package main

// This file is the one place that maps the command line's resources to SDK
// calls. When the SDK renames a service or a params type, only this file
// changes.

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"

	ghost "github.com/ghostanalytics/ghost-go"
)

// args is what a verb passes to a resource's call.
type args struct {
	id   string                     // the ID argument ("" when none)
	data map[string]json.RawMessage // --data and --param, merged
}

// lister returns one page, or with all every item of every page.
type lister func(ctx context.Context, a args, all bool) (iter.Seq2[any, error], error)

// call is one SDK call.
type call func(ctx context.Context, a args) (any, error)

// resource is a resource of one part of the API and the calls it supports.
type resource struct {
	name, part, idHelp string
	get, create        call
	update, delete     call
	list               lister
}

// resources builds the table for the clients cfg hands out.
func resources(cfg *config) []resource {
	c := cfg.client
	return []resource{
		{name: "customers", part: "ghost", idHelp: "customer id",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.Customers.Get(ctx, ghost.ID(a.id))
			}),
			list: pages(c, func(c *ghost.Client) pageFuncs[ghost.CustomerListParams, ghost.Customer] {
				return pageFuncs[ghost.CustomerListParams, ghost.Customer]{c.Customers.List, c.Customers.All}
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.CustomerCreateParams) (any, error) {
				return c.Customers.Create(ctx, p)
			}),
			update: withParams(c, func(ctx context.Context, c *ghost.Client, id string, p ghost.CustomerUpdateParams) (any, error) {
				return c.Customers.Update(ctx, ghost.ID(id), p)
			}),
			delete: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return nil, c.Customers.Delete(ctx, ghost.ID(a.id))
			}),
		},
		{name: "orders", part: "ghost", idHelp: "order id",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.Orders.Get(ctx, ghost.ID(a.id))
			}),
			list: pages(c, func(c *ghost.Client) pageFuncs[ghost.OrderListParams, ghost.Order] {
				return pageFuncs[ghost.OrderListParams, ghost.Order]{c.Orders.List, c.Orders.All}
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.OrderCreateParams) (any, error) {
				return c.Orders.Create(ctx, p)
			}),
			delete: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return nil, c.Orders.Delete(ctx, ghost.ID(a.id))
			}),
		},
		{name: "cards", part: "ghost", idHelp: "CUSTOMER_ID/CARD_ID (create: CUSTOMER_ID)",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				cus, card, err := pair(a.id)
				if err != nil {
					return nil, err
				}
				return c.Cards.Get(ctx, cus, card)
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, id string, p ghost.CardCreateParams) (any, error) {
				return c.Cards.Create(ctx, ghost.ID(id), p)
			}),
			delete: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				cus, card, err := pair(a.id)
				if err != nil {
					return nil, err
				}
				return nil, c.Cards.Delete(ctx, cus, card)
			}),
		},
		{name: "charges", part: "ghost",
			create: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.ChargeCreateParams) (any, error) {
				return c.Charges.Create(ctx, p)
			}),
		},
		{name: "accounts", part: "ghost", idHelp: "account id",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.Accounts.Get(ctx, ghost.ID(a.id))
			}),
		},
		{name: "identities", part: "ghost", idHelp: "identity id",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.Identities.Get(ctx, ghost.ID(a.id))
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.IdentityCreateParams) (any, error) {
				return c.Identities.Create(ctx, p)
			}),
		},
		{name: "identity-types", part: "ghost", idHelp: "identity type id",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.IdentityTypes.Get(ctx, ghost.ID(a.id))
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.IdentityTypeCreateParams) (any, error) {
				return c.IdentityTypes.Create(ctx, p)
			}),
		},
		{name: "events", part: "ghost", idHelp: "identity id (create)",
			create: withParams(c, func(ctx context.Context, c *ghost.Client, id string, p ghost.EventCreateParams) (any, error) {
				return c.Events.Create(ctx, ghost.ID(id), p)
			}),
		},
		{name: "analytics", part: "ghost",
			get: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.AnalyticsParams) (any, error) {
				return c.Analytics.Get(ctx, p)
			}),
		},
		{name: "carts", part: "checkout", idHelp: "cart id",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.Carts.Get(ctx, ghost.ID(a.id))
			}),
			list: pages(c, func(c *ghost.Client) pageFuncs[ghost.CartListParams, ghost.Cart] {
				return pageFuncs[ghost.CartListParams, ghost.Cart]{c.Carts.List, c.Carts.All}
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.CartCreateParams) (any, error) {
				return c.Carts.Create(ctx, p)
			}),
			update: withParams(c, func(ctx context.Context, c *ghost.Client, id string, p ghost.CartUpdateParams) (any, error) {
				return c.Carts.Update(ctx, ghost.ID(id), p)
			}),
			delete: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return nil, c.Carts.Delete(ctx, ghost.ID(a.id))
			}),
		},
		{name: "exports", part: "exports", idHelp: "MERCHANT_ID/EXPORT_ID (create: MERCHANT_ID)",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				m, e, err := pair(a.id)
				if err != nil {
					return nil, err
				}
				return c.Exports.Get(ctx, m, e)
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, id string, p ghost.ExportCreateParams) (any, error) {
				return c.Exports.Create(ctx, ghost.ID(id), p)
			}),
		},
		{name: "komoju-customers", part: "komoju", idHelp: "customer id",
			get: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.Komoju.Customers.Get(ctx, ghost.ID(a.id))
			}),
			list: pages(c, func(c *ghost.Client) pageFuncs[ghost.KomojuListParams, ghost.KomojuCustomer] {
				return pageFuncs[ghost.KomojuListParams, ghost.KomojuCustomer]{c.Komoju.Customers.List, c.Komoju.Customers.All}
			}),
			create: withParams(c, func(ctx context.Context, c *ghost.Client, _ string, p ghost.KomojuCustomerCreateParams) (any, error) {
				return c.Komoju.Customers.Create(ctx, p)
			}),
			update: withParams(c, func(ctx context.Context, c *ghost.Client, id string, p ghost.KomojuCustomerUpdateParams) (any, error) {
				return c.Komoju.Customers.Update(ctx, ghost.ID(id), p)
			}),
			delete: withClient(c, func(ctx context.Context, c *ghost.Client, a args) (any, error) {
				return c.Komoju.Customers.Delete(ctx, ghost.ID(a.id))
			}),
		},
		sparkResource(c, "products"),
		sparkResource(c, "categories"),
		sparkResource(c, "variants"),
		sparkResource(c, "customers"),
		sparkResource(c, "orders"),
	}
}

// sparkResource is a Spark root resource through the SDK's generic
// accessor, as raw JSON.
func sparkResource(s func() (*ghost.Client, error), name string) resource {
	r := func() (*ghost.SparkResourceService[json.RawMessage], error) {
		c, err := s()
		if err != nil {
			return nil, err
		}
		return ghost.SparkResource[json.RawMessage](c.Spark, name), nil
	}
	return resource{name: "spark-" + name, part: "spark", idHelp: name + " id",
		get: func(ctx context.Context, a args) (any, error) {
			rs, err := r()
			if err != nil {
				return nil, err
			}
			return rs.Get(ctx, ghost.ID(a.id), nil)
		},
		list: func(ctx context.Context, a args, all bool) (iter.Seq2[any, error], error) {
			rs, err := r()
			if err != nil {
				return nil, err
			}
			p, err := decodeParams[ghost.SparkListParams](a)
			if err != nil {
				return nil, err
			}
			if all {
				return anySeq(rs.All(ctx, &p)), nil
			}
			page, err := rs.List(ctx, &p)
			if err != nil {
				return nil, err
			}
			return anySlice(page.Items), nil
		},
		create: func(ctx context.Context, a args) (any, error) {
			rs, err := r()
			if err != nil {
				return nil, err
			}
			item, _, err := rs.Upsert(ctx, a.data)
			return item, err
		},
		update: func(ctx context.Context, a args) (any, error) {
			rs, err := r()
			if err != nil {
				return nil, err
			}
			return rs.Update(ctx, ghost.ID(a.id), a.data)
		},
		delete: func(ctx context.Context, a args) (any, error) {
			rs, err := r()
			if err != nil {
				return nil, err
			}
			return nil, rs.Delete(ctx, ghost.ID(a.id))
		},
	}
}

// pair splits "A/B" into two ids.
func pair(id string) (ghost.ID, ghost.ID, error) {
	a, b, ok := strings.Cut(id, "/")
	if !ok || a == "" || b == "" {
		return "", "", fmt.Errorf("want two ids as FIRST/SECOND, got %q", id)
	}
	return ghost.ID(a), ghost.ID(b), nil
}

func withClient(cl func() (*ghost.Client, error), f func(ctx context.Context, c *ghost.Client, a args) (any, error)) call {
	return func(ctx context.Context, a args) (any, error) {
		c, err := cl()
		if err != nil {
			return nil, err
		}
		return f(ctx, c, a)
	}
}

// withParams decodes --data/--param into the call's params type P.
func withParams[P any](cl func() (*ghost.Client, error), f func(ctx context.Context, c *ghost.Client, id string, p P) (any, error)) call {
	return func(ctx context.Context, a args) (any, error) {
		p, err := decodeParams[P](a)
		if err != nil {
			return nil, err
		}
		c, err := cl()
		if err != nil {
			return nil, err
		}
		return f(ctx, c, a.id, p)
	}
}

// pageFuncs is a service's List and All.
type pageFuncs[P, T any] struct {
	list func(context.Context, *P, ...ghost.RequestOption) (*ghost.Page[T], error)
	all  func(context.Context, *P, ...ghost.RequestOption) iter.Seq2[T, error]
}

func pages[P, T any](cl func() (*ghost.Client, error), fs func(c *ghost.Client) pageFuncs[P, T]) lister {
	return func(ctx context.Context, a args, all bool) (iter.Seq2[any, error], error) {
		p, err := decodeParams[P](a)
		if err != nil {
			return nil, err
		}
		c, err := cl()
		if err != nil {
			return nil, err
		}
		f := fs(c)
		if all {
			return anySeq(f.all(ctx, &p)), nil
		}
		page, err := f.list(ctx, &p)
		if err != nil {
			return nil, err
		}
		return anySlice(page.Items), nil
	}
}

func anySeq[T any](s iter.Seq2[T, error]) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for v, err := range s {
			if !yield(v, err) {
				return
			}
		}
	}
}

func anySlice[T any](items []T) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for _, v := range items {
			if !yield(v, nil) {
				return
			}
		}
	}
}
