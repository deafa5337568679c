package ghosttemporal

import (
	"context"
	"fmt"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// JobProgress is the progress of a job (an ExportMerchants) or of one
// merchant's ExportRange, as ghost-export-start -progress shows it.
type JobProgress struct {
	WorkflowID string
	Workflow   string // ExportMerchantsWorkflow or ExportRangeWorkflow
	Status     string // Temporal's: Running, Completed, Failed, …
	// Objects counts the objects in the sink now, those of files being
	// downloaded included.
	Objects int64
	Job     *MerchantsProgress `json:",omitempty"` // an ExportMerchants' own progress
	// Merchants are the merchants running or parked, each with its windows.
	Merchants []MerchantProgress
}

// The phases of a merchant, in MerchantProgress.
const (
	MerchantRunning = "running"
	MerchantParked  = "parked"
)

// MerchantProgress is one merchant's windows.
type MerchantProgress struct {
	MerchantID  ghost.ID
	WorkflowID  string     `json:",omitempty"`
	Phase       string     // MerchantRunning or MerchantParked
	ParkedUntil *time.Time `json:",omitempty"`
	Objects     int64      // in the sink, files being downloaded included
	// Windows lists the windows that are not waiting to start: objects
	// written, phase, parked-until.
	Windows []WindowProgress
}

// Progress returns the progress of workflow id: a job, or one merchant's
// ExportRange (a job's child, "<job>/<merchant>"). Windows being
// downloaded count the objects their download's last heartbeat reported.
func Progress(ctx context.Context, c client.Client, id string) (*JobProgress, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, err
	}
	info := desc.GetWorkflowExecutionInfo()
	jp := &JobProgress{WorkflowID: id, Workflow: info.GetType().GetName(), Status: info.GetStatus().String()}
	switch jp.Workflow {
	case ExportRangeWorkflow:
		mp, err := rangeProgress(ctx, c, id)
		if err != nil {
			return nil, err
		}
		jp.Merchants, jp.Objects = []MerchantProgress{*mp}, mp.Objects
		return jp, nil
	case ExportMerchantsWorkflow:
	default:
		return nil, fmt.Errorf("ghosttemporal: %s is a %s, not an export", id, jp.Workflow)
	}
	var job MerchantsProgress
	if err := query(ctx, c, id, &job); err != nil {
		return nil, err
	}
	jp.Job, jp.Objects = &job, job.Objects
	for _, ref := range job.RunningMerchants {
		mp, err := rangeProgress(ctx, c, ref.WorkflowID)
		if err != nil {
			// Between the parent's start of a child and the child's first
			// task, the child cannot answer yet.
			mp = &MerchantProgress{MerchantID: ref.MerchantID, WorkflowID: ref.WorkflowID, Phase: MerchantRunning}
		}
		jp.Merchants = append(jp.Merchants, *mp)
		jp.Objects += mp.Objects
	}
	for _, pm := range job.ParkedMerchants {
		mp := MerchantProgress{MerchantID: pm.MerchantID, Phase: MerchantParked, ParkedUntil: &pm.Until}
		for _, pw := range pm.Windows {
			until := pw.Until
			mp.Windows = append(mp.Windows, WindowProgress{Index: pw.Index, Phase: PhaseParked, ParkedUntil: &until,
				Export: last(pw.Exports)})
		}
		jp.Merchants = append(jp.Merchants, mp)
	}
	return jp, nil
}

func last(ids []ghost.ID) ghost.ID {
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

func query(ctx context.Context, c client.Client, id string, into any) error {
	v, err := c.QueryWorkflow(ctx, id, "", ProgressQuery)
	if err != nil {
		return err
	}
	return v.Get(into)
}

// rangeProgress is one ExportRange's windows, with the objects of windows
// being downloaded taken from their activities' heartbeats.
func rangeProgress(ctx context.Context, c client.Client, id string) (*MerchantProgress, error) {
	var rp RangeProgress
	if err := query(ctx, c, id, &rp); err != nil {
		return nil, err
	}
	beats := map[int]DownloadProgress{}
	if desc, err := c.DescribeWorkflowExecution(ctx, id, ""); err == nil {
		for _, pa := range desc.GetPendingActivities() {
			var dp DownloadProgress
			if pa.GetActivityType().GetName() != "DownloadExport" || pa.GetHeartbeatDetails() == nil ||
				converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &dp) != nil {
				continue
			}
			beats[dp.Window] = dp
		}
	}
	mp := &MerchantProgress{MerchantID: rp.MerchantID, WorkflowID: id, Phase: MerchantRunning, Objects: rp.Objects, Windows: rp.Window}
	for i := range mp.Windows {
		w := &mp.Windows[i]
		if dp, ok := beats[w.Index]; ok && w.Phase == PhaseDownloading && dp.Export == w.Export {
			w.Objects = dp.Objects
			mp.Objects += dp.Objects
		}
	}
	return mp, nil
}
