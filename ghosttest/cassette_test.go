package ghosttest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const liveSecret = "sk_live_abcdef123456"

func recordOne(t *testing.T, ex ghosttest.Exchange, fields ...string) (*ghosttest.Cassette, string) {
	t.Helper()
	dir := t.TempDir()
	rec, err := ghosttest.NewCassetteRecorder(dir, ghosttest.NewRedactor([]string{liveSecret, "short"}, fields...))
	require.NoError(t, err)
	require.NoError(t, rec.Record("c1", ex))
	path := ghosttest.CassettePath(dir, "c1")
	c, err := ghosttest.LoadCassette(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 1)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return c, string(b)
}

func bodyOf(t *testing.T, b ghosttest.CassetteBody) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b.JSON, &m), string(b.JSON))
	return m
}

// Everything the redaction rules name is gone from the file; what replay
// and a reader need is kept.
func TestRecorderRedactsBeforeWriting(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c, file := recordOne(t, ghosttest.Exchange{
		At: at, Part: ghost.PartGhost, Operation: "Cards.Create", Template: "/api/v1/customers/{customerId}/cards",
		BaseURL: "https://api.example.com/base",
		Method:  "POST", Path: "/api/v1/customers/cus_1/cards",
		RawQuery: "limit=5&api_key=k123&X-Amz-Signature=abcsig&meta_keywords=hat&q=" + liveSecret,
		RequestHeader: http.Header{
			"Authorization": {"Basic eHl6Onh5eg=="}, "X-Api-Key": {"k"}, "X-Ac-Auth-Token": {"t"}, "Cookie": {"s=1"},
			"Idempotency-Key": {"idem-1"}, "User-Agent": {"ghost-go/0.2"}, "Content-Type": {"application/json"},
			"X-Note": {"uses " + liveSecret}, "X-Ghost-Cassette": {"c1"},
		},
		RequestBody: []byte(`{"number":"4242 4242 4242 4242","cvc":"737","expMonth":"12","nickname":"Ada","note":"call 4000-0566-5566-5556 today",` +
			`"startTime":1767225600000,"password":"hunter2","nested":{"payment_details":{"number":"5555555555554444","verification_value":"123"}},` +
			`"card":{"number":4111111111111111},"secretish":"` + liveSecret + `x","amount":4242}`),
		Status: 201,
		ResponseHeader: http.Header{
			"Set-Cookie": {"session=abc123"}, "X-Request-Id": {"req_1"}, "Date": {"Sun, 01 Mar 2026 12:00:00 GMT"},
			"Content-Type": {"application/json"}, "Location": {"https://api.example.com/base/api/v1/customers/cus_1/cards/card_1"},
		},
		ResponseBody: []byte(`{"doc":{"id":"card_1","last4":"4242","next":"https://api.example.com/base/api/v1/x?page=2",` +
			`"other":"https://api.example.com/basement","link":"https://pay.example.com/p?token=tk_abc&id=3","big":12345678901234567890}}`),
	}, "nickname")
	in := c.Interactions[0]
	assert.Equal(t, at, in.At)
	assert.Equal(t, "Cards.Create", in.Operation)
	assert.Equal(t, "/api/v1/customers/{customerId}/cards", in.Request.Template)
	assert.Equal(t, ghosttest.RecordedHeader{
		"Authorization": {ghosttest.Redacted}, "X-Api-Key": {ghosttest.Redacted}, "X-Ac-Auth-Token": {ghosttest.Redacted},
		"Cookie": {ghosttest.Redacted}, "Idempotency-Key": {"idem-1"}, "Content-Type": {"application/json"},
		"X-Note": {"uses " + ghosttest.Redacted},
	}, in.Request.Header, "credentials redacted, noise (User-Agent, the cassette's name) left out")
	assert.Equal(t, "limit=5&api_key=[redacted]&X-Amz-Signature=[redacted]&meta_keywords=hat&q=[redacted]", in.Request.Query)
	assert.Equal(t, map[string]any{
		"number": ghosttest.Redacted, "cvc": ghosttest.Redacted, "expMonth": "12", "nickname": ghosttest.Redacted,
		"note": "call [redacted] today", "startTime": 1767225600000.0, "password": ghosttest.Redacted,
		"nested":    map[string]any{"payment_details": map[string]any{"number": ghosttest.Redacted, "verification_value": ghosttest.Redacted}},
		"card":      map[string]any{"number": ghosttest.Redacted},
		"secretish": ghosttest.Redacted, "amount": 4242.0,
	}, bodyOf(t, in.Request.CassetteBody))
	assert.Equal(t, ghosttest.RecordedHeader{
		"Set-Cookie": {ghosttest.Redacted}, "X-Request-Id": {"req_1"}, "Content-Type": {"application/json"},
		"Location": {"cassette://ghost/api/v1/customers/cus_1/cards/card_1"},
	}, in.Response.Header, "Date left out; the Location under the base URL made portable")
	assert.Equal(t, map[string]any{"doc": map[string]any{
		"id": "card_1", "last4": "4242", "next": "cassette://ghost/api/v1/x?page=2",
		"other": "https://api.example.com/basement", "link": "https://pay.example.com/p?token=[redacted]&id=3",
		"big": 12345678901234567890.0,
	}}, bodyOf(t, in.Response.CassetteBody))
	b, err := in.Response.Bytes()
	require.NoError(t, err)
	assert.Equal(t, `{"doc":{"id":"card_1","last4":"4242","next":"cassette://ghost/api/v1/x?page=2",`+
		`"other":"https://api.example.com/basement","link":"https://pay.example.com/p?token=[redacted]&id=3","big":12345678901234567890}}`,
		string(b), "keys in their order, numbers as written")
	for _, s := range []string{liveSecret, "4242 4242 4242 4242", "5555555555554444", "4111111111111111", "4000-0566-5566-5556",
		"hunter2", "eHl6", "session=abc123", "k123", "abcsig", "tk_abc", `"737"`, `"Ada"`} {
		assert.NotContains(t, file, s)
	}
}

