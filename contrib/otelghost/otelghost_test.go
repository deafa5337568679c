package otelghost_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contrib/otelghost"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// rig is a mock server whose client is instrumented with in-memory
// exporters.
type rig struct {
	srv    *ghosttest.Server
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	host   string
	port   int
}

func newRig(t *testing.T, opts ...ghost.Option) *rig {
	t.Helper()
	r := &rig{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	inst := otelghost.Instrument(otelghost.WithTracerProvider(tp), otelghost.WithMeterProvider(mp),
		otelghost.WithPropagator(propagation.TraceContext{}))
	r.srv = ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost),
		ghosttest.WithClientOptions(append([]ghost.Option{inst}, opts...)...))
	t.Cleanup(r.srv.Close)
	host, port, err := net.SplitHostPort(strings.TrimPrefix(r.srv.URL, "http://"))
	require.NoError(t, err)
	r.host = host
	r.port, _ = strconv.Atoi(port)
	return r
}

// customer creates a customer without instrumentation noise: the spans and
// metrics it makes are dropped.
func (r *rig) customer(t *testing.T) ghost.ID {
	t.Helper()
	c, err := r.srv.Client.Customers.Create(t.Context(), ghost.CustomerCreateParams{Email: "a@example.com"})
	require.NoError(t, err)
	r.spans.Reset()
	return c.ID
}

