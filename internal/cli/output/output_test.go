package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// The az output the expectations below quote was produced by az's own code
// (knack's formatters, Python's jmespath), like the golden files.

func mustRender(t *testing.T, result any, opts Options) string {
	t.Helper()
	out, err := renderString(t, result, opts)
	if err != nil {
		t.Fatalf("Render(%+v): %v", opts, err)
	}
	return out
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The seed: az feature list -o table --query "[?contains(name, ...)].{Name:name,State:properties.state}".
func TestFeatureListTable(t *testing.T) {
	features := decodeJSON(t, `[
		{"id": "/subscriptions/x/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKSPrivateLinkPreview",
		 "name": "Microsoft.ContainerService/AKSPrivateLinkPreview", "properties": {"state": "Registered"},
		 "type": "Microsoft.Features/providers/features"},
		{"id": "/subscriptions/x/providers/Microsoft.Features/providers/Microsoft.Network/features/Other",
		 "name": "Microsoft.Network/Other", "properties": {"state": "NotRegistered"},
		 "type": "Microsoft.Features/providers/features"}]`)
	got := mustRender(t, features, Options{
		Format: "table",
		Query:  "[?contains(name, 'Microsoft.ContainerService/AKSPrivateLinkPreview')].{Name:name,State:properties.state}",
	})
	want := "Name                                              State\n" +
		"------------------------------------------------  ----------\n" +
		"Microsoft.ContainerService/AKSPrivateLinkPreview  Registered\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestFormats(t *testing.T) {
	v := decodeJSON(t, `{"name": "pe", "count": 2}`)
	jsonOut := "{\n  \"count\": 2,\n  \"name\": \"pe\"\n}\n"
	for _, tc := range []struct{ format, want string }{
		{"", jsonOut},
		{"json", jsonOut},
		{"JSON", jsonOut},
		{"jsonc", jsonOut}, // Color off: plain, as az does off a terminal
		{"yaml", "count: 2\nname: pe\n"},
		{"yamlc", "count: 2\nname: pe\n"},
		{"Table", "Count    Name\n-------  ------\n2        pe\n"},
		{"tsv", "2\tpe\n"},
		{"none", ""},
	} {
		if got := mustRender(t, v, Options{Format: tc.format}); got != tc.want {
			t.Errorf("format %q: got %q, want %q", tc.format, got, tc.want)
		}
	}
}

func TestColor(t *testing.T) {
	v := decodeJSON(t, `{"a": [1, true, null, "s"], "b": {}}`)
	want := "{\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[37m  \x1b[39;49;00m\x1b[94m\"a\"\x1b[39;49;00m:\x1b[37m \x1b[39;49;00m[\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[37m    \x1b[39;49;00m\x1b[34m1\x1b[39;49;00m,\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[37m    \x1b[39;49;00m\x1b[34mtrue\x1b[39;49;00m,\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[37m    \x1b[39;49;00m\x1b[34mnull\x1b[39;49;00m,\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[37m    \x1b[39;49;00m\x1b[33m\"s\"\x1b[39;49;00m\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[37m  \x1b[39;49;00m],\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[37m  \x1b[39;49;00m\x1b[94m\"b\"\x1b[39;49;00m:\x1b[37m \x1b[39;49;00m{}\x1b[37m\x1b[39;49;00m\n" +
		"}\x1b[37m\x1b[39;49;00m\n"
	if got := mustRender(t, v, Options{Format: "jsonc", Color: true}); got != want {
		t.Errorf("jsonc:\n got: %q\nwant: %q", got, want)
	}
	wantYAML := "\x1b[94ma\x1b[39;49;00m:\x1b[37m\x1b[39;49;00m\n" +
		"-\x1b[37m \x1b[39;49;00m1\x1b[37m\x1b[39;49;00m\n" +
		"-\x1b[37m \x1b[39;49;00mtrue\x1b[37m\x1b[39;49;00m\n" +
		"-\x1b[37m \x1b[39;49;00mnull\x1b[37m\x1b[39;49;00m\n" +
		"-\x1b[37m \x1b[39;49;00ms\x1b[37m\x1b[39;49;00m\n" +
		"\x1b[94mb\x1b[39;49;00m:\x1b[37m \x1b[39;49;00m{}\x1b[37m\x1b[39;49;00m\n"
	if got := mustRender(t, v, Options{Format: "yamlc", Color: true}); got != wantYAML {
		t.Errorf("yamlc:\n got: %q\nwant: %q", got, wantYAML)
	}
	// Only jsonc and yamlc are coloured.
	for _, f := range []string{"json", "yaml", "table", "tsv"} {
		if got := mustRender(t, v, Options{Format: f, Color: true}); strings.Contains(got, "\x1b[") {
			t.Errorf("%s with Color: got colour codes: %q", f, got)
		}
	}
}

func TestInvalidFormat(t *testing.T) {
	var b bytes.Buffer
	err := Render(&b, map[string]any{"a": 1}, Options{Format: "xml"})
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want *FormatError", err)
	}
	want := "argument --output/-o: invalid choice: 'xml' (choose from 'json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none')"
	if fe.Error() != want || fe.ExitCode() != 2 || b.Len() != 0 {
		t.Errorf("got %q (exit %d, wrote %q), want %q", fe.Error(), fe.ExitCode(), b.String(), want)
	}
	if ValidateFormat("xml") == nil || ValidateFormat("TSV") != nil || ValidateFormat("") != nil {
		t.Error("ValidateFormat")
	}
}

