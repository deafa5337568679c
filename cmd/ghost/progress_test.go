package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vbauerster/mpb/v8"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fakeClock is the display's clock in tests: it moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// exportRun drives a display with the reports of a range export, as Range
// sends them, on a fake clock.
type exportRun struct {
	clk     *fakeClock
	t       *totals
	ui      progress
	from    time.Time
	offset  int // windows done before this run
	windows int // this run's windows
}

func (r *exportRun) report(window int, phase ghost.RangePhase, mod func(p *ghost.RangeProgress)) {
	start := r.from.Add(time.Duration(r.offset+window-1) * ghost.MaxExportRange)
	p := ghost.RangeProgress{Window: window, Windows: r.windows, Start: start, End: start.Add(ghost.MaxExportRange),
		Phase: phase, Export: &ghost.Export{ID: ghost.ID(fmt.Sprintf("EXPORT%07d", r.offset+window))}}
	if mod != nil {
		mod(&p)
	}
	r.ui.event(p)
}

func (r *exportRun) poll(window, percent int) {
	r.report(window, ghost.PhasePolling, func(p *ghost.RangeProgress) {
		p.Export.Status, p.Export.PercentComplete = ghost.ExportStatusInProgress, percent
	})
}

// finishWindow downloads and writes a window of 1168 objects (two files).
func (r *exportRun) finishWindow(window int) {
	r.report(window, ghost.PhaseDownloading, func(p *ghost.RangeProgress) { p.Files = 2 })
	r.report(window, ghost.PhaseFile, func(p *ghost.RangeProgress) { p.Files, p.FilesDone, p.Bytes = 2, 2, 245_000 })
	r.t.objects.Add(1168)
	r.report(window, ghost.PhaseDone, func(p *ghost.RangeProgress) { p.Objects = 1168 })
}

// scenes of a 13-window export (2025-11-01 to 2026-11-01), three at once.
var scenes = []struct {
	name            string
	offset, objects int // a resumed run: windows and objects already in the file
	play            func(r *exportRun)
}{
	{"started: three windows in flight", 0, 0, func(r *exportRun) {
		for w := 1; w <= 3; w++ {
			r.report(w, ghost.PhaseCreated, nil)
		}
		r.clk.advance(time.Second)
		for w := 1; w <= 3; w++ {
			r.poll(w, 41)
		}
	}},
	{"running: three windows done, the next three in flight", 0, 0, func(r *exportRun) {
		for w := 1; w <= 3; w++ {
			r.report(w, ghost.PhaseCreated, nil)
		}
		for i := 1; i <= 3; i++ {
			r.clk.advance(time.Second)
			for w := 1; w <= 3; w++ {
				r.poll(w, 33*i)
			}
		}
		for w := 1; w <= 3; w++ {
			r.finishWindow(w)
			r.report(w+3, ghost.PhaseCreated, nil)
		}
		r.clk.advance(time.Second)
		r.poll(4, 39)
		r.poll(5, 38)
		r.report(6, ghost.PhaseRetrying, func(p *ghost.RangeProgress) {
			p.Err = &ghost.Error{StatusCode: 503, Message: "too many exports are running for this merchant; try again later"}
			p.Wait = 4 * time.Second
		})
	}},
	{"resumed after window 4: numbers and the file's total carry on", 4, 4670, func(r *exportRun) {
		r.report(1, ghost.PhaseCreated, nil)
		r.report(2, ghost.PhaseCreated, nil)
		r.clk.advance(2 * time.Second)
		r.poll(1, 66)
		r.poll(2, 60)
		r.clk.advance(time.Second)
		r.finishWindow(1)
		r.report(3, ghost.PhaseCreated, nil)
		r.report(2, ghost.PhaseDownloading, func(p *ghost.RangeProgress) { p.Files = 2 })
		r.report(2, ghost.PhaseFile, func(p *ghost.RangeProgress) { p.Files, p.FilesDone, p.Bytes = 2, 1, 122_500 })
	}},
}

// frameEnd is what mpb writes to move up over the frame it redraws.
var frameEnd = regexp.MustCompile(`\x1b\[\d+A\x1b\[J`)

