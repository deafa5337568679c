package ghost_test

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// analyticsCart is a cart a test creates at a time and leaves in a status.
type analyticsCart struct {
	at     time.Time
	price  string
	qty    int64
	status ghost.CartStatus
}

// createAnalyticsCarts creates the carts on the mock (each abandoned at its
// time) and returns them as the API reports them.
func createAnalyticsCarts(t *testing.T, srv *ghosttest.Server, specs []analyticsCart) []*ghost.Cart {
	t.Helper()
	var carts []*ghost.Cart
	for i, s := range specs {
		srv.Clock.Set(s.at)
		cart := createCart(t, srv.Client, "stats@example.com", ghost.CartItem{Name: "Item", Quantity: s.qty, Price: cartMoney(t, s.price)})
		if s.status != ghost.CartAbandoned {
			var err error
			cart, err = srv.Client.Carts.Update(context.Background(), cart.ID, ghost.CartUpdateParams{Status: ghost.Some(s.status)})
			require.NoError(t, err, "cart %d", i)
		}
		carts = append(carts, cart)
	}
	return carts
}

// expectAnalytics computes the report the API should give for carts over the
// UTC days [first, last], from the carts themselves: every cart counts on
// the day it was abandoned; recovered ones count as recovered too.
func expectAnalytics(t *testing.T, carts []*ghost.Cart, first, last ghost.Date, from, to time.Time) *ghost.Analytics {
	t.Helper()
	var a ghost.Analytics
	byDay := map[ghost.Date]*ghost.DailyStat{}
	for d := first.In(time.UTC); !d.After(last.In(time.UTC)); d = d.AddDate(0, 0, 1) {
		a.DailyStats = append(a.DailyStats, ghost.DailyStat{Date: ghost.DateOf(d)})
	}
	for i := range a.DailyStats {
		byDay[a.DailyStats[i].Date] = &a.DailyStats[i]
	}
	add := func(m *ghost.Money, v ghost.Money) {
		sum, err := m.Add(v)
		require.NoError(t, err)
		*m = sum
	}
	s := &a.Summary
	for _, c := range carts {
		if c.AbandonedAt.Before(from) || c.AbandonedAt.After(to) {
			continue
		}
		day := byDay[ghost.DateOf(c.AbandonedAt.UTC())]
		require.NotNil(t, day)
		day.Abandoned++
		add(&day.AbandonedValue, c.TotalValue)
		s.TotalAbandoned++
		add(&s.TotalAbandonedValue, c.TotalValue)
		if c.Status == ghost.CartRecovered {
			day.Recovered++
			add(&day.RecoveredValue, c.TotalValue)
			s.TotalRecovered++
			add(&s.TotalRecoveredValue, c.TotalValue)
		}
	}
	if s.TotalAbandoned > 0 {
		// recovered/abandoned × 100, to one decimal, rounded half up.
		r := new(big.Rat).SetFrac64(s.TotalRecovered*1000, s.TotalAbandoned)
		r.Add(r, big.NewRat(1, 2))
		tenths := new(big.Int).Quo(r.Num(), r.Denom()).Int64()
		s.RecoveryRate = float64(tenths) / 10
	}
	return &a
}

