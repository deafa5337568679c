package ghosttemporal

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
)

// Replays the histories recorded from this release's workflows (e2e's
// TestRecordHistories -record wrote them; see the package documentation):
// a change to the workflows that would break a running workflow, rather
// than being made under workflow.GetVersion, fails here.
func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8, "recorded histories of both workflows")
	logger := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, ReplayHistoryFile(logger, f))
		})
	}
}
