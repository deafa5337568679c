package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// verb is one of get, list, create, update, delete.
type verb struct {
	name, short string
	idArg       string // "required", "optional" or "none" for the ID argument
	pick        func(r resource) bool
}

var verbs = []verb{
	{"get", "Print one resource as JSON", "optional", func(r resource) bool { return r.get != nil }},
	{"list", "Print a page of a resource (or with --all every page) as a JSON array", "none", func(r resource) bool { return r.list != nil }},
	{"create", "Create a resource from --data/--param and print it", "optional", func(r resource) bool { return r.create != nil }},
	{"update", "Update a resource with --data/--param and print it", "required", func(r resource) bool { return r.update != nil }},
	{"delete", "Delete a resource", "required", func(r resource) bool { return r.delete != nil }},
}

func newVerbCmd(cfg *config, v verb) *cobra.Command {
	var (
		data   string
		params []string
		all    bool
	)
	names := func() []string {
		var out []string
		for _, r := range resources(cfg) {
			if v.pick(r) {
				out = append(out, r.name)
			}
		}
		return out
	}
	use := v.name + " RESOURCE"
	switch v.idArg {
	case "required":
		use += " ID"
	case "optional":
		use += " [ID]"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: v.short,
		Long: v.short + `.

RESOURCE is one of: ` + strings.Join(names(), ", ") + `
("ghost resources" shows each one's part, calls and ID).

--data takes a JSON object of the call's parameters; each --param k=v sets
one (v is read as JSON when it parses, else as a string). Names match the
SDK's field names or their JSON/query names, case-insensitively. Times take
RFC 3339.`,
		Example: "  ghost " + v.name + " " + map[string]string{
			"get":    "customers cus_000001",
			"list":   "orders --param limit=50 --all",
			"create": `customers --data '{"email":"ada@example.com"}'`,
			"update": "customers cus_000001 --param description=VIP",
			"delete": "carts cart_000001",
		}[v.name],
		Args: func(cmd *cobra.Command, a []string) error {
			switch {
			case len(a) == 0:
				return fmt.Errorf("name a resource: one of %s", strings.Join(names(), ", "))
			case v.idArg == "required" && len(a) != 2:
				return fmt.Errorf("%s needs RESOURCE and ID", v.name)
			case v.idArg == "none" && len(a) != 1:
				return fmt.Errorf("%s takes only RESOURCE (filters go in --param)", v.name)
			case len(a) > 2:
				return fmt.Errorf("too many arguments")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, a []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(a) == 0 {
				return names(), cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, a []string) error {
			var r *resource
			for _, x := range resources(cfg) {
				if x.name == a[0] && v.pick(x) {
					r = &x
					break
				}
			}
			if r == nil {
				return fmt.Errorf("%s %q: not a resource that supports %s; one of %s", v.name, a[0], v.name, strings.Join(names(), ", "))
			}
			in := args{data: map[string]json.RawMessage{}}
			if len(a) == 2 {
				in.id = a[1]
			}
			if data != "" {
				if err := json.Unmarshal([]byte(data), &in.data); err != nil {
					return fmt.Errorf("--data is not a JSON object: %w", err)
				}
			}
			for _, kv := range params {
				k, val, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--param %q: want key=value", kv)
				}
				if !json.Valid([]byte(val)) {
					b, _ := json.Marshal(val)
					val = string(b)
				}
				in.data[k] = json.RawMessage(val)
			}
			return runVerb(cmd.Context(), cfg.stdout, v.name, r, in, all)
		},
	}
	cmd.Flags().StringVarP(&data, "data", "d", "", "parameters as a JSON object")
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "one parameter as key=value (repeatable)")
	if v.name == "list" {
		cmd.Flags().BoolVar(&all, "all", false, "walk every page (streams a JSON array)")
	}
	return cmd
}

func runVerb(ctx context.Context, w io.Writer, verb string, r *resource, in args, all bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	var (
		out any
		err error
	)
	switch verb {
	case "get":
		out, err = r.get(ctx, in)
	case "create":
		out, err = r.create(ctx, in)
	case "update":
		out, err = r.update(ctx, in)
	case "delete":
		if out, err = r.delete(ctx, in); err == nil && isNil(out) {
			out = map[string]any{"deleted": true, "id": in.id}
		}
	case "list":
		seq, err := r.list(ctx, in, all)
		if err != nil {
			return err
		}
		// Streamed: memory stays flat with --all however many pages.
		fmt.Fprint(w, "[")
		n := 0
		for v, err := range seq {
			if err != nil {
				fmt.Fprintln(w, "]")
				return err
			}
			b, err := json.MarshalIndent(v, "  ", "  ")
			if err != nil {
				return err
			}
			if n > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, "\n  %s", b)
			n++
		}
		if n > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "]")
		return nil
	}
	if err != nil {
		return err
	}
	return enc.Encode(out)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// decodeParams fills a P from the merged --data/--param object: each key
// names a field by its Go name, or its json or url tag, case-insensitively;
// the value is decoded into the field as JSON (times also as YYYY-MM-DD).
func decodeParams[P any](a args) (P, error) {
	var p P
	rv := reflect.ValueOf(&p).Elem()
	if rv.Kind() != reflect.Struct {
		return p, fmt.Errorf("internal: params type %T is not a struct", p)
	}
	fields := map[string]int{}
	var known []string
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		known = append(known, f.Name)
		fields[strings.ToLower(f.Name)] = i
		for _, tag := range []string{"json", "url"} {
			if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
				fields[strings.ToLower(name)] = i
			}
		}
	}
	sort.Strings(known)
	for k, raw := range a.data {
		i, ok := fields[strings.ToLower(k)]
		if !ok {
			return p, fmt.Errorf("unknown parameter %q; known: %s", k, strings.Join(known, ", "))
		}
		fv := rv.Field(i)
		if fv.Type() == reflect.TypeOf(time.Time{}) {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				if t, err := time.Parse(time.DateOnly, s); err == nil {
					fv.Set(reflect.ValueOf(t))
					continue
				}
			}
		}
		if err := json.Unmarshal(raw, fv.Addr().Interface()); err != nil {
			return p, fmt.Errorf("parameter %q: %w", k, err)
		}
	}
	return p, nil
}

func newResourcesCmd(cfg *config) *cobra.Command {
	return &cobra.Command{
		Use:   "resources",
		Short: "List the resources, their part of the API, calls and ID",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cfg.stdout
			fmt.Fprintf(w, "%-18s %-9s %-32s %s\n", "RESOURCE", "PART", "CALLS", "ID")
			for _, r := range resources(cfg) {
				var calls []string
				for _, v := range verbs {
					if v.pick(r) {
						calls = append(calls, v.name)
					}
				}
				id := r.idHelp
				if id == "" {
					id = "-"
				}
				fmt.Fprintf(w, "%-18s %-9s %-32s %s\n", r.name, r.part, strings.Join(calls, ","), id)
			}
			return nil
		},
	}
}
