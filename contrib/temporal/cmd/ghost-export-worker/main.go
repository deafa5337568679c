// Command ghost-export-worker runs a Temporal worker for Ghost export jobs:
// it serves the ExportRange and ExportMerchants workflows and their
// activities, writing exported objects under a local directory (DirSink).
// Run as many as you like, on as many machines, against the same Temporal
// namespace and task queue; start jobs with ghost-export-start.
//
//	GHOST_BEARER_TOKEN=… ghost-export-worker -temporal localhost:7233 -dir /data/exports
//
// The Exports API bearer token is read from GHOST_BEARER_TOKEN (never a
// flag, so that it does not show in process lists); the API's base URL from
// -base-url or GHOST_BASE_URL.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	ghost "github.com/ghostanalytics/ghost-go"
	ghosttemporal "github.com/ghostanalytics/ghost-go/contrib/temporal"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr, os.Getenv, worker.InterruptCh()))
}

type config struct {
	temporal, namespace, queue, dir, baseURL, token string
	insecure                                        bool
	maxActivities                                   int
}

func parse(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("ghost-export-worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.temporal, "temporal", envOr(getenv, "TEMPORAL_ADDRESS", "localhost:7233"), "Temporal frontend HOST:PORT (or TEMPORAL_ADDRESS)")
	fs.StringVar(&c.namespace, "namespace", envOr(getenv, "TEMPORAL_NAMESPACE", "default"), "Temporal namespace")
	fs.StringVar(&c.queue, "task-queue", ghosttemporal.DefaultTaskQueue, "task queue (the same for workers and ghost-export-start)")
	fs.StringVar(&c.dir, "dir", "", "directory the exported objects are written under (required; shared by all workers, or one per worker for a local sink)")
	fs.StringVar(&c.baseURL, "base-url", envOr(getenv, "GHOST_BASE_URL", ghost.DefaultBaseURL), "Exports API base URL (or GHOST_BASE_URL)")
	fs.BoolVar(&c.insecure, "insecure-http", false, "allow a plain http:// base URL (for a local mock)")
	fs.IntVar(&c.maxActivities, "max-activities", 0, "activities run at once by this worker (0: Temporal's default)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.dir == "" {
		return c, errors.New("-dir is required")
	}
	c.token = getenv("GHOST_BEARER_TOKEN")
	if c.token == "" {
		return c, errors.New("GHOST_BEARER_TOKEN is not set")
	}
	return c, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func run(args []string, stderr io.Writer, getenv func(string) string, stop <-chan any) int {
	c, err := parse(args, stderr, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ghost-export-worker:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	opts := []ghost.Option{ghost.WithBaseURL(c.baseURL), ghost.WithBearerToken(c.token), ghost.WithLogger(logger),
		// Temporal retries the activities (with their timeouts in view);
		// retries inside an activity as well would multiply the attempts
		// and could outlast its timeout.
		ghost.WithRetryPolicy(ghost.RetryPolicy{})}
	if c.insecure {
		opts = append(opts, ghost.WithInsecureHTTP())
	}
	gc, err := ghost.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "ghost-export-worker:", err)
		return 2
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "ghost-export-worker:", err)
		return 1
	}
	tc, err := client.Dial(client.Options{HostPort: c.temporal, Namespace: c.namespace, Logger: log.NewStructuredLogger(logger)})
	if err != nil {
		fmt.Fprintln(stderr, "ghost-export-worker: connecting to Temporal:", err)
		return 1
	}
	defer tc.Close()
	w := worker.New(tc, c.queue, worker.Options{MaxConcurrentActivityExecutionSize: c.maxActivities})
	ghosttemporal.Register(w, &ghosttemporal.Activities{Client: gc, Sink: ghosttemporal.DirSink{Dir: c.dir}})
	if err := w.Run(stop); err != nil {
		fmt.Fprintln(stderr, "ghost-export-worker:", err)
		return 1
	}
	return 0
}
