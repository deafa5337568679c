package contract_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
)

// run is one scenario against one mock profile.
type run struct {
	name    string
	profile ghosttest.Profile
	opts    []ghosttest.Option
	steps   []func(*env)
}

var runs = []run{
	{"all", ghosttest.ProfileAll, []ghosttest.Option{ghosttest.WithSeed(3)},
		[]func(*env){ghostScenario, komojuScenario, checkoutScenario, sparkScenario, exportsScenario}},
	{"ghost", ghosttest.ProfileGhost, nil, []func(*env){ghostScenario}},
	{"komoju", ghosttest.ProfileKomoju, nil, []func(*env){komojuScenario}},
	{"checkout", ghosttest.ProfileCheckout, []ghosttest.Option{ghosttest.WithSeed(3)}, []func(*env){checkoutScenario}},
	{"checkout rate limit", ghosttest.ProfileCheckout, checkoutLimited, []func(*env){checkoutRateLimit}},
	{"sparkpay", ghosttest.ProfileSpark, []ghosttest.Option{ghosttest.WithSeed(3)}, []func(*env){sparkScenario}},
	{"sparkpay call limit", ghosttest.ProfileSpark, sparkLimited, []func(*env){sparkCallLimit}},
	{"all, Spark call limit", ghosttest.ProfileAll, sparkLimited, []func(*env){sparkCallLimit}},
	{"clover", ghosttest.ProfileExports, nil, []func(*env){exportsScenario}},
	{"clover outside hours", ghosttest.ProfileExports, exportHours, []func(*env){exportsOutsideHours}},
	{"all, exports outside hours", ghosttest.ProfileAll, exportHours, []func(*env){exportsOutsideHours}},
}

// TestContract drives every operation of the document through the SDK (a
// validating transport checks each request and response) and raw HTTP
// (each response checked), against the all profile and every single-part
// profile. Every exchange must conform; a violation fails the scenario's
// test naming the operation and the field. Then every operation must have
// been answered at least once with success and once with an error.
func TestContract(t *testing.T) {
	led := &ledger{}
	t.Run("profiles", func(t *testing.T) {
		for _, r := range runs {
			t.Run(r.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, led, r.profile, r.opts...)
				for _, step := range r.steps {
					step(e)
				}
			})
		}
	})

	results := led.all()
	counts := summary(results)
	var unmatched []string
	violations := 0
	for _, r := range results {
		if r.OperationID == "" {
			unmatched = append(unmatched, r.String())
		}
		if r.Err != nil {
			violations++
		}
	}
	assert.Empty(t, unmatched, "exchanges no operation of the document describes")
	var missing []string
	v := mustValidator(t)
	for _, op := range v.Operations() {
		var ok, failed, notImplemented int
		for status, n := range counts[op.ID] {
			switch {
			case status < 300:
				ok += n
			case status == http.StatusNotImplemented:
				notImplemented += n
				failed += n
			default:
				failed += n
			}
		}
		switch {
		case op.Coverage.Mock == "unmodelled":
			// The mock answers 501 for it, by design: no success to see.
			if notImplemented == 0 {
				missing = append(missing, op.ID+" (no 501)")
			}
		default:
			if ok == 0 {
				missing = append(missing, op.ID+" (no success)")
			}
			if failed == 0 {
				missing = append(missing, op.ID+" (no error)")
			}
		}
	}
	assert.Empty(t, missing, "operations the contract tests do not cover")
	t.Logf("%d operations; %d validated exchanges (%d with a violation)", len(v.Operations()), len(results), violations)
	if t.Failed() {
		t.Logf("answers per operation (count×status):\n%s", table(counts))
	}
}

func table(counts map[string]map[int]int) string {
	var b strings.Builder
	for _, id := range sortedKeys(counts) {
		fmt.Fprintf(&b, "  %-32s", id)
		for _, status := range slices.Sorted(maps.Keys(counts[id])) {
			fmt.Fprintf(&b, " %d×%d", counts[id][status], status)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
