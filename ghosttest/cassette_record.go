package ghosttest

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

// Exchange is one exchange as a recording proxy saw it, before redaction:
// what CassetteRecorder.Record turns into an Interaction.
type Exchange struct {
	At        time.Time
	Part      ghost.Part
	Operation string // the contract's operationId, "" when none matched
	Template  string // the operation's path template
	// BaseURL is the part's base URL upstream: absolute URLs under it in
	// the response (Spark's next_page, a Location) are stored as
	// cassette://PART/….
	BaseURL string
	// Files maps the export file URLs the response lists to their paths
	// under CassetteFilesPath; they are stored as cassette://files/….
	Files map[string]string
	// File is set on the download of an export file: the URL it was
	// fetched from upstream (Path is then its path under CassetteFilesPath).
	File string

	Method   string
	Path     string // relative to the part's base URL, escaped
	RawQuery string

	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// CassetteRecorder writes exchanges to cassettes in a directory, one file
// per cassette name (CassettePath), redacted by its Redactor before
// anything is written. The file is rewritten after every exchange, so a
// recording cut short is still a valid cassette. Safe for concurrent use.
type CassetteRecorder struct {
	dir string
	red *Redactor

	mu        sync.Mutex
	cassettes map[string]*Cassette
}

// NewCassetteRecorder records into dir (created if missing) with r's
// redaction rules (nil: the rules with no literal secrets).
func NewCassetteRecorder(dir string, r *Redactor) (*CassetteRecorder, error) {
	if r == nil {
		r = &Redactor{}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &CassetteError{Path: dir, Err: err}
	}
	return &CassetteRecorder{dir: dir, red: r, cassettes: map[string]*Cassette{}}, nil
}

// ErrSecretInCassette reports a cassette that would have held one of the
// Redactor's literal secrets after redaction: it is not written.
var ErrSecretInCassette = errors.New("a secret would be written to the cassette")

// Record appends ex to the cassette name and writes the cassette's file.
// The first exchange recorded under a name replaces any file of that name.
func (rec *CassetteRecorder) Record(name string, ex Exchange) error {
	if !ValidCassetteName(name) {
		return &CassetteError{Path: rec.dir, Err: fmt.Errorf("cassette name %q: want 1 to 128 letters, digits, '.', '_' or '-'", name)}
	}
	in := rec.red.interaction(ex)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	c := rec.cassettes[name]
	if c == nil {
		c = &Cassette{Name: name, Version: CassetteVersion}
		rec.cassettes[name] = c
	}
	in.Seq = len(c.Interactions) + 1
	c.Interactions = append(c.Interactions, in)
	path := CassettePath(rec.dir, name)
	b, err := c.Encode()
	if err == nil && rec.red.holdsSecret(b) {
		err = ErrSecretInCassette
	}
	if err != nil {
		c.Interactions = c.Interactions[:len(c.Interactions)-1]
		return &CassetteError{Path: path, Seq: in.Seq, Err: err}
	}
	return writeAtomic(path, b)
}

// Names lists the cassettes recorded so far.
func (rec *CassetteRecorder) Names() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for n := range rec.cassettes {
		out = append(out, n)
	}
	return out
}

// interaction is ex redacted, its URLs made independent of the hosts it
// was recorded on.
func (r *Redactor) interaction(ex Exchange) Interaction {
	toCassette := func(s string) (string, bool) {
		if p, ok := ex.Files[s]; ok {
			return CassetteURLScheme + cassetteFilesHost + "/" + strings.TrimPrefix(p, CassetteFilesPath), true
		}
		if rest, ok := underBase(s, ex.BaseURL); ok {
			return CassetteURLScheme + string(ex.Part) + rest, true
		}
		return s, false
	}
	respBody, _ := RewriteJSONStrings(ex.ResponseBody, toCassette)
	respHeader := ex.ResponseHeader.Clone()
	if loc := respHeader.Get("Location"); loc != "" {
		if s, ok := toCassette(loc); ok {
			respHeader.Set("Location", s)
		}
	}
	in := Interaction{
		At:        ex.At.UTC(),
		Part:      ex.Part,
		Operation: ex.Operation,
		Request: CassetteRequest{
			Method:       ex.Method,
			Path:         r.text(ex.Path),
			Template:     ex.Template,
			Query:        r.query(ex.RawQuery, ex.File != ""),
			Header:       r.header(ex.RequestHeader),
			CassetteBody: newCassetteBody(r, ex.RequestHeader.Get("Content-Type"), ex.RequestBody),
		},
		Response: CassetteResponse{
			Status:       ex.Status,
			Header:       r.header(respHeader),
			CassetteBody: newCassetteBody(r, respHeader.Get("Content-Type"), respBody),
		},
	}
	if ex.File != "" {
		in.Upstream = r.redactURL(ex.File, true)
	}
	return in
}

// underBase reports whether s is base or a URL under it (base followed by
// /, ? or #), and what follows base.
func underBase(s, base string) (string, bool) {
	base = strings.TrimRight(base, "/")
	if base == "" || !strings.HasPrefix(s, base) {
		return "", false
	}
	rest := s[len(base):]
	if rest == "" || strings.ContainsAny(rest[:1], "/?#") {
		return rest, true
	}
	return "", false
}

// RewriteJSONStrings applies f to every string value of a JSON body (not
// to object keys) and re-encodes the body if f changed any, compactly, its
// keys in their order and its numbers as written. A body that is not a
// JSON object or array is returned as it is. Recording proxies and replay
// servers use it to move URLs between hosts.
func RewriteJSONStrings(body []byte, f func(string) (string, bool)) ([]byte, bool) {
	v, ok := decodeOrdered(body)
	if !ok {
		return body, false
	}
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case *jsonObject:
			for i, e := range x.vals {
				x.vals[i] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			if s, ok := f(x); ok && s != x {
				changed = true
				return s
			}
		}
		return v
	}
	v = walk(v)
	if !changed {
		return body, false
	}
	b, err := encodeOrdered(v)
	if err != nil {
		return body, false
	}
	return b, true
}

// ExportFileURLs lists the file URLs of an export response body: the
// url of each of exportUrls.elements (or of a bare exportUrls array).
func ExportFileURLs(body []byte) []string {
	v, _ := decodeOrdered(body)
	obj, ok := v.(*jsonObject)
	if !ok {
		return nil
	}
	var elems []any
	eu, _ := obj.get("exportUrls")
	switch eu := eu.(type) {
	case *jsonObject:
		e, _ := eu.get("elements")
		elems, _ = e.([]any)
	case []any:
		elems = eu
	}
	var out []string
	for _, e := range elems {
		if m, ok := e.(*jsonObject); ok {
			u, _ := m.get("url")
			if s, ok := u.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// cassetteURL resolves a cassette:// URL for a server: part base URLs and
// the files' base come from base(part) ("" when the server does not serve
// the part).
func cassetteURL(s string, base func(part string) string) (string, bool) {
	rest, ok := strings.CutPrefix(s, CassetteURLScheme)
	if !ok {
		return s, false
	}
	host, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, tail = rest[:i], rest[i:]
	}
	b := base(host)
	if b == "" {
		return s, false
	}
	if host == cassetteFilesHost {
		return b + strings.TrimRight(CassetteFilesPath, "/") + tail, true
	}
	return b + tail, true
}
