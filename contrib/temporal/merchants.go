package ghosttemporal

import (
	"errors"
	"fmt"
	"slices"
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
	// Sink is the URL of the sink every merchant's objects go to (see
	// OpenSink).
	Sink    string
	Options RangeOptions // for every merchant's ExportRange
	// MaxConcurrent bounds the merchants exported at once (default 4); a
	// merchant whose windows left are all parked after lost creates gives
	// up its slot until the first of them may create again.
	MaxConcurrent int
	// MerchantsPerRun is how many merchant runs one workflow run starts
	// before it continues as new (default 100), which keeps each run's
	// history small.
	MerchantsPerRun int
	// Only, when set, limits the listed merchants to these windows (a
	// retry of failed windows: see RetryParams); merchants it does not list
	// run whole.
	Only []MerchantWindows

	// Next, Totals and Parked carry the state across continue-as-new: the
	// merchants before Next are started. Leave them zero when starting.
	Next   int
	Totals MerchantsResult
	Parked []ParkedMerchant
}

// MerchantWindows names windows of one merchant (indexes in the job's
// window grid).
type MerchantWindows struct {
	MerchantID ghost.ID
	Windows    []int
}

// ParkedMerchant is a merchant whose windows left are all parked.
type ParkedMerchant struct {
	MerchantID ghost.ID
	Until      time.Time // when the first of them may create again
	Windows    []ParkedWindow
}

// MerchantFailure is a merchant whose export failed.
type MerchantFailure struct {
	MerchantID ghost.ID
	Error      string
	// Windows lists the failed windows' indexes; empty when the merchant
	// failed as a whole (all its windows are to be run again).
	Windows []int
}

// MerchantsResult is what ExportMerchants did, over all its runs.
type MerchantsResult struct {
	Merchants int // merchants finished (failed included)
	Windows   int // windows done
	Files     int
	Objects   int64
	// FailedCount is how many merchants failed; Failed lists the first
	// MaxListedFailures of them (errors cut to 500 bytes), so that the
	// state carried across continue-as-new stays bounded however many fail.
	FailedCount int
	Failed      []MerchantFailure
	Runs        int // runs of the workflow (1 + continue-as-new count)
}

// MaxListedFailures bounds MerchantsResult.Failed.
const MaxListedFailures = 1000

// ChildRef is a merchant's running ExportRange.
type ChildRef struct {
	MerchantID ghost.ID
	WorkflowID string
}

// MerchantsProgress is ExportMerchants' answer to ProgressQuery.
type MerchantsProgress struct {
	Merchants int // in the job
	Done      int // finished, failed included
	Running   int
	Parked    int // merchants whose windows left are all parked
	Waiting   int
	Failed    int
	Objects   int64 // objects of the finished merchants (and parked ones' finished windows)
	Run       int   // this run's number, from 1
	// RunningMerchants are the merchants exporting now (query their
	// workflow for windows); ParkedMerchants those parked.
	RunningMerchants []ChildRef
	ParkedMerchants  []ParkedMerchant
	// FailedMerchants lists the failed merchants so far (as
	// MerchantsResult.Failed).
	FailedMerchants []MerchantFailure
}

var merchantsChanges = []string{
	"ghost.merchants.schedule", // slots, parked merchants, continue-as-new
	"ghost.merchants.child",    // child options, failures
}

// ExportMerchants runs one child ExportRange per merchant (workflow id
// "<this workflow's id>/<merchant>"), at most MaxConcurrent at once, and
// continues as new after starting MerchantsPerRun of them. A merchant that
// fails is listed in the result's Failed, with its failed windows; the
// others go on.
func ExportMerchants(ctx workflow.Context, p MerchantsParams) (MerchantsResult, error) {
	recordVersions(ctx, merchantsChanges)
	m, err := newMerchanter(p)
	if err != nil {
		return p.Totals, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypePermanent, nil)
	}
	m.parentID = workflow.GetInfo(ctx).WorkflowExecution.ID
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (MerchantsProgress, error) { return m.progress(), nil }); err != nil {
		return m.tot, err
	}
	return m.run(ctx)
}

