package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/maphash"
	"strconv"
)

// Kind names the response shape Parse recognised.
type Kind uint8

// The shapes the five parts of the API use.
const (
	KindEmpty        Kind = iota // no body at all (204, or an empty 200)
	KindBare                     // a bare object or array (Komoju, Spark, export files)
	KindDoc                      // {"doc": …} (Ghost single item)
	KindDocs                     // {"docs": […]} (Ghost list)
	KindData                     // {"success": true, "data": …} (Checkout)
	KindSuccess                  // {"success": true} alone (Ghost delete)
	KindResourceList             // {"resource":"list","total",…,"data":[…]} (Komoju list)
	KindTotalCount               // {"total_count","next_page",…,"<resource>":[…]} (Spark list)
)

var kindNames = [...]string{"empty", "bare", "doc", "docs", "data", "success", "resource-list", "total-count"}

// String names the shape.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Meta is the paging metadata an envelope carried, in whatever convention.
// A Has* flag is false when the response did not say.
type Meta struct {
	Total, Page, PerPage, LastPage             int64
	HasTotal, HasPage, HasPerPage, HasLastPage bool
	Next, Prev                                 string
}

// Envelope is what Parse found: the payload to decode into the caller's type
// and any paging metadata around it.
type Envelope struct {
	Kind    Kind
	Payload json.RawMessage // the item (object) or the items (array); nil when there is none
	Success bool            // {"success": true} seen
	Failed  bool            // {"success": false} seen: the body is an error
	// Null reports an envelope key (doc, docs, data) present with the
	// value null: an envelope that holds nothing, though the object around
	// it is otherwise bare.
	Null bool
	Meta Meta
}

// Fingerprint hashes the payload, so a pager can tell one page from the next
// without keeping it.
func (e Envelope) Fingerprint() uint64 { return Hash(e.Payload) }

var hashSeed = maphash.MakeSeed()

// Hash is a fast, process-local hash of b.
func Hash(b []byte) uint64 { return maphash.Bytes(hashSeed, b) }

// ErrNotJSON is returned by Parse for a body that is not a JSON object or array.
var ErrNotJSON = errors.New("response body is not a JSON object or array")

// top captures every envelope key the parts use; other keys are skipped
// without allocating. RawMessage keeps it tolerant of odd types.
type top struct {
	Doc          json.RawMessage `json:"doc"`
	Docs         json.RawMessage `json:"docs"`
	Success      json.RawMessage `json:"success"`
	Data         json.RawMessage `json:"data"`
	Resource     json.RawMessage `json:"resource"`
	Total        json.RawMessage `json:"total"`
	Page         json.RawMessage `json:"page"`
	PerPage      json.RawMessage `json:"per_page"`
	LastPage     json.RawMessage `json:"last_page"`
	TotalCount   json.RawMessage `json:"total_count"`
	NextPage     json.RawMessage `json:"next_page"`
	PreviousPage json.RawMessage `json:"previous_page"`
}

// inner is the object inside a Checkout "data" that holds a list.
type inner struct {
	Pagination *struct {
		Page       json.RawMessage `json:"page"`
		Limit      json.RawMessage `json:"limit"`
		Total      json.RawMessage `json:"total"`
		TotalPages json.RawMessage `json:"totalPages"`
	} `json:"pagination"`
}

// Parse recognises any documented envelope in body. listKey names the key that
// holds a list where the convention uses a resource-named key (Spark's
// "products", Checkout's "carts" inside "data"); it may be empty.
func Parse(body []byte, listKey string) (Envelope, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return Envelope{Kind: KindEmpty}, nil
	}
	switch body[0] {
	case '[':
		if !json.Valid(body) {
			return Envelope{}, ErrNotJSON
		}
		return Envelope{Kind: KindBare, Payload: body}, nil
	case '{':
	default:
		return Envelope{}, ErrNotJSON
	}
	var t top
	if err := json.Unmarshal(body, &t); err != nil {
		return Envelope{}, err
	}
	success, hasSuccess := boolean(t.Success)
	if hasSuccess && !success {
		return Envelope{Kind: KindSuccess, Failed: true}, nil
	}
	switch {
	case present(t.Doc):
		return Envelope{Kind: KindDoc, Payload: t.Doc, Success: success}, nil
	case present(t.Docs):
		return Envelope{Kind: KindDocs, Payload: t.Docs, Success: success}, nil
	case str(t.Resource) == "list" && present(t.Data):
		env := Envelope{Kind: KindResourceList, Payload: t.Data}
		env.Meta.Total, env.Meta.HasTotal = integer(t.Total)
		env.Meta.Page, env.Meta.HasPage = integer(t.Page)
		env.Meta.PerPage, env.Meta.HasPerPage = integer(t.PerPage)
		env.Meta.LastPage, env.Meta.HasLastPage = integer(t.LastPage)
		return env, nil
	case hasSuccess && present(t.Data):
		env := Envelope{Kind: KindData, Payload: t.Data, Success: success}
		if listKey != "" && t.Data[0] == '{' {
			if err := parseInner(&env, listKey); err != nil {
				return Envelope{}, err
			}
		}
		return env, nil
	case present(t.TotalCount) || (listKey != "" && (present(t.NextPage) || present(t.PreviousPage))):
		env := Envelope{Kind: KindTotalCount}
		env.Meta.Total, env.Meta.HasTotal = integer(t.TotalCount)
		env.Meta.Next, env.Meta.Prev = str(t.NextPage), str(t.PreviousPage)
		if listKey != "" {
			items, err := lookup(body, listKey)
			if err != nil {
				return Envelope{}, err
			}
			env.Payload = items
		}
		return env, nil
	case hasSuccess && onlySuccess(t):
		return Envelope{Kind: KindSuccess, Success: success}, nil
	}
	null := isNull(t.Doc) || isNull(t.Docs) || isNull(t.Data)
	return Envelope{Kind: KindBare, Payload: body, Null: null}, nil
}

func isNull(r json.RawMessage) bool { return string(r) == "null" }

func parseInner(env *Envelope, listKey string) error {
	items, err := lookup(env.Payload, listKey)
	if err != nil || items == nil {
		return err
	}
	var in inner
	if err := json.Unmarshal(env.Payload, &in); err != nil {
		return err
	}
	env.Payload = items
	if p := in.Pagination; p != nil {
		env.Meta.Page, env.Meta.HasPage = integer(p.Page)
		env.Meta.PerPage, env.Meta.HasPerPage = integer(p.Limit)
		env.Meta.Total, env.Meta.HasTotal = integer(p.Total)
		env.Meta.LastPage, env.Meta.HasLastPage = integer(p.TotalPages)
	}
	return nil
}

// lookup returns obj[key], or nil when the key is absent.
func lookup(obj json.RawMessage, key string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		return nil, err
	}
	v, ok := m[key]
	if !ok || !present(v) {
		return nil, nil
	}
	return v, nil
}

func onlySuccess(t top) bool {
	return !present(t.Data) && !present(t.Doc) && !present(t.Docs)
}

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