func TestRecorderRedactsFormAndBinaryBodiesAndFiles(t *testing.T) {
	form := "email=a%40b.c&payment_details%5Bnumber%5D=4242424242424242&payment_details%5Bverification_value%5D=123&currency=JPY"
	c, file := recordOne(t, ghosttest.Exchange{
		Part: ghost.PartKomoju, Method: "POST", Path: "/api/v1/customers",
		RequestHeader: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, RequestBody: []byte(form),
		Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/octet-stream"}}, ResponseBody: []byte("\xff\x00" + liveSecret),
	})
	in := c.Interactions[0]
	assert.Equal(t, "email=a%40b.c&payment_details%5Bnumber%5D=[redacted]&payment_details%5Bverification_value%5D=[redacted]&currency=JPY", in.Request.Text)
	assert.Equal(t, ghosttest.Redacted, in.Response.Text, "a binary body holding a secret is dropped whole")
	assert.NotContains(t, file, "4242424242424242")

	c, _ = recordOne(t, ghosttest.Exchange{
		Part: ghost.PartExports, Method: "GET", Path: "/__cassette/files/c1/1",
		File:   "https://files.example.com/e/1.json?X-Amz-Credential=AKIA1&response-content-type=json&n=1",
		Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/octet-stream"}}, ResponseBody: []byte{0xff, 0, 1},
	})
	in = c.Interactions[0]
	assert.Equal(t, "https://files.example.com/e/1.json?X-Amz-Credential=[redacted]&response-content-type=[redacted]&n=[redacted]", in.Upstream,
		"every value of a signed URL's query")
	b, err := in.Response.Bytes()
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, 0, 1}, b, "other binary bodies round-trip as base64")

	c, _ = recordOne(t, ghosttest.Exchange{
		Part: ghost.PartExports, Method: "GET", Path: "/v3/merchants/M/exports/E",
		Files:  map[string]string{"https://files.example.com/e/1.json?sig=s1": ghosttest.CassetteFilesPath + "c1/1"},
		Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/json"}},
		ResponseBody: []byte(`{"status":"DONE","exportUrls":{"elements":[{"url":"https://files.example.com/e/1.json?sig=s1"}]}}`),
	})
	assert.Equal(t, map[string]any{"status": "DONE", "exportUrls": map[string]any{"elements": []any{map[string]any{"url": "cassette://files/c1/1"}}}},
		bodyOf(t, c.Interactions[0].Response.CassetteBody))
}

// A secret the rules cannot reach (here an object key) stops the write:
// the file keeps what it had.
func TestRecorderRefusesToWriteASecret(t *testing.T) {
	dir := t.TempDir()
	rec, err := ghosttest.NewCassetteRecorder(dir, ghosttest.NewRedactor([]string{liveSecret}))
	require.NoError(t, err)
	ok := ghosttest.Exchange{Part: ghost.PartGhost, Method: "GET", Path: "/api/v1/accounts/1", Status: 200}
	require.NoError(t, rec.Record("c1", ok))
	bad := ok
	bad.ResponseBody = []byte(`{"` + liveSecret + `":1}`)
	err = rec.Record("c1", bad)
	require.ErrorIs(t, err, ghosttest.ErrSecretInCassette)
	var ce *ghosttest.CassetteError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 2, ce.Seq)
	c, err := ghosttest.LoadCassette(ghosttest.CassettePath(dir, "c1"))
	require.NoError(t, err)
	assert.Len(t, c.Interactions, 1)
	require.NoError(t, rec.Record("c1", ok), "the next exchange is numbered on")
	c, err = ghosttest.LoadCassette(ghosttest.CassettePath(dir, "c1"))
	require.NoError(t, err)
	assert.Equal(t, 2, c.Interactions[1].Seq)

	for _, name := range []string{"", ".hidden", "a/b", "a b", strings.Repeat("x", 129)} {
		assert.Error(t, rec.Record(name, ok), "%q", name)
	}
}

