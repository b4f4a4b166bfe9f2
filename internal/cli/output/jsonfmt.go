package output

import (
	"math"
	"strings"
)

// formatJSON is az's json output: Python's json.dumps with indent=2,
// sort_keys=True, ensure_ascii=False and separators (',', ': '), then a
// newline. Keys are sorted at every level, whatever order a query gave.
func formatJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v, 0)
	b.WriteByte('\n')
	return b.String()
}

// formatJSONColor is az's jsonc output: the json output highlighted by
// Pygments' JSON lexer and terminal formatter.
func formatJSONColor(v any) string {
	var b strings.Builder
	writeTerminal(&b, lexJSON(lexerInput(formatJSON(v))))
	return b.String()
}

func writeIndent(b *strings.Builder, level int) {
	b.WriteByte('\n')
	for i := 0; i < level; i++ {
		b.WriteString("  ")
	}
}

func writeJSON(b *strings.Builder, v any, level int) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		b.WriteString(jsonNumber(t))
	case string:
		writeJSONString(b, t)
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeIndent(b, level+1)
			writeJSON(b, e, level+1)
		}
		writeIndent(b, level)
		b.WriteByte(']')
	case *object:
		if len(t.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, k := range t.sorted() {
			if i > 0 {
				b.WriteByte(',')
			}
			writeIndent(b, level+1)
			writeJSONString(b, k)
			b.WriteString(": ")
			writeJSON(b, t.vals[k], level+1)
		}
		writeIndent(b, level)
		b.WriteByte('}')
	}
}

// jsonNumber spells a number as json.dumps does (float repr, and the
// JavaScript names for the non-finite values it allows by default).
func jsonNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return pyNumber(f)
}

// writeJSONString quotes s as json.dumps(ensure_ascii=False) does: only
// the quote, the backslash and control characters are escaped.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteString(hex2(r))
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// lexJSON splits JSON text into tokens the way Pygments' JsonLexer does:
// runs of whitespace, of punctuation and of number or constant characters
// are single tokens, and a string followed by ':' is an object key
// (Name.Tag) rather than a string.
func lexJSON(text string) []token {
	const (
		integers     = "-0123456789"
		floats       = ".eE+"
		constants    = "truefalsn"
		hexadecimals = "0123456789abcdefABCDEF"
		punctuations = "{}[],"
		whitespaces  = " \n\r\t"
	)
	type state int
	const (
		none state = iota
		inString
		inWhitespace
		inConstant
		inNumber
		inPunctuation
		inCommentSingle
		inCommentMulti
		expectCommentOpener
	)
	var (
		out        []token
		queue      []token
		queueIsStr []bool
		st         = none
		escape     bool
		uniEscape  int
		closerNext bool
		start      int
	)
	emit := func(k tokenKind, s string) { out = append(out, token{k, s}) }
	flush := func() {
		out = append(out, queue...)
		queue, queueIsStr = queue[:0], queueIsStr[:0]
	}
	push := func(k tokenKind, s string, isStr bool) {
		queue = append(queue, token{k, s})
		queueIsStr = append(queueIsStr, isStr)
	}
	has := func(set string, r rune) bool { return strings.ContainsRune(set, r) }

	for stop, r := range text {
		switch st {
		case inString:
			switch {
			case uniEscape > 0:
				if has(hexadecimals, r) {
					uniEscape--
					if uniEscape == 0 {
						escape = false
					}
				} else {
					uniEscape = 0
					escape = false
				}
			case escape:
				if r == 'u' {
					uniEscape = 4
				} else {
					escape = false
				}
			case r == '\\':
				escape = true
			case r == '"':
				push(tokString, text[start:stop+1], true)
				st = none
				escape = false
				uniEscape = 0
			}
			continue
		case inWhitespace:
			if has(whitespaces, r) {
				continue
			}
			if len(queue) > 0 {
				push(tokWhitespace, text[start:stop], false)
			} else {
				emit(tokWhitespace, text[start:stop])
			}
			st = none
		case inConstant:
			if has(constants, r) {
				continue
			}
			emit(tokKeyword, text[start:stop])
			st = none
		case inNumber:
			if has(integers, r) {
				continue
			}
			if has(floats, r) {
				continue
			}
			emit(tokNumber, text[start:stop])
			st = none
		case inPunctuation:
			if has(punctuations, r) {
				continue
			}
			emit(tokText, text[start:stop])
			st = none
		case inCommentSingle:
			if r != '\n' {
				continue
			}
			if len(queue) > 0 {
				push(tokComment, text[start:stop], false)
			} else {
				emit(tokComment, text[start:stop])
			}
			st = none
		case inCommentMulti:
			if r == '*' {
				closerNext = true
			} else if closerNext {
				closerNext = false
				if r == '/' {
					if len(queue) > 0 {
						push(tokComment, text[start:stop+1], false)
					} else {
						emit(tokComment, text[start:stop+1])
					}
					st = none
				}
			}
			continue
		case expectCommentOpener:
			st = none
			if r == '/' {
				st = inCommentSingle
				continue
			}
			if r == '*' {
				st = inCommentMulti
				continue
			}
			flush()
			emit(tokError, text[start:stop])
		}
		start = stop
		switch {
		case r == '"':
			st = inString
		case has(whitespaces, r):
			st = inWhitespace
		case r == 'f' || r == 'n' || r == 't':
			flush()
			st = inConstant
		case has(integers, r):
			flush()
			st = inNumber
		case r == ':':
			for i, t := range queue {
				if queueIsStr[i] {
					t.kind = tokNameTag
				}
				out = append(out, t)
			}
			queue, queueIsStr = queue[:0], queueIsStr[:0]
			st = inPunctuation
		case has(punctuations, r):
			flush()
			st = inPunctuation
		case r == '/':
			st = expectCommentOpener
		default:
			flush()
			emit(tokError, string(r))
		}
	}
	flush()
	rest := text[start:]
	switch {
	case st == inString:
		emit(tokError, rest)
	case st == inNumber:
		emit(tokNumber, rest)
	case st == inConstant:
		emit(tokKeyword, rest)
	case st == inWhitespace:
		emit(tokWhitespace, rest)
	case st == inPunctuation:
		emit(tokText, rest)
	case st == inCommentSingle:
		emit(tokComment, rest)
	case st == inCommentMulti, st == expectCommentOpener:
		emit(tokError, rest)
	}
	return out
}
