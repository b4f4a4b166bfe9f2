package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The golden files under testdata/golden were written by az's own code:
// testdata/regen_golden.py runs each case's input.json (and query) through
// knack's formatters the way az does. Each case directory holds the
// expected output of every format, or an error file with the message az
// reports for the query.

var goldenFormats = []string{"json", "jsonc", "yaml", "yamlc", "table", "tsv"}

type goldenCase struct {
	name   string
	dir    string
	input  []byte
	query  string
	hasQry bool
}

func loadGoldenCases(t *testing.T) []goldenCase {
	t.Helper()
	dirs, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		c := goldenCase{name: d.Name(), dir: filepath.Join("testdata", "golden", d.Name())}
		if c.input, err = os.ReadFile(filepath.Join(c.dir, "input.json")); err != nil {
			t.Fatal(err)
		}
		if q, err := os.ReadFile(filepath.Join(c.dir, "query")); err == nil {
			c.query, c.hasQry = string(q), true
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	return cases
}

func renderString(t *testing.T, result any, opts Options) (string, error) {
	t.Helper()
	var b bytes.Buffer
	err := Render(&b, result, opts)
	return b.String(), err
}

func TestGolden(t *testing.T) {
	for _, c := range loadGoldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if want, err := os.ReadFile(filepath.Join(c.dir, "error")); err == nil {
				checkGoldenError(t, c, string(want))
				return
			}
			for _, format := range goldenFormats {
				want, err := os.ReadFile(filepath.Join(c.dir, format))
				if err != nil {
					t.Fatal(err)
				}
				got, err := renderString(t, json.RawMessage(c.input), Options{Format: format, Query: c.query, Color: true})
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if got != string(want) {
					t.Errorf("%s:\n got: %q\nwant: %q", format, got, want)
				}
			}
			got, err := renderString(t, json.RawMessage(c.input), Options{Format: "none", Query: c.query})
			if err != nil || got != "" {
				t.Errorf("none: got %q, %v; want nothing", got, err)
			}
		})
	}
}

func checkGoldenError(t *testing.T, c goldenCase, want string) {
	t.Helper()
	for _, format := range append(goldenFormats, "none") {
		got, err := renderString(t, json.RawMessage(c.input), Options{Format: format, Query: c.query, Color: true})
		if got != "" {
			t.Errorf("%s: wrote %q with a failing query", format, got)
		}
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Fatalf("%s: error %v, want a *QueryError", format, err)
		}
		if qe.Error() != want {
			t.Errorf("%s: error\n got: %q\nwant: %q", format, qe.Error(), want)
		}
		wantCode := 1
		if strings.HasPrefix(want, "argument --query:") {
			wantCode = 2
		}
		if qe.ExitCode() != wantCode || qe.Invalid != (wantCode == 2) {
			t.Errorf("%s: exit code %d (invalid %v), want %d", format, qe.ExitCode(), qe.Invalid, wantCode)
		}
	}
	if qErr := ValidateQuery(c.query); (qErr != nil) != strings.HasPrefix(want, "argument --query:") {
		t.Errorf("ValidateQuery(%q) = %v", c.query, qErr)
	}
}

// TestGoldenGoValues renders the query-less cases from the generic Go
// values encoding/json decodes (maps without key order): az's formats
// sort keys wherever a command result's keys are printed, so the output
// is the same.
func TestGoldenGoValues(t *testing.T) {
	for _, c := range loadGoldenCases(t) {
		if c.hasQry {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal(c.input, &v); err != nil {
				t.Fatal(err)
			}
			for _, format := range goldenFormats {
				want, err := os.ReadFile(filepath.Join(c.dir, format))
				if err != nil {
					t.Fatal(err)
				}
				got, err := renderString(t, v, Options{Format: format, Color: true})
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if got != string(want) {
					t.Errorf("%s:\n got: %q\nwant: %q", format, got, want)
				}
			}
		})
	}
}

// TestReferenceCorpus checks testdata/reference.jsonl: generated results
// (odd keys and strings, nesting, every scalar type) and queries (valid,
// invalid and failing), with az's output for each, from regen_golden.py.
func TestReferenceCorpus(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "reference.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	n := 0
	for dec.More() {
		var c struct {
			Name    string            `json:"name"`
			Input   string            `json:"input"`
			Query   *string           `json:"query"`
			Error   string            `json:"error"`
			Outputs map[string]string `json:"outputs"`
		}
		if err := dec.Decode(&c); err != nil {
			t.Fatal(err)
		}
		n++
		query := ""
		if c.Query != nil {
			query = *c.Query
		}
		for _, format := range goldenFormats {
			got, err := renderString(t, json.RawMessage(c.Input), Options{Format: format, Query: query, Color: true})
			if c.Error != "" {
				if err == nil || err.Error() != c.Error || got != "" {
					t.Errorf("%s %s --query %q: got %q, %v; want error %q", c.Name, format, query, got, err, c.Error)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %s --query %q: %v", c.Name, format, query, err)
				continue
			}
			if want := c.Outputs[format]; got != want {
				t.Errorf("%s %s --query %q:\n got: %q\nwant: %q", c.Name, format, query, got, want)
			}
		}
	}
	if n == 0 {
		t.Fatal("empty corpus")
	}
}
