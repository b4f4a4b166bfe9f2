package core

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// value is one parsed argument value.
type value struct {
	set     bool   // given on the command line (or by --ids)
	dflt    bool   // supplied by a configured default (AZURE_DEFAULTS_*)
	str     string // String, Int, TriState
	list    []string
	flag    bool
	options []string // option strings used, in order
}

// parsed is the outcome of parsing a command's tokens.
type parsed struct {
	vals         map[string]*value
	help         bool
	unrecognized []string
	used         []string // option strings of command (non-global) args, in order
	// ordered records each occurrence of Repeat arguments in command-line
	// order (az's OrderedArgsAction for --set/--add/--remove).
	ordered []Occurrence
}

// Occurrence is one use of a Repeat argument.
type Occurrence struct {
	Dest   string
	Values []string
}

var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// parser implements argparse's semantics for one command's arguments.
type parser struct {
	// prog is the command ("az group list") that az names in errors about
	// argument values.
	prog   string
	args   []*Arg
	byOpt  map[string]*Arg
	longs  []string
	global map[*Arg]bool
}

func newParser(args []*Arg, global map[*Arg]bool) *parser {
	p := &parser{args: args, byOpt: map[string]*Arg{}, global: global}
	for _, a := range args {
		for _, o := range a.Options {
			p.byOpt[o] = a
			if strings.HasPrefix(o, "--") {
				p.longs = append(p.longs, o)
			}
		}
	}
	sort.Strings(p.longs)
	return p
}

// optionLike reports whether argparse would treat tok as an option string.
func (p *parser) optionLike(tok string) bool {
	if !strings.HasPrefix(tok, "-") || tok == "-" {
		return false
	}
	if negativeNumber.MatchString(tok) {
		return false
	}
	if strings.Contains(tok, " ") {
		name, _, _ := strings.Cut(tok, "=")
		return p.byOpt[name] != nil
	}
	return true
}

// lookup finds the argument for an option string: exact, then a unique
// prefix of a long option (argparse allow_abbrev).
func (p *parser) lookup(name string) (*Arg, error) {
	if a := p.byOpt[name]; a != nil {
		return a, nil
	}
	if !strings.HasPrefix(name, "--") || len(name) < 3 {
		return nil, nil
	}
	var matches []string
	seen := map[*Arg]bool{}
	for _, l := range p.longs {
		if strings.HasPrefix(l, name) && !seen[p.byOpt[l]] {
			seen[p.byOpt[l]] = true
			matches = append(matches, l)
		}
	}
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		return p.byOpt[matches[0]], nil
	}
	return nil, Usagef("ambiguous option: %s could match %s", name, strings.Join(matches, ", "))
}

// parse consumes tokens. It stops at -h/--help (like argparse's help action).
func (p *parser) parse(tokens []string) (*parsed, error) {
	res := &parsed{vals: map[string]*value{}}
	get := func(a *Arg) *value {
		v := res.vals[a.dest()]
		if v == nil {
			v = &value{}
			res.vals[a.dest()] = v
		}
		return v
	}
	i := 0
	next := func() (string, bool) {
		if i < len(tokens) && !p.optionLike(tokens[i]) {
			i++
			return tokens[i-1], true
		}
		return "", false
	}
	for i < len(tokens) {
		tok := tokens[i]
		i++
		if tok == "--" {
			res.unrecognized = append(res.unrecognized, tokens[i:]...)
			break
		}
		if !p.optionLike(tok) {
			res.unrecognized = append(res.unrecognized, tok)
			continue
		}
		var (
			a           *Arg
			explicit    string
			hasExplicit bool
			used        string
		)
		if strings.HasPrefix(tok, "--") {
			name := tok
			if k := strings.Index(tok, "="); k >= 0 {
				name, explicit, hasExplicit = tok[:k], tok[k+1:], true
			}
			found, err := p.lookup(name)
			if err != nil {
				return nil, err
			}
			a, used = found, name
		} else {
			switch {
			case p.byOpt[tok] != nil:
				a, used = p.byOpt[tok], tok
			case strings.Contains(tok, "=") && p.byOpt[tok[:strings.Index(tok, "=")]] != nil:
				k := strings.Index(tok, "=")
				a, used, explicit, hasExplicit = p.byOpt[tok[:k]], tok[:k], tok[k+1:], true
			case len(tok) > 2 && p.byOpt[tok[:2]] != nil:
				a, used, explicit, hasExplicit = p.byOpt[tok[:2]], tok[:2], tok[2:], true
			}
		}
		if a == nil {
			res.unrecognized = append(res.unrecognized, tok)
			// argparse also leaves the unknown option's values over.
			for {
				v, ok := next()
				if !ok {
					break
				}
				res.unrecognized = append(res.unrecognized, v)
			}
			continue
		}
		if a.dest() == "help" {
			res.help = true
			return res, nil
		}
		v := get(a)
		v.set = true
		v.options = append(v.options, used)
		if !p.global[a] {
			res.used = append(res.used, used)
		}
		switch a.Kind {
		case Flag:
			if hasExplicit {
				return nil, Usagef("argument %s: ignored explicit argument %s", a.display(), pyRepr(explicit))
			}
			v.flag = true
		case String, Int:
			val := explicit
			if !hasExplicit {
				nv, ok := next()
				if !ok {
					return nil, Usagef("argument %s: expected one argument", a.display())
				}
				val = nv
			}
			if a.Kind == Int {
				if _, err := strconv.Atoi(val); err != nil {
					return nil, Usagef("argument %s: invalid int value: %s", a.display(), pyRepr(val))
				}
			}
			norm, err := p.checkChoice(a, val)
			if err != nil {
				return nil, err
			}
			v.str = norm
		case TriState:
			val := "true"
			if hasExplicit {
				val = explicit
			} else if nv, ok := next(); ok {
				val = nv
			}
			norm, err := p.checkChoiceIn(a, val, []string{"true", "false"})
			if err != nil {
				return nil, err
			}
			v.str = norm
		case List, OptionalList:
			var vals []string
			if hasExplicit {
				vals = []string{explicit}
			} else {
				for {
					nv, ok := next()
					if !ok {
						break
					}
					vals = append(vals, nv)
				}
			}
			if a.Kind == List && len(vals) == 0 {
				return nil, Usagef("argument %s: expected at least one argument", a.display())
			}
			for k, s := range vals {
				norm, err := p.checkChoice(a, s)
				if err != nil {
					return nil, err
				}
				vals[k] = norm
			}
			if a.Repeat {
				v.list = append(v.list, vals...)
				res.ordered = append(res.ordered, Occurrence{Dest: a.dest(), Values: vals})
			} else {
				v.list = vals
				if v.list == nil {
					v.list = []string{}
				}
			}
		}
	}
	return res, nil
}

