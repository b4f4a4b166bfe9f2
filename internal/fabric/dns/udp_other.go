//go:build !linux

package dns

import (
	"net"

	"github.com/privlink/privlink/internal/fabric"
)

// startReaders runs readers goroutines on each socket: one datagram per
// read and per write.
func (s *Server) startReaders(l *listener) {
	n := 1
	if len(l.udp) == 1 {
		n = udpSockets()
	}
	for _, c := range l.udp {
		for range n {
			l.readers.Add(1)
			go s.readUDP(l, c)
		}
	}
}

func (s *Server) readUDP(l *listener, conn *net.UDPConn) {
	defer l.readers.Done()
	buf := make([]byte, udpReadSize)
	out := make([]byte, 0, maxWireReply)
	key := make([]byte, 0, 1+255+4)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.readErr(l, err) {
				return
			}
			continue
		}
		p := buf[:n]
		if r, ok := s.fastReply(l, p, &key, out); ok {
			if _, err := conn.WriteToUDPAddrPort(r, from); err != nil {
				s.log.Debug("dns: write reply", "vnet", l.vnetID, "proto", fabric.UDP, "err", err)
			}
			continue
		}
		s.goSlow(l, conn, p, from)
	}
}
