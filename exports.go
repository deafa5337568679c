package ghost

// ExportsService serves bulk exports (Clover-style Exports API).
type ExportsService service
