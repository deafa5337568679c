package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// newProgress returns the display for mode: bars on a terminal, else
// lines.
func newProgress(mode string, w io.Writer, t *totals) (progress, error) {
	if mode == "auto" {
		mode = "lines"
		if tty, _ := terminal(w); tty {
			mode = "bars"
		}
	}
	switch mode {
	case "bars":
		return newBars(mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(150*time.Millisecond)), w, t), nil
	case "lines":
		return &lines{w: w, t: t}, nil
	case "none":
		return &lines{w: io.Discard, t: t}, nil
	}
	return nil, fmt.Errorf("--progress %q: want auto, bars, lines or none", mode)
}

// progress shows what an export is doing on stderr.
type progress interface {
	note(msg string)             // a line of information
	event(p ghost.RangeProgress) // a Range step (calls never overlap)
	finish(err error)            // the run ended
}

// totals is the export as the display counts it: windows numbered in the
// whole range (a resumed run keeps the numbers of the first), and the
// file's objects and bytes, the resumed part included. Range's reports
// arrive on its goroutines and the bars are drawn on mpb's: mu guards it.
type totals struct {
	now   func() time.Time
	began time.Time

	offset  int // windows done before this run
	windows int // windows of the whole range

	objects   atomic.Int64 // objects in the file
	runStart  int64        // objects in the file when this run began
	fileBytes func() int64 // the file's size so far

	mu   sync.Mutex
	done int             // windows done, offset included
	frac map[int]float64 // how far each window in flight is, 0 to 1
	eta  etaEstimator
}

func newTotals(now func() time.Time, offset, windows int, objects int64, fileBytes func() int64) *totals {
	t := &totals{now: now, began: now(), offset: offset, windows: windows, runStart: objects,
		fileBytes: fileBytes, done: offset, frac: map[int]float64{}}
	t.objects.Store(objects)
	return t
}

// number is a window's number in the whole range.
func (t *totals) number(p ghost.RangeProgress) int { return t.offset + p.Window }

// windowFraction is how far a window is at a step: the export's percent
// is most of it, downloading the rest.
func windowFraction(p ghost.RangeProgress, prev float64) float64 {
	switch p.Phase {
	case ghost.PhasePolling:
		return 0.8 * float64(min(p.Export.PercentComplete, 100)) / 100
	case ghost.PhaseDownloading:
		return 0.8
	case ghost.PhaseFile:
		return 0.8 + 0.15*float64(p.FilesDone)/float64(max(p.Files, 1))
	}
	return prev
}

// step records a Range report.
func (t *totals) step(p ghost.RangeProgress) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.number(p)
	if p.Phase == ghost.PhaseDone {
		delete(t.frac, n)
		t.done++
	} else {
		t.frac[n] = windowFraction(p, t.frac[n])
	}
	t.eta.observe(t.now(), t.progressLocked(), float64(t.windows))
}

func (t *totals) progressLocked() float64 {
	p := float64(t.done)
	for _, f := range t.frac {
		p += f
	}
	return p
}

// stats is the total's numbers now.
type stats struct {
	done, windows int
	objects       int64
	bytes         int64
	rate          float64 // objects per second this run
	eta           string
}

func (t *totals) stats() stats {
	t.mu.Lock()
	now := t.now()
	t.eta.observe(now, t.progressLocked(), float64(t.windows))
	s := stats{done: t.done, windows: t.windows, eta: t.eta.text(now, t.done >= t.windows)}
	t.mu.Unlock()
	s.objects = t.objects.Load()
	s.bytes = t.fileBytes()
	if el := now.Sub(t.began).Seconds(); el > 0 {
		s.rate = float64(s.objects-t.runStart) / el
	}
	return s
}

// etaEstimator estimates the time left from a smoothed rate of progress
// (windows per second, the running windows' partial progress included):
// an exponentially weighted average over about tau, so one quick or slow
// window does not swing it. Between samples the estimate counts down, and
// while work gets done it never moves later than the one shown, unless the
// one shown has run out (then the run is late and a new estimate is all
// there is).
type etaEstimator struct {
	lastT    time.Time
	lastP    float64
	rate     float64 // work per second; 0 until measured
	deadline time.Time
	shownP   float64 // progress when deadline was set
}

const (
	etaTau    = 10 * time.Second       // smoothing time constant
	etaSample = 500 * time.Millisecond // shortest interval between rate samples
)

