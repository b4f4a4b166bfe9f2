package output

import "strings"

// az colours jsonc and yamlc with Pygments: its JSON or YAML lexer splits
// the text into tokens, and the TerminalFormatter (light background
// palette) wraps every line of every token that has a colour in an SGR
// sequence and a reset. The token kinds below are the Pygments token
// types those lexers produce for az's output, with the colour the
// formatter gives each (inherited from the nearest parent type).
type tokenKind int

const (
	tokText         tokenKind = iota // no colour (Token, Punctuation, Literal.Scalar.Plain, ...)
	tokWhitespace                    // Text.Whitespace: gray
	tokNameTag                       // Name.Tag: brightblue
	tokString                        // Literal.String and children: yellow
	tokNumber                        // Literal.Number and children: blue
	tokKeyword                       // Keyword and children (Keyword.Constant): blue
	tokNameVariable                  // Name.Variable: red
	tokNameConstant                  // Name.Constant: red
	tokNamespace                     // Name.Namespace: underlined cyan
	tokKeywordType                   // Keyword.Type: cyan
	tokComment                       // Comment: gray
	tokError                         // Error: underlined brightred
)

const sgrReset = "\x1b[39;49;00m"

var tokenColor = map[tokenKind]string{
	tokWhitespace:   "\x1b[37m",
	tokNameTag:      "\x1b[94m",
	tokString:       "\x1b[33m",
	tokNumber:       "\x1b[34m",
	tokKeyword:      "\x1b[34m",
	tokNameVariable: "\x1b[31m",
	tokNameConstant: "\x1b[31m",
	tokNamespace:    "\x1b[04m\x1b[36m",
	tokKeywordType:  "\x1b[36m",
	tokComment:      "\x1b[37m",
	tokError:        "\x1b[04m\x1b[91m",
}

type token struct {
	kind tokenKind
	text string
}

// lexerInput is what a Pygments lexer does to its input before lexing:
// drop a byte order mark, normalise line ends, strip leading and trailing
// newlines and end the text with one.
func lexerInput(text string) string {
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.Trim(text, "\n")
	return text + "\n"
}

// writeTerminal renders tokens the way Pygments' TerminalFormatter does.
func writeTerminal(b *strings.Builder, tokens []token) {
	for _, t := range tokens {
		color := tokenColor[t.kind]
		for _, line := range pySplitLines(t.text, true) {
			body := strings.TrimRight(line, "\n")
			if color != "" {
				b.WriteString(color)
				b.WriteString(body)
				b.WriteString(sgrReset)
			} else {
				b.WriteString(body)
			}
			if strings.HasSuffix(line, "\n") {
				b.WriteByte('\n')
			}
		}
	}
}
