package ghosttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The control API: what Go tests get from *Server, over plain HTTP for
// tests in any language. It lives under ControlPrefix (/__ghost/) and is off
// unless Config.Control is set (WithControl, ghost-mock -control):
//
//	GET    /__ghost/                the profile and each part's base URL
//	GET    /__ghost/requests        the request log (?path=PREFIX&method=M), credentials redacted
//	DELETE /__ghost/requests        forget the log
//	POST   /__ghost/faults          queue a fault (see controlFault)
//	DELETE /__ghost/faults          remove every queued fault
//	POST   /__ghost/reset           back to the seeded state, clock back to real time
//	GET    /__ghost/clock           the mock's time
//	POST   /__ghost/clock           {"freeze":true} {"set":"RFC 3339"} {"advance":"90s"} {"resume":true}
//
// Answers are JSON; errors are {"error": "…"} with 400, 404 or 405.

func controlError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]any{"error": fmt.Sprintf(format, args...)})
}

func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	path := "/" + strings.Trim(strings.TrimPrefix(r.URL.Path, ControlPrefix), "/")
	route := map[string]map[string]func(http.ResponseWriter, *http.Request){
		"/":         {"GET": s.ctlIndex},
		"/requests": {"GET": s.ctlRequests, "DELETE": func(w http.ResponseWriter, _ *http.Request) { s.ResetRequests(); w.WriteHeader(http.StatusNoContent) }},
		"/faults":   {"POST": s.ctlFault, "DELETE": func(w http.ResponseWriter, _ *http.Request) { s.ClearFaults(); w.WriteHeader(http.StatusNoContent) }},
		"/reset":    {"POST": func(w http.ResponseWriter, _ *http.Request) { s.Reset(); w.WriteHeader(http.StatusNoContent) }},
		"/clock":    {"GET": s.ctlClock, "POST": s.ctlClock},
	}[path]
	if route == nil {
		controlError(w, http.StatusNotFound, "%s is not a control endpoint", r.URL.Path)
		return
	}
	h := route[r.Method]
	if h == nil {
		var allow []string
		for _, m := range []string{"GET", "POST", "DELETE"} {
			if route[m] != nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		controlError(w, http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
		return
	}
	h(w, r)
}

func (s *Server) ctlIndex(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"profile": s.Config.Profile, "baseURLs": s.BaseURLs()})
}

// controlRequest is one logged request as the control API shows it.
type controlRequest struct {
	Method   string              `json:"method"`
	Path     string              `json:"path"`
	Query    string              `json:"query"`
	Header   map[string][]string `json:"headers"`
	Body     string              `json:"body"`
	Time     time.Time           `json:"time"`
	Status   int                 `json:"status"`
	Injected bool                `json:"injected"`
}

// credentialHeaders are the headers carrying credentials; the control API
// shows them as "[redacted]".
var credentialHeaders = []string{"Authorization", "X-Api-Key", "X-Ac-Auth-Token", "Stripe-Signature", "Cookie", "Proxy-Authorization"}

