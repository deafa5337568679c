package ghosttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exchange is a recorded exchange for a test cassette: request and
// response bodies as JSON text ("" for none).
func exchange(part ghost.Part, method, path, template, query, reqBody string, status int, respBody string) ghosttest.Interaction {
	in := ghosttest.Interaction{Part: part,
		Request:  ghosttest.CassetteRequest{Method: method, Path: path, Template: template, Query: query},
		Response: ghosttest.CassetteResponse{Status: status, Header: ghosttest.RecordedHeader{"Content-Type": {"application/json"}}},
	}
	if reqBody != "" {
		in.Request.JSON = json.RawMessage(reqBody)
	}
	if respBody != "" {
		in.Response.JSON = json.RawMessage(respBody)
	}
	return in
}

// cassette numbers the interactions, times them a second apart from at,
// and saves the cassette in a directory; it returns the file's path.
func cassette(t *testing.T, name string, at time.Time, ins ...ghosttest.Interaction) (*ghosttest.Cassette, string) {
	t.Helper()
	c := &ghosttest.Cassette{Name: name, Version: ghosttest.CassetteVersion}
	for i, in := range ins {
		in.Seq = i + 1
		if in.At.IsZero() {
			in.At = at.Add(time.Duration(i) * time.Second)
		}
		c.Interactions = append(c.Interactions, in)
	}
	path := ghosttest.CassettePath(t.TempDir(), name)
	require.NoError(t, c.Save(path))
	return c, path
}

// An export recorded a month ago replays through the SDK: created,
// polled PENDING → IN_PROGRESS → DONE in the recorded order, its file
// served by the replay server, its files not expired; the server's clock
// follows the recording.
func TestReplayExportPollingAndFiles(t *testing.T) {
	at := time.Now().UTC().AddDate(0, -1, 0).Truncate(time.Millisecond)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	create := fmt.Sprintf(`{"type":"ORDERS","startTime":%d,"endTime":%d}`, start.UnixMilli(), start.AddDate(0, 0, 1).UnixMilli())
	export := func(status string, pct int, extra string) string {
		return fmt.Sprintf(`{"id":"E1","type":"ORDERS","status":%q,"percentComplete":%d,"startTime":%d,"endTime":%d,"createdTime":%d,"merchantRef":{"id":"M1"}%s}`,
			status, pct, start.UnixMilli(), start.AddDate(0, 0, 1).UnixMilli(), at.UnixMilli(), extra)
	}
	done := fmt.Sprintf(`,"availableUntil":%d,"exportUrls":{"elements":[{"url":"cassette://files/export/1","export":{"id":"E1"}}]}`,
		at.Add(3*time.Second+24*time.Hour).UnixMilli())
	get := func(status string, pct int, extra string) ghosttest.Interaction {
		return exchange(ghost.PartExports, "GET", "/v3/merchants/M1/exports/E1", "/v3/merchants/{mId}/exports/{exportId}", "", "", 200, export(status, pct, extra))
	}
	c, path := cassette(t, "export", at,
		exchange(ghost.PartExports, "POST", "/v3/merchants/M1/exports", "/v3/merchants/{mId}/exports", "", create, 200, export("PENDING", 0, "")),
		get("PENDING", 0, ""), get("IN_PROGRESS", 40, ""), get("DONE", 100, done),
		exchange(ghost.PartExports, "GET", ghosttest.CassetteFilesPath+"export/1", "", "", "", 200,
			`{"elements":[{"id":"O1","currency":"USD","total":1200,"createdTime":1767225600000}]}`),
	)
	srv := ghosttest.Replay(t, path)
	assert.Equal(t, at, srv.Clock.Now(), "the clock starts at the recording")
	ctx := context.Background()
	ex, err := srv.Client.Exports.Create(ctx, "M1", ghost.ExportCreateParams{Type: ghost.ExportTypeOrders, Start: start, End: start.AddDate(0, 0, 1)})
	require.NoError(t, err)
	var seen []ghost.ExportStatus
	ex, err = srv.Client.Exports.Wait(ctx, "M1", ex.ID, ghost.WaitOptions{Interval: time.Millisecond, OnProgress: func(e *ghost.Export) { seen = append(seen, e.Status) }})
	require.NoError(t, err)
	assert.Equal(t, []ghost.ExportStatus{ghost.ExportStatusPending, ghost.ExportStatusInProgress, ghost.ExportStatusDone}, seen)
	require.Len(t, ex.ExportURLs, 1)
	assert.Equal(t, srv.URL+ghosttest.CassetteFilesPath+"export/1", ex.ExportURLs[0].URL)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), ex.AvailableUntil, time.Hour, "as far from now as from the recording")
	var ids []ghost.ID
	for o, err := range srv.Client.Exports.Orders(ctx, ex) {
		require.NoError(t, err)
		ids = append(ids, o.ID)
	}
	assert.Equal(t, []ghost.ID{"O1"}, ids)
	assert.Equal(t, c.Interactions[4].At, srv.Clock.Now(), "the clock followed the answers")
	assert.Empty(t, srv.ReplayUnused())
}

