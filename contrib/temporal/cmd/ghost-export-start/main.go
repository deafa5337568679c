// Command ghost-export-start starts a Ghost export job on Temporal (run
// by ghost-export-worker processes), or shows the progress of one.
//
//	ghost-export-start -temporal localhost:7233 -id orders-2025 \
//	    -merchants m1,m2,m3 -type ORDERS -start 2025-01-01 -end 2026-02-05
//	ghost-export-start -id orders-2025 -progress
//	ghost-export-start -id orders-2025 -wait
//
// Merchants come from -merchants (comma-separated) or -merchants-file (one
// per line). The job is an ExportMerchants workflow with the given id;
// starting an id that is already running fails, so a job is never started
// twice. Output is JSON on stdout.
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
	"go.temporal.io/sdk/client"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

type config struct {
	temporal, namespace, queue, id string
	progress, wait                 bool
	params                         ghosttemporal.MerchantsParams
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is neither YYYY-MM-DD nor RFC 3339", s)
}

func parse(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("ghost-export-start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var merchants, file, typ, start, end string
	o := &c.params.Options
	temporalDefault := getenv("TEMPORAL_ADDRESS")
	if temporalDefault == "" {
		temporalDefault = "localhost:7233"
	}
	fs.StringVar(&c.temporal, "temporal", temporalDefault, "Temporal frontend HOST:PORT (or TEMPORAL_ADDRESS)")
	fs.StringVar(&c.namespace, "namespace", "default", "Temporal namespace")
	fs.StringVar(&c.queue, "task-queue", ghosttemporal.DefaultTaskQueue, "task queue the workers poll")
	fs.StringVar(&c.id, "id", "", "the job's workflow id (required)")
	fs.BoolVar(&c.progress, "progress", false, "print the progress of job -id and exit")
	fs.BoolVar(&c.wait, "wait", false, "wait for the job to finish and print its result")
	fs.StringVar(&merchants, "merchants", "", "merchant ids, comma-separated")
	fs.StringVar(&file, "merchants-file", "", "file of merchant ids, one per line")
	fs.StringVar(&typ, "type", "ORDERS", "ORDERS or PAYMENTS")
	fs.StringVar(&start, "start", "", "start of the range, YYYY-MM-DD or RFC 3339 (inclusive)")
	fs.StringVar(&end, "end", "", "end of the range (exclusive)")
	fs.IntVar(&o.MaxInFlight, "max-in-flight", 2, "exports running at once per merchant")
	fs.IntVar(&c.params.MaxConcurrent, "max-merchants", 4, "merchants exported at once")
	fs.IntVar(&c.params.MerchantsPerRun, "per-run", 100, "merchants per workflow run before it continues as new")
	fs.DurationVar(&o.AmbiguousCreateWait, "ambiguous-wait", 2*time.Hour, "wait after a create whose answer was lost (longer than an export runs)")
	fs.BoolVar(&o.FailOnAmbiguousCreate, "fail-on-lost-create", false, "fail the window instead of waiting after a create whose answer was lost")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.id == "" {
		return c, errors.New("-id is required")
	}
	if c.progress || (c.wait && merchants == "" && file == "") {
		return c, nil // about an existing job
	}
	ids, err := merchantIDs(merchants, file)
	if err != nil {
		return c, err
	}
	c.params.Merchants = ids
	c.params.Type = ghost.ExportType(strings.ToUpper(typ))
	if c.params.Type != ghost.ExportTypeOrders && c.params.Type != ghost.ExportTypePayments {
		return c, fmt.Errorf("-type %q: want ORDERS or PAYMENTS", typ)
	}
	if c.params.Start, err = parseTime(start); err != nil {
		return c, fmt.Errorf("-start: %w", err)
	}
	if c.params.End, err = parseTime(end); err != nil {
		return c, fmt.Errorf("-end: %w", err)
	}
	if _, err := ghosttemporal.SplitWindows(c.params.Start, c.params.End, 0); err != nil {
		return c, err
	}
	return c, nil
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
	switch {
	case c.progress:
		v, err := tc.QueryWorkflow(ctx, c.id, "", ghosttemporal.ProgressQuery)
		if err != nil {
			fmt.Fprintln(stderr, "ghost-export-start:", err)
			return 1
		}
		var p ghosttemporal.MerchantsProgress
		if err := v.Get(&p); err != nil {
			fmt.Fprintln(stderr, "ghost-export-start:", err)
			return 1
		}
		enc.Encode(p)
		return 0
	case c.params.Merchants != nil:
		run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: c.id, TaskQueue: c.queue},
			ghosttemporal.ExportMerchantsWorkflow, c.params)
		if err != nil {
			fmt.Fprintln(stderr, "ghost-export-start:", err)
			return 1
		}
		enc.Encode(map[string]string{"workflowId": run.GetID(), "runId": run.GetRunID()})
		if !c.wait {
			return 0
		}
	}
	var res ghosttemporal.MerchantsResult
	if err := tc.GetWorkflow(ctx, c.id, "").Get(ctx, &res); err != nil {
		fmt.Fprintln(stderr, "ghost-export-start:", err)
		return 1
	}
	enc.Encode(res)
	if res.FailedCount > 0 {
		return 1
	}
	return 0
}
