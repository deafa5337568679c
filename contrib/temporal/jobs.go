package ghosttemporal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// ErrJobDiffers is matched by StartJob's error when a job with the id runs
// with other parameters.
var ErrJobDiffers = errors.New("ghosttemporal: a job with this id is running with other parameters")

// StartJob starts the ExportMerchants job id on queue. When a job with
// that id is already running it starts nothing: with the same parameters it
// returns that job's run (started is false); with others it fails with
// ErrJobDiffers, naming each difference.
func StartJob(ctx context.Context, c client.Client, id, queue string, p MerchantsParams) (run client.WorkflowRun, started bool, err error) {
	run, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue,
		WorkflowExecutionErrorWhenAlreadyStarted: true}, ExportMerchantsWorkflow, p)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &already) {
		return run, err == nil, err
	}
	cur, err := JobParams(ctx, c, id)
	if err != nil {
		return nil, false, fmt.Errorf("ghosttemporal: job %s is running; reading its parameters: %w", id, err)
	}
	if diff := DiffParams(cur, p); len(diff) > 0 {
		return nil, false, fmt.Errorf("%w: job %s: %s", ErrJobDiffers, id, strings.Join(diff, "; "))
	}
	return c.GetWorkflow(ctx, id, ""), false, nil
}

// JobParams returns the parameters the current run of job id started with.
func JobParams(ctx context.Context, c client.Client, id string) (MerchantsParams, error) {
	var p MerchantsParams
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return p, fmt.Errorf("ghosttemporal: job %s has no history", id)
	}
	ev, err := it.Next()
	if err != nil {
		return p, err
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return p, fmt.Errorf("ghosttemporal: job %s: its first event is %s", id, ev.GetEventType())
	}
	if name := attrs.GetWorkflowType().GetName(); name != ExportMerchantsWorkflow {
		return p, fmt.Errorf("ghosttemporal: %s is a %s, not a job (%s)", id, name, ExportMerchantsWorkflow)
	}
	err = converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &p)
	return p, err
}

// DiffParams names what differs between two jobs' parameters (the state
// carried across continue-as-new aside; options compared with their
// defaults filled in), e.g. "type: ORDERS, asked PAYMENTS".
func DiffParams(running, asked MerchantsParams) []string {
	var diff []string
	add := func(name string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			diff = append(diff, fmt.Sprintf("%s: %v, asked %v", name, a, b))
		}
	}
	if !slices.Equal(running.Merchants, asked.Merchants) {
		diff = append(diff, fmt.Sprintf("merchants: %s, asked %s", listIDs(running.Merchants), listIDs(asked.Merchants)))
	}
	add("type", running.Type, asked.Type)
	add("start", running.Start.UTC().Format(time.RFC3339Nano), asked.Start.UTC().Format(time.RFC3339Nano))
	add("end", running.End.UTC().Format(time.RFC3339Nano), asked.End.UTC().Format(time.RFC3339Nano))
	add("sink", running.Sink, asked.Sink)
	add("max merchants", cmpOr(running.MaxConcurrent, 4), cmpOr(asked.MaxConcurrent, 4))
	add("merchants per run", cmpOr(running.MerchantsPerRun, 100), cmpOr(asked.MerchantsPerRun, 100))
	add("only", running.Only, asked.Only)
	a, b := running.Options.withDefaults(), asked.Options.withDefaults()
	for _, f := range optionFields(a, b) {
		add(f.name, f.a, f.b)
	}
	return diff
}

func cmpOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

type optionField struct {
	name string
	a, b any
}

