package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
)

var verbNames = []string{"get", "list", "create", "update", "delete"}

// verbHelp is each verb's short help and examples (each runs against the
// mock in a test).
var verbHelp = map[string][2]string{
	"get": {"Print one resource", `  ghost get customers cus_000001
  ghost get orders 1
  ghost get cards cus_000001 card_000001
  ghost get spark-products 1 --param expand=variants,categories
  ghost get analytics --param period=7d --output json`},
	"list": {"Print a page of a resource, or with --all every page", `  ghost list orders --param limit=50 --all
  ghost list spark-products --param sort=-price --param item_name=like:Hat --param fields=id,item_name,price
  ghost list carts --param status=abandoned --output csv
  ghost list komoju-customers --param per_page=10 --output jsonl`},
	"create": {"Create a resource from --data/--param and print it", `  ghost create customers --data '{"email":"ada@example.com"}' --param description=VIP
  ghost create komoju-customers --param email=k@example.com --param currency=JPY --param payment_details=tok_visa
  ghost create spark-products --param item_name=Hat --param item_number=HAT-1 --param price=19.99
  ghost create exports MERCHANT1 --param type=ORDERS --param startTime=2026-01-01 --param endTime=1769817600000`},
	"update": {"Update a resource with --data/--param and print it", `  ghost update customers cus_000001 --param description=VIP
  ghost update spark-products 1 --param price=24.50
  ghost update carts cart_000001 --param status=recovered`},
	"delete": {"Delete a resource", `  ghost delete carts cart_000001
  ghost delete spark-products 2`},
}

func (a *app) newVerbCmd(verb string) *cobra.Command {
	var (
		data, output string
		params       []string
		all          bool
	)
	names := resourceNames(verb)
	cmd := &cobra.Command{
		Use:   verb + " RESOURCE [ID]…",
		Short: verbHelp[verb][0],
		Long: verbHelp[verb][0] + `.

RESOURCE is one of: ` + strings.Join(names, ", ") + `.
"ghost resources RESOURCE" shows its part, IDs and parameters.

Parameters are the API's own words: --data takes a JSON object and each
--param NAME=VALUE sets one (VALUE is text; numbers, true/false, lists and
objects are read from it where the parameter takes one). Spark lists take
page, count, expand, sort (-price sorts descending), fields and filters
FIELD=OP:VALUE (item_name=like:Hat; OP is eq, not, like, startwith, gt,
gte, lt or lte; FIELD=VALUE is eq). Times are epoch milliseconds, RFC 3339
or YYYY-MM-DD.

Output (--output): a table on a terminal for get and list, else JSON;
json, jsonl, csv or table on request.`,
		Example: verbHelp[verb][1],
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%s needs a resource: one of %s", verb, strings.Join(names, ", "))
			}
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return names, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runVerb(cmd, verb, args, data, params, all, output)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&data, "data", "d", "", "parameters as a JSON object")
	f.StringArrayVarP(&params, "param", "p", nil, "one parameter as NAME=VALUE (repeatable)")
	f.StringVarP(&output, "output", "o", "", "json, jsonl, csv or table (default: table on a terminal for get and list, else json)")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
	if verb == "list" {
		f.BoolVar(&all, "all", false, "walk every page (streamed)")
	}
	return cmd
}

func (a *app) runVerb(cmd *cobra.Command, verb string, args []string, data string, params []string, all bool, output string) error {
	r, ok := findResource(args[0])
	if !ok || !r.supports(verb) {
		return fmt.Errorf("%s %q: not a resource that supports %s; one of %s", verb, args[0], verb, strings.Join(resourceNames(verb), ", "))
	}
	method := verb
	if all {
		method = "all"
	}
	sc, _ := r.call(offline, method)
	if ids := args[1:]; len(ids) != sc.ids {
		return fmt.Errorf("usage: ghost %s %s", verb, r.usage(method))
	}
	ws, err := parseWords(data, params)
	if err != nil {
		return err
	}
	if sc.params == nil && len(ws) > 0 {
		return fmt.Errorf("%s %s takes no parameters", verb, r.name)
	}
	tty, width := terminal(a.stdout)
	pr, err := newPrinter(outputFormat(output, verb, tty), a.stdout, a.stderr, width)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	sc, _ = r.call(c, method)
	var pv reflect.Value
	if sc.params != nil {
		if pv, err = buildParams(sc.params, ws, r.model); err != nil {
			return fmt.Errorf("%s %s: %w", verb, r.name, err)
		}
	}
	out, err := sc.invoke(cmd.Context(), args[1:], pv)
	if err != nil {
		return &partError{r.part, err}
	}
	if verb == "list" {
		for obj, err := range items(out[0]) {
			if err != nil {
				pr.end()
				return &partError{r.part, err}
			}
			if err := pr.item(obj); err != nil {
				return err
			}
		}
		return pr.end()
	}
	var obj json.RawMessage
	if len(out) == 0 || out[0].Kind() == 0 {
		obj, _ = json.Marshal(map[string]any{"deleted": true, "id": strings.Join(args[1:], "/")})
	} else if obj, err = toJSON(out[0].Interface()); err != nil {
		return err
	}
	return pr.one(obj)
}

// outputFormat is --output, else a table on a terminal for get and list,
// else JSON.
func outputFormat(flag, verb string, tty bool) string {
	switch {
	case flag != "":
		return flag
	case tty && (verb == "get" || verb == "list"):
		return "table"
	}
	return "json"
}

func (a *app) newResourcesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "resources [RESOURCE]",
		Short: "List the resources, their verbs and IDs; with RESOURCE, its parameters",
		Example: `  ghost resources
  ghost resources spark-products`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, r := range resources {
				names = append(names, r.name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			w := a.stdout
			if len(args) == 0 {
				fmt.Fprintf(w, "%-24s %-9s %-31s %s\n", "RESOURCE", "PART", "VERBS", "IDS")
				for _, r := range resources {
					line := fmt.Sprintf("%-24s %-9s %-31s %s", r.name, r.part, strings.Join(r.verbs(), ","), strings.Join(r.ids, " "))
					fmt.Fprintln(w, strings.TrimRight(line, " "))
				}
				return nil
			}
			r, ok := findResource(args[0])
			if !ok {
				return fmt.Errorf("no resource %q; see \"ghost resources\"", args[0])
			}
			fmt.Fprintf(w, "%s (part %s)\n", r.name, r.part)
			for _, v := range r.verbs() {
				sc, _ := r.call(offline, v)
				usage := "ghost " + v + " " + r.usage(v)
				if v == "list" {
					usage += " [--all]"
				}
				fmt.Fprintf(w, "  %s\n", usage)
				if sc.params != nil {
					fmt.Fprintf(w, "      parameters: %s\n", wordsOrBody(sc.params))
				}
			}
			return nil
		},
	}
}

func wordsOrBody(t reflect.Type) string {
	if t.Kind() == reflect.Interface {
		return "the resource's fields, as the API names them"
	}
	return paramWords(t)
}
