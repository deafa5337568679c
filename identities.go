package ghost

import (
	"context"
	"net/http"
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

var (
	opIdentitiesGet    = declare(PartGhost, "Identities.Get", http.MethodGet, "/api/v1/identities/{identityID}")
	opIdentitiesCreate = declare(PartGhost, "Identities.Create", http.MethodPost, "/api/v1/identities")
)

// Get returns an identity: GET /api/v1/identities/{identityId}.
func (s *IdentitiesService) Get(ctx context.Context, identityID ID, opts ...RequestOption) (*Identity, error) {
	return getOne[Identity](ctx, (*service)(s), &request{op: opIdentitiesGet, ids: []ID{identityID}}, opts)
}

// Create creates an identity: POST /api/v1/identities.
func (s *IdentitiesService) Create(ctx context.Context, params IdentityCreateParams, opts ...RequestOption) (*Identity, error) {
	if params.Name == "" {
		return nil, invalidParams("name", "name is required")
	}
	return getOne[Identity](ctx, (*service)(s), &request{op: opIdentitiesCreate, body: params}, opts)
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

var (
	opIdentityTypesGet    = declare(PartGhost, "IdentityTypes.Get", http.MethodGet, "/api/v1/identity-types/{identityTypeID}")
	opIdentityTypesCreate = declare(PartGhost, "IdentityTypes.Create", http.MethodPost, "/api/v1/identity-types")
)

// Get returns an identity type: GET /api/v1/identity-types/{identityTypeId}.
func (s *IdentityTypesService) Get(ctx context.Context, identityTypeID ID, opts ...RequestOption) (*IdentityType, error) {
	return getOne[IdentityType](ctx, (*service)(s), &request{op: opIdentityTypesGet, ids: []ID{identityTypeID}}, opts)
}

// Create creates an identity type: POST /api/v1/identity-types.
func (s *IdentityTypesService) Create(ctx context.Context, params IdentityTypeCreateParams, opts ...RequestOption) (*IdentityType, error) {
	if params.Name == "" {
		return nil, invalidParams("name", "name is required")
	}
	return getOne[IdentityType](ctx, (*service)(s), &request{op: opIdentityTypesCreate, body: params}, opts)
}
