package ghost

import (
	"context"
	"net/http"
	"time"
)

// EventsService records identity events (Ghost API).
type EventsService service

// IdentityEvent is an event recorded against an identity.
type IdentityEvent struct {
	ID         ID               `json:"id"`
	IdentityID ID               `json:"identityId,omitempty"`
	Name       string           `json:"name,omitempty"`
	GatID      string           `json:"gatId,omitempty"`
	Properties []map[string]any `json:"properties,omitempty"`
	CreatedAt  time.Time        `json:"createdAt,omitzero"`
}

// EventCreateParams records an event. Name is required.
type EventCreateParams struct {
	Name       string           `json:"name"`
	GatID      string           `json:"gatId,omitempty"`
	Properties []map[string]any `json:"properties,omitempty"`
}

var opEventsCreate = declare(PartGhost, "Events.Create", http.MethodPost, "/api/v1/identities/{identityID}/events")

// Create records an event: POST /api/v1/identities/{identityId}/events.
// (The API's README spells the path "identites"; the API and its original
// client use "identities".)
func (s *EventsService) Create(ctx context.Context, identityID ID, params EventCreateParams, opts ...RequestOption) (*IdentityEvent, error) {
	if params.Name == "" {
		return nil, invalidParams("name", "name is required")
	}
	return getOne[IdentityEvent](ctx, (*service)(s), &request{op: opEventsCreate, ids: []ID{identityID}, body: params}, opts)
}
