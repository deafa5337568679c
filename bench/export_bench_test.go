package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

// The export files of BenchmarkExportStream: 1000 objects each, as a
// Clover-style export writes them, served gzipped (Content-Encoding: gzip,
// as object stores serve pre-signed files). An order carries three line
// items and one payment (orders-flat: neither); a payment its order
// reference.
const (
	exportFilesPerRun = 50
	objectsPerFile    = 1000
)

func writeOrder(b *strings.Builder, i int) {
	t := 1767225600000 + int64(i)*60000
	fmt.Fprintf(b, `{"id":"O%012d","currency":"USD","total":%d,"state":"locked","paymentState":"PAID","title":"Order %d","merchant":{"id":"M1"},"createdTime":%d,"modifiedTime":%d,"lineItems":{"elements":[`,
		i, 3000+i, i, t, t)
	for j, name := range []string{"Espresso", "Croissant", "Gift card"} {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, `{"id":"L%012d%d","item":{"id":"I%04d"},"name":%q,"price":%d,"unitQty":1000,"refunded":false,"createdTime":%d}`,
			i, j, j*7, name, 1000+j, t)
	}
	fmt.Fprintf(b, `]},"payments":{"elements":[{"id":"P%012d","order":{"id":"O%012d"},"amount":%d,"tipAmount":%d,"taxAmount":%d,"currency":"USD","result":"SUCCESS","createdTime":%d,"modifiedTime":%d}]}}`,
		i, i, 3000+i, 300, 240, t, t)
}

// writeFlatOrder writes an order without line items or payments (the
// fields the SDK's ExportedOrder had before it took them).
func writeFlatOrder(b *strings.Builder, i int) {
	t := 1767225600000 + int64(i)*60000
	fmt.Fprintf(b, `{"id":"O%012d","currency":"USD","total":%d,"state":"locked","paymentState":"PAID","title":"Order %d","merchant":{"id":"M1"},"createdTime":%d,"modifiedTime":%d}`,
		i, 3000+i, i, t, t)
}

func writePayment(b *strings.Builder, i int) {
	t := 1767225600000 + int64(i)*60000
	fmt.Fprintf(b, `{"id":"P%012d","order":{"id":"O%012d"},"amount":%d,"tipAmount":%d,"taxAmount":%d,"currency":"USD","result":"SUCCESS","createdTime":%d,"modifiedTime":%d}`,
		i, i, 3000+i, 300, 240, t, t)
}

