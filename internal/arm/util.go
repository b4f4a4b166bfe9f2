package arm

import (
	"encoding/json"
	"errors"
)

func asTypeErr(err error, te **json.UnmarshalTypeError) bool { return errors.As(err, te) }

// IsNotFound reports whether err is (or wraps) an ARM error with status
// 404, e.g. from an in-process ARM client (a provider's own calls).
func IsNotFound(err error) bool {
	ae, ok := AsError(err)
	return ok && ae.Status == 404
}

// Dig walks decoded JSON (objects by string keys, arrays by int indexes);
// nil when a step is missing.
func Dig(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := m.(map[string]any)
			m = mm[k]
		case int:
			a, _ := m.([]any)
			if k < 0 || k >= len(a) {
				return nil
			}
			m = a[k]
		}
	}
	return m
}

// DigString is Dig for a string leaf ("" when missing or not a string).
func DigString(m any, path ...any) string {
	s, _ := Dig(m, path...).(string)
	return s
}
