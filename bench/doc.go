// Package bench measures privlink's performance targets (issue 2) the way
// the project requires: every speed or memory figure is reported next to a
// reference measured in the same invocation, and as a ratio to it, never
// as a pass/fail timed test.
//
// Two entry points share the helpers of this package:
//
//   - Go benchmarks (arm_bench_test.go), run only with -bench:
//
//     go test -run '^$' -bench . -benchtime 2s ./bench/
//
//     They start the daemon in-process over an embedded etcd in a temporary
//     directory and drive ARM PUT and GET of user-assigned identities with
//     1, 16 and 64 concurrent HTTP/2 clients over TLS, reporting ops/s and
//     p50/p99 latency next to the same number of operations issued
//     directly to the store (store.Create / store.Get of a value of the same
//     size), and the ratio of the two.
//
//   - cmd/privlink-bench, a program that also measures the idle RSS and
//     the time-to-ready of a real `privlink serve` child process next to
//     reference processes (cmd/tlsref: a minimal Go HTTPS server;
//     cmd/etcdref: the embedded etcd alone) and prints a markdown table for
//     RESULTS.md:
//
//     go run ./bench/cmd/privlink-bench
//
// Nothing here runs under a plain `go test ./...` beyond a few
// millisecond-scale unit tests of the statistics helpers.
//
// The data-plane benchmarks (issue 3: fabric proxy, VNet DNS, path evaluator; fabric*.go) run as `go run ./bench/cmd/privlink-fabric-bench`.
// The Private Link benchmarks (issue 4; privatelink*.go) run with `-privatelink`; TestPrivateLinkWorld starts a daemon (about 3 s; skipped with -short).
package bench
