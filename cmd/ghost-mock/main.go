// Command ghost-mock serves the ghosttest mock of the Ghost API over HTTP, for
// integration tests in any language:
//
//	go run ./cmd/ghost-mock -addr 127.0.0.1:12111 -profile all
//
// It prints each part's base URL and the environment block (export
// GHOST_…=… lines: every served part's base URL and the credentials it
// accepts) that points the ghost command and the SDK's examples at it, then
// serves until interrupted. -env-file writes the same block to a file, for
// scripts that start it on a free port. Every flag is accepted under every
// profile; a flag the profile does not use is ignored. With -replay DIR it
// answers from the cassettes ghost proxy --record DIR wrote instead of
// emulating the API (see ghosttest.Replay).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/ghostanalytics/ghost-go/ghosttest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ghost-mock:", err)
		}
		os.Exit(2)
	}
}

// run parses args, starts the mock, reports its URL on ready (when not nil)
// and serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("ghost-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg ghosttest.Config
	var profile, hours, envFile string
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:12111", "listen address (127.0.0.1:0 picks a free port)")
	fs.StringVar(&profile, "profile", string(ghosttest.ProfileAll), "API part to emulate: "+profileList()+" (sparkpay and clover, the old names of spark and exports, still work)")
	fs.StringVar(&envFile, "env-file", "", "also write the environment block (export GHOST_…=… lines) to this file once listening")
	fs.StringVar(&cfg.PublicKey, "public-key", ghosttest.DefaultPublicKey, "Ghost Basic auth username")
	fs.StringVar(&cfg.SecretKey, "secret-key", ghosttest.DefaultSecretKey, "Ghost Basic auth password; Komoju Basic auth username")
	fs.StringVar(&cfg.APIKey, "api-key", ghosttest.DefaultAPIKey, "Checkout x-api-key")
	fs.StringVar(&cfg.AuthToken, "auth-token", ghosttest.DefaultAuthToken, "Spark X-AC-Auth-Token")
	fs.StringVar(&cfg.BearerToken, "bearer", ghosttest.DefaultBearerToken, "Exports bearer token")
	fs.IntVar(&cfg.Seed, "seed", 0, "objects to preload per resource")
	fs.IntVar(&cfg.CheckoutRateLimit, "checkout-rate-limit", 100, "Checkout requests per minute per client (negative: off)")
	fs.IntVar(&cfg.SparkCallLimit, "spark-call-limit", 0, fmt.Sprintf("Spark calls per 10-second window, advertised in X-AC-Call-Limit (0: %d)", ghosttest.DefaultSparkCallLimit))
	fs.IntVar(&cfg.ExportConcurrency, "export-concurrency", 2, "exports allowed to run at once")
	fs.StringVar(&hours, "export-hours", "", "daily UTC hours the export service is open, e.g. 10-15 (default: always)")
	fs.DurationVar(&cfg.ExportDuration, "export-duration", ghosttest.DefaultExportDuration, "time an export takes to reach DONE (on the mock's clock)")
	fs.BoolVar(&cfg.Control, "control", false, "serve the control API under /__ghost/ (request log, faults, reset, clock)")
	fs.StringVar(&cfg.StripeWebhookSecret, "stripe-webhook-secret", "", "verify Stripe-Signature on POST /api/webhooks/stripe with this secret (default: not checked)")
	var replay replayFlags
	replay.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	p, err := ghosttest.ParseProfile(profile)
	if err != nil {
		return err
	}
	cfg.Profile = p
	if hours != "" {
		h, err := parseHours(hours)
		if err != nil {
			return err
		}
		cfg.ExportHours = &h
	}
	replayOpts, cassettes, err := replay.options()
	if err != nil {
		return err
	}
	srv, err := ghosttest.Start(append([]ghosttest.Option{ghosttest.WithConfig(cfg)}, replayOpts...)...)
	if err != nil {
		return err
	}
	defer srv.Close()
	defer reportMisses(stderr, srv)
	fmt.Fprintf(stdout, "ghost-mock serving profile %q at %s\n", srv.Config.Profile, srv.URL)
	urls := srv.BaseURLs()
	for _, p := range ghosttest.Profiles {
		if u, ok := urls[p]; ok {
			fmt.Fprintf(stdout, "  %-8s base URL %s\n", p, u)
		}
	}
	if cassettes != nil {
		describeReplay(stdout, replay.path, cassettes)
	}
	if cfg.Control {
		fmt.Fprintf(stdout, "  control API %s%s (requests, faults, reset, clock)\n", srv.URL, ghosttest.ControlPrefix)
	}
	fmt.Fprintf(stdout, "  try: %s\n", curlHint(srv))
	block := envBlock(srv)
	fmt.Fprintf(stdout, "\nThe environment for ghost (cmd/ghost) and the SDK's examples:\n%s\n", block)
	if envFile != "" {
		if err := os.WriteFile(envFile, []byte(block), 0o600); err != nil {
			return err
		}
	}
	if ready != nil {
		ready <- srv.URL
	}
	<-ctx.Done()
	return nil
}

// envBlock is srv.Environ() as shell lines: export NAME=value, the value
// quoted when it holds anything but letters, digits and -_.,:/@%+=.
func envBlock(srv *ghosttest.Server) string {
	var b strings.Builder
	for _, kv := range srv.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", name, shellQuote(value))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// curlHint is a first request to try against the profile being served.
func curlHint(srv *ghosttest.Server) string {
	c := srv.Config
	switch c.Profile {
	case ghosttest.ProfileKomoju:
		return fmt.Sprintf("curl -u %s: %s/api/v1/customers", c.SecretKey, srv.URL)
	case ghosttest.ProfileCheckout:
		return fmt.Sprintf("curl -H 'x-api-key: %s' %s/api/carts", c.APIKey, srv.URL)
	case ghosttest.ProfileSpark:
		return fmt.Sprintf("curl -H 'X-AC-Auth-Token: %s' %s/api/v1/products", c.AuthToken, srv.URL)
	case ghosttest.ProfileExports:
		return fmt.Sprintf(`curl -H 'Authorization: Bearer %s' -d '{"type":"ORDERS","startTime":1700000000000,"endTime":1700086400000}' %s/v3/merchants/m1/exports`, c.BearerToken, srv.URL)
	}
	return fmt.Sprintf("curl -u %s:%s %s/api/v1/accounts/1", c.PublicKey, c.SecretKey, srv.URL)
}

func profileList() string {
	names := make([]string, len(ghosttest.Profiles))
	for i, p := range ghosttest.Profiles {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

func parseHours(s string) ([2]int, error) {
	from, to, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(from))
	b, err2 := strconv.Atoi(strings.TrimSpace(to))
	if !ok || err1 != nil || err2 != nil || a < 0 || a > 23 || b < 1 || b > 24 || a >= b {
		return [2]int{}, fmt.Errorf("-export-hours %q: want FROM-TO in whole UTC hours, e.g. 10-15", s)
	}
	return [2]int{a, b}, nil
}
