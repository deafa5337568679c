package ghost_test

import (
	"context"
	"net/http"
	"strings"

	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// requestHeader decodes a recorded Basic Authorization header.
type requestHeader struct{ h http.Header }

func (r *requestHeader) basic() (string, string, bool) {
	return (&http.Request{Header: r.h}).BasicAuth()
}

// rawPost sends body to the mock as plain curl would, past the SDK.
func rawPost(ctx context.Context, srv *ghosttest.Server, path, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(srv.Config.PublicKey, srv.Config.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}
