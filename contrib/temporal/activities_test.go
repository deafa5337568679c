package ghosttemporal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func cloverServer(t *testing.T, cfg ghosttest.Config) *ghosttest.Server {
	t.Helper()
	cfg.Profile = ghosttest.ProfileExports
	srv := ghosttest.NewServer(ghosttest.WithConfig(cfg))
	t.Cleanup(srv.Close)
	srv.Clock.Freeze()
	return srv
}

func activityEnv(t *testing.T, a *Activities) func(fn any, in any) (any, error) {
	return func(fn any, in any) (any, error) {
		env := quietSuite().NewTestActivityEnvironment()
		env.RegisterActivity(a)
		v, err := env.ExecuteActivity(fn, in)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

func appErr(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v is not an application error", err)
	return ae
}

var win = Window{Index: 0, Start: date(2025, 1, 1), End: date(2025, 1, 31)}

func TestCreateExportClassifiesErrors(t *testing.T) {
	t.Run("created", func(t *testing.T) {
		srv := cloverServer(t, ghosttest.Config{})
		a := &Activities{Client: srv.Client}
		v, err := activityEnv(t, a)(a.CreateExport, CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win})
		require.NoError(t, err)
		var e ghost.Export
		require.NoError(t, v.(interface{ Get(any) error }).Get(&e))
		assert.Equal(t, ghost.ExportStatusPending, e.Status)
		assert.NotEmpty(t, e.ID)
		req, _ := srv.LastRequest()
		assert.Equal(t, http.MethodPost, req.Method)
		assert.Equal(t, "/v3/merchants/m1/exports", req.Path)
		assert.JSONEq(t, `{"type":"ORDERS","startTime":1735689600000,"endTime":1738281600000}`, string(req.Body))
	})
	tests := []struct {
		name    string
		cfg     ghosttest.Config
		setup   func(srv *ghosttest.Server, a *Activities)
		in      CreateInput
		typ     string
		details *UnavailableDetails
		created bool // the mock did create an export
	}{
		{"too many exports", ghosttest.Config{ExportConcurrency: 1}, func(srv *ghosttest.Server, a *Activities) {
			_, err := a.Client.Exports.Create(context.Background(), "other", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: win.Start, End: win.End})
			require.NoError(t, err)
		}, CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win}, ErrTypeUnavailable, nil, false},
		{"outside service hours", ghosttest.Config{ExportHours: &[2]int{10, 15}}, func(srv *ghosttest.Server, _ *Activities) {
			srv.Clock.Set(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
		}, CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win}, ErrTypeServiceHours,
			&UnavailableDetails{Open: 10 * time.Hour, Close: 15 * time.Hour, HasHours: true}, false},
		{"answer lost after the server created it", ghosttest.Config{}, func(srv *ghosttest.Server, _ *Activities) {
			srv.InjectFault(ghosttest.Fault{Method: http.MethodPost, CutBody: true})
		}, CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win}, ErrTypeAmbiguousCreate, nil, true},
		{"500", ghosttest.Config{}, func(srv *ghosttest.Server, _ *Activities) {
			srv.InjectFault(ghosttest.Fault{Method: http.MethodPost, Status: 500})
		}, CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win}, ErrTypeAmbiguousCreate, nil, false},
		{"bad type, never sent", ghosttest.Config{}, nil,
			CreateInput{MerchantID: "m1", Type: "REFUNDS", Window: win}, ErrTypePermanent, nil, false},
		{"401", ghosttest.Config{BearerToken: "other"}, nil,
			CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win}, ErrTypePermanent, nil, false},
		{"no credentials configured, never sent", ghosttest.Config{}, func(srv *ghosttest.Server, a *Activities) {
			c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL))
			require.NoError(t, err)
			a.Client = c
		}, CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win}, ErrTypePermanent, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cloverServer(t, tt.cfg)
			client := srv.Client
			if tt.cfg.BearerToken != "" {
				var err error
				client, err = ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithInsecureHTTP(), ghost.WithBearerToken("wrong"))
				require.NoError(t, err)
			}
			a := &Activities{Client: client}
			if tt.setup != nil {
				tt.setup(srv, a)
			}
			_, err := activityEnv(t, a)(a.CreateExport, tt.in)
			ae := appErr(t, err)
			assert.Equal(t, tt.typ, ae.Type())
			assert.True(t, ae.NonRetryable(), "creates are never retried by Temporal")
			if tt.details != nil {
				var d UnavailableDetails
				require.NoError(t, ae.Details(&d))
				d.Message = ""
				assert.Equal(t, *tt.details, d)
			}
			_, gerr := srv.Client.Exports.Get(context.Background(), "m1", "EXPORT0000001")
			if tt.created {
				assert.NoError(t, gerr, "the mock created the export whose answer was lost")
			} else if tt.setup == nil || tt.name == "500" {
				assert.Error(t, gerr)
			}
		})
	}
	t.Run("connection refused: nothing sent", func(t *testing.T) {
		hs := httptest.NewServer(http.NotFoundHandler())
		url := hs.URL
		hs.Close()
		client, err := ghost.NewClient(ghost.WithBaseURL(url), ghost.WithInsecureHTTP(), ghost.WithBearerToken("t"),
			ghost.WithRetryPolicy(ghost.RetryPolicy{}))
		require.NoError(t, err)
		a := &Activities{Client: client}
		_, err = activityEnv(t, a)(a.CreateExport, CreateInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win})
		assert.Equal(t, ErrTypeUnavailable, appErr(t, err).Type())
	})
}

