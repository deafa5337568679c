// Command export-batch exports a merchant's orders (or payments) for a time
// range of any length into a JSON Lines file, one object per line, using the
// bulk export API: ghost's Exports.Range runs the range as exports of at most
// 30 days, -concurrency of them at once, and yields the objects in time
// order; progress goes to stderr.
//
// By default it runs against an in-process mock server (package ghosttest)
// and exports the last 90 days:
//
//	go run ./examples/export-batch
//
// Against a live server, set GHOST_BASE_URL and GHOST_BEARER_TOKEN and name
// the merchant:
//
//	GHOST_BASE_URL=https://api.example.com GHOST_BEARER_TOKEN=… \
//	  go run ./examples/export-batch -merchant ABC123 -start 2026-01-01 -end 2026-07-01 -out orders.jsonl
//
// The job can be interrupted (Ctrl-C) or crash: after each finished window it
// saves a checkpoint next to the output file (-out + ".checkpoint") holding
// the end of the finished range and the size of the output at that point.
// Run it again with the same flags and it truncates the output to that size
// and resumes with the next window, so every object is written exactly once.
// The checkpoint holds the range: a re-run without -start/-end resumes the
// same range even when "now" (the default -end) has moved on since.
// Copy this file as a starting point for your own job.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// now is the clock the default range is computed from (tests move it).
var now = time.Now

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "export-batch:", err)
		os.Exit(1)
	}
}

type options struct {
	merchant   string
	typ        ghost.ExportType
	start, end time.Time
	out        string
	checkpoint string
	poll       time.Duration
	waitHours  bool
	mockTime   time.Duration
	mockConc   int
	conc       int
	// rangeSet: -start, -end or -days was given; otherwise a checkpoint's
	// range is resumed as it is.
	rangeSet bool
}

func parseFlags(args []string, now time.Time) (*options, error) {
	fs := flag.NewFlagSet("export-batch", flag.ContinueOnError)
	var (
		o               options
		typ, start, end string
		days            int
	)
	fs.StringVar(&o.merchant, "merchant", "", "merchant id (required against a live server; default MERCHANT1 against the mock)")
	fs.StringVar(&typ, "type", "ORDERS", "what to export: ORDERS or PAYMENTS")
	fs.StringVar(&start, "start", "", "start of the range, YYYY-MM-DD or RFC 3339 (default: -days before -end)")
	fs.StringVar(&end, "end", "", "end of the range (exclusive), YYYY-MM-DD or RFC 3339 (default: now)")
	fs.IntVar(&days, "days", 90, "length of the range in days when -start is not given")
	fs.StringVar(&o.out, "out", "orders.jsonl", "output file (JSON Lines)")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file (default: -out + \".checkpoint\")")
	fs.DurationVar(&o.poll, "poll", 250*time.Millisecond, "first interval between status polls")
	fs.BoolVar(&o.waitHours, "wait-for-hours", false, "outside the service's hours, wait for it to open instead of stopping")
	fs.DurationVar(&o.mockTime, "mock-export-duration", time.Second, "how long each export takes on the in-process mock")
	fs.IntVar(&o.mockConc, "mock-export-concurrency", 2, "how many exports the in-process mock runs at once")
	fs.IntVar(&o.conc, "concurrency", ghost.DefaultRangeConcurrency, "how many exports to run at once")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "start", "end", "days":
			o.rangeSet = true
		}
	})
	o.typ = ghost.ExportType(typ)
	if o.typ != ghost.ExportTypeOrders && o.typ != ghost.ExportTypePayments {
		return nil, fmt.Errorf("-type %q: want ORDERS or PAYMENTS", typ)
	}
	var err error
	if o.end, err = parseTime(end, now.UTC().Truncate(time.Minute)); err != nil {
		return nil, fmt.Errorf("-end: %w", err)
	}
	if days <= 0 {
		return nil, fmt.Errorf("-days must be positive")
	}
	if o.start, err = parseTime(start, o.end.AddDate(0, 0, -days)); err != nil {
		return nil, fmt.Errorf("-start: %w", err)
	}
	if !o.start.Before(o.end) {
		return nil, fmt.Errorf("-start %s is not before -end %s", o.start.Format(time.RFC3339), o.end.Format(time.RFC3339))
	}
	if o.checkpoint == "" {
		o.checkpoint = o.out + ".checkpoint"
	}
	return &o, nil
}

func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor RFC 3339", s)
	}
	return t.UTC(), nil
}

// checkpoint is what the job saves after each finished window.
type checkpoint struct {
	Merchant string           `json:"merchant"`
	Type     ghost.ExportType `json:"type"`
	Start    time.Time        `json:"start"`
	End      time.Time        `json:"end"`
	Done     time.Time        `json:"done"`   // the range before this is in the output
	Offset   int64            `json:"offset"` // the output's size at that point
	Objects  int              `json:"objects"`
}

// matches reports whether c is a checkpoint of the job o describes. When o's
// range was not given on the command line (it defaults to the days before
// now), the checkpoint's own range is the job's: a re-run later resumes it.
func (c *checkpoint) matches(o *options) bool {
	if c.Merchant != o.merchant || c.Type != o.typ {
		return false
	}
	return !o.rangeSet || (c.Start.Equal(o.start) && c.End.Equal(o.end))
}

func loadCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return &c, nil
}

