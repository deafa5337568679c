package ghost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mock's clock is frozen at noon today (UTC), so the files of an export
// created in a test are still available by the client's real clock (the
// client checks AvailableUntil before downloading).
var (
	exportDay = time.Now().UTC().Truncate(24 * time.Hour)
	exportT0  = exportDay.Add(12 * time.Hour)
)

func newExportServer(t *testing.T, opts ...ghosttest.Option) (*ghosttest.Server, *ghost.Client) {
	t.Helper()
	srv := ghosttest.NewServer(append(opts, ghosttest.WithProfile(ghosttest.ProfileExports))...)
	t.Cleanup(srv.Close)
	srv.Clock.Set(exportT0)
	return srv, srv.Client
}

// doneExport creates an export and moves the mock's clock past its duration.
func doneExport(t *testing.T, srv *ghosttest.Server, merchant ghost.ID, typ ghost.ExportType, start, end time.Time) *ghost.Export {
	t.Helper()
	ctx := context.Background()
	e, err := srv.Client.Exports.Create(ctx, merchant, ghost.ExportCreateParams{Type: typ, Start: start, End: end})
	require.NoError(t, err)
	srv.Clock.Advance(srv.Config.ExportDuration)
	e, err = srv.Client.Exports.Get(ctx, merchant, e.ID)
	require.NoError(t, err)
	require.Equal(t, ghost.ExportStatusDone, e.Status)
	return e
}

// gridIDs computes, independently of the mock, the ids the mock documents
// for [start, end): one object every step since the Unix epoch, id = prefix
// + Unix minute in upper-case base 36 padded to 12 characters.
func gridIDs(prefix string, start, end time.Time, step time.Duration) []string {
	st := step.Milliseconds()
	var ids []string
	for ms := (start.UnixMilli() + st - 1) / st * st; ms < end.UnixMilli(); ms += st {
		s := strings.ToUpper(strconv.FormatInt(ms/60000, 36))
		ids = append(ids, prefix+strings.Repeat("0", 12-len(s))+s)
	}
	return ids
}

func TestExportsCreate(t *testing.T) {
	srv, c := newExportServer(t)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(30 * 24 * time.Hour) // exactly the limit is allowed
	e, err := c.Exports.Create(context.Background(), "MERCH123", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: end})
	require.NoError(t, err)

	req, ok := srv.LastRequest()
	require.True(t, ok)
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, "/v3/merchants/MERCH123/exports", req.Path)
	assert.Equal(t, "", req.RawQuery)
	assert.Equal(t, "Bearer "+ghosttest.DefaultBearerToken, req.Header.Get("Authorization"))
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.JSONEq(t, fmt.Sprintf(`{"type":"ORDERS","startTime":%d,"endTime":%d}`, start.UnixMilli(), end.UnixMilli()), string(req.Body))

	assert.Equal(t, &ghost.Export{
		ID:           "EXPORT0000001",
		Type:         ghost.ExportTypeOrders,
		Status:       ghost.ExportStatusPending,
		StartTime:    start,
		EndTime:      end,
		CreatedTime:  exportT0,
		ModifiedTime: exportT0,
		MerchantID:   "MERCH123",
	}, e)
}

func TestExportsGet(t *testing.T) {
	srv, c := newExportServer(t)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(30 * 24 * time.Hour)
	created, err := c.Exports.Create(context.Background(), "M1", ghost.ExportCreateParams{Type: ghost.ExportTypePayments, Start: start, End: end})
	require.NoError(t, err)
	srv.Clock.Advance(2 * time.Second)

	e, err := c.Exports.Get(context.Background(), "M1", created.ID)
	require.NoError(t, err)
	req, _ := srv.LastRequest()
	assert.Equal(t, "GET", req.Method)
	assert.Equal(t, "/v3/merchants/M1/exports/EXPORT0000001", req.Path)
	assert.Equal(t, "Bearer "+ghosttest.DefaultBearerToken, req.Header.Get("Authorization"))
	assert.Empty(t, req.Body)

	assert.Equal(t, ghost.ExportStatusDone, e.Status)
	assert.Equal(t, 100, e.PercentComplete)
	assert.Equal(t, ghost.ExportTypePayments, e.Type)
	assert.Equal(t, exportT0.Add(2*time.Second), e.ModifiedTime)
	assert.Equal(t, exportT0.Add(2*time.Second+24*time.Hour), e.AvailableUntil)
	// 30 days of payments, one every 53 minutes: 816 objects, one file.
	require.Len(t, e.ExportURLs, 1)
	assert.Equal(t, ghost.ID("EXPORT0000001"), e.ExportURLs[0].ExportID)
	assert.True(t, strings.HasPrefix(e.ExportURLs[0].URL, srv.URL+"/v3/exports/files/EXPORT0000001/1.json?token="), e.ExportURLs[0].URL)
}