// A cassette replayed within its files' lifetime is served byte for byte:
// availableUntil moves only once it has passed.
func TestReplayKeepsAnAvailableUntilStillAhead(t *testing.T) {
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	body := fmt.Sprintf(`{"id":"E1","status":"DONE","availableUntil":%d}`, at.Add(24*time.Hour).UnixMilli())
	_, path := cassette(t, "fresh", at,
		exchange(ghost.PartExports, "GET", "/v3/merchants/M1/exports/E1", "/v3/merchants/{mId}/exports/{exportId}", "", "", 200, body))
	srv := ghosttest.Replay(t, path)
	assert.Equal(t, body, rawCall(t, "GET", srv.URL+"/v3/merchants/M1/exports/E1", "").body)
}

// A recorded 429 with Retry-After: 30 costs no real wait: the answer says
// 0 (the recorded value beside it) and the mock's clock moves instead.
// The client's retry policy waits at most 2 s: it would not even retry a
// 30-second wait.
func TestReplayRetryAfterCostsNoWait(t *testing.T) {
	at := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	limited := exchange(ghost.PartGhost, "GET", "/api/v1/customers/cus_1", "/api/v1/customers/{customerId}", "", "", 429,
		`{"message":"Too many requests","status":429,"error":"Too Many Requests"}`)
	limited.Response.Header["Retry-After"] = []string{"30"}
	ok := exchange(ghost.PartGhost, "GET", "/api/v1/customers/cus_1", "/api/v1/customers/{customerId}", "", "", 200,
		`{"doc":{"id":"cus_1","email":"ada@example.com"}}`)
	ok.At = at.Add(30 * time.Second)
	_, path := cassette(t, "limited", at, limited, ok)
	srv := ghosttest.Replay(t, path)
	cus, err := srv.Client.Customers.Get(context.Background(), "cus_1")
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", cus.Email)
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, []int{429, 200}, []int{reqs[0].Status, reqs[1].Status})
	assert.Equal(t, at.Add(30*time.Second), srv.Clock.Now())

	srv.Reset()
	r := rawCall(t, "GET", srv.URL+"/api/v1/customers/cus_1", "")
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "0", r.header.Get("Retry-After"))
	assert.Equal(t, "30", r.header.Get("X-Ghost-Replay-Retry-After"))
	assert.Equal(t, "1", r.header.Get("X-Ghost-Replay"), "the interaction served")
}

