package ghosttest

import (
	"net/http"
	"strings"
	"time"
)

// Fault is a misbehaviour the mock applies to the next matching requests.
type Fault struct {
	Method     string        // match this method only ("" matches any)
	PathPrefix string        // match paths with this prefix ("" matches any)
	Times      int           // how many requests it applies to (default 1)
	Latency    time.Duration // wait before answering (then serve normally unless Status/Drop/Body is set)
	Status     int           // answer with this status instead of serving
	RetryAfter string        // Retry-After header sent with Status
	Body       string        // body sent with Status (default a Ghost-shaped error)
	Drop       bool          // close the connection without answering
}

// InjectFault queues f; faults are consumed in the order they were injected.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// takeFault pops the first fault matching r; s.mu is held.
func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if f.Method != "" && f.Method != r.Method {
			continue
		}
		if !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

// apply performs the fault; it reports whether the request was answered.
func (f *Fault) apply(w http.ResponseWriter, r *http.Request) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body != "" {
		w.WriteHeader(f.Status)
		w.Write([]byte(f.Body))
		return true
	}
	writeJSON(w, f.Status, map[string]any{
		"message": "ghost-mock: injected fault",
		"status":  f.Status,
		"error":   http.StatusText(f.Status),
	})
	return true
}
