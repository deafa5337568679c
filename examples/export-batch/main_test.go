package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runJob(t *testing.T, out string) string {
	t.Helper()
	var log bytes.Buffer
	err := run([]string{"-start", "2026-01-01", "-end", "2026-03-17", "-out", out,
		"-mock-export-duration", "30ms", "-poll", "10ms"}, &log)
	require.NoError(t, err, log.String())
	return log.String()
}

func TestJobWritesEveryObjectOnce(t *testing.T) {
	t.Setenv("GHOST_BASE_URL", "")
	t.Setenv("GHOST_BEARER_TOKEN", "")
	out := filepath.Join(t.TempDir(), "orders.jsonl")
	log := runJob(t, out)
	assert.Contains(t, log, "window 3/3 [2026-03-02, 2026-03-17): wrote 584 objects (2919 in all)")
	assert.Contains(t, log, "done: 2919 ORDERS objects in 3 window(s)")

	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 2919)
	seen := map[string]bool{}
	prev := int64(0)
	for _, l := range lines {
		var o struct {
			ID          string
			CreatedTime int64
		}
		require.NoError(t, json.Unmarshal([]byte(l), &o))
		assert.False(t, seen[o.ID], "duplicate %s", o.ID)
		seen[o.ID] = true
		assert.Greater(t, o.CreatedTime, prev, "in order")
		prev = o.CreatedTime
	}
	_, err = os.Stat(out + ".checkpoint")
	assert.ErrorIs(t, err, os.ErrNotExist, "the checkpoint is removed when the job is done")
}

func TestJobResumesFromCheckpoint(t *testing.T) {
	t.Setenv("GHOST_BASE_URL", "")
	t.Setenv("GHOST_BEARER_TOKEN", "")
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.jsonl")
	runJob(t, clean)
	want, err := os.ReadFile(clean)
	require.NoError(t, err)

	// A crashed run: the first window (1168 objects) is saved, and part of
	// the second was written after the checkpoint.
	lines := bytes.SplitAfter(want, []byte("\n"))
	first := bytes.Join(lines[:1168], nil)
	out := filepath.Join(dir, "orders.jsonl")
	require.NoError(t, os.WriteFile(out, append(append([]byte(nil), first...), lines[1168][:40]...), 0o644))
	cp := checkpoint{
		Merchant: "MERCHANT1", Type: "ORDERS",
		Start:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		End:    time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC),
		Done:   time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
		Offset: int64(len(first)), Objects: 1168,
	}
	require.NoError(t, cp.save(out+".checkpoint"))

	log := runJob(t, out)
	assert.Contains(t, log, "resuming from 2026-01-31T00:00:00Z (1168 objects already")
	assert.Contains(t, log, "window 1/2 [2026-01-31, 2026-03-02)")
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

func TestJobFlags(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 15, 0, time.UTC)
	o, err := parseFlags(nil, now)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC), o.end)
	assert.Equal(t, o.end.AddDate(0, 0, -90), o.start)
	assert.Equal(t, "orders.jsonl", o.out)
	assert.Equal(t, "orders.jsonl.checkpoint", o.checkpoint)

	for _, args := range [][]string{
		{"-type", "REFUNDS"},
		{"-start", "2026-02-01", "-end", "2026-01-01"},
		{"-start", "yesterday"},
		{"-days", "0"},
	} {
		_, err := parseFlags(args, now)
		assert.Error(t, err, "%v", args)
	}
}

// A job run with the default range (the 90 days before now) and interrupted
// resumes the same range when run again a minute later: the range comes
// from the checkpoint, not from the new "now".
func TestJobResumesDefaultRangeLater(t *testing.T) {
	t.Setenv("GHOST_BASE_URL", "")
	t.Setenv("GHOST_BEARER_TOKEN", "")
	defer func(f func() time.Time) { now = f }(now)
	t0 := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	args := func(out string) []string {
		return []string{"-out", out, "-mock-export-duration", "30ms", "-poll", "10ms", "-concurrency", "2"}
	}
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.jsonl")
	now = func() time.Time { return t0 }
	var log bytes.Buffer
	require.NoError(t, run(args(clean), &log), log.String())
	want, err := os.ReadFile(clean)
	require.NoError(t, err)

	// Interrupted after the first window (30 days from t0-90d).
	start := t0.AddDate(0, 0, -90)
	firstN := len(gridLines(start, start.Add(30*24*time.Hour)))
	lines := bytes.SplitAfter(want, []byte("\n"))
	first := bytes.Join(lines[:firstN], nil)
	out := filepath.Join(dir, "orders.jsonl")
	require.NoError(t, os.WriteFile(out, first, 0o644))
	cp := checkpoint{Merchant: "MERCHANT1", Type: "ORDERS", Start: start, End: t0,
		Done: start.Add(30 * 24 * time.Hour), Offset: int64(len(first)), Objects: firstN}
	require.NoError(t, cp.save(out+".checkpoint"))

	now = func() time.Time { return t0.Add(time.Minute) }
	log.Reset()
	require.NoError(t, run(args(out), &log), log.String())
	assert.Contains(t, log.String(), "resuming from "+cp.Done.Format(time.RFC3339))
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	// With an explicit range that differs, the checkpoint is another job's:
	// refused, and the output it describes is left as it is.
	require.NoError(t, cp.save(out+".checkpoint"))
	log.Reset()
	err = run(append(args(out), "-days", "89"), &log)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is for another job")
	got, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "output untouched")
}

// gridLines is the orders the mock generates in [start, end): one every 37
// minutes since the epoch.
func gridLines(start, end time.Time) []int64 {
	step := ghosttest.ExportOrderInterval.Milliseconds()
	var ms []int64
	for m := (start.UnixMilli() + step - 1) / step * step; m < end.UnixMilli(); m += step {
		ms = append(ms, m)
	}
	return ms
}
