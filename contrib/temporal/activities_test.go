package ghosttemporal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	cfg.Profile = ghosttest.ProfileClover
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

// sinkIDs reads the ids of a window's files in order, and the file names.
func sinkIDs(t *testing.T, s DirSink, merchant ghost.ID, typ ghost.ExportType, w Window) ([]string, []string) {
	t.Helper()
	dir, err := s.WindowDir(merchant, typ, w)
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var ids, names []string
	for _, e := range entries {
		if e.Name() == ".export" {
			continue // the window's current export id
		}
		names = append(names, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		dec := json.NewDecoder(bytesReader(b))
		for dec.More() {
			var v struct{ ID string }
			require.NoError(t, dec.Decode(&v))
			ids = append(ids, v.ID)
		}
	}
	return ids, names
}

// failingSink fails a write after n objects, like a worker dying.
type failingSink struct {
	DirSink
	n int
}

func (s *failingSink) Create(ctx context.Context, key FileKey) (SinkFile, error) {
	f, err := s.DirSink.Create(ctx, key)
	return &failingFile{SinkFile: f, s: s}, err
}

type failingFile struct {
	SinkFile
	s *failingSink
}

func (f *failingFile) Write(obj json.RawMessage) error {
	if f.s.n--; f.s.n < 0 {
		return errors.New("worker killed")
	}
	return f.SinkFile.Write(obj)
}

func TestDownloadExport(t *testing.T) {
	srv := cloverServer(t, ghosttest.Config{})
	e := doneExport(t, srv, "m1", ghost.ExportTypeOrders, win)
	require.Len(t, e.ExportURLs, 2)
	want := expectedIDs(ghost.ExportTypeOrders, win)
	require.Len(t, want, 1167)

	t.Run("every object once, in order, one file per export file", func(t *testing.T) {
		sink := DirSink{Dir: t.TempDir()}
		a := &Activities{Client: srv.Client, Sink: sink}
		v, err := activityEnv(t, a)(a.DownloadExport, DownloadInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, Export: e})
		require.NoError(t, err)
		var res DownloadResult
		require.NoError(t, v.(interface{ Get(any) error }).Get(&res))
		assert.Equal(t, DownloadResult{Files: 2, Objects: 1167}, res)
		ids, names := sinkIDs(t, sink, "m1", ghost.ExportTypeOrders, win)
		sameIDs(t, want, ids)
		assert.Equal(t, []string{"00001.jsonl", "00002.jsonl"}, names)
	})
	t.Run("retried after a failure mid-file: rewritten, not appended", func(t *testing.T) {
		dir := t.TempDir()
		sink := DirSink{Dir: dir}
		broken := &Activities{Client: srv.Client, Sink: &failingSink{DirSink: sink, n: 1100}}
		in := DownloadInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, Export: e}
		_, err := activityEnv(t, broken)(broken.DownloadExport, in)
		require.ErrorContains(t, err, "worker killed")
		ids, names := sinkIDs(t, sink, "m1", ghost.ExportTypeOrders, win)
		sameIDs(t, want[:1000], ids) // only the committed first file is visible
		assert.Equal(t, []string{"00001.jsonl"}, names)

		// What a killed process leaves: a temporary file, and a stale file
		// from an earlier export of the window with more files.
		wdir, _ := sink.WindowDir("m1", ghost.ExportTypeOrders, win)
		require.NoError(t, os.WriteFile(filepath.Join(wdir, "00002.jsonl.tmp-123"), []byte(`{"id":"half"}`+"\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(wdir, "00003.jsonl"), []byte(`{"id":"stale"}`+"\n"), 0o644))

		// Another worker runs the whole activity again (no heartbeat).
		a := &Activities{Client: srv.Client, Sink: sink}
		_, err = activityEnv(t, a)(a.DownloadExport, in)
		require.NoError(t, err)
		ids, names = sinkIDs(t, sink, "m1", ghost.ExportTypeOrders, win)
		sameIDs(t, want, ids)
		assert.Equal(t, []string{"00001.jsonl", "00002.jsonl"}, names)
	})
	t.Run("resumes from the heartbeat", func(t *testing.T) {
		sink := DirSink{Dir: t.TempDir()}
		// File 1 is "already committed" by the earlier attempt.
		f, err := sink.Create(context.Background(), FileKey{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, File: 1})
		require.NoError(t, err)
		for _, id := range want[:1000] {
			require.NoError(t, f.Write(json.RawMessage(fmt.Sprintf(`{"id":%q}`, id))))
		}
		require.NoError(t, f.Commit())
		srv.ResetRequests()
		a := &Activities{Client: srv.Client, Sink: sink}
		env := quietSuite().NewTestActivityEnvironment()
		env.RegisterActivity(a)
		env.SetHeartbeatDetails(downloadProgress{ExportID: e.ID, NextFile: 1, Objects: 1000})
		v, err := env.ExecuteActivity(a.DownloadExport, DownloadInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, Export: e})
		require.NoError(t, err)
		var res DownloadResult
		require.NoError(t, v.Get(&res))
		assert.Equal(t, DownloadResult{Files: 2, Objects: 1167}, res)
		reqs := srv.Requests()
		require.Len(t, reqs, 1, "only file 2 is fetched")
		assert.Contains(t, reqs[0].Path, "/2.json")
		ids, _ := sinkIDs(t, sink, "m1", ghost.ExportTypeOrders, win)
		sameIDs(t, want, ids)
	})
	t.Run("expired files", func(t *testing.T) {
		sink := DirSink{Dir: t.TempDir()}
		a := &Activities{Client: srv.Client, Sink: sink}
		srv.Clock.Advance(25 * time.Hour)
		_, err := activityEnv(t, a)(a.DownloadExport, DownloadInput{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, Export: e})
		ae := appErr(t, err)
		assert.Equal(t, ErrTypeExpired, ae.Type())
		assert.True(t, ae.NonRetryable())
	})
}

func TestDirSinkRejectsUnsafeNames(t *testing.T) {
	s := DirSink{Dir: t.TempDir()}
	for _, m := range []ghost.ID{"", "../x", "a/b", "..", ".hidden"} {
		_, err := s.Create(context.Background(), FileKey{MerchantID: m, Type: ghost.ExportTypeOrders, Window: win, File: 1})
		assert.Error(t, err, "merchant %q", m)
	}
	_, err := s.Create(context.Background(), FileKey{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, File: 0})
	assert.Error(t, err)
	_, err = DirSink{}.Create(context.Background(), FileKey{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, File: 1})
	assert.Error(t, err)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

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

// Once a window is claimed by a newer export, a download of the older one
// that outlived its activity cannot replace the newer export's files.
func TestDirSinkRefusesStaleExport(t *testing.T) {
	ctx := context.Background()
	s := DirSink{Dir: t.TempDir()}
	key := func(export ghost.ID) FileKey {
		return FileKey{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: win, File: 1, ExportID: export}
	}
	require.NoError(t, s.Claim(ctx, "m1", ghost.ExportTypeOrders, win, "E1"))
	old, err := s.Create(ctx, key("E1"))
	require.NoError(t, err)
	require.NoError(t, old.Write(json.RawMessage(`{"id":"old"}`)))

	// The window is exported again (E1 expired); E2's download commits.
	require.NoError(t, s.Claim(ctx, "m1", ghost.ExportTypeOrders, win, "E2"))
	cur, err := s.Create(ctx, key("E2"))
	require.NoError(t, err)
	require.NoError(t, cur.Write(json.RawMessage(`{"id":"new"}`)))
	require.NoError(t, cur.Commit())

	// The stale E1 download finishes late: refused, nothing replaced.
	require.ErrorIs(t, old.Commit(), ErrStaleExport)
	require.ErrorIs(t, s.Trim(ctx, "m1", ghost.ExportTypeOrders, win, "E1", 0), ErrStaleExport)
	dir, err := s.WindowDir("m1", ghost.ExportTypeOrders, win)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "00001.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, "{\"id\":\"new\"}\n", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{".export", "00001.jsonl"}, names, "no temporary file left")
	require.NoError(t, s.Trim(ctx, "m1", ghost.ExportTypeOrders, win, "E2", 1))
}