func attrs(kvs []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// checkClean asserts that no attribute of any span holds id, a query string
// or a credential.
func checkClean(t *testing.T, spans []sdktrace.ReadOnlySpan, id ghost.ID) {
	t.Helper()
	for _, s := range spans {
		assert.NotContains(t, s.Name(), string(id))
		for _, kv := range s.Attributes() {
			v := kv.Value.String()
			assert.NotContains(t, v, string(id), "%s=%s on %s", kv.Key, v, s.Name())
			assert.NotContains(t, v, "?", "%s=%s on %s", kv.Key, v, s.Name())
			for _, secret := range []string{ghosttest.DefaultPublicKey, ghosttest.DefaultSecretKey, "Basic "} {
				assert.NotContains(t, v, secret)
			}
		}
		assert.NotContains(t, s.Status().Description, string(id))
	}
}

func TestCallAndAttemptSpans(t *testing.T) {
	r := newRig(t)
	id := r.customer(t)
	_, err := r.srv.Client.Customers.Get(t.Context(), id)
	require.NoError(t, err)

	spans := r.spans.Ended()
	require.Len(t, spans, 2)
	attempt, call := spans[0], spans[1]
	assert.Equal(t, "ghost.Customers.Get", call.Name())
	assert.Equal(t, trace.SpanKindClient, call.SpanKind())
	assert.Equal(t, map[string]any{
		"ghost.operation": "Customers.Get", "ghost.part": "ghost", "http.request.method": "GET",
		"server.address": r.host, "server.port": int64(r.port), "url.template": "/api/v1/customers/{customerID}",
		"ghost.attempts": int64(1), "ghost.retries": int64(0), "http.response.status_code": int64(200),
	}, attrs(call.Attributes()))
	assert.Equal(t, codes.Unset, call.Status().Code)

	assert.Equal(t, "GET /api/v1/customers/{customerID}", attempt.Name())
	assert.Equal(t, trace.SpanKindClient, attempt.SpanKind())
	assert.Equal(t, call.SpanContext().SpanID(), attempt.Parent().SpanID(), "the attempt is a child of the call")
	assert.Equal(t, call.SpanContext().TraceID(), attempt.SpanContext().TraceID())
	assert.Equal(t, map[string]any{
		"http.request.method": "GET", "server.address": r.host, "server.port": int64(r.port),
		"url.template": "/api/v1/customers/{customerID}", "http.response.status_code": int64(200),
	}, attrs(attempt.Attributes()))
	checkClean(t, spans, id)

	// The attempt's trace context reached the server.
	reqs := r.srv.Requests()
	tp := reqs[len(reqs)-1].Header.Get("Traceparent")
	assert.Equal(t, fmt.Sprintf("00-%s-%s-01", attempt.SpanContext().TraceID(), attempt.SpanContext().SpanID()), tp)

	m := collect(t, r)
	op := attribute.NewSet(otelghost.AttrOperation.String("Customers.Get"), otelghost.AttrPart.String("ghost"))
	assert.Equal(t, int64(1), m.sum("ghost.client.attempts", op))
	assert.Equal(t, int64(0), m.sum("ghost.client.retries", op))
	ok := attribute.NewSet(otelghost.AttrOperation.String("Customers.Get"), otelghost.AttrPart.String("ghost"), otelghost.AttrOutcome.String("success"))
	assert.Equal(t, uint64(1), m.histCount("ghost.client.call.duration", ok))
}

func TestRetriedCall(t *testing.T) {
	r := newRig(t)
	id := r.customer(t)
	r.srv.InjectFault(ghosttest.Fault{Method: "GET", PathPrefix: "/api/v1/customers/", Status: 503, RetryAfter: "1"})
	_, err := r.srv.Client.Customers.Get(t.Context(), id)
	require.NoError(t, err)

	spans := r.spans.Ended()
	require.Len(t, spans, 3)
	first, second, call := spans[0], spans[1], spans[2]
	for _, s := range []sdktrace.ReadOnlySpan{first, second} {
		assert.Equal(t, call.SpanContext().SpanID(), s.Parent().SpanID())
	}
	assert.Equal(t, map[string]any{
		"http.request.method": "GET", "server.address": r.host, "server.port": int64(r.port),
		"url.template": "/api/v1/customers/{customerID}", "http.response.status_code": int64(503), "error.type": "503",
	}, attrs(first.Attributes()))
	assert.Equal(t, codes.Error, first.Status().Code)
	assert.Equal(t, map[string]any{
		"http.request.method": "GET", "server.address": r.host, "server.port": int64(r.port),
		"url.template": "/api/v1/customers/{customerID}", "http.response.status_code": int64(200), "http.request.resend_count": int64(1),
	}, attrs(second.Attributes()))
	ca := attrs(call.Attributes())
	assert.Equal(t, int64(2), ca["ghost.attempts"])
	assert.Equal(t, int64(1), ca["ghost.retries"])
	assert.Equal(t, int64(200), ca["http.response.status_code"])
	assert.NotContains(t, ca, "error.type")
	assert.Equal(t, codes.Unset, call.Status().Code)
	checkClean(t, spans, id)

	m := collect(t, r)
	op := attribute.NewSet(otelghost.AttrOperation.String("Customers.Get"), otelghost.AttrPart.String("ghost"))
	assert.Equal(t, int64(2), m.sum("ghost.client.attempts", op))
	assert.Equal(t, int64(1), m.sum("ghost.client.retries", op))
	ra := attribute.NewSet(otelghost.AttrOperation.String("Customers.Get"), otelghost.AttrPart.String("ghost"), otelghost.AttrWaitReason.String("retry_after"))
	assert.GreaterOrEqual(t, m.fsum("ghost.client.wait.duration", ra), 0.9, "the server's Retry-After: 1 was waited for")
}

func TestCancelledCall(t *testing.T) {
	r := newRig(t)
	id := r.customer(t)
	r.srv.InjectFault(ghosttest.Fault{Method: "GET", PathPrefix: "/api/v1/customers/", Latency: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	before := len(r.srv.Requests())
	go func() {
		// Cancel once the request has reached the server.
		for len(r.srv.Requests()) == before {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := r.srv.Client.Customers.Get(ctx, id)
	require.ErrorIs(t, err, context.Canceled)

	spans := r.spans.Ended()
	require.Len(t, spans, 2)
	attempt, call := spans[0], spans[1]
	assert.Equal(t, "canceled", attrs(attempt.Attributes())["error.type"])
	assert.Equal(t, codes.Error, attempt.Status().Code)
	ca := attrs(call.Attributes())
	assert.Equal(t, "canceled", ca["error.type"])
	assert.Equal(t, int64(1), ca["ghost.attempts"])
	assert.NotContains(t, ca, "http.response.status_code")
	assert.Equal(t, codes.Error, call.Status().Code)
	assert.Equal(t, "canceled", call.Status().Description)
	checkClean(t, spans, id)

	m := collect(t, r)
	failed := attribute.NewSet(otelghost.AttrOperation.String("Customers.Get"), otelghost.AttrPart.String("ghost"),
		otelghost.AttrOutcome.String("error"), attribute.String("error.type", "canceled"))
	assert.Equal(t, uint64(1), m.histCount("ghost.client.call.duration", failed))
}

func TestLimiterWaitIsMeasured(t *testing.T) {
	// Two tokens a second, burst 1: the second call waits about 500ms.
	l, err := ghost.NewRateLimiter(2, 1)
	require.NoError(t, err)
	r := newRig(t, ghost.WithLimiter(l))
	id := r.customer(t)
	_, err = r.srv.Client.Customers.Get(t.Context(), id)
	require.NoError(t, err)
	m := collect(t, r)
	lim := attribute.NewSet(otelghost.AttrOperation.String("Customers.Get"), otelghost.AttrPart.String("ghost"), otelghost.AttrWaitReason.String("limiter"))
	assert.Greater(t, m.fsum("ghost.client.wait.duration", lim), 0.1)
}

func TestInstrumentDefaultsToGlobalProviders(t *testing.T) {
	// Without WithTracerProvider, the global provider records the spans.
	spans := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost), ghosttest.WithClientOptions(otelghost.Instrument()))
	defer srv.Close()
	_, err := srv.Client.Customers.Create(t.Context(), ghost.CustomerCreateParams{Email: "a@example.com"})
	require.NoError(t, err)
	var names []string
	for _, s := range spans.Ended() {
		names = append(names, s.Name())
	}
	assert.Contains(t, names, "ghost.Customers.Create")
}

type metrics map[string]metricdata.Aggregation

func collect(t *testing.T, r *rig) metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(t.Context(), &rm))
	m := metrics{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otelghost.ScopeName, sm.Scope.Name)
		for _, x := range sm.Metrics {
			m[x.Name] = x.Data
		}
	}
	return m
}