// doneExport creates the window's export on srv and moves the clock until
// it is DONE.
func doneExport(t *testing.T, srv *ghosttest.Server, merchant ghost.ID, typ ghost.ExportType, w Window) ghost.Export {
	t.Helper()
	ctx := context.Background()
	e, err := srv.Client.Exports.Create(ctx, merchant, ghost.ExportCreateParams{Type: typ, Start: w.Start, End: w.End})
	require.NoError(t, err)
	srv.Clock.Advance(srv.Config.ExportDuration)
	e, err = srv.Client.Exports.Get(ctx, merchant, e.ID)
	require.NoError(t, err)
	require.Equal(t, ghost.ExportStatusDone, e.Status)
	return *e
}

// expectedIDs lists the ids of the objects the mock generates in w.
func expectedIDs(typ ghost.ExportType, w Window) []string {
	step := ghosttest.ExportOrderInterval
	if typ == ghost.ExportTypePayments {
		step = ghosttest.ExportPaymentInterval
	}
	ms := step.Milliseconds()
	first := (w.Start.UnixMilli() + ms - 1) / ms * ms
	var ids []string
	for t := first; t < w.End.UnixMilli(); t += ms {
		ids = append(ids, ghosttest.ExportObjectID(string(typ), time.UnixMilli(t)))
	}
	return ids
}

// sinkIDs reads the ids of a complete window's objects, in order.
func sinkIDs(t *testing.T, s *Sink, merchant ghost.ID, typ ghost.ExportType, w Window) []string {
	t.Helper()
	var ids []string
	for obj, err := range s.Objects(context.Background(), WindowKey{MerchantID: merchant, Type: typ, Window: w}) {
		require.NoError(t, err)
		var v struct{ ID string }
		require.NoError(t, json.Unmarshal(obj, &v))
		ids = append(ids, v.ID)
	}
	return ids
}

func download(t *testing.T, a *Activities, in DownloadInput) (DownloadResult, error) {
	t.Helper()
	env := quietSuite().NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.DownloadExport, in)
	if err != nil {
		return DownloadResult{}, err
	}
	var res DownloadResult
	require.NoError(t, v.Get(&res))
	return res, nil
}

