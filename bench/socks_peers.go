package bench

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// SOCKSPeer is a SOCKS5 server written in C, run as a peer of the fabric's
// SOCKS5 ingress: the same protocol and the same client as privlink, so
// the difference is the server alone (HAProxy, the other peer, is a plain
// TCP relay and its clients skip the SOCKS5 negotiation).
type SOCKSPeer struct {
	*External
	Addr    string
	Version string
	// User and Password are empty when the peer runs without
	// authentication (one round trip fewer than privlink's RFC 1929
	// negotiation).
	User, Password string
	Config         string
}

// Dialer dials dest (a real loopback address) through the peer.
func (p *SOCKSPeer) Dialer(dest string) (Dialer, error) {
	return SOCKSDialer(p.Addr, p.User, p.Password, dest)
}

// StartMicrosocks runs microsocks (Debian package microsocks: one thread
// per connection) on a free loopback port with user name/password
// authentication, the negotiation privlink's ingress requires.
func StartMicrosocks(user, password string) (*SOCKSPeer, error) {
	bin, err := LookPeer("microsocks")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &SOCKSPeer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Version: "microsocks " + debVersion("microsocks"), User: user, Password: password}
	if p.External, err = startExternal("microsocks", bin, "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-u", user, "-P", password); err != nil {
		return nil, err
	}
	if err := waitTCP(p.External, p.Addr); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// StartDante runs Dante's danted (Debian package dante-server: pre-forked
// negotiation, request and I/O processes) on a free loopback port. Dante
// checks user names and passwords against the system's accounts, so it
// runs without authentication here ("socksmethod: none"): one round trip
// fewer than privlink's negotiation.
func StartDante(dir string) (*SOCKSPeer, error) {
	bin, err := LookPeer("danted")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &SOCKSPeer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if v, err := exec.Command(bin, "-v").Output(); err == nil {
		p.Version = strings.TrimSuffix(strings.TrimSpace(strings.SplitN(string(v), ".  ", 2)[0]), ".")
	}
	users := "" // as another user, Dante runs as that user
	if os.Geteuid() == 0 {
		users = "user.privileged: root\nuser.unprivileged: nobody\n"
	}
	p.Config = fmt.Sprintf(`logoutput: stderr
internal: 127.0.0.1 port = %d
external: 127.0.0.1
clientmethod: none
socksmethod: none
%sclient pass {
    from: 127.0.0.0/8 to: 0.0.0.0/0
}
socks pass {
    from: 127.0.0.0/8 to: 127.0.0.0/8
    command: connect
}
`, port, users)
	path := filepath.Join(dir, "danted.conf")
	if err := os.WriteFile(path, []byte(p.Config), 0o600); err != nil {
		return nil, err
	}
	pidfile := filepath.Join(dir, "danted.pid")
	if p.External, err = startExternal("danted", bin, "-f", path, "-p", pidfile); err != nil {
		return nil, err
	}
	if err := waitTCP(p.External, p.Addr); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// debVersion is the installed version of a Debian package, or "".
func debVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
