// Package wire holds the HTTP machinery shared by every ghost-go service:
// path building, envelope recognition, error-body parsing and retry policy.
// Nothing here knows about a particular resource.
package wire

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadPathParam is returned by Path for a parameter that cannot be placed in
// a path segment: empty, ".", "..", or holding a NUL byte.
var ErrBadPathParam = errors.New("invalid path parameter")

// PathParamError names the parameter Path refused.
type PathParamError struct {
	Index int    // position among the arguments, from 0
	Value string // the refused value (ids are not secrets)
}

// Error says which parameter was refused.
func (e *PathParamError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("path parameter %d is empty", e.Index)
	}
	return fmt.Sprintf("path parameter %d (%q) cannot be used as a path segment", e.Index, e.Value)
}

// Unwrap lets errors.Is match ErrBadPathParam.
func (e *PathParamError) Unwrap() error { return ErrBadPathParam }

// Path fills each %s of format with one escaped path segment. Every argument
// becomes exactly one segment: "/", "?", "#", "%" and spaces are escaped, and
// the values "", "." and ".." are refused, so caller input can never reach
// another endpoint. format itself is trusted and must hold exactly len(args)
// occurrences of %s and no other verbs.
func Path(format string, args ...string) (string, error) {
	var b strings.Builder
	b.Grow(len(format) + 16*len(args))
	n := 0
	for {
		i := strings.Index(format, "%s")
		if i < 0 {
			b.WriteString(format)
			break
		}
		if n >= len(args) {
			return "", fmt.Errorf("wire.Path: format %q needs more arguments", format)
		}
		b.WriteString(format[:i])
		seg, err := segment(args[n])
		if err != nil {
			return "", &PathParamError{Index: n, Value: args[n]}
		}
		b.WriteString(seg)
		format = format[i+2:]
		n++
	}
	if n != len(args) {
		return "", fmt.Errorf("wire.Path: %d arguments for %d segments", len(args), n)
	}
	return b.String(), nil
}

// segment escapes one path segment, refusing values that a server would
// normalise away or that cannot be sent.
func segment(v string) (string, error) {
	if v == "" || v == "." || v == ".." || strings.ContainsRune(v, 0) {
		return "", ErrBadPathParam
	}
	return url.PathEscape(v), nil
}
