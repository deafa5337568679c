package ghosttemporal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeS3 starts an in-process S3 server (gofakes3, which honours If-Match
// and If-None-Match on PUT) with one bucket, and returns a sink URL for it.
// The credentials go where a worker's would: the AWS variables.
func fakeS3(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return s3URL("exports", srv.URL)
}

// s3URL is the sink URL of bucket on the S3-compatible server at endpoint.
func s3URL(bucket, endpoint string) string {
	return "s3://" + bucket + "?endpoint=" + endpoint + "&use_path_style=true&region=us-east-1" +
		"&request_checksum_calculation=when_required&response_checksum_validation=when_required"
}

// testSinks are the sinks a sink test runs on: a local directory and an
// S3 bucket, of the in-process fake and, when GHOST_TEST_S3_ENDPOINT names
// one (.ci/run starts SeaweedFS's S3 gateway), of a real S3-compatible
// server, under a prefix of the test's own.
func testSinks(t *testing.T) map[string]string {
	sinks := map[string]string{"file": "file://" + filepath.ToSlash(t.TempDir()), "s3": fakeS3(t)}
	if ep := os.Getenv("GHOST_TEST_S3_ENDPOINT"); ep != "" {
		sinks["s3-server"] = s3URL(cmpOrStr(os.Getenv("GHOST_TEST_S3_BUCKET"), "exports"), ep) +
			"&prefix=" + url.QueryEscape(fmt.Sprintf("%s-%d/", t.Name(), time.Now().UnixNano()))
	}
	return sinks
}

func cmpOrStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func openSink(t *testing.T, url string) *Sink {
	t.Helper()
	s, err := OpenSink(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCheckSinkURL(t *testing.T) {
	tests := []struct {
		url string
		err string
	}{
		{"s3://bucket?region=eu-west-1&prefix=exports/", ""},
		{"gs://bucket", ""},
		{"azblob://container", ""},
		{"file:///data/exports", ""},
		{"file://localhost/data/exports", ""},
		{"file://./relative", "absolute"},
		{"file:///", "absolute"},
		{"mem://", "scheme"},
		{"https://bucket.s3.amazonaws.com", "scheme"},
		{"s3://key:secret@bucket", "credentials"},
		{"s3:///nobucket", "no bucket"},
		{"::", "sink URL"},
	}
	for _, tt := range tests {
		err := CheckSinkURL(tt.url)
		if tt.err == "" {
			assert.NoError(t, err, tt.url)
		} else {
			assert.ErrorContains(t, err, tt.err, tt.url)
		}
	}
}

var sinkWin = Window{Index: 3, Start: date(2025, 1, 1), End: date(2025, 1, 31)}

func sinkKey() WindowKey {
	return WindowKey{MerchantID: "m1", Type: ghost.ExportTypeOrders, Window: sinkWin}
}

func claimAt(export ghost.ID, created time.Time, files int) Claim {
	return Claim{Export: export, Created: created, Files: files, Job: "job-1"}
}

// writeFile writes objects "<prefix>-1".."<prefix>-n" as file n of c.
func writeFile(t *testing.T, s *Sink, c Claim, file, n int, prefix string) *SinkFile {
	t.Helper()
	f, err := s.Create(context.Background(), sinkKey(), c, file)
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		require.NoError(t, f.Write(json.RawMessage(fmt.Sprintf(`{"id":"%s-%d"}`, prefix, i))))
	}
	return f
}

func sinkObjects(t *testing.T, s *Sink, k WindowKey) []string {
	t.Helper()
	var ids []string
	for obj, err := range s.Objects(context.Background(), k) {
		require.NoError(t, err)
		var v struct{ ID string }
		require.NoError(t, json.Unmarshal(obj, &v))
		ids = append(ids, v.ID)
	}
	return ids
}

func TestSinkWindow(t *testing.T) {
	for name, url := range testSinks(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := openSink(t, url)
			created := time.Date(2026, 3, 2, 12, 0, 0, 123456789, time.UTC)
			c := claimAt("EXPORT0000007", created, 2)
			rec, err := s.Claim(ctx, sinkKey(), c)
			require.NoError(t, err)
			assert.Empty(t, rec.Committed)
			require.NoError(t, writeFile(t, s, c, 1, 3, "a").Commit(ctx))
			f := writeFile(t, s, c, 2, 2, "b")
			// A line break inside an object must not split it.
			require.NoError(t, f.Write(json.RawMessage("{\n\"id\": \"b-3\"\n}")))
			require.NoError(t, f.Commit(ctx))
			rec, err = s.Complete(ctx, sinkKey(), c)
			require.NoError(t, err)
			assert.True(t, rec.Complete)
			assert.Equal(t, int64(6), rec.Objects())
			assert.Equal(t, []string{"a-1", "a-2", "a-3", "b-1", "b-2", "b-3"}, sinkObjects(t, s, sinkKey()))

			dir := "m1/ORDERS/20250101T000000Z_20250131T000000Z/"
			keys, err := s.Keys(ctx, sinkKey())
			require.NoError(t, err)
			assert.Equal(t, []string{
				dir + "20260302T120000.123456789Z-EXPORT0000007/00001.jsonl",
				dir + "20260302T120000.123456789Z-EXPORT0000007/00002.jsonl",
				dir + "window.json",
			}, keys)
			got, err := s.Record(ctx, sinkKey())
			require.NoError(t, err)
			assert.Equal(t, WindowRecord{MerchantID: "m1", Type: ghost.ExportTypeOrders, Start: sinkWin.Start, End: sinkWin.End,
				Export: "EXPORT0000007", Created: created, Files: 2, Complete: true, Job: "job-1",
				Committed: []CommittedFile{{1, keys[0], 3}, {2, keys[1], 3}}}, *got)

			// Claiming again (a retried download) finds the same record.
			again, err := s.Claim(ctx, sinkKey(), c)
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

func TestSinkObjectsOfIncompleteWindow(t *testing.T) {
	s := openSink(t, "file://"+filepath.ToSlash(t.TempDir()))
	ctx := context.Background()
	c := claimAt("E1", date(2026, 1, 1), 1)
	_, err := s.Claim(ctx, sinkKey(), c)
	require.NoError(t, err)
	for _, err := range s.Objects(ctx, sinkKey()) {
		require.ErrorContains(t, err, "not complete")
	}
	_, err = s.Complete(ctx, sinkKey(), c)
	require.ErrorContains(t, err, "file 1 of export E1 is not committed")
}

// An export that has lost the window (a newer export claimed it) has its
// commit refused, even when the newer claim lands between the commit's
// read of the record and its write: the write itself is conditional.
func TestSinkRefusesStaleCommitInOneStep(t *testing.T) {
	for name, url := range testSinks(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			old, cur := openSink(t, url), openSink(t, url) // two workers
			e1 := claimAt("E1", date(2026, 1, 1), 1)
			e2 := claimAt("E2", date(2026, 1, 2), 1)
			_, err := old.Claim(ctx, sinkKey(), e1)
			require.NoError(t, err)
			stale := writeFile(t, old, e1, 1, 2, "old")

			claimed := make(chan error, 1)
			var once sync.Once
			old.beforeWrite = func() {
				once.Do(func() {
					// E2 claims while E1's commit is between its read and
					// its write (on file://, E2 waits for E1's lock).
					go func() {
						_, err := cur.Claim(ctx, sinkKey(), e2)
						claimed <- err
					}()
					if name != "file" {
						require.NoError(t, <-claimed)
					}
				})
			}
			err = stale.Commit(ctx)
			if name == "file" {
				// The lock orders the two: E1 commits, then E2 claims.
				require.NoError(t, err)
				require.NoError(t, <-claimed)
				require.ErrorIs(t, writeFile(t, old, e1, 1, 2, "old").Commit(ctx), ErrStaleExport)
			} else {
				require.ErrorIs(t, err, ErrStaleExport)
			}
			rec, err := cur.Record(ctx, sinkKey())
			require.NoError(t, err)
			assert.Equal(t, ghost.ID("E2"), rec.Export)
			assert.Empty(t, rec.Committed, "E1's file is not E2's")

			require.NoError(t, writeFile(t, cur, e2, 1, 1, "new").Commit(ctx))
			_, err = old.Complete(ctx, sinkKey(), e1)
			require.ErrorIs(t, err, ErrStaleExport)
			_, err = old.Claim(ctx, sinkKey(), e1)
			require.ErrorIs(t, err, ErrStaleExport, "an older export cannot take the window back")
			_, err = cur.Complete(ctx, sinkKey(), e2)
			require.NoError(t, err)
			assert.Equal(t, []string{"new-1"}, sinkObjects(t, cur, sinkKey()))
			keys, err := cur.Keys(ctx, sinkKey())
			require.NoError(t, err)
			assert.Len(t, keys, 2, "E2's file and the record: %v", keys)
		})
	}
}

// Completing a window deletes the files of older exports and uploads never
// committed, and leaves a newer export's alone.
func TestSinkCompleteTrims(t *testing.T) {
	for name, url := range testSinks(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := openSink(t, url)
			e1 := claimAt("E1", date(2026, 1, 1), 3)
			_, err := s.Claim(ctx, sinkKey(), e1)
			require.NoError(t, err)
			for n := 1; n <= 3; n++ {
				require.NoError(t, writeFile(t, s, e1, n, 1, "e1").Commit(ctx))
			}
			e2 := claimAt("E2", date(2026, 1, 2), 2)
			_, err = s.Claim(ctx, sinkKey(), e2)
			require.NoError(t, err)
			require.NoError(t, writeFile(t, s, e2, 1, 1, "e2").Commit(ctx))
			require.NoError(t, writeFile(t, s, e2, 2, 1, "e2").Commit(ctx))
			// An upload E2 never committed, as a killed worker leaves it.
			p, _ := sinkKey().Prefix()
			require.NoError(t, s.bucket.WriteAll(ctx, e2.fileKey(p, 9), []byte("{}\n"), nil))
			// A newer export's upload, not yet committed.
			e3 := claimAt("E3", date(2026, 1, 3), 1)
			require.NoError(t, s.bucket.WriteAll(ctx, e3.fileKey(p, 1), []byte("{}\n"), nil))

			_, err = s.Complete(ctx, sinkKey(), e2)
			require.NoError(t, err)
			keys, err := s.Keys(ctx, sinkKey())
			require.NoError(t, err)
			sort.Strings(keys)
			assert.Equal(t, []string{e2.fileKey(p, 1), e2.fileKey(p, 2), e3.fileKey(p, 1), p + "window.json"}, keys)
			if name == "file" {
				_, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(p), e1.dir()))
				assert.ErrorIs(t, err, os.ErrNotExist, "E1's directory is gone")
			}
		})
	}
}

