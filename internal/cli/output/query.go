package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jmespath-community/go-jmespath/pkg/functions"
	"github.com/jmespath-community/go-jmespath/pkg/interpreter"
	"github.com/jmespath-community/go-jmespath/pkg/parsing"
)

// QueryReference is the advice az prints below any --query error.
const QueryReference = "To learn more about --query, please visit: " +
	"'https://learn.microsoft.com/cli/azure/query-azure-cli'"

// QueryError reports a --query that az would reject.
//
// An expression that does not compile is rejected by az's argument parser,
// before the command runs, with exit status 2 and the message
// "argument --query: invalid jmespath_type value: '<query>'" (the query
// spelled as Python's repr). An expression that compiles but fails on the
// data (an unknown function, a wrong argument type) fails after the
// command ran, with exit status 1 and the message
// "Invalid jmespath query supplied for `--query`: <reason>".
// az prints either as "ERROR: <message>" followed by QueryReference.
type QueryError struct {
	Query   string // the expression as given
	Invalid bool   // the expression does not compile
	Reason  string // the JMESPath error, in Python jmespath's wording where known
	Err     error  // the library's error, if any
}

func (e *QueryError) Error() string {
	if e.Invalid {
		return "argument --query: invalid jmespath_type value: " + pyStrRepr(e.Query)
	}
	return "Invalid jmespath query supplied for `--query`: " + e.Reason
}

func (e *QueryError) Unwrap() error { return e.Err }

// ExitCode is the exit status az ends with for this error.
func (e *QueryError) ExitCode() int {
	if e.Invalid {
		return 2
	}
	return 1
}

// Recommendation is the advice az prints below the error.
func (e *QueryError) Recommendation() string { return QueryReference }

// Query is a compiled --query expression.
type Query struct {
	expr     string
	ast      parsing.ASTNode
	hashes   hashOrders // key order of each multiselect hash
	literals hashOrders // key order of each object in a JSON literal
}

// CompileQuery compiles a --query expression the way az accepts it. It is
// what az does while parsing its arguments, so a caller can reject a bad
// query (exit status 2) before running the command; Render compiles
// Options.Query itself. An empty expression is no query.
func CompileQuery(expr string) (*Query, error) {
	if expr == "" {
		return nil, nil
	}
	rewritten, literals := upgradeLiterals(expr)
	ast, err := parsing.NewParser().Parse(rewritten)
	if err != nil {
		return nil, &QueryError{Query: expr, Invalid: true, Reason: err.Error(), Err: err}
	}
	if what := unsupported(ast); what != "" {
		return nil, &QueryError{Query: expr, Invalid: true, Reason: what + " is not supported"}
	}
	q := &Query{expr: expr, literals: literals}
	q.ast = q.rewrite(ast)
	return q, nil
}

// ValidateQuery reports, as a *QueryError, whether az would reject expr
// while parsing its arguments.
func ValidateQuery(expr string) error {
	_, err := CompileQuery(expr)
	return err
}

// String returns the expression as given.
func (q *Query) String() string { return q.expr }

// unsupported names the first construct of the expression that Python's
// jmespath (and so az) does not have, or returns "". The library also
// parses arithmetic, variables and let expressions (JMESPath Community
// extensions); az rejects them as invalid.
func unsupported(n parsing.ASTNode) string {
	switch n.NodeType {
	case parsing.ASTArithmeticExpression, parsing.ASTArithmeticUnaryExpression:
		return "arithmetic"
	case parsing.ASTLetExpression, parsing.ASTBindings, parsing.ASTVariable:
		return "let expressions and variables"
	case parsing.ASTRootNode:
		return "the root node ($)"
	}
	for _, c := range n.Children {
		if what := unsupported(c); what != "" {
			return what
		}
	}
	return ""
}

