package ghosttest_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// recordingTB captures what New reports, so a test can check that New
// fails the test it serves.
type recordingTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recordingTB) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recordingTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func (r *recordingTB) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestNewReportsUnmodelledAndServerErrors(t *testing.T) {
	tb := &recordingTB{}
	srv := ghosttest.New(tb, ghosttest.WithProfile(ghosttest.ProfileSparkPay))
	// Modelled answers, errors included, are fine.
	rawCall(t, "GET", srv.URL+"/api/v1/products", "", sparkAuth...)
	rawCall(t, "GET", srv.URL+"/api/v1/products/99", "", sparkAuth...) // 404
	rawCall(t, "GET", srv.URL+"/api/v1/products", "")                  // 401
	// An injected 5xx is deliberate.
	srv.InjectFault(ghosttest.Fault{Status: http.StatusServiceUnavailable})
	rawCall(t, "GET", srv.URL+"/api/v1/products", "", sparkAuth...)
	// A documented route the mock does not model fails the test.
	rawCall(t, "GET", srv.URL+"/api/v1/manufacturers", "", sparkAuth...)
	tb.finish()
	require.Len(t, tb.errors, 1, tb.errors)
	assert.Contains(t, tb.errors[0], "GET /api/v1/manufacturers was answered 501")

	// The server is closed by the cleanup.
	_, err := http.Get(srv.URL + "/api/v1/products")
	assert.Error(t, err)
}

// Clearing the request log (ResetRequests, Reset, DELETE
// /__ghost/requests) does not hide an unexpected answer from New.
func TestNewReportsAcrossLogResets(t *testing.T) {
	for name, clear := range map[string]func(*ghosttest.Server){
		"ResetRequests": (*ghosttest.Server).ResetRequests,
		"Reset":         (*ghosttest.Server).Reset,
	} {
		t.Run(name, func(t *testing.T) {
			tb := &recordingTB{}
			srv := ghosttest.New(tb, ghosttest.WithProfile(ghosttest.ProfileSparkPay))
			rawCall(t, "GET", srv.URL+"/api/v1/manufacturers", "", sparkAuth...)
			clear(srv)
			rawCall(t, "GET", srv.URL+"/api/v1/products", "", sparkAuth...)
			tb.finish()
			require.Len(t, tb.errors, 1, tb.errors)
			assert.Contains(t, tb.errors[0], "GET /api/v1/manufacturers was answered 501")
		})
	}
}

func TestNewAcceptsConfiguredServiceUnavailable(t *testing.T) {
	tb := &recordingTB{}
	srv := ghosttest.New(tb, ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 11}}),
		ghosttest.WithProfile(ghosttest.ProfileClover))
	srv.Clock.Set(time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC))
	res := rawCall(t, "POST", srv.URL+"/v3/merchants/M1/exports", `{"type":"ORDERS","startTime":1,"endTime":2}`, cloverAuth...)
	assert.Equal(t, http.StatusServiceUnavailable, res.status) // asked for by ExportHours
	tb.finish()
	assert.Empty(t, tb.errors)
}

func TestNewServesATest(t *testing.T) {
	srv := ghosttest.New(t, ghosttest.WithProfile(ghosttest.ProfileCheckout), ghosttest.WithSeed(2))
	res := rawCall(t, "GET", srv.URL+"/api/carts", "", checkoutAuth...)
	assert.Equal(t, http.StatusOK, res.status)
	rec, ok := srv.LastRequest()
	require.True(t, ok)
	assert.Equal(t, http.StatusOK, rec.Status)
}
