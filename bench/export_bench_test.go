package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

func exportFile(n int) []byte {
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
	return []byte(b.String())
}

// exportFiles serves files identical files of 1000 orders and returns a DONE
// export pointing at them.
func exportFiles(tb testing.TB, files int) *ghost.Export {
	body := exportFile(1000)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/")); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	tb.Cleanup(hs.Close)
	e := &ghost.Export{ID: "EXP1", Status: ghost.ExportStatusDone, AvailableUntil: time.Now().Add(time.Hour)}
	for i := range files {
		e.ExportURLs = append(e.ExportURLs, ghost.ExportURL{URL: fmt.Sprintf("%s/f/%d", hs.URL, i), ExportID: "EXP1"})
	}
	return e
}

// rawStream is the hand-written alternative: GET each file and decode its
// elements one by one with json.Decoder.
func rawStream(ctx context.Context, hc *http.Client, e *ghost.Export, each func(*ghost.ExportedOrder)) error {
	for _, f := range e.ExportURLs {
		req, err := http.NewRequestWithContext(ctx, "GET", f.URL, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(resp.Body)
		if _, err := dec.Token(); err != nil { // {
			resp.Body.Close()
			return err
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				resp.Body.Close()
				return err
			}
			if key != "elements" {
				var skip json.RawMessage
				dec.Decode(&skip)
				continue
			}
			dec.Token() // [
			for dec.More() {
				var o ghost.ExportedOrder
				if err := dec.Decode(&o); err != nil {
					resp.Body.Close()
					return err
				}
				each(&o)
			}
			dec.Token() // ]
		}
		io.Copy(io.Discard, resp.Body) // keep the connection reusable
		resp.Body.Close()
	}
	return nil
}

func BenchmarkExportStream(b *testing.B) {
	const files = 50
	e := exportFiles(b, files)
	ctx := context.Background()
	report := func(b *testing.B) {
		b.ReportMetric(float64(files*1000*b.N)/b.Elapsed().Seconds(), "objects/s")
	}
	b.Run("impl=sdk", func(b *testing.B) {
		c, err := ghost.NewClient(ghost.WithBearerToken("tok"))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.Exports.Orders(ctx, e) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != files*1000 {
				b.Fatalf("streamed %d", n)
			}
		}
		report(b)
	})
	b.Run("impl=raw", func(b *testing.B) {
		hc := &http.Client{Transport: tunedTransport()}
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			if err := rawStream(ctx, hc, e, func(*ghost.ExportedOrder) { n++ }); err != nil {
				b.Fatal(err)
			}
			if n != files*1000 {
				b.Fatalf("streamed %d", n)
			}
		}
		report(b)
	})
}