// Spark's next_page, recorded as a cassette:// URL, points at the replay
// server: the SDK follows it (it follows next_page on its own host only).
func TestReplayPagesOnItsOwnHost(t *testing.T) {
	page := func(q, body string) ghosttest.Interaction {
		return exchange(ghost.PartSpark, "GET", "/api/v1/products", "/api/v1/products", q, "", 200, body)
	}
	_, path := cassette(t, "pages", time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC),
		page("count=1", `{"total_count":2,"next_page":"cassette://spark/api/v1/products?count=1&page=2","previous_page":null,"products":[{"id":1,"item_name":"Hat"}]}`),
		page("count=1&page=2", `{"total_count":2,"next_page":null,"previous_page":"cassette://spark/api/v1/products?count=1&page=1","products":[{"id":2,"item_name":"Scarf"}]}`),
	)
	srv := ghosttest.Replay(t, path)
	var names []string
	for p, err := range srv.Client.Spark.Products.All(context.Background(), &ghost.SparkListParams{Count: 1}) {
		require.NoError(t, err)
		names = append(names, p.ItemName)
	}
	assert.Equal(t, []string{"Hat", "Scarf"}, names)
	r := rawCall(t, "GET", srv.URL+"/spark/api/v1/products?page=2&count=1", "")
	assert.Contains(t, r.body, `"previous_page":"`+srv.URL+`/spark/api/v1/products?count=1&page=1"`)
}

// matchingCassette is a few recorded exchanges to match against.
func matchingCassette(t *testing.T) string {
	_, path := cassette(t, "matching", time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC),
		exchange(ghost.PartGhost, "POST", "/api/v1/customers", "/api/v1/customers", "", `{"email":"a@x.com","metadata":{"k":"v"},"at":1}`, 201, `{"doc":{"id":"cus_1"}}`),
		exchange(ghost.PartGhost, "GET", "/api/v1/customers/cus_1", "/api/v1/customers/{customerId}", "", "", 200, `{"doc":{"id":"cus_1"}}`),
		exchange(ghost.PartGhost, "GET", "/api/v1/customers/cus_2", "/api/v1/customers/{customerId}", "", "", 200, `{"doc":{"id":"cus_2"}}`),
		exchange(ghost.PartSpark, "GET", "/api/v1/products", "/api/v1/products", "count=1&fields=id", "", 200, `{"total_count":0,"products":[]}`),
		exchange(ghost.PartKomoju, "POST", "/api/v1/customers", "/api/v1/customers", "", `{"email":"k@x.com","payment_details":{"number":"[redacted]","month":12}}`, 200, `{"id":"k1"}`),
		exchange(ghost.PartExports, "GET", "/v3/merchants/M1/exports/E1", "/v3/merchants/{mId}/exports/{exportId}", "", "", 200, `{"id":"E1"}`),
	)
	return path
}

