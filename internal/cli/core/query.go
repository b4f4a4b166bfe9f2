package core

import (
	"time"

	jmespath "github.com/jmespath-community/go-jmespath"
)

// Query evaluates a JMESPath expression against a decoded JSON value.
func Query(expr string, v any) (any, error) {
	jp, err := jmespath.Compile(expr)
	if err != nil {
		return nil, Usagef("argument --query: invalid jmespath_type value: %s", pyRepr(expr))
	}
	return jp.Search(v)
}

// queryTruthy evaluates expr and applies Python truthiness, as az's
// wait --custom does.
func queryTruthy(expr string, v any) (bool, error) {
	res, err := Query(expr, v)
	if err != nil {
		return false, err
	}
	return truthValue(res), nil
}

func truthValue(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case float64:
		return t != 0
	case int:
		return t != 0
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
