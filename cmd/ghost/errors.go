package main

// Errors as the command prints them: the part, the HTTP status once, the
// API's code and message, and the setting to change, in the command's words
// (flags, environment variables, config keys), never the SDK's.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	ghost "github.com/ghostanalytics/ghost-go"
)

// partError is the error of a call to one part of the API.
type partError struct {
	part ghost.Part
	err  error
}

func (e *partError) Error() string { return e.err.Error() }
func (e *partError) Unwrap() error { return e.err }

// sdkWords are phrases of the SDK's messages that name Go identifiers, in
// the command's words.
var sdkWords = strings.NewReplacer(
	" (use Range to split it)", " (ghost export runs longer ranges)",
	"a token (KomojuPaymentToken) or a hash (KomojuPaymentHash)", "a token or a hash",
	" (use Desc for descending)", " (-FIELD sorts descending)",
	"ghost: ", "",
)

// describe is the one line (and hint) printed for err.
func (a *app) describe(err error) string {
	var part ghost.Part
	var pe *partError
	if errors.As(err, &pe) {
		part = pe.part
	}
	msg := err.Error()
	var ge *ghost.Error
	if errors.As(err, &ge) {
		msg = strings.Replace(msg, ge.Error(), apiError(ge), 1)
	}
	msg = sdkWords.Replace(msg)
	if part != "" {
		msg = partTitle(part) + ": " + msg
	}
	msg = "ghost: " + msg
	if ge != nil && part != "" {
		if hint := a.hint(ge, part); hint != "" {
			msg += "\n  " + hint
		}
	}
	return msg
}

// partTitle names a part in messages: "Komoju API".
func partTitle(p ghost.Part) string {
	return strings.ToUpper(string(p[:1])) + string(p[1:]) + " API"
}

// apiError formats an error the API answered (or the SDK raised before
// sending) without the "ghost: " prefix and with the status once.
func apiError(e *ghost.Error) string {
	var b strings.Builder
	if e.Method != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	switch {
	case e.StatusCode != 0:
		text := http.StatusText(e.StatusCode)
		fmt.Fprintf(&b, "%d %s", e.StatusCode, text)
		if e.Code != "" && !sameWords(e.Code, text) && e.Code != strconv.Itoa(e.StatusCode) {
			fmt.Fprintf(&b, " (%s)", e.Code)
		}
		if e.Message != "" && !sameWords(e.Message, text) {
			b.WriteString(": " + e.Message)
		}
	case e.Code == ghost.CodeInvalidParams && e.Param != "":
		fmt.Fprintf(&b, "invalid %s: %s", e.Param, e.Message)
	case e.Code == ghost.CodeMissingCredentials:
		b.WriteString("no credentials set")
	case e.Code == ghost.CodeMissingEndpoint:
		b.WriteString("no base URL set")
	default:
		b.WriteString(e.Message)
	}
	for _, x := range []struct {
		show   bool
		format string
		v      any
	}{
		{e.Param != "" && e.StatusCode != 0, " (parameter %s)", e.Param},
		{e.Details != "", " (%s)", e.Details},
		{e.RetryAfter > 0, " (retry after %s)", e.RetryAfter},
		{e.RequestID != "", " [request %s]", e.RequestID},
	} {
		if x.show {
			fmt.Fprintf(&b, x.format, x.v)
		}
	}
	return sdkWords.Replace(b.String())
}

// sameWords compares "UNAUTHORIZED", "Unauthorized" and "not_found" with
// "Not Found".
func sameWords(a, b string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", " ", "", "-", "").Replace(s))
	}
	return norm(a) == norm(b)
}

// settingHelp names how to set a setting.
func settingHelp(key, placeholder string) string {
	return fmt.Sprintf("%s (or --%s, or \"ghost config set %s %s\")", envName(key), key, key, placeholder)
}

// hint says which setting to change after an authentication failure or a
// missing setting.
func (a *app) hint(e *ghost.Error, part ghost.Part) string {
	auth := e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	if !auth && e.Code != ghost.CodeMissingCredentials && e.Code != ghost.CodeMissingEndpoint {
		return ""
	}
	r := a.res
	if r == nil || r.mockEnv != nil {
		return ""
	}
	u, from, own := r.baseURL(part)
	ownKey := string(part) + "-base-url"
	if part == ghost.PartGhost {
		ownKey = "base-url"
	}
	switch {
	case e.Code == ghost.CodeMissingEndpoint:
		return fmt.Sprintf("the %s has no default base URL: set %s", partTitle(part), settingHelp(ownKey, "URL"))
	case e.Code == ghost.CodeMissingCredentials:
		keys, _ := r.credentials(part)
		var want []string
		for _, k := range keys {
			want = append(want, settingHelp(k, "VALUE"))
		}
		hint := fmt.Sprintf("the %s authenticates with %s: set %s", partTitle(part), strings.Join(keys, " and "), strings.Join(want, "; "))
		if !r.anySet() {
			hint += `; or try the mock: "ghost --mock …", or the environment "ghost-mock" prints`
		}
		return hint
	case !own && u.v != "":
		return fmt.Sprintf("the %s's base URL is not set, so the request went to %s (%s, from %s), which may serve another part: set %s",
			partTitle(part), u.v, from, u.source, settingHelp(ownKey, "URL"))
	case !own:
		return fmt.Sprintf("the %s's base URL is not set, so the request went to its default host: set %s", partTitle(part), settingHelp(ownKey, "URL"))
	}
	keys, vals := r.credentials(part)
	var have []string
	for i, k := range keys {
		src := vals[i].source
		if src == "" {
			src = "not set"
		}
		have = append(have, fmt.Sprintf("%s (%s)", k, src))
	}
	return fmt.Sprintf("the %s at %s (%s) refused its credentials: check %s", partTitle(part), u.v, u.source, strings.Join(have, ", "))
}
