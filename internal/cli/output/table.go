package output

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// tableSkipKeys are the keys az's table output never shows.
var tableSkipKeys = map[string]bool{"id": true, "type": true, "etag": true}

// tableRow is one row of az's auto table: column name to value, in order.
type tableRow struct {
	keys []string
	vals map[string]any
}

func (r *tableRow) set(k string, v any) {
	if r.vals == nil {
		r.vals = map[string]any{}
	}
	if _, ok := r.vals[k]; !ok {
		r.keys = append(r.keys, k)
	}
	r.vals[k] = v
}

// formatTable is az's table output (knack's auto table printed by
// tabulate's "simple" format). The result, or a list of one if it is not
// a list, gives one row per item:
//
//   - a dict gives a column per key, except keys id, type and etag and
//     keys whose value is null, a list or a dict; the column is the key
//     with its first letter upper-cased. Without a query the keys are
//     sorted; with one they keep their order (the query's order for
//     {Name: name, ...}).
//   - a list gives columns Column1, Column2, ... with all its values;
//   - any other value gives a column Result.
//
// Columns are the union of the rows' columns, in order of appearance. All
// cells are left-aligned, stripped of surrounding whitespace and padded to
// the column width, which is the widest cell or the header plus two; the
// header is underlined with dashes and columns are two spaces apart.
func formatTable(v any, queryActive bool) string {
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	if len(items) == 0 {
		return "\n"
	}
	rows := make([]*tableRow, len(items))
	for i, item := range items {
		rows[i] = autoTableRow(item, !queryActive)
	}
	var headers []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, k := range r.keys {
			if !seen[k] {
				seen[k] = true
				headers = append(headers, k)
			}
		}
	}
	if len(headers) == 0 {
		return "\n"
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = make([]string, len(headers))
		for j, h := range headers {
			if v, ok := r.vals[h]; ok && v != nil {
				cells[i][j] = pyStr(v)
			}
		}
	}
	return tabulateSimple(headers, cells) + "\n"
}

func autoTableRow(item any, sortKeys bool) *tableRow {
	r := &tableRow{}
	switch t := item.(type) {
	case *object:
		keys := t.keys
		if sortKeys {
			keys = t.sorted()
		}
		for _, k := range keys {
			if tableSkipKeys[k] {
				continue
			}
			switch t.vals[k].(type) {
			case nil, []any, *object:
				continue
			}
			r.set(capitalizeFirst(k), t.vals[k])
		}
	case []any:
		for i, e := range t {
			r.set("Column"+strconv.Itoa(i+1), e)
		}
	default:
		r.set("Result", t)
	}
	return r
}

// capitalizeFirst upper-cases the first character, as x[0].upper() + x[1:].
func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return pyUpper(r) + s[n:]
}

// pyUpper is Python's str.upper() of one character, including the
// characters whose upper case is longer.
func pyUpper(r rune) string {
	switch r {
	case 'ß':
		return "SS"
	case 'ŉ':
		return "ʼN"
	case 'ﬀ':
		return "FF"
	case 'ﬁ':
		return "FI"
	case 'ﬂ':
		return "FL"
	}
	return string(unicode.ToUpper(r))
}

var (
	// ANSI colour codes and terminal hyperlinks, which tabulate does not
	// count in a cell's width.
	invisibleCodes = regexp.MustCompile(`\x1b\[\d+[;\d]*m|\x1b\[\d*;\d*;\d*m|\x1b\]8;;(.*?)\x1b\\`)
	invisibleLinks = regexp.MustCompile(`\x1b]8;[a-zA-Z0-9:]*;[^\x1b]+\x1b\\([^\x1b]+)\x1b]8;;\x1b\\`)
	lineCodes      = regexp.MustCompile("[\r\n]")
)

