package dns

import (
	"encoding/json"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// A snapshot built with fabric.Build from stored-record shapes: a hub with
// a VPN gateway, a DNS private resolver and the privatelink zone; an
// on-premises site (Privlink.OnPrem) whose DNS server forwards to the
// inbound endpoint. The real path evaluator carries every hop (site →
// gateway → inbound endpoint).

const realRG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"

type recList struct{ list []*arm.Record }

func (r *recList) add(id, typ string, props any, internal ...any) {
	b, err := json.Marshal(props)
	if err != nil {
		panic(err)
	}
	rec := &arm.Record{Resource: arm.Resource{ID: id, Name: id[strings.LastIndexByte(id, '/')+1:], Type: typ, Location: "eastus", Properties: b},
		State: arm.StateSucceeded}
	if len(internal) > 0 {
		rec.Internal, _ = json.Marshal(internal[0])
	}
	r.list = append(r.list, rec)
}

type obj = map[string]any

func nw(typ, name string) string { return realRG + "Microsoft.Network/" + typ + "/" + name }

// realHybrid builds the records; forwarder is the site's conditional
// forwarder domain; key is the site device's shared key.
func realHybrid(t testing.TB, forwarder, key string, extra func(r *recList)) (*fabric.Snapshot, string) {
	t.Helper()
	r := &recList{}
	hub := nw("virtualNetworks", "hub")
	del := []obj{{"name": "d", "properties": obj{"serviceName": "Microsoft.Network/dnsResolvers"}}}
	r.add(hub, "Microsoft.Network/virtualNetworks", obj{"addressSpace": obj{"addressPrefixes": []string{"10.1.0.0/16"}}})
	r.add(hub+"/subnets/GatewaySubnet", "Microsoft.Network/virtualNetworks/subnets", obj{"addressPrefix": "10.1.255.0/27"})
	r.add(hub+"/subnets/inbound", "Microsoft.Network/virtualNetworks/subnets", obj{"addressPrefix": "10.1.10.0/28", "delegations": del})
	r.add(hub+"/subnets/outbound", "Microsoft.Network/virtualNetworks/subnets", obj{"addressPrefix": "10.1.11.0/28", "delegations": del})
	// VPN gateway, local network gateway, connection.
	r.add(nw("publicIPAddresses", "gw-pip"), "Microsoft.Network/publicIPAddresses", obj{"ipAddress": "52.160.0.10", "publicIPAllocationMethod": "Static"})
	r.add(nw("virtualNetworkGateways", "gw"), "Microsoft.Network/virtualNetworkGateways", obj{"gatewayType": "Vpn", "vpnType": "RouteBased",
		"ipConfigurations": []obj{{"name": "ipconfig", "properties": obj{"publicIPAddress": obj{"id": nw("publicIPAddresses", "gw-pip")},
			"subnet": obj{"id": hub + "/subnets/GatewaySubnet"}}}}})
	r.add(nw("localNetworkGateways", "lng"), "Microsoft.Network/localNetworkGateways",
		obj{"gatewayIpAddress": "198.51.100.1", "localNetworkAddressSpace": obj{"addressPrefixes": []string{"192.168.0.0/16"}}})
	r.add(nw("connections", "conn"), "Microsoft.Network/connections", obj{"connectionType": "IPsec",
		"virtualNetworkGateway1": obj{"id": nw("virtualNetworkGateways", "gw")}, "localNetworkGateway2": obj{"id": nw("localNetworkGateways", "lng")}},
		obj{"sharedKey": "s3cret"})
	// Resolver with an inbound endpoint at 10.1.10.4.
	res := nw("dnsResolvers", "res")
	r.add(res, fabric.TypeDNSResolver, obj{"virtualNetwork": obj{"id": hub}})
	r.add(res+"/inboundEndpoints/in", fabric.TypeInboundEndpoint, obj{"ipConfigurations": []obj{{"subnet": obj{"id": hub + "/subnets/inbound"},
		"privateIpAddress": "10.1.10.4", "privateIpAllocationMethod": "Dynamic"}}})
	r.add(res+"/outboundEndpoints/out", fabric.TypeOutboundEndpoint, obj{"subnet": obj{"id": hub + "/subnets/outbound"}},
		fabric.OutboundEndpointInternal{PrivateIPAddress: "10.1.11.4"})
	// The privatelink zone linked to the hub.
	zone := nw("privateDnsZones", plZone)
	r.add(zone, "Microsoft.Network/privateDnsZones", obj{})
	r.add(zone+"/virtualNetworkLinks/hub", "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
		obj{"virtualNetwork": obj{"id": hub}, "registrationEnabled": false, "virtualNetworkLinkState": "Completed"})
	r.add(zone+"/A/aks1", "Microsoft.Network/privateDnsZones/A", obj{"ttl": 10, "aRecords": []obj{{"ipv4Address": "10.1.0.10"}}})
	// The site: DNS server 192.168.0.4 forwarding to the inbound endpoint.
	site := realRG + "Privlink.OnPrem/sites/corp"
	r.add(site, "Privlink.OnPrem/sites", obj{"addressPrefixes": []string{"192.168.0.0/16"}, "edgePublicIpAddress": "198.51.100.1",
		"dnsServer":  obj{"privateIpAddress": "192.168.0.4", "forwarders": []obj{{"domain": forwarder, "targetIpAddresses": []string{"10.1.10.4"}}}},
		"vpnDevices": []obj{{"name": "edge1", "remoteGatewayIpAddress": "52.160.0.10", "sharedKey": key}}})
	r.add(site+"/hosts/laptop", "Privlink.OnPrem/sites/hosts", obj{"privateIpAddress": "192.168.1.10", "powerState": "running"})
	if extra != nil {
		extra(r)
	}
	s, err := fabric.Build(1, r.list)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return s, strings.ToLower(site + "/hosts/laptop")
}

func TestHybridWithSiteModel(t *testing.T) {
	const name = "aks1." + plZone
	cases := []struct {
		name      string
		forwarder string
		key       string
		extra     func(r *recList)
		rcode     int
		addrs     []string
		steps     []string
		blocks    []string
	}{{
		name: "VPN up: the inbound endpoint answers with the hub's zone", forwarder: "eastus.azmk8s.io", key: "s3cret",
		rcode: mdns.RcodeSuccess, addrs: []string{"10.1.0.10"},
		steps: []string{"conditional forwarder eastus.azmk8s.io. -> 10.1.10.4", "inbound endpoint in (10.1.10.4) of resolver res"},
	}, {
		name: "VPN down (wrong shared key): the forwarder cannot reach the endpoint", forwarder: "eastus.azmk8s.io", key: "wrong",
		rcode:  mdns.RcodeServerFailure,
		blocks: []string{"DNS server 10.1.10.4 is not reachable from dnsserver over udp/53", "the shared key of site corp's device edge1 does not match"},
	}, {
		name: "an NSG on the inbound subnet denies the site", forwarder: "eastus.azmk8s.io", key: "s3cret",
		extra: func(r *recList) {
			nsg := nw("networkSecurityGroups", "in-nsg")
			r.add(nsg, "Microsoft.Network/networkSecurityGroups", obj{})
			r.add(nsg+"/securityRules/deny-onprem", "Microsoft.Network/networkSecurityGroups/securityRules",
				obj{"priority": 100, "direction": "Inbound", "access": "Deny", "protocol": "Udp", "sourceAddressPrefix": "192.168.0.0/16",
					"destinationAddressPrefix": "*", "sourcePortRange": "*", "destinationPortRange": "53"})
			for _, rec := range r.list {
				if strings.HasSuffix(rec.Resource.ID, "/subnets/inbound") {
					rec.Resource.Properties, _ = json.Marshal(obj{"addressPrefix": "10.1.10.0/28", "networkSecurityGroup": obj{"id": nsg}})
				}
			}
		},
		rcode: mdns.RcodeServerFailure, blocks: []string{"deny-onprem"},
	}, {
		name: "no forwarder for the zone: public DNS has no such name", forwarder: "contoso.com", key: "s3cret",
		rcode: mdns.RcodeNameError, steps: []string{"no conditional forwarder covers the name: public DNS answers"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, laptop := realHybrid(t, tc.forwarder, tc.key, tc.extra)
			if s.Hosts[laptop] == nil || s.Hosts[laptop].Kind != fabric.KindOnPrem {
				t.Fatalf("no on-premises host %s in the snapshot", laptop)
			}
			// The pure function and the server (with path.Evaluate) agree.
			a := Resolve(s, laptop, name, mdns.TypeA)
			srv, err := New(Config{Source: fabric.StaticSource{S: s}, Evaluate: path.Evaluate})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = srv.Close() }()
			b := hexchange(t, srv, laptop, name)
			for _, got := range []Answer{a, b} {
				if got.Rcode != tc.rcode || strings.Join(addrsOf(got), ",") != strings.Join(tc.addrs, ",") {
					dumpAnswer(t, got)
					t.Fatalf("rcode %s addrs %v, want %s %v", got.RcodeText(), addrsOf(got), mdns.RcodeToString[tc.rcode], tc.addrs)
				}
				for _, st := range tc.steps {
					if !hasStep(got, st) {
						dumpAnswer(t, got)
						t.Errorf("no step contains %q", st)
					}
				}
				for _, bl := range tc.blocks {
					if !hasBlock(got, bl) {
						dumpAnswer(t, got)
						t.Errorf("no block contains %q", bl)
					}
				}
			}
		})
	}
}