func TestDownloadExport(t *testing.T) {
	srv := cloverServer(t, ghosttest.Config{})
	e := doneExport(t, srv, "m1", ghost.ExportTypeOrders, win)
	require.Len(t, e.ExportURLs, 2)
	want := expectedIDs(ghost.ExportTypeOrders, win)
	require.Len(t, want, 1167)
	created := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	input := func(sink string) DownloadInput {
		return DownloadInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, Export: e, Sink: sink, Created: created, Job: "j"}
	}
	filesFetched := func() []string {
		var paths []string
		for _, r := range srv.Requests() {
			if strings.HasPrefix(r.Path, "/v3/exports/files/") {
				paths = append(paths, r.Path)
			}
		}
		return paths
	}

	for name, url := range testSinks(t) {
		t.Run(name+": every object once, in order", func(t *testing.T) {
			a := &Activities{Client: srv.Client}
			t.Cleanup(func() { a.Close() })
			res, err := download(t, a, input(url))
			require.NoError(t, err)
			assert.Equal(t, DownloadResult{Files: 2, Objects: 1167}, res)
			sameIDs(t, want, sinkIDs(t, openSink(t, url), "m1", ghost.ExportTypeOrders, win))
		})
		t.Run(name+": a retry skips the files the sink holds", func(t *testing.T) {
			url := withQuery(t, url, "prefix", "retry/")
			a := &Activities{Client: srv.Client}
			t.Cleanup(func() { a.Close() })
			// File 2 fails for good on the first attempt, after file 1 is
			// committed.
			srv.InjectFault(ghosttest.Fault{Method: "GET", PathPrefix: "/v3/exports/files/" + string(e.ID) + "/2", Status: 403})
			srv.ResetRequests()
			_, err := download(t, a, input(url))
			require.Error(t, err)
			require.Len(t, filesFetched(), 2)
			rec, err := openSink(t, url).Record(context.Background(), WindowKey{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win})
			require.NoError(t, err)
			require.Len(t, rec.Committed, 1)
			assert.False(t, rec.Complete)

			srv.ResetRequests()
			res, err := download(t, a, input(url))
			require.NoError(t, err)
			assert.Equal(t, DownloadResult{Files: 2, Objects: 1167, Skipped: 1}, res)
			fetched := filesFetched()
			require.Len(t, fetched, 1, "only file 2 is fetched again")
			assert.Contains(t, fetched[0], "/2.json")
			sameIDs(t, want, sinkIDs(t, openSink(t, url), "m1", ghost.ExportTypeOrders, win))
		})
	}
	t.Run("a download of an export the window no longer holds", func(t *testing.T) {
		url := "file://" + filepath.ToSlash(t.TempDir())
		s := openSink(t, url)
		_, err := s.Claim(context.Background(), WindowKey{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win},
			Claim{Export: "NEWER", Created: created.Add(time.Hour), Files: 1})
		require.NoError(t, err)
		a := &Activities{Client: srv.Client}
		t.Cleanup(func() { a.Close() })
		_, err = download(t, a, input(url))
		ae := appErr(t, err)
		assert.Equal(t, ErrTypeStaleExport, ae.Type())
		assert.True(t, ae.NonRetryable())
	})
	t.Run("a sink the worker does not allow", func(t *testing.T) {
		a := &Activities{Client: srv.Client, AllowSink: func(string) error { return errors.New("not here") }}
		_, err := download(t, a, input("file://"+filepath.ToSlash(t.TempDir())))
		ae := appErr(t, err)
		assert.Equal(t, ErrTypePermanent, ae.Type())
		assert.Contains(t, ae.Error(), "not here")
	})
	t.Run("expired files", func(t *testing.T) {
		a := &Activities{Client: srv.Client}
		t.Cleanup(func() { a.Close() })
		srv.Clock.Advance(25 * time.Hour)
		_, err := download(t, a, input("file://"+filepath.ToSlash(t.TempDir())))
		ae := appErr(t, err)
		assert.Equal(t, ErrTypeExpired, ae.Type())
		assert.True(t, ae.NonRetryable())
	})
}

// withQuery returns rawURL with its query parameter key set to v.
func withQuery(t *testing.T, rawURL, key, v string) string {
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	q := u.Query()
	q.Set(key, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// sameIDs compares id lists without printing thousands of ids.
func sameIDs(t *testing.T, want, got []string) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("got %d ids, want %d", len(got), len(want))
	}
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			t.Errorf("id %d is %s, want %s", i, got[i], want[i])
			return
		}
	}
}
