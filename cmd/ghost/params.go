package main

// The API's words to the SDK's params: --data and --param name things as the
// API does (customerId, per_page, sort=-price, item_name=like:Hat,
// startTime), and the command turns them into the SDK's params types. The
// words of a type are its json or url tags; the SDK types that carry none
// are named here.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
)

// word is one parameter as given: a key of --data, or a --param k=v (its
// value is then a JSON string).
type word struct {
	key   string
	raw   json.RawMessage
	param bool
}

// untagged are the SDK params types without tags: the API's word for each
// field.
var untagged = map[reflect.Type][][2]string{
	reflect.TypeFor[ghost.AnalyticsParams]():    {{"period", "Period"}, {"startDate", "StartDate"}, {"endDate", "EndDate"}},
	reflect.TypeFor[ghost.ExportCreateParams](): {{"type", "Type"}, {"startTime", "Start"}, {"endTime", "End"}},
	reflect.TypeFor[ghost.SparkGetParams]():     {{"expand", "Expand"}, {"fields", "Fields"}},
	reflect.TypeFor[ghost.SparkListParams](): {{"page", "Page"}, {"count", "Count"}, {"expand", "Expand"},
		{"sort", "Sort"}, {"fields", "Fields"}},
}

var (
	timeType       = reflect.TypeFor[time.Time]()
	dateRangeType  = reflect.TypeFor[ghost.DateRange]()
	sortType       = reflect.TypeFor[[]ghost.SparkSortField]()
	stringsType    = reflect.TypeFor[[]string]()
	exportTypeType = reflect.TypeFor[ghost.ExportType]()
	sparkListType  = reflect.TypeFor[ghost.SparkListParams]()
)

// param is one API word of a params type: the field it sets (an index
// path), and for dateRange[0]/[1] which end.
type param struct {
	word  string
	index []int
	end   int // DateRange: 0 start, 1 end; -1 otherwise
}

// paramsOf lists the API words a params type takes.
func paramsOf(t reflect.Type) []param {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []param
	if names, ok := untagged[t]; ok {
		for _, n := range names {
			f, _ := t.FieldByName(n[1])
			out = append(out, param{n[0], f.Index, -1})
		}
		return out
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name := tagName(f)
		if name == "" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft == dateRangeType { // the API's dateRange[0], dateRange[1]
			out = append(out, param{name + "[0]", f.Index, 0}, param{name + "[1]", f.Index, 1})
			continue
		}
		out = append(out, param{name, f.Index, -1})
	}
	return out
}

func tagName(f reflect.StructField) string {
	for _, tag := range []string{"json", "url"} {
		if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
			return name
		}
	}
	return ""
}

// paramWords is the list of a type's words for messages and help.
func paramWords(t reflect.Type) string {
	var ws []string
	for _, p := range paramsOf(t) {
		ws = append(ws, p.word)
	}
	if t != nil && (t == sparkListType || t.Kind() == reflect.Pointer && t.Elem() == sparkListType) {
		ws = append(ws, "FIELD=[OP:]VALUE (OP: eq, not, like, startwith, gt, gte, lt, lte)")
	}
	return strings.Join(ws, ", ")
}

// buildParams makes a value of the SDK's params type t from the words. A
// body the SDK takes as any (Spark) is the words as a JSON object, typed by
// model where a --param names one of its fields.
func buildParams(t reflect.Type, ws []word, model reflect.Type) (reflect.Value, error) {
	if t.Kind() == reflect.Interface {
		body, err := sparkBody(ws, model)
		return reflect.ValueOf(body), err
	}
	st := t
	if t.Kind() == reflect.Pointer {
		st = t.Elem()
	}
	v := reflect.New(st)
	params := paramsOf(st)
	for _, w := range ws {
		i := slices.IndexFunc(params, func(p param) bool { return p.word == w.key })
		var err error
		switch {
		case i >= 0:
			err = setParam(v.Elem(), params[i], w.raw)
		case st == sparkListType:
			err = addFilter(v.Interface().(*ghost.SparkListParams), w)
		default:
			known := paramWords(st)
			if known == "" {
				known = "none"
			}
			return v, fmt.Errorf("unknown parameter %q; this call takes: %s", w.key, known)
		}
		if err != nil {
			return v, fmt.Errorf("parameter %s: %w", w.key, err)
		}
	}
	if t.Kind() == reflect.Pointer {
		return v, nil
	}
	return v.Elem(), nil
}

func setParam(st reflect.Value, p param, raw json.RawMessage) error {
	fv := st.FieldByIndex(p.index)
	if p.end < 0 {
		return setValue(fv, raw)
	}
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			fv.Set(reflect.New(fv.Type().Elem()))
		}
		fv = fv.Elem()
	}
	return setValue(fv.Field(p.end), raw) // DateRange{Start, End}
}