// rewrite prepares the parsed expression so that the library evaluates it
// as Python's jmespath does:
//
//   - it collects the key order of every multiselect hash ({a: x, b: y}),
//     which az keeps in its output;
//   - multiselects yield null on null;
//   - slices apply to arrays only (a string slice is null);
//   - object projections (foo.*) walk the object's values in key order,
//     where the library would walk a Go map in random order.
func (q *Query) rewrite(n parsing.ASTNode) parsing.ASTNode {
	children := make([]parsing.ASTNode, len(n.Children))
	for i, c := range n.Children {
		children[i] = q.rewrite(c)
	}
	n.Children = children
	switch n.NodeType {
	case parsing.ASTMultiSelectHash:
		var keys []string
		seen := map[string]bool{}
		for _, c := range n.Children {
			k, _ := c.Value.(string)
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		q.hashes = append(q.hashes, keys)
		n = nullSafe(n)
	case parsing.ASTMultiSelectList:
		n = nullSafe(n)
	case parsing.ASTIndexExpression:
		// Python's jmespath slices only arrays; a slice of a string is
		// null there, where the library would slice the string.
		if len(n.Children) == 2 && n.Children[1].NodeType == parsing.ASTSlice {
			n.Children[0] = parsing.ASTNode{
				NodeType: parsing.ASTFunctionExpression,
				Value:    arrayOnlyFunc,
				Children: []parsing.ASTNode{n.Children[0]},
			}
		}
	case parsing.ASTValueProjection:
		if len(n.Children) == 2 {
			left := parsing.ASTNode{
				NodeType: parsing.ASTFunctionExpression,
				Value:    objectValuesFunc,
				Children: []parsing.ASTNode{n.Children[0]},
			}
			n = parsing.ASTNode{
				NodeType: parsing.ASTProjection,
				Children: []parsing.ASTNode{left, n.Children[1]},
			}
		}
	}
	return n
}

// nullSafe makes a multiselect yield null on null, as the JMESPath
// specification and Python's jmespath have it (the library would build a
// list or object of nulls): @.<multiselect> stops at a null @.
func nullSafe(n parsing.ASTNode) parsing.ASTNode {
	return parsing.ASTNode{
		NodeType: parsing.ASTSubexpression,
		Children: []parsing.ASTNode{{NodeType: parsing.ASTCurrentNode}, n},
	}
}

// Internal functions the rewritten expression calls; their names cannot
// be spelled in an expression.
const (
	objectValuesFunc = "\x00values"    // the values of an object, else null
	arrayOnlyFunc    = "\x00arrayonly" // an array, else null
)

// upgradeLiterals implements the deprecated JSON literal syntax that
// Python's jmespath, and so az, still accepts: a `literal` whose text is
// not JSON is read as a JSON string of that text (with leading whitespace
// dropped), so `Succeeded` means `"Succeeded"`. Literals that are already
// JSON, and text outside literals, are left alone. It also returns the key
// order of the objects the JSON literals hold, which az keeps.
func upgradeLiterals(expr string) (string, hashOrders) {
	var b strings.Builder
	var objects hashOrders
	changed := false
	for i := 0; i < len(expr); {
		c := expr[i]
		switch c {
		case '\'', '"':
			end, _ := skipQuoted(expr, i, c)
			b.WriteString(expr[i:end])
			i = end
		case '`':
			end, closed := skipQuoted(expr, i, '`')
			if !closed {
				b.WriteString(expr[i:])
				i = len(expr)
				continue
			}
			raw := expr[i+1 : end-1]
			lexeme := strings.ReplaceAll(raw, "\\`", "`")
			if json.Valid([]byte(lexeme)) {
				b.WriteString(expr[i:end])
				order := orderTable{}
				if v, err := decodeOrdered([]byte(lexeme), order); err == nil {
					objects = appendObjectOrders(objects, v, order)
				}
			} else {
				s := `"` + strings.TrimLeftFunc(lexeme, pyIsSpace) + `"`
				if json.Valid([]byte(s)) {
					b.WriteByte('`')
					b.WriteString(strings.ReplaceAll(s, "`", "\\`"))
					b.WriteByte('`')
					changed = true
				} else {
					b.WriteString(expr[i:end])
				}
			}
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	if !changed {
		return expr, objects
	}
	return b.String(), objects
}

// appendObjectOrders appends the key order of every object in v, in
// document order.
func appendObjectOrders(out hashOrders, v any, order orderTable) hashOrders {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			out = appendObjectOrders(out, e, order)
		}
	case map[string]any:
		keys, _ := order.lookup(t)
		out = append(out, keys)
		for _, k := range keys {
			out = appendObjectOrders(out, t[k], order)
		}
	}
	return out
}

// skipQuoted returns the index just past the closing delim of the quoted
// run starting at expr[start], honouring backslash escapes, and whether
// the run is closed (if not, the index is len(expr)).
func skipQuoted(expr string, start int, delim byte) (int, bool) {
	for i := start + 1; i < len(expr); i++ {
		switch expr[i] {
		case '\\':
			i++
		case delim:
			return i + 1, true
		}
	}
	return len(expr), false
}

// search evaluates the query on a normalized document.
func (q *Query) search(data any, ko *keyOrders) (any, error) {
	ev := &evaluation{ko: ko}
	caller := ev.caller()
	result, err := interpreter.NewInterpreter(data, caller, nil).Execute(q.ast, data)
	if err != nil {
		var qe *QueryError
		if errors.As(err, &qe) {
			qe.Query = q.expr
			return nil, qe
		}
		return nil, &QueryError{Query: q.expr, Reason: err.Error(), Err: err}
	}
	return result, nil
}

// evaluation holds what one search needs to keep map key order.
type evaluation struct {
	ko *keyOrders
}

// keysOf returns m's keys in the order az's dict or OrderedDict has them.
func (ev *evaluation) keysOf(m map[string]any) []string {
	keys, _ := ev.ko.of(m)
	return keys
}

func (ev *evaluation) caller() *pyCaller {
	entries := functions.GetDefaultFunctions()
	object := []functions.ArgSpec{{Types: []functions.JpType{functions.JpObject}}}
	anyArg := []functions.ArgSpec{{Types: []functions.JpType{functions.JpAny}}}
	byArgs := []functions.ArgSpec{
		{Types: []functions.JpType{functions.JpArray}},
		{Types: []functions.JpType{functions.JpExpref}},
	}
	entries = append(entries,
		functions.FunctionEntry{Name: "keys", Arguments: object, Handler: ev.keys},
		functions.FunctionEntry{Name: "values", Arguments: object, Handler: ev.values},
		functions.FunctionEntry{
			Name:      "merge",
			Arguments: []functions.ArgSpec{{Types: []functions.JpType{functions.JpObject}, Variadic: true}},
			Handler:   ev.merge,
		},
		functions.FunctionEntry{Name: "sort_by", Arguments: byArgs, Handler: ev.sortBy},
		functions.FunctionEntry{Name: "min_by", Arguments: byArgs, Handler: ev.minMaxBy("min_by", -1)},
		functions.FunctionEntry{Name: "max_by", Arguments: byArgs, Handler: ev.minMaxBy("max_by", 1)},
		functions.FunctionEntry{Name: "to_string", Arguments: anyArg, Handler: ev.toString},
		functions.FunctionEntry{Name: "to_number", Arguments: anyArg, Handler: toNumber},
		functions.FunctionEntry{Name: "type", Arguments: anyArg, Handler: typeOf},
		functions.FunctionEntry{Name: objectValuesFunc, Arguments: anyArg, Handler: ev.objectValues},
		functions.FunctionEntry{Name: arrayOnlyFunc, Arguments: anyArg, Handler: arrayOnly},
	)
	return &pyCaller{ev: ev, inner: interpreter.NewFunctionCaller(entries...)}
}

func (ev *evaluation) keys(args []any) (any, error) {
	m := args[0].(map[string]any)
	out := []any{}
	for _, k := range ev.keysOf(m) {
		out = append(out, k)
	}
	return out, nil
}

func (ev *evaluation) values(args []any) (any, error) {
	m := args[0].(map[string]any)
	out := []any{}
	for _, k := range ev.keysOf(m) {
		out = append(out, m[k])
	}
	return out, nil
}

// objectValues backs object projections: like values(), but null for
// anything that is not an object.
func (ev *evaluation) objectValues(args []any) (any, error) {
	m, ok := args[0].(map[string]any)
	if !ok {
		return nil, nil
	}
	return ev.values([]any{m})
}

// typeOf is Python jmespath's type(): null for an expression reference.
func typeOf(args []any) (any, error) {
	if t := jmespathTypeOf(pyTypeName(args[0])); t != "expref" && t != "unknown" {
		return t, nil
	}
	return nil, nil
}

func arrayOnly(args []any) (any, error) {
	if a, ok := args[0].([]any); ok {
		return a, nil
	}
	return nil, nil
}

// toString is Python jmespath's to_string: strings as they are, anything
// else as compact JSON (json.dumps with separators (',', ':')): keys in
// the object's order, non-ASCII characters escaped.
func (ev *evaluation) toString(args []any) (any, error) {
	if s, ok := args[0].(string); ok {
		return s, nil
	}
	var b strings.Builder
	writeCompactJSON(&b, toModel(args[0], ev.ko))
	return b.String(), nil
}

func writeCompactJSON(b *strings.Builder, v any) {
	switch t := v.(type) {
	case string:
		writeASCIIJSONString(b, t)
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCompactJSON(b, e)
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeASCIIJSONString(b, k)
			b.WriteByte(':')
			writeCompactJSON(b, t.vals[k])
		}
		b.WriteByte('}')
	default:
		writeJSON(b, t, 0)
	}
}

