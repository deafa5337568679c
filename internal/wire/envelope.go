package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/maphash"
	"strconv"
)

// Shape is a success envelope one part of the API declares. A body is
// decoded by the shape its part declares, and by nothing else: the keys of
// another part's envelope ("doc", "data", "total_count" …) are ordinary
// fields of the object inside it.
type Shape uint8

// The envelopes of the five parts.
const (
	// Bare is the object or array itself (Komoju, Spark and Clover
	// objects).
	Bare Shape = iota
	// Doc is {"doc": …} (a Ghost object); {"success": true} alone, which
	// holds no object, acknowledges a delete, and "success": false is a
	// failure.
	Doc
	// Docs is {"docs": […]} (a Ghost list).
	Docs
	// Data is {"success": true, "data": …} (Checkout); "success": false is
	// a failure. In a list the items are data[listKey], beside
	// data.pagination {page, limit, total, totalPages}.
	Data
	// ResourceList is {"resource": "list", "total", "page", "per_page",
	// "last_page", "data": […]} (a Komoju list).
	ResourceList
	// NamedList is {"total_count", "next_page", "previous_page",
	// "<listKey>": […]} (a Spark list).
	NamedList
)

var shapeNames = [...]string{"bare", "doc", "docs", "data", "resource-list", "named-list"}

// String names the shape.
func (s Shape) String() string {
	if int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return "shape(" + strconv.Itoa(int(s)) + ")"
}

// Meta is the paging metadata an envelope carried, in whatever convention.
// A Has* flag is false when the response did not say.
type Meta struct {
	Total, Page, PerPage, LastPage             int64
	HasTotal, HasPage, HasPerPage, HasLastPage bool
	Next, Prev                                 string
}

// Envelope is what Decode found: the payload to decode into the caller's
// type and any paging metadata around it.
type Envelope struct {
	Empty   bool            // the body was empty
	Payload json.RawMessage // the object or the items; nil when absent or null
	Null    bool            // the payload's key was present with the value null
	Failed  bool            // "success": false: the body reports a failure
	Meta    Meta
}

// Fingerprint hashes the payload, so a pager can tell one page from the next
// without keeping it.
func (e Envelope) Fingerprint() uint64 { return Hash(e.Payload) }

var hashSeed = maphash.MakeSeed()

// Hash is a fast, process-local hash of b.
func Hash(b []byte) uint64 { return maphash.Bytes(hashSeed, b) }

// ErrNotJSON is returned by Decode for a body that is not a JSON object or
// array.
var ErrNotJSON = errors.New("response body is not a JSON object or array")

// errNotObject is returned for an envelope that must be an object.
var errNotObject = errors.New("response body is not a JSON object")

// Decode reads body as the envelope shape declares. listKey names the key
// of the items in a NamedList, and in a Data list; it is empty for a single
// object. An empty body is Empty, whatever the shape.
func Decode(shape Shape, body []byte, listKey string) (Envelope, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return Envelope{Empty: true}, nil
	}
	if body[0] != '{' && body[0] != '[' {
		return Envelope{}, ErrNotJSON
	}
	switch shape {
	case Doc, Docs:
		return decodeDoc(body, shape)
	case Data:
		return decodeData(body, listKey)
	case ResourceList:
		return decodeResourceList(body)
	case NamedList:
		return decodeNamedList(body, listKey)
	}
	if !json.Valid(body) {
		return Envelope{}, ErrNotJSON
	}
	return Envelope{Payload: body}, nil
}

// payload sets the envelope's payload from the raw value of its key.
func (e *Envelope) payload(r json.RawMessage) {
	if isNull(r) {
		e.Null = true
		return
	}
	if len(r) > 0 {
		e.Payload = r
	}
}

func decodeDoc(body []byte, shape Shape) (Envelope, error) {
	var t struct {
		Doc     json.RawMessage `json:"doc"`
		Docs    json.RawMessage `json:"docs"`
		Success json.RawMessage `json:"success"`
	}
	if err := unmarshalObject(body, &t); err != nil {
		return Envelope{}, err
	}
	env := Envelope{Failed: failed(t.Success)}
	switch {
	case env.Failed:
	case shape == Doc:
		env.payload(t.Doc)
	default:
		env.payload(t.Docs)
	}
	return env, nil
}

