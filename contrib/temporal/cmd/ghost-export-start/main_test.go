package main

import (
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
	tests := []struct {
		name      string
		args      []string
		merchants []ghost.ID
		start     time.Time
		err       string
	}{
		{"list and file", []string{"-id", "j", "-merchants", "m1, m2", "-merchants-file", file, "-start", "2025-01-01", "-end", "2026-02-05T00:00:00Z"},
			[]ghost.ID{"m1", "m2", "m3", "m4"}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"progress needs only the id", []string{"-id", "j", "-progress"}, nil, time.Time{}, ""},
		{"no id", []string{"-merchants", "m1"}, nil, time.Time{}, "-id is required"},
		{"no merchants", []string{"-id", "j", "-start", "2025-01-01", "-end", "2025-02-01"}, nil, time.Time{}, "no merchants"},
		{"twice", []string{"-id", "j", "-merchants", "m1,m1", "-start", "2025-01-01", "-end", "2025-02-01"}, nil, time.Time{}, "listed twice"},
		{"bad type", []string{"-id", "j", "-merchants", "m1", "-type", "REFUNDS", "-start", "2025-01-01", "-end", "2025-02-01"}, nil, time.Time{}, "ORDERS or PAYMENTS"},
		{"bad time", []string{"-id", "j", "-merchants", "m1", "-start", "01/01/2025", "-end", "2025-02-01"}, nil, time.Time{}, "-start"},
		{"end before start", []string{"-id", "j", "-merchants", "m1", "-start", "2025-02-01", "-end", "2025-01-01"}, nil, time.Time{}, "start before its end"},
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
