package ghost

import (
	"fmt"
	"iter"
	"math"
	"time"
)

// MinExportWindow is the shortest window a range may be split into (Range,
// SplitExportRange). The API takes times to the millisecond, but a window
// of less than a second would make more exports than any export service
// would run: a day would be 86,400 of them.
const MinExportWindow = time.Second

// ExportWindow is one export's share of a range: [Start, End), at most
// MaxExportRange long.
type ExportWindow struct {
	Index      int       // position in the range, from 0
	Start, End time.Time // the window's range [Start, End)
}

// String formats the window as "#index start–end", in UTC.
func (w ExportWindow) String() string {
	return fmt.Sprintf("#%d %s–%s", w.Index, w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339))
}

// ExportWindows is a range split into consecutive windows of one size (the
// last may be shorter). It holds no list: each window is computed when it
// is asked for, so a small window over a long range costs nothing until its
// windows are used.
type ExportWindows struct {
	start, end time.Time
	size       time.Duration
	n          int
}

// SplitExportRange splits [start, end) into consecutive windows of window
// (0 means MaxExportRange; at least MinExportWindow, at most
// MaxExportRange), in start's location. Range splits its range with it;
// so can a caller that runs each window's export itself, one per task or
// per worker. An invalid window or range is an error matching
// ErrValidation.
func SplitExportRange(start, end time.Time, window time.Duration) (ExportWindows, error) {
	switch {
	case window == 0:
		window = MaxExportRange
	case window < MinExportWindow || window > MaxExportRange:
		return ExportWindows{}, invalidParams("window", "window %s must be between %s and 30 days", window, MinExportWindow)
	}
	if start.IsZero() || end.IsZero() || !start.Before(end) {
		return ExportWindows{}, invalidParams("end", "the range needs a start before its end")
	}
	d := end.Sub(start)
	if d == math.MaxInt64 || end.Before(start.Add(d)) {
		return ExportWindows{}, invalidParams("end", "the range %s to %s is too long to split", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	n := int64(d / window)
	if d%window != 0 {
		n++
	}
	if n > math.MaxInt {
		return ExportWindows{}, invalidParams("window", "%d windows of %s are too many", n, window)
	}
	return ExportWindows{start: start, end: end, size: window, n: int(n)}, nil
}

// Len returns the number of windows.
func (ws ExportWindows) Len() int { return ws.n }

// At returns window i (from 0); it panics when i is out of range, as a
// slice index does.
func (ws ExportWindows) At(i int) ExportWindow {
	if i < 0 || i >= ws.n {
		panic(fmt.Sprintf("ghost: ExportWindows.At(%d) with %d windows", i, ws.n))
	}
	w := ExportWindow{Index: i, Start: ws.start.Add(time.Duration(i) * ws.size), End: ws.end}
	if i < ws.n-1 {
		w.End = ws.start.Add(time.Duration(i+1) * ws.size)
	}
	return w
}

// All yields the windows in order.
func (ws ExportWindows) All() iter.Seq[ExportWindow] {
	return func(yield func(ExportWindow) bool) {
		for i := range ws.n {
			if !yield(ws.At(i)) {
				return
			}
		}
	}
}