func TestNullResultPrintsNothing(t *testing.T) {
	for _, result := range []any{nil, json.RawMessage("null")} {
		for _, f := range append([]string{"none"}, Formats...) {
			if got := mustRender(t, result, Options{Format: f, Color: true}); got != "" {
				t.Errorf("%s of %v: got %q", f, result, got)
			}
		}
	}
	// A query that yields null prints nothing either, and neither does a
	// string slice, which Python's jmespath does not support.
	for _, q := range []string{"missing", "[0].missing.deeper", "name[0:2]"} {
		for _, f := range Formats {
			if got := mustRender(t, json.RawMessage(`{"name": "abc"}`), Options{Format: f, Query: q}); got != "" {
				t.Errorf("%s --query %q: got %q", f, q, got)
			}
		}
	}
}

func TestQueryErrors(t *testing.T) {
	data := json.RawMessage(`[{"name": "x", "tags": null}]`)
	for _, tc := range []struct {
		query, msg string
		code       int
	}{
		{`[?name=='x'`, `argument --query: invalid jmespath_type value: "[?name=='x'"`, 2},
		{"a\tb[", `argument --query: invalid jmespath_type value: 'a\tb['`, 2},
		{`é['`, `argument --query: invalid jmespath_type value: "é['"`, 2},
		{"a + b", `argument --query: invalid jmespath_type value: 'a + b'`, 2},
		{"$", `argument --query: invalid jmespath_type value: '$'`, 2},
		{"length(@, @)", "Invalid jmespath query supplied for `--query`: Expected 1 argument for function length(), received 2", 1},
		{"merge()", "Invalid jmespath query supplied for `--query`: Expected at least 1 argument for function merge(), received 0", 1},
		{"sum(`[\"a\"]`)", "Invalid jmespath query supplied for `--query`: In function sum(), invalid type for value: a, expected one of: ['array-number'], received: \"str\"", 1},
		{"[?contains(tags, 'x')]", "Invalid jmespath query supplied for `--query`: In function contains(), invalid type for value: None, expected one of: ['array', 'string'], received: \"null\"", 1},
		{"[].lower(name)", "Invalid jmespath query supplied for `--query`: Unknown function: lower()", 1},
	} {
		var b bytes.Buffer
		err := Render(&b, data, Options{Format: "json", Query: tc.query})
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%q: got %v, want *QueryError", tc.query, err)
			continue
		}
		if qe.Error() != tc.msg || qe.ExitCode() != tc.code || qe.Query != tc.query || b.Len() != 0 {
			t.Errorf("%q: got %q (exit %d, query %q, wrote %q), want %q (exit %d)",
				tc.query, qe.Error(), qe.ExitCode(), qe.Query, b.String(), tc.msg, tc.code)
		}
		if qe.Recommendation() != QueryReference {
			t.Errorf("%q: recommendation %q", tc.query, qe.Recommendation())
		}
		if got := ValidateQuery(tc.query) != nil; got != (tc.code == 2) {
			t.Errorf("ValidateQuery(%q) rejected %v, want %v", tc.query, got, tc.code == 2)
		}
	}
}

