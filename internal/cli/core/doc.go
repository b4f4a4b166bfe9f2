// Package core is the az-compatible command framework the CLI's command
// groups are built on: a command tree (Group, Command), arguments with
// argparse semantics (Arg, Kind), az-style help, the per-invocation Context
// (parsed arguments, logging, lazily built ARM client, subscription
// resolution, cli.json state), az's error printing and exit codes, the
// automatic --ids argument, and ready-made show/list/delete/wait/update
// commands for ARM resource types (ResourceType, Resource, Updater).
//
// See the documentation of package cli (internal/cli/doc.go) for how to
// add a command group.
package core