// renderScene plays a scene into the bars display at a width and returns
// the last frame mpb drew. Every line of every frame must fit the width.
func renderScene(t *testing.T, width, offset, objects int, play func(r *exportRun)) string {
	t.Helper()
	var buf bytes.Buffer // read once mpb has shut down
	tick := make(chan any)
	p := mpb.New(mpb.WithOutput(&buf), mpb.WithWidth(width), mpb.WithManualRefresh(tick))
	clk := &fakeClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	fileBytes := int64(objects) * 210
	tot := newTotals(clk.now, offset, 13, int64(objects), func() int64 { return fileBytes })
	r := &exportRun{clk: clk, t: tot, ui: newBars(p, &buf, tot), from: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC),
		offset: offset, windows: 13 - offset}
	play(r)
	fileBytes = tot.objects.Load() * 210
	// mpb draws a window removed in the scene twice more (as it was, then
	// as its last frame) before it drops it: the third frame is the display
	// as it stands.
	for range 3 {
		tick <- nil
	}
	p.Shutdown()
	frames := frameEnd.Split(buf.String(), -1)
	for _, f := range frames {
		for _, line := range strings.Split(strings.TrimSuffix(f, "\n"), "\n") {
			assert.LessOrEqual(t, runewidth.StringWidth(line), width, "line wider than %d columns: %q", width, line)
		}
	}
	return frames[len(frames)-1]
}

func TestExportDisplayGolden(t *testing.T) {
	for _, width := range []int{80, 120} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			var got strings.Builder
			for _, sc := range scenes {
				fmt.Fprintf(&got, "## %s\n%s\n", sc.name, renderScene(t, width, sc.offset, sc.objects, sc.play))
			}
			path := filepath.Join("testdata", fmt.Sprintf("display-%d.golden", width))
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got.String()), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -run TestExportDisplayGolden -update to write it")
			assert.Equal(t, string(want), got.String())

			// The total line always has the windows, objects, rate and ETA.
			for _, frame := range strings.Split(got.String(), "## ")[1:] {
				assert.Regexp(t, `total +\d+/13 windows +\d+ objects .* obj/s +ETA \S+`, frame)
			}
		})
	}
}

func TestTotalLineFitsEveryWidth(t *testing.T) {
	s := stats{done: 104, windows: 123, objects: 123_456_789, bytes: 9 << 30, rate: 123456, eta: "4m05s"}
	for width := 60; width <= 200; width++ {
		line := totalLine(s, width)
		assert.LessOrEqual(t, len(line)+2+minBar, max(width, len(line)+2+minBar), width)
		assert.Contains(t, line, "104/123 windows")
		assert.Contains(t, line, "123456789 objects")
		assert.Contains(t, line, "123456 obj/s")
		assert.Contains(t, line, "ETA 4m05s")
		if width >= 80 {
			assert.LessOrEqual(t, len(line)+2+minBar, width, "room for a bar at %d", width)
		}
	}
}

// The ETA comes from a smoothed rate and does not climb while work gets
// done, however unevenly the windows finish; with no progress at all it
// may grow (the run is stalled).
func TestETADoesNotClimbWhileWorkShrinks(t *testing.T) {
	var e etaEstimator
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p, total := 0.0, 13.0
	e.observe(now, p, total)
	// Three windows at a time; completions bunch up, then a slow window.
	steps := []struct {
		after time.Duration
		work  float64
	}{
		{time.Second, 0.4}, {time.Second, 0.8}, {time.Second, 1.2}, {500 * time.Millisecond, 0.6},
		{3 * time.Second, 0.1}, {time.Second, 0.9}, {2 * time.Second, 1.5}, {4 * time.Second, 0.2},
		{time.Second, 2.0}, {time.Second, 0.3}, {2 * time.Second, 1.0}, {time.Second, 1.5}, {time.Second, 1.0},
	}
	var last time.Duration
	estimates := 0
	for i, st := range steps {
		now = now.Add(st.after)
		p += st.work
		e.observe(now, p, total)
		left, ok := e.left(now)
		if !ok {
			continue // not measured yet
		}
		if estimates > 0 {
			assert.LessOrEqual(t, left, last, "step %d: the ETA climbed from %s to %s while work went from %.1f to %.1f windows", i, last, left, p-st.work, p)
		}
		estimates++
		last = left
	}
	require.Greater(t, estimates, len(steps)-3, "an estimate from the second sample on")

	// A stall: no progress for a minute; the estimate may move out.
	stalled := now.Add(time.Minute)
	e.observe(stalled, p, total)
	left, _ := e.left(stalled)
	assert.Greater(t, left, time.Duration(0), "stalled with work left: not 0s")
}

func TestShortDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 17 * time.Second: "17s", 245 * time.Second: "4m05s", 2*time.Hour + 4*time.Minute: "2h04m", 200 * time.Hour: ">99h",
	} {
		assert.Equal(t, want, short(d))
	}
}

func TestErrTextHasNoSDKPrefix(t *testing.T) {
	assert.Equal(t, "the export may have been created: its answer was lost", errText(ghost.ErrExportCreateUnknown))
	assert.Equal(t, "x", errText(errors.New("ghost: x")))
}
