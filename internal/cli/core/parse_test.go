package core

import (
	"errors"
	"reflect"
	"testing"
)

func testArgs() []*Arg {
	return []*Arg{
		{Dest: "name", Options: []string{"--name", "-n"}, Required: true},
		{Dest: "resource_group", Options: []string{"--resource-group", "-g"}},
		{Dest: "prefixes", Options: []string{"--address-prefixes"}, Kind: List},
		{Dest: "tags", Options: []string{"--tags"}, Kind: OptionalList},
		{Dest: "enable", Options: []string{"--enable-x"}, Kind: TriState},
		{Dest: "yes", Options: []string{"--yes", "-y"}, Kind: Flag},
		{Dest: "count", Options: []string{"--count"}, Kind: Int},
		{Dest: "sku", Options: []string{"--sku"}, Choices: []string{"Basic", "Standard"}},
		{Dest: "set", Options: []string{"--set"}, Kind: List, Repeat: true},
		{Dest: "resource_type", Options: []string{"--resource-type"}},
		{Dest: "help", Options: []string{"--help", "-h"}, Kind: Flag},
	}
}

func parseTokens(t *testing.T, tokens ...string) (*parsed, error) {
	t.Helper()
	return newParser(testArgs(), nil).parse(tokens)
}

func TestParseForms(t *testing.T) {
	res, err := parseTokens(t, "-nfoo", "--resource-group=rg", "--address-prefixes", "10.0.0.0/16", "10.1.0.0/16",
		"--tags", "a=b", "c", "--enable-x", "-y", "--count", "3", "--sku", "standard")
	if err != nil {
		t.Fatal(err)
	}
	v := res.vals
	if v["name"].str != "foo" || v["resource_group"].str != "rg" || v["count"].str != "3" || v["sku"].str != "Standard" {
		t.Errorf("strings: %+v %+v %+v %+v", v["name"], v["resource_group"], v["count"], v["sku"])
	}
	if !reflect.DeepEqual(v["prefixes"].list, []string{"10.0.0.0/16", "10.1.0.0/16"}) || !reflect.DeepEqual(v["tags"].list, []string{"a=b", "c"}) {
		t.Errorf("lists: %v %v", v["prefixes"].list, v["tags"].list)
	}
	if v["enable"].str != "true" || !v["yes"].flag {
		t.Errorf("flags: %+v %+v", v["enable"], v["yes"])
	}
	if !reflect.DeepEqual(res.used, []string{"-n", "--resource-group", "--address-prefixes", "--tags", "--enable-x", "-y", "--count", "--sku"}) {
		t.Errorf("used = %v", res.used)
	}
	if len(res.unrecognized) != 0 {
		t.Errorf("unrecognized = %v", res.unrecognized)
	}
}

