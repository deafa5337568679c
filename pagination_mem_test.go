package ghost_test

import (
	"net/http"
	"runtime"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// peakLiveHeap walks n orders in pages of 100 and returns the largest live
// heap seen (after a GC every 20 pages).
func peakLiveHeap(t *testing.T, n int) uint64 {
	pages := orderPages(n, false)
	c, err := ghost.NewClient(ghost.WithBaseURL("https://api.ghost.test"), ghost.WithKeys("pk", "sk"),
		ghost.WithHTTPClient(&http.Client{Transport: roundTripFunc(pages)}))
	require.NoError(t, err)
	var peak uint64
	var ms runtime.MemStats
	i := 0
	for _, err := range c.Orders.All(t.Context(), &ghost.OrderListParams{Limit: 100}) {
		require.NoError(t, err)
		i++
		if i%2000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	require.Equal(t, n, i)
	return peak
}

func TestIteratorMemoryIsFlat(t *testing.T) {
	small := peakLiveHeap(t, 10_000)
	large := peakLiveHeap(t, 100_000)
	t.Logf("peak live heap: %d KiB walking 10k items, %d KiB walking 100k", small>>10, large>>10)
	// Ten times the items may not cost more than a page's worth of memory.
	assert.Less(t, large, small+512<<10)
}

// roundTripFunc answers without keeping anything.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
