package output

import (
	"strings"
	"unicode"
)

// lexYAML splits YAML text into tokens the way Pygments' YamlLexer does,
// so that yamlc colours exactly what az colours. That lexer is a stack of
// regular-expression states that also tracks indentation; each state
// below tries its rules in the lexer's order. A character no rule of the
// current state accepts becomes an Error token (a newline instead resets
// the stack to the root state), as in Pygments.
func lexYAML(text string) []token {
	l := &yamlLexer{
		r:           []rune(text),
		stack:       []string{"root"},
		indent:      -1,
		blockIndent: -1,
	}
	for {
		if l.step() {
			continue
		}
		if l.pos >= len(l.r) {
			break
		}
		if l.r[l.pos] == '\n' {
			l.stack = []string{"root"}
			l.emit(tokText, l.pos, l.pos+1)
			continue
		}
		l.emit(tokError, l.pos, l.pos+1)
	}
	return l.out
}

type yamlLexer struct {
	r     []rune
	pos   int
	stack []string
	out   []token

	// The lexer's indentation context.
	indentStack []int
	indent      int
	nextIndent  int
	blockIndent int // block scalar indentation, -1 for none
}

// emit appends the token r[a:b] and moves past it.
func (l *yamlLexer) emit(k tokenKind, a, b int) {
	if b > a {
		l.out = append(l.out, token{k, string(l.r[a:b])})
	}
	l.pos = b
}

func (l *yamlLexer) push(states ...string) { l.stack = append(l.stack, states...) }

// pop leaves n states, keeping the root state, like a '#pop:n' rule.
func (l *yamlLexer) pop(n int) {
	if n >= len(l.stack) {
		l.stack = l.stack[:1]
	} else {
		l.stack = l.stack[:len(l.stack)-n]
	}
}

// rawPop removes the top state, as the indentation callbacks do.
func (l *yamlLexer) rawPop() {
	if len(l.stack) > 0 {
		l.stack = l.stack[:len(l.stack)-1]
	}
}

func (l *yamlLexer) at(p int, r rune) bool { return p < len(l.r) && l.r[p] == r }

func (l *yamlLexer) atAny(p int, set string) bool {
	return p < len(l.r) && strings.ContainsRune(set, l.r[p])
}

// lineEnd is the multiline $: the end of the text or before a newline.
func (l *yamlLexer) lineEnd(p int) bool { return p >= len(l.r) || l.r[p] == '\n' }

// lineStart is the multiline ^.
func (l *yamlLexer) lineStart(p int) bool { return p == 0 || (p <= len(l.r) && l.r[p-1] == '\n') }

// spaceOrEnd is the lookahead (?=[ ]|$).
func (l *yamlLexer) spaceOrEnd(p int) bool { return l.at(p, ' ') || l.lineEnd(p) }

// run returns the end of the run of characters from p that satisfy ok.
func (l *yamlLexer) run(p int, ok func(rune) bool) int {
	for p < len(l.r) && ok(l.r[p]) {
		p++
	}
	return p
}

func (l *yamlLexer) spaces(p int) int { return l.run(p, func(r rune) bool { return r == ' ' }) - p }

func (l *yamlLexer) hasPrefix(p int, s string) bool {
	rs := []rune(s)
	if p+len(rs) > len(l.r) {
		return false
	}
	for i, r := range rs {
		if l.r[p+i] != r {
			return false
		}
	}
	return true
}

// isWord is Python's \w.
func isWord(r rune) bool {
	return r == '_' || unicode.In(r, unicode.L, unicode.N)
}

func (l *yamlLexer) step() bool {
	switch l.stack[len(l.stack)-1] {
	case "root":
		return l.root()
	case "ignored-line":
		return l.ignoredLine()
	case "yaml-directive":
		return l.yamlDirective()
	case "tag-directive":
		return l.tagDirective()
	case "indentation":
		return l.indentation()
	case "block-line":
		return l.blockLine()
	case "flow-sequence":
		return l.flowCollection(']')
	case "flow-mapping":
		return l.flowCollection('}')
	case "block-scalar-content":
		return l.blockScalarContent()
	case "block-scalar-header":
		return l.blockScalarHeader()
	case "single-quoted-scalar":
		return l.quotedScalar('\'')
	case "double-quoted-scalar":
		return l.quotedScalar('"')
	case "plain-scalar-in-block-context-new-line":
		return l.plainNewLine()
	case "plain-scalar-in-block-context":
		return l.plainInBlock()
	case "plain-scalar-in-flow-context":
		return l.plainInFlow()
	}
	return false
}