func TestExportsCreateRefusedBeforeSending(t *testing.T) {
	srv, c := newExportServer(t)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		merchant ghost.ID
		params   ghost.ExportCreateParams
		param    string
	}{
		{"31 days", "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(31 * 24 * time.Hour)}, "endTime"},
		{"30 days and 1 ms", "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(30*24*time.Hour + time.Millisecond)}, "endTime"},
		{"end before start", "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(-time.Hour)}, "endTime"},
		{"same millisecond", "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(time.Microsecond)}, "endTime"},
		{"no start", "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, End: start}, "startTime"},
		{"no type", "M1", ghost.ExportCreateParams{Start: start, End: start.Add(time.Hour)}, "type"},
		{"unknown type", "M1", ghost.ExportCreateParams{Type: "REFUNDS", Start: start, End: start.Add(time.Hour)}, "type"},
		{"no merchant", "", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(time.Hour)}, "merchantID"},
		{"dot-dot merchant", "..", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.Add(time.Hour)}, "merchantID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := c.Exports.Create(context.Background(), tc.merchant, tc.params)
			assert.Nil(t, e)
			require.ErrorIs(t, err, ghost.ErrValidation)
			var ge *ghost.Error
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, ghost.CodeInvalidParams, ge.Code)
			assert.Equal(t, tc.param, ge.Param)
			assert.Zero(t, ge.StatusCode)
		})
	}
	assert.Empty(t, srv.Requests(), "nothing may be sent")
}

func TestExportsOwnEndpoint(t *testing.T) {
	srv, _ := newExportServer(t)
	// The core API lives elsewhere; exports have their own host and token.
	c, err := ghost.NewClient(
		ghost.WithBaseURL("https://core.example.invalid"),
		ghost.WithKeys("pk", "sk"),
		ghost.WithEndpoint(ghost.PartExports, ghost.Endpoint{
			BaseURL:     srv.URL,
			Credentials: ghost.Credentials{BearerToken: ghosttest.DefaultBearerToken},
		}),
	)
	require.NoError(t, err)
	e, err := c.Exports.Create(context.Background(), "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0})
	require.NoError(t, err)
	assert.Equal(t, ghost.ExportStatusPending, e.Status)
	req, _ := srv.LastRequest()
	assert.Equal(t, "Bearer "+ghosttest.DefaultBearerToken, req.Header.Get("Authorization"))
}

func TestExportsWrongToken(t *testing.T) {
	_, c := newExportServer(t, ghosttest.WithClientOptions(ghost.WithBearerToken("not-the-token")))
	_, err := c.Exports.Create(context.Background(), "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0})
	require.ErrorIs(t, err, ghost.ErrUnauthorized)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, 401, ge.StatusCode)
	assert.Equal(t, "401 Unauthorized", ge.Message)
	assert.NotContains(t, err.Error(), "not-the-token")
}

func TestExportsWaitReportsProgress(t *testing.T) {
	srv, c := newExportServer(t)
	ctx := context.Background()
	e, err := c.Exports.Create(ctx, "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-48 * time.Hour), End: exportT0})
	require.NoError(t, err)
	srv.ResetRequests()

	type seen struct {
		status ghost.ExportStatus
		pct    int
	}
	var got []seen
	done, err := c.Exports.Wait(ctx, "M1", e.ID, ghost.WaitOptions{
		Interval: time.Millisecond,
		OnProgress: func(e *ghost.Export) {
			got = append(got, seen{e.Status, e.PercentComplete})
			srv.Clock.Advance(300 * time.Millisecond) // the export takes 2s on the mock's clock
		},
	})
	require.NoError(t, err)
	assert.Equal(t, []seen{
		{ghost.ExportStatusPending, 0}, {ghost.ExportStatusPending, 0},
		{ghost.ExportStatusInProgress, 30}, {ghost.ExportStatusInProgress, 45}, {ghost.ExportStatusInProgress, 60},
		{ghost.ExportStatusInProgress, 75}, {ghost.ExportStatusInProgress, 90},
		{ghost.ExportStatusDone, 100},
	}, got)
	assert.Equal(t, ghost.ExportStatusDone, done.Status)
	assert.NotEmpty(t, done.ExportURLs)
	for _, r := range srv.Requests() {
		assert.Equal(t, "GET", r.Method)
		assert.Equal(t, "/v3/merchants/M1/exports/"+string(e.ID), r.Path)
	}
	assert.Len(t, srv.Requests(), len(got))
}

func TestExportsWaitThrough503(t *testing.T) {
	srv, c := newExportServer(t)
	ctx := context.Background()
	e, err := c.Exports.Create(ctx, "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0})
	require.NoError(t, err)
	srv.Clock.Advance(2 * time.Second)
	srv.ResetRequests()
	// Six 503s outlast the client's own retries (3 retries: 4 attempts).
	srv.InjectFault(ghosttest.Fault{Method: "GET", PathPrefix: "/v3/", Status: 503, Times: 6, Body: `{"message":"Service temporarily unavailable"}`})

	done, err := c.Exports.Wait(ctx, "M1", e.ID, ghost.WaitOptions{Interval: time.Millisecond, MaxInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, ghost.ExportStatusDone, done.Status)
	assert.Len(t, srv.Requests(), 7, "6 refused polls, then the one that succeeded")
}

func TestExportsWaitStopsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []ghosttest.Option
		merchant ghost.ID
		exportID ghost.ID
		is       error
		status   ghost.ExportStatus
	}{
		{name: "unknown export", merchant: "M1", exportID: "EXPORT0000042", is: ghost.ErrNotFound},
		{name: "wrong token", opts: []ghosttest.Option{ghosttest.WithClientOptions(ghost.WithBearerToken("bad"))}, merchant: "M1", exportID: "EXPORT0000001", is: ghost.ErrUnauthorized},
		{name: "failed export", merchant: "fail_M1", exportID: "EXPORT0000001", is: ghost.ErrExportFailed, status: ghost.ExportStatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newExportServer(t, tc.opts...)
			ctx := context.Background()
			_, err := c.Exports.Create(ctx, tc.merchant, ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0})
			if tc.is != ghost.ErrUnauthorized {
				require.NoError(t, err)
			}
			srv.Clock.Advance(2 * time.Second)
			srv.ResetRequests()
			e, err := c.Exports.Wait(ctx, tc.merchant, tc.exportID, ghost.WaitOptions{Interval: time.Hour})
			require.ErrorIs(t, err, tc.is)
			assert.Len(t, srv.Requests(), 1, "no second poll")
			if tc.status != "" {
				require.NotNil(t, e)
				assert.Equal(t, tc.status, e.Status)
				assert.Equal(t, 50, e.PercentComplete)
			}
		})
	}
}

