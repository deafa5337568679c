package main

// Output of the resource verbs: --output json (indented; a list is one
// streamed array), jsonl (one object a line), csv (a header from the first
// object's fields) or table (aligned columns for people; the default on a
// terminal for get and list).

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

var outputFormats = []string{"json", "jsonl", "csv", "table"}

// printer writes a verb's result: one object, or a list's items then end.
type printer interface {
	one(obj json.RawMessage) error
	item(obj json.RawMessage) error
	end() error
}

// newPrinter returns the printer for format; width bounds a table (0: no
// bound), note gets what is said about a table beside it (stderr).
func newPrinter(format string, w, note io.Writer, width int) (printer, error) {
	switch format {
	case "json":
		return &jsonPrinter{w: w}, nil
	case "jsonl":
		return &jsonlPrinter{w: w}, nil
	case "csv":
		return &csvPrinter{w: csv.NewWriter(w)}, nil
	case "table":
		return &tablePrinter{w: w, note: note, width: width}, nil
	}
	return nil, fmt.Errorf("--output %q: want one of %s", format, strings.Join(outputFormats, ", "))
}

// kv is one field of a JSON object, in the object's order.
type kv struct {
	key string
	raw json.RawMessage
}

// orderedObject reads one JSON object, keeping its fields' order.
func orderedObject(dec *json.Decoder) ([]kv, error) {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("want a JSON object")
	}
	var out []kv
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, kv{t.(string), raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

func fields(obj json.RawMessage) ([]kv, bool) {
	f, err := orderedObject(json.NewDecoder(bytes.NewReader(obj)))
	return f, err == nil
}

// cell is a value as text: strings bare, null empty, the rest compact JSON.
func cell(raw json.RawMessage) string {
	if s, ok := unquote(raw); ok {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

type jsonPrinter struct {
	w io.Writer
	n int
}

func (p *jsonPrinter) one(obj json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, obj, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := p.w.Write(b.Bytes())
	return err
}

// item streams the array: memory stays flat with list --all.
func (p *jsonPrinter) item(obj json.RawMessage) error {
	var b bytes.Buffer
	b.WriteString(map[bool]string{true: "[\n  ", false: ",\n  "}[p.n == 0])
	if err := json.Indent(&b, obj, "  ", "  "); err != nil {
		return err
	}
	p.n++
	_, err := p.w.Write(b.Bytes())
	return err
}

func (p *jsonPrinter) end() error {
	_, err := io.WriteString(p.w, map[bool]string{true: "[]\n", false: "\n]\n"}[p.n == 0])
	return err
}

type jsonlPrinter struct{ w io.Writer }

func (p *jsonlPrinter) one(obj json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Compact(&b, obj); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := p.w.Write(b.Bytes())
	return err
}

func (p *jsonlPrinter) item(obj json.RawMessage) error { return p.one(obj) }
func (p *jsonlPrinter) end() error                     { return nil }

// csvPrinter takes its columns from the first object.
type csvPrinter struct {
	w    *csv.Writer
	cols []string
}

func (p *csvPrinter) one(obj json.RawMessage) error {
	if err := p.item(obj); err != nil {
		return err
	}
	return p.end()
}

func (p *csvPrinter) item(obj json.RawMessage) error {
	fs, ok := fields(obj)
	if !ok {
		return p.w.Write([]string{cell(obj)})
	}
	if p.cols == nil {
		for _, f := range fs {
			p.cols = append(p.cols, f.key)
		}
		if err := p.w.Write(p.cols); err != nil {
			return err
		}
	}
	row := make([]string, len(p.cols))
	for _, f := range fs {
		for i, c := range p.cols {
			if c == f.key {
				row[i] = cell(f.raw)
			}
		}
	}
	return p.w.Write(row)
}

func (p *csvPrinter) end() error {
	p.w.Flush()
	return p.w.Error()
}

// maxCell is the widest a table cell gets before it is cut.
const maxCell = 36

// tablePrinter writes aligned columns: one object as FIELD VALUE lines, a
// list as a row an item with the fields that fit the width (id first; the
// fields empty in every row are left out).
type tablePrinter struct {
	w, note io.Writer
	width   int
	rows    [][]kv
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (p *tablePrinter) one(obj json.RawMessage) error {
	fs, ok := fields(obj)
	if !ok {
		_, err := fmt.Fprintln(p.w, cell(obj))
		return err
	}
	keyW := 0
	for _, f := range fs {
		keyW = max(keyW, len(f.key))
	}
	valW := 1 << 20
	if p.width > 0 {
		valW = max(p.width-keyW-2, 10)
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\n", f.key, clip(cell(f.raw), valW))
	}
	return tw.Flush()
}

func (p *tablePrinter) item(obj json.RawMessage) error {
	fs, ok := fields(obj)
	if !ok {
		fs = []kv{{"value", obj}}
	}
	p.rows = append(p.rows, fs)
	return nil
}

func (p *tablePrinter) end() error {
	if len(p.rows) == 0 {
		_, err := fmt.Fprintln(p.note, "(no items)")
		return err
	}
	cols, widths := p.columns()
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range p.rows {
		line := make([]string, len(cols))
		for i, c := range cols {
			for _, f := range r {
				if f.key == c {
					line[i] = clip(cell(f.raw), widths[i])
				}
			}
		}
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	return tw.Flush()
}

// columns picks the fields to show: in first-seen order, id first, those
// with a value in some row, while they fit the width.
func (p *tablePrinter) columns() (cols []string, widths []int) {
	var order []string
	width := map[string]int{}
	for _, r := range p.rows {
		for _, f := range r {
			if _, seen := width[f.key]; !seen {
				order = append(order, f.key)
				width[f.key] = 0
			}
			width[f.key] = max(width[f.key], min(utf8.RuneCountInString(cell(f.raw)), maxCell))
		}
	}
	for i, k := range order {
		if k == "id" {
			order = append(append([]string{"id"}, order[:i]...), order[i+1:]...)
			break
		}
	}
	used, hidden := 0, 0
	for _, k := range order {
		if width[k] == 0 {
			continue // empty in every row
		}
		w := max(width[k], len(k))
		if p.width > 0 && len(cols) > 0 && used+2+w > p.width {
			hidden++
			continue
		}
		cols, widths = append(cols, k), append(widths, w)
		used += w + 2
	}
	if hidden > 0 {
		fmt.Fprintf(p.note, "(%d more fields do not fit: --output json shows every field)\n", hidden)
	}
	return cols, widths
}
