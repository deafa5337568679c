package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contract"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// upstream is where the proxy sends one part, with what credentials.
type upstream struct {
	part    ghost.Part
	base    *url.URL // nil when the part has no base URL (missing says why)
	missing string
	creds   ghost.Credentials
}

type proxyConfig struct {
	upstreams map[ghost.Part]*upstream
	validator *contract.Validator
	recorder  *ghosttest.CassetteRecorder // nil: not recording
	cassette  string                      // the cassette of requests that name none
	log       io.Writer                   // one line per violation
	timeout   time.Duration               // per upstream request (0: none)
	now       func() time.Time
}

// proxy is the handler of ghost proxy.
type proxy struct {
	proxyConfig
	mounts contract.Mounts
	client *http.Client

	mu         sync.Mutex // guards what follows, and log
	checked    int
	violations []violation
	dropped    int
	files      map[string][]string // cassette → export file URLs upstream, file n at n-1
}

// Limits on what the proxy holds in memory.
const (
	maxProxyRequest  = 10 << 20  // a request body
	maxProxyResponse = 256 << 20 // a response body (an export file of 1000 large objects fits)
	maxViolations    = 10000     // kept for /__ghost/violations; older ones are dropped
)

func newProxy(cfg proxyConfig) *proxy {
	if cfg.now == nil {
		cfg.now = time.Now
	}
	p := &proxy{proxyConfig: cfg, mounts: contract.Mounts{}, files: map[string][]string{}}
	for part, up := range cfg.upstreams {
		if up.base != nil {
			p.mounts[part] = up.base.String()
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64 // see PITFALLS.md: net/http keeps 2
	p.client = &http.Client{Transport: t, Timeout: cfg.timeout, CheckRedirect: checkProxyRedirect}
	return p
}

// checkProxyRedirect follows redirects for the client (so that every
// exchange passes the proxy), but a redirect to another origin carries no
// credential: every credential-like header is removed. A redirect of a
// request other than GET or HEAD to another origin is not followed (its
// body would go there): the client gets the 3xx.
func checkProxyRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if sameOrigin(req.URL, via[0].URL) {
		return nil
	}
	if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
		return http.ErrUseLastResponse
	}
	for k := range req.Header {
		if ghosttest.CredentialHeader(k) || k == "Referer" {
			delete(req.Header, k)
		}
	}
	return nil
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// The proxy's own paths.
const (
	controlPrefix  = "/__ghost/"
	violationsPath = controlPrefix + "violations"
)

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == violationsPath:
		p.serveViolations(w, r)
	case path == controlPrefix || path == strings.TrimSuffix(controlPrefix, "/"):
		p.serveIndex(w, r)
	case strings.HasPrefix(path, controlPrefix):
		proxyError(w, http.StatusNotFound, "%s is not a proxy endpoint (%s)", path, violationsPath)
	case strings.HasPrefix(path, ghosttest.CassetteFilesPath):
		p.serveFile(w, r)
	default:
		first, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
		up, ok := p.upstreams[ghost.Part(first)]
		if !ok {
			proxyError(w, http.StatusNotFound, "%s: the proxy serves each part under its own prefix: /ghost, /komoju, /checkout, /spark, /exports", path)
			return
		}
		p.forward(w, r, up, "/"+rest)
	}
}

// proxyError answers in the Ghost part's error shape, which the SDK reads
// for every part, with a header saying the proxy (not the API) answered.
func proxyError(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("X-Ghost-Proxy", "error")
	writeProxyJSON(w, status, map[string]any{"message": "ghost proxy: " + fmt.Sprintf(format, args...), "status": status, "error": http.StatusText(status)})
}

func writeProxyJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// cassetteOf is the cassette a request is recorded into.
func (p *proxy) cassetteOf(r *http.Request) (string, error) {
	name := r.Header.Get(ghosttest.CassetteHeader)
	if name == "" {
		return p.cassette, nil
	}
	if !ghosttest.ValidCassetteName(name) {
		return "", fmt.Errorf("%s %q: want 1 to 128 letters, digits, '.', '_' or '-'", ghosttest.CassetteHeader, name)
	}
	return name, nil
}

