package main

// The site-to-site VPN part (issue 7, item 7), run with -vpn: bulk TCP
// throughput from a host of an emulated on-premises site, over a
// Connected IPsec connection, to a VM listener in the VNet, next to direct
// loopback to the same sink and to the same flow from a VM inside the
// VNet, in the same rounds.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/privlink/privlink/bench"
)

// siteToVNet runs the VPN part with its own daemon and sink and returns
// its rows.
func siteToVNet(ctx context.Context, o options, dir string) ([]row, error) {
	sink, err := bench.StartSink()
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	ddir := filepath.Join(dir, "vpn-daemon")
	progress("vpn: starting in-process daemon (embedded store) in %s", ddir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	d, err := bench.StartDaemon(ctx, ddir, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := d.Close(); err != nil {
			progress("stopping VPN daemon: %v", err)
		}
	}()
	cs, err := d.Clients(ctx, 1)
	if err != nil {
		return nil, err
	}
	defer bench.CloseClients(cs)
	t0 := time.Now()
	w, err := d.BuildVPN(ctx, cs[0], bench.VPNSpec{SinkAddr: sink.Addr()})
	if err != nil {
		return nil, fmt.Errorf("build the site-to-site topology through ARM: %w", err)
	}
	progress("vpn: site, gateway, local gateway and Connected connection built through ARM in %s: laptop %s → vpn-server %s",
		time.Since(t0).Round(time.Millisecond), w.SiteHostIP, w.ServerIP)
	token := d.App.FabricToken()
	fromSite, err := bench.SOCKSDialer(w.Env.SOCKS5, w.SiteHost, token, w.SinkDest())
	if err != nil {
		return nil, err
	}
	fromVNet, err := bench.SOCKSDialer(w.Env.SOCKS5, w.ClientVM, token, w.SinkDest())
	if err != nil {
		return nil, err
	}
	vs := []variant{
		{"direct", bench.DirectDialer(sink.Addr())},
		{"site-vpn", fromSite},
		{"vnet-vm", fromVNet},
	}
	// Warm-up: one small stream each, which also checks that the fabric
	// delivers each path (a refusal fails the dial).
	for _, v := range vs {
		if _, err := bench.Stream(v.dial, 8<<20, make([]byte, 256<<10)); err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
	}
	var rows []row
	for _, n := range o.streams {
		rates := map[string][]float64{}
		for r := range o.rounds {
			var line []string
			for _, v := range vs {
				res, err := bench.Streams(v.dial, n, o.streamBytes)
				if err != nil {
					return nil, fmt.Errorf("%s, %d streams: %w", v.name, n, err)
				}
				rates[v.name] = append(rates[v.name], res.BytesPerSec())
				line = append(line, fmt.Sprintf("%s %s", v.name, mbps(res.BytesPerSec())))
			}
			progress("vpn stream n=%d round %d: %s", n, r+1, strings.Join(line, ", "))
		}
		desc := func(k string) string {
			return fmt.Sprintf("%s (rounds %s)", mbps(bench.Median(rates[k])), spanf(rates[k], mbps))
		}
		toDirect := bench.Ratios(rates["site-vpn"], rates["direct"])
		toVM := bench.Ratios(rates["site-vpn"], rates["vnet-vm"])
		rows = append(rows, row{
			what: fmt.Sprintf("Site-to-site VPN bulk TCP, %d stream(s), %d MiB per round, on-premises host laptop (%s, site corp) → VPN connection (Connected) → VpnGw1 → vpn-server %s listener → sink, through SOCKS5; median of %d rounds",
				n, o.streamBytes>>20, w.SiteHostIP, w.SinkDest(), o.rounds),
			value:  desc("site-vpn"),
			ref:    "direct loopback: " + desc("direct"),
			ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(toDirect), spanf(toDirect, f2)),
			target: "≥ 0.8× direct (issue 3's bulk target)",
			met:    bench.Met(bench.Median(toDirect) >= targetStreamRatio),
		}, row{
			what:   fmt.Sprintf("… breakdown, %d stream(s): the same sink from VM vpn-vm in the VNet (no gateway on the path), same proxy", n),
			ref:    "vnet-vm: " + desc("vnet-vm"),
			ratio:  fmt.Sprintf("site ÷ in-VNet %.2f (rounds %s)", bench.Median(toVM), spanf(toVM, f2)),
			target: "–", met: "–",
		})
	}
	return rows, nil
}
