package ghost

import (
	"errors"

	"github.com/ghostanalytics/ghost-go/internal/wire"
)

// idArg is an id placed in a path, with the parameter name errors use.
type idArg struct {
	name string
	id   ID
}

// pathf builds an escaped path, each id one segment; an empty id, "." or ".."
// is refused with an invalid_params *Error naming the parameter.
func pathf(format string, ids ...idArg) (string, error) {
	vals := make([]string, len(ids))
	for i, a := range ids {
		if a.id == "" {
			return "", invalidParams(a.name, "%s is required", a.name)
		}
		vals[i] = string(a.id)
	}
	p, err := wire.Path(format, vals...)
	if err != nil {
		var pe *wire.PathParamError
		if errors.As(err, &pe) {
			a := ids[pe.Index]
			return "", invalidParams(a.name, "%s %q cannot be used in a path", a.name, string(a.id))
		}
		return "", invalidParams("", "%v", err)
	}
	return p, nil
}