// forward sends r, minus the prefix, to the part's upstream with the
// part's credentials; checks, records and answers the exchange.
func (p *proxy) forward(w http.ResponseWriter, r *http.Request, up *upstream, rest string) {
	if up.base == nil {
		proxyError(w, http.StatusBadGateway, "%s", up.missing)
		return
	}
	name, err := p.cassetteOf(r)
	if err != nil {
		proxyError(w, http.StatusBadRequest, "%v", err)
		return
	}
	body, ok := readProxyBody(w, r)
	if !ok {
		return
	}
	target := *up.base
	target.RawPath = up.base.EscapedPath() + rest
	target.Path, err = url.PathUnescape(target.RawPath)
	if err != nil {
		proxyError(w, http.StatusBadRequest, "path %q does not unescape", rest)
		return
	}
	target.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		proxyError(w, http.StatusBadRequest, "%v", err)
		return
	}
	out.Header = forwardHeader(r.Header)
	addCredentials(out.Header, up.part, up.creds)
	ex := ghosttest.Exchange{
		At: p.now(), Part: up.part, BaseURL: up.base.String(), Method: r.Method, Path: rest, RawQuery: r.URL.RawQuery,
		RequestHeader: out.Header.Clone(), RequestBody: body,
	}
	reqRes := p.validator.CheckRequest(r.Context(), p.mounts, up.part, out, body)
	reqRes.Path = rest // the API's path, not the upstream's prefix
	if reqRes.OperationID != "" {
		ex.Operation = reqRes.OperationID
		op, _ := p.validator.Operation(reqRes.OperationID)
		ex.Template = op.URLPath
	}
	p.report(reqRes, "request")
	resp, respBody, err := p.roundTrip(out)
	if err != nil {
		proxyError(w, http.StatusBadGateway, "the %s upstream %s %v", partTitle(up.part), up.base.Host, err)
		return
	}
	if reqRes.OperationID != "" { // else the request's line said it
		res := p.validator.CheckResponse(r.Context(), p.mounts, up.part, out, body, resp, respBody)
		res.Path = rest
		p.report(res, "response")
	}
	ex.Status, ex.ResponseHeader, ex.ResponseBody = resp.StatusCode, resp.Header, respBody
	if up.part == ghost.PartExports {
		ex.Files = map[string]string{}
		for _, u := range ghosttest.ExportFileURLs(respBody) {
			if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") { // the SDK follows no other
				ex.Files[u] = p.filePath(name, u)
			}
		}
	}
	p.record(name, ex)
	p.respond(w, r, up, ex)
}

// readProxyBody reads a request's body, at most maxProxyRequest bytes.
func readProxyBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxProxyRequest+1))
	switch {
	case err != nil:
		proxyError(w, http.StatusBadRequest, "reading the request body: %v", err)
		return nil, false
	case len(body) > maxProxyRequest:
		proxyError(w, http.StatusRequestEntityTooLarge, "request bodies are limited to %d bytes", maxProxyRequest)
		return nil, false
	}
	return body, true
}

// roundTrip sends out and reads the whole answer (at most
// maxProxyResponse bytes). Its error never holds the URL (a signed file
// URL's query is a secret).
func (p *proxy) roundTrip(out *http.Request) (*http.Response, []byte, error) {
	if out.ContentLength == 0 {
		out.Body = http.NoBody
	}
	resp, err := p.client.Do(out)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("did not answer: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxProxyResponse+1))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("answered %d, then the body failed: %w", resp.StatusCode, err)
	case len(b) > maxProxyResponse:
		return nil, nil, fmt.Errorf("answered %d with a body over %d bytes", resp.StatusCode, maxProxyResponse)
	}
	return resp, b, nil
}

// hopHeaders are not forwarded either way (RFC 9110 7.6.1), nor are the
// ones the transport sets itself.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	"Content-Length", "Host", "Accept-Encoding", "Content-Encoding",
}

// forwardHeader is what goes upstream of a client's headers: no hop-by-hop
// header, no credential of the client's (CredentialHeader), no cassette
// name, no X-Forwarded-* (the upstream need not know the test's network).
func forwardHeader(in http.Header) http.Header {
	out := http.Header{}
	for k, vs := range in {
		k = http.CanonicalHeaderKey(k)
		if slices.Contains(hopHeaders, k) || ghosttest.CredentialHeader(k) || k == ghosttest.CassetteHeader ||
			strings.HasPrefix(k, "X-Forwarded-") || k == "Forwarded" || k == "Via" {
			continue
		}
		out[k] = slices.Clone(vs)
	}
	return out
}

// addCredentials adds the part's own credential, as the SDK would.
func addCredentials(h http.Header, part ghost.Part, c ghost.Credentials) {
	basic := func(user, pass string) { h.Set("Authorization", "Basic "+basicAuth(user, pass)) }
	switch {
	case part == ghost.PartGhost && c.PublicKey != "" && c.SecretKey != "":
		basic(c.PublicKey, c.SecretKey)
	case part == ghost.PartKomoju && c.SecretKey != "":
		basic(c.SecretKey, "")
	case part == ghost.PartCheckout && c.APIKey != "":
		h.Set("X-Api-Key", c.APIKey)
	case part == ghost.PartSpark && c.AuthToken != "":
		h.Set("X-AC-Auth-Token", c.AuthToken)
	case part == ghost.PartExports && c.BearerToken != "":
		h.Set("Authorization", "Bearer "+c.BearerToken)
	}
}

