package ghost_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func doneExportAt(urls ...string) *ghost.Export {
	e := &ghost.Export{ID: "EX1", Type: ghost.ExportTypeOrders, Status: ghost.ExportStatusDone}
	for _, u := range urls {
		e.ExportURLs = append(e.ExportURLs, ghost.ExportURL{URL: u, ExportID: "EX1"})
	}
	return e
}

var (
	bigFileOnce sync.Once
	bigFile     []byte
)

// bigGzippedFile is an export file holding one 64 MiB object, about 65 KiB
// gzipped.
func bigGzippedFile(t *testing.T) []byte {
	bigFileOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		io.WriteString(zw, `{"elements":[{"id":"O1","note":"`)
		chunk := strings.Repeat("a", 1<<20)
		for range 64 {
			io.WriteString(zw, chunk)
		}
		io.WriteString(zw, `"},{"id":"O2"}]}`)
		zw.Close()
		bigFile = b.Bytes()
	})
	return bigFile
}

// Export streams bound one object: a 64 MiB element (65 KiB on the wire) is
// an error, not 64 MiB decoded.
func TestExportObjectCap(t *testing.T) {
	t.Run("64 MiB element, default cap", func(t *testing.T) {
		file := bigGzippedFile(t)
		t.Logf("file: %d bytes gzipped", len(file))
		srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/json")
			w.Write(file)
		})
		c := clientFor(t, srv.URL)
		var (
			got int
			err error
		)
		n := allocated(func() {
			for o, e := range c.Exports.Orders(t.Context(), doneExportAt(srv.URL+"/f1.json")) {
				if e != nil {
					err = e
					break
				}
				_ = o
				got++
			}
		})
		require.ErrorIs(t, err, ghost.ErrResponseTooLarge)
		assert.Contains(t, err.Error(), fmt.Sprint(ghost.DefaultMaxExportObjectBytes))
		assert.Zero(t, got)
		t.Logf("allocated %.1f MiB", float64(n)/(1<<20))
		assert.Less(t, n, uint64(8*ghost.DefaultMaxExportObjectBytes), "allocated %d bytes", n)
	})
	t.Run("configured cap", func(t *testing.T) {
		small := `{"id":"O1","note":"` + strings.Repeat("b", 500) + `"}`
		large := `{"id":"O2","note":"` + strings.Repeat("c", 20000) + `"}`
		srv := newCountingServer(t, fixed(200, `{"elements":[`+small+`,`+small+`,`+large+`]}`))
		c := clientFor(t, srv.URL, ghost.WithMaxExportObjectBytes(1024))
		var ids []ghost.ID
		var err error
		for o, e := range c.Exports.Orders(t.Context(), doneExportAt(srv.URL+"/f1.json")) {
			if e != nil {
				err = e
				break
			}
			ids = append(ids, o.ID)
		}
		assert.Equal(t, []ghost.ID{"O1", "O1"}, ids, "objects under the cap are yielded")
		assert.ErrorIs(t, err, ghost.ErrResponseTooLarge)
	})
}

// ctxBody reads data like a connection would: a read fails once the
// request's context ends; after data, it blocks until then (a stalled
// server) unless eof.
type ctxBody struct {
	ctx  context.Context
	r    io.Reader
	eof  bool
	read int
}

func (b *ctxBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > 256 { // a slow link: small reads
		p = p[:256]
	}
	n, err := b.r.Read(p)
	b.read += n
	if err == io.EOF && !b.eof {
		<-b.ctx.Done()
		return n, b.ctx.Err()
	}
	return n, err
}

func (b *ctxBody) Close() error { return nil }

func exportFileOf(n int) string {
	var sb strings.Builder
	sb.WriteString(`{"elements":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"O%d","total":%d,"createdTime":1767225600000}`, i, i)
	}
	sb.WriteString(`]}`)
	return sb.String()
}

// A slow consumer is not cut mid-file by the per-attempt timeout; a server
// that stops sending is cut by the idle timeout.
func TestExportStreamIdleTimeout(t *testing.T) {
	const objects = 1000
	file := exportFileOf(objects)
	serve := func(eof bool) *fakeAPI {
		data := file
		if !eof {
			data = file[:len(file)/2] // half the file, then nothing
		}
		return &fakeAPI{replies: []func(*http.Request) (*http.Response, error){func(r *http.Request) (*http.Response, error) {
			resp, _ := reply(200, "")(r)
			resp.ContentLength = -1
			resp.Body = &ctxBody{ctx: r.Context(), r: strings.NewReader(data), eof: eof}
			return resp, nil
		}}}
	}
	t.Run("slow consumer, 10 ms per object, 200 ms timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := serve(true)
			c := newFakeClient(t, f, ghost.WithTimeout(200*time.Millisecond))
			start := time.Now()
			n := 0
			for _, err := range c.Exports.Orders(t.Context(), doneExportAt("https://files.example.com/f1.json")) {
				require.NoError(t, err, "after %d objects", n)
				time.Sleep(10 * time.Millisecond)
				n++
			}
			assert.Equal(t, objects, n, "the whole file")
			assert.Equal(t, 1, f.count(), "one download")
			assert.GreaterOrEqual(t, time.Since(start), 10*time.Second, "the consumer took 50x the timeout")
		})
	})
	t.Run("server stalls mid-file", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := serve(false)
			c := newFakeClient(t, f, ghost.WithTimeout(200*time.Millisecond), ghost.WithRetryPolicy(ghost.RetryPolicy{}))
			n := 0
			var err error
			for _, e := range c.Exports.Orders(t.Context(), doneExportAt("https://files.example.com/f1.json")) {
				if e != nil {
					err = e
					break
				}
				n++
			}
			assert.Greater(t, n, objects/3, "the objects sent before the stall")
			assert.Less(t, n, objects, "not the whole file")
			require.Error(t, err)
			var ne net.Error
			require.ErrorAs(t, err, &ne, "%v", err)
			assert.True(t, ne.Timeout())
			assert.Contains(t, err.Error(), "idle timeout")
		})
	})
}
