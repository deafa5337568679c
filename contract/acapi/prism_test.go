//go:build prism

package acapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/require"
)

// TestSparkThroughPrism is the independent check: the same calls as
// TestSparkAgainstAcapi go through Stoplight Prism run as a validating
// proxy with the vendor's acapi.yaml, unmodified, in front of the sparkpay
// mock. Prism reports what it finds in each response's sl-violations
// header; a violation the exception list does not explain fails the test.
//
// It needs the prism command: ACAPI_PRISM names it (.ci/run installs the
// pinned @stoplight/prism-cli from prism/package.json and sets it).
func TestSparkThroughPrism(t *testing.T) {
	bin := os.Getenv("ACAPI_PRISM")
	require.NotEmpty(t, bin, "set ACAPI_PRISM to the prism command (npm ci --prefix contract/acapi/prism)")

	srv := ghosttest.New(t, ghosttest.WithProfile(ghosttest.ProfileSpark), ghosttest.WithSeed(driveSeed),
		ghosttest.WithConfig(ghosttest.Config{Profile: ghosttest.ProfileSpark, Seed: driveSeed, SparkCallLimit: proxyCallLimit}))
	srv.Clock.Freeze() // one call-limit window for the whole run
	proxy := startPrism(t, bin, writeRepairedDocument(t), srv.URL+apiPrefix)
	checkPrismValidates(t, srv, proxy)

	rec := newRecorder()
	c, err := ghost.NewClient(append(srv.ClientOptions(),
		ghost.WithEndpoint(ghost.PartSpark, ghost.Endpoint{BaseURL: proxy}),
		ghost.WithRetryPolicy(ghost.RetryPolicy{}),
		ghost.WithTransportMiddleware(func(next http.RoundTripper) http.RoundTripper {
			return &prismReader{rec: rec, next: next}
		}))...)
	require.NoError(t, err)
	drive(t, c)
	driveToCallLimit(t, c)
	rec.report(t, "prism")
}

// proxyCallLimit is the store's call limit in the Prism run: above what
// drive makes, so driveToCallLimit reaches it after a few more calls.
const proxyCallLimit = 150

// driveToCallLimit lists products until the store's call limit answers
// 429.
func driveToCallLimit(t *testing.T, c *ghost.Client) {
	for range proxyCallLimit + 1 {
		_, err := c.Spark.Products.List(context.Background(), &ghost.SparkListParams{Count: 1})
		if err != nil {
			wantStatus(t, err, http.StatusTooManyRequests, "Products.List over the call limit")
			return
		}
	}
	t.Fatal("the call limit was never reached")
}

// writeRepairedDocument writes acapi.yaml with the exception list's
// repairs for Prism: unrepaired, Prism skips the products schema (type
// guid) without a word.
func writeRepairedDocument(t *testing.T) string {
	b, err := json.Marshal(repairedDocument(t))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "acapi.json")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// canaryFields are, per modelled resource, a field its POST body and its
// schema type, and a value of another type.
var canaryFields = map[string]struct {
	field string
	bad   any
}{
	"products": {"item_name", 5}, "product_variants": {"description", 5}, "categories": {"name", 5},
	"customers": {"email", 5}, "orders": {"customer_id", "x"},
}

// checkPrismValidates proves Prism checks each modelled resource's request
// bodies and responses before its silence is trusted: a request body with
// a field of the wrong type, and a response (injected into the mock) whose
// id is a string, must each come back with a violation on that field.
func checkPrismValidates(t *testing.T, srv *ghosttest.Server, proxy string) {
	for _, res := range modelled {
		canary := canaryFields[res]
		srv.InjectFault(ghosttest.Fault{Method: "GET", PathPrefix: apiPrefix + "/" + res, Status: http.StatusOK,
			Body:   fmt.Sprintf(`{"total_count":1,%q:[{"id":"x"}]}`, res),
			Header: http.Header{"Content-Type": {"application/json"}}})
		found := prismViolations(t, "GET", proxy+"/"+res, nil)
		require.Contains(t, found, "response "+res+"[].id", "Prism does not check %s responses", res)
		body, err := json.Marshal(map[string]any{canary.field: canary.bad})
		require.NoError(t, err)
		found = prismViolations(t, "POST", proxy+"/"+res, body)
		require.Contains(t, found, "request "+canary.field, "Prism does not check POST /%s bodies", res)
	}
}

