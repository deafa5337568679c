package ghosttest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

// Replay: a server that answers from cassettes instead of emulating the
// parts. It is a *Server like any other (URL, Client, ClientOptions,
// Environ, the request log, faults, the control API, the clock), laid out
// as its profile says (ProfileAll: Ghost, Checkout and Exports at the URL,
// Komoju under KomojuPrefix, Spark under SparkPrefix), so code pointed at
// the mock or at a recording proxy is pointed at a replay the same way.
//
// Answers are the recorded ones, with three changes so that they work here
// and now: URLs recorded as cassette://… point at this server; Retry-After
// reads 0 (the recorded value is in X-Ghost-Replay-Retry-After), so a
// replayed 429 or 503 costs no real wait; and an export's availableUntil
// is as far from now as it was from the recording, so files recorded last
// week have not expired (a cassette still within its files' lifetime is
// served as recorded). The server's Clock follows the recorded times
// instead: it is set to each answer's time as it is served.

// replaySet is the replay configuration, shared by every build of the
// server's state (Reset starts the cassettes over; misses are kept).
type replaySet struct {
	on        bool
	cassettes []*Cassette
	rules     MatchRules

	mu      sync.Mutex
	misses  []ReplayMiss
	current *replayer // the state's replayer, rebuilt by Reset
}

// WithReplay makes the server replay the cassettes instead of emulating
// the API: see Replay. Several cassettes are served side by side; a
// request carrying CassetteHeader is matched in that cassette only.
func WithReplay(cassettes ...*Cassette) Option {
	return func(c *Config) {
		if c.replay == nil {
			c.replay = &replaySet{}
		}
		c.replay.on = true
		c.replay.cassettes = append(c.replay.cassettes, cassettes...)
	}
}

// WithReplayMatch sets how a replay server matches requests to recorded
// ones (default: MatchRules{}). It has no effect without WithReplay.
func WithReplayMatch(rules MatchRules) Option {
	return func(c *Config) {
		if c.replay == nil {
			c.replay = &replaySet{}
		}
		c.replay.rules = rules
	}
}

// Replay starts a server for the test t that replays a cassette: the
// test's own, dir/NAME.json with NAME = CassetteName(t), when dir is a
// directory, else the cassette file dir names. It fails the test at once if
// the cassette cannot be read, closes the server when the test ends and, at
// that point, reports through t.Errorf every request no recorded exchange
// matched (each was answered 501, naming the closest recorded request).
//
//	srv := ghosttest.Replay(t, "testdata/cassettes")
//	cus, err := srv.Client.Customers.Get(ctx, "cus_1")
//
// Record a cassette with the ghost command's proxy (ghost proxy --record
// DIR), the test's client sending CassetteHeader (RecordAs).
func Replay(t testing.TB, dir string, opts ...Option) *Server {
	t.Helper()
	path := dir
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		path = CassettePath(dir, CassetteName(t))
	}
	c, err := LoadCassette(path)
	if err != nil {
		t.Fatalf("ghosttest: %v (record it through ghost proxy --record, the client sending %s: %s)", err, CassetteHeader, CassetteName(t))
	}
	s, err := Start(append(opts, WithReplay(c))...)
	if err != nil {
		t.Fatalf("ghosttest: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		for _, m := range s.ReplayMisses() {
			t.Errorf("ghosttest: replay: %s", m)
		}
	})
	return s
}

// RecordAs returns the client option that names the cassette every
// request of the client is recorded into by a recording proxy (and
// replayed from by a replay server serving several): it sets
// CassetteHeader. Use RecordAs(CassetteName(t)) for a test's own cassette.
func RecordAs(cassette string) ghost.Option {
	return ghost.WithTransportMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set(CassetteHeader, cassette)
			return next.RoundTrip(r)
		})
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ReplayMiss is a request a replay server answered 501 Not Implemented:
// no recorded exchange matched it.
type ReplayMiss struct {
	Method   string
	Path     string // as received, the mount's prefix included
	Query    string
	Cassette string // the CassetteHeader it carried, "" for none
	Reason   string // why nothing matched, naming the closest recorded request
}

func (m ReplayMiss) String() string {
	s := m.Method + " " + m.Path
	if m.Query != "" {
		s += "?" + m.Query
	}
	return s + ": " + m.Reason
}