func TestExportsWaitContextCancelled(t *testing.T) {
	_, c := newExportServer(t)
	e, err := c.Exports.Create(context.Background(), "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	begin := time.Now()
	last, err := c.Exports.Wait(ctx, "M1", e.ID, ghost.WaitOptions{
		Interval: time.Hour, // the cancellation must cut this sleep short
		OnProgress: func(*ghost.Export) {
			polls++
			go func() { time.Sleep(5 * time.Millisecond); cancel() }()
		},
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(begin), 10*time.Second)
	assert.Equal(t, 1, polls)
	require.NotNil(t, last)
	assert.Equal(t, ghost.ExportStatusPending, last.Status)
}

func TestExportsWaitThroughNetworkFailure(t *testing.T) {
	srv, c := newExportServer(t)
	srv.Close() // nothing listens any more: every poll is refused
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Exports.Wait(ctx, "M1", "EXPORT0000001", ghost.WaitOptions{Interval: time.Millisecond, MaxInterval: 5 * time.Millisecond})
	require.ErrorIs(t, err, context.DeadlineExceeded, "a refused connection is waited through until the context ends")

	// A failure that cannot pass is returned at once.
	c2, err := ghost.NewClient(ghost.WithBaseURL(srv.URL)) // no bearer token
	require.NoError(t, err)
	_, err = c2.Exports.Wait(context.Background(), "M1", "EXPORT0000001", ghost.WaitOptions{Interval: time.Hour})
	require.ErrorIs(t, err, ghost.ErrUnauthorized)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, ghost.CodeMissingCredentials, ge.Code)
}

func TestExportsStreamOrdersAndPayments(t *testing.T) {
	srv, c := newExportServer(t)
	ctx := context.Background()
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(30 * 24 * time.Hour)

	orders := doneExport(t, srv, "M1", ghost.ExportTypeOrders, start, end)
	require.Len(t, orders.ExportURLs, 2)
	srv.ResetRequests()
	var ids []string
	for o, err := range c.Exports.Orders(ctx, orders) {
		require.NoError(t, err)
		ids = append(ids, string(o.ID))
		assert.Positive(t, o.Total)
		assert.Equal(t, "USD", o.Currency)
		assert.Equal(t, ghost.ID("M1"), o.MerchantID)
		assert.False(t, o.CreatedTime.Before(start) || !o.CreatedTime.Before(end), o.CreatedTime)
	}
	assert.Equal(t, gridIDs("O", start, end, 37*time.Minute), ids)
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		assert.Equal(t, "GET", r.Method)
		assert.Equal(t, fmt.Sprintf("/v3/exports/files/%s/%d.json", orders.ID, i+1), r.Path)
		assert.Empty(t, r.Header.Get("Authorization"), "files are fetched without credentials")
	}

	payments := doneExport(t, srv, "M1", ghost.ExportTypePayments, start, start.Add(24*time.Hour))
	var pids []string
	for p, err := range c.Exports.Payments(ctx, payments) {
		require.NoError(t, err)
		pids = append(pids, string(p.ID))
		assert.Equal(t, "SUCCESS", p.Result)
		assert.Equal(t, "O"+string(p.ID)[1:], string(p.OrderID))
		assert.Positive(t, p.Amount)
	}
	assert.Equal(t, gridIDs("P", start, start.Add(24*time.Hour), 53*time.Minute), pids)

	var raw []json.RawMessage
	for m, err := range c.Exports.Objects(ctx, payments) {
		require.NoError(t, err)
		raw = append(raw, m)
	}
	require.Len(t, raw, len(pids))
	var first struct{ ID string }
	require.NoError(t, json.Unmarshal(raw[0], &first))
	assert.Equal(t, pids[0], first.ID)
}

