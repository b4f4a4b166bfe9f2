package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"

	"github.com/jmespath-community/go-jmespath/pkg/functions"
)

// The output data model mirrors what az formats: the values json.loads
// produces (dict, list, str, int/float, bool, None). Maps keep a key order,
// because az prints some of them in insertion order, and remember whether
// a query built them (an OrderedDict in az), because az's tsv and table
// formats treat those differently from the dicts of the command result.
//
//	nil, bool, float64, string, []any, *object

// object is a JSON object with its key order.
type object struct {
	keys []string
	vals map[string]any
	// ordered marks a map built by a query's multiselect hash: az's query
	// returns those as OrderedDict, which tsv prints in key order and
	// repr() spells as OrderedDict(...).
	ordered bool
}

// sortedKeys returns m's keys in Python's sorted() order (code points,
// which is also UTF-8 byte order).
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sorted returns o's keys sorted, as json.dumps(sort_keys=True), PyYAML
// and az's table (without a query) order them.
func (o *object) sorted() []string {
	keys := append([]string(nil), o.keys...)
	sort.Strings(keys)
	return keys
}

// orderTable remembers the key order of the maps of a decoded document,
// keyed by the identity of the map, so that the order survives the
// JMESPath library, which works on plain Go maps. Entries hold their map,
// so that no recorded map is freed and its address reused while the table
// is in use.
type orderTable map[uintptr]orderEntry

type orderEntry struct {
	m    map[string]any
	keys []string
}

func mapID(m map[string]any) uintptr {
	return reflect.ValueOf(m).Pointer()
}

func (t orderTable) set(m map[string]any, keys []string) {
	t[mapID(m)] = orderEntry{m: m, keys: keys}
}

// lookup returns the recorded order of m, if m is a map of the document.
func (t orderTable) lookup(m map[string]any) ([]string, bool) {
	e, ok := t[mapID(m)]
	if !ok || len(e.keys) != len(m) {
		return nil, false
	}
	return e.keys, true
}

// normalize turns a command result into the generic tree the JMESPath
// library works on (map[string]any, []any, float64, string, bool, nil),
// recording each map's key order in order. Maps given as Go maps have no
// order and get sorted keys; JSON text (json.RawMessage) and Go structs
// (through encoding/json, in field order) keep the order they have.
func normalize(v any, order orderTable) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return t, nil
	case string:
		return validUTF8(t), nil
	case float64:
		return t, nil
	case float32:
		return float64(t), nil
	case int:
		return float64(t), nil
	case int8:
		return float64(t), nil
	case int16:
		return float64(t), nil
	case int32:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case uint:
		return float64(t), nil
	case uint8:
		return float64(t), nil
	case uint16:
		return float64(t), nil
	case uint32:
		return float64(t), nil
	case uint64:
		return float64(t), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, fmt.Errorf("output: invalid number %q", string(t))
		}
		return f, nil
	case json.RawMessage:
		if len(t) == 0 {
			return nil, nil // what json.Marshal makes of an empty RawMessage
		}
		return decodeOrdered(t, order)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			n, err := normalize(e, order)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			n, err := normalize(e, order)
			if err != nil {
				return nil, err
			}
			out[validUTF8(k)] = n
		}
		order.set(out, sortedKeys(out))
		return out, nil
	}
	// Anything else (structs, typed maps and slices, pointers, types with
	// their own MarshalJSON) goes through encoding/json, as the command
	// would have serialized it.
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	return decodeOrdered(raw, order)
}

// decodeOrdered decodes JSON text into the generic tree, recording the key
// order of every object. Like Python's json.loads, a repeated key keeps
// its first position and its last value.
func decodeOrdered(data []byte, order orderTable) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, order)
	if err != nil {
		return nil, fmt.Errorf("output: invalid JSON result: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("output: invalid JSON result: trailing data")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, order orderTable) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := decodeValue(dec, order)
				if err != nil {
					return nil, err
				}
				if _, dup := m[k]; !dup {
					keys = append(keys, k)
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			order.set(m, keys)
			return m, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec, order)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			// Out of float64 range: Python reads such a literal as an
			// int (if integral) or inf; inf is the closest we have.
			var numErr *strconv.NumError
			if errors.As(err, &numErr) && errors.Is(numErr.Err, strconv.ErrRange) {
				return f, nil
			}
			return nil, err
		}
		return f, nil
	default:
		return t, nil // string, bool, nil
	}
}

// hashOrders lists the key orders of the multiselect hashes of a query,
// which build the only maps a query creates whose order az keeps.
type hashOrders [][]string

// match returns the key order of the first hash whose key set equals m's.
func (h hashOrders) match(m map[string]any) ([]string, bool) {
next:
	for _, keys := range h {
		if len(keys) != len(m) {
			continue
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				continue next
			}
		}
		return keys, true
	}
	return nil, false
}

// keyOrders finds the key order az has for a map.
type keyOrders struct {
	table    orderTable // maps of the command result, and merge() results
	hashes   hashOrders // the query's multiselect hashes: OrderedDicts in az
	literals hashOrders // objects written as JSON literals in the query
}

// of returns m's keys in az's order, and whether m is an OrderedDict.
// Maps of the command result keep their recorded order; maps a
// multiselect hash built are ordered by the hash; literal objects keep
// their written order; any other map gets sorted keys.
func (ko *keyOrders) of(m map[string]any) ([]string, bool) {
	if keys, ok := ko.table.lookup(m); ok {
		return keys, false
	}
	if keys, ok := ko.hashes.match(m); ok {
		return keys, true
	}
	if keys, ok := ko.literals.match(m); ok {
		return keys, false
	}
	return sortedKeys(m), false
}

// toModel converts the generic tree (the command result or a query's
// result) into the output data model.
func toModel(v any, ko *keyOrders) any {
	switch t := v.(type) {
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = toModel(e, ko)
		}
		return out
	case map[string]any:
		o := &object{vals: make(map[string]any, len(t))}
		o.keys, o.ordered = ko.of(t)
		for k, e := range t {
			o.vals[k] = toModel(e, ko)
		}
		return o
	case float64, string, bool, nil:
		return t
	case functions.ExpRef:
		// An expression reference used as a value (&foo outside a
		// function that takes one) has no JSON form; Python shows it so.
		return "<jmespath.visitor._Expression object>"
	}
	// The library only returns the types above for the trees we give it;
	// anything else is spelled through encoding/json.
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	n, err := decodeOrdered(raw, ko.table)
	if err != nil {
		return fmt.Sprint(v)
	}
	return toModel(n, ko)
}
