// Command ghost is a command line for the Ghost API and its parts (Komoju,
// Checkout, Spark, Clover-style exports), built on the ghost-go SDK: bulk
// exports with live progress and resume, and get/list/create/update/delete
// of every resource, printing JSON.
//
//	ghost export --type orders --merchant M --from 2025-01-01 --to 2026-01-01 --out orders.jsonl
//	ghost list customers --all
//	ghost --mock export --type payments --from 2026-01-01 --to 2026-03-01 --out -
//
// Run "ghost help" or "ghost help COMMAND" for the details.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/spf13/cobra"
)

// exitInterrupted is the exit status after Ctrl-C (128 + SIGINT).
const exitInterrupted = 130

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ghost:", err)
		if interrupted {
			os.Exit(exitInterrupted)
		}
		os.Exit(1)
	}
}

// config is the connection configuration, from flags and environment.
type config struct {
	baseURL     string
	publicKey   string
	secretKey   string
	apiKey      string
	authToken   string
	bearerToken string
	timeout     time.Duration
	mock        bool
	mockExport  time.Duration
	mockConc    int

	stdout, stderr io.Writer

	// partURLs are per-part base URLs that override baseURL (flags
	// --PART-base-url, env GHOST_PART_BASE_URL), for a deployment whose
	// parts live on different hosts.
	partURLs map[ghost.Part]*string

	mockSrv *ghosttest.Server
	cl      *ghost.Client // one client for every part, made once
}

// partURLEnv names each part's base URL setting (flag PART-base-url,
// environment variable GHOST_PART_BASE_URL).
var partURLEnv = []struct {
	part ghost.Part
	flag string
	env  string
}{
	{ghost.PartKomoju, "komoju-base-url", "GHOST_KOMOJU_BASE_URL"},
	{ghost.PartCheckout, "checkout-base-url", "GHOST_CHECKOUT_BASE_URL"},
	{ghost.PartSpark, "spark-base-url", "GHOST_SPARK_BASE_URL"},
	{ghost.PartExports, "exports-base-url", "GHOST_EXPORTS_BASE_URL"},
}

// env returns the environment variable name's value, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	cfg := &config{stdout: stdout, stderr: stderr, partURLs: map[ghost.Part]*string{}}
	root := &cobra.Command{
		Use:   "ghost",
		Short: "Command line for the Ghost API: bulk exports and every resource",
		Long: `ghost talks to the Ghost API and its parts (Ghost, Komoju, Checkout, Spark,
Clover-style exports) through the ghost-go SDK.

  ghost export   runs a bulk export of any length, several windows at once,
                 with live progress, and resumes after Ctrl-C or a crash
  ghost get|list|create|update|delete RESOURCE
                 reads and changes resources, printing JSON
  ghost resources
                 lists the resources and what each supports

Connection settings come from flags or the environment; flags win:
  --base-url      GHOST_BASE_URL       (every part, unless one of these says otherwise:)
  --komoju-base-url, --checkout-base-url, --spark-base-url, --exports-base-url
                  GHOST_KOMOJU_BASE_URL, GHOST_CHECKOUT_BASE_URL, …
  --public-key    GHOST_PUBLIC_KEY     (Basic auth user: Ghost, Komoju)
  --secret-key    GHOST_SECRET_KEY     (Basic auth password)
  --api-key       GHOST_API_KEY        (Checkout x-api-key)
  --auth-token    GHOST_AUTH_TOKEN     (Spark X-AC-Auth-Token)
  --bearer-token  GHOST_BEARER_TOKEN   (exports: Authorization: Bearer)
Secrets are never printed. With --mock, ghost starts an in-process mock
server (package ghosttest) and needs no settings at all.`,
		Example: `  ghost --mock export --type orders --from 2025-11-01 --to 2026-11-01 --out orders.jsonl
  ghost export --resume --out orders.jsonl
  GHOST_BASE_URL=https://api.example.com GHOST_SECRET_KEY=sk_… ghost list customers --all
  ghost get orders ord_000001
  ghost create customers --data '{"email":"ada@example.com"}'`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	f := root.PersistentFlags()
	f.StringVar(&cfg.baseURL, "base-url", env("GHOST_BASE_URL", ""), "API base URL (env GHOST_BASE_URL)")
	for _, pe := range partURLEnv {
		v := new(string)
		cfg.partURLs[pe.part] = v
		f.StringVar(v, pe.flag, env(pe.env, ""), "base URL of the "+string(pe.part)+" part (env "+pe.env+"; default --base-url)")
	}
	f.StringVar(&cfg.publicKey, "public-key", env("GHOST_PUBLIC_KEY", ""), "public key (env GHOST_PUBLIC_KEY)")
	f.StringVar(&cfg.secretKey, "secret-key", "", "secret key (env GHOST_SECRET_KEY; prefer the environment)")
	f.StringVar(&cfg.apiKey, "api-key", "", "Checkout API key (env GHOST_API_KEY)")
	f.StringVar(&cfg.authToken, "auth-token", "", "Spark auth token (env GHOST_AUTH_TOKEN)")
	f.StringVar(&cfg.bearerToken, "bearer-token", "", "exports bearer token (env GHOST_BEARER_TOKEN)")
	f.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "timeout of each request attempt")
	f.BoolVar(&cfg.mock, "mock", false, "run against an in-process mock server instead of a live API")
	f.DurationVar(&cfg.mockExport, "mock-export-duration", 2*time.Second, "with --mock: how long each export takes")
	f.IntVar(&cfg.mockConc, "mock-export-concurrency", 2, "with --mock: how many exports the mock runs at once")
	root.PersistentPostRun = func(*cobra.Command, []string) { cfg.close() }

	root.AddCommand(newExportCmd(cfg), newResourcesCmd(cfg))
	for _, verb := range verbs {
		root.AddCommand(newVerbCmd(cfg, verb))
	}
	return root
}

