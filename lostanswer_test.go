package ghost_test

import (
	"net/http"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A POST whose answer is lost on every attempt still reports the key it
// carried, how many attempts it made and the last status seen, so the
// caller can repeat it safely with WithIdempotencyKey(resp.IdempotencyKey).
func TestLostAnswerReportsKeyAndAttempts(t *testing.T) {
	policy := ghost.WithRetryPolicy(ghost.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: time.Millisecond})
	for _, tc := range []struct {
		name  string
		fault ghosttest.Fault
		cut   bool // the client saw a status (then lost the body)
	}{
		{"connection dropped", ghosttest.Fault{Drop: true, Times: 4}, false},
		{"answer cut mid-body", ghosttest.Fault{CutBody: true, Times: 4}, true},
	} {
		for _, part := range []struct {
			name   string
			header string
			path   string
			status int // the status of a create
			create func(srv *ghosttest.Server, opts ...ghost.RequestOption) error
		}{
			{"ghost", "Idempotency-Key", "/api/v1/orders", http.StatusCreated, func(srv *ghosttest.Server, opts ...ghost.RequestOption) error {
				_, err := srv.Client.Orders.Create(t.Context(), someOrder, opts...)
				return err
			}},
			{"komoju", "X-KOMOJU-IDEMPOTENCY", "/api/v1/customers", http.StatusOK, func(srv *ghosttest.Server, opts ...ghost.RequestOption) error {
				_, err := srv.Client.Komoju.Customers.Create(t.Context(), ghost.KomojuCustomerCreateParams{Email: "k@example.com",
					PaymentDetails: ghost.KomojuPaymentToken("tok_1")}, opts...)
				return err
			}},
		} {
			t.Run(tc.name+"/"+part.name, func(t *testing.T) {
				profile := ghosttest.ProfileGhost
				if part.name == "komoju" {
					profile = ghosttest.ProfileKomoju
				}
				srv := ghosttest.NewServer(ghosttest.WithProfile(profile), ghosttest.WithClientOptions(policy))
				t.Cleanup(srv.Close)
				f := tc.fault
				f.Method, f.PathPrefix = "POST", part.path
				srv.InjectFault(f)

				var resp ghost.Response
				err := part.create(srv, ghost.WithResponse(&resp))
				require.Error(t, err)
				reqs := requestsTo(srv, "POST", part.path)
				require.Len(t, reqs, 4, "sent four times with the same key")
				key := reqs[0].Header.Get(part.header)
				require.NotEmpty(t, key)
				for _, r := range reqs {
					assert.Equal(t, key, r.Header.Get(part.header))
				}
				assert.Equal(t, key, resp.IdempotencyKey, "the key on the wire is reported")
				assert.Equal(t, 4, resp.Attempts)
				if tc.cut {
					assert.Equal(t, part.status, resp.StatusCode, "the last status seen")
				} else {
					assert.Zero(t, resp.StatusCode, "no answer at all")
				}

				// The safe retry: the same key, so the server replays its
				// first answer instead of acting twice.
				var again ghost.Response
				require.NoError(t, part.create(srv, ghost.WithIdempotencyKey(resp.IdempotencyKey), ghost.WithResponse(&again)))
				assert.Equal(t, key, again.IdempotencyKey)
			})
		}
	}
}
