// Package ghosttemporal runs Ghost bulk exports (the Clover-style Exports
// API, ghost.ExportsService) as durable Temporal workflows, so a long export
// job is spread over many worker processes and survives deploys and crashes.
//
// Two workflows do the work:
//
//   - ExportRange exports one merchant's orders or payments over a time range
//     of any length: it splits the range into windows of at most 30 days,
//     keeps at most MaxInFlight windows running at once, and for each window
//     creates the export, polls it with durable timers until it is DONE and
//     downloads its files into a Sink.
//   - ExportMerchants runs one child ExportRange per merchant, at most
//     MaxConcurrent at once, and continues as new every MerchantsPerRun
//     merchants so that a run over thousands of merchants keeps a small
//     history.
//
// The activities (Activities.CreateExport, GetExport, DownloadExport) are
// thin wrappers over the SDK; DirSink writes each export file of each window
// to its own JSONL file, atomically (temporary name, then rename), so a
// retried download rewrites a file instead of appending to it.
//
// # Guarantees
//
//   - Every object of the range ends up in the sink exactly once: a window's
//     file is only ever replaced whole, under a name that depends only on the
//     merchant, type, window and file number.
//   - A job resumes after any crash of workers (Temporal replays the
//     workflow; an activity lost with its worker is retried on another one
//     after its heartbeat timeout).
//   - At most one export runs per window. Creating an export is never retried
//     blindly: the Exports API has no idempotency key and no way to list
//     exports, so when a create's answer is lost (connection cut, timeout,
//     worker lost during the call) the window waits AmbiguousCreateWait —
//     longer than an export can run — before it creates again, or fails with
//     ErrTypeAmbiguousCreate when FailOnAmbiguousCreate is set.
//   - At most MaxInFlight windows of a merchant run at once; 503 answers
//     (too many exports, or outside service hours) are waited through with
//     durable timers, until the service's next opening time for the latter.
package ghosttemporal
