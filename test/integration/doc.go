// Package integration holds privlink's daemon-level tests: the daemon
// assembled by internal/app (embedded etcd store, certificates, token
// issuer, every provider) started in-process on port 0 and driven end to
// end by the real Azure SDK for Go with a real azidentity credential that
// obtains its token from the daemon; restarts on the same data directory;
// and the `privlink` binary itself run as a child process (readiness,
// SIGKILL in the middle of a write burst, SIGINT/SIGTERM, `privlink env`).
//
// Run with: go test -race ./test/integration/
package integration
