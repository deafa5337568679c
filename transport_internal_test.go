package ghost

import "testing"

// The redirect policy strips every header named like a credential; the
// SDK's own credential headers must be among them.
func TestAuthHeadersAreCredentialLike(t *testing.T) {
	for _, h := range authHeaders {
		if !credentialLike(h) {
			t.Errorf("%s is not stripped on a cross-origin redirect", h)
		}
	}
}
