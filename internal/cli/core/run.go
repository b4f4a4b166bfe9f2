package core

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/output"
)

// AzureCLIVersion is the azure-cli version privlink's CLI mirrors (command
// set, api-versions, messages).
const AzureCLIVersion = "2.45.0"

// Runner runs command lines against a command tree.
type Runner struct {
	Tree *Tree
	// Getenv reads the environment; nil uses os.Getenv.
	Getenv func(string) string
	// HTTPClient, when set, replaces the client built from the settings
	// (tests).
	HTTPClient *http.Client
	// Sleep, when set, replaces waiting between polls (tests).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Run executes one command line (without the program name) and returns the
// process exit code: 0 success, 1 error, 2 usage error, 3 not found on show.
func (r *Runner) Run(ctx context.Context, args []string, streams Streams) int {
	if streams.In == nil {
		streams.In = strings.NewReader("")
	}
	if streams.Out == nil {
		streams.Out = io.Discard
	}
	if streams.Err == nil {
		streams.Err = io.Discard
	}
	getenv := r.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	rt := &runtime{getenv: getenv, httpClient: r.HTTPClient, sleep: r.Sleep}
	noColor := truthy(getenv(EnvNoColor))
	log := &logger{w: streams.Err, level: levelWarning, color: !noColor && isTerminal(streams.Err)}

	if err := checkVerbosity(args); err != nil {
		return printError(log, err, false)
	}

	node, cmd, rest, err := r.resolve(args)
	if err != nil {
		return printError(log, err, false)
	}
	if cmd == nil {
		if len(rest) == 1 && rest[0] == "--version" && node == r.Tree.root {
			fmt.Fprintf(streams.Out, "azure-cli                         %s\n\nprivlink: Azure CLI-compatible commands served by the privlink emulator.\n", AzureCLIVersion)
			return ExitOK
		}
		writeGroupHelp(streams.Out, node)
		return ExitOK
	}
	return r.runCommand(ctx, rt, log, cmd, rest, streams)
}

// checkVerbosity rejects --only-show-errors with --debug/--verbose, as knack does.
func checkVerbosity(args []string) error {
	has := func(s string) bool {
		for _, a := range args {
			if a == s {
				return true
			}
		}
		return false
	}
	if has("--only-show-errors") && (has("--debug") || has("--verbose")) {
		return Errorf("--only-show-errors can't be used together with --debug or --verbose")
	}
	return nil
}

// resolve walks the command words. It returns the group reached, the
// command (nil for a bare group), and the remaining tokens (including any
// global options seen before the command words).
func (r *Runner) resolve(args []string) (*Group, *Command, []string, error) {
	node := r.Tree.root
	var pending []string
	globals := newParser(globalArgs(), nil)
	i := 0
	for i < len(args) {
		tok := args[i]
		if strings.HasPrefix(tok, "-") {
			// A global option before the command words: keep it (and its
			// value) for the command's parser.
			a := globals.byOpt[strings.SplitN(tok, "=", 2)[0]]
			pending = append(pending, tok)
			i++
			if a != nil && a.Kind == String && !strings.Contains(tok, "=") && i < len(args) {
				pending = append(pending, args[i])
				i++
			}
			if a == nil || a.dest() == DestHelp {
				// Unknown option or help: stop walking, let the group or
				// command handle the rest.
				return node, nil, append(pending, args[i:]...), r.groupLevelError(node, pending, args[i:])
			}
			continue
		}
		if child, ok := node.children[tok]; ok {
			node = child
			i++
			continue
		}
		if cmd, ok := node.commands[tok]; ok {
			return node, cmd, append(pending, args[i+1:]...), nil
		}
		return node, nil, nil, unknownCommand(node, tok)
	}
	return node, nil, pending, nil
}

// groupLevelError decides what options at group level mean: help is fine,
// anything else is an unknown command.
func (r *Runner) groupLevelError(node *Group, pending, rest []string) error {
	for _, t := range append(append([]string(nil), pending...), rest...) {
		if t == "-h" || t == "--help" {
			return nil
		}
	}
	if len(pending) == 1 && pending[0] == "--version" && len(rest) == 0 && node == r.Tree.root {
		return nil
	}
	for _, t := range pending {
		if strings.HasPrefix(t, "-") {
			if newParser(globalArgs(), nil).byOpt[strings.SplitN(t, "=", 2)[0]] == nil {
				return unknownCommand(node, t)
			}
		}
	}
	if len(rest) > 0 {
		return unknownCommand(node, rest[0])
	}
	return nil
}

func unknownCommand(node *Group, word string) error {
	ue := &UsageError{Msg: fmt.Sprintf("'%s' is misspelled or not recognized by the system.", word)}
	var names []string
	for n := range node.children {
		names = append(names, n)
	}
	for n := range node.commands {
		names = append(names, n)
	}
	sort.Strings(names)
	if best := closest(word, names); best != "" {
		ue.Recommendations = append(ue.Recommendations,
			fmt.Sprintf("\nThe most similar choice to '%s' is:\n    %s", word, best))
	}
	prefix := "az"
	if node.Name != "" {
		prefix = "az " + node.Name
	}
	ue.Recommendations = append(ue.Recommendations,
		fmt.Sprintf("\nStill stuck? Run '%s --help' to view all commands or go to 'https://aka.ms/cli_ref' to learn more", prefix))
	return ue
}

// closest returns the most similar name, by a difflib-like ratio
// 2*LCS/(len(a)+len(b)) of at least 0.7 (az uses difflib.get_close_matches).
func closest(word string, names []string) string {
	best, bestScore := "", 0.0
	for _, n := range names {
		score := 2 * float64(lcs(word, n)) / float64(len(word)+len(n))
		if score > bestScore {
			best, bestScore = n, score
		}
	}
	if bestScore >= 0.7 {
		return best
	}
	return ""
}

// lcs is the length of the longest common subsequence.
func lcs(a, b string) int {
	prev := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev = cur
	}
	return prev[len(b)]
}

