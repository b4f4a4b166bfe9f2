package kube

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// diagSocketInode asks the kernel (NETLINK_SOCK_DIAG, an exact inet_diag
// lookup by 4-tuple, as ss(8) does) for the inode of the TCP socket whose
// local end is client and remote end is server. Unlike a scan of
// /proc/net/tcp, its cost does not grow with the number of sockets on the
// machine (tens of thousands in TIME_WAIT after a load test). found is
// false when no such socket exists; an error means the lookup itself could
// not be made (the caller then scans /proc).
func diagSocketInode(client, server netip.AddrPort) (inode uint64, found bool, err error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, false, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: 2}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return 0, false, fmt.Errorf("sock_diag timeout: %w", err)
	}
	// An IPv4 client may hold an AF_INET socket or a dual-stack AF_INET6
	// one (IPv4-mapped addresses).
	families := []uint8{unix.AF_INET6}
	if client.Addr().Unmap().Is4() {
		families = []uint8{unix.AF_INET, unix.AF_INET6}
	}
	for seq, fam := range families {
		ino, ok, err := diagLookup(fd, uint32(seq+1), fam, client, server)
		if err != nil || ok {
			return ino, ok, err
		}
	}
	return 0, false, nil
}

// inet_diag request and reply layout (linux/inet_diag.h).
const (
	nlmsgHdrLen      = 16
	inetDiagReqV2Len = 56
	inetDiagSockID   = 48
	// Offset of idiag_inode in a reply: header, then family, state,
	// timer, retrans (4), the socket ID (48), expires, rqueue, wqueue,
	// uid (16).
	inodeOffset = nlmsgHdrLen + 4 + inetDiagSockID + 16
)

func diagLookup(fd int, seq uint32, family uint8, client, server netip.AddrPort) (uint64, bool, error) {
	req := make([]byte, nlmsgHdrLen+inetDiagReqV2Len)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(req[8:], seq)
	r := req[nlmsgHdrLen:]
	r[0] = family
	r[1] = unix.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xffffffff) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], client.Port())
	binary.BigEndian.PutUint16(id[2:], server.Port())
	putDiagAddr(id[4:20], family, client.Addr())
	putDiagAddr(id[20:36], family, server.Addr())
	ne.PutUint32(id[40:], 0xffffffff) // INET_DIAG_NOCOOKIE
	ne.PutUint32(id[44:], 0xffffffff)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, false, fmt.Errorf("sock_diag send: %w", err)
	}
	buf := make([]byte, 8192)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return 0, false, fmt.Errorf("sock_diag receive: %w", err)
		}
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			l := int(ne.Uint32(b[0:]))
			typ := ne.Uint16(b[4:])
			if l < nlmsgHdrLen || l > len(b) {
				return 0, false, errors.New("sock_diag: truncated reply")
			}
			msg := b[:l]
			b = b[(l+3)&^3:]
			if ne.Uint32(msg[8:]) != seq {
				continue // a late reply to an earlier query
			}
			switch typ {
			case unix.NLMSG_ERROR:
				if len(msg) >= nlmsgHdrLen+4 {
					if errno := -int32(ne.Uint32(msg[nlmsgHdrLen:])); errno == int32(unix.ENOENT) {
						return 0, false, nil
					} else if errno != 0 {
						return 0, false, fmt.Errorf("sock_diag: %w", unix.Errno(errno))
					}
				}
				return 0, false, nil
			case unix.SOCK_DIAG_BY_FAMILY:
				if len(msg) < inodeOffset+4 {
					return 0, false, errors.New("sock_diag: short reply")
				}
				ino := uint64(ne.Uint32(msg[inodeOffset:]))
				return ino, ino != 0, nil
			case unix.NLMSG_DONE:
				return 0, false, nil
			}
		}
	}
}

// putDiagAddr writes an address in inet_diag_sockid's form: IPv4 in the
// first 4 bytes for AF_INET, the 16 bytes (IPv4-mapped for an IPv4
// address) for AF_INET6.
func putDiagAddr(dst []byte, family uint8, a netip.Addr) {
	if family == unix.AF_INET {
		v4 := a.Unmap().As4()
		copy(dst, v4[:])
		return
	}
	v6 := a.As16()
	copy(dst, v6[:])
}
