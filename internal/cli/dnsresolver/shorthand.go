package dnsresolver

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

// The values of aaz's compound arguments (--ip-configurations,
// --target-dns-servers, --outbound-endpoints, --metadata) use az's
// shorthand syntax: JSON, or the same structures written without quotes,
// e.g. [{ip-address:10.0.0.1,port:53}]. Strings may be bare (up to the
// next ',', '}' or ']'), single-quoted ('it''s' doubles a quote, as in
// aaz) or double-quoted (JSON strings); null is a null value; a value
// starting with @ is read from the named file.

// parseShorthand parses an argument value in az's shorthand syntax.
func parseShorthand(opt, s string) (any, error) {
	if strings.HasPrefix(s, "@") {
		b, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, core.Usagef("%s: cannot read %s: %v", opt, s[1:], err)
		}
		s = string(b)
	}
	t := strings.TrimSpace(s)
	var v any
	if err := json.Unmarshal([]byte(t), &v); err == nil {
		return v, nil
	}
	p := &shParser{s: t}
	v, err := p.value()
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = fmt.Errorf("unexpected %q at position %d", p.s[p.i:], p.i)
		}
	}
	if err != nil {
		return nil, core.Usagef("argument %s: invalid shorthand syntax value %q: %v", opt, s, err)
	}
	return v, nil
}

type shParser struct {
	s string
	i int
}

func (p *shParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *shParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return "", nil
	}
	switch p.s[p.i] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		return p.dquoted()
	case '\'':
		return p.squoted()
	}
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(",}]", rune(p.s[p.i])) {
		p.i++
	}
	v := strings.TrimSpace(p.s[start:p.i])
	if v == "null" {
		return nil, nil
	}
	return v, nil
}

func (p *shParser) object() (any, error) {
	p.i++ // {
	out := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return out, nil
		}
		var key string
		if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'') {
			var k any
			var err error
			if p.s[p.i] == '"' {
				k, err = p.dquoted()
			} else {
				k, err = p.squoted()
			}
			if err != nil {
				return nil, err
			}
			key = k.(string)
		} else {
			start := p.i
			for p.i < len(p.s) && !strings.ContainsRune(":,}]", rune(p.s[p.i])) {
				p.i++
			}
			key = strings.TrimSpace(p.s[start:p.i])
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("expected ':' after key %q", key)
		}
		if key == "" {
			return nil, fmt.Errorf("empty key at position %d", p.i)
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[key] = v
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("missing '}'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return out, nil
		default:
			return nil, fmt.Errorf("unexpected %q at position %d", p.s[p.i], p.i)
		}
	}
}

func (p *shParser) array() (any, error) {
	p.i++ // [
	out := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("missing ']'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return out, nil
		default:
			return nil, fmt.Errorf("unexpected %q at position %d", p.s[p.i], p.i)
		}
	}
}

func (p *shParser) dquoted() (any, error) {
	start := p.i
	p.i++
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\\':
			p.i += 2
			continue
		case '"':
			p.i++
			var v string
			if err := json.Unmarshal([]byte(p.s[start:p.i]), &v); err != nil {
				return nil, fmt.Errorf("bad string %s: %w", p.s[start:p.i], err)
			}
			return v, nil
		}
		p.i++
	}
	return nil, fmt.Errorf("unterminated string at position %d", start)
}

func (p *shParser) squoted() (any, error) {
	start := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '\'' {
			if p.i+1 < len(p.s) && p.s[p.i+1] == '\'' {
				b.WriteByte('\'')
				p.i += 2
				continue
			}
			p.i++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.i++
	}
	return nil, fmt.Errorf("unterminated string at position %d", start)
}

// field is one property of an aaz object argument: its option-style key
// and the wire property it sets.
type field struct {
	key, wire string
	// port: the value is an integer.
	port bool
	// subnet: the value is the id of a sub-resource under wire.
	sub bool
}

// objects converts a parsed list (or single object) of an aaz object
// argument into wire objects.
func objects(opt string, v any, fields []field) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, core.Usagef("argument %s: each element must be an object, not %v", opt, e)
		}
		o := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			val := m[k]
			var f *field
			nk := strings.ReplaceAll(strings.ToLower(k), "_", "-")
			for i := range fields {
				if fields[i].key == nk || strings.EqualFold(fields[i].wire, k) {
					f = &fields[i]
				}
			}
			if f == nil {
				keys := make([]string, len(fields))
				for i, ff := range fields {
					keys[i] = ff.key
				}
				return nil, core.Usagef("argument %s: unknown key %q: expected one of %s", opt, k, strings.Join(keys, ", "))
			}
			switch {
			case val == nil:
				continue
			case f.port:
				n, err := toInt(val)
				if err != nil {
					return nil, core.Usagef("argument %s: %s: %v", opt, f.key, err)
				}
				o[f.wire] = n
			case f.sub:
				if sm, ok := val.(map[string]any); ok {
					val = sm["id"]
				}
				o[f.wire] = map[string]any{"id": fmt.Sprint(val)}
			default:
				o[f.wire] = fmt.Sprint(val)
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func toInt(v any) (int, error) {
	switch n := v.(type) {
	case float64:
		if n != float64(int(n)) {
			return 0, fmt.Errorf("%v is not an integer", v)
		}
		return int(n), nil
	case string:
		var i int
		if _, err := fmt.Sscanf(n, "%d", &i); err != nil || fmt.Sprint(i) != n {
			return 0, fmt.Errorf("%q is not an integer", n)
		}
		return i, nil
	}
	return 0, fmt.Errorf("%v is not an integer", v)
}

// stringMap converts a parsed object of string values (--metadata).
func stringMap(opt string, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, core.Usagef("argument %s: expected an object such as {key:value}", opt)
	}
	out := map[string]any{}
	for k, val := range m {
		if val == nil {
			continue
		}
		out[k] = fmt.Sprint(val)
	}
	return out, nil
}