// exportFile is one file of n objects, and its gzipped form.
func exportFile(n int, write func(*strings.Builder, int)) (plain, gz []byte) {
	var b strings.Builder
	b.WriteString(`{"elements":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		write(&b, i)
	}
	b.WriteString("]}")
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
	zw.Write([]byte(b.String()))
	zw.Close()
	return []byte(b.String()), z.Bytes()
}

// exportFiles serves files copies of file (gzipped) and returns a DONE
// export pointing at them.
func exportFiles(tb testing.TB, files int, gz []byte) *ghost.Export {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/")); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(gz)))
		w.Write(gz)
	}))
	tb.Cleanup(hs.Close)
	e := &ghost.Export{ID: "EXP1", Status: ghost.ExportStatusDone, AvailableUntil: time.Now().Add(time.Hour)}
	for i := range files {
		e.ExportURLs = append(e.ExportURLs, ghost.ExportURL{URL: fmt.Sprintf("%s/f/%d", hs.URL, i), ExportID: "EXP1"})
	}
	return e
}

// The wire's own shape as plain structs: what encoding/json decodes
// fastest (no UnmarshalJSON; times left as epoch milliseconds).
type (
	plainRef struct {
		ID string `json:"id"`
	}
	plainLineItem struct {
		ID          string   `json:"id"`
		Item        plainRef `json:"item"`
		Name        string   `json:"name"`
		Price       int64    `json:"price"`
		UnitQty     int64    `json:"unitQty"`
		Refunded    bool     `json:"refunded"`
		CreatedTime int64    `json:"createdTime"`
	}
	plainPayment struct {
		ID           string   `json:"id"`
		Order        plainRef `json:"order"`
		Amount       int64    `json:"amount"`
		TipAmount    int64    `json:"tipAmount"`
		TaxAmount    int64    `json:"taxAmount"`
		Currency     string   `json:"currency"`
		Result       string   `json:"result"`
		CreatedTime  int64    `json:"createdTime"`
		ModifiedTime int64    `json:"modifiedTime"`
	}
	plainOrder struct {
		ID           string   `json:"id"`
		Currency     string   `json:"currency"`
		Total        int64    `json:"total"`
		State        string   `json:"state"`
		PaymentState string   `json:"paymentState"`
		Title        string   `json:"title"`
		Merchant     plainRef `json:"merchant"`
		CreatedTime  int64    `json:"createdTime"`
		ModifiedTime int64    `json:"modifiedTime"`
		LineItems    struct {
			Elements []plainLineItem `json:"elements"`
		} `json:"lineItems"`
		Payments struct {
			Elements []plainPayment `json:"elements"`
		} `json:"payments"`
	}
)

// rawStream is the hand-written alternative: GET each file and decode its
// elements one by one with json.Decoder.
func rawStream[T any](ctx context.Context, hc *http.Client, e *ghost.Export, each func(*T)) error {
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
				var o T
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

// count counts the objects of a stream, up to its first error.
func count[T any](seq iter.Seq2[T, error]) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// floorStream is the least any client does: GET each file, gunzip it and
// read its bytes, decoding nothing.
func floorStream(ctx context.Context, hc *http.Client, e *ghost.Export) (int64, error) {
	var n int64
	for _, f := range e.ExportURLs {
		req, err := http.NewRequestWithContext(ctx, "GET", f.URL, nil)
		if err != nil {
			return n, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return n, err
		}
		m, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// BenchmarkExportStream streams 50 gzipped files of 1000 objects: the SDK
// (Exports.Orders / Payments), the hand-written encoding/json loop into the
// SDK's types (raw) and into plain structs of the wire's shape (raw-plain,
// encoding/json's best case), and the floor (download and gunzip only), in
// the same run.
//
//	cd bench && go test -run '^$' -bench ExportStream -benchmem -count 6 .
func BenchmarkExportStream(b *testing.B) {
	ctx := context.Background()
	for _, typ := range []string{"orders", "orders-flat", "payments"} {
		write := map[string]func(*strings.Builder, int){"orders": writeOrder, "orders-flat": writeFlatOrder, "payments": writePayment}[typ]
		plain, gz := exportFile(objectsPerFile, write)
		e := exportFiles(b, exportFilesPerRun, gz)
		const objects = exportFilesPerRun * objectsPerFile
		report := func(b *testing.B) {
			b.ReportMetric(float64(objects*b.N)/b.Elapsed().Seconds(), "objects/s")
		}
		// run times stream, which streams every object once and says how
		// many it streamed.
		run := func(name string, stream func() (int, error)) {
			b.Run("type="+typ+"/impl="+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n, err := stream()
					if err != nil {
						b.Fatal(err)
					}
					if n != objects {
						b.Fatalf("streamed %d", n)
					}
				}
				report(b)
			})
		}
		c, err := ghost.NewClient(ghost.WithBearerToken("tok"))
		if err != nil {
			b.Fatal(err)
		}
		hc := &http.Client{Transport: tunedTransport()}
		run("sdk", func() (n int, err error) {
			if typ != "payments" {
				return count(c.Exports.Orders(ctx, e))
			}
			return count(c.Exports.Payments(ctx, e))
		})
		run("raw", func() (n int, err error) {
			if typ != "payments" {
				return n, rawStream(ctx, hc, e, func(*ghost.ExportedOrder) { n++ })
			}
			return n, rawStream(ctx, hc, e, func(*ghost.ExportedPayment) { n++ })
		})
		run("raw-plain", func() (n int, err error) {
			if typ != "payments" {
				return n, rawStream(ctx, hc, e, func(*plainOrder) { n++ })
			}
			return n, rawStream(ctx, hc, e, func(*plainPayment) { n++ })
		})
		b.Run("type="+typ+"/impl=floor", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, err := floorStream(ctx, hc, e)
				if err != nil {
					b.Fatal(err)
				}
				if n != int64(exportFilesPerRun*len(plain)) {
					b.Fatalf("read %d bytes", n)
				}
			}
			report(b)
		})
	}
}