// tabulateSimple is tabulate(rows, headers, tablefmt="simple",
// disable_numparse=True) for string cells ("" for a missing value), with
// wide characters counted as two columns.
func tabulateSimple(headers []string, rows [][]string) string {
	var all strings.Builder
	all.WriteString(strings.Join(headers, "\t"))
	for _, r := range rows {
		all.WriteByte('\t')
		all.WriteString(strings.Join(r, "\t"))
	}
	plain := all.String()
	invisible := invisibleCodes.MatchString(plain) || invisibleLinks.MatchString(plain)
	multiline := strings.ContainsAny(plain, "\r\n")

	lineWidth := func(s string) int {
		if invisible {
			s = stripInvisible(s)
		}
		return wcswidth(s)
	}
	// cellWidth is the width tabulate compares: the widest line of a
	// multiline cell.
	cellWidth := func(s string) int {
		if !multiline {
			return lineWidth(s)
		}
		w := 0
		for i, line := range lineCodes.Split(s, -1) {
			if lw := lineWidth(line); i == 0 || lw > w {
				w = lw
			}
		}
		return w
	}

	ncols := len(headers)
	colWidths := make([]int, ncols)
	padded := make([][]string, len(rows))
	for i := range rows {
		padded[i] = make([]string, ncols)
	}
	for j := 0; j < ncols; j++ {
		minw := cellWidth(headers[j]) + 2
		maxw := minw
		col := make([]string, len(rows))
		for i, r := range rows {
			col[i] = pyStrip(r[j])
			if multiline {
				for _, line := range lineCodes.Split(col[i], -1) {
					maxw = max(maxw, lineWidth(line))
				}
			} else {
				maxw = max(maxw, lineWidth(col[i]))
			}
		}
		w := minw
		for i, s := range col {
			if multiline {
				padded[i][j] = padMultiline(s, maxw, lineWidth)
			} else {
				padded[i][j] = padRight(s, maxw, lineWidth(s))
			}
			w = max(w, cellWidth(padded[i][j]))
		}
		colWidths[j] = w
	}
	headerCells := make([]string, ncols)
	for j, h := range headers {
		if multiline {
			var lines []string
			for _, line := range splitHeaderLines(h) {
				lines = append(lines, padRight(line, colWidths[j], lineWidth(line)))
			}
			headerCells[j] = strings.Join(lines, "\n")
		} else {
			headerCells[j] = padRight(h, colWidths[j], lineWidth(h))
		}
	}

	var lines []string
	appendRow := func(cells []string) {
		if !multiline {
			lines = append(lines, simpleRow(cells))
			return
		}
		cellLines := make([][]string, len(cells))
		n := 0
		for j, c := range cells {
			cellLines[j] = pySplitLines(c, false)
			n = max(n, len(cellLines[j]))
		}
		for j := range cellLines {
			for len(cellLines[j]) < n {
				cellLines[j] = append(cellLines[j], strings.Repeat(" ", colWidths[j]))
			}
		}
		for k := 0; k < n; k++ {
			line := make([]string, len(cells))
			for j := range cells {
				line[j] = cellLines[j][k]
			}
			lines = append(lines, simpleRow(line))
		}
	}
	appendRow(headerCells)
	dashes := make([]string, ncols)
	for j, w := range colWidths {
		dashes[j] = strings.Repeat("-", max(w, 0))
	}
	lines = append(lines, simpleRow(dashes))
	for _, r := range padded {
		appendRow(r)
	}
	return strings.Join(lines, "\n")
}

// simpleRow joins cells two spaces apart, without trailing whitespace.
func simpleRow(cells []string) string {
	return strings.TrimRightFunc(strings.Join(cells, "  "), pyIsSpace)
}

// padRight pads s, whose display width is w, to width columns the way
// tabulate does: it asks Python's format() for width-w+len(s) characters,
// so a width of -1 (a control character) pads one space too many.
func padRight(s string, width, w int) string {
	n := width - w
	if n <= 0 {
		return s
	}
	return s + strings.Repeat(" ", n)
}

// padMultiline pads each line of a multiline cell. Like tabulate, it
// takes widths from the cell split at every \r and \n but pads the lines
// of str.splitlines(), pairing them in order; an empty cell stays empty.
func padMultiline(s string, width int, lineWidth func(string) int) string {
	parts := lineCodes.Split(s, -1)
	lines := pySplitLines(s, false)
	var out []string
	for i, line := range lines {
		if i >= len(parts) {
			break
		}
		target := width - (lineWidth(parts[i]) - utf8.RuneCountInString(parts[i]))
		out = append(out, padTo(line, target))
	}
	return strings.Join(out, "\n")
}

// padTo is Python's "{0:<N}".format(s).
func padTo(s string, n int) string {
	if k := n - utf8.RuneCountInString(s); k > 0 {
		return s + strings.Repeat(" ", k)
	}
	return s
}

// splitHeaderLines splits a header at each \r and \n, as tabulate's
// re.split(r"\r|\n|\r\n") does.
func splitHeaderLines(h string) []string {
	return lineCodes.Split(h, -1)
}

func stripInvisible(s string) string {
	s = invisibleLinks.ReplaceAllString(s, "$1")
	return invisibleCodes.ReplaceAllString(s, "")
}

// wcswidth is the display width of s as Python's wcwidth.wcswidth counts
// it: East Asian wide and fullwidth characters take two columns,
// combining, format and line separator characters none, and a control character makes the
// whole width -1.
func wcswidth(s string) int {
	total := 0
	for _, r := range s {
		w := wcwidth(r)
		if w < 0 {
			return -1
		}
		total += w
	}
	return total
}

func wcwidth(r rune) int {
	switch {
	case r == 0:
		return 0
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return -1
	case r < 0x300:
		return 1
	case r == 0x200b || (r >= 0x1160 && r <= 0x11ff):
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Zl, unicode.Zp):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
