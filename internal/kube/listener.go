package kube

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ownerOnlyListener accepts only TCP connections whose client socket is
// open in this very process (see the package documentation). Any other
// connection is closed as soon as it is accepted.
type ownerOnlyListener struct {
	net.Listener
	log *slog.Logger
	// owned reports whether the socket with this inode is open in the
	// process; a field so that tests can observe calls.
	owned func(inode uint64) (bool, error)
}

// listenOwnerOnly listens on addr (a loopback address; port 0 picks one)
// and returns a listener that refuses connections from other processes.
func listenOwnerOnly(addr string, log *slog.Logger) (*ownerOnlyListener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("kube: listen address %q: %w", addr, err)
	}
	if !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("kube: listen address %s is not a loopback address", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kube: listen %s: %w", addr, err)
	}
	return &ownerOnlyListener{Listener: l, log: log, owned: socketOpenInProcess}, nil
}

// Accept returns the next connection made from this process.
func (l *ownerOnlyListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ok, why := l.fromThisProcess(c)
		if ok {
			return c, nil
		}
		l.log.Debug("kube: refused a connection from outside the process", "remote", c.RemoteAddr().String(), "reason", why)
		_ = c.Close()
	}
}

// fromThisProcess looks the client socket up: its (address, port) pair is
// the local end of a socket in /proc/net/tcp{,6}, whose inode must be among
// the sockets this process holds open.
func (l *ownerOnlyListener) fromThisProcess(c net.Conn) (bool, string) {
	client, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return false, err.Error()
	}
	server, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return false, err.Error()
	}
	inode, err := clientSocketInode(client, server)
	if err != nil {
		return false, err.Error()
	}
	ok, err := l.owned(inode)
	if err != nil {
		return false, err.Error()
	}
	if !ok {
		return false, "client socket belongs to another process"
	}
	return true, ""
}

// clientSocketInode finds the inode of the socket whose local end is client
// and remote end is server.
func clientSocketInode(client, server netip.AddrPort) (uint64, error) {
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	server = netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	// The kernel's exact lookup first: scanning /proc/net/tcp costs as
	// much as there are sockets on the machine.
	if inode, found, err := diagSocketInode(client, server); err == nil {
		if found {
			return inode, nil
		}
		return 0, fmt.Errorf("no socket %s -> %s", client, server)
	}
	files := []string{"/proc/net/tcp", "/proc/net/tcp6"}
	for _, f := range files {
		inode, found, err := scanProcNetTCP(f, client, server)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
		if found {
			return inode, nil
		}
	}
	return 0, fmt.Errorf("no socket %s -> %s in /proc/net/tcp", client, server)
}

// scanProcNetTCP reads one /proc/net/tcp-format file.
func scanProcNetTCP(path string, client, server netip.AddrPort) (uint64, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	first := true
	for sc.Scan() {
		if first { // header line
			first = false
			continue
		}
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
		if len(fields) < 10 {
			continue
		}
		local, err := parseProcAddr(fields[1])
		if err != nil || local != client {
			continue
		}
		remote, err := parseProcAddr(fields[2])
		if err != nil || remote != server {
			continue
		}
		inode, err := strconv.ParseUint(fields[9], 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s: inode %q: %w", path, fields[9], err)
		}
		if inode == 0 {
			continue // a socket no process holds any more (TIME_WAIT etc.)
		}
		return inode, true, nil
	}
	return 0, false, sc.Err()
}

// parseProcAddr parses "0100007F:1F90" (IPv4) or the 32-hex-digit IPv6 form;
// the address is stored as host-order 32-bit words.
func parseProcAddr(s string) (netip.AddrPort, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	raw, err := hex.DecodeString(hexAddr)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", s)
	}
	// Each 32-bit word is in host (little-endian on the platforms Linux
	// privlink runs on) byte order.
	for i := 0; i+4 <= len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// socketOpenInProcess reports whether /proc/self/fd holds a link to
// socket:[inode].
func socketOpenInProcess(inode uint64) (bool, error) {
	dir := "/proc/self/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", dir, err)
	}
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if target == want {
			return true, nil
		}
	}
	return false, nil
}