func (e *etaEstimator) observe(now time.Time, p, total float64) {
	if e.lastT.IsZero() {
		e.lastT, e.lastP = now, p
		return
	}
	dt := now.Sub(e.lastT)
	if dt < etaSample {
		return
	}
	inst := (p - e.lastP) / dt.Seconds()
	if e.rate == 0 {
		e.rate = inst
	} else {
		e.rate += (1 - math.Exp(-dt.Seconds()/etaTau.Seconds())) * (inst - e.rate)
	}
	e.lastT, e.lastP = now, p
	if e.rate <= 0 {
		return
	}
	est := now.Add(time.Duration((total - p) / e.rate * float64(time.Second)))
	if p > e.shownP && e.deadline.After(now) && est.After(e.deadline) {
		est = e.deadline // work got done: the estimate does not climb
	}
	e.deadline, e.shownP = est, p
}

func (e *etaEstimator) left(now time.Time) (time.Duration, bool) {
	if e.deadline.IsZero() {
		return 0, false
	}
	return max(e.deadline.Sub(now), 0), true
}

func (e *etaEstimator) text(now time.Time, finished bool) string {
	if finished {
		return "0s"
	}
	d, ok := e.left(now)
	if !ok {
		return "–"
	}
	return short(d)
}

// short formats a duration in at most six characters: 17s, 4m05s, 2h04m.
func short(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return ">99h"
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

// summary is the total as one phrase, for lines and the closing line.
func (s stats) summary() string {
	return fmt.Sprintf("file %d objects, %s; %.0f objects/s, ETA %s", s.objects, size(s.bytes), s.rate, s.eta)
}

// windowRange is a window's [start, end), as dates when both are midnight.
func windowRange(p ghost.RangeProgress) string {
	return fmt.Sprintf("[%s, %s)", day(p.Start), day(p.End))
}

// lines prints one line per step: for logs, pipes and CI.
type lines struct {
	w io.Writer
	t *totals
}

func (l *lines) note(msg string) { fmt.Fprintln(l.w, msg) }

func (l *lines) event(p ghost.RangeProgress) {
	l.t.step(p)
	name := fmt.Sprintf("window %d/%d %s", l.t.number(p), l.t.windows, windowRange(p))
	switch p.Phase {
	case ghost.PhaseRetrying:
		fmt.Fprintf(l.w, "%s: not started: %s; trying again in %s\n", name, errText(p.Err), p.Wait.Round(time.Millisecond))
	case ghost.PhaseCreated:
		fmt.Fprintf(l.w, "%s: export %s created (%d running)\n", name, p.Export.ID, p.InFlight)
	case ghost.PhaseDownloading:
		fmt.Fprintf(l.w, "%s: export DONE, downloading %d file(s)\n", name, p.Files)
	case ghost.PhaseFile:
		if p.FilesDone == p.Files {
			fmt.Fprintf(l.w, "%s: downloaded %d file(s), %s\n", name, p.Files, size(p.Bytes))
		}
	case ghost.PhaseDone:
		fmt.Fprintf(l.w, "%s: written, %d objects; %s\n", name, p.Objects, l.t.stats().summary())
	}
}

func (l *lines) finish(err error) { finishLine(l.w, l.t, err) }

// finishLine is the closing line of a run that succeeded.
func finishLine(w io.Writer, t *totals, err error) {
	if err == nil {
		s := t.stats()
		fmt.Fprintf(w, "done: %d objects this run in %s; the file holds %d objects, %s\n",
			s.objects-t.runStart, t.now().Sub(t.began).Round(10*time.Millisecond), s.objects, size(s.bytes))
	}
}

// errText is an error for the display, without the SDK's prefix.
func errText(err error) string { return sdkWords.Replace(err.Error()) }

// The bars' layout: every line fits the terminal's width in fixed-width
// columns; the bar takes what is left, up to maxBar, and is left out below
// minBar.
const (
	minBar   = 5
	maxBar   = 40
	minState = 16
	maxState = 40
)

// fit pads s to n columns, or cuts it with "…".
func fit(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if c := utf8.RuneCountInString(s); c <= n {
		return s + strings.Repeat(" ", n-c)
	}
	return string([]rune(s)[:n-1]) + "…"
}

// capBar keeps a bar between minBar and maxBar columns, whatever width the
// container asks for.
func capBar(base mpb.BarFiller) mpb.BarFiller {
	return mpb.BarFillerFunc(func(w io.Writer, st decor.Statistics) error {
		st.RequestedWidth, st.AvailableWidth = 0, min(st.AvailableWidth, maxBar)
		if st.AvailableWidth < minBar {
			return nil
		}
		return base.Fill(w, st)
	})
}

// totalLine is the total's columns for a width: windows, objects, bytes,
// rate and ETA; the bytes go first when the width is short.
func totalLine(s stats, width int) string {
	d := len(fmt.Sprint(s.windows))
	cols := []string{
		fmt.Sprintf("total %*d/%d windows", d, s.done, s.windows),
		fmt.Sprintf("%7d objects", s.objects),
		fmt.Sprintf("%9s", size(s.bytes)),
		fmt.Sprintf("%5.0f obj/s", s.rate),
		fmt.Sprintf("ETA %-5s", s.eta),
	}
	line := strings.Join(cols, " ")
	if utf8.RuneCountInString(line)+2+minBar > width {
		line = strings.Join(append(cols[:2:2], cols[3:]...), " ")
	}
	return line
}

// bars shows one live bar per window in flight and a total bar.
type bars struct {
	p *mpb.Progress
	t *totals
	w io.Writer

	mu     sync.Mutex
	total  *mpb.Bar
	digits int                // of the number of windows
	rangeW int                // width of the windows' ranges
	wins   map[int]*windowBar // windows not done yet, by number
}

type windowBar struct {
	bar   *mpb.Bar
	state atomic.Value // string: what the window is doing
}

func newBars(p *mpb.Progress, w io.Writer, t *totals) *bars {
	return &bars{p: p, t: t, w: w, wins: map[int]*windowBar{}, digits: len(fmt.Sprint(t.windows))}
}

func (b *bars) note(msg string) { fmt.Fprintln(b.p, msg) }

func (b *bars) ensureTotal() {
	if b.total != nil {
		return
	}
	b.total = b.p.New(int64(b.t.windows), mpb.BarStyle(), mpb.BarPriority(math.MaxInt32),
		mpb.BarFillerMiddleware(capBar),
		mpb.PrependDecorators(decor.Any(func(st decor.Statistics) string { return totalLine(b.t.stats(), st.AvailableWidth) })))
	b.total.SetCurrent(int64(b.t.offset))
}

func (b *bars) window(p ghost.RangeProgress) *windowBar {
	n := b.t.number(p)
	wb := b.wins[n]
	if wb != nil {
		return wb
	}
	wb = &windowBar{}
	wb.state.Store("waiting for a slot")
	rng := windowRange(p)
	if b.rangeW == 0 {
		b.rangeW = len(rng) // every window's range has the first one's width
	}
	prefix := fmt.Sprintf("window %*d/%d %s", b.digits, n, b.t.windows, fit(rng, b.rangeW))
	// The state is padded to its column: the bar, drawn in what the
	// columns leave, is then as wide on every line.
	wb.bar = b.p.New(100, mpb.BarStyle(), mpb.BarPriority(n), mpb.BarFillerMiddleware(capBar),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return prefix })),
		mpb.AppendDecorators(decor.Any(func(st decor.Statistics) string {
			return fit(wb.state.Load().(string), min(max(st.AvailableWidth-2-2*minBar, minState), maxState))
		})))
	b.wins[n] = wb
	return wb
}

