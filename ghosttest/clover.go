package ghosttest

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The export API (profiles clover and all) emulates the Clover-style bulk
// export API:
//
//	POST /v3/merchants/{mId}/exports             {"type","startTime","endTime"} (epoch ms)
//	GET  /v3/merchants/{mId}/exports/{exportId}  the export and its progress
//	GET  /v3/exports/files/{exportId}/{n}.json?token=…  file n (from 1), no auth: pre-signed
//
// Requests to the export API need "Authorization: Bearer <Config.BearerToken>".
// Errors are {"message": "…"} with the status code. An export is PENDING for
// the first fifth of Config.ExportDuration (on the server's Clock), then
// IN_PROGRESS with a rising percentComplete, then DONE with availableUntil
// (DONE + 24 h) and its files. Files hold at most ExportFileSize objects as
// {"elements": […]}; a wrong token is 403, and a file answers 410 once
// availableUntil has passed.
//
// Creating an export answers 503 outside Config.ExportHours ("… available
// from 10:00 to 15:00 UTC …"; polling and downloads stay open) and while
// Config.ExportConcurrency exports are PENDING or IN_PROGRESS ("… concurrent
// exports …"); a range over 30 days, an unknown type, or a start not before
// the end is 400.
//
// A merchant id starting with "fail_" is a test hook: its exports go FAILED
// halfway through.
//
// Data is generated, not stored: the objects of a range [startTime, endTime)
// are one every ExportOrderInterval (orders) or ExportPaymentInterval
// (payments), at every multiple of the interval since the Unix epoch inside
// the range, in time order, with ids from ExportObjectID.
const (
	// ExportFileSize is the most objects one export file holds.
	ExportFileSize = 1000
	// ExportOrderInterval is the spacing of generated orders.
	ExportOrderInterval = 37 * time.Minute
	// ExportPaymentInterval is the spacing of generated payments.
	ExportPaymentInterval = 53 * time.Minute
)

// exportAvailability is how long files stay after an export is DONE.
const exportAvailability = 24 * time.Hour

// maxExportRange is the longest range one export covers.
const maxExportRange = 30 * 24 * time.Hour

// ExportObjectID returns the id the mock gives the object of export type typ
// ("ORDERS" or "PAYMENTS") created at t: "O" (orders) or "P" (payments)
// followed by the Unix minute of t in upper-case base 36, zero-padded to 12
// characters (13 characters in all, like Clover ids).
func ExportObjectID(typ string, t time.Time) string {
	prefix := "O"
	if typ == "PAYMENTS" {
		prefix = "P"
	}
	s := strings.ToUpper(strconv.FormatInt(t.Unix()/60, 36))
	if len(s) < 12 {
		s = strings.Repeat("0", 12-len(s)) + s
	}
	return prefix + s
}

func init() {
	registerPart("clover", []Profile{ProfileClover, ProfileAll}, func(s *Server) part { return newClover(s) })
}

type clover struct {
	s *Server

	mu      sync.Mutex
	exports map[string]*cloverExport
}

type cloverExport struct {
	id, merchant, typ string
	start, end        int64 // epoch ms, [start, end)
	created           time.Time
	fail              bool
}

func newClover(s *Server) *clover {
	return &clover{s: s, exports: make(map[string]*cloverExport)}
}

func (c *clover) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v3/merchants/{mId}/exports", c.auth(c.hours(c.create)))
	// Clover's own example posts to …/exports/ with a trailing slash.
	mux.HandleFunc("POST /v3/merchants/{mId}/exports/{$}", c.auth(c.hours(c.create)))
	mux.HandleFunc("GET /v3/merchants/{mId}/exports/{exportId}", c.auth(c.hours(c.get)))
	mux.HandleFunc("GET /v3/exports/files/{exportId}/{file}", c.file)
}

// seed does nothing: export data is generated from each export's range.
func (c *clover) seed(int) {}