func TestAnalyticsGetDateRange(t *testing.T) {
	srv := newCheckoutServer(t)
	day := func(d, h, m int) time.Time { return time.Date(2024, 1, d, h, m, 0, 0, time.UTC) }
	carts := createAnalyticsCarts(t, srv, []analyticsCart{
		{day(10, 12, 0), "500.00", 1, ghost.CartRecovered}, // before the range
		{day(15, 0, 0), "49.99", 2, ghost.CartRecovered},
		{day(15, 18, 30), "0.1", 3, ghost.CartAbandoned},
		{day(15, 23, 59), "0.29", 7, ghost.CartExpired},
		{day(16, 9, 0), "19.99", 1, ghost.CartExpired},
		{day(17, 23, 59), "1234567.89", 1, ghost.CartRecovered},
		{day(18, 0, 0), "7.00", 1, ghost.CartRecovered}, // after the range
	})
	srv.Clock.Set(day(20, 12, 0))

	from, to := day(15, 0, 0), time.Date(2024, 1, 17, 23, 59, 59, 0, time.UTC)
	got, err := srv.Client.Analytics.Get(context.Background(), ghost.AnalyticsParams{StartDate: from, EndDate: to})
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/analytics", "endDate=2024-01-17T23%3A59%3A59Z&startDate=2024-01-15T00%3A00%3A00Z", "")

	want := expectAnalytics(t, carts, ghost.Date{Year: 2024, Month: 1, Day: 15}, ghost.Date{Year: 2024, Month: 1, Day: 17}, from, to)
	assert.Equal(t, want, got)

	// The same numbers, written out: 5 abandoned, 2 recovered.
	assert.Equal(t, ghost.AnalyticsSummary{
		TotalAbandoned:      5,
		TotalRecovered:      2,
		RecoveryRate:        40.0,
		TotalAbandonedValue: cartMoney(t, "1234690.19"), // 99.98 + 0.30 + 2.03 + 19.99 + 1234567.89
		TotalRecoveredValue: cartMoney(t, "1234667.87"), // 99.98 + 1234567.89
	}, got.Summary)
	require.Len(t, got.DailyStats, 3)
	assert.Equal(t, ghost.DailyStat{
		Date: ghost.Date{Year: 2024, Month: 1, Day: 15}, Abandoned: 3, Recovered: 1,
		AbandonedValue: cartMoney(t, "102.31"), RecoveredValue: cartMoney(t, "99.98"),
	}, got.DailyStats[0])
}

// A range in another zone is sent in UTC.
func TestAnalyticsDatesSentInUTC(t *testing.T) {
	srv := newCheckoutServer(t)
	tokyo := time.FixedZone("JST", 9*3600)
	start := time.Date(2024, 1, 15, 9, 0, 0, 0, tokyo)
	_, err := srv.Client.Analytics.Get(context.Background(), ghost.AnalyticsParams{StartDate: start, EndDate: start.Add(36 * time.Hour)})
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/analytics", "endDate=2024-01-16T12%3A00%3A00Z&startDate=2024-01-15T00%3A00%3A00Z", "")
}

func TestAnalyticsGetPeriod(t *testing.T) {
	srv := newCheckoutServer(t)
	carts := createAnalyticsCarts(t, srv, []analyticsCart{
		{time.Date(2024, 1, 13, 23, 59, 59, 0, time.UTC), "10.00", 1, ghost.CartRecovered}, // 8 days ago: out
		{time.Date(2024, 1, 14, 0, 0, 0, 0, time.UTC), "10.00", 1, ghost.CartRecovered},
		{time.Date(2024, 1, 16, 8, 0, 0, 0, time.UTC), "0.33", 3, ghost.CartAbandoned},
		{time.Date(2024, 1, 20, 11, 0, 0, 0, time.UTC), "5.55", 2, ghost.CartAbandoned},
	})
	now := time.Date(2024, 1, 20, 12, 0, 0, 0, time.UTC)
	srv.Clock.Set(now)

	got, err := srv.Client.Analytics.Get(context.Background(), ghost.AnalyticsParams{Period: ghost.Period7Days})
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/analytics", "period=7d", "")

	first := ghost.Date{Year: 2024, Month: 1, Day: 14}
	want := expectAnalytics(t, carts, first, ghost.DateOf(now), first.In(time.UTC), now)
	assert.Equal(t, want, got)
	require.Len(t, got.DailyStats, 7, "the last 7 days, today included, zeros too")
	assert.Equal(t, int64(3), got.Summary.TotalAbandoned)
	assert.Equal(t, 33.3, got.Summary.RecoveryRate)
	assert.Equal(t, "22.09", got.Summary.TotalAbandonedValue.String())
	assert.Equal(t, ghost.DailyStat{Date: ghost.Date{Year: 2024, Month: 1, Day: 15}}, got.DailyStats[1])
}

func TestAnalyticsDefaultsTo30Days(t *testing.T) {
	srv := newCheckoutServer(t)
	got, err := srv.Client.Analytics.Get(context.Background(), ghost.AnalyticsParams{})
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/analytics", "", "")
	require.Len(t, got.DailyStats, 30)
	assert.Equal(t, ghost.Date{Year: 2023, Month: 12, Day: 17}, got.DailyStats[0].Date)
	assert.Equal(t, ghost.DateOf(checkoutEpoch), got.DailyStats[29].Date)
	assert.Equal(t, ghost.AnalyticsSummary{}, got.Summary)

	got90, err := srv.Client.Analytics.Get(context.Background(), ghost.AnalyticsParams{Period: ghost.Period90Days})
	require.NoError(t, err)
	checkoutRequest(t, srv, "GET", "/api/analytics", "period=90d", "")
	assert.Len(t, got90.DailyStats, 90)
}