// writeASCIIJSONString quotes s as json.dumps does by default
// (ensure_ascii=True): everything outside printable ASCII is escaped.
func writeASCIIJSONString(b *strings.Builder, s string) {
	var plain strings.Builder
	writeJSONString(&plain, s)
	for _, r := range plain.String() {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			b.WriteString(`\u` + hexN(0xd800+(r>>10), 4) + `\u` + hexN(0xdc00+(r&0x3ff), 4))
		default:
			b.WriteString(`\u` + hexN(r, 4))
		}
	}
}

var (
	pyIntLiteral   = regexp.MustCompile(`^[-+]?[0-9](?:_?[0-9])*$`)
	pyFloatLiteral = regexp.MustCompile(`^[-+]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.)(?:[eE][-+]?[0-9](?:_?[0-9])*)?$`)
	pyFloatSpecial = regexp.MustCompile(`(?i)^[-+]?(?:inf|infinity|nan)$`)
)

// toNumber is Python jmespath's to_number: numbers as they are, strings
// that Python's int() or float() accepts as numbers, null otherwise.
func toNumber(args []any) (any, error) {
	switch t := args[0].(type) {
	case float64:
		return t, nil
	case string:
		s := strings.TrimFunc(t, pyIsSpace)
		switch {
		case pyIntLiteral.MatchString(s), pyFloatLiteral.MatchString(s):
			f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, nil
			}
			return f, nil
		case pyFloatSpecial.MatchString(s):
			f, _ := strconv.ParseFloat(s, 64)
			return f, nil
		}
	}
	return nil, nil
}