func (l *yamlLexer) resetIndent(k tokenKind, a, b int) {
	l.indentStack = nil
	l.indent = -1
	l.nextIndent = 0
	l.blockIndent = -1
	l.out = append(l.out, token{k, string(l.r[a:b])})
	l.pos = b
}

// saveIndent records a possible indentation level.
func (l *yamlLexer) saveIndent(start bool, a, b int) {
	text := l.r[a:b]
	var extra []rune
	if start {
		l.nextIndent = len(text)
		if l.nextIndent < l.indent {
			for l.nextIndent < l.indent {
				l.indent = l.indentStack[len(l.indentStack)-1]
				l.indentStack = l.indentStack[:len(l.indentStack)-1]
			}
			if l.nextIndent > l.indent {
				// Python slices, where -1 counts from the end.
				cut := l.indent
				if cut < 0 {
					cut = max(len(text)+cut, 0)
				}
				cut = min(cut, len(text))
				extra = text[cut:]
				text = text[:cut]
			}
		}
	} else {
		l.nextIndent += len(text)
	}
	if len(text) > 0 {
		l.out = append(l.out, token{tokWhitespace, string(text)})
	}
	if len(extra) > 0 {
		l.out = append(l.out, token{tokWhitespace, string(extra)})
	}
	l.pos = b
}

// setIndent makes the saved indentation level current.
func (l *yamlLexer) setIndent(k tokenKind, implicit bool, a, b int) {
	if l.indent < l.nextIndent {
		l.indentStack = append(l.indentStack, l.indent)
		l.indent = l.nextIndent
	}
	if !implicit {
		l.nextIndent += b - a
	}
	l.out = append(l.out, token{k, string(l.r[a:b])})
	l.pos = b
}

func (l *yamlLexer) root() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case k > 0 && (l.at(p+k, '#') || l.lineEnd(p+k)):
		l.emit(tokWhitespace, p, p+k)
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, l.run(p, func(r rune) bool { return r == '\n' }))
	case l.at(p, '#'):
		l.comment(p)
	case l.lineStart(p) && l.hasPrefix(p, "%YAML") && l.spaceOrEnd(p+5):
		l.resetIndent(tokNameTag, p, p+5)
		l.push("yaml-directive")
	case l.lineStart(p) && l.hasPrefix(p, "%TAG") && l.spaceOrEnd(p+4):
		l.resetIndent(tokNameTag, p, p+4)
		l.push("tag-directive")
	case l.lineStart(p) && (l.hasPrefix(p, "---") || l.hasPrefix(p, "...")) && l.spaceOrEnd(p+3):
		l.resetIndent(tokNamespace, p, p+3)
		l.push("block-line")
	case !l.lineEnd(p+k) && !pyIsSpace(l.r[p+k]):
		l.saveIndent(true, p, p+k)
		l.push("block-line", "indentation")
	default:
		return false
	}
	return true
}

func (l *yamlLexer) comment(p int) {
	l.emit(tokComment, p, l.run(p, func(r rune) bool { return r != '\n' }))
}

func (l *yamlLexer) ignoredLine() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case k > 0 && (l.at(p+k, '#') || l.lineEnd(p+k)):
		l.emit(tokWhitespace, p, p+k)
	case l.at(p, '#'):
		l.comment(p)
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, p+1)
		l.pop(2)
	default:
		return false
	}
	return true
}

func (l *yamlLexer) yamlDirective() bool {
	p := l.pos
	k := l.spaces(p)
	isDigit := func(r rune) bool { return r >= '0' && r <= '9' }
	d1 := l.run(p+k, isDigit)
	if k == 0 || d1 == p+k || !l.at(d1, '.') {
		return false
	}
	d2 := l.run(d1+1, isDigit)
	if d2 == d1+1 {
		return false
	}
	l.emit(tokWhitespace, p, p+k)
	l.emit(tokNumber, p+k, d2)
	l.push("ignored-line")
	return true
}