// commandArgs returns the parser arguments of a command: its own, the
// automatic ones and the globals it does not override.
func commandArgs(cmd *Command) ([]*Arg, map[*Arg]bool) {
	own := cmd.allArgs()
	taken := map[string]bool{}
	for _, a := range own {
		for _, o := range a.Options {
			taken[o] = true
		}
	}
	args := append([]*Arg(nil), own...)
	global := map[*Arg]bool{}
	for _, g := range globalArgs() {
		clash := false
		for _, o := range g.Options {
			if taken[o] {
				clash = true
			}
		}
		if clash {
			continue
		}
		args = append(args, g)
		global[g] = true
	}
	return args, global
}

func (r *Runner) runCommand(ctx context.Context, rt *runtime, log *logger, cmd *Command, tokens []string, streams Streams) int {
	args, global := commandArgs(cmd)
	p := newParser(args, global)
	p.prog = "az " + cmd.Path()
	res, err := p.parse(tokens)
	if err != nil {
		return printUsage(log, cmd, err)
	}
	if res.help {
		writeCommandHelp(streams.Out, cmd, args)
		return ExitOK
	}
	// configured defaults (az configure --defaults group=... via env)
	for _, a := range args {
		if a.ConfigDefault == "" {
			continue
		}
		if v := res.vals[a.dest()]; v != nil && v.set {
			continue
		}
		if d := strings.TrimSpace(rt.getenv("AZURE_DEFAULTS_" + strings.ToUpper(a.ConfigDefault))); d != "" {
			res.vals[a.dest()] = &value{dflt: true, str: d, list: []string{d}}
		}
	}
	takePositionals(args, res)
	idsGiven := cmd.hasIDs() && res.vals[DestIDs] != nil && res.vals[DestIDs].set
	skipIDParts := func(a *Arg) bool { return cmd.hasIDs() && a.IDPart != "" }
	if missing := missingRequired(args, res.vals, skipIDParts); len(missing) > 0 {
		return printUsage(log, cmd, Usagef("the following arguments are required: %s", strings.Join(missing, ", ")))
	}
	if len(res.unrecognized) > 0 {
		return printUsage(log, cmd, Usagef("unrecognized arguments: %s", strings.Join(res.unrecognized, " ")))
	}

	c := &Context{ctx: ctx, cmd: cmd, streams: streams, rt: rt, parsed: res, log: log}
	// verbosity
	switch {
	case c.Bool(DestOnlyShowErrors) || truthy(rt.getenv(EnvOnlyShowErrors)) && !c.Bool(DestDebug) && !c.Bool(DestVerbose):
		log.level = levelError
	case c.Bool(DestDebug):
		log.level = levelDebug
	case c.Bool(DestVerbose):
		log.level = levelInfo
	}
	format := c.String(DestOutput)
	if !c.Has(DestOutput) {
		format = "json"
		if env := strings.TrimSpace(rt.getenv(EnvOutput)); env != "" {
			norm, err := (&parser{}).checkChoiceIn(&Arg{Options: []string{"--output"}}, env, OutputFormats)
			if err != nil {
				return printUsage(log, cmd, err)
			}
			format = norm
		}
	}
	query := c.String(DestQuery)
	if query != "" {
		if err := output.ValidateQuery(query); err != nil {
			return printError(log, err, false)
		}
	}

	if cmd.hasIDs() && !idsGiven {
		var missing []string
		for _, a := range cmd.Args {
			if a.IDPart != "" && a.Required && !c.Has(a.dest()) {
				missing = append(missing, a.Options[0])
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return printError(log, Errorf("(%s | --ids) are required", strings.Join(missing, " ")), false)
		}
	}
	if cmd.Preview {
		c.Warnf("This command is in preview and under development. Reference and support levels: https://aka.ms/CLI_refstatus")
	}
	if cmd.Confirm != "" && !c.Bool(DestYes) {
		if err := c.confirm(cmd.Confirm); err != nil {
			return printError(log, err, false)
		}
	}

	result, err := r.invoke(c, idsGiven)
	if err != nil {
		return printError(log, err, cmd.Show)
	}
	if result == nil || format == "none" {
		return ExitOK
	}
	addResourceGroup(result)
	if format == "table" && query == "" {
		// az's table_transformer applies only without --query; a JMESPath
		// transformer is passed as the query so the renderer keeps its
		// column order.
		if cmd.TableQuery != "" {
			query = cmd.TableQuery
		} else if cmd.TableTransform != nil {
			result = cmd.TableTransform(result)
		}
	}
	opts := output.Options{Format: format, Query: query, Color: !truthy(rt.getenv(EnvNoColor)) && isTerminal(streams.Out)}
	if err := output.Render(streams.Out, result, opts); err != nil {
		return printError(log, err, false)
	}
	return ExitOK
}

// invoke runs the handler once, or once per --ids resource ID.
func (r *Runner) invoke(c *Context, idsGiven bool) (any, error) {
	if !idsGiven {
		return c.cmd.Run(c)
	}
	ids := c.List(DestIDs)
	// warn about Resource Id arguments that --ids overrides
	for _, a := range c.cmd.Args {
		if a.IDPart != "" {
			if v := c.val(a.dest()); v != nil && v.set {
				c.Warnf("option '%s' will be ignored due to use of '--ids'.", a.Options[0])
			}
		}
	}
	var results []any
	for _, id := range ids {
		rid, err := arm.ParseResourceID(id)
		if err != nil {
			return nil, Errorf("Invalid resource ID '%s'", id)
		}
		parts := rid.Parts()
		for _, a := range c.cmd.Args {
			if a.IDPart == "" {
				continue
			}
			if p, ok := parts[a.IDPart]; ok {
				c.parsed.vals[a.dest()] = &value{set: true, str: p, list: []string{p}}
			} else {
				delete(c.parsed.vals, a.dest())
			}
		}
		c.idSub = rid.Subscription
		res, err := c.cmd.Run(c)
		if err != nil {
			return nil, err
		}
		if res != nil {
			results = append(results, res)
		}
	}
	c.idSub = ""
	switch len(results) {
	case 0:
		return nil, nil
	case 1:
		return results[0], nil
	}
	out := make([]any, len(results))
	copy(out, results)
	return out, nil
}

// confirm asks az's y/n question on a terminal; without one it fails like az.
func (c *Context) confirm(question string) error {
	if !isTerminal(c.streams.In) {
		c.Warnf("Unable to prompt for confirmation as no tty available. Use --yes.")
		return Errorf("Operation cancelled.")
	}
	ok, err := c.PromptYesNo(question)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf("Operation cancelled.")
	}
	return nil
}