// SetExportFileBase makes the export API hand out file URLs under base
// (scheme://host[/prefix]) instead of the mock's own address, e.g. a proxy
// on another host, to test that file downloads carry no credentials. The
// files themselves are still served by the mock at
// /v3/exports/files/{exportId}/{n}.json. An empty base restores the default.
// It has no effect when the profile does not serve exports.
func (s *Server) SetExportFileBase(base string) {
	s.mu.Lock()
	s.exportFileBase = strings.TrimRight(base, "/")
	s.mu.Unlock()
}

func cloverError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]any{"message": fmt.Sprintf(format, args...)})
}

func (c *clover) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(c.s.Config.BearerToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ghost-mock"`)
			cloverError(w, http.StatusUnauthorized, "401 Unauthorized")
			return
		}
		h(w, r)
	}
}

// exportState is an export as seen at one instant.
type exportState struct {
	status   string
	percent  int
	modified time.Time
	doneAt   time.Time // zero unless DONE
}

func (c *clover) state(e *cloverExport, now time.Time) exportState {
	d := c.s.Config.ExportDuration
	el := now.Sub(e.created)
	switch {
	case e.fail && el >= d/2:
		return exportState{status: "FAILED", percent: 50, modified: e.created.Add(d / 2)}
	case el >= d:
		done := e.created.Add(d)
		return exportState{status: "DONE", percent: 100, modified: done, doneAt: done}
	case el >= d/5:
		pct := int(100 * el / d)
		return exportState{status: "IN_PROGRESS", percent: min(max(pct, 1), 99), modified: now}
	}
	return exportState{status: "PENDING", modified: e.created}
}

func (c *clover) create(w http.ResponseWriter, r *http.Request) {
	mID := r.PathValue("mId")
	var body struct {
		Type      *string          `json:"type"`
		StartTime *json.RawMessage `json:"startTime"`
		EndTime   *json.RawMessage `json:"endTime"`
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&body); err != nil {
		cloverError(w, http.StatusBadRequest, "Request body is not valid JSON: %v", err)
		return
	}
	if body.Type == nil || (*body.Type != "ORDERS" && *body.Type != "PAYMENTS") {
		cloverError(w, http.StatusBadRequest, "type is required and must be PAYMENTS or ORDERS")
		return
	}
	start, err := epochMS(body.StartTime, "startTime")
	if err != nil {
		cloverError(w, http.StatusBadRequest, "%v", err)
		return
	}
	end, err := epochMS(body.EndTime, "endTime")
	if err != nil {
		cloverError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if start >= end {
		cloverError(w, http.StatusBadRequest, "startTime must be before endTime")
		return
	}
	if end-start > maxExportRange.Milliseconds() {
		cloverError(w, http.StatusBadRequest, "The time range of an export cannot exceed 30 days")
		return
	}

	now := c.s.Clock.Now()
	cfg := c.s.Config

	c.mu.Lock()
	if limit := cfg.ExportConcurrency; limit > 0 {
		running := 0
		for _, e := range c.exports {
			if st := c.state(e, now).status; st == "PENDING" || st == "IN_PROGRESS" {
				running++
			}
		}
		if running >= limit {
			c.mu.Unlock()
			markExpected(r)
			cloverError(w, http.StatusServiceUnavailable,
				"Too many concurrent exports: the limit of %d exports in progress has been reached. Wait for one to finish and try again.", limit)
			return
		}
	}
	e := &cloverExport{
		id:       fmt.Sprintf("EXPORT%07d", c.s.nextInt("clover-export")),
		merchant: mID,
		typ:      *body.Type,
		start:    start,
		end:      end,
		created:  now,
		fail:     strings.HasPrefix(mID, "fail_"),
	}
	c.exports[e.id] = e
	c.mu.Unlock()
	writeJSON(w, http.StatusOK, c.render(r, e, now))
}

// hours answers 503 naming the service hours when the export service is
// closed (Config.ExportHours): the whole service, creating and reading
// exports alike.
func (c *clover) hours(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if hrs := c.s.Config.ExportHours; hrs != nil && !inHours(c.s.Clock.Now(), hrs) {
			markExpected(r)
			cloverError(w, http.StatusServiceUnavailable,
				"The export service is available from %02d:00 to %02d:00 UTC daily. Try again during service hours.", hrs[0], hrs[1])
			return
		}
		h(w, r)
	}
}