func TestCassetteName(t *testing.T) {
	assert.Equal(t, "TestCassetteName", ghosttest.CassetteName(t))
	t.Run("sub test/with space", func(t *testing.T) {
		assert.Equal(t, "TestCassetteName_sub_test_with_space", ghosttest.CassetteName(t))
		assert.True(t, ghosttest.ValidCassetteName(ghosttest.CassetteName(t)))
	})
}

func TestLoadCassetteRefusesWhatItCannotServe(t *testing.T) {
	good := `{"cassette":"c","version":1,"interactions":[{"seq":1,"at":"2026-01-01T00:00:00Z","part":"ghost",` +
		`"request":{"method":"GET","path":"/api/v1/accounts/1"},"response":{"status":200,"body":{"doc":{}}}}]}`
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.json")
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	_, err := ghosttest.LoadCassette(write(good))
	require.NoError(t, err)
	for _, tc := range []struct{ from, to, want string }{
		{`"version":1`, `"version":2`, "version 2"},
		{`"cassette":"c"`, `"cassette":"a/b"`, `cassette name "a/b"`},
		{`"seq":1`, `"seq":2`, "interaction 1: seq is 2"},
		{`"part":"ghost"`, `"part":"stripe"`, `unknown part "stripe"`},
		{`"path":"/api`, `"path":"api`, "does not start with /"},
		{`"status":200`, `"status":99`, "status 99"},
		{`"body":{"doc":{}}`, `"body":{"doc":{}},"bodyText":"x"`, "more than one of body"},
		{`"body":{"doc":{}}`, `"bodyBase64":"!!"`, "illegal base64"},
		{`"method":"GET"`, `"method":"GET","verb":"x"`, `unknown field "verb"`},
		{`"method":"GET"`, `"method":""`, `method ""`},
	} {
		_, err := ghosttest.LoadCassette(write(strings.Replace(good, tc.from, tc.to, 1)))
		var ce *ghosttest.CassetteError
		require.ErrorAs(t, err, &ce, tc.to)
		assert.Contains(t, err.Error(), tc.want)
		assert.Contains(t, err.Error(), filepath.Join(dir, "c.json"))
	}
	_, err = ghosttest.LoadCassette(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	// A directory: every cassette, each name once.
	empty := t.TempDir()
	_, err = ghosttest.LoadCassettes(empty)
	assert.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, os.WriteFile(filepath.Join(empty, "a.json"), []byte(good), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("x"), 0o644))
	cs, err := ghosttest.LoadCassettes(empty)
	require.NoError(t, err)
	assert.Len(t, cs, 1)
	require.NoError(t, os.WriteFile(filepath.Join(empty, "b.json"), []byte(good), 0o644))
	_, err = ghosttest.LoadCassettes(empty)
	assert.ErrorContains(t, err, `cassette "c" is also in`)
}

// The file reads the same however often it is written: keys sorted,
// single header values as strings.
func TestCassetteEncodingIsStable(t *testing.T) {
	c := &ghosttest.Cassette{Name: "c", Version: ghosttest.CassetteVersion, Interactions: []ghosttest.Interaction{{
		Seq: 1, Part: ghost.PartSpark,
		Request: ghosttest.CassetteRequest{Method: "GET", Path: "/api/v1/products",
			Header: ghosttest.RecordedHeader{"B": {"1"}, "A": {"x", "y"}}},
		Response: ghosttest.CassetteResponse{Status: 200, CassetteBody: ghosttest.CassetteBody{JSON: json.RawMessage(`{"z":1,"a":"<&>"}`)}},
	}}}
	b1, err := c.Encode()
	require.NoError(t, err)
	b2, err := c.Encode()
	require.NoError(t, err)
	assert.Equal(t, string(b1), string(b2))
	s := string(b1)
	assert.Contains(t, s, "\"headers\": {\n          \"A\": [\n            \"x\",\n            \"y\"\n          ],\n          \"B\": \"1\"\n        }")
	assert.Contains(t, s, `"a": "<&>"`, "no HTML escaping")
	path := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, c.Save(path))
	back, err := ghosttest.LoadCassette(path)
	require.NoError(t, err)
	assert.Equal(t, c.Interactions[0].Request.Header, back.Interactions[0].Request.Header)
	body, err := back.Interactions[0].Response.Bytes()
	require.NoError(t, err)
	assert.JSONEq(t, `{"z":1,"a":"<&>"}`, string(body))
	var ce *ghosttest.CassetteError
	assert.True(t, errors.As(c.Save(filepath.Join(t.TempDir(), "missing", "c.json")), &ce))
}
