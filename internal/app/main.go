package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/privlink/privlink/internal/cli"
	"github.com/privlink/privlink/internal/kube"
)

// Main dispatches the binary: `serve`, `env` and `version` are the
// daemon's commands, `kubectl` (or the binary invoked as `kubectl`) is the
// embedded kubectl; everything else, and every invocation through a file
// named `az`, is the az-compatible CLI.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := strings.TrimSuffix(filepath.Base(args[0]), ".exe")
	rest := args[1:]
	if name == "kubectl" {
		return kube.KubectlMain(rest, stdin, stdout, stderr)
	}
	if name != "az" && len(rest) > 0 {
		switch rest[0] {
		case "kubectl":
			// The embedded kubectl (k8s.io/kubectl), so that machines
			// without one can drive the emulated clusters.
			return kube.KubectlMain(rest[1:], stdin, stdout, stderr)
		case "serve":
			return Serve(ctx, rest[1:], stdout, stderr)
		case "env":
			if hasFlag(rest[1:], "--from") {
				return envFrom(ctx, rest[1:], stdin, stdout, stderr)
			}
			return Env(rest[1:], stdout, stderr)
		case "version", "--version":
			fmt.Fprintf(stdout, "privlink %s\n", Version)
			return 0
		}
	}
	return cli.Run(ctx, rest, cli.Streams{In: stdin, Out: stdout, Err: stderr})
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// envFrom runs `privlink env --from VANTAGE [--data-dir D] [-g RG]`: the
// CLI's `fabric env`, which asks the daemon through the ARM API.
func envFrom(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cliArgs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--data-dir" && i+1 < len(args):
			os.Setenv("PRIVLINK_DATA_DIR", args[i+1])
			i++
		case strings.HasPrefix(a, "--data-dir="):
			os.Setenv("PRIVLINK_DATA_DIR", strings.TrimPrefix(a, "--data-dir="))
		default:
			cliArgs = append(cliArgs, a)
		}
	}
	return cli.Run(ctx, append([]string{"fabric", "env"}, cliArgs...), cli.Streams{In: stdin, Out: stdout, Err: stderr})
}