// merchanter is the state of one ExportMerchants run.
type merchanter struct {
	p        MerchantsParams
	parentID string
	only     map[ghost.ID][]int
	tot      MerchantsResult
	next     int
	parked   []ParkedMerchant
	running  []ChildRef
	started  int
	wake     wakeTimer
}

func newMerchanter(p MerchantsParams) (*merchanter, error) {
	if p.MaxConcurrent <= 0 {
		p.MaxConcurrent = 4
	}
	if p.MerchantsPerRun <= 0 {
		p.MerchantsPerRun = 100
	}
	if p.Next < 0 || p.Next > len(p.Merchants) {
		return nil, errors.New("ghosttemporal: Next is out of range")
	}
	if _, _, err := checkRangeParams(RangeParams{MerchantID: "m", Type: p.Type, Start: p.Start, End: p.End, Sink: p.Sink, Options: p.Options}); err != nil {
		return nil, err
	}
	seen := make(map[ghost.ID]bool, len(p.Merchants))
	for _, id := range p.Merchants {
		if err := checkName("merchant", id); err != nil {
			return nil, err
		}
		if seen[id] {
			return nil, fmt.Errorf("ghosttemporal: merchant %s is listed twice", id)
		}
		seen[id] = true
	}
	m := &merchanter{p: p, tot: p.Totals, next: p.Next, parked: p.Parked, only: map[ghost.ID][]int{}}
	for _, o := range p.Only {
		m.only[o.MerchantID] = o.Windows
	}
	m.tot.Runs++
	return m, nil
}

// childEnd is a merchant's ExportRange outcome.
type childEnd struct {
	merchant ghost.ID
	res      RangeResult
	err      error
}

// run starts merchants while slots are free (parked merchants whose time
// has come first), until every merchant is finished, or the run has started
// MerchantsPerRun of them and none runs (then it continues as new).
func (m *merchanter) run(ctx workflow.Context) (MerchantsResult, error) {
	ends := workflow.NewChannel(ctx)
	for {
		m.startChildren(ctx, ends)
		if len(m.running) == 0 {
			switch {
			case m.next >= len(m.p.Merchants) && len(m.parked) == 0:
				return m.tot, nil
			case m.started >= m.p.MerchantsPerRun:
				p := m.p
				p.Next, p.Totals, p.Parked = m.next, m.tot, m.parked
				return m.tot, workflow.NewContinueAsNewError(ctx, ExportMerchantsWorkflow, p)
			}
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ends, func(c workflow.ReceiveChannel, _ bool) {
			var e childEnd
			c.Receive(ctx, &e)
			m.ended(e)
		})
		if t := m.wake.set(ctx, m.nextWake()); t != nil {
			sel.AddFuture(t, func(workflow.Future) { m.wake.fired() })
		}
		sel.Select(ctx)
	}
}

// nextWake is when the first parked merchant may go on, when it may start
// then (zero: no timer needed).
func (m *merchanter) nextWake() time.Time {
	if len(m.parked) == 0 || len(m.running) >= m.p.MaxConcurrent || m.started >= m.p.MerchantsPerRun {
		return time.Time{}
	}
	return m.parked[0].Until
}

func (m *merchanter) startChildren(ctx workflow.Context, ends workflow.Channel) {
	now := workflow.Now(ctx)
	for len(m.running) < m.p.MaxConcurrent && m.started < m.p.MerchantsPerRun {
		rp := RangeParams{Type: m.p.Type, Start: m.p.Start, End: m.p.End, Sink: m.p.Sink, Options: m.p.Options, YieldParked: true}
		switch {
		case len(m.parked) > 0 && !m.parked[0].Until.After(now):
			pm := m.parked[0]
			m.parked = m.parked[1:]
			rp.MerchantID = pm.MerchantID
			for _, pw := range pm.Windows {
				rp.Only = append(rp.Only, pw.Index)
			}
			rp.Carry = &RangeCarry{Next: len(rp.Only), Parked: pm.Windows}
		case m.next < len(m.p.Merchants):
			rp.MerchantID = m.p.Merchants[m.next]
			rp.Only = m.only[rp.MerchantID]
			m.next++
		default:
			return
		}
		m.started++
		ref := ChildRef{MerchantID: rp.MerchantID, WorkflowID: fmt.Sprintf("%s/%s", m.parentID, rp.MerchantID)}
		m.running = append(m.running, ref)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        ref.WorkflowID,
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_TERMINATE,
		})
		workflow.Go(ctx, func(ctx workflow.Context) {
			var res RangeResult
			err := workflow.ExecuteChildWorkflow(cctx, ExportRangeWorkflow, rp).Get(ctx, &res)
			ends.Send(ctx, childEnd{rp.MerchantID, res, err})
		})
	}
}

