package ghost

import (
	"time"

	"golang.org/x/time/rate"
)

// CheckoutRateLimit is the Checkout API's documented limit: 100 requests per
// minute per client.
const CheckoutRateLimit = 100

// WithCheckoutRateLimit turns on a client-side limiter preset to the Checkout
// API's documented 100 requests per minute: one request every 600 ms, with a
// burst of 1. The burst is 1 on purpose: a token bucket of rate r and burst b
// lets b + 100 requests through in a minute, and the server counts every
// minute, so any larger burst can earn a 429. Callers that prefer bursts and
// rely on the retry of 429s (idempotent calls wait for Retry-After) can call
// WithRateLimit with their own numbers instead.
//
// Like WithRateLimit, the limiter is shared by every service of the client;
// give the Checkout services their own client if other traffic must not
// wait for it.
func WithCheckoutRateLimit() Option {
	return WithRateLimit(rate.Every(time.Minute/CheckoutRateLimit), 1)
}