func decodeData(body []byte, listKey string) (Envelope, error) {
	var t struct {
		Success json.RawMessage `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if err := unmarshalObject(body, &t); err != nil {
		return Envelope{}, err
	}
	env := Envelope{Failed: failed(t.Success)}
	if env.Failed {
		return env, nil
	}
	env.payload(t.Data)
	if listKey == "" || env.Payload == nil {
		return env, nil
	}
	var data map[string]json.RawMessage
	if err := unmarshalObject(env.Payload, &data); err != nil {
		return Envelope{}, err
	}
	env.Payload = nil
	env.payload(data[listKey])
	if p := data["pagination"]; present(p) {
		var pg struct {
			Page       json.RawMessage `json:"page"`
			Limit      json.RawMessage `json:"limit"`
			Total      json.RawMessage `json:"total"`
			TotalPages json.RawMessage `json:"totalPages"`
		}
		if err := json.Unmarshal(p, &pg); err != nil {
			return Envelope{}, err
		}
		env.Meta.Page, env.Meta.HasPage = integer(pg.Page)
		env.Meta.PerPage, env.Meta.HasPerPage = integer(pg.Limit)
		env.Meta.Total, env.Meta.HasTotal = integer(pg.Total)
		env.Meta.LastPage, env.Meta.HasLastPage = integer(pg.TotalPages)
	}
	return env, nil
}

func decodeResourceList(body []byte) (Envelope, error) {
	var t struct {
		Data     json.RawMessage `json:"data"`
		Total    json.RawMessage `json:"total"`
		Page     json.RawMessage `json:"page"`
		PerPage  json.RawMessage `json:"per_page"`
		LastPage json.RawMessage `json:"last_page"`
	}
	if err := unmarshalObject(body, &t); err != nil {
		return Envelope{}, err
	}
	var env Envelope
	env.payload(t.Data)
	env.Meta.Total, env.Meta.HasTotal = integer(t.Total)
	env.Meta.Page, env.Meta.HasPage = integer(t.Page)
	env.Meta.PerPage, env.Meta.HasPerPage = integer(t.PerPage)
	env.Meta.LastPage, env.Meta.HasLastPage = integer(t.LastPage)
	return env, nil
}

func decodeNamedList(body []byte, listKey string) (Envelope, error) {
	var m map[string]json.RawMessage
	if err := unmarshalObject(body, &m); err != nil {
		return Envelope{}, err
	}
	var env Envelope
	if listKey != "" {
		env.payload(m[listKey])
	}
	env.Meta.Total, env.Meta.HasTotal = integer(m["total_count"])
	env.Meta.Next, env.Meta.Prev = str(m["next_page"]), str(m["previous_page"])
	return env, nil
}

// unmarshalObject decodes body, which must be a JSON object, into v.
func unmarshalObject(body []byte, v any) error {
	if len(body) == 0 || body[0] != '{' {
		return errNotObject
	}
	return json.Unmarshal(body, v)
}

// failed reports a "success" flag that is false.
func failed(r json.RawMessage) bool {
	v, ok := boolean(r)
	return ok && !v
}

func isNull(r json.RawMessage) bool { return string(r) == "null" }

func present(r json.RawMessage) bool {
	return len(r) > 0 && !isNull(r)
}

func boolean(r json.RawMessage) (v, ok bool) {
	switch string(r) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func str(r json.RawMessage) string {
	if len(r) == 0 || r[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(r, &s) != nil {
		return ""
	}
	return s
}

// integer reads a JSON number, or a string holding one, as an int64.
func integer(r json.RawMessage) (int64, bool) {
	if !present(r) {
		return 0, false
	}
	s := string(r)
	if r[0] == '"' {
		s = str(r)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), true
	}
	return 0, false
}