// Requests are matched by part, method, path template, query and body;
// anything else is a loud 501 that names the closest recorded request, and
// Replay fails the test with it.
func TestReplayMatchesAndNamesTheClosest(t *testing.T) {
	tb := &recordingTB{}
	srv := ghosttest.Replay(tb, matchingCassette(t))
	spark, komoju := srv.BaseURL(ghosttest.ProfileSpark), srv.BaseURL(ghosttest.ProfileKomoju)
	for _, tc := range []struct {
		name, method, url, body string
		status                  int
		want                    string // in the body
	}{
		{"key order and spacing aside", "POST", srv.URL + "/api/v1/customers", `{ "at": 1, "metadata": {"k": "v"}, "email": "a@x.com" }`, 201, `"cus_1"`},
		{"a POST is served once", "POST", srv.URL + "/api/v1/customers", `{"email":"a@x.com","metadata":{"k":"v"},"at":1}`, 501,
			"every recorded POST /api/v1/customers was served already (last: #1 ghost POST /api/v1/customers)"},
		{"the exact path first", "GET", srv.URL + "/api/v1/customers/cus_2", "", 200, `"cus_2"`},
		{"then the template", "GET", srv.URL + "/api/v1/customers/cus_9", "", 200, `"cus_1"`},
		{"a GET again", "GET", srv.URL + "/api/v1/customers/cus_2", "", 200, `"cus_2"`},
		{"query in any order", "GET", spark + "/api/v1/products?fields=id&count=1", "", 200, `"total_count":0`},
		{"query value", "GET", spark + "/api/v1/products?count=2&fields=id", "", 501,
			`the closest is #4 spark GET /api/v1/products?count=1&fields=id: query: count is "2", recorded "1"`},
		{"query parameter", "GET", spark + "/api/v1/products?count=1", "", 501, `query: fields is missing (recorded id)`},
		{"another part's base URL", "GET", srv.URL + "/api/v1/products?count=1&fields=id", "", 501,
			"it is a spark request; this base URL serves ghost, checkout, exports"},
		{"a redacted value matches any", "POST", komoju + "/api/v1/customers", `{"email":"k@x.com","payment_details":{"number":"4242424242424242","month":12}}`, 200, `"k1"`},
		{"method", "DELETE", srv.URL + "/api/v1/customers/cus_1", "", 501, "method GET, not DELETE"},
		{"body field", "POST", srv.URL + "/api/v1/customers", `{"email":"b@x.com","metadata":{"k":"v"},"at":1}`, 501,
			`body: at /email: "b@x.com", recorded "a@x.com"`},
		{"body field missing", "POST", srv.URL + "/api/v1/customers", `{"email":"a@x.com","at":1}`, 501, `body: at /metadata: missing`},
		{"path", "GET", srv.URL + "/v3/merchants/M1/exports", "", 501, "path /v3/merchants/M1/exports does not fit the template /v3/merchants/{mId}/exports/{exportId}"},
	} {
		r := rawCall(t, tc.method, tc.url, tc.body)
		assert.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.body)
		if tc.status != 501 {
			assert.Contains(t, r.body, tc.want, tc.name)
			continue
		}
		assert.Equal(t, "miss", r.header.Get("X-Ghost-Replay"), tc.name)
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(r.body), &e))
		assert.True(t, strings.HasPrefix(e.Message, "ghost-mock replay: "+tc.method+" "), e.Message)
		assert.Contains(t, e.Message, tc.want, tc.name)
	}
	misses := srv.ReplayMisses()
	require.Len(t, misses, 8)
	assert.Equal(t, "/spark/api/v1/products", misses[1].Path, "the path as received")
	tb.finish()
	require.Len(t, tb.errors, 8, "Replay reports every miss when the test ends")
	assert.Contains(t, tb.errors[0], "ghosttest: replay: POST /api/v1/customers: every recorded POST")
	unused := srv.ReplayUnused()
	require.Len(t, unused, 1)
	assert.Equal(t, 6, unused[0].Seq)
}

func TestReplayMatchRules(t *testing.T) {
	path := matchingCassette(t)
	for _, tc := range []struct {
		name          string
		rules         ghosttest.MatchRules
		method, path  string
		body          string
		status        int
		spark         bool
		shouldContain string
	}{
		{"IgnoreFields", ghosttest.MatchRules{IgnoreFields: []string{"at", "email"}}, "POST", "/api/v1/customers", `{"email":"z@x.com","metadata":{"k":"v"},"at":99}`, 201, false, ""},
		{"IgnoreFields in the query", ghosttest.MatchRules{IgnoreFields: []string{"count"}}, "GET", "/api/v1/products?fields=id&count=7", "", 200, true, ""},
		{"IgnoreBody", ghosttest.MatchRules{IgnoreBody: true}, "POST", "/api/v1/customers", `{"anything":true}`, 201, false, ""},
		{"IgnoreQuery", ghosttest.MatchRules{IgnoreQuery: true}, "GET", "/api/v1/products?page=3", "", 200, true, ""},
		{"ExactPath", ghosttest.MatchRules{ExactPath: true}, "GET", "/api/v1/customers/cus_9", "", 501, false, "path /api/v1/customers/cus_1, not /api/v1/customers/cus_9"},
		{"by default a body field counts", ghosttest.MatchRules{}, "POST", "/api/v1/customers", `{"email":"a@x.com","metadata":{"k":"v"},"at":99}`, 501, false, `at /at: 99, recorded 1`},
	} {
		tb := &recordingTB{}
		srv := ghosttest.Replay(tb, path, ghosttest.WithReplayMatch(tc.rules))
		base := srv.URL
		if tc.spark {
			base = srv.BaseURL(ghosttest.ProfileSpark)
		}
		r := rawCall(t, tc.method, base+tc.path, tc.body)
		assert.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.body)
		assert.Contains(t, r.body, tc.shouldContain, tc.name)
		tb.finish()
	}
}