// Many writers committing files of one export at once: every commit lands
// in the record (no update is lost to a concurrent one).
func TestSinkConcurrentCommits(t *testing.T) {
	for name, url := range testSinks(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const files = 8
			c := claimAt("E1", date(2026, 1, 1), files)
			_, err := openSink(t, url).Claim(ctx, sinkKey(), c)
			require.NoError(t, err)
			var wg sync.WaitGroup
			for n := 1; n <= files; n++ {
				s := openSink(t, url)
				f := writeFile(t, s, c, n, n, fmt.Sprint(n))
				wg.Go(func() { assert.NoError(t, f.Commit(ctx)) })
			}
			wg.Wait()
			rec, err := openSink(t, url).Complete(ctx, sinkKey(), c)
			require.NoError(t, err)
			assert.Len(t, rec.Committed, files)
			assert.Equal(t, int64(files*(files+1)/2), rec.Objects())
		})
	}
}

func TestSinkRefusesBadNames(t *testing.T) {
	s := openSink(t, "file://"+filepath.ToSlash(t.TempDir()))
	ctx := context.Background()
	c := claimAt("E1", date(2026, 1, 1), 1)
	for _, m := range []ghost.ID{"", "../x", "a/b", "..", ".hidden"} {
		_, err := s.Claim(ctx, WindowKey{MerchantID: m, Type: ghost.ExportTypeOrders, Window: sinkWin}, c)
		assert.Error(t, err, "merchant %q", m)
	}
	_, err := s.Claim(ctx, WindowKey{MerchantID: "m1", Type: "REFUNDS", Window: sinkWin}, c)
	assert.ErrorContains(t, err, "ORDERS or PAYMENTS")
	_, err = s.Claim(ctx, sinkKey(), claimAt("../E1", date(2026, 1, 1), 1))
	assert.ErrorContains(t, err, "export id")
	_, err = s.Claim(ctx, sinkKey(), Claim{Export: "E1", Files: 1})
	assert.ErrorContains(t, err, "creation time")
	_, err = s.Create(ctx, sinkKey(), c, 2)
	assert.ErrorContains(t, err, "file 2 of an export of 1 files")
}