// respond answers the client with the upstream's answer, its URLs moved
// onto the proxy: URLs under the part's upstream base URL (Spark's
// next_page, a Location) and export file URLs, so that the client stays
// on the proxy. Cookies stay out of the test process.
func (p *proxy) respond(w http.ResponseWriter, r *http.Request, up *upstream, ex ghosttest.Exchange) {
	self := "http://" + r.Host
	move := func(s string) (string, bool) {
		if fp, ok := ex.Files[s]; ok {
			return self + fp, true
		}
		if rest, ok := under(s, up.base.String()); ok {
			return self + "/" + string(up.part) + rest, true
		}
		return s, false
	}
	body, _ := ghosttest.RewriteJSONStrings(ex.ResponseBody, move)
	h := w.Header()
	for k, vs := range ex.ResponseHeader {
		if slices.Contains(hopHeaders, k) || k == "Set-Cookie" {
			continue
		}
		h[k] = slices.Clone(vs)
	}
	if loc := h.Get("Location"); loc != "" {
		if s, ok := move(loc); ok {
			h.Set("Location", s)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(ex.Status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// under reports whether s is base or a URL under it, and what follows.
func under(s, base string) (string, bool) {
	if !strings.HasPrefix(s, base) {
		return "", false
	}
	rest := s[len(base):]
	if rest == "" || strings.ContainsAny(rest[:1], "/?#") {
		return rest, true
	}
	return "", false
}

// filePath is the proxy's path for export file u of cassette name: the
// same URL gets the same number.
func (p *proxy) filePath(name, u string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(p.files[name], u)
	if i < 0 {
		p.files[name] = append(p.files[name], u)
		i = len(p.files[name]) - 1
	}
	return ghosttest.CassetteFilesPath + name + "/" + strconv.Itoa(i+1)
}

// serveFile fetches an export file for the client: from the URL the
// export listed, with no credential at all (the URL is pre-signed, and the
// SDK sends none there either), recorded into the cassette its path names.
func (p *proxy) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, ghosttest.CassetteFilesPath)
	name, num, _ := strings.Cut(rest, "/")
	n, err := strconv.Atoi(num)
	p.mu.Lock()
	files := p.files[name]
	p.mu.Unlock()
	if err != nil || n < 1 || n > len(files) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		proxyError(w, http.StatusNotFound, "%s %s is not an export file this proxy listed", r.Method, r.URL.Path)
		return
	}
	src := files[n-1]
	out, err := http.NewRequestWithContext(r.Context(), r.Method, src, nil)
	if err != nil {
		proxyError(w, http.StatusBadGateway, "export file %d of %s: the URL does not parse", n, name)
		return
	}
	if a := r.Header.Get("Accept"); a != "" {
		out.Header.Set("Accept", a)
	}
	ex := ghosttest.Exchange{
		At: p.now(), Part: ghost.PartExports, File: src, Method: r.Method, Path: r.URL.EscapedPath(),
		RequestHeader: out.Header.Clone(),
	}
	resp, body, err := p.roundTrip(out)
	if err != nil {
		proxyError(w, http.StatusBadGateway, "export file %d of %s: %s %v", n, name, out.URL.Host, err)
		return
	}
	// Files outside the document's paths (Clover's storage hosts) are not
	// checked; the mock's, under /v3/exports/files/, are.
	res := p.validator.CheckResponse(r.Context(), contract.Mounts{ghost.PartExports: out.URL.Scheme + "://" + out.URL.Host},
		ghost.PartExports, out, nil, resp, body)
	if res.OperationID != "" {
		ex.Operation = res.OperationID
		res.Path = r.URL.Path
		p.report(res, "response")
	}
	ex.Status, ex.ResponseHeader, ex.ResponseBody = resp.StatusCode, resp.Header, body
	p.record(name, ex)
	h := w.Header()
	for k, vs := range resp.Header {
		if !slices.Contains(hopHeaders, k) && k != "Set-Cookie" {
			h[k] = slices.Clone(vs)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// record writes the exchange to its cassette when recording; a failure
// is logged (the client still gets its answer).
func (p *proxy) record(name string, ex ghosttest.Exchange) {
	if p.recorder == nil {
		return
	}
	if err := p.recorder.Record(name, ex); err != nil {
		p.logf("ghost proxy: %s %s not recorded: %v", ex.Method, ex.Path, err)
	}
}

func (p *proxy) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.log, format+"\n", args...)
}

func (p *proxy) serveIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		proxyError(w, http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
		return
	}
	out := map[string]any{}
	for part, up := range p.upstreams {
		e := map[string]string{"proxy": "http://" + r.Host + "/" + string(part)}
		if up.base != nil {
			e["upstream"] = up.base.String()
		} else {
			e["missing"] = up.missing
		}
		out[string(part)] = e
	}
	idx := map[string]any{"parts": out, "violations": violationsPath}
	if p.recorder != nil {
		idx["cassettes"] = p.recorder.Names()
	}
	writeProxyJSON(w, http.StatusOK, idx)
}
