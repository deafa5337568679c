package ghost_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
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

// gzipBomb is an export file of one element of size bytes ({"id":"B1",
// "note":"aaa…"}), gzipped: about size/1000 bytes on the wire.
func gzipBomb(size int) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	io.WriteString(zw, `{"elements":[{"id":"B1","note":"`)
	chunk := strings.Repeat("a", 1<<20)
	for range size >> 20 {
		io.WriteString(zw, chunk)
	}
	io.WriteString(zw, `"}]}`)
	zw.Close()
	return b.Bytes()
}

// bombExports serves one export, DONE at once, whose only file is file.
func bombExports(t *testing.T, file []byte) *httptest.Server {
	var srv *httptest.Server
	export := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"EB1","type":"ORDERS","status":"DONE","percentComplete":100,"exportUrls":{"elements":[{"url":%q}]}}`,
			srv.URL+"/files/bomb.json")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/merchants/M1/exports", export)
	mux.HandleFunc("GET /v3/merchants/M1/exports/EB1", export)
	mux.HandleFunc("GET /files/bomb.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(file)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// dirPeak samples the bytes of the files under dir every millisecond until
// stop is closed, and returns the most it saw.
func dirPeak(dir string, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		for {
			var n int64
			filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if fi, err := d.Info(); err == nil {
						n += fi.Size()
					}
				}
				return nil
			})
			peak = max(peak, n)
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return out
}

// bytesWritten is the process's write(2) total (Linux /proc/self/io wchar),
// or -1 where that is not available.
func bytesWritten() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// A file host serving a gzip bomb (one 256 MiB element, 256 KiB on the
// wire) costs Range no more temporary disk than the object cap: the cap
// holds while the file is spooled, not only when it is read back.
func TestRangeSpoolCapsGzipBomb(t *testing.T) {
	file := gzipBomb(256 << 20)
	t.Logf("file: %d KiB on the wire, 256 MiB decompressed", len(file)>>10)
	srv := bombExports(t, file)
	c, err := ghost.NewClient(ghost.WithBaseURL(srv.URL), ghost.WithBearerToken("tok"))
	require.NoError(t, err)
	tmp := t.TempDir()
	stop := make(chan struct{})
	peak := dirPeak(tmp, stop)
	before := bytesWritten()
	var got error
	for _, err := range c.Exports.Range(t.Context(), "M1", ghost.RangeParams{Type: ghost.ExportTypeOrders,
		Start: exportT0.Add(-time.Hour), End: exportT0, TempDir: tmp, Wait: fastWait()}) {
		if err != nil {
			got = err
			break
		}
	}
	written := bytesWritten() - before
	close(stop)
	disk := <-peak
	require.ErrorIs(t, got, ghost.ErrResponseTooLarge)
	t.Logf("temporary files peaked at %d bytes; the process wrote %d bytes in all (-1: not measured)", disk, written)
	assert.LessOrEqual(t, disk, int64(ghost.DefaultMaxExportObjectBytes), "temporary disk within the object cap")
	if before >= 0 {
		assert.Less(t, written, int64(2*ghost.DefaultMaxExportObjectBytes), "bytes written within twice the object cap")
	}
}
