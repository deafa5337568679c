package ghost

import (
	"context"
	"iter"
)

// sparkCustomerBody is what a Spark customers resource accepts.
type sparkCustomerBody struct {
	Email    Opt[string]       `json:"email,omitzero"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// spark is the customers resource under the Spark convention.
func (s *CustomersService) spark() *ResourceService[Customer] {
	return &ResourceService[Customer]{s: (*service)(s), name: "customers"}
}

func sparkRefuse(param string, set bool) error {
	if set {
		return invalidParams(param, "%s is not part of the Spark convention", param)
	}
	return nil
}

func (s *CustomersService) createSpark(ctx context.Context, p CustomerParams, opts []RequestOption) (*Customer, error) {
	for _, err := range []error{
		sparkRefuse("description", p.Description != ""),
		sparkRefuse("currency", p.Currency != ""),
		sparkRefuse("payment_details", p.PaymentDetails != nil),
	} {
		if err != nil {
			return nil, err
		}
	}
	c, _, err := s.spark().Upsert(ctx, sparkCustomerBody{Email: Some(p.Email), Metadata: p.Metadata}, opts...)
	return c, err
}

func (s *CustomersService) updateSpark(ctx context.Context, id ID, p CustomerUpdateParams, opts []RequestOption) (*Customer, error) {
	for _, err := range []error{
		sparkRefuse("description", p.Description.IsSet()),
		sparkRefuse("currency", p.Currency.IsSet()),
		sparkRefuse("payment_details", p.PaymentDetails != nil),
	} {
		if err != nil {
			return nil, err
		}
	}
	return s.spark().Update(ctx, id, sparkCustomerBody{Email: p.Email, Metadata: p.Metadata}, opts...)
}

func sparkPageParams(limit, offset, page, perPage int) (*ListParams, error) {
	if limit != 0 || offset != 0 {
		return nil, invalidParams("limit", "limit and offset are not part of the Spark convention; use Page and PerPage")
	}
	return &ListParams{Page: page, Count: perPage}, nil
}

func (s *CustomersService) listSpark(ctx context.Context, p CustomerListParams, opts []RequestOption) (*Page[Customer], error) {
	lp, err := sparkPageParams(p.Limit, p.Offset, p.Page, p.PerPage)
	if err != nil {
		return nil, err
	}
	return s.spark().List(ctx, lp, opts...)
}

func (s *CustomersService) allSpark(ctx context.Context, p CustomerListParams, opts []RequestOption) iter.Seq2[Customer, error] {
	lp, err := sparkPageParams(p.Limit, p.Offset, p.Page, p.PerPage)
	if err != nil {
		return func(yield func(Customer, error) bool) { yield(Customer{}, err) }
	}
	return s.spark().All(ctx, lp, opts...)
}
