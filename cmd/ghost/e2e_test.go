package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ghostBin and mockBin are the commands, built once for the tests.
var ghostBin, mockBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ghost-e2e-*")
	if err != nil {
		panic(err)
	}
	ghostBin, mockBin = filepath.Join(dir, "ghost"), filepath.Join(dir, "ghost-mock")
	for _, b := range [][]string{
		{"build", "-o", ghostBin, "."},
		{"build", "-o", mockBin, "github.com/ghostanalytics/ghost-go/cmd/ghost-mock"},
	} {
		if out, err := exec.Command("go", b...).CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			panic("go " + strings.Join(b, " ") + ": " + err.Error() + "\n" + string(out))
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// baseEnv is the test's environment without any GHOST_ setting, and a
// config file of the test's own (none unless a test writes it).
func baseEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GHOST_") {
			env = append(env, kv)
		}
	}
	return append(env, "GHOST_CONFIG="+filepath.Join(t.TempDir(), "config.yaml"))
}

// runIn runs the command to the end with env in dir; stdout and stderr are
// pipes, not terminals.
func runIn(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return run(t, dir, env, "", args...)
}

// runWithStdin runs the command with stdin.
func runWithStdin(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return run(t, "", env, stdin, args...)
}

// shell runs a command line with sh, as a user would type it.
func shell(dir string, env []string, line string) (string, error) {
	cmd := exec.Command("sh", "-c", line)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func run(t *testing.T, dir string, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(ghostBin, args...)
	cmd.Env, cmd.Dir, cmd.Stdin = env, dir, strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return o.String(), e.String(), code
}

// runGhost runs the command with no settings at all.
func runGhost(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runIn(t, "", baseEnv(t), args...)
}

// mockExport is the flags of a fast export against the in-process mock.
func mockExport(extra ...string) []string {
	return append([]string{"--mock", "--mock-export-duration", "60ms", "export", "--poll", "10ms"}, extra...)
}

type exported struct {
	ID          string `json:"id"`
	CreatedTime int64  `json:"createdTime"`
}

// readJSONL checks every line is an object, in time order, each id once.
func readJSONL(t *testing.T, path string) []exported {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []exported
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var o exported
		require.NoError(t, json.Unmarshal([]byte(line), &o), "line %d", i+1)
		require.False(t, seen[o.ID], "duplicate %s", o.ID)
		seen[o.ID] = true
		if len(out) > 0 {
			require.Greater(t, o.CreatedTime, out[len(out)-1].CreatedTime, "time order at line %d", i+1)
		}
		out = append(out, o)
	}
	return out
}

// ordersIn counts the mock's orders in [from, to): one every 37 minutes.
func ordersIn(from, to time.Time) int {
	step := ghosttest.ExportOrderInterval.Milliseconds()
	first := (from.UnixMilli() + step - 1) / step * step
	return int((to.UnixMilli()-1-first)/step) + 1
}

func TestExportToFilePlainProgress(t *testing.T) {
	out := filepath.Join(t.TempDir(), "orders.jsonl")
	_, stderr, code := runGhost(t, mockExport("--type", "orders", "--from", "2026-01-01", "--to", "2026-04-01", "--out", out, "--concurrency", "2")...)
	require.Equal(t, 0, code, stderr)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	assert.Len(t, readJSONL(t, out), ordersIn(from, to))
	_, err := os.Stat(out + ".checkpoint")
	assert.ErrorIs(t, err, os.ErrNotExist, "the checkpoint is removed when done")

	// Not a terminal: plain lines, no escape sequences.
	assert.NotContains(t, stderr, "\x1b[")
	assert.Contains(t, stderr, "window 1/3 [2026-01-01, 2026-01-31): written, 1168 objects; file 1168 objects, ")
	assert.Contains(t, stderr, "window 3/3 [2026-03-02, 2026-04-01): written")
	assert.Contains(t, stderr, "done: 3503 objects this run in ")
	assert.Contains(t, stderr, "the file holds 3503 objects")
}

func TestExportCSVToStdout(t *testing.T) {
	stdout, stderr, code := runGhost(t, mockExport("--type", "payments", "--from", "2026-01-01", "--to", "2026-01-02", "--format", "csv", "--progress", "none")...)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Equal(t, "id,orderId,currency,amount,tipAmount,taxAmount,result,createdTime,modifiedTime", lines[0])
	assert.Len(t, lines, 1+27, "a payment every 53 minutes: 27 in the day, after the header")
	assert.Regexp(t, `^P\w{12},O\w{12},USD,\d+,\d+,\d+,\w+,2026-01-01T00:\d\d:00Z,`, lines[1])
}

