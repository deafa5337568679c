package ghost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// AnalyticsService reports how many abandoned carts were recovered (Checkout
// API, base path /api, x-api-key auth).
type AnalyticsService service

// AnalyticsPeriod is a preset range of days ending today.
type AnalyticsPeriod string

// The preset periods the API accepts.
const (
	Period7Days  AnalyticsPeriod = "7d"
	Period30Days AnalyticsPeriod = "30d"
	Period90Days AnalyticsPeriod = "90d"
)

// AnalyticsParams chooses the range of the report: either a preset Period or
// a StartDate/EndDate pair, not both. Leaving everything zero asks for the
// API's default, the last 30 days. The dates are sent in UTC as RFC 3339
// timestamps (ISO 8601) and bound the range inclusively.
type AnalyticsParams struct {
	Period    AnalyticsPeriod
	StartDate time.Time
	EndDate   time.Time
}

func (p AnalyticsParams) query() (url.Values, error) {
	q := url.Values{}
	hasDates := !p.StartDate.IsZero() || !p.EndDate.IsZero()
	switch {
	case p.Period != "" && hasDates:
		return nil, invalidParams("period", "give either a period or a start and end date, not both")
	case p.Period != "":
		switch p.Period {
		case Period7Days, Period30Days, Period90Days:
		default:
			return nil, invalidParams("period", "period is %q; want 7d, 30d or 90d", p.Period)
		}
		q.Set("period", string(p.Period))
	case hasDates:
		switch {
		case p.StartDate.IsZero():
			return nil, invalidParams("startDate", "startDate is required with endDate")
		case p.EndDate.IsZero():
			return nil, invalidParams("endDate", "endDate is required with startDate")
		case p.EndDate.Before(p.StartDate):
			return nil, invalidParams("endDate", "endDate %s is before startDate %s",
				p.EndDate.UTC().Format(time.RFC3339), p.StartDate.UTC().Format(time.RFC3339))
		}
		q.Set("startDate", p.StartDate.UTC().Format(time.RFC3339Nano))
		q.Set("endDate", p.EndDate.UTC().Format(time.RFC3339Nano))
	}
	return q, nil
}

// Analytics is the recovery report for a range of days.
type Analytics struct {
	Summary    AnalyticsSummary `json:"summary"`
	DailyStats []DailyStat      `json:"dailyStats"`
}

// AnalyticsSummary totals the range.
//
// RecoveryRate is a float64 percentage (30.0 means 30 %): it is a ratio of
// two counts, reported for display and comparison, never summed or used as
// an amount, and the API rounds it to one decimal, which a float64 holds to
// within 1e-14. The money totals, which must add up to the cent, are Money.
type AnalyticsSummary struct {
	TotalAbandoned      int64   `json:"totalAbandoned"`
	TotalRecovered      int64   `json:"totalRecovered"`
	RecoveryRate        float64 `json:"recoveryRate"`
	TotalAbandonedValue Money   `json:"totalAbandonedValue"`
	TotalRecoveredValue Money   `json:"totalRecoveredValue"`
}

// DailyStat is one UTC day of the report.
type DailyStat struct {
	Date           Date  `json:"date"`
	Abandoned      int64 `json:"abandoned"`
	Recovered      int64 `json:"recovered"`
	AbandonedValue Money `json:"abandonedValue"`
	RecoveredValue Money `json:"recoveredValue"`
}

// Date is a calendar day without a time or zone, written "2006-01-02".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("ghost: date %q: want YYYY-MM-DD", clipText(s, 40))
	}
	return DateOf(t), nil
}

// String formats the day as "2006-01-02".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// In returns midnight at the start of the day in loc (UTC when loc is nil).
func (d Date) In(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalJSON implements json.Marshaler: "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler: "2006-01-02", or an RFC 3339
// timestamp, whose UTC day is taken; null leaves d unchanged.
func (d *Date) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("ghost: date must be a string, got %s", clipText(string(b), 40))
	}
	if v, err := ParseDate(s); err == nil {
		*d = v
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("ghost: date %q: want YYYY-MM-DD or an RFC 3339 timestamp", clipText(s, 40))
	}
	*d = DateOf(t.UTC())
	return nil
}

var opAnalyticsGet = declare(PartCheckout, "Analytics.Get", http.MethodGet, "/api/analytics")

// Get returns the recovery report: GET /api/analytics. Conflicting or
// unknown parameters (a period and dates, an unknown period, an end before
// the start) are refused before sending.
func (s *AnalyticsService) Get(ctx context.Context, params AnalyticsParams, opts ...RequestOption) (*Analytics, error) {
	q, err := params.query()
	if err != nil {
		return nil, err
	}
	return getOne[Analytics](ctx, (*service)(s), &request{op: opAnalyticsGet, query: q}, opts)
}