// ReplayMisses lists the requests no recorded exchange matched, oldest
// first (kept across Reset). It is empty for a server that does not replay.
func (s *Server) ReplayMisses() []ReplayMiss {
	rs := s.Config.replay
	if rs == nil {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return slices.Clone(rs.misses)
}

// ReplayUnused lists the recorded exchanges not served since the server
// started or was last Reset: what a replayed test no longer asks for.
func (s *Server) ReplayUnused() []Interaction {
	rs := s.Config.replay
	if rs == nil {
		return nil
	}
	rs.mu.Lock()
	r := rs.current
	rs.mu.Unlock()
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Interaction
	for _, c := range r.set.cassettes {
		for i := range c.Interactions {
			if r.served[&c.Interactions[i]] == 0 {
				out = append(out, c.Interactions[i])
			}
		}
	}
	return out
}

// replayer serves one build of a replay server's state.
type replayer struct {
	s   *Server
	set *replaySet

	mu     sync.Mutex
	served map[*Interaction]int
}

// replayPart stands for the replayed parts where the router wants a part:
// its errors are in the Ghost part's shape, which the SDK reads for every
// part.
type replayPart struct{}

func (replayPart) routes(*http.ServeMux) {}
func (replayPart) seed(int)              {}
func (replayPart) writeError(w http.ResponseWriter, status int, msg string) {
	// Not HTML-escaped: the message quotes paths and queries for people.
	b, _ := encodeJSON(map[string]any{"message": msg, "status": status, "error": http.StatusText(status)})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// buildReplay is the state of a replay server: every path of each mount
// goes to the replayer, with the parts that mount serves.
func (s *Server) buildReplay() *state {
	r := &replayer{s: s, set: s.Config.replay, served: map[*Interaction]int{}}
	r.set.mu.Lock()
	r.set.current = r
	r.set.mu.Unlock()
	st := &state{parts: map[string]part{}}
	mountOf := func(prefix string, parts ...ghost.Part) *mount {
		m := &mount{prefix: prefix, mux: http.NewServeMux(), shape: func(string) part { return replayPart{} }}
		m.mux.Handle("/", r.handler(parts))
		return m
	}
	if s.Config.Profile == ProfileAll {
		st.mounts = []*mount{
			mountOf(KomojuPrefix, ghost.PartKomoju),
			mountOf(SparkPrefix, ghost.PartSpark),
			mountOf("", ghost.PartGhost, ghost.PartCheckout, ghost.PartExports),
		}
	} else {
		st.mounts = []*mount{mountOf("", partOfProfile[s.Config.Profile])}
	}
	if first := r.firstTime(); !first.IsZero() {
		s.Clock.Set(first)
	}
	return st
}

func (r *replayer) firstTime() time.Time {
	var first time.Time
	for _, c := range r.set.cassettes {
		for _, in := range c.Interactions {
			if !in.At.IsZero() && (first.IsZero() || in.At.Before(first)) {
				first = in.At
			}
		}
	}
	return first
}

func (r *replayer) handler(parts []ghost.Part) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body) // ServeHTTP has read it already
		rq := replayRequest{
			parts: parts, method: req.Method, path: req.URL.EscapedPath(), query: req.URL.RawQuery,
			contentType: req.Header.Get("Content-Type"), body: body, cassette: req.Header.Get(CassetteHeader),
		}
		in, reason := r.match(rq)
		if in == nil {
			miss := ReplayMiss{Method: req.Method, Path: mountPrefix(req) + rq.path, Query: rq.query, Cassette: rq.cassette, Reason: reason}
			r.set.mu.Lock()
			r.set.misses = append(r.set.misses, miss)
			r.set.mu.Unlock()
			w.Header().Set("X-Ghost-Replay", "miss")
			replayPart{}.writeError(w, http.StatusNotImplemented, "ghost-mock replay: "+miss.String())
			return
		}
		r.serve(w, req, in)
	})
}

// match picks the recorded exchange that answers rq (see MatchRules), or
// says why none does.
func (r *replayer) match(rq replayRequest) (*Interaction, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var firstExact, firstAny, lastExact, lastAny *Interaction
	var closest *Interaction
	var closestCmp comparison
	cassettes := 0
	for _, cas := range r.set.cassettes {
		if rq.cassette != "" && cas.Name != rq.cassette {
			continue
		}
		cassettes++
		for i := range cas.Interactions {
			in := &cas.Interactions[i]
			c := r.set.rules.compare(in, rq)
			if !c.matches() {
				if closest == nil || c.distance() < closestCmp.distance() {
					closest, closestCmp = in, c
				}
				continue
			}
			fresh := r.served[in] == 0
			switch {
			case fresh && c.exact && firstExact == nil:
				firstExact = in
			case fresh && firstAny == nil:
				firstAny = in
			}
			if r.served[in] > 0 {
				if c.exact {
					lastExact = in
				}
				lastAny = in
			}
		}
	}
	pick := cmp.Or(firstExact, firstAny)
	if pick == nil && replayable(rq.method) {
		pick = cmp.Or(lastExact, lastAny)
	}
	if pick != nil {
		r.served[pick]++
		return pick, ""
	}
	switch {
	case cassettes == 0:
		return nil, fmt.Sprintf("no cassette named %q is loaded (%s)", rq.cassette, CassetteHeader)
	case lastAny != nil:
		return nil, fmt.Sprintf("every recorded %s %s was served already (last: %s); only GET and HEAD answers are served again", rq.method, rq.path, describeInteraction(lastAny))
	case closest == nil:
		return nil, "the cassette is empty"
	}
	return nil, fmt.Sprintf("no recorded exchange matches; the closest is %s: %s", describeInteraction(closest), strings.Join(closestCmp.why, "; "))
}