// prismViolations sends one request through Prism and returns the side
// and field of each violation it reports.
func prismViolations(t *testing.T, method, url string, body []byte) []string {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-AC-Auth-Token", ghosttest.DefaultAuthToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var list []prismViolation
	if h := resp.Header.Get("sl-violations"); h != "" {
		require.NoError(t, json.Unmarshal([]byte(h), &list))
	}
	var out []string
	for _, pv := range list {
		v := fromPrism(violation{}, pv)
		out = append(out, v.side+" "+v.field)
	}
	return out
}

// startPrism runs `prism proxy` for the document in front of upstream on a
// free loopback port and returns its URL once it listens.
func startPrism(t *testing.T, bin, document, upstream string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "proxy", document, upstream, "--host", "127.0.0.1", "--port", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	ready := make(chan struct{})
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "Prism is listening") {
				close(ready)
				io.Copy(io.Discard, out)
				return
			}
			if !strings.Contains(line, "[CLI]") {
				log.WriteString(line + "\n") // keep errors, not the route list
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(2 * time.Minute):
		t.Fatalf("prism did not start:\n%s", log.String())
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// prismReader sends the SDK's requests to Prism, whose paths are
// acapi.yaml's (below /api/v1), and records the violations Prism reports.
type prismReader struct {
	rec  *recorder
	next http.RoundTripper
}

// prismViolation is one entry of Prism's sl-violations header.
type prismViolation struct {
	Location []string `json:"location"`
	Severity string   `json:"severity"`
	Code     any      `json:"code"`
	Message  string   `json:"message"`
}

func (p *prismReader) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	path := strings.TrimPrefix(req.URL.Path, apiPrefix)
	op := req.Method + " " + template(path)
	req.URL.Path, req.URL.RawPath = path, ""
	// The mock builds next_page links from the host the client sees.
	req.Header.Set("X-Forwarded-Host", req.URL.Host)
	resp, err := p.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	p.rec.exchange(op, resp.StatusCode)
	base := violation{validator: "prism", op: op, status: resp.StatusCode}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		v := base
		v.side, v.code, v.message = "response", "prism", "Prism answered itself instead of the mock: "+resp.Status
		p.rec.add(v)
	}
	if h := resp.Header.Get("sl-violations"); h != "" {
		var list []prismViolation
		if err := json.Unmarshal([]byte(h), &list); err != nil {
			v := base
			v.side, v.code, v.message = "response", "prism", "unreadable sl-violations header: "+err.Error()
			p.rec.add(v)
		}
		for _, pv := range list {
			p.rec.add(fromPrism(base, pv))
		}
	}
	return resp, nil
}

// fromPrism maps a Prism violation onto the violation the exception list
// reads.
func fromPrism(base violation, pv prismViolation) violation {
	v := base
	v.message = pv.Severity + ": " + pv.Message
	if len(pv.Location) > 0 {
		v.side = pv.Location[0]
	}
	if len(pv.Location) > 2 {
		v.field = fieldPath(pv.Location[2:])
	}
	v.code = fmt.Sprint(pv.Code)
	switch {
	case pv.Code == nil && strings.Contains(pv.Message, "route not found"):
		v.code = "route"
	case pv.Code == nil && strings.Contains(pv.Message, "returned status code"):
		v.code = "status"
	case v.code == "type":
		if _, want, ok := strings.Cut(pv.Message, " must be "); ok {
			v.want = want
		}
	case v.code == "required":
		if m := quotedName.FindStringSubmatch(pv.Message); m != nil {
			v.field = strings.TrimPrefix(v.field+"."+m[1], ".")
		}
	}
	return v
}
