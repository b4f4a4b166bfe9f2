package bench

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// TestHubSpokeRecords checks the generated topology on a small instance:
// spoke to spoke flows cross the hub's appliance and are delivered, and
// telnet is denied by the spoke NSG.
func TestHubSpokeRecords(t *testing.T) {
	hs, err := GenerateHubSpoke(5, 3)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fabric.Build(1, hs.Records)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.VNets) != 5 || len(s.NICs) != 15 || len(hs.VMs) != 14 || len(s.Peerings) != 8 {
		t.Fatalf("%d VNets, %d NICs, %d VMs, %d peerings", len(s.VNets), len(s.NICs), len(hs.VMs), len(s.Peerings))
	}
	if err := CheckDelivered(s, hs.Queries(100)); err != nil {
		t.Fatal(err)
	}
	src, dst := strings.ToLower(hs.VMs[len(hs.VMs)-1]), hs.IPs[2] // spoke4 -> spoke1
	v := path.Evaluate(s, fabric.Query{Source: src, Dest: dst, Protocol: fabric.TCP, Port: 80})
	var kinds []string
	for _, h := range v.Hops {
		kinds = append(kinds, h.Type)
	}
	if got := strings.Join(kinds, ","); got != "Source,VirtualNetwork,VirtualNetwork,VirtualAppliance,VirtualNetwork,Destination" {
		t.Errorf("spoke to spoke hops %s", got)
	}
	if v := path.Evaluate(s, fabric.Query{Source: src, Dest: dst, Protocol: fabric.TCP, Port: 23}); v.Outcome != fabric.DeniedByNSG {
		t.Errorf("telnet: %s", v.Outcome)
	}
	if hs.StoredBytes <= 0 {
		t.Error("no stored bytes")
	}
}

// TestStreamAndConnect checks the load operations against the real sink
// and echo servers, directly.
func TestStreamAndConnect(t *testing.T) {
	sink, err := StartSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	echo, err := StartEcho()
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	r, err := Streams(DirectDialer(sink.Addr()), 2, 3<<20)
	if err != nil || r.Bytes != 3<<20 {
		t.Fatalf("streams: %+v %v", r, err)
	}
	if _, err := Run(context.Background(), 2, 20, ConnectOp(DirectDialer(echo.Addr()))); err != nil {
		t.Fatal(err)
	}
	// A sink that is not one: the byte count check must fail.
	if _, err := Stream(DirectDialer(echo.Addr()), 1<<10, make([]byte, 512)); err == nil {
		t.Fatal("Stream against the echo server succeeded")
	}
}

