package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Seed corpus: the bodies the five source documents show.
var seedBodies = []string{
	`{"doc":{"id":1}}`,
	`{"docs":[{"id":1},{"id":2}]}`,
	`{"success": true}`,
	`{"message":"Invalid id","status":400,"error":"Bad Request"}`,
	`{"resource":"list","total":3,"page":1,"per_page":10,"last_page":1,"data":[{"id":"dejj1yw8sg9zim5lme67bfzoc","resource":"customer","email":"kallie@beatty.net","source":null,"metadata":{"order_id":"abcdefg"},"created_at":"2018-11-13T06:20:21Z"}]}`,
	`{"id":"82xjd1dmxmwp775ddfjzqww04","resource":"customer","email":"test@example.com","source":{"type":"credit_card","brand":"visa","last_four_digits":"1111","month":1,"year":2023},"metadata":{"order_id":"abcdefg"},"created_at":"2018-11-13T06:20:21Z"}`,
	`{"error":{"code":"bad_request","message":"x","param":"payment_details"}}`,
	`{"success":true,"data":{"carts":[{"id":"cart_123","totalValue":99.99}],"pagination":{"page":1,"limit":10,"total":45,"totalPages":5}}}`,
	`{"success":false,"error":{"code":"NOT_FOUND","message":"Cart not found"}}`,
	`{"total_count":1234,"next_page":"https://[mystorename.com]/api/v1/products?page=2","products":[{"id":1,"item_name":"Item 1"}]}`,
	`{"status_code":400,"message":"Bad Request","details":"This method requires one or more resource IDs to be specified"}`,
	`{"id":"export_id","type":"ORDERS","status":"DONE","percentComplete":100,"exportUrls":{"elements":[{"url":"https://x/f.json","export":{"id":"export_id"}}]}}`,
	`{"elements":[{"id":"o1"}]}`,
	`[{"id":1}]`,
	`<html>502</html>`,
	``,
}

func FuzzDecode(f *testing.F) {
	for _, b := range seedBodies {
		for shape := range NamedList + 1 {
			f.Add([]byte(b), uint8(shape), "")
			f.Add([]byte(b), uint8(shape), "products")
			f.Add([]byte(b), uint8(shape), "carts")
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, shape uint8, listKey string) {
		s := Shape(shape % uint8(NamedList+1))
		env, err := Decode(s, body, listKey)
		if err != nil {
			return
		}
		if len(env.Payload) > 0 && !json.Valid(env.Payload) {
			t.Fatalf("payload %q of %s is not valid JSON", env.Payload, s)
		}
		if env.Empty && (env.Payload != nil || env.Failed || env.Null) {
			t.Fatalf("an empty body of %s decoded as %+v", s, env)
		}
		_ = env.Fingerprint()
		_ = s.String()
	})
}

func FuzzParseError(f *testing.F) {
	for _, b := range seedBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		eb := ParseError(body)
		if eb.Shape == "" && (eb.Code != "" || eb.Message != "" || eb.Param != "") {
			t.Fatalf("unrecognised body produced fields: %+v", eb)
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	for _, v := range []string{"0", "1", "120", "3600", "-1", "1.5", "", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", " 7 "} {
		f.Add(v)
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := RetryAfter(v, now)
		if d < 0 {
			t.Fatalf("negative delay %s for %q", d, v)
		}
		if !ok && d != 0 {
			t.Fatalf("delay %s without ok for %q", d, v)
		}
	})
}

func FuzzPath(f *testing.F) {
	for _, v := range []string{"1", "cus_somecustomerid", "../x", "..", ".", "a/b", "%2e%2e", "x?y#z", "名前", ""} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, id string) {
		p, err := Path("/api/v1/customers/%s/cards", id)
		if err != nil {
			return
		}
		rest := strings.TrimPrefix(p, "/api/v1/customers/")
		seg, tail, ok := strings.Cut(rest, "/")
		if !ok || tail != "cards" || seg == "" || seg == "." || seg == ".." {
			t.Fatalf("id %q escaped to %q: not exactly one segment", id, p)
		}
		if strings.ContainsAny(seg, "?#") {
			t.Fatalf("id %q escaped to %q: query or fragment reachable", id, p)
		}
	})
}
