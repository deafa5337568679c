package main

// The control API as a test in another language would use it: the command,
// plain HTTP, JSON. This file imports neither the SDK nor ghosttest.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startMock runs the command with args and returns its URL.
func startMock(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard, ready)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case url := <-ready:
		return url
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("mock did not start")
	}
	return ""
}

type reply struct {
	status int
	header http.Header
	body   string
	err    error
}

// call sends a request; hdr holds name/value pairs.
func call(t *testing.T, method, url, body string, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b), err: err}
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	require.NoError(t, r.err)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

const apiKey = "ak_ctl"

var key = []string{"x-api-key", apiKey}

func TestControlAPIIsOffByDefault(t *testing.T) {
	url := startMock(t)
	for _, path := range []string{"/__ghost/requests", "/__ghost/reset", "/__ghost/clock"} {
		assert.Equal(t, http.StatusNotFound, call(t, "GET", url+path, "").status, path)
	}
	assert.Equal(t, http.StatusNotFound, call(t, "POST", url+"/__ghost/reset", "").status)
}

func TestControlAPIRequestLog(t *testing.T) {
	url := startMock(t, "-control", "-api-key", apiKey, "-secret-key", "sk_ctl")
	idx := call(t, "GET", url+"/__ghost/", "").json(t)
	assert.Equal(t, "all", idx["profile"])
	assert.Equal(t, url+"/komoju", idx["baseURLs"].(map[string]any)["komoju"])

	call(t, "GET", url+"/api/carts?limit=5", "", key...)
	call(t, "POST", url+"/api/carts", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":1}]}`, key...)
	req, _ := http.NewRequest("GET", url+"/komoju/api/v1/customers", nil)
	req.SetBasicAuth("sk_ctl", "")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()

	log := call(t, "GET", url+"/__ghost/requests", "").json(t)["requests"].([]any)
	require.Len(t, log, 3, "control requests are not logged")
	first := log[0].(map[string]any)
	assert.Equal(t, "GET", first["method"])
	assert.Equal(t, "/api/carts", first["path"])
	assert.Equal(t, "limit=5", first["query"])
	assert.Equal(t, float64(200), first["status"])
	assert.Equal(t, []any{"[redacted]"}, first["headers"].(map[string]any)["X-Api-Key"])
	raw := call(t, "GET", url+"/__ghost/requests", "").body
	assert.NotContains(t, raw, apiKey)
	assert.NotContains(t, raw, "sk_ctl")
	assert.NotContains(t, raw, "c2tfY3RsOg==", "no Basic credentials")

	byPath := call(t, "GET", url+"/__ghost/requests?path=/api/carts&method=post", "").json(t)["requests"].([]any)
	require.Len(t, byPath, 1)
	assert.Equal(t, float64(201), byPath[0].(map[string]any)["status"])
	assert.Contains(t, byPath[0].(map[string]any)["body"], "a@example.com")

	assert.Equal(t, http.StatusNoContent, call(t, "DELETE", url+"/__ghost/requests", "").status)
	assert.Empty(t, call(t, "GET", url+"/__ghost/requests", "").json(t)["requests"])

	// Control errors.
	assert.Equal(t, http.StatusNotFound, call(t, "GET", url+"/__ghost/nope", "").status)
	r := call(t, "PUT", url+"/__ghost/requests", "")
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "GET, DELETE", r.header.Get("Allow"))
}