// secrets fills the secret settings the flags left empty from the
// environment (their flag defaults do not show them in --help).
func (c *config) secrets() {
	fill := func(p *string, name string) {
		if *p == "" {
			*p = os.Getenv(name)
		}
	}
	fill(&c.secretKey, "GHOST_SECRET_KEY")
	fill(&c.apiKey, "GHOST_API_KEY")
	fill(&c.authToken, "GHOST_AUTH_TOKEN")
	fill(&c.bearerToken, "GHOST_BEARER_TOKEN")
}

// client returns the one client, for every part of the API, connected to
// the mock or the configured API (made on first use).
func (c *config) client() (*ghost.Client, error) {
	if c.cl != nil {
		return c.cl, nil
	}
	c.secrets()
	opts := []ghost.Option{ghost.WithTimeout(c.timeout), ghost.WithUserAgent("ghost-cli")}
	switch {
	case c.mock:
		if c.mockSrv == nil {
			srv, err := ghosttest.Start(ghosttest.WithConfig(ghosttest.Config{
				ExportDuration: c.mockExport, ExportConcurrency: c.mockConc, Seed: 3,
			}))
			if err != nil {
				return nil, err
			}
			c.mockSrv = srv
			fmt.Fprintf(c.stderr, "ghost: using an in-process mock server at %s\n", srv.URL)
		}
		opts = append(opts, c.mockSrv.ClientOptions()...)
	case c.baseURL == "" && !c.anyPartURL():
		return nil, errors.New("no API to talk to: set GHOST_BASE_URL (or --base-url, or a part's --PART-base-url) and the keys, or use --mock")
	default:
		if c.baseURL != "" {
			opts = append(opts, ghost.WithBaseURL(c.baseURL))
		}
		opts = append(opts, ghost.WithCredentials(ghost.Credentials{
			PublicKey: c.publicKey, SecretKey: c.secretKey, APIKey: c.apiKey,
			AuthToken: c.authToken, BearerToken: c.bearerToken,
		}))
		for part, u := range c.partURLs {
			if *u != "" {
				opts = append(opts, ghost.WithEndpoint(part, ghost.Endpoint{BaseURL: *u}))
			}
		}
	}
	cl, err := ghost.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	c.cl = cl
	return cl, nil
}

func (c *config) anyPartURL() bool {
	for _, u := range c.partURLs {
		if *u != "" {
			return true
		}
	}
	return false
}

func (c *config) close() {
	if c.mockSrv != nil {
		c.mockSrv.Close()
		c.mockSrv = nil
	}
}