func TestAnalyticsRefusesBeforeSending(t *testing.T) {
	srv := newCheckoutServer(t)
	t0 := checkoutEpoch
	tests := []struct {
		name   string
		params ghost.AnalyticsParams
		param  string
	}{
		{"period and dates", ghost.AnalyticsParams{Period: ghost.Period7Days, StartDate: t0, EndDate: t0.Add(time.Hour)}, "period"},
		{"period and one date", ghost.AnalyticsParams{Period: ghost.Period30Days, EndDate: t0}, "period"},
		{"unknown period", ghost.AnalyticsParams{Period: "14d"}, "period"},
		{"end before start", ghost.AnalyticsParams{StartDate: t0, EndDate: t0.Add(-time.Second)}, "endDate"},
		{"start only", ghost.AnalyticsParams{StartDate: t0}, "endDate"},
		{"end only", ghost.AnalyticsParams{EndDate: t0}, "startDate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Client.Analytics.Get(context.Background(), tt.params)
			requireInvalid(t, err, tt.param)
		})
	}
	assert.Empty(t, srv.Requests())
}

// The seed's example response decodes exactly, money included.
func TestAnalyticsDecodesSeedExample(t *testing.T) {
	var a ghost.Analytics
	require.NoError(t, json.Unmarshal([]byte(`{
		"summary": {"totalAbandoned": 150, "totalRecovered": 45, "recoveryRate": 30.0,
			"totalAbandonedValue": 15000.00, "totalRecoveredValue": 4500.00},
		"dailyStats": [{"date": "2024-01-15", "abandoned": 10, "recovered": 3,
			"abandonedValue": 1000.00, "recoveredValue": 300.00}]}`), &a))
	assert.Equal(t, ghost.Analytics{
		Summary: ghost.AnalyticsSummary{
			TotalAbandoned: 150, TotalRecovered: 45, RecoveryRate: 30,
			TotalAbandonedValue: ghost.MoneyFromCents(1500000), TotalRecoveredValue: ghost.MoneyFromCents(450000),
		},
		DailyStats: []ghost.DailyStat{{
			Date: ghost.Date{Year: 2024, Month: 1, Day: 15}, Abandoned: 10, Recovered: 3,
			AbandonedValue: ghost.MoneyFromCents(100000), RecoveredValue: ghost.MoneyFromCents(30000),
		}},
	}, a)
	b, err := json.Marshal(a.DailyStats[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"date":"2024-01-15","abandoned":10,"recovered":3,"abandonedValue":1000.00,"recoveredValue":300.00}`, string(b))
}

func TestDateJSON(t *testing.T) {
	tests := []struct {
		in   string
		want ghost.Date
		str  string // "" when in is refused
	}{
		{`"2024-01-15"`, ghost.Date{Year: 2024, Month: 1, Day: 15}, "2024-01-15"},
		{`"2024-01-15T23:30:00Z"`, ghost.Date{Year: 2024, Month: 1, Day: 15}, "2024-01-15"},
		{`"2024-01-15T23:30:00-02:00"`, ghost.Date{Year: 2024, Month: 1, Day: 16}, "2024-01-16"}, // UTC day
		{`"0999-03-04"`, ghost.Date{Year: 999, Month: 3, Day: 4}, "0999-03-04"},
		{`"2024-02-30"`, ghost.Date{}, ""},
		{`"15/01/2024"`, ghost.Date{}, ""},
		{`20240115`, ghost.Date{}, ""},
	}
	for _, tt := range tests {
		var d ghost.Date
		err := json.Unmarshal([]byte(tt.in), &d)
		if tt.str == "" {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, d)
		assert.Equal(t, tt.str, d.String())
		b, err := json.Marshal(d)
		require.NoError(t, err)
		assert.Equal(t, `"`+tt.str+`"`, string(b))
	}
}
