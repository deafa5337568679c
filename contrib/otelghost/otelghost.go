// Package otelghost traces and measures a ghost.Client with OpenTelemetry.
//
// Each logical call (one SDK method, whatever its retries) is a span named
// after the method, "ghost.Customers.Get", of kind client; each attempt is a
// child span that follows the OpenTelemetry semantic conventions for HTTP
// clients (http.request.method, server.address, server.port, url.template,
// http.response.status_code, http.request.resend_count, error.type). No
// attribute holds a credential, a query string or an id: paths appear only
// as templates ("/api/v1/customers/{id}"), and errors by their kind, never
// their message.
//
// Metrics (meter "github.com/ghostanalytics/ghost-go/contrib/otelghost"):
//
//	ghost.client.call.duration   histogram, s: one per call, by ghost.operation, ghost.part, ghost.outcome (success, error) and error.type
//	ghost.client.attempts        counter: requests sent, by ghost.operation and ghost.part
//	ghost.client.retries         counter: attempts that repeated a failed one
//	ghost.client.wait.duration   counter, s: time spent waiting, by ghost.wait.reason: retry_after (the server's Retry-After), backoff (the SDK's own), limiter (the client's Limiter)
//
// Use it as one client option:
//
//	client, err := ghost.NewClient(ghost.WithKeys(pk, sk), otelghost.Instrument())
package otelghost

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/ghostanalytics/ghost-go/contrib/otelghost"

// Attribute keys of the package's own attributes (the others are
// OpenTelemetry's semantic conventions).
const (
	AttrOperation  = attribute.Key("ghost.operation")   // "Customers.Get"
	AttrPart       = attribute.Key("ghost.part")        // ghost, komoju, checkout, spark, exports
	AttrOutcome    = attribute.Key("ghost.outcome")     // success or error
	AttrAttempts   = attribute.Key("ghost.attempts")    // on call spans
	AttrRetries    = attribute.Key("ghost.retries")     // on call spans
	AttrWaitReason = attribute.Key("ghost.wait.reason") // retry_after, backoff, limiter
)

// Semantic-convention keys used here.
const (
	keyMethod      = attribute.Key("http.request.method")
	keyStatus      = attribute.Key("http.response.status_code")
	keyResendCount = attribute.Key("http.request.resend_count")
	keyServerAddr  = attribute.Key("server.address")
	keyServerPort  = attribute.Key("server.port")
	keyURLTemplate = attribute.Key("url.template")
	keyErrorType   = attribute.Key("error.type")
)

// Option configures Instrument.
type Option func(*config)

type config struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
}

// WithTracerProvider sets the tracer provider (default otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the meter provider (default otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithPropagator sets how the attempt's span context is sent to the server
// (default otel.GetTextMapPropagator(); the W3C traceparent header when set
// up so).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.prop = p }
}

// Instrument returns a client option that traces and measures every call:
// it adds a ghost.CallHook for the call spans and metrics and a transport
// middleware for the attempt spans. A failure to create the instruments is
// returned by ghost.NewClient.
func Instrument(opts ...Option) ghost.Option {
	cfg := config{}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	if cfg.prop == nil {
		cfg.prop = otel.GetTextMapPropagator()
	}
	in, err := newInstruments(cfg)
	if err != nil {
		return failing[ghost.Option](err)
	}
	return join(ghost.WithCallHook(in.startCall), ghost.WithTransportMiddleware(in.wrap))
}

// join makes one option of several; failing makes an option that fails.
// (ghost.Option's parameter type is unexported: type inference names it.)
func join[F ~func(C) error, C any](fs ...F) F {
	return func(c C) error {
		for _, f := range fs {
			if err := f(c); err != nil {
				return err
			}
		}
		return nil
	}
}

func failing[F ~func(C) error, C any](err error) F {
	return func(C) error { return err }
}

type instruments struct {
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	duration metric.Float64Histogram
	attempts metric.Int64Counter
	retries  metric.Int64Counter
	waits    metric.Float64Counter
}

