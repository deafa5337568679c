package main

import "net/http"

// requestWithAuth decodes a recorded Authorization header.
type requestWithAuth struct{ header string }

func (r *requestWithAuth) basic() (string, string, bool) {
	req := &http.Request{Header: http.Header{"Authorization": {r.header}}}
	return req.BasicAuth()
}