func (l *yamlLexer) tagDirective() bool {
	p := l.pos
	k1 := l.spaces(p)
	if k1 == 0 || !l.at(p+k1, '!') {
		return false
	}
	handle := p + k1 + 1
	if e := l.run(handle, func(r rune) bool { return isWord(r) || r == '-' }); l.at(e, '!') {
		handle = e + 1
	}
	k2 := l.spaces(handle)
	if k2 == 0 {
		return false
	}
	q := handle + k2
	prefixStart := q
	if l.at(q, '!') {
		q++
	}
	e := l.run(q, func(r rune) bool { return isWord(r) || strings.ContainsRune(";/?:@&=+$,.!~*'()[]%-", r) })
	if e == q && !(l.at(prefixStart, '!') && q == prefixStart+1) {
		return false
	}
	l.emit(tokWhitespace, p, p+k1)
	l.emit(tokKeywordType, p+k1, handle)
	l.emit(tokWhitespace, handle, handle+k2)
	l.emit(tokKeywordType, prefixStart, e)
	l.push("ignored-line")
	return true
}

func (l *yamlLexer) indentation() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case l.lineEnd(p + k):
		l.emit(tokWhitespace, p, p+k)
		l.pop(2)
	case k > 0 && l.atAny(p+k, "?:-") && l.spaceOrEnd(p+k+1):
		l.saveIndent(false, p, p+k)
	case l.atAny(p, "?:-") && l.spaceOrEnd(p+1):
		l.setIndent(tokText, false, p, p+1)
	default:
		l.saveIndent(false, p, p+k)
		l.pop(1)
	}
	return true
}

func (l *yamlLexer) blockLine() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case l.at(p+k, '#') || l.lineEnd(p+k):
		l.emit(tokWhitespace, p, p+k)
		l.pop(1)
		return true
	case k > 0:
		l.emit(tokWhitespace, p, p+k)
		return true
	}
	// ([^#,?\[\]{}"'\n]+)(:)(?=[ ]|$): the key runs to the last ': '.
	end := l.run(p, func(r rune) bool { return !strings.ContainsRune("#,?[]{}\"'\n", r) })
	for c := end - 1; c > p; c-- {
		if l.r[c] == ':' && l.spaceOrEnd(c+1) {
			l.emit(tokNameTag, p, c)
			l.setIndent(tokText, true, c, c+1)
			return true
		}
	}
	if l.descriptor(p) {
		return true
	}
	switch {
	case l.at(p, ':') && l.spaceOrEnd(p+1):
		l.setIndent(tokText, true, p, p+1)
		return true
	case l.atAny(p, "|>"):
		l.emit(tokText, p, p+1)
		l.push("block-scalar-content", "block-scalar-header")
		return true
	}
	if l.flowNode(p) {
		return true
	}
	if p < len(l.r) {
		c := l.r[p]
		if (!pyIsSpace(c) && !strings.ContainsRune("?:,[]{}#&*!|>'\"%@`-", c)) ||
			(strings.ContainsRune("?:-", c) && p+1 < len(l.r) && !pyIsSpace(l.r[p+1])) {
			l.push("plain-scalar-in-block-context")
			return true
		}
	}
	return false
}

// descriptor matches tags, anchors and aliases.
func (l *yamlLexer) descriptor(p int) bool {
	uriChar := func(r rune) bool { return isWord(r) || strings.ContainsRune("#;/?:@&=+$,.!~*'()[]%-", r) }
	wordDash := func(r rune) bool { return isWord(r) || r == '-' }
	switch {
	case l.at(p, '!') && l.at(p+1, '<'):
		if e := l.run(p+2, uriChar); e > p+2 && l.at(e, '>') {
			l.emit(tokKeywordType, p, e+1)
			return true
		}
		fallthrough
	case l.at(p, '!'):
		l.emit(tokKeywordType, p, l.run(p+1, uriChar))
		return true
	case l.at(p, '&'):
		if e := l.run(p+1, wordDash); e > p+1 {
			l.emit(tokText, p, e)
			return true
		}
	case l.at(p, '*'):
		if e := l.run(p+1, wordDash); e > p+1 {
			l.emit(tokNameVariable, p, e)
			return true
		}
	}
	return false
}