// PromptYesNo asks a y/n question on the terminal.
func (c *Context) PromptYesNo(question string) (bool, error) {
	rd := bufio.NewReader(c.streams.In)
	for {
		fmt.Fprintf(c.streams.Err, "%s (y/n): ", question)
		line, err := rd.ReadString('\n')
		ans := strings.ToLower(strings.TrimSpace(line))
		switch ans {
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		if err != nil {
			return false, Errorf("Operation cancelled.")
		}
		fmt.Fprintln(c.streams.Err, "Please enter 'y' or 'n'.")
	}
}

// printUsage prints a usage error with the command's first example, the
// way az follows argument errors with examples, and returns 2.
func printUsage(log *logger, cmd *Command, err error) int {
	var ue *UsageError
	if errors.As(err, &ue) && len(cmd.Examples) > 0 && !hasExamples(ue.Recommendations) {
		ex := cmd.Examples[0]
		ue.Recommendations = append(ue.Recommendations, "\nExamples from AI knowledge base:",
			ex.Command, ex.Summary, "",
			fmt.Sprintf("https://docs.microsoft.com/en-US/cli/azure/%s#az-%s",
				strings.ReplaceAll(cmd.groupPath(), " ", "/"), strings.ReplaceAll(cmd.Path(), " ", "-")),
			"Read more about the command in reference docs")
	}
	return printError(log, err, false)
}

func hasExamples(recs []string) bool {
	for _, r := range recs {
		if strings.Contains(r, "Examples from AI knowledge base") {
			return true
		}
	}
	return false
}

func (c *Command) groupPath() string {
	if c.group == nil {
		return ""
	}
	return c.group.Name
}

// takePositionals gives bare tokens the parser did not recognise to the
// command's Positional arguments that were not set by option, in order.
func takePositionals(args []*Arg, res *parsed) {
	for _, a := range args {
		if !a.Positional || len(res.unrecognized) == 0 || strings.HasPrefix(res.unrecognized[0], "-") {
			continue
		}
		if v := res.vals[a.dest()]; v != nil && v.set {
			continue
		}
		tok := res.unrecognized[0]
		res.unrecognized = res.unrecognized[1:]
		res.vals[a.dest()] = &value{set: true, str: tok, list: []string{tok}}
	}
}

// printError prints an error the way az does and returns the exit code.
func printError(log *logger, err error, show bool) int {
	code := exitCodeOf(err)
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		code = coded.ExitCode()
	}
	var snf *showNotFound
	if (show && arm.IsNotFound(err)) || errors.As(err, &snf) {
		code = ExitNotFound
	}
	var silent interface{ Silent() bool }
	if errors.As(err, &silent) && silent.Silent() {
		return code
	}
	msg := err.Error()
	var ce *arm.ConnectionError
	if errors.As(err, &ce) {
		msg = fmt.Sprintf("%s (is the privlink daemon running? Start it with 'privlink serve', or set %s)", msg, EnvEndpoint)
	}
	if errors.Is(err, context.Canceled) {
		msg = "Operation cancelled."
	}
	fmt.Fprintln(log.w, log.decorate(levelError, msg))
	var recs []string
	var ue *UsageError
	var e *Error
	var rec interface{ Recommendation() string }
	switch {
	case errors.As(err, &ue):
		recs = ue.Recommendations
	case errors.As(err, &e):
		recs = e.Recommendations
	case errors.As(err, &rec):
		recs = []string{rec.Recommendation()}
	}
	for _, r := range recs {
		fmt.Fprintln(log.w, r)
	}
	return code
}

// addResourceGroup adds "resourceGroup" to every object (recursively) whose
// "id" names a resource inside a resource group, as az's global result
// transform does.
func addResourceGroup(v any) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			addResourceGroup(e)
		}
	case map[string]any:
		if _, has := t["resourceGroup"]; !has {
			if id, ok := t["id"].(string); ok && id != "" {
				parts := strings.Split(id, "/")
				if len(parts) > 8 && strings.EqualFold(parts[3], "resourcegroups") {
					t["resourceGroup"] = parts[4]
				}
			}
		}
		for k, e := range t {
			if k != "sourceVault" {
				addResourceGroup(e)
			}
		}
	}
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
