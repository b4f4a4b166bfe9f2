package dns

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/privlink/privlink/internal/fabric"
)

// udpBatch is how many datagrams one recvmmsg reads, and one sendmmsg
// writes, at most.
const udpBatch = 16

// startReaders runs one batching reader per socket.
func (s *Server) startReaders(l *listener) {
	for _, c := range l.udp {
		l.readers.Add(1)
		go s.readUDP(l, c)
	}
}

// batch is a reader's recvmmsg/sendmmsg state, allocated once: the
// kernel fills in and reads from these structures, which point into each
// other (the heap does not move).
type batch struct {
	in      [udpBatch]unix.Mmsghdr
	inIov   [udpBatch]unix.Iovec
	names   [udpBatch]unix.RawSockaddrAny
	bufs    [udpBatch][udpReadSize]byte
	out     [udpBatch]unix.Mmsghdr
	outIov  [udpBatch]unix.Iovec
	outBufs [udpBatch][maxWireReply]byte
}

func newBatch() *batch {
	b := new(batch)
	for i := range b.in {
		b.inIov[i].Base = &b.bufs[i][0]
		b.in[i].Hdr.Iov = &b.inIov[i]
		b.in[i].Hdr.SetIovlen(1)
		b.in[i].Hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		b.outIov[i].Base = &b.outBufs[i][0]
		b.out[i].Hdr.Iov = &b.outIov[i]
		b.out[i].Hdr.SetIovlen(1)
	}
	return b
}

// readUDP is the reader loop of one socket: read what is queued (up to
// udpBatch datagrams, or wait for one), answer the table's hits in one
// sendmmsg, hand the rest to serveSlow.
func (s *Server) readUDP(l *listener, conn *net.UDPConn) {
	defer l.readers.Done()
	rc, err := conn.SyscallConn()
	if err != nil {
		s.log.Error("dns: udp listener without a raw socket", "vnet", l.vnetID, "addr", l.addr, "err", err)
		return
	}
	b := newBatch()
	key := make([]byte, 0, 1+255+4)
	var n int
	var errno syscall.Errno
	// EINTR is retried at once: the poller is edge-triggered, so waiting
	// for readiness could wait for the next datagram.
	recv := func(fd uintptr) bool {
		for {
			r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.in[0])), udpBatch, unix.MSG_DONTWAIT, 0, 0)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			n, errno = int(r), e
			return true
		}
	}
	var sent, queued int
	send := func(fd uintptr) bool {
		for {
			r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.out[sent])), uintptr(queued-sent), unix.MSG_DONTWAIT, 0, 0)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			n, errno = int(r), e
			return true
		}
	}
	for {
		for i := range b.in {
			b.inIov[i].SetLen(udpReadSize)
			b.in[i].Hdr.Namelen = unix.SizeofSockaddrAny
			b.in[i].Hdr.Flags = 0
			b.in[i].Len = 0
		}
		if err := rc.Read(recv); err != nil {
			if s.readErr(l, err) {
				return
			}
			continue
		}
		if errno != 0 {
			if s.readErr(l, errno) {
				return
			}
			continue
		}
		got := n
		queued = 0
		for i := range got {
			p := b.bufs[i][:b.in[i].Len]
			if b.in[i].Hdr.Flags&unix.MSG_TRUNC != 0 {
				p = b.bufs[i][:] // cut short: never a plain query
			}
			if r, ok := s.fastReply(l, p, &key, b.outBufs[queued][:0]); ok {
				o := &b.out[queued]
				b.outIov[queued].SetLen(len(r))
				o.Hdr.Name = b.in[i].Hdr.Name
				o.Hdr.Namelen = b.in[i].Hdr.Namelen
				queued++
				continue
			}
			from, ok := sockaddrPort(&b.names[i], b.in[i].Hdr.Namelen)
			if !ok {
				continue
			}
			s.goSlow(l, conn, p, from)
		}
		for sent = 0; sent < queued; {
			if err := rc.Write(send); err != nil {
				if !errors.Is(err, net.ErrClosed) {
					s.log.Debug("dns: write replies", "vnet", l.vnetID, "proto", fabric.UDP, "err", err)
				}
				break
			}
			if errno != 0 {
				// The first message of the rest failed: drop it.
				s.log.Debug("dns: write reply", "vnet", l.vnetID, "proto", fabric.UDP, "err", errno)
				n = 1
			}
			sent += n
		}
	}
}

// sockaddrPort decodes the source address recvmmsg filled in.
func sockaddrPort(sa *unix.RawSockaddrAny, n uint32) (netip.AddrPort, bool) {
	switch sa.Addr.Family {
	case unix.AF_INET:
		if n < unix.SizeofSockaddrInet4 {
			return netip.AddrPort{}, false
		}
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&in.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(in.Addr), port), true
	case unix.AF_INET6:
		if n < unix.SizeofSockaddrInet6 {
			return netip.AddrPort{}, false
		}
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&in.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom16(in.Addr), port), true
	}
	return netip.AddrPort{}, false
}
