package main

import (
	"bytes"
	"testing"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstartAgainstInProcessMock(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(string) string { return "" }))
	for _, want := range []string{
		"1. created customer cus_", "2. added card card_", "visa ending 4242",
		"3. charged ch_", "$10.00", "4. created order", "$50.00 with 3 items",
		"(1 in all)", "6. refused before sending", "param amount", "7. the API answered 404", "done.",
	} {
		assert.Contains(t, out.String(), want)
	}
}

func TestQuickstartAgainstConfiguredServer(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileGhost), ghosttest.WithKeys("pk_env", "sk_env"))
	defer srv.Close()
	env := map[string]string{"GHOST_BASE_URL": srv.URL, "GHOST_PUBLIC_KEY": "pk_env", "GHOST_SECRET_KEY": "sk_env"}
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "against "+srv.URL)
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	u, p, ok := (&requestWithAuth{reqs[0].Header.Get("Authorization")}).basic()
	require.True(t, ok)
	assert.Equal(t, []string{"pk_env", "sk_env"}, []string{u, p})
}
