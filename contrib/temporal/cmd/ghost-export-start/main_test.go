package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	file := filepath.Join(t.TempDir(), "merchants.txt")
	require.NoError(t, os.WriteFile(file, []byte("# ours\nm3\n\n m4 \n"), 0o644))
	noenv := func(string) string { return "" }
	job := func(args ...string) []string {
		return append([]string{"-id", "j", "-start", "2025-01-01", "-end", "2025-02-01", "-sink", "s3://b"}, args...)
	}
	tests := []struct {
		name      string
		args      []string
		merchants []ghost.ID
		start     time.Time
		err       string
	}{
		{"list and file", []string{"-id", "j", "-merchants", "m1, m2", "-merchants-file", file, "-start", "2025-01-01",
			"-end", "2026-02-05T00:00:00Z", "-sink", "s3://b"},
			[]ghost.ID{"m1", "m2", "m3", "m4"}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"progress needs only the id", []string{"-id", "j", "-progress"}, nil, time.Time{}, ""},
		{"failed needs only the id", []string{"-id", "j", "-failed"}, nil, time.Time{}, ""},
		{"retry-failed needs only the id", []string{"-id", "j", "-retry-failed"}, nil, time.Time{}, ""},
		{"one mode at a time", []string{"-id", "j", "-failed", "-progress"}, nil, time.Time{}, "one at a time"},
		{"no id", []string{"-merchants", "m1"}, nil, time.Time{}, "-id is required"},
		{"no merchants", job(), nil, time.Time{}, "no merchants"},
		{"twice", job("-merchants", "m1,m1"), nil, time.Time{}, "listed twice"},
		{"bad type", job("-merchants", "m1", "-type", "REFUNDS"), nil, time.Time{}, "ORDERS or PAYMENTS"},
		{"bad time", job("-merchants", "m1", "-start", "01/01/2025"), nil, time.Time{}, "-start"},
		{"end before start", job("-merchants", "m1", "-end", "2024-12-01"), nil, time.Time{}, "start before its end"},
		{"no sink", job("-merchants", "m1", "-sink", ""), nil, time.Time{}, "-sink is required"},
		{"sink with credentials", job("-merchants", "m1", "-sink", "s3://k:s@b"), nil, time.Time{}, "credentials"},
		{"relative file sink", job("-merchants", "m1", "-sink", "file://./x"), nil, time.Time{}, "absolute"},
		{"window over 30 days", job("-merchants", "m1", "-window", "800h"), nil, time.Time{}, "between"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(tt.args, io.Discard, noenv)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.merchants, c.params.Merchants)
			assert.Equal(t, tt.start, c.params.Start)
		})
	}
}

// Every knob of a job is a flag, and lands in the job's parameters.
func TestParseTuning(t *testing.T) {
	env := func(k string) string {
		return map[string]string{"TEMPORAL_ADDRESS": "t:7233", "TEMPORAL_NAMESPACE": "ns"}[k]
	}
	c, err := parse([]string{"-id", "j", "-merchants", "m1", "-start", "2025-01-01", "-end", "2025-03-01", "-sink", "gs://b",
		"-window", "168h", "-max-in-flight", "3", "-max-merchants", "7", "-per-run", "50", "-windows-per-run", "20",
		"-poll", "5s", "-max-poll", "1m", "-retry", "10s", "-max-retry", "5m", "-ambiguous-wait", "3h",
		"-fail-on-lost-create", "-max-reexports", "5", "-create-timeout", "2m", "-get-timeout", "30s",
		"-download-timeout", "4h", "-heartbeat", "90s"}, io.Discard, env)
	require.NoError(t, err)
	assert.Equal(t, "t:7233", c.temporal)
	assert.Equal(t, "ns", c.namespace)
	p := c.params
	assert.Equal(t, "gs://b", p.Sink)
	assert.Equal(t, 7, p.MaxConcurrent)
	assert.Equal(t, 50, p.MerchantsPerRun)
	o := p.Options
	assert.Equal(t, []any{168 * time.Hour, 3, 20, 5 * time.Second, time.Minute, 10 * time.Second, 5 * time.Minute, 3 * time.Hour,
		true, 5, 2 * time.Minute, 30 * time.Second, 4 * time.Hour, 90 * time.Second},
		[]any{o.Window, o.MaxInFlight, o.WindowsPerRun, o.PollInterval, o.MaxPollInterval, o.RetryInterval, o.MaxRetryInterval,
			o.AmbiguousCreateWait, o.FailOnAmbiguousCreate, o.MaxReexports, o.CreateTimeout, o.GetTimeout, o.DownloadTimeout,
			o.DownloadHeartbeat})
}

func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 0, run(t.Context(), []string{"-h"}, io.Discard, &stderr, func(string) string { return "" }))
	for _, flag := range []string{"-sink", "-progress", "-failed", "-retry-failed", "-window", "-poll", "-heartbeat", "TEMPORAL_ADDRESS"} {
		assert.Contains(t, stderr.String(), flag)
	}
	assert.Equal(t, 2, run(t.Context(), []string{"-bogus"}, io.Discard, io.Discard, func(string) string { return "" }))
}
