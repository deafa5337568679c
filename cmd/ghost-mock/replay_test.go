package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startReplay runs ghost-mock with args until the test ends; it returns
// the URL and what it printed.
func startReplay(t *testing.T, args ...string) (string, *syncBuffer, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &out, &errOut, ready) }()
	select {
	case url := <-ready:
		var once sync.Once
		var err error
		stop := func() error {
			once.Do(func() { cancel(); err = <-done })
			return err
		}
		t.Cleanup(func() { stop() })
		return url, &out, &errOut, stop
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("ghost-mock did not start")
	}
	return "", nil, nil, nil
}

func TestReplayFlagServesACassetteDirectory(t *testing.T) {
	dir := t.TempDir()
	c := &ghosttest.Cassette{Name: "session", Version: ghosttest.CassetteVersion, Interactions: []ghosttest.Interaction{{
		Seq: 1, At: time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC), Part: ghost.PartSpark, Operation: "Spark.Products.Get",
		Request:  ghosttest.CassetteRequest{Method: "GET", Path: "/api/v1/products/7", Template: "/api/v1/products/{id}"},
		Response: ghosttest.CassetteResponse{Status: 200, Header: ghosttest.RecordedHeader{"Content-Type": {"application/json"}}, CassetteBody: ghosttest.CassetteBody{JSON: json.RawMessage(`{"id":7,"item_name":"Hat"}`)}},
	}}}
	require.NoError(t, c.Save(ghosttest.CassettePath(dir, c.Name)))
	url, out, errOut, stop := startReplay(t, "-replay", dir, "-replay-ignore-fields", "fields, expand", "-control")
	assert.Contains(t, out.String(), "replaying 1 recorded exchanges of "+dir+" (cassettes: session)")
	assert.Contains(t, out.String(), "export GHOST_SPARK_BASE_URL="+url+"/spark\n", "the same environment block")

	get := func(path string) (int, string) {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get("/spark/api/v1/products/9?fields=id")
	assert.Equal(t, 200, status, "the template matches; fields is ignored")
	assert.JSONEq(t, `{"id":7,"item_name":"Hat"}`, body)
	status, body = get("/spark/api/v1/categories/9")
	assert.Equal(t, 501, status)
	assert.Contains(t, body, "the closest is #1 spark GET /api/v1/products/7 (Spark.Products.Get)")
	status, _ = get("/__ghost/")
	assert.Equal(t, 200, status, "the control API with -control")

	require.NoError(t, stop())
	assert.Contains(t, errOut.String(), "ghost-mock: 1 requests matched no recorded exchange:\n  GET /spark/api/v1/categories/9: no recorded exchange matches")
}

func TestReplayFlagErrors(t *testing.T) {
	bad := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-replay-ignore-body"}, "-replay-… flags need -replay DIR"},
		{[]string{"-replay", bad}, "no cassette (*.json) in the directory"},
		{[]string{"-replay", bad + "/missing"}, "-replay: stat"},
	} {
		err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0"}, tc.args...), io.Discard, io.Discard, nil)
		require.Error(t, err, strings.Join(tc.args, " "))
		assert.Contains(t, err.Error(), tc.want)
	}
}
