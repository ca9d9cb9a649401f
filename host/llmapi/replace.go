package llmapi

import (
	"errors"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
)

// ReplaceString returns a copy of the JSON document body in which the
// string value at the RFC 6901 pointer is replaced by newText, encoded as a
// JSON string. Every other byte of body is kept as it was, so a provider's
// prompt cache of the unchanged prefix stays valid. The host uses it to
// redact a secret (Item.Pointer names the string).
//
// A body that is not valid JSON, a pointer that names nothing, or one that
// names a value other than a string is an InputError.
func ReplaceString(body []byte, pointer, newText string) ([]byte, error) {
	if err := jsonscan.Validate(body, jsonscan.DefaultMaxDepth); err != nil {
		var se *jsonscan.SyntaxError
		if errors.As(err, &se) {
			se.Field = "" // keys of the body are not repeated in errors
		}
		return nil, &InputError{Msg: "replace: " + err.Error()}
	}
	start, end, ok := jsonscan.Locate(body, pointer)
	if !ok {
		return nil, BadInput("replace: pointer %q names no value", pointer)
	}
	if body[start] != '"' {
		return nil, BadInput("replace: pointer %q names a %s, not a string", pointer, jsonscan.Value(body[start:end]).Kind())
	}
	out := make([]byte, 0, len(body)-(end-start)+len(newText)+2)
	out = append(out, body[:start]...)
	out = jsonscan.AppendQuote(out, newText)
	out = append(out, body[end:]...)
	return out, nil
}
