package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/pki"
	"github.com/privlink/privlink/internal/providers/cdn"
)

// FrontDoorAppID is the application (client) ID of Azure Front Door's
// first-party identity: the caller of the ARM requests a profile makes
// for the resources it owns (its hidden network, edge host and private
// endpoints).
var FrontDoorAppID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://privlink/front-door-resource-provider")).String()

// newFrontDoor builds the Microsoft.Cdn provider: an in-process ARM client
// as Front Door's identity, the edge's certificate for *.z01.azurefd.net
// from privlink's CA, and dials through the fabric from the edge hosts.
// The daemon starts its edge listeners and controller once the data plane
// runs (Start) and stops them before the data plane (Close).
func (d *Daemon) newFrontDoor(h http.Handler, iss *auth.Issuer) (*cdn.Provider, error) {
	client, err := newInProcessARM(h, iss, d.Endpoint(), FrontDoorAppID, "privlink-front-door")
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := d.Serving.CA.Issue(pki.ServerTemplate("*."+cdn.EndpointDomain, []string{"*." + cdn.EndpointDomain}))
	if err != nil {
		return nil, fmt.Errorf("front door edge certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("front door edge certificate: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	roots.AppendCertsFromPEM(d.Serving.CA.CertPEM())
	dp := d.fabric
	p := &cdn.Provider{
		ARM: client,
		Dial: func(ctx context.Context, vantage, addr string) (net.Conn, error) {
			c, _, err := dp.proxy.Dial(ctx, vantage, addr)
			return c, err
		},
		Certificate: &cert,
		OriginRoots: roots,
		// Every resource write goes through the fence: the edge rereads
		// its configuration after any of them.
		Generation: dp.fence.Revision,
		Log:        d.log.With("component", "frontdoor"),
	}
	p.ClientIP = func(remote netip.AddrPort) (netip.Addr, bool) { return edgeClientIP(dp, p, remote) }
	return p, nil
}

// runFrontDoor starts the edge once the data plane has its first snapshot.
func (d *Daemon) runFrontDoor(ctx context.Context) {
	select {
	case <-d.fabric.watcher.Ready():
	case <-ctx.Done():
		return
	}
	if err := d.frontDoor.Start(ctx); err != nil && ctx.Err() == nil {
		d.log.Error("start front door edge", "err", err)
	}
}

// edgeClientIP finds the emulated client of an edge connection: the flow
// into an edge listener whose source the loopback peer encodes
// (127.b.c.d for a.b.c.d, see docs/data-plane.md).
func edgeClientIP(dp *dataPlane, p *cdn.Provider, remote netip.AddrPort) (netip.Addr, bool) {
	httpT, httpsT := p.EdgeTargets()
	r := remote.Addr().Unmap().As4()
	for _, f := range dp.proxy.Flows() {
		if f.Target != httpT && f.Target != httpsT || !f.Bound || !f.Source.Is4() {
			continue
		}
		if s := f.Source.As4(); s[1] == r[1] && s[2] == r[2] && s[3] == r[3] {
			return f.Source, true
		}
	}
	return netip.Addr{}, false
}
