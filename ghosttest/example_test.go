package ghosttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// The mock speaks plain HTTP: here a cart is abandoned, its customer pays
// through Stripe (a signed webhook event) and the analytics count the
// recovery. In a test, ghosttest.New(t) starts the server, closes it at the
// end and fails the test on any request the mock does not model.
func Example() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileCheckout),
		ghosttest.WithStripeWebhookSecret("whsec_example"))
	defer srv.Close()
	srv.Clock.Set(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))

	send := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("x-api-key", ghosttest.DefaultAPIKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var out struct {
			Data map[string]any `json:"data"`
		}
		json.Unmarshal(raw, &out)
		return out.Data
	}

	cart := send("POST", "/api/carts", `{"customerEmail":"jo@example.com","items":[{"name":"Mug","quantity":2,"price":12.50}]}`)
	id := cart["id"].(string)
	fmt.Println(id, cart["status"], cart["totalValue"])

	if err := srv.CompleteCheckout(context.Background(), id); err != nil {
		panic(err)
	}
	fmt.Println(send("GET", "/api/carts/"+id, "")["status"])
	summary := send("GET", "/api/analytics?period=7d", "")["summary"].(map[string]any)
	fmt.Println("recovered:", summary["totalRecovered"], summary["totalRecoveredValue"])

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status)
	}
	// Output:
	// cart_000001 abandoned 25
	// recovered
	// recovered: 1 25
	// POST /api/carts 201
	// POST /api/webhooks/stripe 200
	// GET /api/carts/cart_000001 200
	// GET /api/analytics 200
}

// Under ProfileAll every part is served at once; the parts whose paths
// collide with the Ghost part's have their own prefix.
func ExampleServer_BaseURLs() {
	srv := ghosttest.NewServer()
	defer srv.Close()
	for _, p := range ghosttest.Profiles[1:] {
		fmt.Printf("%-8s %s\n", p, strings.Replace(srv.BaseURLs()[p], srv.URL, "$URL", 1))
	}
	// Output:
	// ghost    $URL
	// komoju   $URL/komoju
	// checkout $URL
	// spark    $URL/spark
	// exports  $URL
}
