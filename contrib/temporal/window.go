package ghosttemporal

import ghost "github.com/ghostanalytics/ghost-go"

// Window is one export's share of a range: [Start, End), at most 30 days,
// as ghost.SplitExportRange splits a range (the SDK's splitter and minimum
// window, the same for Exports.Range and these workflows).
type Window = ghost.ExportWindow