// optionFields lists each option by name, with a's and b's values.
func optionFields(a, b RangeOptions) []optionField {
	return []optionField{
		{"window", a.Window, b.Window}, {"max in flight", a.MaxInFlight, b.MaxInFlight},
		{"poll interval", a.PollInterval, b.PollInterval}, {"max poll interval", a.MaxPollInterval, b.MaxPollInterval},
		{"retry interval", a.RetryInterval, b.RetryInterval}, {"max retry interval", a.MaxRetryInterval, b.MaxRetryInterval},
		{"ambiguous create wait", a.AmbiguousCreateWait, b.AmbiguousCreateWait},
		{"fail on ambiguous create", a.FailOnAmbiguousCreate, b.FailOnAmbiguousCreate},
		{"max re-exports", a.MaxReexports, b.MaxReexports}, {"create timeout", a.CreateTimeout, b.CreateTimeout},
		{"get timeout", a.GetTimeout, b.GetTimeout}, {"download timeout", a.DownloadTimeout, b.DownloadTimeout},
		{"download heartbeat", a.DownloadHeartbeat, b.DownloadHeartbeat}, {"windows per run", a.WindowsPerRun, b.WindowsPerRun},
	}
}

// listIDs shows a merchant list briefly: its length and its first ids.
func listIDs(ids []ghost.ID) string {
	const show = 5
	var b strings.Builder
	fmt.Fprintf(&b, "%d (", len(ids))
	for i, id := range ids[:min(len(ids), show)] {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(string(id))
	}
	if len(ids) > show {
		b.WriteString(",…")
	}
	b.WriteString(")")
	return b.String()
}

// JobFailures are the failed windows of a job, as -failed lists them.
type JobFailures struct {
	WorkflowID string
	Running    bool // the job still runs: more may fail
	// FailedCount counts failed merchants; Failed lists them (at most
	// MaxListedFailures), each with its failed windows.
	FailedCount int
	Failed      []FailedMerchant
}

// FailedMerchant is a failed merchant and its failed windows.
type FailedMerchant struct {
	MerchantID ghost.ID
	Error      string
	// Windows are the failed windows; empty when the whole merchant is to
	// be run again.
	Windows []Window
}

// Failures returns the failed windows of job id (an ExportMerchants): from
// its result when it has finished, or its progress while it runs.
func Failures(ctx context.Context, c client.Client, id string) (*JobFailures, error) {
	p, err := JobParams(ctx, c, id)
	if err != nil {
		return nil, err
	}
	windows, err := ghost.SplitExportRange(p.Start, p.End, p.Options.Window)
	if err != nil {
		return nil, err
	}
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, err
	}
	jf := &JobFailures{WorkflowID: id, Running: desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
	var res MerchantsResult
	if jf.Running {
		v, err := c.QueryWorkflow(ctx, id, "", ProgressQuery)
		if err != nil {
			return nil, err
		}
		var mp MerchantsProgress
		if err := v.Get(&mp); err != nil {
			return nil, err
		}
		res.FailedCount, res.Failed = mp.Failed, mp.FailedMerchants
	} else if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return nil, err
	}
	jf.FailedCount = res.FailedCount
	for _, f := range res.Failed {
		fm := FailedMerchant{MerchantID: f.MerchantID, Error: f.Error}
		for _, i := range f.Windows {
			if i >= 0 && i < windows.Len() {
				fm.Windows = append(fm.Windows, windows.At(i))
			}
		}
		jf.Failed = append(jf.Failed, fm)
	}
	return jf, nil
}

// RetryParams returns the parameters of a job that runs again the failed
// windows of a job that ran with p (the same range, window grid, sink and
// options, so that the windows' objects replace theirs in the sink).
func RetryParams(p MerchantsParams, failed []FailedMerchant) MerchantsParams {
	q := MerchantsParams{Type: p.Type, Start: p.Start, End: p.End, Sink: p.Sink, Options: p.Options,
		MaxConcurrent: p.MaxConcurrent, MerchantsPerRun: p.MerchantsPerRun}
	for _, f := range failed {
		q.Merchants = append(q.Merchants, f.MerchantID)
		mw := MerchantWindows{MerchantID: f.MerchantID}
		for _, w := range f.Windows {
			mw.Windows = append(mw.Windows, w.Index)
		}
		if len(mw.Windows) == 0 { // the whole merchant: as much as the job ran of it
			i := slices.IndexFunc(p.Only, func(o MerchantWindows) bool { return o.MerchantID == f.MerchantID })
			if i < 0 {
				continue
			}
			mw.Windows = p.Only[i].Windows
		}
		q.Only = append(q.Only, mw)
	}
	return q
}
