package ghost_test

import (
	"context"
	"fmt"
	"net/http"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// A call hook sees each logical call once, whatever its retries; a
// transport middleware sees each attempt, and learns which call it belongs
// to from the request's context.
func ExampleWithCallHook() {
	hook := func(ctx context.Context, info ghost.CallInfo) (context.Context, func(ghost.CallResult)) {
		return ctx, func(r ghost.CallResult) {
			fmt.Printf("call %s %s %s: %d attempts, %d retries, status %d, error %q\n",
				info.Operation, info.Method, info.URLTemplate, r.Attempts, r.Retries, r.StatusCode, r.ErrorKind)
		}
	}
	middleware := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			a, _ := ghost.AttemptFromContext(req.Context())
			fmt.Printf("  attempt %d of %s\n", a.Number, a.Operation)
			return next.RoundTrip(req)
		})
	}
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost),
		ghosttest.WithClientOptions(ghost.WithCallHook(hook), ghost.WithTransportMiddleware(middleware)))
	defer srv.Close()
	srv.InjectFault(ghosttest.Fault{Method: "GET", Status: http.StatusServiceUnavailable})

	ctx := context.Background()
	cus, _ := srv.Client.Customers.Create(ctx, ghost.CustomerCreateParams{Email: "a@example.com"})
	srv.Client.Customers.Get(ctx, cus.ID)
	srv.Client.Customers.Get(ctx, "missing")
	// Output:
	//   attempt 1 of Customers.Create
	// call Customers.Create POST /api/v1/customers: 1 attempts, 0 retries, status 201, error ""
	//   attempt 1 of Customers.Get
	//   attempt 2 of Customers.Get
	// call Customers.Get GET /api/v1/customers/{customerID}: 2 attempts, 1 retries, status 200, error ""
	//   attempt 1 of Customers.Get
	// call Customers.Get GET /api/v1/customers/{customerID}: 1 attempts, 0 retries, status 404, error "404"
}
