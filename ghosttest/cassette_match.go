package ghosttest

import (
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	ghost "github.com/ghostanalytics/ghost-go"
)

// MatchRules say how replay matches a request to a recorded one. The zero
// value is the default:
//
//   - the part must be the recorded one (the base URL the request came in
//     on says which), and the method;
//   - the path must match the recorded operation's path template ({id}
//     stands for any one segment), or equal the recorded path when no
//     template was recorded; a recorded request with exactly the same
//     path is preferred;
//   - the query must hold the recorded parameters and values, in any
//     order, and no others;
//   - the body must equal the recorded one: JSON as values (key order and
//     spacing aside), form bodies as fields, anything else as bytes.
//
// A recorded value that reads Redacted (a secret) matches any value.
// Headers are never compared (idempotency keys and request ids differ on
// every run). Recorded exchanges are served in order: a request takes the
// first matching one not served yet, so repeated polls of an export get
// PENDING, IN_PROGRESS, then DONE as recorded. When every match has been
// served, a GET or HEAD gets the last one again; any other method is a
// miss.
type MatchRules struct {
	// ExactPath requires the recorded path itself, not only its template.
	ExactPath bool
	// IgnoreQuery leaves query strings out of the comparison.
	IgnoreQuery bool
	// IgnoreBody leaves bodies out of the comparison.
	IgnoreBody bool
	// IgnoreFields are JSON body fields (at any depth), form fields and
	// query parameters left out of the comparison: values a test computes
	// from the clock or at random.
	IgnoreFields []string
}

// replayRequest is what replay matches: a request as a server received it.
type replayRequest struct {
	parts       []ghost.Part // the parts the request's base URL serves
	method      string
	path        string // relative to the part's base URL, escaped
	query       string
	contentType string
	body        []byte
	cassette    string // CassetteHeader, "" for any
}

func (rq replayRequest) String() string {
	s := rq.method + " " + rq.path
	if rq.query != "" {
		s += "?" + rq.query
	}
	return s
}

// comparison is how a recorded interaction compares with a request.
type comparison struct {
	part, method, path, query, body bool    // what differs
	exact                           bool    // the path is the recorded one
	pathShare                       float64 // of the path's segments, the share that fits, from the start
	why                             []string
}

func (c comparison) matches() bool { return !c.part && !c.method && !c.path && !c.query && !c.body }

// distance orders interactions for the closest-match report: the path
// weighs most (by how much of it fits), then the method and the part,
// then the query and the body.
func (c comparison) distance() float64 {
	d := 0.0
	if c.path {
		d += 8 * (1 - c.pathShare)
	}
	for _, x := range []struct {
		differs bool
		weight  float64
	}{{c.part, 4}, {c.method, 4}, {c.query, 2}, {c.body, 2}, {!c.exact, 0.5}} {
		if x.differs {
			d += x.weight
		}
	}
	return d
}

func (m *MatchRules) compare(in *Interaction, rq replayRequest) comparison {
	var c comparison
	rec := in.Request
	if !slices.Contains(rq.parts, in.Part) {
		c.part = true
		c.why = append(c.why, fmt.Sprintf("it is a %s request; this base URL serves %s", in.Part, partList(rq.parts)))
	}
	if rec.Method != rq.method {
		c.method = true
		c.why = append(c.why, fmt.Sprintf("method %s, not %s", rec.Method, rq.method))
	}
	c.exact = rec.Path == rq.path
	switch {
	case c.exact:
	case m.ExactPath || rec.Template == "":
		c.path, c.pathShare = true, pathShare(rec.Path, rq.path)
		c.why = append(c.why, fmt.Sprintf("path %s, not %s", rec.Path, rq.path))
	case !matchTemplate(rec.Template, rq.path):
		c.path, c.pathShare = true, pathShare(rec.Template, rq.path)
		c.why = append(c.why, fmt.Sprintf("path %s does not fit the template %s", rq.path, rec.Template))
	}
	if !m.IgnoreQuery {
		if why := compareQuery(rec.Query, rq.query, m.IgnoreFields); why != "" {
			c.query = true
			c.why = append(c.why, "query: "+why)
		}
	}
	if !m.IgnoreBody {
		if why := m.compareBody(rec.CassetteBody, rq); why != "" {
			c.body = true
			c.why = append(c.why, "body: "+why)
		}
	}
	return c
}

func partList(parts []ghost.Part) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// pathShare is the share of segments of the longer of a template (or
// path) and a path that fit, counted from the start.
func pathShare(tmpl, path string) float64 {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	n := 0
	for n < len(ts) && n < len(ps) && segmentFits(ts[n], ps[n]) {
		n++
	}
	return float64(n) / float64(max(len(ts), len(ps)))
}

func segmentFits(t, p string) bool {
	if !strings.Contains(t, "{") {
		return t == p
	}
	return segmentPattern(t).MatchString(p)
}

// matchTemplate reports whether an escaped path fits a path template:
// each {name} stands for one non-empty segment (or part of one).
func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, t := range ts {
		if !segmentFits(t, ps[i]) {
			return false
		}
	}
	return true
}

var templateVar = regexp.MustCompile(`\{[^{}/]*\}`)

