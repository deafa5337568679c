package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEveryFlagUnderEveryProfile(t *testing.T) {
	for _, p := range ghosttest.Profiles {
		t.Run(string(p), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var out syncBuffer
			ready := make(chan string, 1)
			done := make(chan error, 1)
			args := []string{"-addr", "127.0.0.1:0", "-profile", string(p),
				"-secret-key", "sk_x", "-public-key", "pk_x", "-api-key", "ak_x", "-auth-token", "at_x", "-bearer", "bt_x",
				"-seed", "2", "-checkout-rate-limit", "50", "-spark-call-limit", "10", "-export-concurrency", "3",
				"-export-hours", "0-24", "-export-duration", "1s"}
			go func() { done <- run(ctx, args, &out, io.Discard, ready) }()
			var url string
			select {
			case url = <-ready:
			case err := <-done:
				t.Fatalf("run: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("mock did not start")
			}
			assert.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
			assert.NotContains(t, url, ":0", "the printed URL shows the real port")
			assert.Contains(t, out.String(), url)
			assert.Contains(t, out.String(), "try: curl")
			if p == "all" {
				assert.Contains(t, out.String(), "komoju   base URL "+url+"/komoju")
				assert.Contains(t, out.String(), "spark    base URL "+url+"/spark")
				assert.Contains(t, out.String(), "export GHOST_KOMOJU_BASE_URL="+url+"/komoju\n")
			}
			// The environment block: every served part's URL and credentials.
			assert.Contains(t, out.String(), "export GHOST_BASE_URL="+url+"\n")
			switch p {
			case ghosttest.ProfileGhost:
				assert.Contains(t, out.String(), "export GHOST_PUBLIC_KEY=pk_x\nexport GHOST_SECRET_KEY=sk_x\n")
			case ghosttest.ProfileKomoju:
				assert.Contains(t, out.String(), "export GHOST_KOMOJU_SECRET_KEY=sk_x\n")
			case ghosttest.ProfileCheckout:
				assert.Contains(t, out.String(), "export GHOST_API_KEY=ak_x\n")
			case ghosttest.ProfileSpark:
				assert.Contains(t, out.String(), "export GHOST_AUTH_TOKEN=at_x\n")
			case ghosttest.ProfileExports:
				assert.Contains(t, out.String(), "export GHOST_BEARER_TOKEN=bt_x\n")
			}

			// A path no part knows is a 404, never a fake success.
			resp, err := http.Get(url + "/definitely/not/an/endpoint")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)

			cancel()
			require.NoError(t, <-done)
		})
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-profile", "nope", "-addr", "127.0.0.1:0"},
		{"-export-hours", "15-10", "-addr", "127.0.0.1:0"},
		{"-export-hours", "x", "-addr", "127.0.0.1:0"},
		{"-addr", "127.0.0.1:0", "extra"},
		{"-unknown-flag"},
	} {
		err := run(t.Context(), args, io.Discard, io.Discard, nil)
		assert.Error(t, err, args)
	}
}

func TestOldProfileNamesAndEnvFile(t *testing.T) {
	for _, tc := range []struct{ name, want string }{{"sparkpay", "spark"}, {"clover", "exports"}} {
		ctx, cancel := context.WithCancel(t.Context())
		envFile := t.TempDir() + "/mock.env"
		var out syncBuffer
		ready := make(chan string, 1)
		done := make(chan error, 1)
		args := []string{"-addr", "127.0.0.1:0", "-profile", tc.name, "-env-file", envFile, "-bearer", "it's"}
		go func() { done <- run(ctx, args, &out, io.Discard, ready) }()
		select {
		case url := <-ready:
			assert.Contains(t, out.String(), `serving profile "`+tc.want+`"`)
			b, err := os.ReadFile(envFile)
			require.NoError(t, err)
			assert.Contains(t, out.String(), string(b), "the file holds the printed block")
			assert.True(t, strings.HasPrefix(string(b), "export GHOST_BASE_URL="+url+"\n"), string(b))
			if tc.want == "exports" {
				assert.Contains(t, string(b), `export GHOST_BEARER_TOKEN='it'\''s'`+"\n", "quoted for the shell")
			}
		case err := <-done:
			t.Fatalf("run: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("mock did not start")
		}
		cancel()
		require.NoError(t, <-done)
	}
}
