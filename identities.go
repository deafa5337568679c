package ghost

import (
	"context"
	"time"
)

// IdentitiesService manages identities (Ghost API).
type IdentitiesService service

// Identity is an identity that events are recorded against.
type Identity struct {
	ID                   ID        `json:"id"`
	Name                 string    `json:"name,omitempty"`
	ReferenceID          string    `json:"referenceId,omitempty"`
	ReferenceDescription string    `json:"referenceDescription,omitempty"`
	CreatedAt            time.Time `json:"createdAt,omitzero"`
	UpdatedAt            time.Time `json:"updatedAt,omitzero"`
}

// IdentityCreateParams creates an identity. Name is required.
type IdentityCreateParams struct {
	Name                 string `json:"name"`
	ReferenceID          string `json:"referenceId,omitempty"`
	ReferenceDescription string `json:"referenceDescription,omitempty"`
}

// Get returns an identity: GET /api/v1/identities/{identityId}.
func (s *IdentitiesService) Get(ctx context.Context, identityID ID, opts ...RequestOption) (*Identity, error) {
	p, err := pathf("/api/v1/identities/%s", idArg{"identityID", identityID})
	if err != nil {
		return nil, err
	}
	return getOne[Identity](ctx, (*service)(s), &request{method: "GET", path: p}, opts)
}

// Create creates an identity: POST /api/v1/identities.
func (s *IdentitiesService) Create(ctx context.Context, params IdentityCreateParams, opts ...RequestOption) (*Identity, error) {
	if params.Name == "" {
		return nil, invalidParams("name", "name is required")
	}
	return getOne[Identity](ctx, (*service)(s), &request{method: "POST", path: "/api/v1/identities", body: params}, opts)
}

// IdentityTypesService manages identity types (Ghost API).
type IdentityTypesService service

// IdentityType is a kind of identity.
type IdentityType struct {
	ID        ID        `json:"id"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// IdentityTypeCreateParams creates an identity type. Name is required.
type IdentityTypeCreateParams struct {
	Name string `json:"name"`
}

// Get returns an identity type: GET /api/v1/identity-types/{identityTypeId}.
func (s *IdentityTypesService) Get(ctx context.Context, identityTypeID ID, opts ...RequestOption) (*IdentityType, error) {
	p, err := pathf("/api/v1/identity-types/%s", idArg{"identityTypeID", identityTypeID})
	if err != nil {
		return nil, err
	}
	return getOne[IdentityType](ctx, (*service)(s), &request{method: "GET", path: p}, opts)
}

// Create creates an identity type: POST /api/v1/identity-types.
func (s *IdentityTypesService) Create(ctx context.Context, params IdentityTypeCreateParams, opts ...RequestOption) (*IdentityType, error) {
	if params.Name == "" {
		return nil, invalidParams("name", "name is required")
	}
	return getOne[IdentityType](ctx, (*service)(s), &request{method: "POST", path: "/api/v1/identity-types", body: params}, opts)
}
