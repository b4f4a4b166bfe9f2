package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/privlink/privlink/internal/cli"
)

// Main dispatches the binary: `serve`, `env` and `version` are the
// daemon's commands; everything else, and every invocation through a file
// named `az`, is the az-compatible CLI.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := strings.TrimSuffix(filepath.Base(args[0]), ".exe")
	rest := args[1:]
	if name != "az" && len(rest) > 0 {
		switch rest[0] {
		case "serve":
			return Serve(ctx, rest[1:], stdout, stderr)
		case "env":
			return Env(rest[1:], stdout, stderr)
		case "version", "--version":
			fmt.Fprintf(stdout, "privlink %s\n", Version)
			return 0
		}
	}
	return cli.Run(ctx, rest, cli.Streams{In: stdin, Out: stdout, Err: stderr})
}