func (s *Server) ctlRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	path, method := q.Get("path"), strings.ToUpper(q.Get("method"))
	out := []controlRequest{}
	for _, rq := range s.Requests() {
		if path != "" && !strings.HasPrefix(rq.Path, path) || method != "" && rq.Method != method {
			continue
		}
		h := rq.Header.Clone()
		for _, name := range credentialHeaders {
			if _, ok := h[name]; ok {
				h[name] = []string{"[redacted]"}
			}
		}
		out = append(out, controlRequest{
			Method: rq.Method, Path: rq.Path, Query: rq.RawQuery, Header: h, Body: string(rq.Body),
			Time: rq.Time, Status: rq.Status, Injected: rq.Injected,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

// controlFault is the body of POST /__ghost/faults: the fields of Fault.
type controlFault struct {
	Method     string            `json:"method"`     // match this method only
	Path       string            `json:"path"`       // match paths with this prefix
	Count      int               `json:"count"`      // requests it applies to (default 1)
	Delay      string            `json:"delay"`      // wait before answering, e.g. "250ms"
	Status     int               `json:"status"`     // answer with this status
	RetryAfter string            `json:"retryAfter"` // Retry-After sent with status
	Body       string            `json:"body"`       // body sent with status
	EmptyBody  bool              `json:"emptyBody"`  // send status with no body
	Headers    map[string]string `json:"headers"`    // extra headers sent with status
	Reset      bool              `json:"reset"`      // close the connection without answering
	Truncate   bool              `json:"truncate"`   // serve, then send half the body and close
}

func (s *Server) ctlFault(w http.ResponseWriter, r *http.Request) {
	var cf controlFault
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		controlError(w, http.StatusBadRequest, "fault: %v", err)
		return
	}
	f := Fault{Method: strings.ToUpper(cf.Method), PathPrefix: cf.Path, Times: cf.Count, Status: cf.Status,
		RetryAfter: cf.RetryAfter, Body: cf.Body, EmptyBody: cf.EmptyBody, Drop: cf.Reset, CutBody: cf.Truncate}
	if cf.Delay != "" {
		d, err := time.ParseDuration(cf.Delay)
		if err != nil || d < 0 || d > time.Minute {
			controlError(w, http.StatusBadRequest, "fault: delay %q must be a duration between 0 and 1m, e.g. \"250ms\"", cf.Delay)
			return
		}
		f.Latency = d
	}
	switch {
	case cf.Count < 0:
		controlError(w, http.StatusBadRequest, "fault: count must not be negative")
		return
	case cf.Status != 0 && (cf.Status < 200 || cf.Status > 599):
		controlError(w, http.StatusBadRequest, "fault: status %d is not an HTTP status", cf.Status)
		return
	case cf.Status == 0 && !cf.Reset && !cf.Truncate && f.Latency == 0:
		controlError(w, http.StatusBadRequest, "fault: give a status, reset, truncate or delay")
		return
	case cf.Path != "" && !strings.HasPrefix(cf.Path, "/"):
		controlError(w, http.StatusBadRequest, "fault: path must start with /")
		return
	}
	if len(cf.Headers) > 0 {
		f.Header = http.Header{}
		for k, v := range cf.Headers {
			f.Header.Set(k, v)
		}
	}
	s.InjectFault(f)
	if cf.Count == 0 {
		cf.Count = 1
	}
	cf.Method = f.Method
	writeJSON(w, http.StatusCreated, cf)
}

// controlClock is the body of POST /__ghost/clock and the answer of both
// clock endpoints.
type controlClock struct {
	Freeze  bool   `json:"freeze,omitempty"`
	Resume  bool   `json:"resume,omitempty"`
	Set     string `json:"set,omitempty"`
	Advance string `json:"advance,omitempty"`
}

func (s *Server) ctlClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var cc controlClock
		body := bytes.NewBuffer(nil)
		body.ReadFrom(r.Body)
		dec := json.NewDecoder(body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cc); err != nil {
			controlError(w, http.StatusBadRequest, "clock: %v", err)
			return
		}
		var at time.Time
		var adv time.Duration
		if cc.Set != "" {
			t, err := time.Parse(time.RFC3339Nano, cc.Set)
			if err != nil {
				controlError(w, http.StatusBadRequest, "clock: set %q is not an RFC 3339 time", cc.Set)
				return
			}
			at = t
		}
		if cc.Advance != "" {
			d, err := time.ParseDuration(cc.Advance)
			if err != nil || d < 0 {
				controlError(w, http.StatusBadRequest, "clock: advance %q must be a non-negative duration, e.g. \"90s\"", cc.Advance)
				return
			}
			adv = d
		}
		if !cc.Freeze && !cc.Resume && cc.Set == "" && cc.Advance == "" || cc.Freeze && cc.Resume {
			controlError(w, http.StatusBadRequest, "clock: give freeze, resume, set or advance")
			return
		}
		switch {
		case !at.IsZero():
			s.Clock.Set(at)
		case cc.Freeze:
			s.Clock.Freeze()
		}
		s.Clock.Advance(adv)
		if cc.Resume {
			s.Clock.Resume()
		}
	}
	now, frozen := s.Clock.state()
	writeJSON(w, http.StatusOK, map[string]any{"now": now.Format(time.RFC3339Nano), "frozen": frozen})
}

// Reset brings the mock back to its seeded state: every part's data, the
// id sequences, idempotency keys, the request log and queued faults are
// as they were at start, and the clock follows real time again.
// SetExportFileBase and the configuration are kept.
func (s *Server) Reset() {
	s.ResetRequests()
	s.mu.Lock()
	s.faults, s.ids = nil, make(map[string]int)
	s.mu.Unlock()
	s.idem.mu.Lock()
	s.idem.seen, s.idem.replays = nil, 0
	s.idem.mu.Unlock()
	s.Clock.reset()
	s.st.Store(s.build())
}

// BaseURLs maps each part the server serves to the base URL its documented
// paths live under (GET {base}/api/v1/customers …). Under ProfileAll the
// Komoju and Spark parts, whose paths collide with the Ghost part's, have
// their own prefixes (KomojuPrefix, SparkPrefix); every other part is at
// the server's URL.
func (s *Server) BaseURLs() map[Profile]string {
	if s.Config.Profile != ProfileAll {
		return map[Profile]string{s.Config.Profile: s.URL}
	}
	return map[Profile]string{
		ProfileGhost:    s.URL,
		ProfileCheckout: s.URL,
		ProfileClover:   s.URL,
		ProfileKomoju:   s.URL + KomojuPrefix,
		ProfileSparkPay: s.URL + SparkPrefix,
	}
}

// BaseURL is the base URL of one part (see BaseURLs), or "" when the
// server does not serve it.
func (s *Server) BaseURL(part Profile) string { return s.BaseURLs()[part] }