func TestParseDNSPerf(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "dnsperf")
	script := `#!/bin/sh
cat <<'EOF'
Statistics:

  Queries sent:         1000
  Queries completed:    998 (99.80%)
  Queries lost:         2 (0.20%)

  Response codes:       NOERROR 998 (100.00%)
  Average packet size:  request 36, response 52
  Run time (s):         1.000123
  Queries per second:   997.877

  Average Latency (s):  0.000456 (min 0.000012, max 0.001234)
EOF
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	r, err := RunDNSPerf(context.Background(), "127.0.0.1:53", "/dev/null", DNSPerfArgs{Duration: 1, Clients: 1, Threads: 1, Outstanding: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.QPS != 997.877 || r.Sent != 1000 || r.Completed != 998 || r.Lost != 2 || r.AvgLatency != 0.000456 || r.Rcodes != "NOERROR 998 (100.00%)" {
		t.Fatalf("%+v", r)
	}
}

// fabricEnv is an in-process daemon with the World built over it.
type fabricEnv struct {
	d           *Daemon
	w           *World
	sink, echo  *Server
	sinkDial    Dialer // through the fabric
	echoDial    Dialer // through the fabric
	directSink  Dialer
	directEcho  Dialer
	socksByName Dialer
}

func newFabricEnv(b *testing.B) *fabricEnv {
	b.Helper()
	ctx := context.Background()
	e := &fabricEnv{}
	var err error
	if e.sink, err = StartSink(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.sink.Close() })
	if e.echo, err = StartEcho(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.echo.Close() })
	if e.d, err = StartDaemon(ctx, b.TempDir(), nil); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.d.Close() })
	cs, err := e.d.Clients(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer CloseClients(cs)
	if e.w, err = e.d.BuildWorld(ctx, cs[0], WorldSpec{SinkAddr: e.sink.Addr(), EchoAddr: e.echo.Addr(), Records: 4}); err != nil {
		b.Fatal(err)
	}
	tok := e.d.App.FabricToken()
	for dst, dest := range map[*Dialer]string{&e.sinkDial: e.w.SinkDest(), &e.echoDial: e.w.EchoDest(), &e.socksByName: e.w.EchoName()} {
		if *dst, err = SOCKSDialer(e.d.App.SOCKSAddr(), e.w.Env.Vantage, tok, dest); err != nil {
			b.Fatal(err)
		}
	}
	e.directSink, e.directEcho = DirectDialer(e.sink.Addr()), DirectDialer(e.echo.Addr())
	return e
}

// BenchmarkFabricConnect measures connection setup (dial, one byte
// echoed, close) directly and through the fabric's SOCKS5 proxy from
// vm-client to vm-server (by address and by private DNS name), over a
// World built through the ARM API. The program
// bench/cmd/privlink-fabric-bench gives the full comparison (HAProxy
// too); this is its quick form.
func BenchmarkFabricConnect(b *testing.B) {
	e := newFabricEnv(b)
	for _, c := range []struct {
		name string
		dial Dialer
	}{{"direct", e.directEcho}, {"privlink", e.echoDial}, {"privlink-name", e.socksByName}} {
		b.Run(c.name, func(b *testing.B) {
			op := ConnectOp(c.dial)
			for b.Loop() {
				if err := op(context.Background(), 0, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFabricStream measures one bulk TCP stream (64 MiB per
// operation) to the sink directly and through the fabric.
func BenchmarkFabricStream(b *testing.B) {
	e := newFabricEnv(b)
	const size = 64 << 20
	buf := make([]byte, 256<<10)
	for _, c := range []struct {
		name string
		dial Dialer
	}{{"direct", e.directSink}, {"privlink", e.sinkDial}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if _, err := Stream(c.dial, size, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFabricDNS measures one query at a time (UDP) to the vantage
// VNet's resolver, answering from the linked private zone.
func BenchmarkFabricDNS(b *testing.B) {
	e := newFabricEnv(b)
	c, err := net.Dial("udp", e.w.Env.DNSServer)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := WaitDNS(nil, e.w.Env.DNSServer, e.w.Names[0], e.w.ServerIP); err != nil {
		b.Fatal(err)
	}
	q := dnsQuery(e.w.Names[0])
	buf := make([]byte, 512)
	for b.Loop() {
		if _, err := c.Write(q); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateHubSpoke evaluates random VM-to-VM flows on the
// 1,000-VNet, 10,000-NIC hub-and-spoke built from stored records with
// fabric.Build, reporting the median latency and the snapshot's heap.
func BenchmarkEvaluateHubSpoke(b *testing.B) {
	hs, err := GenerateHubSpoke(1000, 10)
	if err != nil {
		b.Fatal(err)
	}
	s, _, held, err := hs.BuildMeasured()
	if err != nil {
		b.Fatal(err)
	}
	if len(s.VNets) != 1000 || len(s.NICs) != 10000 {
		b.Fatalf("%d VNets, %d NICs", len(s.VNets), len(s.NICs))
	}
	qs := hs.Queries(4096)
	if err := CheckDelivered(s, qs[:64]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	var lat []float64
	for b.Loop() {
		r := EvaluateAll(s, qs[i%len(qs):i%len(qs)+1])
		lat = append(lat, float64(r.Latencies[0].Nanoseconds()))
		i++
	}
	b.ReportMetric(Median(lat), "p50-ns")
	b.ReportMetric(float64(held)/1e6, "snapshot-MB")
}
