package output

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the small pieces of Python behaviour that az's output
// depends on: how Python's str() and repr() spell numbers, strings and
// containers, and which characters Python counts as whitespace, printable
// or line boundaries.

// maxExactInt is the largest magnitude below which every integral float64
// is an exact integer. Integral numbers up to it are taken to be JSON
// integers (Python ints, printed without ".0"); beyond it a float64 cannot
// tell an integer from a float, and Python's float spelling is used.
const maxExactInt = 1 << 53

// isIntegral reports whether f is printed as a Python int.
func isIntegral(f float64) bool {
	return f == math.Trunc(f) && math.Abs(f) <= maxExactInt
}

// pyNumber spells a number the way Python's str() spells the value
// json.loads produced for it: an int for integral values, else float repr.
func pyNumber(f float64) string {
	if isIntegral(f) {
		if f == 0 {
			return "0" // also for -0.0, which json.loads reads from "-0" as int 0
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return pyFloatRepr(f)
}

// pyFloatRepr is Python's repr(float): the shortest round-tripping digits,
// positional when the decimal exponent is in [-4, 16), else scientific
// with at least two exponent digits; integral values keep a ".0".
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	// 'e' with the shortest precision yields d.ddde±XX.
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expPart, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expPart)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		return mant + "e" + sign + es
	}
	p := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(p, ".") {
		p += ".0"
	}
	return p
}

// pyStrRepr is Python 3's repr(str).
func pyStrRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(r))
		case r < 0x7f:
			b.WriteRune(r)
		case !pyIsPrintable(r):
			switch {
			case r <= 0xff:
				b.WriteString(`\x`)
				b.WriteString(hex2(r))
			case r <= 0xffff:
				b.WriteString(`\u`)
				b.WriteString(hexN(r, 4))
			default:
				b.WriteString(`\U`)
				b.WriteString(hexN(r, 8))
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

func hex2(r rune) string { return hexN(r, 2) }

func hexN(r rune, n int) string {
	s := strconv.FormatInt(int64(r), 16)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// pyIsPrintable approximates Python's str.isprintable for one character:
// everything but the Other (C*) and Separator (Z*) categories, space
// excepted.
func pyIsPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if r == utf8.RuneError {
		return true
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ', 0x85:
		return true
	}
	if r < 0x80 {
		return false
	}
	return unicode.Is(unicode.Zs, r) || r == 0x2028 || r == 0x2029
}

// pyStrip is Python's str.strip() without arguments.
func pyStrip(s string) string {
	return strings.TrimFunc(s, pyIsSpace)
}

// pyLineBoundary reports whether r ends a line for str.splitlines.
func pyLineBoundary(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// pySplitLines is Python's str.splitlines(keepends).
func pySplitLines(s string, keepends bool) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !pyLineBoundary(r) {
			i += n
			continue
		}
		end := i + n
		if r == '\r' && end < len(s) && s[end] == '\n' {
			end++
		}
		if keepends {
			lines = append(lines, s[start:end])
		} else {
			lines = append(lines, s[start:i])
		}
		start = end
		i = end
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// pyStr is Python's str() of a value of the output data model: strings
// stand for themselves, everything else is spelled as by repr().
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyRepr is Python's repr() of a value of the output data model. A map a
// query built (an OrderedDict in az) is spelled the way Python 3.12 and
// later spell OrderedDict.
func pyRepr(v any) string {
	var b strings.Builder
	writePyRepr(&b, v)
	return b.String()
}

func writePyRepr(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if t {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case float64:
		b.WriteString(pyNumber(t))
	case string:
		b.WriteString(pyStrRepr(t))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyRepr(b, e)
		}
		b.WriteByte(']')
	case *object:
		if t.ordered {
			b.WriteString("OrderedDict(")
			if len(t.keys) == 0 {
				b.WriteByte(')')
				return
			}
		}
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyStrRepr(k))
			b.WriteString(": ")
			writePyRepr(b, t.vals[k])
		}
		b.WriteByte('}')
		if t.ordered {
			b.WriteByte(')')
		}
	}
}

// validUTF8 replaces invalid bytes, which Python strings cannot hold, with
// U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
