package ghosttest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Stripe webhook of the checkout part (seed 002: "Stripe webhooks are
// handled at POST /api/webhooks/stripe", for checkout.session.completed and
// payment_intent.succeeded). An event whose data.object names a cart marks
// that cart recovered, so a test can simulate a customer paying through a
// payment link; analytics follow.
//
// The cart is found, in this order, by data.object.metadata.cartId (or
// cart_id), then, for a checkout session, by the payment link it came
// through: its url or payment_link equal to the cart's link, or its id equal
// to the link's session id (cs_test_<cart id>_<n>).
//
// Answers: 200 {"received":true,"cartId","status"} (a repeat of a handled
// event answers the same); 400 BAD_REQUEST for a body that is not a Stripe
// event, another event type or a bad signature; 404 NOT_FOUND when no cart
// matches; 422 VALIDATION_ERROR when the cart has expired. The route needs
// no x-api-key (Stripe does not send one); when Config.StripeWebhookSecret
// is set it needs a valid Stripe-Signature instead.

// StripeSignatureTolerance is how far the timestamp of a Stripe-Signature
// may be from the mock's clock.
const StripeSignatureTolerance = 5 * time.Minute

// The Stripe event types the webhook handles.
const (
	StripeCheckoutSessionCompleted = "checkout.session.completed"
	StripePaymentIntentSucceeded   = "payment_intent.succeeded"
)

type stripeEvent struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	Type   string `json:"type"`
	Data   *struct {
		Object *stripeObject `json:"object"`
	} `json:"data"`
}

type stripeObject struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	URL         string            `json:"url"`
	PaymentLink json.RawMessage   `json:"payment_link"`
	Metadata    map[string]string `json:"metadata"`
}

// StripeSignature is the Stripe-Signature header value for payload sent at
// t, signed with secret the way Stripe signs webhooks:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + payload)>".
func StripeSignature(secret string, t time.Time, payload []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(stripeMAC(secret, ts, payload))
}

// stripeMAC is Stripe's webhook signature: HMAC-SHA256(secret, ts + "." +
// payload).
func stripeMAC(secret, ts string, payload []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(payload)
	return mac.Sum(nil)
}

// verifyStripeSignature checks header against payload; the error says why
// it does not hold.
func verifyStripeSignature(secret, header string, payload []byte, now time.Time) error {
	if header == "" {
		return fmt.Errorf("missing Stripe-Signature header")
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("malformed Stripe-Signature header: want t=<timestamp>,v1=<signature>")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > StripeSignatureTolerance || d < -StripeSignatureTolerance {
		return fmt.Errorf("Stripe-Signature timestamp is outside the tolerance of %v", StripeSignatureTolerance)
	}
	want := stripeMAC(secret, ts, payload)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature in Stripe-Signature matches the payload")
}

func (c *checkout) stripeWebhook(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		coBadRequest(w, "cannot read body")
		return
	}
	payload := buf.Bytes()
	if secret := c.srv.Config.StripeWebhookSecret; secret != "" {
		if err := verifyStripeSignature(secret, r.Header.Get("Stripe-Signature"), payload, c.srv.Clock.Now()); err != nil {
			coBadRequest(w, "webhook signature verification failed: %v", err)
			return
		}
	}
	var ev stripeEvent
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Type == "" || ev.Data == nil || ev.Data.Object == nil {
		coBadRequest(w, "body must be a Stripe event: {\"id\",\"object\":\"event\",\"type\",\"data\":{\"object\":{…}}}")
		return
	}
	if ev.Object != "" && ev.Object != "event" {
		coBadRequest(w, "object must be \"event\"")
		return
	}
	if ev.Type != StripeCheckoutSessionCompleted && ev.Type != StripePaymentIntentSucceeded {
		coBadRequest(w, "unsupported event type %q: this endpoint handles %s and %s",
			ev.Type, StripeCheckoutSessionCompleted, StripePaymentIntentSucceeded)
		return
	}
	obj := ev.Data.Object
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.cartFor(ev.Type, obj)
	if m == nil {
		coNotFound(w)
		return
	}
	switch m.status {
	case "expired":
		coValidationError(w, "cart %s is expired; a payment cannot recover it", m.id)
		return
	case "abandoned":
		m.status = "recovered"
		m.paidLink = m.link
		m.link, m.linkExpires = "", time.Time{}
		m.updatedAt = now
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": true, "cartId": m.id, "status": m.status})
}

// cartFor finds the cart an event's object refers to; c.mu is held.
func (c *checkout) cartFor(typ string, obj *stripeObject) *coCart {
	for _, key := range []string{"cartId", "cart_id"} {
		if id := obj.Metadata[key]; id != "" {
			return c.carts[id]
		}
	}
	if typ != StripeCheckoutSessionCompleted {
		return nil
	}
	var plink string
	_ = json.Unmarshal(obj.PaymentLink, &plink)
	for _, m := range c.carts {
		// A repeated delivery finds the cart by the link it was paid through.
		for _, link := range []string{m.link, m.paidLink} {
			if link == "" {
				continue
			}
			session := link[strings.LastIndex(link, "/")+1:]
			if obj.URL == link || plink == link || (obj.ID != "" && obj.ID == session) {
				return m
			}
		}
	}
	return nil
}

// SendStripeEvent posts a Stripe event of type typ, with object as its
// data.object, to the server's POST /api/webhooks/stripe, signed with
// Config.StripeWebhookSecret when one is set (at the mock's current time),
// and returns the response; the caller closes its body.
func (s *Server) SendStripeEvent(ctx context.Context, typ string, object map[string]any) (*http.Response, error) {
	base := s.BaseURL(ProfileCheckout)
	if base == "" {
		return nil, fmt.Errorf("ghosttest: profile %s does not serve the checkout part", s.Config.Profile)
	}
	payload, err := json.Marshal(map[string]any{
		"id":      s.nextID("evt_test"),
		"object":  "event",
		"type":    typ,
		"created": s.Clock.Now().Unix(),
		"data":    map[string]any{"object": object},
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/webhooks/stripe", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret := s.Config.StripeWebhookSecret; secret != "" {
		req.Header.Set("Stripe-Signature", StripeSignature(secret, s.Clock.Now(), payload))
	}
	return s.hs.Client().Do(req)
}

// CompleteCheckout simulates a customer paying for a cart: it sends a
// signed checkout.session.completed event naming the cart in its metadata,
// and returns an error unless the mock marked the cart recovered.
func (s *Server) CompleteCheckout(ctx context.Context, cartID string) error {
	res, err := s.SendStripeEvent(ctx, StripeCheckoutSessionCompleted, map[string]any{
		"id":             "cs_test_" + cartID,
		"object":         "checkout.session",
		"payment_status": "paid",
		"status":         "complete",
		"metadata":       map[string]string{"cartId": cartID},
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var out struct {
		Status string `json:"status"`
	}
	var body bytes.Buffer
	body.ReadFrom(res.Body)
	if res.StatusCode != http.StatusOK || json.Unmarshal(body.Bytes(), &out) != nil || out.Status != "recovered" {
		return fmt.Errorf("ghosttest: webhook answered %d: %s", res.StatusCode, bytes.TrimSpace(body.Bytes()))
	}
	return nil
}
