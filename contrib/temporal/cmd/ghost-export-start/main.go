// Command ghost-export-start starts a Ghost export job on Temporal (run
// by ghost-export-worker processes), shows its progress, lists its failed
// windows and runs them again.
//
//	ghost-export-start -temporal localhost:7233 -id orders-2025 \
//	    -merchants m1,m2,m3 -type ORDERS -start 2025-01-01 -end 2026-02-05 \
//	    -sink 's3://exports?region=eu-west-1'
//	ghost-export-start -id orders-2025 -progress       # per merchant and window
//	ghost-export-start -id orders-2025 -wait           # the result
//	ghost-export-start -id orders-2025 -failed         # the failed windows
//	ghost-export-start -id orders-2025 -retry-failed   # a job that runs them again
//
// Merchants come from -merchants (comma-separated) or -merchants-file (one
// per line). The job is an ExportMerchants workflow with the given id.
// Starting an id that is already running starts nothing: with the same
// parameters the command prints the running job, with others it fails and
// names what differs. Output is JSON on stdout.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	ghosttemporal "github.com/ghostanalytics/ghost-go/contrib/temporal"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

type config struct {
	temporal, namespace, queue, id      string
	progress, wait, failed, retryFailed bool
	params                              ghosttemporal.MerchantsParams
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is neither YYYY-MM-DD nor RFC 3339", s)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// jobFlags are the flags of a new job.
type jobFlags struct{ merchants, file, typ, start, end string }

func newFlags(c *config, j *jobFlags, stderr io.Writer, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet("ghost-export-start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.temporal, "temporal", envOr(getenv, "TEMPORAL_ADDRESS", "localhost:7233"), "Temporal frontend HOST:PORT (or TEMPORAL_ADDRESS)")
	fs.StringVar(&c.namespace, "namespace", envOr(getenv, "TEMPORAL_NAMESPACE", "default"), "Temporal namespace (or TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.queue, "task-queue", ghosttemporal.DefaultTaskQueue, "task queue the workers poll")
	fs.StringVar(&c.id, "id", "", "the job's workflow id (required)")
	fs.BoolVar(&c.progress, "progress", false, "print the progress of job -id (or of one merchant's workflow, -id JOB/MERCHANT) and exit")
	fs.BoolVar(&c.wait, "wait", false, "wait for the job to finish and print its result")
	fs.BoolVar(&c.failed, "failed", false, "list the failed windows of job -id and exit")
	fs.BoolVar(&c.retryFailed, "retry-failed", false, "start a job (id -id + \"-retry-N\") that runs the failed windows of job -id again")
	fs.StringVar(&j.merchants, "merchants", "", "merchant ids, comma-separated")
	fs.StringVar(&j.file, "merchants-file", "", "file of merchant ids, one per line")
	fs.StringVar(&j.typ, "type", "ORDERS", "ORDERS or PAYMENTS")
	fs.StringVar(&j.start, "start", "", "start of the range, YYYY-MM-DD or RFC 3339 (inclusive)")
	fs.StringVar(&j.end, "end", "", "end of the range (exclusive)")
	p := &c.params
	fs.StringVar(&p.Sink, "sink", "", "where the objects go: s3://BUCKET?region=…, gs://BUCKET, azblob://CONTAINER or file:///DIR (one machine); ?prefix=DIR/ puts them under a prefix")
	fs.IntVar(&p.MaxConcurrent, "max-merchants", 4, "merchants exported at once")
	fs.IntVar(&p.MerchantsPerRun, "per-run", 100, "merchants per workflow run before it continues as new")
	o := &p.Options
	fs.DurationVar(&o.Window, "window", ghost.MaxExportRange, "length of one export (at most 720h)")
	fs.IntVar(&o.MaxInFlight, "max-in-flight", 2, "exports running at once per merchant")
	fs.IntVar(&o.WindowsPerRun, "windows-per-run", 40, "windows per merchant workflow run before it continues as new")
	fs.DurationVar(&o.PollInterval, "poll", 10*time.Second, "first wait between polls of an export")
	fs.DurationVar(&o.MaxPollInterval, "max-poll", 2*time.Minute, "longest wait between polls")
	fs.DurationVar(&o.RetryInterval, "retry", 30*time.Second, "first wait after a 503 or 429 on create")
	fs.DurationVar(&o.MaxRetryInterval, "max-retry", 10*time.Minute, "longest wait after a 503 or 429")
	fs.DurationVar(&o.AmbiguousCreateWait, "ambiguous-wait", 2*time.Hour, "how long a window is parked after a create whose answer was lost (longer than an export runs)")
	fs.BoolVar(&o.FailOnAmbiguousCreate, "fail-on-lost-create", false, "fail the window instead of parking it after a create whose answer was lost")
	fs.IntVar(&o.MaxReexports, "max-reexports", 3, "exports of a window again after its files expired")
	fs.DurationVar(&o.CreateTimeout, "create-timeout", time.Minute, "time limit of one create call")
	fs.DurationVar(&o.GetTimeout, "get-timeout", time.Minute, "time limit of one poll call")
	fs.DurationVar(&o.DownloadTimeout, "download-timeout", 2*time.Hour, "time limit of one download attempt of a window")
	fs.DurationVar(&o.DownloadHeartbeat, "heartbeat", time.Minute, "how long a download may go silent before another worker takes it over")
	return fs
}

func parse(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	var c config
	var j jobFlags
	fs := newFlags(&c, &j, stderr, getenv)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.id == "" {
		return c, errors.New("-id is required")
	}
	modes := 0
	for _, m := range []bool{c.progress, c.failed, c.retryFailed} {
		if m {
			modes++
		}
	}
	if modes > 1 {
		return c, errors.New("-progress, -failed and -retry-failed go one at a time")
	}
	if modes == 1 || c.wait && j.merchants == "" && j.file == "" {
		return c, nil // about an existing job
	}
	return c, j.apply(&c.params)
}

// apply checks the flags of a new job and sets them in p.
func (j jobFlags) apply(p *ghosttemporal.MerchantsParams) error {
	ids, err := merchantIDs(j.merchants, j.file)
	if err != nil {
		return err
	}
	p.Merchants = ids
	p.Type = ghost.ExportType(strings.ToUpper(j.typ))
	if p.Type != ghost.ExportTypeOrders && p.Type != ghost.ExportTypePayments {
		return fmt.Errorf("-type %q: want ORDERS or PAYMENTS", j.typ)
	}
	if p.Start, err = parseTime(j.start); err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	if p.End, err = parseTime(j.end); err != nil {
		return fmt.Errorf("-end: %w", err)
	}
	if _, err := ghost.SplitExportRange(p.Start, p.End, p.Options.Window); err != nil {
		return err
	}
	if p.Sink == "" {
		return errors.New("-sink is required: the URL every worker writes the objects to")
	}
	return ghosttemporal.CheckSinkURL(p.Sink)
}

func merchantIDs(list, file string) ([]ghost.ID, error) {
	var ids []ghost.ID
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !strings.HasPrefix(s, "#") {
			ids = append(ids, ghost.ID(s))
		}
	}
	for s := range strings.SplitSeq(list, ",") {
		add(s)
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			add(sc.Text())
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("no merchants: give -merchants or -merchants-file")
	}
	seen := make(map[ghost.ID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return nil, fmt.Errorf("merchant %s is listed twice", id)
		}
		seen[id] = true
	}
	return ids, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := parse(args, stderr, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ghost-export-start:", err)
		return 2
	}
	tc, err := client.Dial(client.Options{HostPort: c.temporal, Namespace: c.namespace})
	if err != nil {
		fmt.Fprintln(stderr, "ghost-export-start: connecting to Temporal:", err)
		return 1
	}
	defer tc.Close()
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	code, err := c.do(ctx, tc, enc)
	if err != nil {
		fmt.Fprintln(stderr, "ghost-export-start:", err)
	}
	return code
}

// do runs the command's mode; it returns the exit code.
func (c config) do(ctx context.Context, tc client.Client, enc *json.Encoder) (int, error) {
	switch {
	case c.progress:
		p, err := ghosttemporal.Progress(ctx, tc, c.id)
		if err != nil {
			return 1, err
		}
		return 0, enc.Encode(p)
	case c.failed:
		f, err := ghosttemporal.Failures(ctx, tc, c.id)
		if err != nil {
			return 1, err
		}
		return 0, enc.Encode(f)
	case c.retryFailed:
		return c.retry(ctx, tc, enc)
	case c.params.Merchants != nil:
		run, started, err := ghosttemporal.StartJob(ctx, tc, c.id, c.queue, c.params)
		if err != nil {
			return 1, err
		}
		if err := enc.Encode(map[string]any{"workflowId": run.GetID(), "runId": run.GetRunID(), "started": started}); err != nil {
			return 1, err
		}
		if !c.wait {
			return 0, nil
		}
	}
	return wait(ctx, tc, c.id, enc)
}

func wait(ctx context.Context, tc client.Client, id string, enc *json.Encoder) (int, error) {
	var res ghosttemporal.MerchantsResult
	if err := tc.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return 1, err
	}
	if err := enc.Encode(res); err != nil {
		return 1, err
	}
	if res.FailedCount > 0 {
		return 1, fmt.Errorf("%d merchants failed: list their windows with -failed, run them again with -retry-failed", res.FailedCount)
	}
	return 0, nil
}

// retry starts a job that runs the failed windows of job c.id again, under
// the first free id c.id-retry-N.
func (c config) retry(ctx context.Context, tc client.Client, enc *json.Encoder) (int, error) {
	f, err := ghosttemporal.Failures(ctx, tc, c.id)
	if err != nil {
		return 1, err
	}
	switch {
	case f.Running:
		return 1, fmt.Errorf("job %s is still running: retry its failed windows once it has finished", c.id)
	case len(f.Failed) == 0:
		return 0, enc.Encode(map[string]any{"workflowId": c.id, "failed": 0, "started": false})
	case f.FailedCount > len(f.Failed):
		return 1, fmt.Errorf("job %s lists %d of its %d failed merchants: too many to retry as one job", c.id, len(f.Failed), f.FailedCount)
	}
	orig, err := ghosttemporal.JobParams(ctx, tc, c.id)
	if err != nil {
		return 1, err
	}
	p := ghosttemporal.RetryParams(orig, f.Failed)
	for n := 1; n <= 1000; n++ {
		id := fmt.Sprintf("%s-retry-%d", c.id, n)
		_, err := tc.DescribeWorkflowExecution(ctx, id, "")
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			if err != nil {
				return 1, err
			}
			continue // taken
		}
		run, _, err := ghosttemporal.StartJob(ctx, tc, id, c.queue, p)
		if err != nil {
			return 1, err
		}
		if err := enc.Encode(map[string]any{"workflowId": run.GetID(), "runId": run.GetRunID(), "started": true,
			"retries": c.id, "merchants": len(p.Merchants)}); err != nil {
			return 1, err
		}
		if !c.wait {
			return 0, nil
		}
		return wait(ctx, tc, id, enc)
	}
	return 1, fmt.Errorf("job %s has been retried 1000 times", c.id)
}
