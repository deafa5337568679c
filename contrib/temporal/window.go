package ghosttemporal

import (
	"fmt"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

// Window is one export's share of a range: [Start, End), at most 30 days.
type Window struct {
	Index      int       // position in the range, from 0
	Start, End time.Time // the window's range [Start, End)
}

// String formats the window as "#index start–end" in UTC.
func (w Window) String() string {
	return fmt.Sprintf("#%d %s–%s", w.Index, w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339))
}

// SplitWindows splits [start, end) into consecutive windows of size (0
// means ghost.MaxExportRange; at most that, and at least a second). The last
// window may be shorter.
func SplitWindows(start, end time.Time, size time.Duration) ([]Window, error) {
	switch {
	case size == 0:
		size = ghost.MaxExportRange
	case size < time.Second || size > ghost.MaxExportRange:
		return nil, fmt.Errorf("ghosttemporal: window %s must be between 1s and 30 days", size)
	}
	if start.IsZero() || end.IsZero() || !start.Before(end) {
		return nil, fmt.Errorf("ghosttemporal: the range needs a start before its end")
	}
	var ws []Window
	for t := start.UTC(); t.Before(end); {
		e := t.Add(size)
		if e.After(end) {
			e = end.UTC()
		}
		ws = append(ws, Window{Index: len(ws), Start: t, End: e})
		t = e
	}
	return ws, nil
}