func TestCompiledQuery(t *testing.T) {
	q, err := CompileQuery("[?state==`Succeeded`].name") // az's deprecated bare literal
	if err != nil {
		t.Fatal(err)
	}
	if q.String() != "[?state==`Succeeded`].name" {
		t.Errorf("String() = %q", q.String())
	}
	data := json.RawMessage(`[{"name": "a", "state": "Succeeded"}, {"name": "b", "state": "Failed"}]`)
	var b bytes.Buffer
	if err := RenderQuery(&b, data, q, Options{Format: "tsv", Query: "ignored"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "a\n" {
		t.Errorf("got %q", b.String())
	}
	if q, err := CompileQuery(""); q != nil || err != nil {
		t.Errorf("empty query: %v, %v", q, err)
	}
	b.Reset()
	if err := RenderQuery(&b, data, nil, Options{Format: "tsv"}); err != nil || b.String() != "a\tSucceeded\nb\tFailed\n" {
		t.Errorf("nil query: %q, %v", b.String(), err)
	}
	if got := mustRender(t, json.RawMessage(`{}`), Options{Query: "`  spaced`"}); got != "\"spaced\"\n" {
		t.Errorf("deprecated literal: got %q", got)
	}
}

type endpoint struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	ID       string `json:"id"`
	Count    int    `json:"count"`
}

func TestKeyOrder(t *testing.T) {
	eps := []endpoint{{"pe1", "westeurope", "/x/pe1", 1}, {"pe2", "northeurope", "/x/pe2", 2}}
	// Without a query, az's table sorts the columns.
	if got, want := mustRender(t, eps, Options{Format: "table"}),
		"Count    Location     Name\n-------  -----------  ------\n1        westeurope   pe1\n2        northeurope  pe2\n"; got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	// With a query that keeps the objects, their own key order shows: a
	// struct's field order, JSON text's key order.
	if got, want := mustRender(t, eps, Options{Format: "table", Query: "[?count > `1`]"}),
		"Name    Location     Count\n------  -----------  -------\npe2     northeurope  2\n"; got != want {
		t.Errorf("struct table:\n%s\nwant:\n%s", got, want)
	}
	raw := json.RawMessage(`[{"z": 1, "a": 2, "m": {"y": 1, "x": 2}}]`)
	if got, want := mustRender(t, raw, Options{Format: "table", Query: "[0:1]"}), "Z    A\n---  ---\n1    2\n"; got != want {
		t.Errorf("raw table: %q, want %q", got, want)
	}
	// Go maps have no order: sorted.
	m := []any{map[string]any{"z": 1, "a": 2}}
	if got, want := mustRender(t, m, Options{Format: "table", Query: "[0:1]"}), "A    Z\n---  ---\n2    1\n"; got != want {
		t.Errorf("map table: %q, want %q", got, want)
	}
	// A multiselect hash keeps the query's order in table and tsv; json
	// and yaml sort keys always; tsv sorts the command result's dicts.
	q := "[].{zz: z, aa: a, m: m}"
	for _, tc := range []struct{ format, want string }{
		{"table", "Zz    Aa\n----  ----\n1     2\n"},
		{"tsv", "1\t2\t\n"},
		{"json", "[\n  {\n    \"aa\": 2,\n    \"m\": {\n      \"x\": 2,\n      \"y\": 1\n    },\n    \"zz\": 1\n  }\n]\n"},
		{"yaml", "- aa: 2\n  m:\n    x: 2\n    y: 1\n  zz: 1\n"},
	} {
		if got := mustRender(t, raw, Options{Format: tc.format, Query: q}); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.format, got, tc.want)
		}
	}
	if got := mustRender(t, raw, Options{Format: "tsv", Query: "[0].m"}); got != "2\t1\n" {
		t.Errorf("tsv of a result dict: got %q, want sorted values", got)
	}
	// Object projections, keys() and values() follow the object's order.
	obj := json.RawMessage(`{"b": 1, "a": 2}`)
	for q, want := range map[string]string{
		"*":                                      "[\n  1,\n  2\n]\n",
		"keys(@)":                                "[\n  \"b\",\n  \"a\"\n]\n",
		"values(@)":                              "[\n  1,\n  2\n]\n",
		"keys(merge(@, `{\"c\": 0, \"a\": 3}`))": "[\n  \"b\",\n  \"a\",\n  \"c\"\n]\n",
	} {
		if got := mustRender(t, obj, Options{Query: q}); got != want {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
}

func TestMultiselectOnNull(t *testing.T) {
	data := json.RawMessage(`[{"name": "abc"}, null]`)
	if got, want := mustRender(t, data, Options{Format: "table", Query: "[].{n: name}"}), "N\n---\nabc\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNumbers(t *testing.T) {
	v := []any{0.1, 1e-05, 1e+20, 1.5e16, float64(1 << 53), -0.5, 100.0, int64(7), uint8(8), json.Number("9"), float32(0.5)}
	for _, tc := range []struct{ format, want string }{
		{"json", "[\n  0.1,\n  1e-05,\n  1e+20,\n  1.5e+16,\n  9007199254740992,\n  -0.5,\n  100,\n  7,\n  8,\n  9,\n  0.5\n]\n"},
		{"tsv", "0.1\n1e-05\n1e+20\n1.5e+16\n9007199254740992\n-0.5\n100\n7\n8\n9\n0.5\n"},
		{"yaml", "- 0.1\n- 1.0e-05\n- 1.0e+20\n- 1.5e+16\n- 9007199254740992\n- -0.5\n- 100\n- 7\n- 8\n- 9\n- 0.5\n"},
	} {
		if got := mustRender(t, v, Options{Format: tc.format}); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.format, got, tc.want)
		}
	}
	special := []any{math.NaN(), math.Inf(1), math.Inf(-1)}
	for _, tc := range []struct{ format, want string }{
		{"json", "[\n  NaN,\n  Infinity,\n  -Infinity\n]\n"},
		{"yaml", "- .nan\n- .inf\n- -.inf\n"},
		{"tsv", "nan\ninf\n-inf\n"},
	} {
		if got := mustRender(t, special, Options{Format: tc.format}); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.format, got, tc.want)
		}
	}
}

