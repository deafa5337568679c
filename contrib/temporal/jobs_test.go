package ghosttemporal

import (
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
)

func TestDiffParams(t *testing.T) {
	base := MerchantsParams{Merchants: []ghost.ID{"m1", "m2"}, Type: ghost.ExportTypeOrders, Start: date(2025, 1, 1),
		End: date(2026, 1, 1), Sink: "s3://a", Options: RangeOptions{MaxInFlight: 2}}
	tests := []struct {
		name   string
		change func(p *MerchantsParams)
		want   []string
	}{
		{"same", func(*MerchantsParams) {}, nil},
		{"defaults spelled out", func(p *MerchantsParams) {
			p.MaxConcurrent, p.MerchantsPerRun, p.Options.PollInterval = 4, 100, 10*time.Second
		}, nil},
		{"carried state aside", func(p *MerchantsParams) { p.Next, p.Totals.Merchants = 1, 1 }, nil},
		{"type and sink", func(p *MerchantsParams) { p.Type, p.Sink = ghost.ExportTypePayments, "s3://b" },
			[]string{"type: ORDERS, asked PAYMENTS", "sink: s3://a, asked s3://b"}},
		{"merchants", func(p *MerchantsParams) { p.Merchants = []ghost.ID{"m1", "m2", "m3", "m4", "m5", "m6", "m7"} },
			[]string{"merchants: 2 (m1,m2), asked 7 (m1,m2,m3,m4,m5,…)"}},
		{"range and options", func(p *MerchantsParams) {
			p.End, p.Options.MaxInFlight, p.Options.AmbiguousCreateWait = date(2025, 7, 1), 4, time.Hour
		}, []string{"end: 2026-01-01T00:00:00Z, asked 2025-07-01T00:00:00Z", "max in flight: 2, asked 4",
			"ambiguous create wait: 2h0m0s, asked 1h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := base
			asked.Merchants = append([]ghost.ID(nil), base.Merchants...)
			tt.change(&asked)
			assert.Equal(t, tt.want, DiffParams(base, asked))
		})
	}
}

func TestRetryParams(t *testing.T) {
	ws, err := split(date(2025, 1, 1), date(2025, 6, 1), 0)
	assert.NoError(t, err)
	p := MerchantsParams{Merchants: []ghost.ID{"m1", "m2", "m3", "m4"}, Type: ghost.ExportTypePayments, Start: date(2025, 1, 1),
		End: date(2025, 6, 1), Sink: "s3://a", Options: RangeOptions{MaxInFlight: 3}, MaxConcurrent: 5,
		Only: []MerchantWindows{{MerchantID: "m4", Windows: []int{0, 2}}}, Next: 4, Totals: MerchantsResult{Merchants: 4}}
	got := RetryParams(p, []FailedMerchant{
		{MerchantID: "m2", Windows: []Window{ws[1], ws[4]}},
		{MerchantID: "m3"}, // as a whole: all its windows
		{MerchantID: "m4"}, // as a whole, of what the job ran of it
	})
	assert.Equal(t, MerchantsParams{Merchants: []ghost.ID{"m2", "m3", "m4"}, Type: ghost.ExportTypePayments, Start: p.Start,
		End: p.End, Sink: "s3://a", Options: p.Options, MaxConcurrent: 5,
		Only: []MerchantWindows{{MerchantID: "m2", Windows: []int{1, 4}}, {MerchantID: "m4", Windows: []int{0, 2}}}}, got)
}