func TestExportsStreamRefusesUnfinished(t *testing.T) {
	srv, c := newExportServer(t)
	e, err := c.Exports.Create(context.Background(), "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0})
	require.NoError(t, err)
	srv.ResetRequests()
	for _, err := range c.Exports.Orders(context.Background(), e) {
		require.ErrorIs(t, err, ghost.ErrValidation)
	}
	for _, err := range c.Exports.Orders(context.Background(), nil) {
		require.ErrorIs(t, err, ghost.ErrValidation)
	}
	assert.Empty(t, srv.Requests())
}

func TestExportsFileOnAnotherHost(t *testing.T) {
	srv, c := newExportServer(t)
	target, err := url.Parse(srv.URL)
	require.NoError(t, err)
	var mu sync.Mutex
	var seen []http.Header
	proxy := httputil.NewSingleHostReverseProxy(target)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	defer files.Close()
	srv.SetExportFileBase(files.URL)

	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	e := doneExport(t, srv, "M1", ghost.ExportTypeOrders, start, start.Add(30*24*time.Hour))
	require.Len(t, e.ExportURLs, 2)
	require.True(t, strings.HasPrefix(e.ExportURLs[0].URL, files.URL+"/"))

	n := 0
	for _, err := range c.Exports.Orders(context.Background(), e) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, len(gridIDs("O", start, start.Add(30*24*time.Hour), 37*time.Minute)), n)
	require.Len(t, seen, 2)
	for _, h := range seen {
		assert.Empty(t, h.Get("Authorization"))
		assert.Empty(t, h.Get("X-Api-Key"))
		assert.Empty(t, h.Get("X-Ac-Auth-Token"))
		assert.NotContains(t, fmt.Sprint(h), ghosttest.DefaultBearerToken)
	}
}

func TestExportsExpired(t *testing.T) {
	t.Run("files gone on the server", func(t *testing.T) {
		srv, c := newExportServer(t)
		e := doneExport(t, srv, "M1", ghost.ExportTypeOrders, exportT0.Add(-24*time.Hour), exportT0)
		srv.Clock.Advance(24 * time.Hour) // the mock deletes files 24h after DONE
		n := 0
		var got error
		for _, err := range c.Exports.Orders(context.Background(), e) {
			if err != nil {
				got = err
				break
			}
			n++
		}
		require.ErrorIs(t, got, ghost.ErrExportExpired)
		assert.Zero(t, n)
		var ge *ghost.Error
		require.ErrorAs(t, got, &ge)
		assert.Equal(t, http.StatusGone, ge.StatusCode)
	})
	t.Run("past availableUntil on the client", func(t *testing.T) {
		srv, c := newExportServer(t)
		e := doneExport(t, srv, "M1", ghost.ExportTypeOrders, exportT0.Add(-24*time.Hour), exportT0)
		e.AvailableUntil = time.Now().Add(-time.Minute)
		srv.ResetRequests()
		for _, err := range c.Exports.Objects(context.Background(), e) {
			require.ErrorIs(t, err, ghost.ErrExportExpired)
			assert.Contains(t, err.Error(), "available until")
		}
		assert.Empty(t, srv.Requests(), "no download is attempted")
	})
}

// fileServer serves the given bodies at /f/0, /f/1, … and returns an export
// pointing at them.
func fileServer(t testing.TB, bodies ...string) *ghost.Export {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
		if err != nil || i >= len(bodies) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(bodies[i]))
	}))
	t.Cleanup(hs.Close)
	e := &ghost.Export{ID: "EXP1", Status: ghost.ExportStatusDone, AvailableUntil: time.Now().Add(time.Hour)}
	for i := range bodies {
		e.ExportURLs = append(e.ExportURLs, ghost.ExportURL{URL: fmt.Sprintf("%s/f/%d", hs.URL, i), ExportID: "EXP1"})
	}
	return e
}