// save writes the checkpoint atomically (a temporary file renamed over it).
func (c *checkpoint) save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// client returns a client for a live server when GHOST_BASE_URL and
// GHOST_BEARER_TOKEN are set, or one pointed at an in-process mock.
func client(o *options, log io.Writer) (*ghost.Client, func(), error) {
	base, token := os.Getenv("GHOST_BASE_URL"), os.Getenv("GHOST_BEARER_TOKEN")
	if base != "" || token != "" {
		if base == "" || token == "" {
			return nil, nil, errors.New("set both GHOST_BASE_URL and GHOST_BEARER_TOKEN for a live server")
		}
		if o.merchant == "" {
			return nil, nil, errors.New("-merchant is required against a live server")
		}
		c, err := ghost.NewClient(ghost.WithBaseURL(base), ghost.WithBearerToken(token))
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(log, "live server %s\n", base)
		return c, func() {}, nil
	}
	if o.merchant == "" {
		o.merchant = "MERCHANT1"
	}
	// The mock's exports take 1s each by default, so 90 days (3 exports) run
	// in a few seconds.
	srv, err := ghosttest.Start(
		ghosttest.WithConfig(ghosttest.Config{ExportDuration: o.mockTime, ExportConcurrency: o.mockConc}),
		ghosttest.WithProfile(ghosttest.ProfileExports),
	)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(log, "in-process mock server %s (set GHOST_BASE_URL and GHOST_BEARER_TOKEN for a live one)\n", srv.URL)
	return srv.Client, srv.Close, nil
}

func run(args []string, log io.Writer) error {
	o, err := parseFlags(args, now())
	if err != nil {
		return err
	}
	c, closeClient, err := client(o, log)
	if err != nil {
		return err
	}
	defer closeClient()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// Resume from a checkpoint of the same job, or start afresh when there is
	// none. Another job's checkpoint is refused: starting afresh would
	// truncate the output it describes.
	cp := &checkpoint{Merchant: o.merchant, Type: o.typ, Start: o.start, End: o.end}
	saved, err := loadCheckpoint(o.checkpoint)
	if err != nil {
		return err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if saved != nil && saved.matches(o) {
		cp = saved
		o.start, o.end = cp.Start, cp.End
		flags = os.O_CREATE | os.O_WRONLY
		fmt.Fprintf(log, "resuming from %s (%d objects already in %s)\n", cp.Done.Format(time.RFC3339), cp.Objects, o.out)
	} else if saved != nil {
		return fmt.Errorf("checkpoint %s is for another job (%s %s, %s to %s), and %s may hold its output; "+
			"resume it with the same flags, or remove the checkpoint to start afresh",
			o.checkpoint, saved.Merchant, saved.Type, saved.Start.Format(time.RFC3339), saved.End.Format(time.RFC3339), o.out)
	}
	f, err := os.OpenFile(o.out, flags, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	// Drop whatever an interrupted window left after the checkpoint.
	if st, err := f.Stat(); err != nil {
		return err
	} else if st.Size() < cp.Offset {
		return fmt.Errorf("%s is shorter than checkpoint %s says (%d < %d bytes); remove the checkpoint to start afresh",
			o.out, o.checkpoint, st.Size(), cp.Offset)
	}
	if err := f.Truncate(cp.Offset); err != nil {
		return err
	}
	if _, err := f.Seek(cp.Offset, io.SeekStart); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)

	fmt.Fprintf(log, "exporting %s of merchant %s from %s to %s into %s\n",
		o.typ, o.merchant, o.start.Format(time.RFC3339), o.end.Format(time.RFC3339), o.out)
	began := time.Now()
	offset, windows := cp.Offset, 0
	var saveErr error
	params := ghost.RangeParams{
		Type:         o.typ,
		Start:        o.start,
		End:          o.end,
		Checkpoint:   cp.Done,
		Concurrency:  o.conc,
		WaitForHours: o.waitHours,
		Wait:         ghost.WaitOptions{Interval: o.poll, MaxInterval: 10 * time.Second},
		OnProgress: func(p ghost.RangeProgress) {
			prefix := fmt.Sprintf("window %d/%d [%s, %s)", p.Window, p.Windows, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly))
			switch p.Phase {
			case ghost.PhaseRetrying:
				fmt.Fprintf(log, "%s: not started: %v; trying again in %s\n", prefix, p.Err, p.Wait.Round(time.Millisecond))
			case ghost.PhaseCreated:
				fmt.Fprintf(log, "%s: export %s created\n", prefix, p.Export.ID)
			case ghost.PhaseDownloading:
				fmt.Fprintf(log, "%s: export DONE; downloading %d file(s)\n", prefix, p.Files)
			case ghost.PhaseDone:
				windows++
				if err := w.Flush(); err != nil {
					saveErr = err
					return
				}
				cp.Done, cp.Offset = p.Checkpoint, offset
				if err := cp.save(o.checkpoint); err != nil {
					saveErr = err
				}
				fmt.Fprintf(log, "%s: wrote %d objects (%d in all)\n", prefix, p.Objects, cp.Objects)
			}
		},
	}

	var line bytes.Buffer
	for obj, err := range c.Exports.Range(ctx, ghost.ID(o.merchant), params) {
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted; run again with the same flags to resume after %s", cp.Done.Format(time.RFC3339))
			}
			return err
		}
		if saveErr != nil {
			return fmt.Errorf("saving progress: %w", saveErr)
		}
		line.Reset()
		if err := json.Compact(&line, obj); err != nil {
			return fmt.Errorf("object %d: %w", cp.Objects+1, err)
		}
		line.WriteByte('\n')
		n, err := w.Write(line.Bytes())
		if err != nil {
			return err
		}
		offset += int64(n)
		cp.Objects++
	}
	if saveErr != nil {
		return fmt.Errorf("saving progress: %w", saveErr)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := os.Remove(o.checkpoint); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	fmt.Fprintf(log, "done: %d %s objects in %d window(s) this run, %s written to %s, in %s\n",
		cp.Objects, o.typ, windows, byteSize(offset), o.out, time.Since(began).Round(10*time.Millisecond))
	return nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
