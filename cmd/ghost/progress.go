package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress shows what an export is doing on stderr.
type progress interface {
	note(msg string)               // a line of information
	event(p ghost.RangeProgress)   // a Range step (calls never overlap)
	object(size int)               // one object written
	finish(err error, objects int) // the run ended
}

func newProgress(mode string, w io.Writer) (progress, error) {
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bars"
		}
	}
	t := &totals{began: time.Now()}
	switch mode {
	case "bars":
		return newBars(w, t), nil
	case "lines":
		return &lines{w: w, t: t}, nil
	case "none":
		return &lines{w: io.Discard, t: t}, nil
	}
	return nil, fmt.Errorf("--progress %q: want auto, bars, lines or none", mode)
}

// totals are the run's counters, shared by both displays.
type totals struct {
	began          time.Time
	objects, bytes atomic.Int64
	windows, done  atomic.Int64
}

// object counts one object of n bytes written.
func (t *totals) object(n int) {
	t.objects.Add(1)
	t.bytes.Add(int64(n))
}

// finish writes the closing line of a run that succeeded.
func (t *totals) finish(w io.Writer, err error, objects int) {
	if err == nil {
		fmt.Fprintf(w, "done: %d objects this run (%s) in %s\n", objects, t.summary(), time.Since(t.began).Round(10*time.Millisecond))
	}
}

func (t *totals) rate() float64 {
	el := time.Since(t.began).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(t.objects.Load()) / el
}

// eta extrapolates from the windows emitted so far.
func (t *totals) eta() string {
	done, all := t.done.Load(), t.windows.Load()
	if done == 0 || all == 0 {
		return "ETA –"
	}
	if done >= all {
		return "ETA 0s"
	}
	per := time.Since(t.began) / time.Duration(done)
	return "ETA " + (per * time.Duration(all-done)).Round(time.Second).String()
}

func (t *totals) summary() string {
	return fmt.Sprintf("%d objects, %s, %.0f objects/s", t.objects.Load(), size(t.bytes.Load()), t.rate())
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func windowName(p ghost.RangeProgress) string {
	return fmt.Sprintf("window %d/%d [%s, %s)", p.Window, p.Windows, day(p.Start), day(p.End))
}

// lines prints one line per step: for logs, pipes and CI.
type lines struct {
	w io.Writer
	t *totals
}

func (l *lines) note(msg string) { fmt.Fprintln(l.w, msg) }

func (l *lines) event(p ghost.RangeProgress) {
	l.t.windows.Store(int64(p.Windows))
	name := windowName(p)
	switch p.Phase {
	case ghost.PhaseRetrying:
		fmt.Fprintf(l.w, "%s: not started: %v; trying again in %s\n", name, p.Err, p.Wait.Round(time.Millisecond))
	case ghost.PhaseCreated:
		fmt.Fprintf(l.w, "%s: export %s created (%d running)\n", name, p.Export.ID, p.InFlight)
	case ghost.PhaseDownloading:
		fmt.Fprintf(l.w, "%s: export DONE, downloading %d file(s)\n", name, p.Files)
	case ghost.PhaseFile:
		if p.FilesDone == p.Files {
			fmt.Fprintf(l.w, "%s: downloaded %d file(s), %s\n", name, p.Files, size(p.Bytes))
		}
	case ghost.PhaseDone:
		l.t.done.Add(1)
		fmt.Fprintf(l.w, "%s: written, %d objects; total %s, %s\n", name, p.Objects, l.t.summary(), l.t.eta())
	}
}

func (l *lines) object(n int) { l.t.object(n) }

func (l *lines) finish(err error, objects int) { l.t.finish(l.w, err, objects) }

// bars shows one live bar per window in flight and a total bar.
type bars struct {
	w     io.Writer
	p     *mpb.Progress
	t     *totals
	total *mpb.Bar

	mu   sync.Mutex
	wins map[int]*windowBar // windows not done yet
	all  []*mpb.Bar         // every bar, to end them all in finish
}

type windowBar struct {
	bar   *mpb.Bar
	state atomic.Value // string: what the window is doing
}

func newBars(w io.Writer, t *totals) *bars {
	return &bars{w: w, p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond)), t: t, wins: map[int]*windowBar{}}
}

func (b *bars) note(msg string) { fmt.Fprintln(b.p, msg) }

func (b *bars) ensureTotal(windows int) {
	if b.total != nil {
		return
	}
	b.t.windows.Store(int64(windows))
	b.total = b.p.AddBar(int64(windows), mpb.BarPriority(1<<30),
		mpb.PrependDecorators(decor.Name("total ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d windows", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			return fmt.Sprintf("%s  %s", b.t.summary(), b.t.eta())
		})))
}

func (b *bars) window(p ghost.RangeProgress) *windowBar {
	wb := b.wins[p.Window]
	if wb == nil {
		wb = &windowBar{}
		wb.state.Store("waiting for a slot")
		wb.bar = b.p.AddBar(100, mpb.BarPriority(p.Window), mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Name(windowName(p), decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return wb.state.Load().(string) })))
		b.wins[p.Window] = wb
		b.all = append(b.all, wb.bar)
	}
	return wb
}

func (b *bars) event(p ghost.RangeProgress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ensureTotal(p.Windows)
	wb := b.window(p)
	switch p.Phase {
	case ghost.PhaseRetrying:
		wb.state.Store(fmt.Sprintf("not started (%s); again in %s", short(p.Err), p.Wait.Round(time.Millisecond)))
	case ghost.PhaseCreated:
		wb.state.Store("export " + string(p.Export.ID) + " created")
	case ghost.PhasePolling:
		wb.bar.SetCurrent(int64(min(p.Export.PercentComplete, 99)))
		wb.state.Store(fmt.Sprintf("%s %d%%", p.Export.Status, p.Export.PercentComplete))
	case ghost.PhaseDownloading:
		wb.bar.SetCurrent(99)
		wb.state.Store(fmt.Sprintf("downloading 0/%d files", p.Files))
	case ghost.PhaseFile:
		st := fmt.Sprintf("downloading %d/%d files, %s", p.FilesDone, p.Files, size(p.Bytes))
		if p.FilesDone == p.Files {
			st = fmt.Sprintf("on disk (%s), waiting for earlier windows", size(p.Bytes))
		}
		wb.state.Store(st)
	case ghost.PhaseDone:
		b.t.done.Add(1)
		wb.bar.SetCurrent(100) // complete: the bar is removed
		delete(b.wins, p.Window)
		b.total.Increment()
	}
}

func short(err error) string {
	s := err.Error()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func (b *bars) object(n int) { b.t.object(n) }

func (b *bars) finish(err error, objects int) {
	b.mu.Lock()
	for _, bar := range b.all {
		if !bar.Completed() {
			bar.Abort(true)
		}
	}
	if b.total != nil && !b.total.Completed() {
		b.total.Abort(false)
	}
	b.mu.Unlock()
	b.p.Wait()
	b.t.finish(b.w, err, objects)
}
