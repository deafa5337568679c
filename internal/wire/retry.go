package wire

import (
	"math/rand/v2"
	"time"
)

// Backoff returns the wait before retry number attempt (from 0): exponential
// from min, capped at max, with "equal jitter" (half fixed, half random) so a
// fleet of clients does not retry in step. A server's Retry-After, when given
// (retryAfter >= 0), replaces the exponential wait, plus up to 10% jitter,
// capped at max.
func Backoff(min, max time.Duration, attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter >= 0 {
		d := retryAfter + jitter(retryAfter/10)
		if d > max {
			d = max
		}
		return d
	}
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max || d <= 0 {
		d = max
	}
	half := d / 2
	return half + jitter(d-half)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}