func newInstruments(cfg config) (*instruments, error) {
	m := cfg.mp.Meter(ScopeName)
	in := &instruments{tracer: cfg.tp.Tracer(ScopeName), prop: cfg.prop}
	var err error
	if in.duration, err = m.Float64Histogram("ghost.client.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of logical SDK calls, retries and waits included.")); err != nil {
		return nil, err
	}
	if in.attempts, err = m.Int64Counter("ghost.client.attempts", metric.WithUnit("{attempt}"),
		metric.WithDescription("HTTP requests sent by SDK calls, retries and redirects included.")); err != nil {
		return nil, err
	}
	if in.retries, err = m.Int64Counter("ghost.client.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Attempts that repeated a failed one.")); err != nil {
		return nil, err
	}
	if in.waits, err = m.Float64Counter("ghost.client.wait.duration", metric.WithUnit("s"),
		metric.WithDescription("Time SDK calls spent waiting: for Retry-After, for backoff, for the limiter.")); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *instruments) startCall(ctx context.Context, info ghost.CallInfo) (context.Context, func(ghost.CallResult)) {
	host, port := hostPort(info.Host, "")
	attrs := []attribute.KeyValue{
		AttrOperation.String(info.Operation),
		AttrPart.String(string(info.Part)),
		keyMethod.String(info.Method),
		keyServerAddr.String(host),
		keyURLTemplate.String(info.URLTemplate),
	}
	if port > 0 {
		attrs = append(attrs, keyServerPort.Int(port))
	}
	ctx, span := in.tracer.Start(ctx, "ghost."+info.Operation,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx, func(r ghost.CallResult) {
		span.SetAttributes(AttrAttempts.Int(r.Attempts), AttrRetries.Int(r.Retries))
		if r.StatusCode > 0 {
			span.SetAttributes(keyStatus.Int(r.StatusCode))
		}
		common := []attribute.KeyValue{AttrOperation.String(info.Operation), AttrPart.String(string(info.Part))}
		outcome := append(common, AttrOutcome.String("success"))
		if r.Err != nil {
			span.SetAttributes(keyErrorType.String(r.ErrorKind))
			// The kind, not the message: messages hold paths, and paths ids.
			span.SetStatus(codes.Error, r.ErrorKind)
			outcome = append(common, AttrOutcome.String("error"), keyErrorType.String(r.ErrorKind))
		}
		span.End()

		// A context that carries the span lets exemplars link to it; the
		// call's context may be over, so keep only its values.
		mctx := context.WithoutCancel(ctx)
		in.duration.Record(mctx, r.Duration.Seconds(), metric.WithAttributes(outcome...))
		set := metric.WithAttributeSet(attribute.NewSet(common...))
		if r.Attempts > 0 {
			in.attempts.Add(mctx, int64(r.Attempts), set)
			in.retries.Add(mctx, int64(r.Retries), set)
		}
		for _, w := range []struct {
			reason string
			d      time.Duration
		}{
			{"retry_after", r.RetryAfterWait},
			{"backoff", r.RetryWait - r.RetryAfterWait},
			{"limiter", r.LimiterWait},
		} {
			if w.d > 0 {
				in.waits.Add(mctx, w.d.Seconds(), metric.WithAttributes(append(common, AttrWaitReason.String(w.reason))...))
			}
		}
	}
}

// wrap is the transport middleware: one span per attempt.
func (in *instruments) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripper{in: in, next: next}
}

type roundTripper struct {
	in   *instruments
	next http.RoundTripper
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	a, ok := ghost.AttemptFromContext(req.Context())
	if !ok {
		return t.next.RoundTrip(req)
	}
	host, port := hostPort(req.URL.Host, req.URL.Scheme)
	template := a.URLTemplate
	if req.URL.Host != a.Host {
		// A redirect hop to another host: its path is not the call's.
		template = ""
	}
	attrs := []attribute.KeyValue{
		keyMethod.String(req.Method),
		keyServerAddr.String(host),
		keyServerPort.Int(port),
	}
	name := req.Method
	if template != "" {
		attrs = append(attrs, keyURLTemplate.String(template))
		name += " " + template
	}
	if a.Number > 1 {
		attrs = append(attrs, keyResendCount.Int(a.Number-1))
	}
	ctx, span := t.in.tracer.Start(req.Context(), name,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))

	// A RoundTripper must not change the request it is given: the trace
	// context goes on a copy.
	out := req.Clone(ctx)
	t.in.prop.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		kind := ghost.ErrorKind(err)
		if ctx.Err() != nil {
			kind = ghost.ErrorKind(ctx.Err())
		}
		span.SetAttributes(keyErrorType.String(kind))
		span.SetStatus(codes.Error, kind)
		span.End()
		return resp, err
	}
	span.SetAttributes(keyStatus.Int(resp.StatusCode))
	if resp.StatusCode >= 400 {
		kind := strconv.Itoa(resp.StatusCode)
		span.SetAttributes(keyErrorType.String(kind))
		span.SetStatus(codes.Error, kind)
	}
	// The attempt lasts until its body is read (an export file streams for
	// minutes): the span ends at the body's end, its error, or Close.
	resp.Body = &spanBody{ReadCloser: resp.Body, span: span}
	return resp, nil
}

// spanBody ends an attempt's span when its body ends.
type spanBody struct {
	io.ReadCloser
	span trace.Span
	once sync.Once
}

func (b *spanBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		if err != io.EOF {
			kind := ghost.ErrorKind(err)
			b.span.SetAttributes(keyErrorType.String(kind))
			b.span.SetStatus(codes.Error, kind)
		}
		b.end()
	}
	return n, err
}

func (b *spanBody) Close() error {
	err := b.ReadCloser.Close()
	b.end()
	return err
}

func (b *spanBody) end() { b.once.Do(func() { b.span.End() }) }

// hostPort splits host[:port]; without a port it is the scheme's default
// (0 when the scheme is unknown too).
func hostPort(hp, scheme string) (string, int) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		switch scheme {
		case "https":
			return hp, 443
		case "http":
			return hp, 80
		}
		return hp, 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}
