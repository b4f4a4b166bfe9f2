package core

import (
	"errors"
	"fmt"
)

// Exit codes, as azure-cli uses them.
const (
	ExitOK       = 0
	ExitError    = 1 // any failure
	ExitUsage    = 2 // the command line could not be parsed
	ExitNotFound = 3 // a "show" command got a 404
)

// UsageError is a command-line error: it prints "ERROR: <msg>" (plus any
// recommendation lines) and exits 2.
type UsageError struct {
	Msg string
	// Recommendations are printed one per line after the message.
	Recommendations []string
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Error is a command failure with az-style recommendation lines; it exits 1
// (or Code when set).
type Error struct {
	Msg             string
	Recommendations []string
	Code            int
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns a plain command failure (exit 1), like az's CLIError.
func Errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// exitCodeOf returns the exit code for an error (show selects 3 for 404s).
func exitCodeOf(err error) int {
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	var ce *Error
	if errors.As(err, &ce) && ce.Code != 0 {
		return ce.Code
	}
	return ExitError
}
