package output

import "strings"

// formatTSV is az's tsv output. The result (a list, or one value taken as
// a list of one) gives one line per item:
//
//   - a dict gives its values, tab-separated: in key order for a map a
//     query built (an OrderedDict), sorted by key for the dicts of the
//     command result; a list gives its items;
//   - inside such a row a nested dict prints as nothing and a nested list
//     as its length; other values print as Python's str() spells them
//     (True, False, None);
//   - any other item prints alone, a boolean in lower case (true, false),
//     null as None.
//
// Strings are written as they are, tabs and newlines included.
func formatTSV(v any) string {
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	var b strings.Builder
	for _, item := range items {
		switch t := item.(type) {
		case *object:
			keys := t.keys
			if !t.ordered {
				keys = t.sorted()
			}
			for i, k := range keys {
				if i > 0 {
					b.WriteByte('\t')
				}
				writeTSVCell(&b, t.vals[k])
			}
		case []any:
			for i, e := range t {
				if i > 0 {
					b.WriteByte('\t')
				}
				writeTSVCell(&b, e)
			}
		case bool:
			if t {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
		default:
			writeTSVCell(&b, t)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func writeTSVCell(b *strings.Builder, v any) {
	switch t := v.(type) {
	case []any:
		b.WriteString(pyNumber(float64(len(t))))
	case *object:
	default:
		b.WriteString(pyStr(t))
	}
}