func TestExportsFileShapes(t *testing.T) {
	c, err := ghost.NewClient(ghost.WithBearerToken("tok"), ghost.WithRetryPolicy(ghost.RetryPolicy{}))
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		body    string
		want    []string
		errCode string
	}{
		{"elements", `{"elements":[{"id":"A"},{"id":"B"}]}`, []string{"A", "B"}, ""},
		{"bare array", `[{"id":"A"},{"id":"B"}]`, []string{"A", "B"}, ""},
		{"other keys around", `{"href":"x","elements":[{"id":"A"}],"meta":{"n":1}}`, []string{"A"}, ""},
		{"empty", `{"elements":[]}`, nil, ""},
		{"null elements", `{"elements":null}`, nil, ""},
		{"no elements", `{"message":"oops"}`, nil, ghost.CodeBadResponse},
		{"not JSON", `<html>`, nil, ghost.CodeBadResponse},
		{"bad element", `{"elements":[{"id":"A"},{"id":{}}]}`, []string{"A"}, ghost.CodeBadResponse},
		{"truncated", `{"elements":[{"id":"A"},{"id":"B"`, []string{"A"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := fileServer(t, tc.body)
			var ids []string
			var got error
			for o, err := range c.Exports.Orders(context.Background(), e) {
				if err != nil {
					got = err
					break
				}
				ids = append(ids, string(o.ID))
			}
			assert.Equal(t, tc.want, ids)
			switch {
			case tc.name == "truncated":
				require.Error(t, got)
				assert.Contains(t, got.Error(), "unexpected EOF")
			case tc.errCode != "":
				var ge *ghost.Error
				require.ErrorAs(t, got, &ge)
				assert.Equal(t, tc.errCode, ge.Code)
			default:
				assert.NoError(t, got)
			}
		})
	}
}