// ended takes a merchant's outcome: parked (its windows left are all
// parked), finished, or failed.
func (m *merchanter) ended(e childEnd) {
	m.running = slices.DeleteFunc(m.running, func(c ChildRef) bool { return c.MerchantID == e.merchant })
	res := e.res
	var failed []WindowFailure
	if e.err != nil {
		var ae *temporal.ApplicationError
		var first WindowFailure
		if errors.As(e.err, &ae) && ae.Type() == ErrTypeWindowFailed && ae.Details(&first, &res) == nil {
			failed = res.Failed
		}
	} else {
		failed = res.Failed
	}
	m.tot.Windows += res.Done
	m.tot.Files += res.Files
	m.tot.Objects += res.Objects
	if len(res.Parked) > 0 {
		m.noteFailure(e.merchant, "", failed)
		m.parked = append(m.parked, ParkedMerchant{MerchantID: e.merchant, Until: earliest(res.Parked), Windows: res.Parked})
		slices.SortStableFunc(m.parked, func(a, b ParkedMerchant) int { return a.Until.Compare(b.Until) })
		return
	}
	m.tot.Merchants++
	if e.err != nil && len(failed) == 0 {
		m.noteFailure(e.merchant, e.err.Error(), nil) // the merchant as a whole
		return
	}
	if e.err != nil {
		m.noteFailure(e.merchant, e.err.Error(), failed)
	}
}

// noteFailure adds a merchant's failed windows (or the merchant as a whole
// when failed is empty and msg is not) to the result.
func (m *merchanter) noteFailure(merchant ghost.ID, msg string, failed []WindowFailure) {
	if len(failed) == 0 && msg == "" {
		return
	}
	i := slices.IndexFunc(m.tot.Failed, func(f MerchantFailure) bool { return f.MerchantID == merchant })
	if i < 0 {
		m.tot.FailedCount++
		if len(m.tot.Failed) >= MaxListedFailures {
			return
		}
		m.tot.Failed = append(m.tot.Failed, MerchantFailure{MerchantID: merchant})
		i = len(m.tot.Failed) - 1
	}
	f := &m.tot.Failed[i]
	if msg != "" {
		if len(msg) > 500 {
			msg = msg[:500]
		}
		f.Error = msg
	} else if f.Error == "" {
		f.Error = failed[0].Reason
	}
	for _, w := range failed {
		f.Windows = append(f.Windows, w.Window.Index)
	}
	slices.Sort(f.Windows)
	f.Windows = slices.Compact(f.Windows)
}

func earliest(ws []ParkedWindow) time.Time {
	t := ws[0].Until
	for _, w := range ws[1:] {
		if w.Until.Before(t) {
			t = w.Until
		}
	}
	return t
}

func (m *merchanter) progress() MerchantsProgress {
	return MerchantsProgress{Merchants: len(m.p.Merchants), Done: m.tot.Merchants, Running: len(m.running),
		Parked: len(m.parked), Waiting: len(m.p.Merchants) - m.next, Failed: m.tot.FailedCount, Objects: m.tot.Objects,
		Run: m.tot.Runs, RunningMerchants: slices.Clone(m.running), ParkedMerchants: slices.Clone(m.parked),
		FailedMerchants: slices.Clone(m.tot.Failed)}
}