func TestParseTriStateAndEmptyList(t *testing.T) {
	res, err := parseTokens(t, "--enable-x", "FALSE", "--tags", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	if res.vals["enable"].str != "false" {
		t.Errorf("tri-state = %q", res.vals["enable"].str)
	}
	if l := res.vals["tags"].list; l == nil || len(l) != 0 {
		t.Errorf("bare --tags = %#v", l)
	}
	_, err = parseTokens(t, "--enable-x", "maybe")
	var ue *UsageError
	if !errors.As(err, &ue) || ue.Msg != "'maybe' is not a valid value for '--enable-x'. Allowed values: true, false." {
		t.Errorf("err = %v", err)
	}
}

func TestParseAbbreviationAndAmbiguity(t *testing.T) {
	res, err := parseTokens(t, "--addr", "10.0.0.0/8", "--resource-g", "rg")
	if err != nil {
		t.Fatal(err)
	}
	if res.vals["prefixes"].list[0] != "10.0.0.0/8" || res.vals["resource_group"].str != "rg" {
		t.Errorf("abbreviations: %+v", res.vals)
	}
	_, err = parseTokens(t, "--resource", "x")
	if err == nil || err.Error() != "ambiguous option: --resource could match --resource-group, --resource-type" {
		t.Errorf("err = %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string][]string{
		"argument --name/-n: expected one argument":                                    {"--name"},
		"argument --name/-n: expected one argument ":                                   {"-n", "--yes"},
		"argument --address-prefixes: expected at least one argument":                  {"--address-prefixes", "-y"},
		"argument --yes/-y: ignored explicit argument 'x'":                             {"--yes=x"},
		"argument --count: invalid int value: 'many'":                                  {"--count", "many"},
		"'Premium' is not a valid value for '--sku'. Allowed values: Basic, Standard.": {"--sku", "Premium"},
	}
	for want, tokens := range cases {
		_, err := parseTokens(t, tokens...)
		if err == nil || err.Error() != trimSpace(want) {
			t.Errorf("%v: err = %v, want %q", tokens, err, want)
		}
	}
}

func trimSpace(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func TestParseValuesLikeOptions(t *testing.T) {
	// negative numbers and values with spaces are values, as in argparse
	res, err := parseTokens(t, "--count", "-5", "--resource-type", "-not an option")
	if err != nil {
		t.Fatal(err)
	}
	if res.vals["count"].str != "-5" || res.vals["resource_type"].str != "-not an option" {
		t.Errorf("vals = %+v %+v", res.vals["count"], res.vals["resource_type"])
	}
}

func TestParseRepeatAndUnrecognized(t *testing.T) {
	res, err := parseTokens(t, "--set", "a=1", "b=2", "stray", "--bogus", "v", "--set", "c=3", "--", "-x")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.vals["set"].list, []string{"a=1", "b=2", "stray", "c=3"}) {
		t.Errorf("set = %v", res.vals["set"].list)
	}
	if !reflect.DeepEqual(res.ordered, []Occurrence{{"set", []string{"a=1", "b=2", "stray"}}, {"set", []string{"c=3"}}}) {
		t.Errorf("ordered = %v", res.ordered)
	}
	if !reflect.DeepEqual(res.unrecognized, []string{"--bogus", "v", "-x"}) {
		t.Errorf("unrecognized = %v", res.unrecognized)
	}
}

func TestParseHelpStops(t *testing.T) {
	res, err := parseTokens(t, "-h", "--count", "nope")
	if err != nil || !res.help {
		t.Errorf("help: %v %v", res, err)
	}
}

func TestMissingRequiredSorted(t *testing.T) {
	args := []*Arg{
		{Dest: "rg", Options: []string{"--resource-group", "-g"}, Required: true},
		{Dest: "name", Options: []string{"--name", "-n"}, Required: true},
		{Dest: "loc", Options: []string{"--location", "-l"}, Required: true},
	}
	got := missingRequired(args, map[string]*value{"loc": {set: true}}, nil)
	if !reflect.DeepEqual(got, []string{"--name/-n", "--resource-group/-g"}) {
		t.Errorf("missing = %v", got)
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{"abc": "'abc'", "it's": `"it's"`, `a'b"c`: `'a\'b"c'`, "x\ny": `'x\ny'`} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestGenericUpdateOps(t *testing.T) {
	obj := map[string]any{"tags": nil, "addressSpace": map[string]any{"addressPrefixes": []any{"10.0.0.0/16"}}, "subnets": []any{
		map[string]any{"name": "a", "addressPrefix": "10.0.0.0/24"}, map[string]any{"name": "b"},
	}}
	steps := []error{
		SetProperty(obj, "tags.env=prod", false),
		SetProperty(obj, "AddressSpace.addressPrefixes[0]=10.9.0.0/16", false),
		SetProperty(obj, "subnets[name=b].addressPrefix=10.0.1.0/24", false),
		SetProperty(obj, "enableDdosProtection=true", false),
		SetProperty(obj, "count=5", true),
		AddProperty(obj, []string{"dhcpOptions.dnsServers", "10.0.0.4", "10.0.0.5"}, false),
		AddProperty(obj, []string{"subnets", "name=c", "addressPrefix=10.0.2.0/24"}, false),
		RemoveProperty(obj, []string{"subnets", "0"}),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := map[string]any{
		"tags":                 map[string]any{"env": "prod"},
		"addressSpace":         map[string]any{"addressPrefixes": []any{"10.9.0.0/16"}},
		"enableDdosProtection": true,
		"count":                "5",
		"dhcpOptions":          map[string]any{"dnsServers": []any{"10.0.0.4", "10.0.0.5"}},
		"subnets": []any{
			map[string]any{"name": "b", "addressPrefix": "10.0.1.0/24"},
			map[string]any{"name": "c", "addressPrefix": "10.0.2.0/24"},
		},
	}
	if !reflect.DeepEqual(obj, want) {
		t.Errorf("obj = %v\nwant  %v", obj, want)
	}
	if err := RemoveProperty(obj, []string{"subnets"}); err != nil || len(obj["subnets"].([]any)) != 0 {
		t.Errorf("remove list: %v %v", err, obj["subnets"])
	}
	if err := RemoveProperty(obj, []string{"tags.env"}); err != nil || len(obj["tags"].(map[string]any)) != 0 {
		t.Errorf("remove key: %v %v", err, obj["tags"])
	}
	if err := SetProperty(obj, "=x", false); err == nil {
		t.Error("empty key accepted")
	}
	if err := RemoveProperty(obj, []string{"nope.x"}); err == nil {
		t.Error("missing path accepted")
	}
}

func TestCloseMatch(t *testing.T) {
	// Expected values computed with Python's difflib.get_close_matches(w, c, 1, 0.7).
	for _, tc := range []struct {
		word    string
		choices []string
		want    string
	}{
		{"yml", OutputFormats, "yaml"},
		{"xml", OutputFormats, ""},
		{"jsn", OutputFormats, "json"},
		{"tabel", OutputFormats, "table"},
		{"Standart", []string{"Basic", "Standard"}, "Standard"},
		{"ab", []string{"ac", "ad"}, ""},
		{"abc", []string{"abd", "abe"}, ""},
		{"abcd", []string{"abcx", "abcy"}, "abcy"},
	} {
		if got := closeMatch(tc.word, tc.choices, 0.7); got != tc.want {
			t.Errorf("closeMatch(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
