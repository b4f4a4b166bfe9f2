//go:build !unix

package dns

import "syscall"

// reusePort is nil where SO_REUSEPORT does not exist: a listener has one
// UDP socket.
var reusePort func(network, address string, c syscall.RawConn) error
