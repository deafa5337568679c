package ghosttest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cloverCall sends a raw request the way curl would and decodes the JSON
// answer.
func cloverCall(t *testing.T, method, url, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "body %s", raw)
	return resp.StatusCode, m
}

var cloverT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newCloverServer(t *testing.T, opts ...ghosttest.Option) *ghosttest.Server {
	t.Helper()
	srv := ghosttest.NewServer(append(opts, ghosttest.WithProfile(ghosttest.ProfileClover))...)
	t.Cleanup(srv.Close)
	srv.Clock.Set(cloverT0)
	return srv
}

func createBody(typ string, start, end time.Time) string {
	return fmt.Sprintf(`{"type":%q,"startTime":%d,"endTime":%d}`, typ, start.UnixMilli(), end.UnixMilli())
}

func TestCloverAuth(t *testing.T) {
	srv := newCloverServer(t)
	body := createBody("ORDERS", cloverT0.Add(-24*time.Hour), cloverT0)
	for _, tc := range []struct {
		name, method, path, bearer string
	}{
		{"create without token", "POST", "/v3/merchants/M1/exports", ""},
		{"create with wrong token", "POST", "/v3/merchants/M1/exports", "nope"},
		{"get without token", "GET", "/v3/merchants/M1/exports/EXPORT0000001", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m := cloverCall(t, tc.method, srv.URL+tc.path, tc.bearer, body)
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Equal(t, "401 Unauthorized", m["message"])
		})
	}
}

func TestCloverCreateValidation(t *testing.T) {
	srv := newCloverServer(t)
	start := cloverT0.Add(-40 * 24 * time.Hour)
	for _, tc := range []struct {
		name, body, wantMsg string
	}{
		{"not JSON", `type=ORDERS`, "not valid JSON"},
		{"unknown type", createBody("REFUNDS", start, start.Add(time.Hour)), "PAYMENTS or ORDERS"},
		{"missing type", fmt.Sprintf(`{"startTime":%d,"endTime":%d}`, start.UnixMilli(), start.Add(time.Hour).UnixMilli()), "PAYMENTS or ORDERS"},
		{"missing start", fmt.Sprintf(`{"type":"ORDERS","endTime":%d}`, start.UnixMilli()), "startTime is required"},
		{"string time", `{"type":"ORDERS","startTime":"yesterday","endTime":1}`, "startTime must be UTC epoch milliseconds"},
		{"end before start", createBody("ORDERS", start, start.Add(-time.Hour)), "before endTime"},
		{"equal times", createBody("ORDERS", start, start), "before endTime"},
		{"31 days", createBody("ORDERS", start, start.Add(31*24*time.Hour)), "cannot exceed 30 days"},
		{"30 days and 1 ms", createBody("ORDERS", start, start.Add(30*24*time.Hour+time.Millisecond)), "cannot exceed 30 days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m := cloverCall(t, "POST", srv.URL+"/v3/merchants/M1/exports", ghosttest.DefaultBearerToken, tc.body)
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Contains(t, m["message"], tc.wantMsg)
		})
	}
	code, m := cloverCall(t, "POST", srv.URL+"/v3/merchants/M1/exports", ghosttest.DefaultBearerToken,
		createBody("ORDERS", start, start.Add(30*24*time.Hour)))
	assert.Equal(t, http.StatusOK, code, "exactly 30 days is allowed: %v", m)
}

