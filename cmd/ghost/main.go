// Command ghost is a command line for the Ghost API and its parts (Ghost,
// Komoju, Checkout, Spark, Exports), built on the ghost-go SDK: bulk exports
// with live progress and resume, and get/list/create/update/delete of every
// resource, in the API's own words.
//
//	ghost list spark-products --param sort=-price --param item_name=like:Hat
//	ghost export --type orders --merchant M --from 2025-01-01 --to 2026-01-01 --out orders.jsonl
//	ghost --mock export --type payments --days 60 --out -
//
// Run "ghost help" or "ghost help COMMAND" for the details.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// exitInterrupted is the exit status after Ctrl-C (128 + SIGINT).
const exitInterrupted = 130

// version is set at build time (-ldflags "-X main.version=v1.2.3"); else
// it comes from the module's build information.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := newApp(os.Stdout, os.Stderr, os.LookupEnv).run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// app is one run of the command: its settings and the client made from them.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)

	root       *cobra.Command
	timeout    time.Duration
	mock       bool
	mockExport time.Duration
	mockConc   int

	res     *resolver
	mockSrv *ghosttest.Server
	cl      *ghost.Client
}

func newApp(stdout, stderr io.Writer, getenv func(string) (string, bool)) *app {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	a.root = a.newRoot()
	return a
}

// run executes the command line and returns the exit status; errors are
// printed once, by part, with the setting to change.
func (a *app) run(ctx context.Context, args []string) int {
	a.root.SetArgs(args)
	err := a.root.ExecuteContext(ctx)
	a.close()
	if err == nil {
		return 0
	}
	fmt.Fprintln(a.stderr, a.describe(err))
	if ctx.Err() != nil {
		return exitInterrupted
	}
	return 1
}

func buildVersion() string {
	if version != "" {
		return version
	}
	v, rev, dirty := "(devel)", "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				rev = s.Value[:12]
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = ", modified"
			}
		}
	}
	if rev != "" && !strings.Contains(v, rev) { // a pseudo-version names it already
		v += " (" + rev + dirty + ")"
	}
	return v
}

func (a *app) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "ghost",
		Short: "Command line for the Ghost API: every part's resources, and bulk exports",
		Long: `ghost talks to every part of the Ghost API (Ghost, Komoju, Checkout, Spark,
Exports) through the ghost-go SDK.

  ghost get|list|create|update|delete RESOURCE [ID]…
                 reads and changes resources; parameters in the API's own
                 words (--param sort=-price, --param startTime=…)
  ghost resources [RESOURCE]
                 lists the resources: part, verbs, IDs and parameters
  ghost export   runs a bulk export of any length, several windows at once,
                 with live progress, and resumes after Ctrl-C or a crash
  ghost config   shows and sets the settings
  ghost proxy    forwards to the live API with the real credentials, checks
                 every exchange against the contract, records cassettes

Settings, per part: a flag, else the environment variable, else the config
file's profile (ghost config; GHOST_CONFIG names another file):
` + settingsHelp() + `
A part's base URL defaults to --base-url, then to the SDK's default for the
part (Checkout and Spark have none). Secrets are never printed; give them by
the environment or the config file rather than flags, which others can see.
"ghost-mock" prints the environment that points ghost at it; with --mock,
ghost starts that mock in-process and needs no settings at all.`,
		Example: `  ghost list customers
  ghost get orders 1
  ghost create customers --data '{"email":"ada@example.com"}'
  ghost list spark-products --param sort=-price --param item_name=like:Hat --param fields=id,item_name,price
  ghost --mock export --type orders --days 60 --out orders.jsonl`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("ghost {{.Version}}\n")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	f := root.PersistentFlags()
	for _, s := range settings {
		f.String(s.key, "", s.help()+" ("+envName(s.key)+")")
	}
	f.String("profile", "", "config file profile to use (GHOST_PROFILE; default: the file's profile, else \"default\")")
	f.DurationVar(&a.timeout, "timeout", 30*time.Second, "timeout of each request attempt")
	f.BoolVar(&a.mock, "mock", false, "run against an in-process mock server instead of a live API")
	f.DurationVar(&a.mockExport, "mock-export-duration", 2*time.Second, "with --mock: how long each export takes")
	f.IntVar(&a.mockConc, "mock-export-concurrency", 2, "with --mock: how many exports the mock runs at once")

	root.AddCommand(a.newExportCmd(), a.newResourcesCmd(), a.newConfigCmd(), a.newProxyCmd())
	for _, v := range verbNames {
		root.AddCommand(a.newVerbCmd(v))
	}
	return root
}

// settingsHelp is the table of settings for the root's help.
func settingsHelp() string {
	var b strings.Builder
	for i, s := range settings {
		part := string(s.part)
		switch {
		case s.part == "":
			part = "(all)"
		case settings[i-1].part == s.part:
			part = ""
		}
		fmt.Fprintln(&b, strings.TrimRight(fmt.Sprintf("  %-8s --%-18s %-23s %s", part, s.key, envName(s.key), s.note), " "))
	}
	return b.String()
}

// settings resolves the settings once: flags, environment, config file;
// or the in-process mock's environment with --mock.
func (a *app) settings() (*resolver, error) {
	if a.res != nil {
		return a.res, nil
	}
	flags := a.root.PersistentFlags()
	r := &resolver{flags: flags, getenv: a.getenv}
	if !a.mock {
		path, err := configPath()
		if err != nil {
			return nil, err
		}
		cf, err := loadConfig(path)
		if err != nil {
			return nil, err
		}
		r.profile = selectProfile(flags, a.getenv, cf)
		r.file = cf.Profiles[r.profile.v]
		if r.file == nil && r.profile.source != "config file" {
			return nil, fmt.Errorf("no profile %q in the config file %s (chosen by %s)", r.profile.v, path, r.profile.source)
		}
	} else {
		srv, err := ghosttest.Start(ghosttest.WithConfig(ghosttest.Config{
			ExportDuration: a.mockExport, ExportConcurrency: a.mockConc, Seed: 3,
		}))
		if err != nil {
			return nil, err
		}
		a.mockSrv = srv
		r.mockEnv = map[string]string{}
		for _, kv := range srv.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			r.mockEnv[k] = v
		}
		fmt.Fprintf(a.stderr, "ghost: using an in-process mock server at %s\n", srv.URL)
	}
	a.res = r
	return r, nil
}

// client returns the one client for every part, made on first use: each
// part at its own base URL with its own credentials.
func (a *app) client() (*ghost.Client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	r, err := a.settings()
	if err != nil {
		return nil, err
	}
	opts := []ghost.Option{ghost.WithTimeout(a.timeout), ghost.WithUserAgent("ghost-cli/" + strings.Fields(buildVersion())[0])}
	for _, p := range parts {
		opts = append(opts, ghost.WithEndpoint(p, r.endpoint(p)))
	}
	cl, err := ghost.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	a.cl = cl
	return cl, nil
}

func (a *app) close() {
	if a.mockSrv != nil {
		a.mockSrv.Close()
		a.mockSrv = nil
	}
}

// terminal reports whether w is a terminal, and its width.
func terminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		width = 80
	}
	return true, width
}