func TestExportInterruptThenResume(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "orders.jsonl")
	// --days: the range ends "now"; the resume must reuse the stored range.
	cmd := exec.Command(ghostBin, "--mock", "--mock-export-duration", "150ms", "export", "--poll", "10ms",
		"--type", "orders", "--days", "180", "--concurrency", "1", "--out", out)
	cmd.Env = baseEnv(t)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// Interrupt once the first window is written (and checkpointed).
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "window 1/6") && strings.Contains(sc.Text(), "written") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			break
		}
	}
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, log.String())
	assert.Equal(t, 130, ee.ExitCode(), log.String())
	assert.Contains(t, log.String(), `ghost: Exports API: interrupted; `)
	assert.Contains(t, log.String(), `run "ghost export --resume --out `+out+`" to continue`)

	b, err := os.ReadFile(out + ".checkpoint")
	require.NoError(t, err, log.String())
	var cp exportCheckpoint
	require.NoError(t, json.Unmarshal(b, &cp))
	assert.Equal(t, cp.From.AddDate(0, 0, 180), cp.To)
	assert.False(t, cp.Done.Before(cp.From.Add(30*24*time.Hour)), "at least window 1 is saved")
	doneWindows := windowsIn(cp.From, cp.Done)

	// Flags that would change the export are refused with --resume.
	_, stderrText, code := runGhost(t, mockExport("--resume", "--out", out, "--days", "10")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderrText, "--days cannot be used with --resume")

	// A while later (the default --to has moved on), --resume finishes the
	// stored range; the result equals a clean run of that range.
	_, stderrText, code = runGhost(t, mockExport("--resume", "--out", out)...)
	require.Equal(t, 0, code, stderrText)
	assert.Contains(t, stderrText, "resuming orders of MERCHANT1")
	// The windows keep their numbers, and the totals count the whole file.
	assert.Contains(t, stderrText, "at window "+itoa(doneWindows+1)+"/6")
	assert.Contains(t, stderrText, "window "+itoa(doneWindows+1)+"/6 [")
	assert.NotContains(t, stderrText, "window 1/6", "no window is renumbered")
	first := regexp.MustCompile(`written, (\d+) objects; file (\d+) objects`).FindStringSubmatch(stderrText)
	require.NotNil(t, first, stderrText)
	written, _ := strconv.Atoi(first[1])
	assert.Equal(t, itoa(cp.Objects+written), first[2], "the first window after the resume adds to the file's total")
	got := readJSONL(t, out)
	assert.Len(t, got, ordersIn(cp.From, cp.To))
	assert.Contains(t, stderrText, "the file holds "+itoa(len(got))+" objects")

	clean := filepath.Join(dir, "clean.jsonl")
	_, stderrText, code = runGhost(t, mockExport("--type", "orders", "--from", cp.From.Format(time.RFC3339),
		"--to", cp.To.Format(time.RFC3339), "--out", clean)...)
	require.Equal(t, 0, code, stderrText)
	want, _ := os.ReadFile(clean)
	have, _ := os.ReadFile(out)
	assert.Equal(t, string(want), string(have), "no duplicate, no gap")
	_, err = os.Stat(out + ".checkpoint")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

var itoa = strconv.Itoa

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestExportRefusesToOverwriteACheckpoint(t *testing.T) {
	out := filepath.Join(t.TempDir(), "orders.jsonl")
	require.NoError(t, os.WriteFile(out+".checkpoint", []byte("{}"), 0o644))
	_, stderr, code := runGhost(t, mockExport("--type", "orders", "--days", "1", "--out", out)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "add --resume to continue that export")
}

func TestExportFailureLeavesACheckpoint(t *testing.T) {
	out := filepath.Join(t.TempDir(), "orders.jsonl")
	// The mock fails every export of a merchant named fail_….
	_, stderr, code := runGhost(t, mockExport("--type", "orders", "--merchant", "fail_M1", "--from", "2026-01-01", "--to", "2026-01-05", "--out", out)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "export failed")
	assert.Contains(t, stderr, `then run "ghost export --resume --out `+out+`"`)
	b, err := os.ReadFile(out + ".checkpoint")
	require.NoError(t, err)
	var cp exportCheckpoint
	require.NoError(t, json.Unmarshal(b, &cp))
	assert.Equal(t, "fail_M1", cp.Merchant)
	assert.True(t, cp.Done.IsZero(), "nothing done yet")
}