// merge is Python's dict.update in a loop: keys keep the position they
// first had, values come from the last object that has them.
func (ev *evaluation) merge(args []any) (any, error) {
	out := map[string]any{}
	var keys []string
	for _, a := range args {
		m := a.(map[string]any)
		for _, k := range ev.keysOf(m) {
			if _, ok := out[k]; !ok {
				keys = append(keys, k)
			}
			out[k] = m[k]
		}
	}
	ev.ko.table.set(out, keys)
	return out, nil
}

// sortBy is Python jmespath's sort_by: the key of the first element sets
// the key type (number or string) every key must have; the sort is
// stable.
func (ev *evaluation) sortBy(args []any) (any, error) {
	list := args[0].([]any)
	expr := args[1].(functions.ExpRef)
	if len(list) == 0 {
		return list, nil
	}
	first, err := expr(list[0])
	if err != nil {
		return nil, err
	}
	required := jmespathTypeOf(pyTypeName(first))
	if required != "number" && required != "string" {
		return nil, ev.typeError("sort_by", list[0], required, []string{"string", "number"})
	}
	keys := make([]any, len(list))
	for i, e := range list {
		k, err := expr(e)
		if err != nil {
			return nil, err
		}
		if t := jmespathTypeOf(pyTypeName(k)); t != required {
			return nil, ev.typeError("sort_by", k, t, []string{required})
		}
		keys[i] = k
	}
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return lessKey(keys[idx[a]], keys[idx[b]]) })
	out := make([]any, len(list))
	for i, j := range idx {
		out[i] = list[j]
	}
	return out, nil
}