// epochMS reads a non-negative integer of epoch milliseconds, as a JSON
// number or, as Clover's own example sends it, a string of digits.
func epochMS(raw *json.RawMessage, name string) (int64, error) {
	if raw == nil || string(*raw) == "null" {
		return 0, fmt.Errorf("%s is required (UTC epoch milliseconds)", name)
	}
	text := string(bytes.TrimSpace(*raw))
	if len(text) >= 2 && text[0] == '"' && text[len(text)-1] == '"' {
		text = text[1 : len(text)-1]
		if !allDigits(text) {
			return 0, fmt.Errorf("%s must be UTC epoch milliseconds (a non-negative integer)", name)
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be UTC epoch milliseconds (a non-negative integer)", name)
	}
	return n, nil
}

func inHours(now time.Time, h *[2]int) bool {
	hour := now.UTC().Hour()
	if h[0] <= h[1] {
		return hour >= h[0] && hour < h[1]
	}
	return hour >= h[0] || hour < h[1]
}

func (c *clover) get(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	e, ok := c.exports[r.PathValue("exportId")]
	c.mu.Unlock()
	if !ok || e.merchant != r.PathValue("mId") {
		cloverError(w, http.StatusNotFound, "Export not found")
		return
	}
	writeJSON(w, http.StatusOK, c.render(r, e, c.s.Clock.Now()))
}

type cloverRef struct {
	ID string `json:"id"`
}

type cloverURL struct {
	URL    string    `json:"url"`
	Export cloverRef `json:"export"`
}

type cloverExportJSON struct {
	ID              string    `json:"id"`
	Type            string    `json:"type"`
	Status          string    `json:"status"`
	PercentComplete int       `json:"percentComplete"`
	AvailableUntil  *int64    `json:"availableUntil,omitempty"`
	StartTime       int64     `json:"startTime"`
	EndTime         int64     `json:"endTime"`
	CreatedTime     int64     `json:"createdTime"`
	ModifiedTime    int64     `json:"modifiedTime"`
	ExportURLs      *urlsJSON `json:"exportUrls,omitempty"`
	MerchantRef     cloverRef `json:"merchantRef"`
}

type urlsJSON struct {
	Elements []cloverURL `json:"elements"`
}

func (c *clover) render(r *http.Request, e *cloverExport, now time.Time) cloverExportJSON {
	st := c.state(e, now)
	out := cloverExportJSON{
		ID:              e.id,
		Type:            e.typ,
		Status:          st.status,
		PercentComplete: st.percent,
		StartTime:       e.start,
		EndTime:         e.end,
		CreatedTime:     e.created.UnixMilli(),
		ModifiedTime:    st.modified.UnixMilli(),
		MerchantRef:     cloverRef{ID: e.merchant},
	}
	if st.status != "DONE" {
		return out
	}
	until := st.doneAt.Add(exportAvailability).UnixMilli()
	out.AvailableUntil = &until
	c.s.mu.Lock()
	base := c.s.exportFileBase
	c.s.mu.Unlock()
	if base == "" {
		base = requestBase(r) + mountPrefix(r)
	}
	out.ExportURLs = &urlsJSON{Elements: []cloverURL{}}
	n := exportCount(e)
	for i := 1; i <= (n+ExportFileSize-1)/ExportFileSize; i++ {
		u := fmt.Sprintf("%s/v3/exports/files/%s/%d.json?token=%s", base, e.id, i, fileToken(e.id, i))
		out.ExportURLs.Elements = append(out.ExportURLs.Elements, cloverURL{URL: u, Export: cloverRef{ID: e.id}})
	}
	return out
}

// fileToken is the deterministic "signature" of a file URL.
func fileToken(exportID string, n int) string {
	sum := sha256.Sum256([]byte("ghost-mock export file\x00" + exportID + "\x00" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:12])
}

func exportStep(typ string) int64 {
	if typ == "PAYMENTS" {
		return ExportPaymentInterval.Milliseconds()
	}
	return ExportOrderInterval.Milliseconds()
}

// exportFirst returns the first grid time at or after the export's start.
func exportFirst(e *cloverExport) int64 {
	step := exportStep(e.typ)
	return (e.start + step - 1) / step * step
}

// exportCount is how many objects the export's range holds.
func exportCount(e *cloverExport) int {
	first := exportFirst(e)
	if first >= e.end {
		return 0
	}
	return int((e.end-1-first)/exportStep(e.typ)) + 1
}

func (c *clover) file(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	e, ok := c.exports[r.PathValue("exportId")]
	c.mu.Unlock()
	numText, okSuffix := strings.CutSuffix(r.PathValue("file"), ".json")
	n, err := strconv.Atoi(numText)
	if !ok || !okSuffix || err != nil || n < 1 {
		cloverError(w, http.StatusNotFound, "File not found")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(fileToken(e.id, n))) != 1 {
		cloverError(w, http.StatusForbidden, "Invalid or missing token")
		return
	}
	now := c.s.Clock.Now()
	st := c.state(e, now)
	count := exportCount(e)
	if st.status != "DONE" || (n-1)*ExportFileSize >= count {
		cloverError(w, http.StatusNotFound, "File not found")
		return
	}
	if !now.Before(st.doneAt.Add(exportAvailability)) {
		cloverError(w, http.StatusGone, "This export file has expired: files are kept for 24 hours")
		return
	}
	from := (n - 1) * ExportFileSize
	to := min(from+ExportFileSize, count)
	var b bytes.Buffer
	b.Grow((to - from) * 256)
	b.WriteString(`{"elements":[`)
	first, step := exportFirst(e), exportStep(e.typ)
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		writeExportObject(&b, e, first+int64(i)*step)
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

// writeExportObject writes the order or payment created at ms.
func writeExportObject(b *bytes.Buffer, e *cloverExport, ms int64) {
	t := time.UnixMilli(ms).UTC()
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d", e.merchant, ms)
	amount := 100 + int64(h.Sum64()%50000)
	var v any
	if e.typ == "PAYMENTS" {
		v = struct {
			ID           string    `json:"id"`
			Order        cloverRef `json:"order"`
			Amount       int64     `json:"amount"`
			TipAmount    int64     `json:"tipAmount"`
			TaxAmount    int64     `json:"taxAmount"`
			Currency     string    `json:"currency"`
			Result       string    `json:"result"`
			CreatedTime  int64     `json:"createdTime"`
			ModifiedTime int64     `json:"modifiedTime"`
		}{ExportObjectID("PAYMENTS", t), cloverRef{ExportObjectID("ORDERS", t)}, amount, amount / 10, amount * 8 / 100, "USD", "SUCCESS", ms, ms}
	} else {
		v = struct {
			ID           string    `json:"id"`
			Currency     string    `json:"currency"`
			Total        int64     `json:"total"`
			State        string    `json:"state"`
			PaymentState string    `json:"paymentState"`
			Title        string    `json:"title"`
			Merchant     cloverRef `json:"merchant"`
			CreatedTime  int64     `json:"createdTime"`
			ModifiedTime int64     `json:"modifiedTime"`
		}{ExportObjectID("ORDERS", t), "USD", amount, "locked", "PAID", "Order " + ExportObjectID("ORDERS", t), cloverRef{e.merchant}, ms, ms}
	}
	enc, _ := json.Marshal(v)
	b.Write(enc)
}

// writeError answers with the status only: the export API documents no
// error body. A 400 (unreadable body) keeps the mock's message.
func (c *clover) writeError(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusBadRequest {
		cloverError(w, status, "%s", msg)
		return
	}
	w.WriteHeader(status)
}
