package ghost_test

import (
	"context"
	"encoding/json"
	"errors"
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
		ghosttest.WithProfile(ghosttest.ProfileExports),
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
		ghosttest.WithProfile(ghosttest.ProfileExports),
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

// A range split into windows, each to be exported by its own task (a queue
// job, a workflow activity): the windows are computed as they are asked
// for, never listed.
func ExampleSplitExportRange() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ws, err := ghost.SplitExportRange(start, start.AddDate(0, 0, 75), 0) // 0: 30-day windows
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("windows:", ws.Len())
	for w := range ws.All() {
		fmt.Println(w)
	}
	_, err = ghost.SplitExportRange(start, start.AddDate(0, 0, 1), 10*time.Millisecond)
	fmt.Println(errors.Is(err, ghost.ErrValidation))
	// Output:
	// windows: 3
	// #0 2026-01-01T00:00:00Z–2026-01-31T00:00:00Z
	// #1 2026-01-31T00:00:00Z–2026-03-02T00:00:00Z
	// #2 2026-03-02T00:00:00Z–2026-03-17T00:00:00Z
	// true
}

// What to do after a failed create: the export service's 503 says whether
// too many exports run or it is closed (and when it opens).
func ExampleClassifyExportError() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileExports),
		ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 15}}))
	defer srv.Close()
	srv.Clock.Set(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))

	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	_, err := srv.Client.Exports.Create(context.Background(), "MERCHANT1", ghost.ExportCreateParams{
		Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 7),
	})
	c := ghost.ClassifyExportError(err, srv.Clock.Now())
	switch c.Kind {
	case ghost.ExportErrorServiceHours:
		fmt.Println("closed; try again in", c.Wait)
	case ghost.ExportErrorConcurrency, ghost.ExportErrorTransient:
		fmt.Println("refused; try again after a backoff of at least", c.Wait)
	case ghost.ExportErrorCreateUnknown:
		fmt.Println("an export may be running: do not create it again")
	default:
		fmt.Println("give up:", err)
	}
	// Output:
	// closed; try again in 2h0m0s
}

// One file of a finished export, downloaded by itself: a worker per file,
// or a file stored whole before the next.
func ExampleExportsService_File() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileExports),
		ghosttest.WithConfig(ghosttest.Config{ExportDuration: 10 * time.Millisecond}))
	defer srv.Close()
	c := srv.Client
	ctx := context.Background()

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := c.Exports.Create(ctx, "MERCHANT1", ghost.ExportCreateParams{
		Type: ghost.ExportTypePayments, Start: start, End: start.AddDate(0, 0, 30), // ≤ 1000 payments a file
	})
	if err == nil {
		e, err = c.Exports.Wait(ctx, "MERCHANT1", e.ID, ghost.WaitOptions{Interval: 5 * time.Millisecond})
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range e.ExportURLs {
		n := 0
		for raw, err := range c.Exports.File(ctx, e, i) {
			if err != nil {
				fmt.Println(err)
				return
			}
			store(raw)
			n++
		}
		fmt.Printf("file %d: %d payments\n", i+1, n)
	}
	// Output:
	// file 1: 815 payments
}

// store stands for wherever a job keeps an exported object.
func store(json.RawMessage) {}
