package ghost

// SparkClient groups the services of the Spark store API (seed 003).
// (Placeholder: the Spark services are added on the spark branch.)
type SparkClient struct{ c *Client }

func newSparkClient(c *Client) *SparkClient { return &SparkClient{c: c} }