// Several cassettes side by side (ghost-mock -replay DIR): a request
// naming one in X-Ghost-Cassette is matched there only. Reset starts every
// cassette over; misses are kept.
func TestReplayCassettesSideBySide(t *testing.T) {
	at := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	get := func(id string) ghosttest.Interaction {
		return exchange(ghost.PartGhost, "GET", "/api/v1/accounts/1", "/api/v1/accounts/{accountId}", "", "", 200, `{"doc":{"id":"`+id+`"}}`)
	}
	a, _ := cassette(t, "a", at, get("from-a"))
	b, _ := cassette(t, "b", at.Add(time.Hour), get("from-b"))
	srv, err := ghosttest.Start(ghosttest.WithReplay(a, b), ghosttest.WithControl())
	require.NoError(t, err)
	defer srv.Close()
	assert.Contains(t, rawCall(t, "GET", srv.URL+"/api/v1/accounts/1", "", ghosttest.CassetteHeader, "b").body, "from-b")
	assert.Contains(t, rawCall(t, "GET", srv.URL+"/api/v1/accounts/1", "").body, "from-a", "the first unserved match, in cassette order")
	r := rawCall(t, "GET", srv.URL+"/api/v1/accounts/1", "", ghosttest.CassetteHeader, "c")
	assert.Equal(t, 501, r.status)
	assert.Contains(t, r.body, `no cassette named \"c\" is loaded`)
	assert.Empty(t, srv.ReplayUnused())
	// The control API's reset.
	assert.Equal(t, http.StatusNoContent, rawCall(t, "POST", srv.URL+"/__ghost/reset", "").status)
	assert.Len(t, srv.ReplayUnused(), 2)
	assert.Len(t, srv.ReplayMisses(), 1)
	assert.Equal(t, at, srv.Clock.Now(), "the clock back at the first recording")
}

// A single-part profile serves its part at the root.
func TestReplayUnderASinglePartProfile(t *testing.T) {
	_, path := cassette(t, "komoju", time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC),
		exchange(ghost.PartKomoju, "GET", "/api/v1/customers/k1", "/api/v1/customers/{id}", "", "", 200, `{"id":"k1","resource":"customer"}`))
	srv := ghosttest.Replay(t, path, ghosttest.WithProfile(ghosttest.ProfileKomoju))
	cus, err := srv.Client.Komoju.Customers.Get(context.Background(), "k1")
	require.NoError(t, err)
	assert.Equal(t, ghost.ID("k1"), cus.ID)
}

func TestReplayWithoutACassetteFailsTheTest(t *testing.T) {
	tb := &recordingTB{TB: t}
	dir := t.TempDir()
	assert.PanicsWithValue(t,
		"ghosttest: cassette "+ghosttest.CassettePath(dir, "TestReplayWithoutACassetteFailsTheTest")+
			": open "+ghosttest.CassettePath(dir, "TestReplayWithoutACassetteFailsTheTest")+
			": no such file or directory (record it through ghost proxy --record, the client sending X-Ghost-Cassette: TestReplayWithoutACassetteFailsTheTest)",
		func() { ghosttest.Replay(tb, dir) })
}