func describeInteraction(in *Interaction) string {
	s := fmt.Sprintf("#%d %s %s %s", in.Seq, in.Part, in.Request.Method, in.Request.Path)
	if in.Request.Query != "" {
		s += "?" + in.Request.Query
	}
	if in.Operation != "" {
		s += " (" + in.Operation + ")"
	}
	return s
}

// serve writes the recorded answer, moved to this server and this time.
func (r *replayer) serve(w http.ResponseWriter, req *http.Request, in *Interaction) {
	r.s.Clock.forward(in.At)
	body, err := in.Response.Bytes()
	if err != nil {
		replayPart{}.writeError(w, http.StatusInternalServerError, fmt.Sprintf("ghost-mock replay: interaction %d: %v", in.Seq, err))
		return
	}
	base := func(host string) string { return r.base(req, host) }
	body, _ = RewriteJSONStrings(body, func(s string) (string, bool) { return cassetteURL(s, base) })
	if in.Part == ghost.PartExports {
		body = shiftAvailableUntil(body, in.At, time.Now())
	}
	h := w.Header()
	for k, vs := range in.Response.Header {
		h[k] = slices.Clone(vs)
	}
	if loc := h.Get("Location"); loc != "" {
		if u, ok := cassetteURL(loc, base); ok {
			h.Set("Location", u)
		}
	}
	if ra := h.Get("Retry-After"); ra != "" {
		h.Set("X-Ghost-Replay-Retry-After", ra)
		h.Set("Retry-After", "0")
	}
	h.Set("X-Ghost-Replay", strconv.Itoa(in.Seq))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if in.Response.Status >= 500 {
		markExpected(req) // recorded, not the mock's failure
	}
	w.WriteHeader(in.Response.Status)
	if req.Method != http.MethodHead {
		w.Write(body)
	}
}

// base is the URL a cassette:// host stands for on this server, as the
// request reached it: a part's base URL, or the files' ("" when the
// server does not serve it).
func (r *replayer) base(req *http.Request, host string) string {
	root := requestBase(req)
	if host == cassetteFilesHost {
		if r.s.Config.Profile == ProfileAll || r.s.Config.Profile == ProfileExports {
			return root
		}
		return ""
	}
	u, ok := r.s.BaseURLs()[Profile(host)]
	if !ok {
		return ""
	}
	return root + strings.TrimPrefix(u, r.s.URL)
}

// shiftAvailableUntil keeps an export's availableUntil (epoch ms) as
// recorded while it is in the future, and otherwise moves it to the same
// distance from now as it had from the recording: the SDK compares it with
// its own clock before downloading, and the files of a cassette never
// expire. A cassette replayed within its files' lifetime (24 hours) is
// served byte for byte; an older one still downloads.
func shiftAvailableUntil(body []byte, recorded, now time.Time) []byte {
	if recorded.IsZero() {
		return body
	}
	v, _ := decodeOrdered(body)
	obj, ok := v.(*jsonObject)
	if !ok {
		return body
	}
	au, _ := obj.get("availableUntil")
	n, _ := au.(json.Number)
	ms, err := n.Int64()
	if err != nil || time.UnixMilli(ms).After(now) {
		return body
	}
	obj.set("availableUntil", json.Number(strconv.FormatInt(now.Add(time.UnixMilli(ms).Sub(recorded)).UnixMilli(), 10)))
	b, err := encodeOrdered(obj)
	if err != nil {
		return body
	}
	return b
}

// forward moves a frozen clock to t if t is later (a replay's clock never
// goes back).
func (c *Clock) forward(t time.Time) {
	if t.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen || t.After(c.at) {
		c.frozen, c.at = true, t.UTC()
	}
}