// segmentPattern is a template segment as a regular expression.
func segmentPattern(seg string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range templateVar.FindAllStringIndex(seg, -1) {
		b.WriteString(regexp.QuoteMeta(seg[last:loc[0]]))
		b.WriteString(`[^/]+`)
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(seg[last:]))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// compareQuery compares query strings (or form bodies) as sets of
// parameters; "" when they match.
func compareQuery(recorded, got string, ignore []string) string {
	rv, err1 := url.ParseQuery(recorded)
	gv, err2 := url.ParseQuery(got)
	if err1 != nil || err2 != nil {
		if recorded == got {
			return ""
		}
		return fmt.Sprintf("%q, recorded %q", got, recorded)
	}
	for _, f := range ignore {
		rv.Del(f)
		gv.Del(f)
	}
	for _, k := range unionKeys(slices.Collect(maps.Keys(rv)), slices.Collect(maps.Keys(gv)), nil) {
		r, g := rv[k], gv[k]
		switch {
		case len(r) == 0:
			return fmt.Sprintf("%s=%s was not recorded", k, strings.Join(g, ","))
		case len(g) == 0:
			return fmt.Sprintf("%s is missing (recorded %s)", k, strings.Join(r, ","))
		case len(r) != len(g):
			return fmt.Sprintf("%s has %d values, recorded %d", k, len(g), len(r))
		}
		for i := range r {
			if r[i] != Redacted && r[i] != g[i] {
				return fmt.Sprintf("%s is %q, recorded %q", k, g[i], r[i])
			}
		}
	}
	return ""
}

// compareBody compares a request's body with a recorded one; "" when
// they match.
func (m *MatchRules) compareBody(rec CassetteBody, rq replayRequest) string {
	got := rq.body
	switch {
	case len(rec.JSON) > 0:
		want, ok := decodeOrdered(rec.JSON)
		if !ok {
			return "the recorded body is not JSON"
		}
		have, ok := decodeOrdered(got)
		if !ok {
			return fmt.Sprintf("not JSON (%d bytes); a JSON body was recorded", len(got))
		}
		return compareJSON("", want, have, m.IgnoreFields)
	case rec.Text != "" && isForm(rq.contentType):
		return compareQuery(rec.Text, string(got), m.IgnoreFields)
	case rec.Text == Redacted:
		return ""
	}
	want, err := rec.Bytes()
	if err != nil {
		return err.Error()
	}
	if string(want) != string(got) {
		return fmt.Sprintf("%d bytes differ from the %d recorded", len(got), len(want))
	}
	return ""
}

// compareJSON compares decoded JSON values; "" when equal, else where and
// how they differ. Redacted recorded values match anything; ignored
// fields are skipped at any depth.
func compareJSON(at string, want, have any, ignore []string) string {
	if s, ok := want.(string); ok && s == Redacted {
		return ""
	}
	where := at
	if where == "" {
		where = "/"
	}
	switch w := want.(type) {
	case *jsonObject:
		h, ok := have.(*jsonObject)
		if !ok {
			return fmt.Sprintf("at %s: %s, recorded an object", where, jsonKind(have))
		}
		for _, k := range unionKeys(w.keys, h.keys, ignore) {
			wv, inW := w.get(k)
			hv, inH := h.get(k)
			p := at + "/" + k
			switch {
			case !inW:
				return fmt.Sprintf("at %s: not recorded", p)
			case !inH:
				return fmt.Sprintf("at %s: missing", p)
			}
			if d := compareJSON(p, wv, hv, ignore); d != "" {
				return d
			}
		}
		return ""
	case []any:
		h, ok := have.([]any)
		if !ok {
			return fmt.Sprintf("at %s: %s, recorded an array", where, jsonKind(have))
		}
		if len(h) != len(w) {
			return fmt.Sprintf("at %s: %d elements, recorded %d", where, len(h), len(w))
		}
		for i := range w {
			if d := compareJSON(fmt.Sprintf("%s/%d", at, i), w[i], h[i], ignore); d != "" {
				return d
			}
		}
		return ""
	}
	if !scalarEqual(want, have) {
		return fmt.Sprintf("at %s: %s, recorded %s", where, jsonText(have), jsonText(want))
	}
	return ""
}

// unionKeys is the keys of a and b, sorted, each once, the ignored left out.
func unionKeys(a, b, ignore []string) []string {
	keys := slices.Concat(a, b)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	return slices.DeleteFunc(keys, func(k string) bool { return slices.Contains(ignore, k) })
}

func scalarEqual(want, have any) bool {
	wn, ok1 := want.(interface{ String() string })
	hn, ok2 := have.(interface{ String() string })
	if ok1 && ok2 {
		if wn.String() == hn.String() {
			return true
		}
		a, _, err1 := big.ParseFloat(wn.String(), 10, 200, big.ToNearestEven)
		b, _, err2 := big.ParseFloat(hn.String(), 10, 200, big.ToNearestEven)
		return err1 == nil && err2 == nil && a.Cmp(b) == 0
	}
	return want == have
}

func jsonKind(v any) string {
	switch v.(type) {
	case *jsonObject:
		return "an object"
	case []any:
		return "an array"
	case nil:
		return "null"
	}
	return jsonText(v)
}

func jsonText(v any) string {
	b, err := encodeOrdered(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "…"
	}
	return string(b)
}

// replayable reports methods whose recorded answer may be served again
// once every recording of it has been served.
func replayable(method string) bool { return method == http.MethodGet || method == http.MethodHead }
