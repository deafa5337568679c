package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ghostBin is the command built once for the tests.
var ghostBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ghost-e2e-*")
	if err != nil {
		panic(err)
	}
	ghostBin = filepath.Join(dir, "ghost")
	if out, err := exec.Command("go", "build", "-o", ghostBin, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("building ghost: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runGhost runs the command to the end; stderr is a pipe, not a terminal.
func runGhost(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(ghostBin, args...)
	cmd.Env = cleanEnv()
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

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GHOST_") {
			env = append(env, kv)
		}
	}
	return env
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
	assert.Contains(t, stderr, "window 1/3 [2026-01-01, 2026-01-31): written, 1168 objects; total 1168 objects")
	assert.Contains(t, stderr, "window 3/3 [2026-03-02, 2026-04-01): written")
	assert.Contains(t, stderr, "done: 3503 objects this run")
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
	cmd.Env = cleanEnv()
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
	assert.Contains(t, log.String(), `run "ghost export --resume --out `+out+`" to continue`)

	b, err := os.ReadFile(out + ".checkpoint")
	require.NoError(t, err, log.String())
	var cp exportCheckpoint
	require.NoError(t, json.Unmarshal(b, &cp))
	assert.Equal(t, cp.From.AddDate(0, 0, 180), cp.To)
	assert.False(t, cp.Done.Before(cp.From.Add(30*24*time.Hour)), "at least window 1 is saved")

	// Flags that would change the export are refused with --resume.
	_, stderrText, code := runGhost(t, mockExport("--resume", "--out", out, "--days", "10")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderrText, "--days cannot be used with --resume")

	// A while later (the default --to has moved on), --resume finishes the
	// stored range; the result equals a clean run of that range.
	_, stderrText, code = runGhost(t, mockExport("--resume", "--out", out)...)
	require.Equal(t, 0, code, stderrText)
	assert.Contains(t, stderrText, "resuming orders of MERCHANT1")
	got := readJSONL(t, out)
	assert.Len(t, got, ordersIn(cp.From, cp.To))

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

func TestExportRefusesToOverwriteACheckpoint(t *testing.T) {
	out := filepath.Join(t.TempDir(), "orders.jsonl")
	require.NoError(t, os.WriteFile(out+".checkpoint", []byte("{}"), 0o644))
	_, stderr, code := runGhost(t, mockExport("--type", "orders", "--days", "1", "--out", out)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "add --resume to continue that export")
}

func TestResourceVerbs(t *testing.T) {
	stdout, stderr, code := runGhost(t, "--mock", "get", "customers", "cus_000001")
	require.Equal(t, 0, code, stderr)
	var c map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &c))
	assert.Equal(t, "cus_000001", c["id"])

	stdout, stderr, code = runGhost(t, "--mock", "list", "customers", "--all", "--param", "limit=2")
	require.Equal(t, 0, code, stderr)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	assert.Len(t, list, 3, "every page of the three seeded customers")

	stdout, stderr, code = runGhost(t, "--mock", "create", "customers", "--data", `{"email":"ada@example.com"}`, "--param", "description=VIP")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &c))
	assert.Equal(t, "ada@example.com", c["email"])
	assert.Equal(t, "VIP", c["description"])

	stdout, stderr, code = runGhost(t, "--mock", "list", "spark-products", "--param", "count=2")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	assert.Len(t, list, 2)

	// Every part through the one client: Komoju and Spark customers next to
	// Ghost's, each at its own base URL on the mock.
	stdout, stderr, code = runGhost(t, "--mock", "create", "komoju-customers", "--data",
		`{"email":"k@example.com","currency":"JPY","payment_details":"tok_abc"}`)
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &c))
	assert.Equal(t, "k@example.com", c["email"])
	assert.Equal(t, "JPY", c["currency"])
	stdout, stderr, code = runGhost(t, "--mock", "list", "spark-orders", "--param", "count=2")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	require.NotEmpty(t, list)
	assert.Contains(t, list[0], "grand_total", "Spark orders as the store sends them")
	stdout, stderr, code = runGhost(t, "--mock", "list", "carts", "--param", "limit=2")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	assert.Len(t, list, 2)

	_, stderr, code = runGhost(t, "--mock", "get", "widgets", "1")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `"widgets": not a resource`)
	_, stderr, code = runGhost(t, "--mock", "create", "customers", "--param", "colour=red")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown parameter "colour"`)
	_, stderr, code = runGhost(t, "list", "customers")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "set GHOST_BASE_URL")
}

func TestHelpAndCompletion(t *testing.T) {
	stdout, _, code := runGhost(t, "help", "export")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "--resume")
	assert.Contains(t, stdout, "ghost export --resume --out orders.jsonl")
	stdout, _, code = runGhost(t, "completion", "bash")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "__start_ghost")
	stdout, _, code = runGhost(t, "__complete", "get", "")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "customers\n")
	assert.Contains(t, stdout, "spark-products\n")
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