// minMaxBy is Python jmespath's min_by (dir -1) or max_by (dir 1): keys
// must be numbers or strings; the first of equal extremes wins.
func (ev *evaluation) minMaxBy(name string, dir int) functions.JpFunction {
	return func(args []any) (any, error) {
		list := args[0].([]any)
		expr := args[1].(functions.ExpRef)
		var best, bestKey any
		for i, e := range list {
			k, err := expr(e)
			if err != nil {
				return nil, err
			}
			if t := jmespathTypeOf(pyTypeName(k)); t != "number" && t != "string" {
				return nil, ev.typeError(name, k, t, []string{"number", "string"})
			}
			if i > 0 && !comparable(k, bestKey) {
				return nil, &QueryError{Reason: fmt.Sprintf("'<' not supported between instances of '%s' and '%s'",
					pyTypeName(k), pyTypeName(bestKey))}
			}
			if i == 0 || (dir < 0 && lessKey(k, bestKey)) || (dir > 0 && lessKey(bestKey, k)) {
				best, bestKey = e, k
			}
		}
		return best, nil
	}
}

func comparable(a, b any) bool {
	_, an := a.(float64)
	_, bn := b.(float64)
	return an == bn
}

// lessKey orders two sort keys of the same type, numbers or strings.
func lessKey(a, b any) bool {
	if x, ok := a.(float64); ok {
		y, _ := b.(float64)
		return x < y
	}
	x, _ := a.(string)
	y, _ := b.(string)
	return x < y
}

func (ev *evaluation) typeError(name string, v any, received string, expected []string) error {
	c := &pyCaller{ev: ev}
	return &QueryError{Reason: c.typeMessage(name, v, received, expected)}
}

// pyCaller offers the functions of Python's jmespath, checking their
// arguments the way it does so that errors read as they do in az, and
// calls the library's implementations (or the overrides above).
type pyCaller struct {
	ev    *evaluation
	inner interpreter.FunctionCaller
}

func (c *pyCaller) CallFunction(name string, args []any) (any, error) {
	if name != objectValuesFunc && name != arrayOnlyFunc {
		sig, ok := pySignatures[name]
		if !ok {
			// Only the functions of Python's jmespath exist in az; the
			// library's extra ones (lower, split, ...) do not.
			return nil, &QueryError{Reason: "Unknown function: " + name + "()"}
		}
		if reason := c.checkPython(name, sig, args); reason != "" {
			return nil, &QueryError{Reason: reason}
		}
	}
	return c.inner.CallFunction(name, args)
}

// pySignature is a function signature as Python's jmespath declares it.
type pySignature struct {
	args     [][]string // allowed types per argument; empty means any
	variadic bool       // the last argument repeats
}

// pySignatures are the signatures of the functions Python's jmespath
// provides; az reports argument errors against these.
var pySignatures = map[string]pySignature{
	"abs":         {args: [][]string{{"number"}}},
	"avg":         {args: [][]string{{"array-number"}}},
	"ceil":        {args: [][]string{{"number"}}},
	"contains":    {args: [][]string{{"array", "string"}, nil}},
	"ends_with":   {args: [][]string{{"string"}, {"string"}}},
	"floor":       {args: [][]string{{"number"}}},
	"join":        {args: [][]string{{"string"}, {"array-string"}}},
	"keys":        {args: [][]string{{"object"}}},
	"length":      {args: [][]string{{"string", "array", "object"}}},
	"map":         {args: [][]string{{"expref"}, {"array"}}},
	"max":         {args: [][]string{{"array-number", "array-string"}}},
	"max_by":      {args: [][]string{{"array"}, {"expref"}}},
	"merge":       {args: [][]string{{"object"}}, variadic: true},
	"min":         {args: [][]string{{"array-number", "array-string"}}},
	"min_by":      {args: [][]string{{"array"}, {"expref"}}},
	"not_null":    {args: [][]string{nil}, variadic: true},
	"reverse":     {args: [][]string{{"array", "string"}}},
	"sort":        {args: [][]string{{"array-string", "array-number"}}},
	"sort_by":     {args: [][]string{{"array"}, {"expref"}}},
	"starts_with": {args: [][]string{{"string"}, {"string"}}},
	"sum":         {args: [][]string{{"array-number"}}},
	"to_array":    {args: [][]string{nil}},
	"to_number":   {args: [][]string{nil}},
	"to_string":   {args: [][]string{nil}},
	"type":        {args: [][]string{nil}},
	"values":      {args: [][]string{{"object"}}},
}

