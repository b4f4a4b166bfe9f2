package core

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/cli/arm"
)

// Streams are the standard streams of a run.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// runtime is what a run shares across its command invocations.
type runtime struct {
	getenv     func(string) string
	httpClient *http.Client
	sleep      func(ctx context.Context, d time.Duration) error
	sess       *session
	cfg        *Config
}

// Context is what a command handler gets: its parsed arguments, the
// streams, logging, and lazy access to the daemon (ARM client, subscription).
type Context struct {
	ctx     context.Context
	cmd     *Command
	streams Streams
	rt      *runtime
	parsed  *parsed
	log     *logger

	// idSub is the subscription of the --ids resource ID being processed.
	idSub       string
	resolvedSub string
}

// Context returns the run's context.Context.
func (c *Context) Context() context.Context { return c.ctx }

// Command returns the full command name, e.g. "group create".
func (c *Context) Command() string { return c.cmd.Path() }

// Streams returns the run's standard streams.
func (c *Context) Streams() Streams { return c.streams }

// Interactive reports whether stdin is a terminal (prompts are possible).
func (c *Context) Interactive() bool { return isTerminal(c.streams.In) }

// Getenv reads the environment the run sees.
func (c *Context) Getenv(key string) string { return c.rt.getenv(key) }

// Sleep waits d or until the run is cancelled.
func (c *Context) Sleep(d time.Duration) error {
	if c.rt.sleep != nil {
		return c.rt.sleep(c.ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.ctx.Done():
		return c.ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Context) val(dest string) *value { return c.parsed.vals[dest] }

// Has reports whether the argument was given (on the command line, by
// --ids, or by a configured default).
func (c *Context) Has(dest string) bool {
	v := c.val(dest)
	return v != nil && (v.set || v.dflt)
}

// String returns a String/Int/TriState argument, or its Default.
func (c *Context) String(dest string) string {
	if v := c.val(dest); v != nil && (v.set || v.dflt) {
		return v.str
	}
	return c.defaultOf(dest)
}

// Int returns an Int argument (0 when absent and without Default).
func (c *Context) Int(dest string) int {
	n, _ := strconv.Atoi(c.String(dest))
	return n
}

// Bool returns a Flag (given or not) or a TriState ("true").
func (c *Context) Bool(dest string) bool {
	v := c.val(dest)
	if v == nil || !(v.set || v.dflt) {
		return strings.EqualFold(c.defaultOf(dest), "true")
	}
	if v.flag {
		return true
	}
	return v.str == "true"
}

// OptBool returns a TriState argument, nil when absent.
func (c *Context) OptBool(dest string) *bool {
	if !c.Has(dest) {
		return nil
	}
	b := c.Bool(dest)
	return &b
}

// List returns a List/OptionalList argument (nil when absent; an empty,
// non-nil slice for a bare nargs='*' option).
func (c *Context) List(dest string) []string {
	if v := c.val(dest); v != nil && (v.set || v.dflt) {
		if v.list == nil {
			return []string{}
		}
		return v.list
	}
	return nil
}

// Tags returns a --tags style argument as a tags object, nil when absent.
func (c *Context) Tags(dest string) map[string]any {
	if !c.Has(dest) {
		return nil
	}
	return ParseTags(c.List(dest))
}

// NoWait reports --no-wait.
func (c *Context) NoWait() bool { return c.Bool(DestNoWait) }

// Options returns the option strings the user typed for an argument.
func (c *Context) Options(dest string) []string {
	if v := c.val(dest); v != nil {
		return v.options
	}
	return nil
}

func (c *Context) defaultOf(dest string) string {
	for _, a := range c.cmd.allArgs() {
		if a.dest() == dest {
			return a.Default
		}
	}
	return ""
}

// Set overrides an argument value (for handlers that derive one argument
// from another).
func (c *Context) Set(dest, v string) {
	c.parsed.vals[dest] = &value{set: true, str: v}
}

// Config returns the CLI state file (cli.json), loaded on first use.
func (c *Context) Config() (*Config, error) {
	if c.rt.cfg != nil {
		return c.rt.cfg, nil
	}
	st, err := c.Settings()
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(st.ConfigPath())
	if err != nil {
		return nil, err
	}
	c.rt.cfg = cfg
	return cfg, nil
}

// Location returns the location argument (normalised like az), else the
// configured default, else the resource group's location — az's
// get_default_location_from_resource_group.
func (c *Context) Location(locDest, rgDest string) (string, error) {
	if c.Has(locDest) && c.String(locDest) != "" {
		return NormalizeLocation(c.String(locDest)), nil
	}
	rg := c.String(rgDest)
	if rg == "" {
		return "", Usagef("the following arguments are required: --location/-l")
	}
	loc, err := c.ResourceGroupLocation(rg)
	if err != nil {
		return "", err
	}
	c.Infof("Using the location '%s' of resource group '%s'", loc, rg)
	return loc, nil
}

// ResourceGroupLocation reads a resource group's location.
func (c *Context) ResourceGroupLocation(rg string) (string, error) {
	client, err := c.ARM()
	if err != nil {
		return "", err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	obj, err := client.GetObject(c.ctx, "/subscriptions/"+sub+"/resourcegroups/"+rg, ResourceGroupsAPIVersion, nil)
	if err != nil {
		return "", err
	}
	loc, _ := obj["location"].(string)
	return loc, nil
}

// ResourceGroupsAPIVersion is what az 2.45 sends for resource groups.
const ResourceGroupsAPIVersion = "2021-04-01"

// Warnf prints a warning to stderr ("WARNING: ..." unless colour is on),
// suppressed by --only-show-errors.
func (c *Context) Warnf(format string, args ...any) { c.log.logf(levelWarning, format, args...) }

// Infof prints with --verbose or --debug.
func (c *Context) Infof(format string, args ...any) { c.log.logf(levelInfo, format, args...) }

// Debugf prints with --debug.
func (c *Context) Debugf(format string, args ...any) { c.log.logf(levelDebug, format, args...) }

// Printf writes plain text to stderr regardless of verbosity (prompts,
// recommendation lines).
func (c *Context) Printf(format string, args ...any) {
	fmt.Fprintf(c.streams.Err, format, args...)
}

// NotFoundAsExit3 wraps err so the run exits 3 when it is an ARM 404: for
// commands that behave like az "show" only in some code paths.
func NotFoundAsExit3(err error) error {
	if arm.IsNotFound(err) {
		return &showNotFound{err}
	}
	return err
}

type showNotFound struct{ err error }

func (e *showNotFound) Error() string { return e.err.Error() }
func (e *showNotFound) Unwrap() error { return e.err }

// log levels
const (
	levelError = iota
	levelWarning
	levelInfo
	levelDebug
)

type logger struct {
	w     io.Writer
	level int
	color bool
}

func (l *logger) logf(level int, format string, args ...any) {
	if level > l.level {
		return
	}
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(l.w, l.decorate(level, msg))
}

var levelNames = map[int]string{levelError: "ERROR", levelWarning: "WARNING", levelInfo: "INFO", levelDebug: "DEBUG"}
var levelColors = map[int]string{levelError: "\x1b[91m", levelWarning: "\x1b[33m", levelInfo: "\x1b[32m", levelDebug: "\x1b[36m"}

// decorate formats like knack: a level prefix without colour, a colour
// without prefix.
func (l *logger) decorate(level int, msg string) string {
	if l.color {
		return levelColors[level] + msg + "\x1b[0m"
	}
	return levelNames[level] + ": " + msg
}

// isTerminal reports whether a stream is a character device (a terminal).
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}

// Occurrences returns each use of the given Repeat arguments in
// command-line order.
func (c *Context) Occurrences(dests ...string) []Occurrence {
	var out []Occurrence
	for _, o := range c.parsed.ordered {
		for _, d := range dests {
			if o.Dest == d {
				out = append(out, o)
			}
		}
	}
	return out
}
