package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// replayFlags are the flags of -replay: the cassettes to serve instead of
// the emulated API, and how requests match them.
type replayFlags struct {
	path   string
	rules  ghosttest.MatchRules
	ignore string
}

func (f *replayFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "replay", "", "serve the cassettes (*.json) in this directory, or this one cassette file, instead of the emulated API; other flags but -addr, -profile, -env-file and -control are then ignored")
	fs.BoolVar(&f.rules.ExactPath, "replay-exact-path", false, "with -replay: match the recorded path itself, not its template")
	fs.BoolVar(&f.rules.IgnoreQuery, "replay-ignore-query", false, "with -replay: do not compare query strings")
	fs.BoolVar(&f.rules.IgnoreBody, "replay-ignore-body", false, "with -replay: do not compare bodies")
	fs.StringVar(&f.ignore, "replay-ignore-fields", "", "with -replay: body fields and query parameters left out of the comparison, comma-separated")
}

// options loads the cassettes; none when -replay is not given.
func (f *replayFlags) options() ([]ghosttest.Option, []*ghosttest.Cassette, error) {
	if f.path == "" {
		if f.ignore != "" || f.rules.ExactPath || f.rules.IgnoreQuery || f.rules.IgnoreBody {
			return nil, nil, fmt.Errorf("-replay-… flags need -replay DIR")
		}
		return nil, nil, nil
	}
	for _, name := range strings.Split(f.ignore, ",") {
		if name = strings.TrimSpace(name); name != "" {
			f.rules.IgnoreFields = append(f.rules.IgnoreFields, name)
		}
	}
	var cs []*ghosttest.Cassette
	fi, err := os.Stat(f.path)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("-replay: %w", err)
	case fi.IsDir():
		cs, err = ghosttest.LoadCassettes(f.path)
	default:
		var c *ghosttest.Cassette
		c, err = ghosttest.LoadCassette(f.path)
		cs = []*ghosttest.Cassette{c}
	}
	if err != nil {
		return nil, nil, err
	}
	return []ghosttest.Option{ghosttest.WithReplay(cs...), ghosttest.WithReplayMatch(f.rules)}, cs, nil
}

// describeReplay is the banner's line about the cassettes.
func describeReplay(w io.Writer, path string, cs []*ghosttest.Cassette) {
	n := 0
	names := make([]string, len(cs))
	for i, c := range cs {
		n += len(c.Interactions)
		names[i] = c.Name
	}
	fmt.Fprintf(w, "  replaying %d recorded exchanges of %s (cassettes: %s); a request that matches none is answered 501, naming the closest\n",
		n, path, strings.Join(names, ", "))
}

// reportMisses lists, when the mock stops, the requests no recorded
// exchange matched.
func reportMisses(w io.Writer, srv *ghosttest.Server) {
	misses := srv.ReplayMisses()
	if len(misses) == 0 {
		return
	}
	fmt.Fprintf(w, "ghost-mock: %d requests matched no recorded exchange:\n", len(misses))
	for _, m := range misses {
		fmt.Fprintf(w, "  %s\n", m)
	}
}