func TestStringsAndScalars(t *testing.T) {
	for _, tc := range []struct {
		v              any
		json, yaml, tv string
	}{
		{"it's \"q\"", "\"it's \\\"q\\\"\"\n", "it's \"q\"\n...\n", "it's \"q\"\n"},
		{"true", "\"true\"\n", "'true'\n", "true\n"},
		{true, "true\n", "true\n...\n", "true\n"},
		{"é\u2028<>&", "\"é\u2028<>&\"\n", "'é\u2028  <>&'\n", "é\u2028<>&\n"},
		{"ctl\x01", "\"ctl\\u0001\"\n", "\"ctl\\x01\"\n", "ctl\x01\n"},
	} {
		if got := mustRender(t, tc.v, Options{Format: "json"}); got != tc.json {
			t.Errorf("json %q: got %q, want %q", tc.v, got, tc.json)
		}
		if got := mustRender(t, tc.v, Options{Format: "yaml"}); got != tc.yaml {
			t.Errorf("yaml %q: got %q, want %q", tc.v, got, tc.yaml)
		}
		if got := mustRender(t, tc.v, Options{Format: "tsv"}); got != tc.tv {
			t.Errorf("tsv %q: got %q, want %q", tc.v, got, tc.tv)
		}
	}
}

func TestTableRules(t *testing.T) {
	for _, tc := range []struct {
		name, input, query, want string
	}{
		// id, type and etag, nulls, lists and dicts are left out.
		{"skipped keys", `{"id": "i", "type": "t", "etag": "e", "name": "n", "none": null, "list": [1], "obj": {}, "ok": false}`, "",
			"Name    Ok\n------  -----\nn       False\n"},
		// Even when a query names them: id stays hidden, Id does not.
		{"query id", `[{"id": "i", "name": "n"}]`, "[].{id: id, Id: id, name: name}", "Id    Name\n----  ------\ni     n\n"},
		// Lists give Column1.., scalars Result; null prints as nothing
		// (an empty line here).
		{"rows", `[[1, null, {"a": 1}], "s", null]`, "",
			"Column1    Column2    Column3    Result\n---------  ---------  ---------  --------\n1                     {'a': 1}\n                                 s\n\n"},
		{"empty list", `[]`, "", "\n"},
		{"only nested", `{"a": {"b": 1}}`, "", "\n"},
		// Cells are stripped; wide characters count twice.
		{"widths", `[{"a": "  x  ", "b": "日本"}]`, "", "A    B\n---  ----\nx    日本\n"},
	} {
		if got := mustRender(t, json.RawMessage(tc.input), Options{Format: "table", Query: tc.query}); got != tc.want {
			t.Errorf("%s:\n got: %q\nwant: %q", tc.name, got, tc.want)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestWriteError(t *testing.T) {
	if err := Render(failingWriter{}, "x", Options{}); err == nil || err.Error() != "closed" {
		t.Errorf("got %v", err)
	}
	// Nothing to write, nothing to fail.
	if err := Render(failingWriter{}, "x", Options{Format: "none"}); err != nil {
		t.Errorf("none: %v", err)
	}
}

func TestInvalidInput(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, json.RawMessage(`{"a": `), Options{}); err == nil {
		t.Error("invalid JSON text accepted")
	}
	if err := Render(&b, func() {}, Options{}); err == nil {
		t.Error("unencodable value accepted")
	}
	if b.Len() != 0 {
		t.Errorf("wrote %q", b.String())
	}
}

func TestPythonSpelling(t *testing.T) {
	for in, want := range map[string]string{
		"abc":        "'abc'",
		"it's":       `"it's"`,
		`it's "q"`:   `'it\'s "q"'`,
		"a\\b":       `'a\\b'`,
		"\t\n\r\x01": `'\t\n\r\x01'`,
		"\u00a0é😀":   `'\xa0é😀'`,
		"\u200b":     `'\u200b'`,
	} {
		if got := pyStrRepr(in); got != want {
			t.Errorf("pyStrRepr(%q) = %s, want %s", in, got, want)
		}
	}
	for f, want := range map[float64]string{
		0.1: "0.1", 1e-05: "1e-05", 0.0001: "0.0001", 1e16: "1e+16", 1.5: "1.5", 123456789.125: "123456789.125", 1e22: "1e+22",
	} {
		if got := pyFloatRepr(f); got != want {
			t.Errorf("pyFloatRepr(%v) = %s, want %s", f, got, want)
		}
	}
	repr := pyRepr([]any{&object{keys: []string{"b", "a"}, vals: map[string]any{"b": nil, "a": true}},
		&object{keys: []string{"k"}, vals: map[string]any{"k": 1.5}, ordered: true}, &object{ordered: true}})
	if want := "[{'b': None, 'a': True}, OrderedDict({'k': 1.5}), OrderedDict()]"; repr != want {
		t.Errorf("pyRepr = %s, want %s", repr, want)
	}
}

func TestConcurrentRender(t *testing.T) {
	data := json.RawMessage(`[{"name": "a", "n": 1}, {"name": "b", "n": 2}]`)
	q, err := CompileQuery("[].{N: name, C: n}")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			var b bytes.Buffer
			_ = RenderQuery(&b, data, q, Options{Format: Formats[i%len(Formats)], Color: true})
			done <- b.String()
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
}
