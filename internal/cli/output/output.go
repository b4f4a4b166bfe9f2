// Package output renders command results the way az does: json, jsonc,
// table, tsv, yaml and none, after applying a JMESPath --query.
//
// The formats follow az (azure-cli on knack) byte for byte:
//
//   - json: Python's json.dumps(indent=2, sort_keys=True,
//     ensure_ascii=False) plus a newline. Keys are sorted at every level,
//     even when a query listed them in another order.
//   - jsonc: the json text coloured by Pygments (JSON lexer, terminal
//     formatter); plain json when Options.Color is false, as az does when
//     its output is not a terminal.
//   - yaml, yamlc: PyYAML's safe_dump(default_flow_style=False,
//     allow_unicode=True), and the same coloured by Pygments' YAML lexer.
//   - table: knack's auto table printed with tabulate's "simple" format
//     (see formatTable).
//   - tsv: knack's tab-separated rows (see formatTSV).
//   - none: nothing.
//
// The query is applied first (az applies it to the command result before
// formatting), with github.com/jmespath-community/go-jmespath, held to
// what az's Python jmespath does: its 26 functions only (with its argument
// checks and error wording), no arithmetic or let expressions, the
// deprecated `bare literal` strings, null from a multiselect on null and
// from a string slice, and the key order of {multiselect: hashes}, which
// az keeps in table and tsv output. A result that is null, or a query
// that yields null, prints nothing in every format, as in az.
//
// Numbers are float64 here: an integral value up to 2^53 prints as an
// integer (5, not 5.0), as Python prints the int json.loads read; other
// values print as Python prints a float (0.5, 1e-05, 1e+20). A float that
// happens to be integral (5.0 in the input, avg() of integers) therefore
// prints as an integer, where az prints 5.0.
package output

import (
	"fmt"
	"io"
	"strings"
)

// Options selects the format and the query.
type Options struct {
	Format string // json (default), jsonc, table, tsv, yaml, yamlc, none
	Query  string // JMESPath expression, empty for none
	Color  bool   // colorize jsonc/yamlc
}

// Formats are the values az accepts for --output, in az's order.
var Formats = []string{"json", "jsonc", "yaml", "yamlc", "table", "tsv", "none"}

// FormatError reports an --output value az does not accept. az rejects it
// while parsing its arguments, with exit status 2.
type FormatError struct {
	Format string
}

func (e *FormatError) Error() string {
	choices := make([]string, len(Formats))
	for i, f := range Formats {
		choices[i] = pyStrRepr(f)
	}
	return fmt.Sprintf("argument --output/-o: invalid choice: %s (choose from %s)",
		pyStrRepr(e.Format), strings.Join(choices, ", "))
}

// ExitCode is the exit status az ends with for this error.
func (e *FormatError) ExitCode() int { return 2 }

// ValidateFormat reports, as a *FormatError, whether az would reject
// format as an --output value. Like az it ignores case; "" means json.
func ValidateFormat(format string) error {
	_, err := normalizeFormat(format)
	return err
}

func normalizeFormat(format string) (string, error) {
	if format == "" {
		return "json", nil
	}
	f := strings.ToLower(format)
	for _, known := range Formats {
		if f == known {
			return f, nil
		}
	}
	return "", &FormatError{Format: format}
}

// Render writes result (a decoded JSON value: map[string]any, []any,
// string, float64, bool, nil) to w in the chosen format.
//
// result may also be JSON text (json.RawMessage), whose object keys keep
// their order, or any value encoding/json can marshal (a struct's fields
// keep their declaration order); numbers may be any Go integer or float
// type or json.Number. Key order shows only where az keeps it: the table
// columns of a result filtered by a query that does not rename the keys.
// Go maps have no order and are taken with sorted keys.
//
// An invalid query is a *QueryError (exit status 2 when Invalid, 1 when it
// fails on the data), an unknown format a *FormatError; in both cases
// nothing is written.
func Render(w io.Writer, result any, opts Options) error {
	format, err := normalizeFormat(opts.Format)
	if err != nil {
		return err
	}
	q, err := CompileQuery(opts.Query)
	if err != nil {
		return err
	}
	out, err := render(result, format, q, opts.Color)
	if err != nil || out == "" {
		return err
	}
	_, err = io.WriteString(w, out)
	return err
}

// RenderQuery is Render with a query compiled beforehand (by CompileQuery,
// typically while validating arguments); opts.Query is ignored. A nil q
// means no query.
func RenderQuery(w io.Writer, result any, q *Query, opts Options) error {
	format, err := normalizeFormat(opts.Format)
	if err != nil {
		return err
	}
	out, err := render(result, format, q, opts.Color)
	if err != nil || out == "" {
		return err
	}
	_, err = io.WriteString(w, out)
	return err
}

// render returns the text az prints for result.
func render(result any, format string, q *Query, color bool) (string, error) {
	order := orderTable{}
	data, err := normalize(result, order)
	if err != nil {
		return "", err
	}
	ko := &keyOrders{table: order}
	if q != nil {
		ko.hashes, ko.literals = q.hashes, q.literals
		data, err = q.search(data, ko)
		if err != nil {
			return "", err
		}
	}
	if data == nil {
		return "", nil
	}
	v := toModel(data, ko)
	switch format {
	case "json":
		return formatJSON(v), nil
	case "jsonc":
		if color {
			return formatJSONColor(v), nil
		}
		return formatJSON(v), nil
	case "yaml":
		return formatYAML(v), nil
	case "yamlc":
		if color {
			return formatYAMLColor(v), nil
		}
		return formatYAML(v), nil
	case "table":
		return formatTable(v, q != nil), nil
	case "tsv":
		return formatTSV(v), nil
	}
	return "", nil // none
}
