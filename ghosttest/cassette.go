package ghosttest

// Cassettes: exchanges with the API's parts, recorded by the ghost command's
// proxy (ghost proxy --record DIR) and served back by Replay and
// ghost-mock -replay DIR. The format, its redaction rules and its matching
// rules are defined here, once, for the recorder and the replayer alike.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ghost "github.com/ghostanalytics/ghost-go"
)

// CassetteVersion is the version of the cassette format this package
// writes and reads.
const CassetteVersion = 1

// Redacted replaces every secret in a cassette. Replay treats a recorded
// value that reads Redacted as matching any value.
const Redacted = "[redacted]"

// CassetteHeader names the cassette an exchange belongs to: the proxy
// records a request that carries it into that cassette (and does not
// forward the header), and a replay server serves such a request from that
// cassette only. RecordAs sets it on every request of a client.
const CassetteHeader = "X-Ghost-Cassette"

// CassetteFilesPath is where a recording proxy and a replay server serve
// export files: the files a DONE export lists are rewritten to
// CassetteFilesPath + cassette + "/" + n, so that replay can serve them.
const CassetteFilesPath = "/__cassette/files/"

// CassetteURLScheme starts the URLs a cassette stores instead of the hosts
// they were recorded on. cassette://PART/… is a URL under the part's base
// URL (Spark's next_page, for one); cassette://files/NAME/N is export file
// N of cassette NAME. Whoever serves the cassette puts its own base URLs
// back.
const CassetteURLScheme = "cassette://"

// cassetteFilesHost is the host of the export files' cassette URLs.
const cassetteFilesHost = "files"

// Cassette is a recorded session: the exchanges of one test, or of one run
// of the proxy, in the order they were made. Its JSON is meant to be read
// and diffed: two-space indent, object keys sorted, bodies as JSON values.
type Cassette struct {
	Name         string        `json:"cassette"`
	Version      int           `json:"version"`
	Interactions []Interaction `json:"interactions"`
}

// Interaction is one recorded exchange.
type Interaction struct {
	Seq int `json:"seq"` // from 1, in the order the exchanges were made
	// At is when the request was made; replay's clock follows it.
	At   time.Time  `json:"at"`
	Part ghost.Part `json:"part"`
	// Operation is the contract's operationId of the exchange, "" when no
	// operation of openapi/ghost.yaml matches it.
	Operation string `json:"operation,omitempty"`
	// Upstream is, for an export file, the URL it was fetched from, with
	// every query value redacted (its signature).
	Upstream string           `json:"upstream,omitempty"`
	Request  CassetteRequest  `json:"request"`
	Response CassetteResponse `json:"response"`
}

// CassetteRequest is a recorded request. Path is relative to the part's
// base URL (the API's documented path); an export file's path is under
// CassetteFilesPath.
type CassetteRequest struct {
	Method string `json:"method"`
	Path   string `json:"path"` // escaped, as sent
	// Template is the contract's path template of the operation
	// ("/api/v1/customers/{customerId}"); replay matches a path against it.
	Template string         `json:"template,omitempty"`
	Query    string         `json:"query,omitempty"` // raw, redacted
	Header   RecordedHeader `json:"headers,omitempty"`
	CassetteBody
}

// CassetteResponse is a recorded response.
type CassetteResponse struct {
	Status int            `json:"status"`
	Header RecordedHeader `json:"headers,omitempty"`
	CassetteBody
}

// RecordedHeader is a recorded header: an http.Header whose JSON writes a
// single value as a string and several as an array.
type RecordedHeader http.Header

// Get is http.Header's Get.
func (h RecordedHeader) Get(key string) string { return http.Header(h).Get(key) }

// MarshalJSON writes each single value as a string, keys sorted.
func (h RecordedHeader) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(h))
	for k, vs := range h {
		if len(vs) == 1 {
			m[k] = vs[0]
		} else {
			m[k] = vs
		}
	}
	return encodeJSON(m)
}

// UnmarshalJSON reads a string or an array of strings for each name.
func (h *RecordedHeader) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*h = RecordedHeader{}
	for k, raw := range m {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			(*h)[k] = []string{one}
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			return fmt.Errorf("header %s: want a string or an array of strings", k)
		}
		(*h)[k] = many
	}
	return nil
}

// CassetteBody is a recorded body, in the first form that holds it: a
// JSON value, else text, else base64. Empty bodies are left out.
type CassetteBody struct {
	JSON   json.RawMessage `json:"body,omitempty"`
	Text   string          `json:"bodyText,omitempty"`
	Base64 string          `json:"bodyBase64,omitempty"`
}

// Bytes is the body as it goes on the wire (a JSON body compacted).
func (b CassetteBody) Bytes() ([]byte, error) {
	switch {
	case len(b.JSON) > 0:
		var out bytes.Buffer
		if err := json.Compact(&out, b.JSON); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	case b.Base64 != "":
		return base64.StdEncoding.DecodeString(b.Base64)
	}
	return []byte(b.Text), nil
}

func (b CassetteBody) check() error {
	n := 0
	for _, set := range []bool{len(b.JSON) > 0, b.Text != "", b.Base64 != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("more than one of body, bodyText and bodyBase64")
	}
	_, err := b.Bytes()
	return err
}

// CassetteError is a cassette that cannot be read or written.
type CassetteError struct {
	Path string // the file
	Seq  int    // the interaction at fault, 0 for the whole cassette
	Err  error
}

