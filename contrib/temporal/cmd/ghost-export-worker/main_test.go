package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	env := func(vals map[string]string) func(string) string { return func(k string) string { return vals[k] } }
	c, err := parse([]string{"-dir", "/tmp/x"}, io.Discard, env(map[string]string{"GHOST_BEARER_TOKEN": "tok", "TEMPORAL_ADDRESS": "t:7233"}))
	require.NoError(t, err)
	assert.Equal(t, "t:7233", c.temporal)
	assert.Equal(t, "tok", c.token)
	assert.Equal(t, "ghost-exports", c.queue)

	_, err = parse([]string{"-dir", "/tmp/x"}, io.Discard, env(nil))
	assert.ErrorContains(t, err, "GHOST_BEARER_TOKEN")
	_, err = parse(nil, io.Discard, env(map[string]string{"GHOST_BEARER_TOKEN": "tok"}))
	assert.ErrorContains(t, err, "-dir")
	assert.Equal(t, 2, run([]string{"-bogus"}, io.Discard, env(nil), nil))
}