func (b *bars) event(p ghost.RangeProgress) {
	b.t.step(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ensureTotal()
	wb := b.window(p)
	switch p.Phase {
	case ghost.PhaseRetrying:
		wb.state.Store(fmt.Sprintf("retry in %s: %s", short(p.Wait), errText(p.Err)))
	case ghost.PhaseCreated:
		wb.state.Store("created " + string(p.Export.ID))
	case ghost.PhasePolling:
		wb.bar.SetCurrent(int64(min(p.Export.PercentComplete, 99)))
		wb.state.Store(fmt.Sprintf("%s %d%%", p.Export.Status, p.Export.PercentComplete))
	case ghost.PhaseDownloading:
		wb.bar.SetCurrent(99)
		wb.state.Store(fmt.Sprintf("downloading %d files", p.Files))
	case ghost.PhaseFile:
		st := fmt.Sprintf("files %d/%d, %s", p.FilesDone, p.Files, size(p.Bytes))
		if p.FilesDone == p.Files {
			st = fmt.Sprintf("on disk %s, queued", size(p.Bytes))
		}
		wb.state.Store(st)
	case ghost.PhaseDone:
		wb.bar.Abort(true) // removed from the display
		delete(b.wins, b.t.number(p))
		b.total.SetCurrent(int64(b.t.number(p)))
	}
}

// finish ends every bar, waits for the last frame, and writes the closing
// line.
func (b *bars) finish(err error) {
	b.mu.Lock()
	for _, wb := range b.wins {
		wb.bar.Abort(true)
	}
	if b.total != nil {
		b.total.Abort(false)
	}
	b.mu.Unlock()
	b.p.Wait()
	finishLine(b.w, b.t, err)
}
