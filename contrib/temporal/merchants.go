package ghosttemporal

import (
	"fmt"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// MerchantsParams is the input of ExportMerchants.
type MerchantsParams struct {
	Merchants  []ghost.ID
	Type       ghost.ExportType
	Start, End time.Time
	Options    RangeOptions // for every merchant's ExportRange
	// MaxConcurrent bounds the merchants exported at once (default 4).
	MaxConcurrent int
	// MerchantsPerRun is how many merchants one run handles before it
	// continues as new (default 100), which keeps each run's history small.
	MerchantsPerRun int

	// Next and Totals carry the state across continue-as-new: the
	// merchants before Next are finished. Leave them zero when starting.
	Next   int
	Totals MerchantsResult
}

// MerchantFailure is a merchant whose export failed.
type MerchantFailure struct {
	MerchantID ghost.ID
	Error      string
}

// MerchantsResult is what ExportMerchants did, over all its runs.
type MerchantsResult struct {
	Merchants int // merchants finished (failed included)
	Windows   int
	Files     int
	Objects   int64
	// FailedCount is how many merchants failed; Failed lists the first
	// MaxListedFailures of them (errors cut to 500 bytes), so that the
	// state carried across continue-as-new stays small however many fail.
	FailedCount int
	Failed      []MerchantFailure
	Runs        int // runs of the workflow (1 + continue-as-new count)
}

// MaxListedFailures bounds MerchantsResult.Failed.
const MaxListedFailures = 100

// MerchantsProgress is ExportMerchants' answer to ProgressQuery.
type MerchantsProgress struct {
	Merchants int // in the job
	Done      int // finished, failed included
	Running   int
	Waiting   int
	Failed    int
	Objects   int64 // objects of the finished merchants
	Run       int   // this run's number, from 1
}

// ExportMerchants runs one child ExportRange per merchant (workflow id
// "<this workflow's id>/<merchant>"), at most MaxConcurrent at once, and
// continues as new after every MerchantsPerRun merchants. A merchant that
// fails is listed in the result's Failed; the others go on.
func ExportMerchants(ctx workflow.Context, p MerchantsParams) (MerchantsResult, error) {
	if p.MaxConcurrent <= 0 {
		p.MaxConcurrent = 4
	}
	if p.MerchantsPerRun <= 0 {
		p.MerchantsPerRun = 100
	}
	if p.Next < 0 || p.Next > len(p.Merchants) {
		return p.Totals, temporal.NewNonRetryableApplicationError("ghosttemporal: Next is out of range", ErrTypePermanent, nil)
	}
	tot := p.Totals
	tot.Runs++
	stop := min(p.Next+p.MerchantsPerRun, len(p.Merchants))
	prog := MerchantsProgress{Merchants: len(p.Merchants), Done: p.Next, Waiting: len(p.Merchants) - p.Next,
		Failed: tot.FailedCount, Objects: tot.Objects, Run: tot.Runs}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (MerchantsProgress, error) { return prog, nil }); err != nil {
		return tot, err
	}
	parentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	type result struct {
		merchant ghost.ID
		res      RangeResult
		err      error
	}
	done := workflow.NewChannel(ctx)
	running, next := 0, p.Next
	for next < stop || running > 0 {
		for running < p.MaxConcurrent && next < stop {
			m := p.Merchants[next]
			next++
			running++
			prog.Waiting--
			prog.Running++
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
				WorkflowID:        fmt.Sprintf("%s/%s", parentID, m),
				ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_TERMINATE,
			})
			workflow.Go(ctx, func(ctx workflow.Context) {
				var res RangeResult
				err := workflow.ExecuteChildWorkflow(cctx, ExportRangeWorkflow, RangeParams{
					MerchantID: m, Type: p.Type, Start: p.Start, End: p.End, Options: p.Options,
				}).Get(ctx, &res)
				done.Send(ctx, result{m, res, err})
			})
		}
		var r result
		done.Receive(ctx, &r)
		running--
		prog.Running--
		prog.Done++
		tot.Merchants++
		tot.Windows += r.res.Windows
		tot.Files += r.res.Files
		tot.Objects += r.res.Objects
		prog.Objects = tot.Objects
		if r.err != nil {
			prog.Failed++
			tot.FailedCount++
			if len(tot.Failed) < MaxListedFailures {
				msg := r.err.Error()
				if len(msg) > 500 {
					msg = msg[:500]
				}
				tot.Failed = append(tot.Failed, MerchantFailure{MerchantID: r.merchant, Error: msg})
			}
		}
	}
	if stop < len(p.Merchants) {
		p.Next, p.Totals = stop, tot
		return tot, workflow.NewContinueAsNewError(ctx, ExportMerchantsWorkflow, p)
	}
	return tot, nil
}
