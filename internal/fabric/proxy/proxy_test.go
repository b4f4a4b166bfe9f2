package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/fabric"
)

func TestLookupVantage(t *testing.T) {
	s := buildSnapshot(1, nil)
	tests := []struct {
		name, in, wantID, wantErr string
	}{
		{"id lower", vm1ID, vm1ID, ""},
		{"id original case", originalCase(vm1ID), vm1ID, ""},
		{"id upper", strings.ToUpper(vm1ID), vm1ID, ""},
		{"name", "vm2", vm2ID, ""},
		{"name any case", "VM2", vm2ID, ""},
		{"internet", "internet", fabric.InternetHostID, ""},
		{"internet any case", "INTERNET", fabric.InternetHostID, ""},
		{"ambiguous", "web", "", "vantage 'web' is ambiguous: " + originalCase(webAID) + ", " + originalCase(webBID) + "; use the resource ID"},
		{"disambiguated by id", originalCase(webBID), webBID, ""},
		{"unknown name", "vmx", "", "vantage 'vmx' not found: no host has that name or resource ID"},
		{"unknown id", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/nope", "",
			"vantage '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/nope' not found: no host has that resource ID"},
		{"empty", "", "", "no vantage given"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := LookupVantage(s, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || h.ID != tc.wantID {
				t.Fatalf("got %v, %v; want %s", h, err, tc.wantID)
			}
		})
	}
	// A VM named "internet" does not shadow the internet vantage.
	s2 := buildSnapshot(2, func(hosts map[string]*fabric.Host, _ *fabric.Snapshot) {
		hosts[vm2ID].Name = "internet"
	})
	if h, err := LookupVantage(s2, "internet"); err != nil || h.ID != fabric.InternetHostID {
		t.Errorf("internet with a VM of that name: %v %v", h, err)
	}
}

func TestFlowsCutWhenHostsGoAwayButNotOnRuleChanges(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(hosts map[string]*fabric.Host, s *fabric.Snapshot)
	}{
		{"destination stopped", func(h map[string]*fabric.Host, _ *fabric.Snapshot) {
			h[vm2ID].Running, h[vm2ID].PowerState = false, "PowerState/stopped"
		}},
		{"destination deleted", func(h map[string]*fabric.Host, _ *fabric.Snapshot) { delete(h, vm2ID) }},
		{"source deallocated", func(h map[string]*fabric.Host, _ *fabric.Snapshot) {
			h[vm1ID].Running, h[vm1ID].PowerState = false, "PowerState/deallocated"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			sc, err := socksDialer(t, e.socks, "vm1", testToken).Dial("tcp", dstEcho)
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			resp, hc := rawConnect(t, e.http, basicAuth("vm1", testToken), dstEcho)
			if resp.StatusCode != 200 {
				t.Fatalf("CONNECT: %s", resp.Status)
			}
			dc, v, err := e.p.Dial(context.Background(), "vm1", dstSSH)
			if err != nil || !v.Allowed() {
				t.Fatalf("Dial: %v %+v", err, v)
			}
			defer dc.Close()
			e.waitFlows(3)
			conns := []net.Conn{sc, hc}
			ping := func(what string) {
				t.Helper()
				for i, c := range conns {
					_ = c.SetDeadline(time.Now().Add(3 * time.Second))
					mustWrite(t, c, []byte("ping\n"))
					if got := mustRead(t, c, 5); string(got) != "ping\n" {
						t.Fatalf("%s: conn %d echo = %q", what, i, got)
					}
				}
			}
			ping("before")

			// A rule change (new NSG, new revision, same hosts) keeps
			// established flows, like Azure's stateful NSGs.
			e.src.Set(buildSnapshot(2, func(_ map[string]*fabric.Host, s *fabric.Snapshot) {
				s.NSGs["/nsg"] = &fabric.NSG{ID: "/nsg", Name: "deny-all", Rules: []*fabric.SecurityRule{{
					Name: "deny-all", Priority: 100, Direction: fabric.Inbound, Access: "Deny", Protocol: fabric.ProtoAny,
					SourcePrefixes: []string{"*"}, DestinationPrefixes: []string{"*"}, SourcePorts: []string{"*"}, DestinationPorts: []string{"*"}}}}
			}))
			ping("after a rule change")
			if n := len(e.p.Flows()); n != 3 {
				t.Fatalf("flows after a rule change = %d, want 3", n)
			}

			e.src.Set(buildSnapshot(3, tc.mutate))
			for i, c := range append(conns, dc) {
				_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
				b, err := io.ReadAll(c)
				if isTimeout(err) {
					t.Fatalf("conn %d still open after the host went away", i)
				}
				_ = b
			}
			e.waitFlows(0)
			e.log.waitLog(t, "closing flow: its host went away")
			// New connections are refused now.
			_, rep, _ := rawSOCKS(t, e.socks, "vm1", testToken, dstEcho)
			if rep == 0 {
				t.Errorf("new connection delivered after the host went away")
			}
		})
	}
}

