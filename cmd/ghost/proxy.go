package main

// ghost proxy: a validating, recording proxy to the live API. The code
// under test talks to the proxy, each part under its own prefix
// (http://ADDR/ghost, /komoju, /checkout, /spark, /exports) with dummy
// credentials or none; the proxy forwards to each part's real base URL
// with that part's real credentials (from the same settings as every other
// ghost command), checks every exchange against the contract
// (openapi/ghost.yaml, with the contract module) and, with --record DIR,
// writes each exchange to a cassette, redacted, that ghosttest.Replay and
// ghost-mock -replay DIR serve back.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contract"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/spf13/cobra"
)

// proxyFlags are the flags of ghost proxy.
type proxyFlags struct {
	addr     string
	record   string
	cassette string
	redact   []string
	envFile  string
	insecure bool
}

func (a *app) newProxyCmd() *cobra.Command {
	var f proxyFlags
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Proxy to the live API: real credentials added, the contract checked, cassettes recorded",
		Long: `proxy serves every part of the API under its own prefix of one address
(http://ADDR/ghost, /komoju, /checkout, /spark, /exports) and forwards each
request to the part's real base URL, adding that part's real credentials
from the settings (see "ghost help"), so the code under test never holds
them. A credential the client sends is never forwarded; a redirect to
another host gets no credentials; export files get none.

Every exchange is checked against the contract (openapi/ghost.yaml): each
request or response violation is logged on one line (operation, field) and
listed at GET /__ghost/violations (DELETE clears the list).

With --record DIR, each exchange is written to a cassette in DIR (one JSON
file per cassette: the name a request gives in the X-Ghost-Cassette header,
else --cassette), with credentials, card numbers, signed URL queries and
cookies redacted before anything is written. ghosttest.Replay(t, DIR) and
ghost-mock -replay DIR serve the cassettes back.

On start it prints the environment that points the SDK's examples and the
ghost command at it (dummy credentials; the proxy adds the real ones). It
serves until interrupted.

  # the real settings in the proxy's environment only
  GHOST_API_KEY=… GHOST_CHECKOUT_BASE_URL=https://shop.example.com \
    ghost proxy --record testdata/cassettes
  # the same in front of an in-process mock, on a free port
  ghost --mock proxy --addr 127.0.0.1:0 --env-file proxy.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runProxy(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:12112", "listen address (127.0.0.1:0 picks a free port)")
	fl.StringVar(&f.record, "record", "", "write every exchange to cassettes in this directory")
	fl.StringVar(&f.cassette, "cassette", "session", "the cassette of requests that name none in "+ghosttest.CassetteHeader)
	fl.StringSliceVar(&f.redact, "redact", nil, "also redact these body fields (repeat or comma-separate)")
	fl.StringVar(&f.envFile, "env-file", "", "also write the environment block to this file once listening")
	fl.BoolVar(&f.insecure, "insecure-http", false, "allow plain http:// upstreams other than loopback (credentials in clear text)")
	return cmd
}

func (a *app) runProxy(ctx context.Context, f proxyFlags) error {
	if !ghosttest.ValidCassetteName(f.cassette) {
		return fmt.Errorf("--cassette %q: want letters, digits, '.', '_' or '-'", f.cassette)
	}
	r, err := a.settings()
	if err != nil {
		return err
	}
	ups, err := proxyUpstreams(r, f.insecure)
	if err != nil {
		return err
	}
	v, err := contract.New()
	if err != nil {
		return err
	}
	cfg := proxyConfig{upstreams: ups, validator: v, cassette: f.cassette, log: a.stderr, timeout: a.timeout}
	if f.record != "" {
		cfg.recorder, err = ghosttest.NewCassetteRecorder(f.record, ghosttest.NewRedactor(proxySecrets(ups), f.redact...))
		if err != nil {
			return err
		}
	}
	p := newProxy(cfg)
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	a.proxyBanner(url, ups, f)
	if f.envFile != "" {
		if err := os.WriteFile(f.envFile, []byte(proxyEnvBlock(url)), 0o600); err != nil {
			srv.Close()
			return err
		}
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shut)
	fmt.Fprintf(a.stderr, "ghost proxy: stopped; %s\n", p.summary())
	return err
}

// proxyUpstreams is each part's real base URL and credentials, from the
// settings; a part without a base URL (Checkout and Spark have no default)
// is answered 502 naming the setting.
func proxyUpstreams(r *resolver, insecure bool) (map[ghost.Part]*upstream, error) {
	defaults := map[ghost.Part]string{
		ghost.PartGhost: ghost.DefaultBaseURL, ghost.PartKomoju: ghost.DefaultKomojuBaseURL, ghost.PartExports: ghost.DefaultExportsBaseURL,
	}
	ups := map[ghost.Part]*upstream{}
	for _, p := range parts {
		ep := r.endpoint(p)
		_, key, _ := r.baseURL(p)
		raw := ep.BaseURL
		if raw == "" {
			raw = defaults[p]
		}
		up := &upstream{part: p, creds: ep.Credentials}
		if raw == "" {
			up.missing = fmt.Sprintf("no base URL for the %s part: set --%s-base-url or %s", partTitle(p), p, envName(string(p)+"-base-url"))
			ups[p] = up
			continue
		}
		u, err := upstreamURL(raw, insecure)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", key, partTitle(p), err)
		}
		up.base = u
		ups[p] = up
	}
	return ups, nil
}

// upstreamURL checks a base URL the proxy sends real credentials to.
func upstreamURL(raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	switch {
	case err != nil:
		return nil, fmt.Errorf("base URL %q does not parse", raw)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, fmt.Errorf("base URL %q: want http(s)://host[/prefix]", raw)
	case u.User != nil:
		return nil, errors.New("the base URL holds credentials: give them as settings instead")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("base URL %q has a query or fragment", raw)
	case u.Scheme == "http" && !insecure && !loopback(u.Hostname()):
		return nil, fmt.Errorf("base URL %q is plain http on another host: the credentials would travel in clear text (--insecure-http allows it)", raw)
	}
	return u, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// proxySecrets are every credential the proxy holds: no cassette may
// contain one.
func proxySecrets(ups map[ghost.Part]*upstream) []string {
	var out []string
	for _, up := range ups {
		c := up.creds
		out = append(out, c.PublicKey, c.SecretKey, c.APIKey, c.AuthToken, c.BearerToken)
	}
	return out
}

// proxyDummy is the credential the printed environment gives the code
// under test: the SDK wants one per part; the proxy replaces it.
const proxyDummy = "via-ghost-proxy"

// proxyEnvBlock is the environment that points the SDK's examples and the
// ghost command at the proxy, as export lines: each part's base URL on the
// proxy, and dummy credentials.
func proxyEnvBlock(proxyURL string) string {
	var b strings.Builder
	for _, p := range parts {
		key := "base-url"
		if p != ghost.PartGhost {
			key = string(p) + "-base-url"
		}
		fmt.Fprintf(&b, "export %s=%s/%s\n", envName(key), proxyURL, p)
		for _, s := range settings {
			if s.part == p && !strings.HasSuffix(s.key, "base-url") {
				fmt.Fprintf(&b, "export %s=%s\n", envName(s.key), proxyDummy)
			}
		}
	}
	return b.String()
}

func (a *app) proxyBanner(proxyURL string, ups map[ghost.Part]*upstream, f proxyFlags) {
	w := a.stdout
	fmt.Fprintf(w, "ghost proxy at %s, checking every exchange against openapi/ghost.yaml\n", proxyURL)
	for _, p := range parts {
		up := ups[p]
		target := up.missing
		if up.base != nil {
			target = "→ " + up.base.String()
			if up.creds == (ghost.Credentials{}) {
				target += " (no credentials set)"
			}
		}
		fmt.Fprintf(w, "  %-8s %s/%s %s\n", p, proxyURL, p, target)
	}
	fmt.Fprintf(w, "  violations: %s%s\n", proxyURL, violationsPath)
	if f.record != "" {
		fmt.Fprintf(w, "  recording to %s (cassette %q unless a request names one in %s)\n", f.record, f.cassette, ghosttest.CassetteHeader)
	}
	fmt.Fprintf(w, "\nThe environment for the code under test (dummy credentials; the proxy adds the real ones):\n%s\n", proxyEnvBlock(proxyURL))
}
