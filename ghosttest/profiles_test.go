package ghosttest_test

import (
	"strings"
	"testing"

	"github.com/ghostanalytics/ghost-go/ghosttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProfileNamesAndAliases(t *testing.T) {
	for _, tc := range []struct {
		name string
		want ghosttest.Profile
	}{
		{"all", ghosttest.ProfileAll},
		{"ghost", ghosttest.ProfileGhost},
		{"komoju", ghosttest.ProfileKomoju},
		{"checkout", ghosttest.ProfileCheckout},
		{"spark", ghosttest.ProfileSpark},
		{"exports", ghosttest.ProfileExports},
		{"sparkpay", ghosttest.ProfileSpark}, // the names before v0.3
		{"clover", ghosttest.ProfileExports},
	} {
		p, err := ghosttest.ParseProfile(tc.name)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, p, tc.name)

		// Config.Profile takes the old names too, and the server reports
		// the part's name.
		srv, err := ghosttest.Start(ghosttest.WithProfile(ghosttest.Profile(tc.name)))
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, srv.Config.Profile)
		srv.Close()
	}
	_, err := ghosttest.ParseProfile("stripe")
	assert.ErrorContains(t, err, `unknown profile "stripe"`)
	_, err = ghosttest.Start(ghosttest.WithProfile("stripe"))
	assert.Error(t, err)
}

func TestEnviron(t *testing.T) {
	srv := ghosttest.NewServer(ghosttest.WithConfig(ghosttest.Config{
		PublicKey: "pk_e", SecretKey: "sk_e", APIKey: "ak_e", AuthToken: "at_e", BearerToken: "bt_e",
	}))
	defer srv.Close()
	u := srv.URL
	assert.Equal(t, []string{
		"GHOST_BASE_URL=" + u,
		"GHOST_PUBLIC_KEY=pk_e", "GHOST_SECRET_KEY=sk_e",
		"GHOST_KOMOJU_BASE_URL=" + u + "/komoju", "GHOST_KOMOJU_SECRET_KEY=sk_e",
		"GHOST_CHECKOUT_BASE_URL=" + u, "GHOST_API_KEY=ak_e",
		"GHOST_SPARK_BASE_URL=" + u + "/spark", "GHOST_AUTH_TOKEN=at_e",
		"GHOST_EXPORTS_BASE_URL=" + u, "GHOST_BEARER_TOKEN=bt_e",
	}, srv.Environ())

	// One part: the shared URL and that part's settings only.
	one := ghosttest.NewServer(ghosttest.WithProfile("clover"))
	defer one.Close()
	assert.Equal(t, []string{
		"GHOST_BASE_URL=" + one.URL,
		"GHOST_EXPORTS_BASE_URL=" + one.URL, "GHOST_BEARER_TOKEN=" + ghosttest.DefaultBearerToken,
	}, one.Environ())
	for _, kv := range one.Environ() {
		assert.True(t, strings.HasPrefix(kv, "GHOST_"), kv)
	}
}