func (l *yamlLexer) flowNode(p int) bool {
	switch {
	case l.at(p, '['):
		l.emit(tokText, p, p+1)
		l.push("flow-sequence")
	case l.at(p, '{'):
		l.emit(tokText, p, p+1)
		l.push("flow-mapping")
	case l.at(p, '\''):
		l.emit(tokString, p, p+1)
		l.push("single-quoted-scalar")
	case l.at(p, '"'):
		l.emit(tokString, p, p+1)
		l.push("double-quoted-scalar")
	default:
		return false
	}
	return true
}

func (l *yamlLexer) flowCollection(closing rune) bool {
	p := l.pos
	if closing == '}' {
		// ([^,:?\[\]{}"'\n]+)(:)(?=[ ]|$)
		end := l.run(p, func(r rune) bool { return !strings.ContainsRune(",:?[]{}\"'\n", r) })
		if end > p && l.at(end, ':') && l.spaceOrEnd(end+1) {
			l.emit(tokNameTag, p, end)
			l.emit(tokText, end, end+1)
			return true
		}
	}
	k := l.spaces(p)
	switch {
	case k > 0:
		l.emit(tokWhitespace, p, p+k)
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, l.run(p, func(r rune) bool { return r == '\n' }))
	case l.at(p, '#'):
		l.comment(p)
	case l.atAny(p, "?:,"):
		l.emit(tokText, p, p+1)
	case l.descriptor(p), l.flowNode(p):
	case p < len(l.r) && !pyIsSpace(l.r[p]) && !strings.ContainsRune("?:,[]{}#&*!|>'\"%@`", l.r[p]):
		l.push("plain-scalar-in-flow-context")
	case l.at(p, closing):
		l.emit(tokText, p, p+1)
		l.pop(1)
	default:
		return false
	}
	return true
}

func (l *yamlLexer) blockScalarContent() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, p+1)
	case l.lineStart(p) && k > 0 && l.lineEnd(p+k):
		// An empty line of the block scalar.
		if l.blockIndent < 0 || k <= l.blockIndent {
			l.emit(tokWhitespace, p, p+k)
		} else {
			l.emit(tokWhitespace, p, p+l.blockIndent)
			l.emit(tokNameConstant, p+l.blockIndent, p+k)
		}
	case l.lineStart(p):
		// Indentation of the block scalar: less than its own ends it.
		if l.blockIndent < 0 {
			if k <= max(l.indent, 0) {
				l.rawPop()
				l.rawPop()
				return true
			}
			l.blockIndent = k
		} else if k < l.blockIndent {
			l.rawPop()
			l.rawPop()
			return true
		}
		l.emit(tokWhitespace, p, p+k)
	case p < len(l.r) && (!pyIsSpace(l.r[p]) || l.r[p] == '\t' || l.r[p] == ' '):
		l.emit(tokNameConstant, p, l.run(p, func(r rune) bool { return !pyIsSpace(r) || r == '\t' || r == ' ' }))
	default:
		return false
	}
	return true
}

func (l *yamlLexer) blockScalarHeader() bool {
	p := l.pos
	isIndicatorDigit := func(q int) bool { return q < len(l.r) && l.r[q] >= '1' && l.r[q] <= '9' }
	// ([1-9])?[+-]?(?=[ ]|$), then [+-]?([1-9])?(?=[ ]|$)
	try := func(digitFirst bool) (int, int, bool) {
		q, digit := p, -1
		if digitFirst && isIndicatorDigit(q) {
			digit = q
			q++
		}
		if l.atAny(q, "+-") {
			q++
		}
		if !digitFirst && isIndicatorDigit(q) {
			digit = q
			q++
		}
		if l.spaceOrEnd(q) {
			return q, digit, true
		}
		// The optional parts may also match nothing.
		if l.spaceOrEnd(p) {
			return p, -1, true
		}
		return 0, 0, false
	}
	end, digit, ok := try(true)
	if !ok {
		end, digit, ok = try(false)
	}
	if !ok {
		return false
	}
	l.blockIndent = -1
	if end > p {
		if digit >= 0 {
			l.blockIndent = max(l.indent, 0) + int(l.r[digit]-'0')
		}
		l.emit(tokText, p, end)
	}
	l.push("ignored-line")
	return true
}