// checkPython validates args against a Python signature and returns the
// message Python's jmespath raises, or "".
func (c *pyCaller) checkPython(name string, sig pySignature, args []any) string {
	if sig.variadic {
		if len(args) < len(sig.args) {
			return arityMessage("Expected at least", len(sig.args), name, len(args))
		}
	} else if len(args) != len(sig.args) {
		return arityMessage("Expected", len(sig.args), name, len(args))
	}
	for i, types := range sig.args {
		if len(types) == 0 {
			continue
		}
		if reason := c.checkType(name, args[i], types); reason != "" {
			return reason
		}
	}
	return ""
}

func arityMessage(prefix string, expected int, name string, actual int) string {
	word := "arguments"
	if expected == 1 {
		word = "argument"
	}
	return fmt.Sprintf("%s %d %s for function %s(), received %d", prefix, expected, word, name, actual)
}

// pyTypeName is the Python type name of a value of the generic tree.
func pyTypeName(v any) string {
	switch t := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case float64:
		if isIntegral(t) {
			return "int"
		}
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case functions.ExpRef:
		return "_Expression"
	}
	return "unknown"
}

// jmespathTypeOf maps a Python type name to a JMESPath type name.
func jmespathTypeOf(pyType string) string {
	switch pyType {
	case "bool":
		return "boolean"
	case "list":
		return "array"
	case "dict", "OrderedDict":
		return "object"
	case "NoneType":
		return "null"
	case "str":
		return "string"
	case "int", "float":
		return "number"
	case "_Expression":
		return "expref"
	}
	return "unknown"
}

// checkType is Python jmespath's check of one argument, including the
// element types of array-number and array-string.
func (c *pyCaller) checkType(name string, v any, types []string) string {
	var allowed []string
	var subtypes []string
	for _, t := range types {
		base, sub, isArray := strings.Cut(t, "-")
		if isArray {
			subtypes = append(subtypes, sub)
		}
		allowed = append(allowed, base)
	}
	actual := pyTypeName(v)
	if !contains(allowed, jmespathTypeOf(actual)) {
		return c.typeMessage(name, v, jmespathTypeOf(actual), types)
	}
	if len(subtypes) == 0 {
		return ""
	}
	list, _ := v.([]any)
	want := ""
	switch {
	case len(subtypes) == 1:
		want = subtypes[0]
	case len(list) > 0:
		first := jmespathTypeOf(pyTypeName(list[0]))
		if !contains(subtypes, first) {
			return c.typeMessage(name, list[0], pyTypeName(list[0]), types)
		}
		want = first
	}
	for _, e := range list {
		if jmespathTypeOf(pyTypeName(e)) != want {
			return c.typeMessage(name, e, pyTypeName(e), types)
		}
	}
	return ""
}

func (c *pyCaller) typeMessage(name string, v any, received string, types []string) string {
	quoted := make([]string, len(types))
	for i, t := range types {
		quoted[i] = pyStrRepr(t)
	}
	return fmt.Sprintf("In function %s(), invalid type for value: %s, expected one of: [%s], received: \"%s\"",
		name, c.pyValue(v), strings.Join(quoted, ", "), received)
}

// pyValue is Python's str() of an argument value.
func (c *pyCaller) pyValue(v any) string {
	if _, ok := v.(functions.ExpRef); ok {
		return "<jmespath.visitor._Expression object>"
	}
	return pyStr(toModel(v, c.ev.ko))
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
