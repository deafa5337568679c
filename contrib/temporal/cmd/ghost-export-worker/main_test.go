package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(vals map[string]string) func(string) string { return func(k string) string { return vals[k] } }

func TestParse(t *testing.T) {
	c, err := parse(nil, io.Discard, env(map[string]string{"GHOST_BEARER_TOKEN": "tok", "TEMPORAL_ADDRESS": "t:7233",
		"TEMPORAL_NAMESPACE": "ns", "GHOST_BASE_URL": "http://api"}))
	require.NoError(t, err)
	assert.Equal(t, "t:7233", c.temporal)
	assert.Equal(t, "ns", c.namespace)
	assert.Equal(t, "http://api", c.baseURL)
	assert.Equal(t, "tok", c.token)
	assert.Equal(t, "ghost-exports", c.queue)

	_, err = parse(nil, io.Discard, env(nil))
	assert.ErrorContains(t, err, "GHOST_BEARER_TOKEN")
	_, err = parse([]string{"-dir", "/tmp/x"}, io.Discard, env(map[string]string{"GHOST_BEARER_TOKEN": "tok"}))
	assert.ErrorContains(t, err, "-dir", "the sink is the job's, not a worker flag")
	assert.Equal(t, 2, run([]string{"-bogus"}, io.Discard, env(nil), nil))
}

func TestAllowSink(t *testing.T) {
	open, err := parse(nil, io.Discard, env(map[string]string{"GHOST_BEARER_TOKEN": "tok"}))
	require.NoError(t, err)
	assert.NoError(t, open.allowSink("s3://any"))
	assert.NoError(t, open.allowSink("gs://any"))
	assert.ErrorContains(t, open.allowSink("file:///etc"), "-allow-sink")

	only, err := parse([]string{"-allow-sink", "s3://exports?, file:///data/exports/"}, io.Discard, env(map[string]string{"GHOST_BEARER_TOKEN": "tok"}))
	require.NoError(t, err)
	assert.NoError(t, only.allowSink("s3://exports?region=eu-west-1"))
	assert.NoError(t, only.allowSink("file:///data/exports/"))
	assert.Error(t, only.allowSink("s3://other"))
	assert.Error(t, only.allowSink("file:///etc"))
}

// The worker's -h names every variable it reads.
func TestHelpNamesTheEnvironment(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 0, run([]string{"-h"}, &stderr, env(nil), nil))
	for _, v := range []string{"GHOST_BEARER_TOKEN", "GHOST_BASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "GOOGLE_APPLICATION_CREDENTIALS",
		"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "HTTPS_PROXY", "-allow-sink", "-heartbeat-every"} {
		assert.Contains(t, stderr.String(), v)
	}
}