// quotedScalar lexes inside '...' or "...".
func (l *yamlLexer) quotedScalar(quote rune) bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case l.lineStart(p) && k > 0:
		l.emit(tokWhitespace, p, p+k)
	case k > 0 && l.lineEnd(p+k):
		l.emit(tokWhitespace, p, p+k)
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, l.run(p, func(r rune) bool { return r == '\n' }))
	case k > 0:
		l.emit(tokNameVariable, p, p+k)
	case quote == '\'' && l.at(p, '\'') && l.at(p+1, '\''):
		l.emit(tokString, p, p+2)
	case quote == '"' && l.at(p, '\\') && l.atAny(p+1, "0abt\tn\nvfre \"\\N_LP"):
		l.emit(tokString, p, p+2)
	case quote == '"' && l.at(p, '\\') && l.hexEscape(p+1) > 0:
		l.emit(tokString, p, p+1+l.hexEscape(p+1))
	case p < len(l.r) && !pyIsSpace(l.r[p]) && l.r[p] != quote && !(quote == '"' && l.r[p] == '\\'):
		l.emit(tokString, p, l.run(p, func(r rune) bool {
			return !pyIsSpace(r) && r != quote && !(quote == '"' && r == '\\')
		}))
	case l.at(p, quote):
		l.emit(tokString, p, p+1)
		l.pop(1)
	default:
		return false
	}
	return true
}

// hexEscape returns the length of x.., u.... or U........ at p, or 0.
func (l *yamlLexer) hexEscape(p int) int {
	n := 0
	switch {
	case l.at(p, 'x'):
		n = 2
	case l.at(p, 'u'):
		n = 4
	case l.at(p, 'U'):
		n = 8
	default:
		return 0
	}
	for i := 1; i <= n; i++ {
		if !l.atAny(p+i, "0123456789abcdefABCDEF") {
			return 0
		}
	}
	return n + 1
}

func (l *yamlLexer) plainInBlock() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case l.at(p+k, ':') && l.spaceOrEnd(p+k+1):
		l.emit(tokWhitespace, p, p+k)
		l.pop(1)
	case k > 0 && l.at(p+k, '#'):
		l.emit(tokWhitespace, p, p+k)
		l.pop(1)
	case k > 0 && l.lineEnd(p+k):
		l.emit(tokWhitespace, p, p+k)
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, l.run(p, func(r rune) bool { return r == '\n' }))
		l.push("plain-scalar-in-block-context-new-line")
	case k > 0:
		l.emit(tokText, p, p+k)
	default:
		// (?::(?!\s)|[^\s:])+
		q := p
		for q < len(l.r) {
			c := l.r[q]
			if c == ':' {
				if q+1 < len(l.r) && pyIsSpace(l.r[q+1]) {
					break
				}
			} else if pyIsSpace(c) {
				break
			}
			q++
		}
		if q == p {
			return false
		}
		l.emit(tokText, p, q)
	}
	return true
}

func (l *yamlLexer) plainNewLine() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case l.lineStart(p) && k > 0 && l.lineEnd(p+k):
		l.emit(tokWhitespace, p, p+k)
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, l.run(p, func(r rune) bool { return r == '\n' }))
	case l.lineStart(p) && (l.hasPrefix(p, "---") || l.hasPrefix(p, "...")):
		l.pop(3)
	case l.lineStart(p):
		if k <= l.indent {
			l.rawPop()
			l.rawPop()
		} else {
			l.emit(tokWhitespace, p, p+k)
		}
		l.pop(1)
	default:
		return false
	}
	return true
}

func (l *yamlLexer) plainInFlow() bool {
	p := l.pos
	k := l.spaces(p)
	switch {
	case l.atAny(p+k, ",:?[]{}"):
		l.emit(tokWhitespace, p, p+k)
		l.pop(1)
	case k > 0 && l.at(p+k, '#'):
		l.emit(tokWhitespace, p, p+k)
		l.pop(1)
	case l.lineStart(p) && k > 0:
		l.emit(tokWhitespace, p, p+k)
	case k > 0 && l.lineEnd(p+k):
		l.emit(tokWhitespace, p, p+k)
	case l.at(p, '\n'):
		l.emit(tokWhitespace, p, l.run(p, func(r rune) bool { return r == '\n' }))
	case k > 0:
		l.emit(tokNameVariable, p, p+k)
	default:
		q := l.run(p, func(r rune) bool { return !pyIsSpace(r) && !strings.ContainsRune(",:?[]{}", r) })
		if q == p {
			return false
		}
		l.emit(tokNameVariable, p, q)
	}
	return true
}
