// Command ghost-export-worker runs a Temporal worker for Ghost export jobs:
// it serves the ExportRange and ExportMerchants workflows and their
// activities, writing exported objects to the sink each job names (its
// -sink, given to ghost-export-start). Run as many as you like, on as many
// machines, against the same Temporal namespace and task queue.
//
//	GHOST_BEARER_TOKEN=… AWS_REGION=eu-west-1 ghost-export-worker -temporal temporal:7233
//
// The Exports API bearer token is read from GHOST_BEARER_TOKEN (never a
// flag, so that it does not show in process lists); the sinks' credentials
// from the cloud SDKs' own variables (see -h).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

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
	temporal, namespace, queue, baseURL, token string
	allowSinks                                 []string
	insecure                                   bool
	maxActivities, heartbeatEvery              int
}

// environment is the worker's -h section on the variables it reads.
const environment = `
Environment:
  GHOST_BEARER_TOKEN   the Exports API's bearer token (required; never a flag)
  GHOST_BASE_URL       the Exports API's base URL (default of -base-url)
  TEMPORAL_ADDRESS     default of -temporal
  TEMPORAL_NAMESPACE   default of -namespace

  Each job names its sink (ghost-export-start -sink); the worker writes to it
  with the credentials the cloud SDKs find in its own environment:
  s3://      the AWS SDK's AWS_* variables: AWS_ACCESS_KEY_ID,
             AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or
             AWS_DEFAULT_REGION), AWS_PROFILE, AWS_CONFIG_FILE,
             AWS_SHARED_CREDENTIALS_FILE, AWS_ROLE_ARN,
             AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ENDPOINT_URL, AWS_CA_BUNDLE, …
             (its default chain: instance and container roles too)
  gs://      GOOGLE_APPLICATION_CREDENTIALS (or the machine's default
             account), STORAGE_EMULATOR_HOST
  azblob://  AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN
             or AZURE_STORAGE_CONNECTION_STRING; AZURE_STORAGE_DOMAIN,
             AZURE_STORAGE_PROTOCOL, AZURE_STORAGE_IS_CDN,
             AZURE_STORAGE_IS_LOCAL_EMULATOR; else AZURE_CLIENT_ID,
             AZURE_TENANT_ID, AZURE_CLIENT_SECRET (Azure's default credential)
  file://    none: the directory must be the same on every worker (one machine)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY apply to every connection.
`

func parse(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("ghost-export-worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: ghost-export-worker [flags]\n\nRuns Ghost export jobs (start them with ghost-export-start).\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), environment)
	}
	var c config
	var allow string
	fs.StringVar(&c.temporal, "temporal", envOr(getenv, "TEMPORAL_ADDRESS", "localhost:7233"), "Temporal frontend HOST:PORT (or TEMPORAL_ADDRESS)")
	fs.StringVar(&c.namespace, "namespace", envOr(getenv, "TEMPORAL_NAMESPACE", "default"), "Temporal namespace (or TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.queue, "task-queue", ghosttemporal.DefaultTaskQueue, "task queue (the same for workers and ghost-export-start)")
	fs.StringVar(&c.baseURL, "base-url", envOr(getenv, "GHOST_BASE_URL", ghost.DefaultBaseURL), "Exports API base URL (or GHOST_BASE_URL)")
	fs.BoolVar(&c.insecure, "insecure-http", false, "allow a plain http:// base URL (for a local mock)")
	fs.IntVar(&c.maxActivities, "max-activities", 0, "activities run at once by this worker (0: Temporal's default)")
	fs.IntVar(&c.heartbeatEvery, "heartbeat-every", 500, "objects written between two heartbeats of a download")
	fs.StringVar(&allow, "allow-sink", "", "comma-separated URL prefixes of the sinks this worker writes to (default: any s3://, gs:// or azblob:// sink; file:// sinks only when a prefix allows them)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for p := range strings.SplitSeq(allow, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.allowSinks = append(c.allowSinks, p)
		}
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

// allowSink is the worker's rule for the sinks jobs name.
func (c config) allowSink(url string) error {
	if len(c.allowSinks) == 0 {
		if strings.HasPrefix(url, "file:") {
			return errors.New("this worker writes to file:// sinks only when -allow-sink names them")
		}
		return nil
	}
	for _, p := range c.allowSinks {
		if strings.HasPrefix(url, p) {
			return nil
		}
	}
	return fmt.Errorf("sink %s is not among this worker's -allow-sink prefixes", url)
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
	tc, err := client.Dial(client.Options{HostPort: c.temporal, Namespace: c.namespace, Logger: log.NewStructuredLogger(logger)})
	if err != nil {
		fmt.Fprintln(stderr, "ghost-export-worker: connecting to Temporal:", err)
		return 1
	}
	defer tc.Close()
	w := worker.New(tc, c.queue, worker.Options{MaxConcurrentActivityExecutionSize: c.maxActivities})
	acts := &ghosttemporal.Activities{Client: gc, AllowSink: c.allowSink, HeartbeatEvery: c.heartbeatEvery}
	defer acts.Close()
	ghosttemporal.Register(w, acts)
	if err := w.Run(stop); err != nil {
		fmt.Fprintln(stderr, "ghost-export-worker:", err)
		return 1
	}
	return 0
}