func TestExportsDownloadCancelled(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"elements":[{"id":"A1","total":100}`)
		w.(http.Flusher).Flush()
		select { // the rest never comes
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hs.Close()
	c, err := ghost.NewClient(ghost.WithBearerToken("tok"))
	require.NoError(t, err)
	e := &ghost.Export{ID: "EXP1", Status: ghost.ExportStatusDone, ExportURLs: []ghost.ExportURL{{URL: hs.URL + "/f/1"}}}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ids []string
	var got error
	begin := time.Now()
	for o, err := range c.Exports.Orders(ctx, e) {
		if err != nil {
			got = err
			break
		}
		ids = append(ids, string(o.ID))
		cancel()
	}
	assert.Equal(t, []string{"A1"}, ids)
	require.ErrorIs(t, got, context.Canceled)
	assert.Less(t, time.Since(begin), 10*time.Second)
}

// rangeRun collects what a Range run yields and reports.
type rangeRun struct {
	ids      []string
	phases   []string
	windows  [][2]time.Time
	progress []ghost.RangeProgress
	err      error
}

func runRange(t *testing.T, srv *ghosttest.Server, merchant ghost.ID, p ghost.RangeParams, stopAfter int) *rangeRun {
	t.Helper()
	run := &rangeRun{}
	p.Wait.Interval, p.Wait.MaxInterval = time.Millisecond, 2*time.Millisecond
	if p.Concurrency == 0 {
		p.Concurrency = 1 // these tests assert the one-at-a-time order; exports_range_test.go runs several
	}
	user := p.OnProgress
	p.OnProgress = func(pr ghost.RangeProgress) {
		if pr.Phase == ghost.PhaseFile {
			return
		}
		run.progress = append(run.progress, pr)
		run.phases = append(run.phases, fmt.Sprintf("%d/%d %s", pr.Window, pr.Windows, pr.Phase))
		if pr.Phase == ghost.PhaseCreated {
			run.windows = append(run.windows, [2]time.Time{pr.Start, pr.End})
			srv.Clock.Advance(srv.Config.ExportDuration) // DONE at the first poll
		}
		if user != nil {
			user(pr)
		}
	}
	for o, err := range ghost.ExportRange[ghost.ExportedOrder](context.Background(), srv.Client.Exports, merchant, p) {
		if err != nil {
			run.err = err
			break
		}
		run.ids = append(run.ids, string(o.ID))
		if stopAfter > 0 && len(run.ids) == stopAfter {
			break
		}
	}
	return run
}

func TestExportsRange75Days(t *testing.T) {
	srv, _ := newExportServer(t)
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(75 * 24 * time.Hour)
	run := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: end}, 0)
	require.NoError(t, run.err)

	want := gridIDs("O", start, end, 37*time.Minute)
	require.Equal(t, 2918, len(want))
	require.Equal(t, len(want), len(run.ids), "no object lost or duplicated")
	assert.Equal(t, want, run.ids, "every object once, in order")

	d30 := 30 * 24 * time.Hour
	assert.Equal(t, [][2]time.Time{{start, start.Add(d30)}, {start.Add(d30), start.Add(2 * d30)}, {start.Add(2 * d30), end}}, run.windows)
	// One export at a time; the next window's export runs while the last
	// one's files download, so the windows' reports interleave.
	perWindow := map[string][]string{}
	for _, ph := range run.phases {
		w, phase, _ := strings.Cut(ph, " ")
		perWindow[w] = append(perWindow[w], phase)
	}
	for _, w := range []string{"1/3", "2/3", "3/3"} {
		assert.Equal(t, []string{"created", "polling", "downloading", "done"}, perWindow[w], w)
	}
	var checkpoints []time.Time
	var objects []int
	for _, p := range run.progress {
		if p.Phase == ghost.PhaseDone {
			checkpoints = append(checkpoints, p.Checkpoint)
			objects = append(objects, p.Objects)
		}
	}
	assert.Equal(t, []time.Time{start.Add(d30), start.Add(2 * d30), end}, checkpoints)
	assert.Equal(t, []int{
		len(gridIDs("O", start, start.Add(d30), 37*time.Minute)),
		len(gridIDs("O", start.Add(d30), start.Add(2*d30), 37*time.Minute)),
		len(gridIDs("O", start.Add(2*d30), end, 37*time.Minute)),
	}, objects)

	var creates []string
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			assert.Equal(t, "/v3/merchants/M1/exports", r.Path)
			creates = append(creates, string(r.Body))
		}
	}
	require.Len(t, creates, 3)
	for i, w := range run.windows {
		assert.JSONEq(t, fmt.Sprintf(`{"type":"ORDERS","startTime":%d,"endTime":%d}`, w[0].UnixMilli(), w[1].UnixMilli()), creates[i])
	}
}

func TestExportsRangeResume(t *testing.T) {
	srv, _ := newExportServer(t)
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(75 * 24 * time.Hour)
	want := gridIDs("O", start, end, 37*time.Minute)

	// The first run "crashes" in the middle of the second window; the
	// caller has saved the checkpoint of the first.
	var checkpoint time.Time
	save := func(p ghost.RangeProgress) {
		if p.Phase == ghost.PhaseDone {
			checkpoint = p.Checkpoint
		}
	}
	first := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: end, OnProgress: save}, 1500)
	require.NoError(t, first.err)
	require.Equal(t, start.Add(30*24*time.Hour), checkpoint)
	kept := len(gridIDs("O", start, checkpoint, 37*time.Minute)) // objects up to the checkpoint

	srv.ResetRequests()
	second := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: end, Checkpoint: checkpoint}, 0)
	require.NoError(t, second.err)
	assert.Equal(t, [][2]time.Time{{checkpoint, checkpoint.Add(30 * 24 * time.Hour)}, {checkpoint.Add(30 * 24 * time.Hour), end}}, second.windows)
	assert.Equal(t, want, append(first.ids[:kept:kept], second.ids...))

	// A checkpoint at the end leaves nothing to do.
	srv.ResetRequests()
	third := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: end, Checkpoint: end}, 0)
	require.NoError(t, third.err)
	assert.Empty(t, third.ids)
	assert.Empty(t, srv.Requests())
}

func TestExportsRangeWaitsThrough503OnCreate(t *testing.T) {
	srv, c := newExportServer(t)
	start := exportT0.Add(-24 * time.Hour)

	// Create alone reports the 503: a POST is not retried without a key.
	srv.InjectFault(ghosttest.Fault{Status: 503, Times: 1, PathPrefix: "/v3/"})
	_, err := c.Exports.Create(context.Background(), "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: exportT0})
	require.ErrorIs(t, err, ghost.ErrUnavailable)
	srv.ResetRequests()

	srv.InjectFault(ghosttest.Fault{Status: 503, Times: 2, PathPrefix: "/v3/"})
	// and then a burst while polling that outlasts the client's retries
	srv.InjectFault(ghosttest.Fault{Method: "GET", Status: 503, Times: 5, PathPrefix: "/v3/merchants/"})
	run := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: exportT0}, 0)
	require.NoError(t, run.err)
	assert.Equal(t, gridIDs("O", start, exportT0, 37*time.Minute), run.ids)
	assert.Equal(t, []string{"1/1 retrying", "1/1 retrying", "1/1 created", "1/1 polling", "1/1 downloading", "1/1 done"}, run.phases)
	assert.ErrorIs(t, run.progress[0].Err, ghost.ErrUnavailable)
	posts, polls := 0, 0
	for _, r := range srv.Requests() {
		switch {
		case r.Method == "POST":
			posts++
		case strings.HasPrefix(r.Path, "/v3/merchants/M1/exports/"):
			polls++
		}
	}
	assert.Equal(t, 3, posts)
	assert.Equal(t, 6, polls, "5 refused, then DONE")
}

func TestExportsRangeWaitsForConcurrencySlot(t *testing.T) {
	srv, c := newExportServer(t) // at most 2 exports at once
	ctx := context.Background()
	for range 2 { // another job holds both slots
		_, err := c.Exports.Create(ctx, "OTHER", ghost.ExportCreateParams{Type: ghost.ExportTypePayments, Start: exportT0.Add(-time.Hour), End: exportT0})
		require.NoError(t, err)
	}
	retries := 0
	run := runRange(t, srv, "M1", ghost.RangeParams{
		Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0,
		OnProgress: func(p ghost.RangeProgress) {
			if p.Phase == ghost.PhaseRetrying {
				retries++
				var ge *ghost.Error
				require.ErrorAs(t, p.Err, &ge)
				assert.Equal(t, 503, ge.StatusCode)
				assert.Contains(t, ge.Message, "concurrent exports")
				assert.NotErrorIs(t, p.Err, ghost.ErrOutsideServiceHours)
				srv.Clock.Advance(time.Second) // the other exports finish after 2s
			}
		},
	}, 0)
	require.NoError(t, run.err)
	assert.Equal(t, 2, retries)
	assert.Equal(t, gridIDs("O", exportT0.Add(-time.Hour), exportT0, 37*time.Minute), run.ids)
}

func TestExportsRangeServiceHours(t *testing.T) {
	closedAt := exportDay.Add(8*time.Hour + 30*time.Minute)
	opts := ghosttest.WithConfig(ghosttest.Config{ExportHours: &[2]int{10, 15}})

	t.Run("typed error", func(t *testing.T) {
		srv, _ := newExportServer(t, opts)
		srv.Clock.Set(closedAt)
		run := runRange(t, srv, "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: closedAt.Add(-time.Hour), End: closedAt}, 0)
		require.ErrorIs(t, run.err, ghost.ErrOutsideServiceHours)
		require.ErrorIs(t, run.err, ghost.ErrUnavailable)
		var he *ghost.ServiceHoursError
		require.ErrorAs(t, run.err, &he)
		assert.True(t, he.HasHours)
		assert.Equal(t, 10*time.Hour, he.Open)
		assert.Equal(t, 15*time.Hour, he.Close)
		assert.Contains(t, he.Error(), "10:00–15:00 UTC")
		assert.Equal(t, exportDay.Add(10*time.Hour), he.NextOpen(closedAt))
		assert.Equal(t, exportDay.Add(34*time.Hour), he.NextOpen(closedAt.Add(8*time.Hour)))
		assert.Equal(t, closedAt.Add(2*time.Hour), he.NextOpen(closedAt.Add(2*time.Hour)))
		assert.Len(t, srv.Requests(), 1, "not retried")
		assert.Empty(t, run.ids)
	})
	t.Run("wait for the hours", func(t *testing.T) {
		srv, _ := newExportServer(t, opts)
		srv.Clock.Set(closedAt)
		var waits []error
		run := runRange(t, srv, "M1", ghost.RangeParams{
			Type: ghost.ExportTypeOrders, Start: closedAt.Add(-time.Hour), End: closedAt, WaitForHours: true,
			OnProgress: func(p ghost.RangeProgress) {
				if p.Phase == ghost.PhaseRetrying {
					waits = append(waits, p.Err)
					assert.LessOrEqual(t, p.Wait, 2*time.Millisecond)
					srv.Clock.Advance(time.Hour)
				}
			},
		}, 0)
		require.NoError(t, run.err)
		require.Len(t, waits, 2, "closed at 08:30 and 09:30, open at 10:30")
		assert.ErrorIs(t, waits[0], ghost.ErrOutsideServiceHours)
		assert.Equal(t, gridIDs("O", closedAt.Add(-time.Hour), closedAt, 37*time.Minute), run.ids)
	})
}

func TestExportsRangeValidation(t *testing.T) {
	srv, c := newExportServer(t)
	start := exportT0.Add(-24 * time.Hour)
	for _, tc := range []struct {
		name string
		p    ghost.RangeParams
	}{
		{"no type", ghost.RangeParams{Start: start, End: exportT0}},
		{"end before start", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: exportT0, End: start}},
		{"no start", ghost.RangeParams{Type: ghost.ExportTypeOrders, End: exportT0}},
		{"window too long", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: start, End: exportT0, Window: 31 * 24 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for _, err := range c.Exports.Range(context.Background(), "M1", tc.p) {
				n++
				require.ErrorIs(t, err, ghost.ErrValidation)
			}
			assert.Equal(t, 1, n)
		})
	}
	assert.Empty(t, srv.Requests())
}

func TestExportsRangeFailedWindow(t *testing.T) {
	srv, _ := newExportServer(t)
	run := runRange(t, srv, "fail_M1", ghost.RangeParams{Type: ghost.ExportTypeOrders, Start: exportT0.Add(-time.Hour), End: exportT0}, 0)
	require.ErrorIs(t, run.err, ghost.ErrExportFailed)
	assert.Contains(t, run.err.Error(), "window 1 of 1")
	assert.Empty(t, run.ids)
}

func TestExportJSONTolerance(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
	}{
		{"epoch numbers", `{"id":"E1","status":"DONE","percentComplete":100,"startTime":1767225600000,"availableUntil":1767312000000,
			"exportUrls":{"elements":[{"url":"https://f/1","export":{"id":"E1"}}]},"merchantRef":{"id":"M1"}}`},
		{"numeric strings and float percent", `{"id":"E1","status":"DONE","percentComplete":100.0,"startTime":"1767225600000","availableUntil":"1767312000000",
			"exportUrls":[{"url":"https://f/1"}],"merchant":{"id":"M1"}}`},
		{"RFC 3339", `{"id":"E1","status":"DONE","percentComplete":"100","startTime":"2026-01-01T00:00:00Z","availableUntil":"2026-01-02T00:00:00Z",
			"exportUrls":{"elements":[{"url":"https://f/1"}]},"merchantRef":{"id":"M1"},"endTime":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e ghost.Export
			require.NoError(t, json.Unmarshal([]byte(tc.body), &e))
			assert.Equal(t, ghost.Export{
				ID: "E1", Status: ghost.ExportStatusDone, PercentComplete: 100,
				StartTime:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				AvailableUntil: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
				ExportURLs:     []ghost.ExportURL{{URL: "https://f/1", ExportID: "E1"}},
				MerchantID:     "M1",
			}, e)

			b, err := json.Marshal(e)
			require.NoError(t, err)
			assert.JSONEq(t, `{"id":"E1","status":"DONE","percentComplete":100,"startTime":1767225600000,"availableUntil":1767312000000,
				"exportUrls":{"elements":[{"url":"https://f/1","export":{"id":"E1"}}]},"merchantRef":{"id":"M1"}}`, string(b))
		})
	}
	var e ghost.Export
	assert.Error(t, json.Unmarshal([]byte(`{"id":"E1","startTime":"last tuesday"}`), &e))
	assert.Error(t, json.Unmarshal([]byte(`{"id":"E1","percentComplete":{}}`), &e))
}

