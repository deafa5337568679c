package contract

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	ghost "github.com/ghostanalytics/ghost-go"
)

// Middleware returns a transport middleware for ghost.WithTransportMiddleware
// that validates every request the client sends, before it leaves, and the
// response it gets, against the document. The part of each request is the
// one the SDK says (ghost.AttemptFromContext); m says where each part is
// served. Every exchange is passed to report, conforming or not; the
// request and the response go on unchanged (bodies are buffered).
//
//	v, _ := contract.New()
//	client, _ := ghost.NewClient(append(srv.ClientOptions(),
//		ghost.WithTransportMiddleware(v.Middleware(mounts, func(r contract.Result) {
//			if r.Err != nil {
//				t.Error(r)
//			}
//		})))...)
func (v *Validator) Middleware(m Mounts, report func(Result)) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return &validating{v: v, m: m, report: report, next: next}
	}
}

type validating struct {
	v      *Validator
	m      Mounts
	report func(Result)
	next   http.RoundTripper
}

func (t *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	a, ok := ghost.AttemptFromContext(req.Context())
	if !ok {
		t.report(Result{Method: req.Method, Path: req.URL.EscapedPath(), Err: fmt.Errorf("the request carries no ghost attempt: not sent by the SDK")})
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	reqRes := t.v.CheckRequest(req.Context(), t.m, a.Part, req, body)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.report(reqRes)
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		// A cut body: the SDK sees it cut, as it would have.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(respBody), errReader{err}))
		t.report(reqRes)
		return resp, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	res := t.v.CheckResponse(req.Context(), t.m, a.Part, req, body, resp, respBody)
	if reqRes.Err != nil {
		res.Err = joinErr(reqRes.Err, res.Err)
	}
	t.report(res)
	return resp, nil
}

func joinErr(a, b error) error {
	if b == nil {
		return a
	}
	return fmt.Errorf("%w; %w", a, b)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
