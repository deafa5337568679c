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

	mockSrv *ghosttest.Server
	clients map[string]*ghost.Client // by part, see resources.go
}

// env returns the environment variable name's value, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	cfg := &config{stdout: stdout, stderr: stderr, clients: map[string]*ghost.Client{}}
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
  --base-url      GHOST_BASE_URL
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

// client returns the client for part (one per part, made once with the
// part's extra options; see partOptions in resources.go), connected to the
// mock or the configured API.
func (c *config) client(part string) (*ghost.Client, error) {
	if cl := c.clients[part]; cl != nil {
		return cl, nil
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
		cfg := c.mockSrv.Config
		opts = append(opts, ghost.WithBaseURL(c.mockSrv.URL), ghost.WithCredentials(ghost.Credentials{
			PublicKey: cfg.PublicKey, SecretKey: cfg.SecretKey, APIKey: cfg.APIKey,
			AuthToken: cfg.AuthToken, BearerToken: cfg.BearerToken,
		}))
	case c.baseURL == "":
		return nil, errors.New("no API to talk to: set GHOST_BASE_URL (or --base-url) and the keys, or use --mock")
	default:
		opts = append(opts, ghost.WithBaseURL(c.baseURL), ghost.WithCredentials(ghost.Credentials{
			PublicKey: c.publicKey, SecretKey: c.secretKey, APIKey: c.apiKey,
			AuthToken: c.authToken, BearerToken: c.bearerToken,
		}))
	}
	opts = append(opts, partOptions(part)...)
	cl, err := ghost.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	c.clients[part] = cl
	return cl, nil
}

func (c *config) close() {
	if c.mockSrv != nil {
		c.mockSrv.Close()
		c.mockSrv = nil
	}
}
