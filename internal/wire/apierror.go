package wire

import (
	"bytes"
	"encoding/json"
)

// ErrorBody is what ParseError read from an error response, whichever part's
// shape it had.
type ErrorBody struct {
	Code    string // machine code: Checkout/Komoju "code", Ghost "error"
	Message string
	Details string // Spark "details" (raw JSON when it is not a string)
	Param   string // Komoju "param"
	Status  int    // the status the body claims (Ghost "status", Spark "status_code")
	Shape   string // "ghost", "checkout", "komoju", "spark", or "" when not recognised
}

type errorTop struct {
	Message    json.RawMessage `json:"message"`
	Status     json.RawMessage `json:"status"`
	Error      json.RawMessage `json:"error"`
	Success    json.RawMessage `json:"success"`
	StatusCode json.RawMessage `json:"status_code"`
	Details    json.RawMessage `json:"details"`
	Code       json.RawMessage `json:"code"`
}

type errorObj struct {
	Code    json.RawMessage `json:"code"`
	Message json.RawMessage `json:"message"`
	Param   json.RawMessage `json:"param"`
	Details json.RawMessage `json:"details"`
}

// ParseError recognises the error shapes of the five seeds. A body that is
// not JSON, or JSON of no known shape, yields an ErrorBody with Shape "".
func ParseError(body []byte) ErrorBody {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return ErrorBody{}
	}
	var t errorTop
	if json.Unmarshal(body, &t) != nil {
		return ErrorBody{}
	}
	var eb ErrorBody
	if len(t.Error) > 0 && t.Error[0] == '{' {
		var o errorObj
		if json.Unmarshal(t.Error, &o) == nil {
			eb.Code, eb.Message, eb.Param = text(o.Code), text(o.Message), text(o.Param)
			eb.Details = text(o.Details)
			if _, ok := boolean(t.Success); ok {
				eb.Shape = "checkout"
			} else {
				eb.Shape = "komoju"
			}
			return eb
		}
	}
	eb.Message = text(t.Message)
	if present(t.StatusCode) {
		eb.Shape = "spark"
		n, _ := integer(t.StatusCode)
		eb.Status = int(n)
		eb.Details = text(t.Details)
		eb.Code = text(t.Code)
		return eb
	}
	if present(t.Error) || present(t.Status) || present(t.Message) {
		eb.Shape = "ghost"
		n, _ := integer(t.Status)
		eb.Status = int(n)
		eb.Code = text(t.Error)
		if eb.Code == "" {
			eb.Code = text(t.Code)
		}
		eb.Details = text(t.Details)
		return eb
	}
	return ErrorBody{}
}

// text renders a JSON value as a string: strings unquoted, anything else as
// its compact JSON, null and absent as "".
func text(r json.RawMessage) string {
	if !present(r) {
		return ""
	}
	if r[0] == '"' {
		return str(r)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, r) != nil {
		return ""
	}
	return buf.String()
}