// orderFile is an export file of n orders.
func orderFile(n int) string {
	var b strings.Builder
	b.WriteString(`{"elements":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"O%012d","currency":"USD","total":%d,"state":"locked","paymentState":"PAID","title":"Order %d","merchant":{"id":"M1"},"createdTime":%d,"modifiedTime":%d}`,
			i, 100+i, i, 1767225600000+int64(i)*60000, 1767225600000+int64(i)*60000)
	}
	b.WriteString("]}")
	return b.String()
}

// streamOrders streams every order of e and returns how many there were.
func streamOrders(tb testing.TB, c *ghost.Client, e *ghost.Export) int {
	n := 0
	for _, err := range c.Exports.Orders(context.Background(), e) {
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
	return n
}

// streamMeasured streams an export of files files of perFile orders each and
// returns the bytes allocated per object and the most the live heap grew
// while streaming.
func streamMeasured(t *testing.T, c *ghost.Client, files, perFile int) (perObject float64, heapGrowth int64) {
	body := orderFile(perFile)
	bodies := make([]string, files)
	for i := range bodies {
		bodies[i] = body
	}
	e := fileServer(t, bodies...)
	warm := *e
	warm.ExportURLs = e.ExportURLs[:1]
	streamOrders(t, c, &warm) // open the connection first

	var before, after, ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak uint64
	n := 0
	for _, err := range c.Exports.Orders(context.Background(), e) {
		require.NoError(t, err)
		if n++; n%(5*perFile) == 0 {
			runtime.GC() // count live memory only
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	runtime.ReadMemStats(&after)
	require.Equal(t, files*perFile, n)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(n), int64(peak) - int64(before.HeapAlloc)
}

func TestExportsStreamMemoryIsFlat(t *testing.T) {
	c, err := ghost.NewClient(ghost.WithBearerToken("tok"))
	require.NoError(t, err)
	const perFile = 200
	small, _ := streamMeasured(t, c, 5, perFile)
	large, growth := streamMeasured(t, c, 50, perFile)
	total := int64(50 * len(orderFile(perFile)))
	t.Logf("bytes allocated per object: 5 files %.0f, 50 files %.0f; heap grew by at most %d bytes for a %d-byte export",
		small, large, growth, total)
	// Decoding as the bytes arrive, the cost per object is the same however
	// many files there are; reading whole files would grow it with their
	// number (and hold every file in memory). The tolerances are generous.
	assert.Less(t, large, small*1.5)
	assert.Less(t, growth, total/2, "the export is never held in memory")
}

func BenchmarkExportStream(b *testing.B) {
	c, err := ghost.NewClient(ghost.WithBearerToken("tok"))
	if err != nil {
		b.Fatal(err)
	}
	body := orderFile(1000)
	bodies := make([]string, 50)
	for i := range bodies {
		bodies[i] = body
	}
	e := fileServer(b, bodies...)
	b.ReportAllocs()
	b.SetBytes(int64(len(body) * len(bodies)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	objects := 0
	for b.Loop() {
		objects += streamOrders(b, c, e)
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(objects), "B/object")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(objects), "allocs/object")
}