func TestDial(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	c, v, err := e.p.Dial(ctx, originalCase(vm1ID), "web.internal:80")
	if err != nil || v.Outcome != fabric.Delivered || v.TargetHost == nil || v.TargetHost.ID != vm2ID {
		t.Fatalf("Dial: %v %+v", err, v)
	}
	if fs := e.waitFlows(1); fs[0].Via != "dial" || fs[0].Name != "web.internal" || fs[0].Dest.String() != dstEcho {
		t.Errorf("flow = %+v", fs[0])
	}
	echoRoundTrip(t, c, "dialled")
	c.Close()
	e.waitFlows(0)

	_, v, err = e.p.Dial(ctx, "vm1", dstNSG)
	var re *RefusedError
	if !errors.As(err, &re) || v.Outcome != fabric.DeniedByNSG || re.Vantage != vm1ID {
		t.Fatalf("NSG: err %v verdict %+v", err, v)
	}
	if !strings.Contains(err.Error(), nsgReason) {
		t.Errorf("error %q lacks the block reason", err)
	}
	_, v, err = e.p.Dial(ctx, "vm1", dstNotLoop)
	if err == nil || v.Outcome != fabric.Delivered || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("non-loopback target: %v %+v", err, v)
	}
	_, v, err = e.p.Dial(ctx, "nobody", dstEcho)
	if !errors.As(err, &re) || v.Outcome != fabric.SourceDown || !strings.Contains(err.Error(), "vantage 'nobody' not found") {
		t.Fatalf("unknown vantage: %v %+v", err, v)
	}
	if _, _, err = e.p.Dial(ctx, "vm1", "no-port"); err == nil {
		t.Fatal("Dial without a port succeeded")
	}

	// The SSH answer through Dial honours read deadlines.
	b, _, err := e.p.Dial(ctx, "vm1", dstSSH)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	line, err := bufio.NewReader(b).ReadString('\n')
	if err != nil || line != SSHBanner {
		t.Fatalf("banner %q %v", line, err)
	}
	_ = b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	if _, err := b.Write([]byte("client hello")); err != nil {
		t.Fatalf("write to the SSH answer: %v", err)
	}
	if err := b.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = b.SetReadDeadline(time.Time{})
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after CloseWrite: %v, want EOF", err)
	}
	if b.LocalAddr().String() != "10.0.0.4:0" || b.RemoteAddr().String() != dstSSH {
		t.Errorf("addrs %s -> %s", b.LocalAddr(), b.RemoteAddr())
	}
}

func TestCloseEndsEverything(t *testing.T) {
	e := newEnv(t)
	c, err := socksDialer(t, e.socks, "vm1", testToken).Dial("tcp", dstEcho)
	if err != nil {
		t.Fatal(err)
	}
	// A client stuck in the SOCKS handshake.
	stuck, err := net.Dial("tcp", e.socks)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	mustWrite(t, stuck, []byte{5})
	e.waitFlows(1)
	if err := e.p.Close(); err != nil {
		t.Fatal(err)
	}
	for i, x := range []net.Conn{c, stuck} {
		_ = x.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadAll(x); isTimeout(err) {
			t.Errorf("conn %d still open after Close", i)
		}
	}
	if n := len(e.p.Flows()); n != 0 {
		t.Errorf("flows after Close = %d", n)
	}
	if _, _, err := e.p.Dial(context.Background(), "vm1", dstEcho); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Dial after Close: %v", err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := e.p.ServeSOCKS(l); !errors.Is(err, net.ErrClosed) {
		t.Errorf("ServeSOCKS after Close: %v", err)
	}
}

func TestEmptyTokenLetsNobodyIn(t *testing.T) {
	p := New(Config{Source: fabric.StaticSource{S: buildSnapshot(1, nil)},
		Evaluate: (&fakeEval{}).Evaluate, Resolve: (&fakeResolver{}).Resolve})
	defer p.Close()
	if _, err := p.checkCredentials("vm1", nil); err == nil {
		t.Fatal("empty token accepted")
	}
}