// startMockBinary starts the built ghost-mock with args and returns the
// environment block it prints, as NAME=value entries.
func startMockBinary(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command(mockBin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	var env []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			env = append(env, kv)
		} else if len(env) > 0 && line == "" {
			break // the block's end
		}
	}
	go io.Copy(io.Discard, stdout)
	require.NotEmpty(t, env, "ghost-mock printed no environment block")
	return env
}

// everyPart is create, list and get on every part, each checked by what
// the part's API answers. A stateful server keeps what was created; with
// --mock every run has a fresh (seeded) server, so get takes an id the
// list showed.
func everyPart(t *testing.T, env []string, stateful bool, global ...string) {
	t.Helper()
	ghost := func(args ...string) map[string]any {
		t.Helper()
		stdout, stderr, code := runIn(t, "", env, append(global, args...)...)
		require.Equal(t, 0, code, "ghost %s: %s", strings.Join(args, " "), stderr)
		var v any
		require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
		if list, ok := v.([]any); ok {
			require.NotEmpty(t, list, "ghost %s", strings.Join(args, " "))
			return list[0].(map[string]any)
		}
		return v.(map[string]any)
	}
	// Ghost
	assert.Equal(t, "ada@example.com", ghost("create", "customers", "--param", "email=ada@example.com")["email"])
	c := ghost("list", "customers")
	assert.Equal(t, c["email"], ghost("get", "customers", c["id"].(string))["email"])
	// Komoju: its own base URL and secret key.
	k := ghost("create", "komoju-customers", "--param", "email=k@example.com", "--param", "currency=JPY", "--param", "payment_details=tok_visa")
	assert.Equal(t, "customer", k["resource"])
	k = ghost("list", "komoju-customers", "--param", "per_page=5")
	assert.Equal(t, k["email"], ghost("get", "komoju-customers", k["id"].(string))["email"])
	// Checkout: carts and analytics, under the x-api-key.
	cart := ghost("create", "carts", "--data", `{"customerEmail":"c@example.com","items":[{"name":"Hat","quantity":1,"price":19.99}]}`)
	assert.Equal(t, "abandoned", cart["status"])
	cart = ghost("list", "carts")
	assert.Equal(t, cart["customerEmail"], ghost("get", "carts", cart["id"].(string))["customerEmail"])
	assert.Contains(t, ghost("get", "analytics", "--param", "period=7d"), "summary")
	// Spark: the store's base URL and token.
	p := ghost("create", "spark-products", "--param", "item_name=Hat", "--param", "item_number=HAT-1", "--param", "price=19.99")
	assert.Equal(t, "Hat", p["item_name"])
	p = ghost("list", "spark-products", "--param", "sort=-price")
	assert.Equal(t, p["item_name"], ghost("get", "spark-products", jsonText(p["id"]))["item_name"])
	// Exports: create and get, with the bearer token.
	e := ghost("create", "exports", "MERCHANT1", "--param", "type=ORDERS", "--param", "startTime=2026-01-01", "--param", "endTime=1769817600000")
	assert.Contains(t, []any{"PENDING", "IN_PROGRESS", "DONE"}, e["status"])
	if !stateful {
		return
	}
	assert.Equal(t, e["id"], ghost("get", "exports", "MERCHANT1", e["id"].(string))["id"])
	hat := ghost("list", "spark-products", "--param", "item_name=like:Hat", "--param", "fields=id,item_name,item_number")
	assert.Equal(t, "HAT-1", hat["item_number"])
}

// The environment block ghost-mock prints reaches every part with no other
// flag; so does --mock.
func TestMockEnvironmentReachesEveryPart(t *testing.T) {
	env := append(baseEnv(t), startMockBinary(t, "-profile", "all")...)
	everyPart(t, env, true)
	everyPart(t, baseEnv(t), false, "--mock")
}

// Each single-part profile's block reaches its part.
func TestSinglePartProfiles(t *testing.T) {
	for _, tc := range []struct{ profile, resource string }{
		{"komoju", "komoju-customers"}, {"checkout", "carts"}, {"spark", "spark-products"}, {"sparkpay", "spark-orders"},
		{"ghost", "orders"},
	} {
		env := append(baseEnv(t), startMockBinary(t, "-profile", tc.profile, "-seed", "1")...)
		stdout, stderr, code := runIn(t, "", env, "list", tc.resource)
		require.Equal(t, 0, code, "%s: %s", tc.profile, stderr)
		assert.True(t, strings.HasPrefix(stdout, "[\n  {"), "%s: %s", tc.profile, stdout)
	}
}
