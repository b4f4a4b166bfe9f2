// Command privlink is Azure's private networking for Kubernetes, offline:
// `privlink serve` runs the emulator; any other command (or the binary
// invoked as `az`) is the az-compatible CLI.
package main

import (
	"context"
	"os"

	"github.com/privlink/privlink/internal/app"
)

func main() {
	os.Exit(app.Main(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}