func TestCloverLifecycleAndFiles(t *testing.T) {
	srv := newCloverServer(t) // ExportDuration defaults to 2s
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(30 * 24 * time.Hour)
	code, m := cloverCall(t, "POST", srv.URL+"/v3/merchants/MERCH1/exports", ghosttest.DefaultBearerToken, createBody("ORDERS", start, end))
	require.Equal(t, http.StatusOK, code, m)
	id := m["id"].(string)
	assert.Equal(t, "EXPORT0000001", id)
	assert.Equal(t, "PENDING", m["status"])
	assert.EqualValues(t, 0, m["percentComplete"])
	assert.EqualValues(t, start.UnixMilli(), m["startTime"])
	assert.EqualValues(t, end.UnixMilli(), m["endTime"])
	assert.EqualValues(t, cloverT0.UnixMilli(), m["createdTime"])
	assert.Equal(t, map[string]any{"id": "MERCH1"}, m["merchantRef"])
	assert.NotContains(t, m, "exportUrls")

	get := func() map[string]any {
		code, m := cloverCall(t, "GET", srv.URL+"/v3/merchants/MERCH1/exports/"+id, ghosttest.DefaultBearerToken, "")
		require.Equal(t, http.StatusOK, code, m)
		return m
	}
	steps := []struct {
		advance time.Duration
		status  string
		pct     float64
	}{
		{300 * time.Millisecond, "PENDING", 0},
		{200 * time.Millisecond, "IN_PROGRESS", 25},
		{1000 * time.Millisecond, "IN_PROGRESS", 75},
		{500 * time.Millisecond, "DONE", 100},
	}
	for _, st := range steps {
		srv.Clock.Advance(st.advance)
		m = get()
		assert.Equal(t, st.status, m["status"])
		assert.Equal(t, st.pct, m["percentComplete"])
	}
	done := cloverT0.Add(2 * time.Second)
	assert.EqualValues(t, done.Add(24*time.Hour).UnixMilli(), m["availableUntil"])
	assert.EqualValues(t, done.UnixMilli(), m["modifiedTime"])

	// 30 days of orders every 37 minutes: 1167 objects in two files.
	urls := m["exportUrls"].(map[string]any)["elements"].([]any)
	require.Len(t, urls, 2)
	var ids []string
	for i, el := range urls {
		el := el.(map[string]any)
		assert.Equal(t, map[string]any{"id": id}, el["export"])
		u := el["url"].(string)
		assert.True(t, strings.HasPrefix(u, fmt.Sprintf("%s/v3/exports/files/%s/%d.json?token=", srv.URL, id, i+1)), u)
		code, f := cloverCall(t, "GET", u, "", "") // no credentials: pre-signed
		require.Equal(t, http.StatusOK, code)
		for _, o := range f["elements"].([]any) {
			ids = append(ids, o.(map[string]any)["id"].(string))
		}
	}
	want := gridIDs("O", start, end, 37*time.Minute)
	require.Equal(t, 1167, len(want))
	assert.Equal(t, want, ids)

	first1 := urls[0].(map[string]any)["url"].(string)
	t.Run("bad token", func(t *testing.T) {
		bad := first1[:strings.Index(first1, "?")] + "?token=0000"
		code, m := cloverCall(t, "GET", bad, "", "")
		assert.Equal(t, http.StatusForbidden, code)
		assert.Contains(t, m["message"], "token")
	})
	t.Run("token of another file", func(t *testing.T) {
		other := strings.Replace(first1, "/1.json?", "/2.json?", 1)
		code, _ := cloverCall(t, "GET", other, "", "")
		assert.Equal(t, http.StatusForbidden, code)
	})
	t.Run("expired after 24h", func(t *testing.T) {
		srv.Clock.Advance(24*time.Hour - time.Millisecond)
		code, _ := cloverCall(t, "GET", first1, "", "")
		assert.Equal(t, http.StatusOK, code)
		srv.Clock.Advance(time.Millisecond)
		code, m := cloverCall(t, "GET", first1, "", "")
		assert.Equal(t, http.StatusGone, code)
		assert.Contains(t, m["message"], "expired")
	})
}

func TestCloverObjectShapes(t *testing.T) {
	srv := newCloverServer(t, ghosttest.WithConfig(ghosttest.Config{ExportDuration: time.Second}))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		typ   string
		step  time.Duration
		count int
		keys  []string
	}{
		{"ORDERS", 37 * time.Minute, 39, []string{"id", "currency", "total", "state", "paymentState", "title", "merchant", "createdTime", "modifiedTime"}},
		{"PAYMENTS", 53 * time.Minute, 27, []string{"id", "order", "amount", "tipAmount", "taxAmount", "currency", "result", "createdTime", "modifiedTime"}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			code, m := cloverCall(t, "POST", srv.URL+"/v3/merchants/M2/exports", ghosttest.DefaultBearerToken,
				createBody(tc.typ, start, start.Add(24*time.Hour)))
			require.Equal(t, http.StatusOK, code, m)
			srv.Clock.Advance(time.Second)
			_, m = cloverCall(t, "GET", srv.URL+"/v3/merchants/M2/exports/"+m["id"].(string), ghosttest.DefaultBearerToken, "")
			urls := m["exportUrls"].(map[string]any)["elements"].([]any)
			require.Len(t, urls, 1)
			_, f := cloverCall(t, "GET", urls[0].(map[string]any)["url"].(string), "", "")
			els := f["elements"].([]any)
			want := gridIDs(tc.typ[:1], start, start.Add(24*time.Hour), tc.step)
			require.Equal(t, tc.count, len(want))
			require.Equal(t, tc.count, len(els))
			o := els[0].(map[string]any)
			for _, k := range tc.keys {
				assert.Contains(t, o, k)
			}
			first := gridStart(start, tc.step)
			assert.Equal(t, float64(first.UnixMilli()), o["createdTime"])
			assert.Equal(t, want[0], o["id"])
			assert.Equal(t, ghosttest.ExportObjectID(tc.typ, first), o["id"])
		})
	}
}

func TestCloverConcurrencyLimit(t *testing.T) {
	srv := newCloverServer(t) // ExportConcurrency defaults to 2
	url := srv.URL + "/v3/merchants/M1/exports"
	body := createBody("PAYMENTS", cloverT0.Add(-time.Hour), cloverT0)
	for range 2 {
		code, m := cloverCall(t, "POST", url, ghosttest.DefaultBearerToken, body)
		require.Equal(t, http.StatusOK, code, m)
	}
	code, m := cloverCall(t, "POST", url, ghosttest.DefaultBearerToken, body)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, m["message"], "concurrent exports")
	assert.Contains(t, m["message"], "limit of 2")

	srv.Clock.Advance(2 * time.Second) // both DONE
	code, m = cloverCall(t, "POST", url, ghosttest.DefaultBearerToken, body)
	assert.Equal(t, http.StatusOK, code, m)
}

