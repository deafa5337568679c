package ghost_test

import (
	"context"
	"fmt"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// One export: create it, wait for it while it reports progress, then stream
// its orders file after file.
func ExampleExportsService_Wait() {
	srv := ghosttest.NewServer(
		ghosttest.WithConfig(ghosttest.Config{ExportDuration: 100 * time.Millisecond}),
		ghosttest.WithProfile(ghosttest.ProfileClover),
	)
	defer srv.Close()
	c := srv.Client
	ctx := context.Background()

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := c.Exports.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{
		Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 7),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.ID, e.Status)

	e, err = c.Exports.Wait(ctx, "MERCHANT1", e.ID, ghost.WaitOptions{Interval: 20 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Status, e.PercentComplete, "files:", len(e.ExportURLs))

	n := 0
	for o, err := range c.Exports.Orders(ctx, e) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if n == 0 {
			fmt.Println("first:", o.ID, o.CreatedTime.Format(time.RFC3339))
		}
		n++
	}
	fmt.Println("orders:", n)
	// Output:
	// EXPORT0000001 PENDING
	// DONE 100 files: 1
	// first: O0000000HJAOG 2026-01-01T00:16:00Z
	// orders: 272
}

// A batch job: 75 days of orders as three exports run one after the other,
// with a checkpoint saved after each window to resume from after a crash.
func ExampleExportRange() {
	srv := ghosttest.NewServer(
		ghosttest.WithConfig(ghosttest.Config{ExportDuration: 50 * time.Millisecond}),
		ghosttest.WithProfile(ghosttest.ProfileClover),
	)
	defer srv.Close()

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var checkpoint time.Time // a real job stores it, and passes it back as RangeParams.Checkpoint
	params := ghost.RangeParams{
		Type:  ghost.ExportTypeOrders,
		Start: start,
		End:   start.AddDate(0, 0, 75),
		Wait:  ghost.WaitOptions{Interval: 20 * time.Millisecond},
		OnProgress: func(p ghost.RangeProgress) {
			if p.Phase == ghost.PhaseDone {
				checkpoint = p.Checkpoint
				fmt.Printf("window %d/%d %s..%s: %d orders\n", p.Window, p.Windows,
					p.Start.Format("01-02"), p.End.Format("01-02"), p.Objects)
			}
		},
	}
	var cents int64
	n := 0
	for o, err := range ghost.ExportRange[ghost.ExportedOrder](context.Background(), srv.Client.Exports, "MERCHANT1", params) {
		if err != nil {
			fmt.Println(err)
			return
		}
		cents += o.Total
		n++
	}
	fmt.Println("orders:", n, "checkpoint:", checkpoint.Format(time.DateOnly))
	fmt.Printf("total: %d.%02d USD\n", cents/100, cents%100)
	// Output:
	// window 1/3 01-01..01-31: 1168 orders
	// window 2/3 01-31..03-02: 1167 orders
	// window 3/3 03-02..03-17: 584 orders
	// orders: 2919 checkpoint: 2026-03-17
	// total: 741472.16 USD
}