func (e *CassetteError) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("cassette %s: interaction %d: %v", e.Path, e.Seq, e.Err)
	}
	return fmt.Sprintf("cassette %s: %v", e.Path, e.Err)
}

func (e *CassetteError) Unwrap() error { return e.Err }

// CassetteName is the cassette name of a test: its name with every
// character other than letters, digits, '.', '_' and '-' replaced by '_'
// ("TestTour/live" is "TestTour_live").
func CassetteName(t testing.TB) string { return cassetteName(t.Name()) }

func cassetteName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !nameChar(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// ValidCassetteName reports whether name can name a cassette: 1 to 128
// letters, digits, '.', '_' or '-', not starting with '.'.
func ValidCassetteName(name string) bool {
	if name == "" || len(name) > 128 || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameChar(name[i]) {
			return false
		}
	}
	return true
}

// CassettePath is the file of cassette name in dir: dir/name.json.
func CassettePath(dir, name string) string { return filepath.Join(dir, name+".json") }

// Encode renders the cassette as its file holds it.
func (c *Cassette) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // URLs keep their & and readers their < >
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the cassette to path atomically (a file beside it, renamed).
func (c *Cassette) Save(path string) error {
	b, err := c.Encode()
	if err != nil {
		return &CassetteError{Path: path, Err: err}
	}
	return writeAtomic(path, b)
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return &CassetteError{Path: path, Err: err}
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return &CassetteError{Path: path, Err: err}
	}
	return nil
}

// LoadCassette reads and checks a cassette file. Unknown fields, another
// version, an unknown part, a path that is not absolute or a status that is
// not HTTP's are errors (*CassetteError), not silently skipped.
func LoadCassette(path string) (*Cassette, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &CassetteError{Path: path, Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Cassette
	if err := dec.Decode(&c); err != nil {
		return nil, &CassetteError{Path: path, Err: err}
	}
	if dec.More() {
		return nil, &CassetteError{Path: path, Err: errors.New("data after the cassette")}
	}
	if err := c.check(); err != nil {
		var ce *CassetteError
		if errors.As(err, &ce) {
			ce.Path = path
			return nil, ce
		}
		return nil, &CassetteError{Path: path, Err: err}
	}
	return &c, nil
}

var cassetteParts = []ghost.Part{ghost.PartGhost, ghost.PartKomoju, ghost.PartCheckout, ghost.PartSpark, ghost.PartExports}

func (c *Cassette) check() error {
	switch {
	case c.Version != CassetteVersion:
		return fmt.Errorf("version %d; this ghosttest reads version %d", c.Version, CassetteVersion)
	case !ValidCassetteName(c.Name):
		return fmt.Errorf("cassette name %q: want letters, digits, '.', '_' or '-'", c.Name)
	}
	for i, in := range c.Interactions {
		bad := func(format string, args ...any) error {
			return &CassetteError{Seq: in.Seq, Err: fmt.Errorf(format, args...)}
		}
		switch {
		case in.Seq != i+1:
			return &CassetteError{Seq: i + 1, Err: fmt.Errorf("seq is %d; interactions are numbered from 1 in order", in.Seq)}
		case !slices.Contains(cassetteParts, in.Part):
			return bad("unknown part %q", in.Part)
		case in.Request.Method == "" || strings.ContainsAny(in.Request.Method, " /"):
			return bad("method %q", in.Request.Method)
		case !strings.HasPrefix(in.Request.Path, "/"):
			return bad("path %q does not start with /", in.Request.Path)
		case in.Request.Template != "" && !strings.HasPrefix(in.Request.Template, "/"):
			return bad("template %q does not start with /", in.Request.Template)
		case in.Response.Status < 100 || in.Response.Status > 599:
			return bad("status %d", in.Response.Status)
		}
		if err := in.Request.check(); err != nil {
			return bad("request: %v", err)
		}
		if err := in.Response.check(); err != nil {
			return bad("response: %v", err)
		}
	}
	return nil
}

// LoadCassettes reads every cassette (*.json) in dir, in name order. Two
// files holding the same cassette name are an error.
func LoadCassettes(dir string) ([]*Cassette, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &CassetteError{Path: dir, Err: err}
	}
	var out []*Cassette
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		c, err := LoadCassette(path)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[c.Name]; ok {
			return nil, &CassetteError{Path: path, Err: fmt.Errorf("cassette %q is also in %s", c.Name, prev)}
		}
		seen[c.Name] = path
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, &CassetteError{Path: dir, Err: fmt.Errorf("no cassette (*.json) in the directory: %w", fs.ErrNotExist)}
	}
	return out, nil
}

// newCassetteBody stores body in the first form that holds it: JSON (for a
// JSON content type or a body that parses as JSON), text, base64. The
// body is redacted first.
func newCassetteBody(r *Redactor, contentType string, body []byte) CassetteBody {
	if len(body) == 0 {
		return CassetteBody{}
	}
	if v, ok := decodeOrdered(body); ok {
		b, err := encodeOrdered(r.value("", v))
		if err == nil {
			return CassetteBody{JSON: b}
		}
	}
	if isForm(contentType) {
		return CassetteBody{Text: r.form(string(body))}
	}
	if utf8.Valid(body) {
		return CassetteBody{Text: r.text(string(body))}
	}
	if r.holdsSecret(body) {
		return CassetteBody{Text: Redacted}
	}
	return CassetteBody{Base64: base64.StdEncoding.EncodeToString(body)}
}

func isForm(contentType string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "application/x-www-form-urlencoded")
}

// encodeJSON encodes v compactly, without HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
