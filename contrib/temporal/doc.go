// Package ghosttemporal runs Ghost bulk exports (the Clover-style Exports
// API, ghost.ExportsService) as durable Temporal workflows, so a long export
// job is spread over many worker processes on many machines and survives
// deploys and crashes. The commands ghost-export-worker and
// ghost-export-start run it; README.md beside this file is the operator's
// guide.
//
// Two workflows do the work:
//
//   - ExportRange exports one merchant's orders or payments over a time range
//     of any length: it splits the range into windows of at most 30 days,
//     keeps at most MaxInFlight windows running at once, and for each window
//     creates the export, polls it with durable timers until it is DONE and
//     downloads its files into the job's Sink. It continues as new after
//     WindowsPerRun windows, so its history stays bounded however long the
//     range.
//   - ExportMerchants runs one child ExportRange per merchant, at most
//     MaxConcurrent at once, and continues as new every MerchantsPerRun
//     merchants so that a run over thousands of merchants keeps a small
//     history.
//
// The activities (Activities.CreateExport, GetExport, DownloadExport) are
// thin wrappers over the SDK. The sink is part of the job (its URL is in
// the workflows' input): a bucket on S3, Google Cloud Storage or Azure Blob
// Storage, or a directory for one machine, through gocloud.dev/blob (see
// Sink for its layout).
//
// # Guarantees
//
//   - Every object of the range ends up in the sink exactly once. Each export
//     file is one object, uploaded whole under a key of its own export; the
//     window's record (window.json) names the window's current export and
//     its committed files, and changes only by conditional writes, so the
//     commit of an export that has lost the window is refused in that one
//     write. A retried download asks the sink which files are committed and
//     skips them. Once a window is complete, the files of its older exports
//     are gone.
//   - A job resumes after any crash of workers (Temporal replays the
//     workflow; an activity lost with its worker is retried on another one
//     after its heartbeat timeout).
//   - At most one export runs per window. Creating an export is never retried
//     blindly: the Exports API has no idempotency key and no way to list
//     exports, so when a create's answer is lost (connection cut, timeout,
//     worker lost during the call) the window is parked for
//     AmbiguousCreateWait — longer than an export can run — before it
//     creates again, or fails with ErrTypeAmbiguousCreate when
//     FailOnAmbiguousCreate is set. A parked window gives up its slot, and a
//     merchant whose windows left are all parked gives up its merchant slot.
//   - At most MaxInFlight windows of a merchant run at once; 503 answers
//     (too many exports, or outside service hours) are waited through with
//     durable timers, until the service's next opening time for the latter.
//
// # Upgrades
//
// Each behaviour a release may change is under a change id recorded with
// workflow.GetVersion (rangeChanges, merchantsChanges); testdata/histories
// holds histories recorded from this code, which TestReplayHistories replays
// so that a change that would break running workflows fails the tests.
package ghosttemporal
