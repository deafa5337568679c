package main

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serving is a built command serving until stopped.
type serving struct {
	cmd    *exec.Cmd
	env    []string // the environment block it printed, NAME=value
	stderr *lockedBuffer
}

// serve starts bin with args and env, reads the environment block it
// prints on stdout, and stops it when the test ends.
func serve(t *testing.T, env []string, bin string, args ...string) *serving {
	t.Helper()
	s := &serving{cmd: exec.Command(bin, args...), stderr: &lockedBuffer{}}
	s.cmd.Env, s.cmd.Stderr = env, s.stderr
	stdout, err := s.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() { s.stop() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			s.env = append(s.env, kv)
		} else if len(s.env) > 0 && sc.Text() == "" {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	require.NotEmpty(t, s.env, "%s printed no environment block: %s", bin, s.stderr.String())
	return s
}

// stop ends the command with SIGTERM and returns its exit error.
func (s *serving) stop() error {
	if s.cmd.ProcessState != nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	return s.cmd.Wait()
}

func (s *serving) get(name string) string {
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// The built commands, end to end: ghost-mock stands in for production,
// ghost proxy --record sits in front of it with the real credentials (from
// the environment block ghost-mock prints), ghost runs create, list and
// get on every part through the proxy with the block the proxy prints;
// then, production and the proxy stopped, ghost-mock -replay serves the
// cassette and the same commands give the same answers.
func TestProxyRecordThenMockReplayEndToEnd(t *testing.T) {
	dir := t.TempDir()
	upstream := serve(t, baseEnv(t), mockBin, "-addr", "127.0.0.1:0", "-profile", "all", "-export-duration", "200ms",
		"-public-key", live.PublicKey, "-secret-key", live.SecretKey, "-api-key", live.APIKey, "-auth-token", live.AuthToken, "-bearer", live.BearerToken)
	proxyEnv := append(baseEnv(t), upstream.env...)
	px := serve(t, proxyEnv, ghostBin, "proxy", "--addr", "127.0.0.1:0", "--record", dir)
	assert.Equal(t, proxyDummy, px.get("GHOST_SECRET_KEY"), "the code under test holds no real credential")
	assert.True(t, strings.HasSuffix(px.get("GHOST_SPARK_BASE_URL"), "/spark"))

	recorded := everyPartOutput(t, append(baseEnv(t), px.env...))
	var vs struct {
		Checked    int         `json:"checked"`
		Violations []violation `json:"violations"`
	}
	getJSON(t, strings.TrimSuffix(px.get("GHOST_BASE_URL"), "/ghost")+violationsPath, &vs)
	assert.Greater(t, vs.Checked, 20)
	assert.Empty(t, vs.Violations)
	require.NoError(t, px.stop())
	assert.Contains(t, px.stderr.String(), "ghost proxy: stopped; ")
	assert.Contains(t, px.stderr.String(), "cassettes session")
	require.NoError(t, upstream.stop())
	assert.Empty(t, secretsIn(t, dir, []string{live.PublicKey, live.SecretKey, live.APIKey, live.AuthToken, live.BearerToken, proxyDummy}))

	replay := serve(t, baseEnv(t), mockBin, "-addr", "127.0.0.1:0", "-replay", dir)
	replayed := everyPartOutput(t, append(baseEnv(t), replay.env...))
	require.Len(t, replayed, len(recorded))
	for i := range recorded {
		if recorded[i] != replayed[i] {
			t.Errorf("command %d answers differently in replay: %s", i+1, firstDifference(recorded[i], replayed[i]))
		}
	}
	require.NoError(t, replay.stop())
	assert.NotContains(t, replay.stderr.String(), "matched no recorded exchange")
}

// everyPartOutput runs everyPart's commands and returns what they print.
func everyPartOutput(t *testing.T, env []string) []string {
	t.Helper()
	var out []string
	for _, args := range [][]string{
		{"create", "customers", "--param", "email=ada@example.com"},
		{"list", "customers"},
		{"get", "customers", "cus_000001"},
		{"create", "komoju-customers", "--param", "email=k@example.com", "--param", "currency=JPY", "--param", "payment_details=tok_visa"},
		{"create", "carts", "--data", `{"customerEmail":"c@example.com","items":[{"name":"Hat","quantity":1,"price":19.99}]}`},
		{"list", "carts"},
		{"get", "analytics", "--param", "period=7d"},
		{"create", "spark-products", "--data", `{"item_name":"Hat","item_number":"HAT-1","price":19.99,"primary_category_id":1,"product_status_id":1}`},
		{"list", "spark-products", "--param", "sort=-price", "--param", "count=1", "--all"},
		{"create", "exports", "MERCHANT1", "--param", "type=ORDERS", "--param", "startTime=2026-01-01", "--param", "endTime=1769817600000"},
		{"get", "exports", "MERCHANT1", "EXPORT0000001"},
		{"export", "--type", "orders", "--merchant", "MERCHANT1", "--from", "2026-01-01", "--to", "2026-01-03", "--poll", "50ms",
			"--progress", "none", "--out", "-"},
	} {
		stdout, stderr, code := runIn(t, "", env, args...)
		require.Equal(t, 0, code, "ghost %s: %s", strings.Join(args, " "), stderr)
		out = append(out, stdout)
	}
	return out
}

// ghost proxy without a base URL for a part says which setting is
// missing, and answers that part 502; an http:// upstream elsewhere than
// loopback is refused.
func TestProxyCommandSettings(t *testing.T) {
	px := serve(t, append(baseEnv(t), "GHOST_KOMOJU_BASE_URL=http://127.0.0.1:1", "GHOST_KOMOJU_SECRET_KEY=sk_live_y"),
		ghostBin, "proxy", "--addr", "127.0.0.1:0")
	status, _, body := proxyCall(t, "GET", px.get("GHOST_SPARK_BASE_URL")+"/api/v1/products", "")
	assert.Equal(t, 502, status)
	assert.Contains(t, body, "no base URL for the Spark API part: set --spark-base-url or GHOST_SPARK_BASE_URL")
	status, _, body = proxyCall(t, "GET", px.get("GHOST_KOMOJU_BASE_URL")+"/api/v1/customers", "")
	assert.Equal(t, 502, status, "nothing listens upstream")
	assert.Contains(t, body, "the Komoju API upstream 127.0.0.1:1 did not answer: dial tcp 127.0.0.1:1")
	assert.NotContains(t, body, "sk_live_y")

	_, stderr, code := runIn(t, "", append(baseEnv(t), "GHOST_SPARK_BASE_URL=http://store.example.com"), "proxy", "--addr", "127.0.0.1:0")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "spark-base-url (Spark API): base URL \"http://store.example.com\" is plain http on another host")
	_, stderr, code = runIn(t, "", baseEnv(t), "proxy", "--cassette", "../x")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `--cassette "../x"`)
}

// firstDifference shows where two outputs part.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: recorded %q, replayed %q", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines recorded, %d replayed", len(la), len(lb))
}
