//go:build !linux

package kube

import (
	"errors"
	"net/netip"
)

// diagSocketInode is Linux's sock_diag lookup; elsewhere the caller scans
// /proc (which such systems do not have either: the listener then refuses
// every connection, as documented).
func diagSocketInode(client, server netip.AddrPort) (uint64, bool, error) {
	return 0, false, errors.New("sock_diag is Linux-only")
}
