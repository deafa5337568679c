package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/spf13/cobra"
)

type exportOpts struct {
	typ, merchant, from, to string
	days                    int
	out, format, cpPath     string
	concurrency, downloads  int
	resume, waitHours       bool
	poll                    time.Duration
	progress                string
}

func (a *app) newExportCmd() *cobra.Command {
	o := &exportOpts{}
	cmd := &cobra.Command{
		Use:   "export --type orders|payments --merchant M --from DATE [--to DATE] [--out FILE|-]",
		Short: "Export a merchant's orders or payments for any time range",
		Long: `export runs a bulk export of a merchant's orders or payments for a range of any
length: the range is split into exports of at most 30 days, --concurrency of
them run on the server at once (the service allows "a few"; a 503 for too
many lowers the number for a while), and the objects are written in time
order, each exactly once, as JSON Lines or CSV.

On a terminal, stderr shows one live bar per window in flight and a total
(windows, the file's objects and bytes, the rate, an ETA from the smoothed
rate), fitted to the terminal's width; otherwise it gets one plain line per
step. A resumed export keeps its window numbers and counts the whole file.

Writing to a file, export saves a checkpoint next to it (FILE.checkpoint)
after every window: the range, the format and how much of the file is done.
After Ctrl-C or a crash, "ghost export --resume --out FILE" continues exactly
there, however much later: the range is read from the checkpoint, not
recomputed from the clock. The checkpoint is removed when the export is done.

Dates are YYYY-MM-DD (midnight UTC) or RFC 3339; the range is [from, to).`,
		Example: `  ghost export --type orders --merchant ABC123 --from 2026-01-01 --to 2026-03-01 --out orders.jsonl
  ghost export --resume --out orders.jsonl
  ghost export --type payments --merchant ABC123 --days 45 --format csv --out - > payments.csv
  ghost --mock export --type orders --days 90 --concurrency 3 --mock-export-concurrency 3 --out orders.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runExport(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.typ, "type", "", "what to export: orders or payments (required unless --resume)")
	f.StringVar(&o.merchant, "merchant", "", "merchant id (default MERCHANT1 with --mock)")
	f.StringVar(&o.from, "from", "", "start of the range, YYYY-MM-DD or RFC 3339 (default: --days before --to)")
	f.StringVar(&o.to, "to", "", "end of the range, exclusive (default: now, to the minute)")
	f.IntVar(&o.days, "days", 30, "length of the range in days when --from is not given")
	f.StringVarP(&o.out, "out", "o", "-", `output file, or "-" for stdout (no checkpoint then)`)
	f.StringVar(&o.format, "format", "", "jsonl or csv (default: from the --out extension, else jsonl)")
	f.StringVar(&o.cpPath, "checkpoint", "", "checkpoint file (default: --out + \".checkpoint\")")
	f.BoolVar(&o.resume, "resume", false, "continue the export the checkpoint describes")
	f.IntVar(&o.concurrency, "concurrency", ghost.DefaultRangeConcurrency, "exports to run on the server at once")
	f.IntVar(&o.downloads, "downloads", ghost.DefaultRangeDownloads, "files of one export to download at once")
	f.DurationVar(&o.poll, "poll", time.Second, "first interval between status polls")
	f.BoolVar(&o.waitHours, "wait-for-hours", false, "outside the service's hours, wait for it to open instead of stopping")
	f.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (bars on a terminal, else lines), bars, lines or none")
	cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"orders", "payments"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"jsonl", "csv"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("progress", cobra.FixedCompletions([]string{"auto", "bars", "lines", "none"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// exportCheckpoint is what export saves after each window.
type exportCheckpoint struct {
	Version  int              `json:"version"`
	Merchant string           `json:"merchant"`
	Type     ghost.ExportType `json:"type"`
	Format   string           `json:"format"`
	From     time.Time        `json:"from"`
	To       time.Time        `json:"to"`
	Done     time.Time        `json:"done"`   // the range before this is in the output
	Offset   int64            `json:"offset"` // the output's size at that point
	Objects  int              `json:"objects"`
}

// doneAt is where the export stands: Done, or From before any window.
func (c *exportCheckpoint) doneAt() time.Time {
	if c.Done.IsZero() {
		return c.From
	}
	return c.Done
}

func (c *exportCheckpoint) save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func loadCheckpoint(path string) (*exportCheckpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c exportCheckpoint
	if err := json.Unmarshal(b, &c); err != nil || c.Version != 1 || c.From.IsZero() || c.To.IsZero() {
		return nil, fmt.Errorf("checkpoint %s is not a ghost export checkpoint", path)
	}
	return &c, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor RFC 3339", s)
	}
	return t.UTC(), nil
}

func exportType(s string) (ghost.ExportType, error) {
	switch strings.ToLower(s) {
	case "orders":
		return ghost.ExportTypeOrders, nil
	case "payments":
		return ghost.ExportTypePayments, nil
	}
	return "", fmt.Errorf("--type %q: want orders or payments", s)
}

// plan builds the checkpoint the run starts from: a new one from the flags,
// or the saved one with --resume.
func (o *exportOpts) plan(cmd *cobra.Command, mock bool) (*exportCheckpoint, error) {
	if o.out != "-" && o.cpPath == "" {
		o.cpPath = o.out + ".checkpoint"
	}
	if o.resume {
		if o.out == "-" {
			return nil, errors.New("--resume needs the --out file the export writes to")
		}
		for _, name := range []string{"type", "merchant", "from", "to", "days", "format"} {
			if cmd.Flags().Changed(name) {
				return nil, fmt.Errorf("--%s cannot be used with --resume: the checkpoint holds the export's settings", name)
			}
		}
		cp, err := loadCheckpoint(o.cpPath)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no checkpoint %s to resume", o.cpPath)
		}
		return cp, err
	}
	if o.cpPath != "" {
		if _, err := os.Stat(o.cpPath); err == nil {
			return nil, fmt.Errorf("checkpoint %s exists: add --resume to continue that export, or remove it to start afresh", o.cpPath)
		}
	}
	if o.typ == "" {
		return nil, errors.New("--type is required (orders or payments)")
	}
	typ, err := exportType(o.typ)
	if err != nil {
		return nil, err
	}
	cp := &exportCheckpoint{Version: 1, Type: typ, Merchant: o.merchant}
	if cp.Merchant == "" {
		if !mock {
			return nil, errors.New("--merchant is required")
		}
		cp.Merchant = "MERCHANT1"
	}
	cp.To = time.Now().UTC().Truncate(time.Minute)
	if o.to != "" {
		if cp.To, err = parseTime(o.to); err != nil {
			return nil, fmt.Errorf("--to: %w", err)
		}
	}
	if o.from != "" {
		if cp.From, err = parseTime(o.from); err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
	} else {
		if o.days <= 0 {
			return nil, errors.New("--days must be positive")
		}
		cp.From = cp.To.AddDate(0, 0, -o.days)
	}
	if !cp.From.Before(cp.To) {
		return nil, fmt.Errorf("--from %s is not before --to %s", cp.From.Format(time.RFC3339), cp.To.Format(time.RFC3339))
	}
	cp.Format = o.format
	if cp.Format == "" {
		cp.Format = "jsonl"
		if strings.HasSuffix(strings.ToLower(o.out), ".csv") {
			cp.Format = "csv"
		}
	}
	if cp.Format != "jsonl" && cp.Format != "csv" {
		return nil, fmt.Errorf("--format %q: want jsonl or csv", cp.Format)
	}
	return cp, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// tally counts the bytes written through it, for the display.
type tally struct {
	w io.Writer
	n atomic.Int64
}

func (t *tally) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.n.Add(int64(n))
	return n, err
}

// rowWriter writes objects as JSON Lines or CSV.
type rowWriter struct {
	typ    ghost.ExportType
	format string
	bw     *bufio.Writer
	out    *tally // over bw
	cw     *csv.Writer
	line   bytes.Buffer
}

var orderColumns = []string{"id", "currency", "total", "state", "paymentState", "title", "note", "createdTime", "modifiedTime"}
var paymentColumns = []string{"id", "orderId", "currency", "amount", "tipAmount", "taxAmount", "result", "createdTime", "modifiedTime"}

func (w *rowWriter) header() error {
	if w.format != "csv" {
		return nil
	}
	if w.typ == ghost.ExportTypePayments {
		return w.cw.Write(paymentColumns)
	}
	return w.cw.Write(orderColumns)
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (w *rowWriter) write(obj json.RawMessage) error {
	if w.format == "jsonl" {
		w.line.Reset()
		if err := json.Compact(&w.line, obj); err != nil {
			return err
		}
		w.line.WriteByte('\n')
		_, err := w.out.Write(w.line.Bytes())
		return err
	}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	if w.typ == ghost.ExportTypePayments {
		var p ghost.ExportedPayment
		if err := json.Unmarshal(obj, &p); err != nil {
			return err
		}
		return w.cw.Write([]string{string(p.ID), string(p.OrderID), p.Currency, i64(p.Amount), i64(p.TipAmount), i64(p.TaxAmount), p.Result, csvTime(p.CreatedTime), csvTime(p.ModifiedTime)})
	}
	var o ghost.ExportedOrder
	if err := json.Unmarshal(obj, &o); err != nil {
		return err
	}
	return w.cw.Write([]string{string(o.ID), o.Currency, i64(o.Total), o.State, o.PaymentState, o.Title, o.Note, csvTime(o.CreatedTime), csvTime(o.ModifiedTime)})
}

func (w *rowWriter) flush() error {
	if w.cw != nil {
		w.cw.Flush()
		if err := w.cw.Error(); err != nil {
			return err
		}
	}
	return w.bw.Flush()
}

// windowsIn is how many export windows [from, to) splits into.
func windowsIn(from, to time.Time) int {
	if !to.After(from) {
		return 0
	}
	return int((to.Sub(from) + ghost.MaxExportRange - 1) / ghost.MaxExportRange)
}

// openOutput opens the --out file truncated to the checkpoint's offset, or
// returns nil for stdout.
func (o *exportOpts) openOutput(cp *exportCheckpoint) (*os.File, error) {
	if o.out == "-" {
		return nil, nil
	}
	flags := os.O_CREATE | os.O_WRONLY
	if !o.resume {
		flags |= os.O_TRUNC
	}
	file, err := os.OpenFile(o.out, flags, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := file.Stat()
	if err == nil && st.Size() < cp.Offset {
		err = fmt.Errorf("%s is shorter than its checkpoint says (%d < %d bytes): remove %s to start afresh", o.out, st.Size(), cp.Offset, o.cpPath)
	}
	if err == nil {
		err = file.Truncate(cp.Offset)
	}
	if err == nil {
		_, err = file.Seek(cp.Offset, io.SeekStart)
	}
	if err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}

// newRowWriter writes the checkpoint's format to w, the CSV header first
// in a new file.
func newRowWriter(cp *exportCheckpoint, w io.Writer) (*rowWriter, error) {
	rw := &rowWriter{typ: cp.Type, format: cp.Format, bw: bufio.NewWriterSize(w, 256<<10)}
	rw.out = &tally{w: rw.bw}
	if cp.Format == "csv" {
		rw.cw = csv.NewWriter(rw.out)
	}
	if cp.Offset == 0 {
		if err := rw.header(); err != nil {
			return nil, err
		}
	}
	return rw, nil
}

func (a *app) runExport(cmd *cobra.Command, o *exportOpts) (err error) {
	defer func() {
		if err != nil {
			err = &partError{ghost.PartExports, err}
		}
	}()
	cp, err := o.plan(cmd, a.mock)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	// The output: stdout, or the file truncated to the checkpoint.
	var out io.Writer = a.stdout
	file, err := o.openOutput(cp)
	if err != nil {
		return err
	}
	if file != nil {
		defer file.Close()
		out = file
	}
	r := &exporter{o: o, cp: cp, file: file, counted: &countWriter{w: out}, offset: cp.Offset, objects: cp.Objects}
	if r.rw, err = newRowWriter(cp, r.counted); err != nil {
		return err
	}
	// The display numbers windows in the whole range and counts the whole
	// file: a resumed run goes on where the first stopped.
	before := windowsIn(cp.From, cp.doneAt())
	r.tot = newTotals(time.Now, before, windowsIn(cp.From, cp.To), int64(cp.Objects),
		func() int64 { return r.offset + r.rw.out.n.Load() })
	if r.ui, err = newProgress(o.progress, a.stderr, r.tot); err != nil {
		return err
	}
	if o.resume {
		r.ui.note(fmt.Sprintf("resuming %s of %s [%s, %s) at window %d/%d (%s): %d objects already in %s",
			strings.ToLower(string(cp.Type)), cp.Merchant, day(cp.From), day(cp.To), before+1, r.tot.windows,
			day(cp.doneAt()), cp.Objects, o.out))
	}
	// A checkpoint exists from the start, so even a crash before the first
	// window is done leaves something to resume.
	if file != nil {
		if err := r.rw.flush(); err != nil {
			return err
		}
		cp.Offset = r.offset + r.counted.n
		if err := cp.save(o.cpPath); err != nil {
			return err
		}
	}
	defer func() { r.ui.finish(err) }()
	if err := r.copy(cmd.Context(), c); err != nil {
		return err
	}
	return r.complete()
}

// exporter is one run of ghost export: the output and its checkpoint.
type exporter struct {
	o       *exportOpts
	cp      *exportCheckpoint
	file    *os.File // nil for stdout
	counted *countWriter
	offset  int64 // the file's size when the run began
	rw      *rowWriter
	tot     *totals
	ui      progress
	objects int   // written so far, the current window's included
	saveErr error // saving the checkpoint failed
}

// progress saves the checkpoint when a window is written, before it is
// reported, and reports every step.
func (r *exporter) progress(p ghost.RangeProgress) {
	if p.Phase == ghost.PhaseDone && r.file != nil && r.saveErr == nil {
		r.saveErr = r.rw.flush()
		if r.saveErr == nil {
			r.saveErr = r.file.Sync()
		}
		if r.saveErr == nil {
			r.cp.Done, r.cp.Offset, r.cp.Objects = p.Checkpoint, r.offset+r.counted.n, r.objects
			r.saveErr = r.cp.save(r.o.cpPath)
		}
	}
	r.ui.event(p)
}

// copy writes every object of the range to the output.
func (r *exporter) copy(ctx context.Context, c *ghost.Client) error {
	o, cp := r.o, r.cp
	params := ghost.RangeParams{
		Type: cp.Type, Start: cp.From, End: cp.To, Checkpoint: cp.Done,
		Concurrency: o.concurrency, Downloads: o.downloads, WaitForHours: o.waitHours,
		Wait:       ghost.WaitOptions{Interval: o.poll, MaxInterval: 30 * time.Second},
		OnProgress: r.progress,
	}
	for obj, err := range c.Exports.Range(ctx, ghost.ID(cp.Merchant), params) {
		switch {
		case err != nil && r.file == nil:
			return err
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("interrupted; %d objects up to %s are saved: run \"ghost export --resume --out %s\" to continue",
				cp.Objects, cp.doneAt().Format(time.RFC3339), o.out)
		case err != nil:
			return fmt.Errorf("%w\nthe objects up to %s are saved: fix the cause, then run \"ghost export --resume --out %s\"",
				err, cp.doneAt().Format(time.RFC3339), o.out)
		case r.saveErr != nil:
			return fmt.Errorf("saving the checkpoint: %w", r.saveErr)
		}
		if err := r.rw.write(obj); err != nil {
			return fmt.Errorf("writing object %d: %w", r.objects+1, err)
		}
		r.objects++
		r.tot.objects.Add(1)
	}
	return nil
}

// complete flushes the output and, in a file, removes the checkpoint.
func (r *exporter) complete() error {
	if r.saveErr != nil {
		return fmt.Errorf("saving the checkpoint: %w", r.saveErr)
	}
	if err := r.rw.flush(); err != nil {
		return err
	}
	if r.file == nil {
		return nil
	}
	if err := r.file.Sync(); err != nil {
		return err
	}
	if err := os.Remove(r.o.cpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func day(t time.Time) string {
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}