func (m metrics) sum(name string, set attribute.Set) int64 {
	s, ok := m[name].(metricdata.Sum[int64])
	if !ok {
		return -1
	}
	for _, p := range s.DataPoints {
		if p.Attributes.Equals(&set) {
			return p.Value
		}
	}
	return 0
}

func (m metrics) fsum(name string, set attribute.Set) float64 {
	s, ok := m[name].(metricdata.Sum[float64])
	if !ok {
		return -1
	}
	for _, p := range s.DataPoints {
		if p.Attributes.Equals(&set) {
			return p.Value
		}
	}
	return 0
}

func (m metrics) histCount(name string, set attribute.Set) uint64 {
	h, ok := m[name].(metricdata.Histogram[float64])
	if !ok {
		return 0
	}
	for _, p := range h.DataPoints {
		if p.Attributes.Equals(&set) {
			return p.Count
		}
	}
	return 0
}

// An attempt's span lasts until its body is read: an export file streamed
// object by object is inside its attempt span, which ends at the body's end.
func TestAttemptSpanCoversTheBody(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileExports),
		ghosttest.WithConfig(ghosttest.Config{ExportDuration: 10 * time.Millisecond}),
		ghosttest.WithClientOptions(otelghost.Instrument(otelghost.WithTracerProvider(tp))))
	t.Cleanup(srv.Close)
	ctx := t.Context()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := srv.Client.Exports.Create(ctx, "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 1)})
	require.NoError(t, err)
	e, err = srv.Client.Exports.Wait(ctx, "M1", e.ID, ghost.WaitOptions{Interval: 5 * time.Millisecond})
	require.NoError(t, err)
	// A file's URL is the server's: its attempt span has no url.template
	// (nor a path in its name), under the call span of
	// Exports.DownloadFile.
	fileSpanEnded := func() bool {
		calls := map[trace.SpanID]string{}
		for _, s := range spans.Started() {
			calls[s.SpanContext().SpanID()] = s.Name()
		}
		for _, s := range spans.Ended() {
			if s.Name() == "GET" && calls[s.Parent().SpanID()] == "ghost.Exports.DownloadFile" {
				return true
			}
		}
		return false
	}
	n := 0
	for _, err := range srv.Client.Exports.Orders(ctx, e) {
		require.NoError(t, err)
		if n == 0 {
			assert.False(t, fileSpanEnded(), "the file's attempt span is still open while its body is read")
		}
		n++
	}
	require.Positive(t, n)
	assert.True(t, fileSpanEnded(), "ended with the body")
}