func TestCloverServiceHours(t *testing.T) {
	srv := newCloverServer(t, ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 15}}))
	url := srv.URL + "/v3/merchants/M1/exports"
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(2026, 3, 1, 9, 59, 59, 0, time.UTC), http.StatusServiceUnavailable},
		{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), http.StatusOK},
		{time.Date(2026, 3, 1, 14, 59, 0, 0, time.UTC), http.StatusOK},
		{time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC), http.StatusServiceUnavailable},
	} {
		t.Run(tc.at.Format("15:04:05"), func(t *testing.T) {
			srv.Clock.Set(tc.at)
			code, m := cloverCall(t, "POST", url, ghosttest.DefaultBearerToken, createBody("ORDERS", tc.at.Add(-time.Hour), tc.at))
			assert.Equal(t, tc.want, code, m)
			if tc.want == http.StatusServiceUnavailable {
				assert.Contains(t, m["message"], "available from 10:00 to 15:00 UTC")
			}
			srv.Clock.Advance(time.Hour) // let the export finish
		})
	}
}

func TestCloverNotFoundAndFailHook(t *testing.T) {
	srv := newCloverServer(t)
	code, m := cloverCall(t, "GET", srv.URL+"/v3/merchants/M1/exports/EXPORT0000009", ghosttest.DefaultBearerToken, "")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "Export not found", m["message"])

	code, m = cloverCall(t, "POST", srv.URL+"/v3/merchants/fail_M1/exports", ghosttest.DefaultBearerToken,
		createBody("ORDERS", cloverT0.Add(-time.Hour), cloverT0))
	require.Equal(t, http.StatusOK, code, m)
	id := m["id"].(string)

	code, _ = cloverCall(t, "GET", srv.URL+"/v3/merchants/OTHER/exports/"+id, ghosttest.DefaultBearerToken, "")
	assert.Equal(t, http.StatusNotFound, code, "another merchant's export is not found")

	srv.Clock.Advance(time.Second)
	_, m = cloverCall(t, "GET", srv.URL+"/v3/merchants/fail_M1/exports/"+id, ghosttest.DefaultBearerToken, "")
	assert.Equal(t, "FAILED", m["status"])
	assert.EqualValues(t, 50, m["percentComplete"])
	assert.NotContains(t, m, "exportUrls")
}

func TestCloverProfilesAndFileBase(t *testing.T) {
	body := createBody("ORDERS", cloverT0.Add(-time.Hour), cloverT0)
	for _, tc := range []struct {
		profile ghosttest.Profile
		want    int
	}{
		{ghosttest.ProfileAll, http.StatusOK},
		{ghosttest.ProfileClover, http.StatusOK},
		{ghosttest.ProfileGhost, http.StatusNotFound},
	} {
		t.Run(string(tc.profile), func(t *testing.T) {
			srv := ghosttest.NewServer(ghosttest.WithProfile(tc.profile))
			defer srv.Close()
			code, _ := cloverCall(t, "POST", srv.URL+"/v3/merchants/M1/exports", ghosttest.DefaultBearerToken, body)
			assert.Equal(t, tc.want, code)
		})
	}

	srv := newCloverServer(t)
	srv.SetExportFileBase("https://files.example.test/dl/")
	code, m := cloverCall(t, "POST", srv.URL+"/v3/merchants/M1/exports", ghosttest.DefaultBearerToken, body)
	require.Equal(t, http.StatusOK, code)
	srv.Clock.Advance(2 * time.Second)
	_, m = cloverCall(t, "GET", srv.URL+"/v3/merchants/M1/exports/"+m["id"].(string), ghosttest.DefaultBearerToken, "")
	u := m["exportUrls"].(map[string]any)["elements"].([]any)[0].(map[string]any)["url"].(string)
	assert.True(t, strings.HasPrefix(u, "https://files.example.test/dl/v3/exports/files/EXPORT0000001/1.json?token="), u)
}

// gridIDs computes, independently of the mock, the ids of the objects it
// documents for [start, end): one every step since the Unix epoch, id =
// prefix + Unix minute in upper-case base 36 padded to 12 characters.
func gridIDs(prefix string, start, end time.Time, step time.Duration) []string {
	var ids []string
	for t := gridStart(start, step); t.Before(end); t = t.Add(step) {
		s := strings.ToUpper(strconv.FormatInt(t.Unix()/60, 36))
		ids = append(ids, prefix+strings.Repeat("0", 12-len(s))+s)
	}
	return ids
}

// gridStart is the first multiple of step since the Unix epoch at or after t.
func gridStart(t time.Time, step time.Duration) time.Time {
	ms, st := t.UnixMilli(), step.Milliseconds()
	return time.UnixMilli((ms + st - 1) / st * st).UTC()
}