func (p *parser) checkChoice(a *Arg, val string) (string, error) {
	if len(a.Choices) == 0 {
		return val, nil
	}
	return p.checkChoiceIn(a, val, a.Choices)
}

// checkChoiceIn matches val case-insensitively against choices, like az's
// get_enum_type, and reports az's message on a miss (azure-cli's
// AzCliCommandParser._check_value): "<prog>: '<value>' is not a valid
// value for '<option>'. Allowed values: <choices in declared order>.",
// with "Did you mean '<choice>' ?" when difflib finds a close match.
func (p *parser) checkChoiceIn(a *Arg, val string, choices []string) (string, error) {
	for _, c := range choices {
		if strings.EqualFold(c, val) {
			return c, nil
		}
	}
	msg := fmt.Sprintf("%s is not a valid value for '%s'. Allowed values: %s.",
		pyRepr(val), a.Options[0], strings.Join(choices, ", "))
	if p.prog != "" {
		msg = p.prog + ": " + msg
	}
	ue := &UsageError{Msg: msg}
	if m := closeMatch(val, choices, 0.7); m != "" {
		ue.Recommendations = []string{fmt.Sprintf("Did you mean '%s' ?", m)}
	}
	return "", ue
}

// closeMatch is Python's difflib.get_close_matches(word, choices, n=1,
// cutoff): the choice with the best SequenceMatcher ratio ≥ cutoff (on a
// tie the greatest string, as heapq.nlargest over (score, choice) pairs).
func closeMatch(word string, choices []string, cutoff float64) string {
	best, bestRatio := "", cutoff
	for _, c := range choices {
		if r := seqRatio(word, c); r > bestRatio || (r == bestRatio && (best == "" || c > best)) {
			best, bestRatio = c, r
		}
	}
	return best
}

// seqRatio is difflib.SequenceMatcher(None, a, b).ratio(): 2·M/T where M
// counts the characters of the recursively found longest common blocks.
func seqRatio(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra)+len(rb) == 0 {
		return 1
	}
	return 2 * float64(matchingChars(ra, rb)) / float64(len(ra)+len(rb))
}

func matchingChars(a, b []rune) int {
	bi, bj, size := 0, 0, 0
	for i := range a {
		for j := range b {
			k := 0
			for i+k < len(a) && j+k < len(b) && a[i+k] == b[j+k] {
				k++
			}
			if k > size {
				bi, bj, size = i, j, k
			}
		}
	}
	if size == 0 {
		return 0
	}
	return size + matchingChars(a[:bi], b[:bj]) + matchingChars(a[bi+size:], b[bj+size:])
}

// pyRepr quotes a string the way Python's repr() does, which az uses in
// its messages.
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// missingRequired lists the display names of required arguments without a
// value, sorted the way az reports them.
func missingRequired(args []*Arg, vals map[string]*value, skip func(*Arg) bool) []string {
	var out []string
	for _, a := range args {
		if !a.Required || (skip != nil && skip(a)) {
			continue
		}
		if v := vals[a.dest()]; v != nil && (v.set || v.dflt) {
			continue
		}
		out = append(out, a.display())
	}
	sort.Strings(out)
	return out
}