func TestControlAPIFaults(t *testing.T) {
	url := startMock(t, "-control", "-api-key", apiKey)
	r := call(t, "POST", url+"/__ghost/faults", `{"status":503,"retryAfter":"2","count":2,"path":"/api/carts","method":"get"}`)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.JSONEq(t, `{"method":"GET","path":"/api/carts","count":2,"delay":"","status":503,"retryAfter":"2","body":"","emptyBody":false,"headers":null,"reset":false,"truncate":false}`, r.body)

	// Other methods and paths are not matched.
	assert.Equal(t, http.StatusOK, call(t, "GET", url+"/api/analytics", "", key...).status)
	assert.Equal(t, http.StatusCreated, call(t, "POST", url+"/api/carts", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":1}]}`, key...).status)
	for range 2 {
		r = call(t, "GET", url+"/api/carts", "", key...)
		assert.Equal(t, http.StatusServiceUnavailable, r.status)
		assert.Equal(t, "2", r.header.Get("Retry-After"))
	}
	assert.Equal(t, http.StatusOK, call(t, "GET", url+"/api/carts", "", key...).status)
	log := call(t, "GET", url+"/__ghost/requests?path=/api/carts&method=GET", "").json(t)["requests"].([]any)
	assert.Equal(t, true, log[0].(map[string]any)["injected"])
	assert.Equal(t, false, log[2].(map[string]any)["injected"])

	// A custom body and headers.
	call(t, "POST", url+"/__ghost/faults", `{"status":429,"body":"{\"slow\":\"down\"}","headers":{"Content-Type":"application/json"}}`)
	r = call(t, "GET", url+"/api/carts", "", key...)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, `{"slow":"down"}`, r.body)

	// Connection reset, then a truncated body.
	call(t, "POST", url+"/__ghost/faults", `{"reset":true}`)
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	req, _ := http.NewRequest("GET", url+"/api/carts", nil)
	req.Header.Set("x-api-key", apiKey)
	_, err := fresh.Do(req) // a new connection: net/http does not retry it
	assert.Error(t, err)
	call(t, "POST", url+"/__ghost/faults", `{"truncate":true,"path":"/api/carts"}`)
	r = call(t, "GET", url+"/api/carts", "", key...)
	assert.True(t, errors.Is(r.err, io.ErrUnexpectedEOF), "truncated body: %v", r.err)

	// A delay alone serves the request normally afterwards.
	call(t, "POST", url+"/__ghost/faults", `{"delay":"1ms"}`)
	assert.Equal(t, http.StatusOK, call(t, "GET", url+"/api/carts", "", key...).status)

	// Clearing.
	call(t, "POST", url+"/__ghost/faults", `{"status":500}`)
	assert.Equal(t, http.StatusNoContent, call(t, "DELETE", url+"/__ghost/faults", "").status)
	assert.Equal(t, http.StatusOK, call(t, "GET", url+"/api/carts", "", key...).status)

	for _, bad := range []string{`{}`, `{"status":42}`, `{"delay":"soon"}`, `{"count":-1,"status":500}`, `{"path":"api","status":500}`, `{"sttaus":500}`, `[`} {
		assert.Equal(t, http.StatusBadRequest, call(t, "POST", url+"/__ghost/faults", bad).status, bad)
	}
}

func TestControlAPIClockAndReset(t *testing.T) {
	url := startMock(t, "-control", "-api-key", apiKey, "-seed", "3", "-checkout-rate-limit", "3", "-bearer", "bt")
	t0 := "2026-03-01T12:00:00Z"
	r := call(t, "POST", url+"/__ghost/clock", `{"set":"`+t0+`"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.JSONEq(t, `{"now":"`+t0+`","frozen":true}`, r.body)

	// Export progress without sleeping.
	bearer := []string{"Authorization", "Bearer bt"}
	exp := call(t, "POST", url+"/v3/merchants/M1/exports", `{"type":"ORDERS","startTime":1772236800000,"endTime":1772323200000}`, bearer...).json(t)
	id := exp["id"].(string)
	assert.Equal(t, "PENDING", exp["status"])
	call(t, "POST", url+"/__ghost/clock", `{"advance":"1s"}`)
	assert.Equal(t, "IN_PROGRESS", call(t, "GET", url+"/v3/merchants/M1/exports/"+id, "", bearer...).json(t)["status"])
	call(t, "POST", url+"/__ghost/clock", `{"advance":"1s"}`)
	assert.Equal(t, "DONE", call(t, "GET", url+"/v3/merchants/M1/exports/"+id, "", bearer...).json(t)["status"])

	// Payment-link expiry (7 days).
	cart := call(t, "POST", url+"/api/carts", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":1}]}`, key...).json(t)["data"].(map[string]any)["id"].(string)
	call(t, "POST", url+"/api/carts/"+cart+"/payment-link", "", key...)
	call(t, "POST", url+"/__ghost/clock", `{"advance":"168h"}`)
	got := call(t, "GET", url+"/api/carts/"+cart, "", key...).json(t)["data"].(map[string]any)
	assert.Nil(t, got["paymentLink"])

	// The checkout rate window: 3 per minute (the GET above was the first).
	assert.Equal(t, http.StatusOK, call(t, "GET", url+"/api/carts", "", key...).status)
	assert.Equal(t, http.StatusOK, call(t, "GET", url+"/api/carts", "", key...).status)
	assert.Equal(t, http.StatusTooManyRequests, call(t, "GET", url+"/api/carts", "", key...).status)
	call(t, "POST", url+"/__ghost/clock", `{"advance":"1m"}`)
	assert.Equal(t, http.StatusOK, call(t, "GET", url+"/api/carts", "", key...).status)

	r = call(t, "GET", url+"/__ghost/clock", "")
	assert.JSONEq(t, `{"now":"2026-03-08T12:01:02Z","frozen":true}`, r.body)
	r = call(t, "POST", url+"/__ghost/clock", `{"resume":true}`)
	assert.Equal(t, false, r.json(t)["frozen"])
	r = call(t, "POST", url+"/__ghost/clock", `{"freeze":true}`)
	assert.Equal(t, true, r.json(t)["frozen"])
	for _, bad := range []string{`{}`, `{"set":"yesterday"}`, `{"advance":"-1s"}`, `{"freeze":true,"resume":true}`, `{"rewind":"1s"}`} {
		assert.Equal(t, http.StatusBadRequest, call(t, "POST", url+"/__ghost/clock", bad).status, bad)
	}

	// Reset: the seeded state, the log emptied, the clock real again.
	assert.Equal(t, http.StatusNoContent, call(t, "POST", url+"/__ghost/reset", "").status)
	list := call(t, "GET", url+"/api/carts", "", key...).json(t)["data"].(map[string]any)
	assert.Equal(t, float64(3), list["pagination"].(map[string]any)["total"])
	assert.Equal(t, http.StatusNotFound, call(t, "GET", url+"/api/carts/"+cart, "", key...).status)
	assert.Equal(t, http.StatusNotFound, call(t, "GET", url+"/v3/merchants/M1/exports/"+id, "", bearer...).status)
	assert.Equal(t, false, call(t, "GET", url+"/__ghost/clock", "").json(t)["frozen"])
	assert.Len(t, call(t, "GET", url+"/__ghost/requests", "").json(t)["requests"], 3)
	// Ids start over: the next cart gets the id the first one had.
	again := call(t, "POST", url+"/api/carts", `{"customerEmail":"a@example.com","items":[{"name":"x","quantity":1,"price":1}]}`, key...).json(t)["data"].(map[string]any)["id"]
	assert.Equal(t, cart, again)
}
