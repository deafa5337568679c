package ghosttest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	EmptyBody  bool          // send Status with no body at all
	BodyBytes  int64         // send Status with a JSON body this many bytes long (a huge response)
	Header     http.Header   // extra headers sent with Status (e.g. Location, Content-Type)
	Drop       bool          // close the connection without answering
	// CutBody serves the request for real, then sends the response's headers
	// and only half of its body before closing the connection: the server
	// did the work but the client never sees the whole answer.
	CutBody bool
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
	if f.CutBody {
		return false // ServeHTTP serves it through cutBody
	}
	if f.Status == 0 {
		return false
	}
	for k, vs := range f.Header {
		w.Header()[k] = vs
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch {
	case f.EmptyBody:
		w.WriteHeader(f.Status)
		return true
	case f.BodyBytes > 0:
		writeHuge(w, f.Status, f.BodyBytes)
		return true
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

// writeHuge streams a syntactically plausible JSON body of n bytes.
func writeHuge(w http.ResponseWriter, status int, n int64) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	head, tail := []byte(`{"doc":{"pad":"`), []byte(`"}}`)
	w.Write(head)
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for left := n - int64(len(head)+len(tail)); left > 0; {
		c := chunk
		if int64(len(c)) > left {
			c = c[:left]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		left -= int64(len(c))
	}
	w.Write(tail)
}

// cutBody serves r with h, then sends the headers and half the body and
// drops the connection.
func cutBody(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	body := rec.Body.Bytes()
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", res.StatusCode, http.StatusText(res.StatusCode))
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	res.Header.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(body[:len(body)/2])
	buf.Flush()
}