// setValue sets fv from a JSON value, or from the text of a JSON string
// where the field wants a number, a bool, a list or an object.
func setValue(fv reflect.Value, raw json.RawMessage) error {
	text, isText := unquote(raw)
	switch fv.Type() {
	case timeType:
		t, err := parseWhen(strings.Trim(string(raw), `"`))
		if err == nil {
			fv.Set(reflect.ValueOf(t))
		}
		return err
	case sortType: // sort=-price,item_name
		var keys []ghost.SparkSortField
		for _, k := range splitList(text) {
			if f, desc := strings.CutPrefix(k, "-"); desc {
				keys = append(keys, ghost.SparkDesc(f))
			} else {
				keys = append(keys, ghost.SparkAsc(k))
			}
		}
		fv.Set(reflect.ValueOf(keys))
		return nil
	case stringsType: // expand=categories,variants
		if isText {
			fv.Set(reflect.ValueOf(splitList(text)))
			return nil
		}
	case exportTypeType:
		fv.SetString(strings.ToUpper(text))
		return nil
	}
	ptr := fv.Addr().Interface()
	if json.Unmarshal(raw, ptr) == nil {
		return nil
	}
	fv.Set(reflect.Zero(fv.Type()))
	if isText && json.Unmarshal([]byte(text), ptr) == nil {
		return nil
	}
	fv.Set(reflect.Zero(fv.Type()))
	return fmt.Errorf("want %s, got %s", kindWord(fv.Type()), raw)
}

func unquote(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw), false
	}
	return s, true
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// kindWord says what a field takes, in the API's terms.
func kindWord(t reflect.Type) string {
	if strings.HasPrefix(t.Name(), "Opt[") && t.NumField() > 0 {
		return kindWord(t.Field(0).Type)
	}
	switch t.Name() {
	case "Money", "SparkDecimal":
		return "a decimal number"
	case "ID":
		return "an id"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	}
	return "a JSON object"
}

// parseWhen reads a time as the API's documents write one: epoch
// milliseconds (Exports), RFC 3339, or a date (midnight UTC).
func parseWhen(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want epoch milliseconds, RFC 3339 or YYYY-MM-DD", s)
}

var sparkOps = []ghost.SparkFilterOp{ghost.SparkOpEq, ghost.SparkOpNot, ghost.SparkOpLike, ghost.SparkOpStartWith,
	ghost.SparkOpGT, ghost.SparkOpGTE, ghost.SparkOpLT, ghost.SparkOpLTE}

// addFilter adds a Spark list filter, FIELD=OP:VALUE (or FIELD=VALUE for eq).
func addFilter(p *ghost.SparkListParams, w word) error {
	text, _ := unquote(w.raw)
	op, val := ghost.SparkOpEq, text
	if o, v, ok := strings.Cut(text, ":"); ok && slices.Contains(sparkOps, ghost.SparkFilterOp(o)) {
		op, val = ghost.SparkFilterOp(o), v
	}
	p.Filters = append(p.Filters, ghost.SparkWhere(w.key, op, val))
	return nil
}

// sparkBody is a Spark create or update body: --data as given, and each
// --param as text where the model's field is text, else as JSON when it
// parses as JSON.
func sparkBody(ws []word, model reflect.Type) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(w.key)
		b.Write(k)
		b.WriteByte(':')
		raw := w.raw
		if text, _ := unquote(raw); w.param && !modelText(model, w.key) && json.Valid([]byte(text)) {
			raw = json.RawMessage(text)
		}
		b.Write(raw)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// modelText reports whether the model's field named key holds text. A
// ghost.ID is not text: it is written as the API writes it, a number for
// an integer id (Spark's primary_category_id=1) and a string otherwise.
func modelText(model reflect.Type, key string) bool {
	if model == nil {
		return false
	}
	text := func(t reflect.Type) bool { return t.Kind() == reflect.String && t != idType }
	for _, f := range reflect.VisibleFields(model) {
		if tagName(f) == key {
			t := f.Type
			return text(t) || strings.HasPrefix(t.Name(), "Opt[") && text(t.Field(0).Type)
		}
	}
	return false
}

// parseWords merges --data (a JSON object, keys in order) and the --param
// k=v pairs.
func parseWords(data string, params []string) ([]word, error) {
	var ws []word
	if data != "" {
		dec := json.NewDecoder(strings.NewReader(data))
		obj, err := orderedObject(dec)
		if err != nil {
			return nil, fmt.Errorf("--data is not a JSON object: %w", err)
		}
		for _, kv := range obj {
			ws = append(ws, word{key: kv.key, raw: kv.raw})
		}
	}
	for _, kv := range params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want NAME=VALUE", kv)
		}
		raw, _ := json.Marshal(v)
		ws = append(ws, word{key: k, raw: raw, param: true})
	}
	return ws, nil
}
