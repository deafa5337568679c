package ghost

// AnalyticsService serves recovery analytics (Checkout API).
type AnalyticsService service
