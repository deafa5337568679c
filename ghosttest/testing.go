package ghosttest

import (
	"testing"
)

// New starts a mock server for the test t, closes it when the test ends
// and, at that point, reports through t.Errorf every request the mock
// answered 501 Not Implemented (a route it does not model) or with a 5xx
// that no injected fault and no configured behaviour (the export service's
// hours or concurrency limit) asked for: a test that strays off the modelled
// API fails loudly instead of passing on a fake answer.
//
// Use NewServer or Start outside tests.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("ghosttest: %v", err)
	}
	t.Cleanup(func() {
		s.Close() // waits for requests in flight
		for _, rq := range s.unexpectedAnswers() {
			t.Errorf("ghosttest: %s %s was answered %d: the mock does not model it or failed (inject a Fault for a deliberate error)",
				rq.Method, rq.Path, rq.Status)
		}
	})
	return s
}

// unexpectedStatus reports a 501, or a 5xx that was neither injected nor
// asked for by the configuration.
func unexpectedStatus(rq RecordedRequest) bool {
	if rq.Injected || rq.Expected {
		return false
	}
	return rq.Status >= 500
}
