package ghosttest

import (
	"bytes"
	"crypto/sha256"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
)

// idemStore remembers the first response to each idempotency key.
type idemStore struct {
	mu      sync.Mutex // held while a keyed request runs: keyed requests are serialised
	seen    map[string]idemRecord
	replays int
}

type idemRecord struct {
	bodyHash [32]byte
	status   int
	header   http.Header
	body     []byte
}

// idempotent wraps a POST handler so a request carrying header (e.g.
// "Idempotency-Key") runs once per key and path: a repeat with the same body
// gets the first response again, with "Idempotent-Replayed: true"; a repeat
// with another body is answered by conflict. Requests without the header run
// as usual.
func (s *Server) idempotent(header string, conflict http.HandlerFunc, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(header)
		if key == "" {
			h(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		k := header + "\x00" + r.Method + " " + r.URL.Path + "\x00" + key

		st := &s.idem
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.seen == nil {
			st.seen = make(map[string]idemRecord)
		}
		if rec, ok := st.seen[k]; ok {
			if rec.bodyHash != sum {
				conflict(w, r)
				return
			}
			st.replays++
			maps.Copy(w.Header(), rec.header)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(rec.status)
			w.Write(rec.body)
			return
		}
		rr := httptest.NewRecorder()
		h(rr, r)
		res := rr.Result()
		if res.StatusCode < 500 {
			st.seen[k] = idemRecord{bodyHash: sum, status: res.StatusCode, header: res.Header.Clone(), body: rr.Body.Bytes()}
		}
		maps.Copy(w.Header(), res.Header)
		w.WriteHeader(res.StatusCode)
		w.Write(rr.Body.Bytes())
	}
}

// IdempotentReplays returns how many requests were answered by replaying the
// response to an earlier request with the same idempotency key.
func (s *Server) IdempotentReplays() int {
	s.idem.mu.Lock()
	defer s.idem.mu.Unlock()
	return s.idem.replays
}
