package ghost_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renderings prints v every way a caller might: fmt verbs, slog's text and
// JSON handlers (as a value and inside a struct and a map), encoding/json.
func renderings(t *testing.T, v any) string {
	t.Helper()
	var text, js bytes.Buffer
	holder := struct {
		Name  string
		Value any
	}{"holder", v}
	for _, h := range []slog.Handler{slog.NewTextHandler(&text, nil), slog.NewJSONHandler(&js, nil)} {
		l := slog.New(h)
		l.Info("value", "v", v)
		l.Info("holder", "h", holder)
		l.Info("map", "m", map[string]any{"v": v})
	}
	j1, err := json.Marshal(v)
	require.NoError(t, err)
	j2, err := json.Marshal(holder)
	require.NoError(t, err)
	return strings.Join([]string{
		fmt.Sprintf("%v|%+v|%#v|%s", v, v, v, v),
		fmt.Sprintf("%v|%+v|%#v", holder, holder, holder),
		text.String(), js.String(), string(j1), string(j2),
	}, "\n")
}

// Every type that holds a secret redacts it under fmt, slog (text and JSON)
// and encoding/json, alone or inside another struct or map.
func TestSecretsRedactedEverywhere(t *testing.T) {
	creds := ghost.Credentials{PublicKey: testPublic, SecretKey: testSecret, APIKey: testAPIKey, AuthToken: testToken, BearerToken: testBearer}
	type config struct {
		Region string
		Creds  ghost.Credentials
	}
	values := map[string]any{
		"Credentials":          creds,
		"*Credentials":         &creds,
		"Endpoint":             ghost.Endpoint{BaseURL: "https://user:URLPASS_SENTINEL@api.example.com/v1?token=QUERY_SENTINEL", Credentials: creds},
		"struct with Creds":    config{Region: "eu", Creds: creds},
		"map of Endpoints":     map[string]ghost.Endpoint{"orders": {BaseURL: "https://orders.example.com", Credentials: creds}},
		"slice of Credentials": []ghost.Credentials{creds},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			out := renderings(t, v)
			for _, s := range append(allSecrets, "URLPASS_SENTINEL", "QUERY_SENTINEL") {
				assert.NotContains(t, out, s)
			}
			assert.Contains(t, out, "[redacted]")
		})
	}
}

// Komoju card data given as a hash redacts like CardParams.
func TestPaymentHashRedacted(t *testing.T) {
	pd := ghost.KomojuPaymentHash(map[string]any{
		"type": "credit_card", "number": "4111111111111111", "month": 12, "year": 2030,
		"verification_value": "CVC_SENTINEL", "name": "Taro Yamada",
	})
	token := ghost.KomojuPaymentToken("tok_TOKEN_SENTINEL")
	card := ghost.CardCreateParams{Number: "4111111111111111", ExpMonth: "12", ExpYear: "2030", CVC: "CVC_SENTINEL"}
	values := map[string]any{
		"hash": pd, "hash pointer": &pd, "token": token,
		"create params":           ghost.KomojuCustomerCreateParams{Email: "a@b.c", PaymentDetails: pd},
		"update params":           ghost.KomojuCustomerUpdateParams{PaymentDetails: ghost.Some(pd)},
		"update params, token":    &ghost.KomojuCustomerUpdateParams{PaymentDetails: ghost.Some(token)},
		"card params":             card,
		"card params in a struct": struct{ Card ghost.CardCreateParams }{card},
		"map of params":           map[string]any{"p": ghost.KomojuCustomerCreateParams{PaymentDetails: token}},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			var text, js bytes.Buffer
			slog.New(slog.NewTextHandler(&text, nil)).Info("pd", "pd", v)
			slog.New(slog.NewJSONHandler(&js, nil)).Info("pd", "pd", v)
			enc, err := json.Marshal(v)
			require.NoError(t, err)
			out := fmt.Sprintf("%v|%+v|%#v|%s\n%s\n%s\n%s", v, v, v, v, text.String(), js.String(), enc)
			for _, s := range []string{"4111111111111111", "CVC_SENTINEL", "TOKEN_SENTINEL"} {
				assert.NotContains(t, out, s)
			}
			if !strings.Contains(name, "token") && name != "map of params" {
				assert.Contains(t, out, "****1111", "the last four digits are kept")
			}
		})
	}
}

// What the API is sent is the full card data: only renderings redact it.
func TestPaymentDetailsSentInFull(t *testing.T) {
	srv := newKomoju(t)
	pd := ghost.KomojuPaymentHash(map[string]any{"type": "credit_card", "number": "4111111111111111",
		"month": 12, "year": 2030, "verification_value": "123"})
	_, err := srv.Client.Komoju.Customers.Create(t.Context(), ghost.KomojuCustomerCreateParams{Email: "k@example.com", PaymentDetails: pd})
	require.NoError(t, err)
	assert.JSONEq(t, `{"email":"k@example.com","payment_details":{"type":"credit_card","number":"4111111111111111","month":12,"year":2030,"verification_value":"123"}}`,
		string(lastRequest(t, srv).Body))
}

// Errors never quote a URL's password or query string.
func TestURLErrorsHoldNoSecrets(t *testing.T) {
	bad := []string{
		"https://user:URLPASS_SENTINEL@api.example.com/%zz",             // does not parse
		"ftp://user:URLPASS_SENTINEL@api.example.com/?k=QUERY_SENTINEL", // wrong scheme
		"https://user:URLPASS_SENTINEL@api.example.com",
		"https://api.example.com/v1?token=QUERY_SENTINEL",
		"//user:URLPASS_SENTINEL@api.example.com?token=QUERY_SENTINEL",
		"https://api.example.com/%zz?token=QUERY_SENTINEL",
	}
	for _, u := range bad {
		for name, opt := range map[string]ghost.Option{
			"WithBaseURL":         ghost.WithBaseURL(u),
			"WithEndpoint":        ghost.WithEndpoint(ghost.PartKomoju, ghost.Endpoint{BaseURL: u}),
			"WithServiceEndpoint": ghost.WithServiceEndpoint(ghost.ServiceOrders, ghost.Endpoint{BaseURL: u}),
		} {
			_, err := ghost.NewClient(opt)
			require.Error(t, err, "%s %s", name, u)
			assert.NotContains(t, err.Error(), "URLPASS_SENTINEL", name)
			assert.NotContains(t, err.Error(), "QUERY_SENTINEL", name)
		}
	}
}

// A foreign_url error quotes scheme, host and path only: never a pre-signed
// query.
func TestForeignURLErrorHoldsNoSignature(t *testing.T) {
	c := clientFor(t, "https://api.example.com")
	e := &ghost.Export{ID: "E1", Status: ghost.ExportStatusDone, ExportURLs: []ghost.ExportURL{
		{URL: "ftp://files.example.com/exports/e1.json?X-Amz-Signature=SIG_SENTINEL&X-Amz-Credential=CRED_SENTINEL"},
	}}
	var err error
	for _, e := range c.Exports.Objects(t.Context(), e) {
		err = e
	}
	require.Error(t, err)
	var ge *ghost.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, ghost.CodeForeignURL, ge.Code)
	assert.NotContains(t, err.Error(), "SIG_SENTINEL")
	assert.NotContains(t, err.Error(), "CRED_SENTINEL")
	assert.Contains(t, err.Error(), "ftp://files.example.com/exports/e1.json")
}
