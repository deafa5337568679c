package main

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/contract"
)

// violation is one place where an exchange and the contract disagree.
type violation struct {
	Time      time.Time  `json:"time"`
	Part      ghost.Part `json:"part"`
	Operation string     `json:"operation"` // "" when no operation of the document matches
	Method    string     `json:"method"`
	Path      string     `json:"path"`
	Status    int        `json:"status,omitempty"` // the response's, for a response violation
	In        string     `json:"in"`               // "request" or "response"
	Field     string     `json:"field,omitempty"`  // "/doc/email", "query limit", "header Retry-After", …
	Message   string     `json:"message"`
}

// String is the violation's log line: operation, field, what is wrong.
func (v violation) String() string {
	op := v.Operation
	if op == "" {
		op = "(no operation)"
	}
	s := fmt.Sprintf("%s %s %s %s", op, v.Method, v.Path, v.In)
	if v.Status != 0 {
		s = fmt.Sprintf("%s %s %s → %d %s", op, v.Method, v.Path, v.Status, v.In)
	}
	if v.Field != "" {
		s += " " + v.Field
	}
	return s + ": " + v.Message
}

var (
	fieldViolation = regexp.MustCompile(`^((?:.*?: )?)field (\S*): (.*)$`)
	paramViolation = regexp.MustCompile(`^parameter "([^"]+)" in (\w+): (.*)$`)
	headerMention  = regexp.MustCompile(`header "([^"]+)"`)
)

// violations splits a contract result into one violation per field. The
// contract reports every violation of an exchange in one error,
// "request: A; B" or "response: A; B"; each part names its field.
func violations(res contract.Result, in string, at time.Time) []violation {
	base := violation{Time: at, Part: res.Part, Operation: res.OperationID, Method: res.Method, Path: res.Path, In: in}
	if in == "response" {
		base.Status = res.Status
	}
	msg := res.Err.Error()
	if res.OperationID == "" {
		base.Message = msg
		return []violation{base}
	}
	msg = strings.TrimPrefix(strings.TrimPrefix(msg, "request: "), "response: ")
	var out []violation
	for _, part := range strings.Split(msg, "; ") {
		v := base
		v.Message = part
		switch m := fieldViolation.FindStringSubmatch(part); {
		case m != nil:
			v.Field, v.Message = cmp.Or(m[2], "/"), m[1]+m[3]
		default:
			if m := paramViolation.FindStringSubmatch(part); m != nil {
				v.Field, v.Message = m[2]+" "+m[1], m[3]
			} else if m := headerMention.FindStringSubmatch(part); m != nil {
				v.Field = "header " + m[1]
			} else if strings.HasPrefix(part, "security requirements failed") {
				v.Field = "security"
			}
		}
		out = append(out, v)
	}
	return out
}

// report counts a checked exchange and logs its violations, one line each.
func (p *proxy) report(res contract.Result, in string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checked++
	if res.Err == nil {
		return
	}
	for _, v := range violations(res, in, p.now().UTC()) {
		fmt.Fprintf(p.log, "ghost proxy: violation: %s\n", v)
		p.violations = append(p.violations, v)
	}
	if over := len(p.violations) - maxViolations; over > 0 {
		p.violations = append(p.violations[:0:0], p.violations[over:]...)
		p.dropped += over
	}
}

// serveViolations answers GET (the list) and DELETE (clear it).
func (p *proxy) serveViolations(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		p.mu.Lock()
		list := append([]violation{}, p.violations...)
		body := map[string]any{"checked": p.checked, "violations": list, "dropped": p.dropped}
		p.mu.Unlock()
		writeProxyJSON(w, http.StatusOK, body)
	case http.MethodDelete:
		p.mu.Lock()
		p.violations, p.dropped = nil, 0
		p.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, DELETE")
		proxyError(w, http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
	}
}

// summary is what the proxy checked, for its last line.
func (p *proxy) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := fmt.Sprintf("%d checks, %d violations", p.checked, len(p.violations)+p.dropped)
	if p.recorder != nil {
		s += fmt.Sprintf(", cassettes %s", strings.Join(p.recorder.Names(), ", "))
	}
	return s
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
