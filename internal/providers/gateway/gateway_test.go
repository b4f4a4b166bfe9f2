package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

func TestGatewayCreateShape(t *testing.T) {
	h := newHub(t)
	g := h.get(h.gw)
	if str(g, "properties", "provisioningState") != "Succeeded" || str(g, "properties", "gatewayType") != "Vpn" ||
		str(g, "properties", "vpnType") != "RouteBased" || str(g, "properties", "vpnGatewayGeneration") != "Generation1" {
		t.Fatalf("gateway: %s", mustJSON(g))
	}
	if dig(g, "properties", "sku", "capacity") != 2.0 || str(g, "properties", "sku", "tier") != "VpnGw1" {
		t.Fatalf("sku: %s", mustJSON(dig(g, "properties", "sku")))
	}
	// Active-standby: the gateway answers BGP at the last usable address.
	if dig(g, "properties", "bgpSettings", "asn") != 65515.0 || str(g, "properties", "bgpSettings", "bgpPeeringAddress") != "10.1.255.30" {
		t.Fatalf("bgpSettings: %s", mustJSON(dig(g, "properties", "bgpSettings")))
	}
	pipAddr := str(h.get(h.pip), "properties", "ipAddress")
	if pipAddr == "" || str(g, "properties", "bgpSettings", "bgpPeeringAddresses", 0, "tunnelIpAddresses", 0) != pipAddr {
		t.Fatalf("tunnel address %q: %s", pipAddr, mustJSON(dig(g, "properties", "bgpSettings")))
	}
	if _, ok := dig(g, "properties").(map[string]any)["inboundDnsForwardingEndpoint"]; ok {
		t.Fatal("inboundDnsForwardingEndpoint must be absent")
	}
	ic := h.gw + "/ipConfigurations/ipconfig0"
	if str(g, "properties", "ipConfigurations", 0, "id") != ic || str(g, "properties", "ipConfigurations", 0, "properties", "privateIPAddress") != "10.1.255.30" {
		t.Fatalf("ipConfigurations: %s", mustJSON(dig(g, "properties", "ipConfigurations")))
	}
	// The subnet lists the gateway's ip configuration; the public IP names it.
	if s := h.get(h.subnet); !strings.EqualFold(str(s, "properties", "ipConfigurations", 0, "id"), ic) {
		t.Fatalf("subnet: %s", mustJSON(s))
	}
	if p := h.get(h.pip); !strings.EqualFold(str(p, "properties", "ipConfiguration", "id"), ic) {
		t.Fatalf("public IP: %s", mustJSON(p))
	}
	// The address is reserved in the network provider's IPAM.
	var allocs []network.Allocation
	err := h.Platform.Engine.Run(context.Background(), func(tx *arm.Txn) (err error) {
		allocs, err = network.SubnetAllocations(context.Background(), tx, h.subnet)
		return err
	})
	if err != nil || len(allocs) != 1 || allocs[0].IP.String() != "10.1.255.30" || !arm.SameID(allocs[0].Owner, ic) {
		t.Fatalf("allocations %+v %v", allocs, err)
	}
	// Decoded view.
	dg, err := DecodeGateway(h.record(h.gw))
	if err != nil || dg.Type != "Vpn" || dg.ASN != 65515 || !arm.SameID(dg.VNetID, h.vnet) || len(dg.IPConfigurations) != 1 ||
		dg.IPConfigurations[0].PrivateIP.String() != "10.1.255.30" || !arm.SameID(dg.IPConfigurations[0].PublicIPID, h.pip) ||
		dg.IPConfigurations[0].PublicIP.String() != pipAddr {
		t.Fatalf("DecodeGateway %+v %v", dg, err)
	}
	// Lists by resource group and subscription.
	for _, p := range []string{rgPath(sub1, "rg") + "/providers/Microsoft.Network/virtualNetworkGateways",
		"/subscriptions/" + sub1 + "/providers/Microsoft.Network/virtualNetworkGateways",
		"/subscriptions/" + sub1 + "/providers/Microsoft.Network/localNetworkGateways"} {
		if l := h.get(p); len(dig(l, "value").([]any)) != 1 {
			t.Fatalf("list %s: %s", p, mustJSON(l))
		}
	}
	// An update keeps the address and changes the sku and ASN.
	b := gwBody("Vpn", "VpnGw2", h.subnet, h.pip)
	b["properties"].(map[string]any)["enableBgp"] = true
	b["properties"].(map[string]any)["bgpSettings"] = map[string]any{"asn": 65010}
	h.must(http.StatusOK, http.MethodPut, h.gw, b)
	g = h.get(h.gw)
	if str(g, "properties", "sku", "name") != "VpnGw2" || dig(g, "properties", "bgpSettings", "asn") != 65010.0 ||
		str(g, "properties", "bgpSettings", "bgpPeeringAddress") != "10.1.255.30" || dig(g, "properties", "enableBgp") != true {
		t.Fatalf("after update: %s", mustJSON(g))
	}
}

func TestGatewayValidation(t *testing.T) {
	h := newHub(t)
	e := h.env
	spoke := e.vnet(sub1, "rg", "spoke", "2", "10.2.255.0/28")
	small := spoke + "/subnets/GatewaySubnet"
	basicPIP := e.pip(sub1, "rg", "basicpip", "Basic")
	pip2 := e.pip(sub1, "rg", "pip2", "Standard")
	pip3 := e.pip(sub1, "rg", "pip3", "Standard")
	gw := func(name string) string { return netPath(sub1, "rg", "virtualNetworkGateways", name) }
	for _, tc := range []struct {
		name, code, msg string
		body            map[string]any
	}{
		{"subnet not named GatewaySubnet", "InvalidGatewaySubnet", "must be named GatewaySubnet",
			gwBody("Vpn", "VpnGw1", h.vnet+"/subnets/default", pip2)},
		{"missing subnet", "InvalidResourceReference", "was not found",
			gwBody("Vpn", "VpnGw1", netPath(sub1, "rg", "virtualNetworks", "nope")+"/subnets/GatewaySubnet", pip2)},
		{"ExpressRoute needs /27", "GatewaySubnetIsTooSmall", "/27 or larger",
			gwBody("ExpressRoute", "ErGw1AZ", small, "")},
		{"Basic public IP on VpnGw1", "VirtualNetworkGatewayRequiresStandardSkuPublicIp", "Standard sku public IP",
			gwBody("Vpn", "VpnGw1", small, basicPIP)},
		{"public IP in use", "PublicIPAddressInUse", "already allocated",
			gwBody("Vpn", "VpnGw1", small, h.pip)},
		{"same public IP twice", "PublicIPAddressInUse", "already allocated",
			gwBody("Vpn", "VpnGw1", small, pip2, pip2)},
		{"second VPN gateway in a VNet", "VirtualNetworkAlreadyHasGatewayOfSameType", "at most one VPN gateway",
			gwBody("Vpn", "VpnGw1", h.subnet, pip2)},
		{"sku of the other type", "InvalidGatewaySkuForGatewayType", "cannot use sku",
			gwBody("ExpressRoute", "VpnGw1", h.subnet, "")},
		{"VPN gateway without public IP", "PublicIpAddressRequiredForVpnGateway", "must reference a public IP",
			gwBody("Vpn", "VpnGw1", small, "")},
		{"missing sku", "MissingRequiredProperty", "sku",
			map[string]any{"location": loc, "properties": map[string]any{"gatewayType": "Vpn",
				"ipConfigurations": gwBody("Vpn", "VpnGw1", small, pip2)["properties"].(map[string]any)["ipConfigurations"]}}},
		{"unknown gateway type", "InvalidRequestFormat", "LocalGateway",
			gwBody("LocalGateway", "VpnGw1", small, pip2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.fails(http.StatusBadRequest, tc.code, tc.msg, http.MethodPut, gw("bad"), tc.body)
		})
	}
	e.t = t
	// PolicyBased needs Basic; Basic has no active-active.
	pb := gwBody("Vpn", "VpnGw1", small, pip2)
	pb["properties"].(map[string]any)["vpnType"] = "PolicyBased"
	e.fails(http.StatusBadRequest, "PolicyBasedVpnGatewayRequiresBasicSku", "", http.MethodPut, gw("bad"), pb)
	aa := gwBody("Vpn", "VpnGw1", small, pip2)
	aa["properties"].(map[string]any)["activeActive"] = true
	e.fails(http.StatusBadRequest, "InvalidNumberOfIpConfigurations", "exactly 2", http.MethodPut, gw("bad"), aa)
	// Nothing was reserved by the refused requests.
	var n int
	_ = e.Platform.Engine.Run(context.Background(), func(tx *arm.Txn) error {
		a, err := network.SubnetAllocations(context.Background(), tx, small)
		n = len(a)
		return err
	})
	if n != 0 {
		t.Fatalf("%d addresses reserved by refused requests", n)
	}
	// An active-active VPN gateway in the /28 takes two addresses from the bottom.
	e.must(http.StatusCreated, http.MethodPut, gw("spokegw"), gwBody("Vpn", "VpnGw1AZ", small, pip2, pip3))
	g := e.get(gw("spokegw"))
	if str(g, "properties", "bgpSettings", "bgpPeeringAddress") != "10.2.255.4,10.2.255.5" || dig(g, "properties", "activeActive") != true {
		t.Fatalf("active-active: %s", mustJSON(dig(g, "properties")))
	}
	// An ExpressRoute gateway coexists with the VPN gateway in the hub.
	e.must(http.StatusCreated, http.MethodPut, gw("ergw"), gwBody("ExpressRoute", "ErGw1AZ", h.subnet, ""))
	g = e.get(gw("ergw"))
	if str(g, "properties", "bgpSettings", "bgpPeeringAddress") != "10.1.255.4" || str(g, "properties", "vpnGatewayGeneration") != "None" {
		t.Fatalf("ExpressRoute gateway: %s", mustJSON(dig(g, "properties")))
	}
	e.fails(http.StatusBadRequest, "VirtualNetworkGatewayTypeCannotBeChanged", "", http.MethodPut, gw("ergw"), gwBody("Vpn", "VpnGw1", h.subnet, pip2))

	// The Basic VPN sku takes a Basic public IP.
	fourth := e.vnet(sub1, "rg", "fourth", "4", "10.4.255.0/29")
	e.must(http.StatusCreated, http.MethodPut, gw("basicgw"), gwBody("Vpn", "Basic", fourth+"/subnets/GatewaySubnet", basicPIP))
	if g := e.get(gw("basicgw")); str(g, "properties", "bgpSettings", "bgpPeeringAddress") != "10.4.255.6" {
		t.Fatalf("Basic gateway in a /29: %s", mustJSON(dig(g, "properties")))
	}
	// A VNet whose peering uses the remote gateways cannot have its own.
	third := e.vnet(sub1, "rg", "third", "3", "10.3.255.0/27")
	e.must(http.StatusCreated, http.MethodPut, third+"/virtualNetworkPeerings/tohub", map[string]any{"properties": map[string]any{
		"remoteVirtualNetwork": map[string]any{"id": h.vnet}, "allowVirtualNetworkAccess": true, "useRemoteGateways": true}})
	pip4 := e.pip(sub1, "rg", "pip4", "Standard")
	e.fails(http.StatusBadRequest, "VirtualNetworkGatewayCannotBeCreatedWithUseRemoteGateways", "useRemoteGateways",
		http.MethodPut, gw("thirdgw"), gwBody("Vpn", "VpnGw1", third+"/subnets/GatewaySubnet", pip4))
}

func TestLocalGatewayValidation(t *testing.T) {
	e := start(t)
	e.group(sub1, "rg")
	p := netPath(sub1, "rg", "localNetworkGateways", "lgw")
	e.fails(http.StatusBadRequest, "LocalNetworkGatewayMustHaveIpAddressOrFqdn", "", http.MethodPut, p, localBody("", "10.9.0.0/16"))
	e.fails(http.StatusBadRequest, "InvalidGatewayIpAddress", "", http.MethodPut, p, localBody("300.1.1.1", "10.9.0.0/16"))
	e.fails(http.StatusBadRequest, "InvalidCIDRNotation", "10.9.0.0/16", http.MethodPut, p, localBody("198.51.100.1", "10.9.0.1/16"))
	b := localBody("198.51.100.1", "10.9.0.0/16")
	b["properties"].(map[string]any)["bgpSettings"] = map[string]any{"asn": 65515, "bgpPeeringAddress": "10.9.0.1"}
	e.fails(http.StatusBadRequest, "InvalidAsn", "reserved", http.MethodPut, p, b)
	b["properties"].(map[string]any)["bgpSettings"] = map[string]any{"asn": 65050, "bgpPeeringAddress": "10.9.0.1", "peerWeight": 5}
	e.must(http.StatusCreated, http.MethodPut, p, b)
	g := e.get(p)
	if str(g, "properties", "gatewayIpAddress") != "198.51.100.1" || dig(g, "properties", "bgpSettings", "asn") != 65050.0 ||
		str(g, "properties", "resourceGuid") == "" {
		t.Fatalf("local gateway: %s", mustJSON(g))
	}
	l, err := DecodeLocalGateway(e.record(p))
	if err != nil || l.GatewayIP.String() != "198.51.100.1" || len(l.Prefixes) != 1 || l.Prefixes[0].String() != "10.9.0.0/16" ||
		l.ASN != 65050 || l.BgpPeeringAddress.String() != "10.9.0.1" {
		t.Fatalf("DecodeLocalGateway %+v %v", l, err)
	}
	// FQDN instead of an address.
	p2 := netPath(sub1, "rg", "localNetworkGateways", "byname")
	e.must(http.StatusCreated, http.MethodPut, p2, map[string]any{"location": loc, "properties": map[string]any{
		"fqdn": "vpn.contoso.com", "localNetworkAddressSpace": map[string]any{"addressPrefixes": []string{"10.8.0.0/16"}}}})
	if g := e.get(p2); str(g, "properties", "fqdn") != "vpn.contoso.com" {
		t.Fatalf("fqdn: %s", mustJSON(g))
	}
}

func TestIPsecConnection(t *testing.T) {
	h := newHub(t)
	conn := netPath(sub1, "rg", "connections", "s2s")
	// Overlapping on-premises prefixes are refused.
	overlap := netPath(sub1, "rg", "localNetworkGateways", "overlap")
	h.must(http.StatusCreated, http.MethodPut, overlap, localBody("203.0.113.6", "10.1.128.0/17"))
	h.fails(http.StatusBadRequest, "LocalNetworkGatewayAddressSpaceOverlapsWithVirtualNetwork", "10.1.128.0/17",
		http.MethodPut, conn, ipsecBody(h.gw, overlap, "abc"))
	// BGP on the connection needs BGP on both sides.
	b := ipsecBody(h.gw, h.lgw, "abc")
	b["properties"].(map[string]any)["enableBgp"] = true
	h.fails(http.StatusBadRequest, "BgpNotEnabledOnVirtualNetworkGateway", "", http.MethodPut, conn, b)
	// Wrong gateway type for the connection type.
	er := ipsecBody(h.gw, h.lgw, "")
	er["properties"].(map[string]any)["connectionType"] = "ExpressRoute"
	h.fails(http.StatusBadRequest, "InvalidGatewayTypeForConnection", "of type ExpressRoute", http.MethodPut, conn, er)

	r := h.must(http.StatusCreated, http.MethodPut, conn, ipsecBody(h.gw, h.lgw, "Abc123"))
	if str(r.JSON(), "properties", "provisioningState") != "Updating" {
		t.Fatalf("create answer: %s", r.Body)
	}
	c := h.get(conn)
	p := c["properties"].(map[string]any)
	if _, ok := p["sharedKey"]; ok {
		t.Fatalf("GET shows the shared key: %s", mustJSON(c))
	}
	if p["connectionStatus"] != "Unknown" || p["connectionProtocol"] != "IKEv2" || p["ingressBytesTransferred"] != 0.0 ||
		str(c, "properties", "virtualNetworkGateway1", "id") != h.gw || str(c, "properties", "localNetworkGateway2", "id") != h.lgw {
		t.Fatalf("connection: %s", mustJSON(c))
	}
	// The shared key child.
	if k := h.get(conn + "/sharedkey"); k["value"] != "Abc123" {
		t.Fatalf("sharedkey: %v", k)
	}
	h.must(http.StatusOK, http.MethodPut, conn+"/sharedkey", map[string]any{"value": "NewKey1"})
	if k := h.get(conn + "/sharedkey"); k["value"] != "NewKey1" {
		t.Fatalf("sharedkey after set: %v", k)
	}
	rr := h.must(http.StatusOK, http.MethodPost, conn+"/sharedkey/reset", map[string]any{"keyLength": 40}).JSON()
	if rr["keyLength"] != 40.0 {
		t.Fatalf("reset: %v", rr)
	}
	k := str(h.get(conn+"/sharedkey"), "value")
	if len(k) != 40 || k == "NewKey1" {
		t.Fatalf("key after reset %q", k)
	}
	h.fails(http.StatusBadRequest, "InvalidSharedKeyLength", "", http.MethodPost, conn+"/sharedkey/reset", map[string]any{"keyLength": 0})
	h.fails(http.StatusNotFound, "ResourceNotFound", "", http.MethodGet, netPath(sub1, "rg", "connections", "nope")+"/sharedkey", nil)
	// An update through GET+PUT (no sharedKey in the body) keeps the key.
	c["properties"].(map[string]any)["routingWeight"] = 10
	h.must(http.StatusOK, http.MethodPut, conn, c)
	if got := str(h.get(conn+"/sharedkey"), "value"); got != k {
		t.Fatalf("key after update %q, want %q", got, k)
	}

	// The data plane sets the status through the internal state.
	if err := SetConnectionStatus(context.Background(), h.Platform.Engine, conn, "connected"); err != nil {
		t.Fatal(err)
	}
	if err := SetConnectionTraffic(context.Background(), h.Platform.Engine, conn, 100, 200); err != nil {
		t.Fatal(err)
	}
	if err := SetConnectionStatus(context.Background(), h.Platform.Engine, conn, "Up"); err == nil {
		t.Fatal("invalid status accepted")
	}
	c = h.get(conn)
	if str(c, "properties", "connectionStatus") != "Connected" || dig(c, "properties", "egressBytesTransferred") != 200.0 {
		t.Fatalf("after SetConnectionStatus: %s", mustJSON(c))
	}
	dc, err := DecodeConnection(h.record(conn))
	if err != nil || dc.Type != "IPsec" || dc.SharedKey != k || dc.Status != "Connected" || dc.RoutingWeight != 10 ||
		!arm.SameID(dc.Gateway1, h.gw) || !arm.SameID(dc.LocalGateway2, h.lgw) {
		t.Fatalf("DecodeConnection %+v %v", dc, err)
	}

	// Deleting what the connection uses is refused.
	h.fails(http.StatusBadRequest, "VirtualNetworkGatewayCannotBeDeleted", "s2s", http.MethodDelete, h.gw, nil)
	h.fails(http.StatusBadRequest, "LocalNetworkGatewayCannotBeDeleted", "s2s", http.MethodDelete, h.lgw, nil)
	h.fails(http.StatusBadRequest, "InUseSubnetCannotBeDeleted", "", http.MethodDelete, h.subnet, nil)
	h.fails(http.StatusBadRequest, "PublicIPAddressCannotBeDeleted", "", http.MethodDelete, h.pip, nil)
	h.must(http.StatusAccepted, http.MethodDelete, conn, nil)
	if err := SetConnectionStatus(context.Background(), h.Platform.Engine, conn, StatusConnected); !errors.Is(err, ErrNotFound) {
		t.Fatalf("status of a deleted connection: %v", err)
	}
	h.must(http.StatusAccepted, http.MethodDelete, h.gw, nil)
	var n int
	_ = h.Platform.Engine.Run(context.Background(), func(tx *arm.Txn) error {
		a, err := network.SubnetAllocations(context.Background(), tx, h.subnet)
		n = len(a)
		return err
	})
	if n != 0 {
		t.Fatalf("%d addresses still reserved after the gateway went", n)
	}
	h.must(http.StatusAccepted, http.MethodDelete, h.subnet, nil)
}

func TestVnet2VnetConnection(t *testing.T) {
	h := newHub(t)
	e := h.env
	spoke := e.vnet(sub1, "rg", "other", "2", "10.2.255.0/27")
	pip := e.pip(sub1, "rg", "pip2", "Standard")
	gw2 := netPath(sub1, "rg", "virtualNetworkGateways", "gw2")
	e.must(http.StatusCreated, http.MethodPut, gw2, gwBody("Vpn", "VpnGw1", spoke+"/subnets/GatewaySubnet", pip))
	conn := netPath(sub1, "rg", "connections", "v2v")
	body := map[string]any{"location": loc, "properties": map[string]any{"connectionType": "Vnet2Vnet",
		"virtualNetworkGateway1": map[string]any{"id": h.gw}, "virtualNetworkGateway2": map[string]any{"id": h.gw}}}
	e.fails(http.StatusBadRequest, "InvalidVnet2VnetConnection", "", http.MethodPut, conn, body)
	body["properties"].(map[string]any)["virtualNetworkGateway2"] = map[string]any{"id": gw2}
	e.must(http.StatusCreated, http.MethodPut, conn, body)
	dc, err := DecodeConnection(e.record(conn))
	if err != nil || dc.Type != "Vnet2Vnet" || !arm.SameID(dc.Gateway2, gw2) || len(dc.SharedKey) != defaultSharedKeyLength {
		t.Fatalf("DecodeConnection %+v %v", dc, err)
	}
	e.fails(http.StatusBadRequest, "VirtualNetworkGatewayCannotBeDeleted", "v2v", http.MethodDelete, gw2, nil)
	// Changing the other end is refused.
	body["properties"].(map[string]any)["virtualNetworkGateway2"] = map[string]any{"id": h.gw}
	e.fails(http.StatusBadRequest, "ConnectionPropertyCannotBeChanged", "virtualNetworkGateway2", http.MethodPut, conn, body)
}

func circuitBody() map[string]any {
	return map[string]any{"location": loc, "sku": map[string]any{"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"},
		"properties": map[string]any{"serviceProviderProperties": map[string]any{
			"serviceProviderName": "Equinix", "peeringLocation": "Silicon Valley", "bandwidthInMbps": 200}}}
}

func peeringBody() map[string]any {
	return map[string]any{"properties": map[string]any{"peeringType": "AzurePrivatePeering", "peerASN": 65001,
		"primaryPeerAddressPrefix": "192.168.16.252/30", "secondaryPeerAddressPrefix": "192.168.18.252/30", "vlanId": 200}}
}

func TestExpressRoute(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.group(sub1, "rg")
	e.group(sub2, "rg2")
	circuit := netPath(sub1, "rg", "expressRouteCircuits", "er")
	bad := circuitBody()
	bad["properties"].(map[string]any)["serviceProviderProperties"].(map[string]any)["bandwidthInMbps"] = 75
	e.fails(http.StatusBadRequest, "InvalidExpressRouteCircuitBandwidth", "75", http.MethodPut, circuit, bad)
	bad = circuitBody()
	bad["sku"] = map[string]any{"name": "Standard_MeteredData", "tier": "Premium", "family": "MeteredData"}
	e.fails(http.StatusBadRequest, "InvalidExpressRouteCircuitSku", "", http.MethodPut, circuit, bad)
	e.must(http.StatusCreated, http.MethodPut, circuit, circuitBody())
	c := e.get(circuit)
	key := str(c, "properties", "serviceKey")
	if len(key) != 36 || str(c, "properties", "serviceProviderProvisioningState") != "NotProvisioned" ||
		str(c, "properties", "circuitProvisioningState") != "Enabled" || len(dig(c, "properties", "peerings").([]any)) != 0 {
		t.Fatalf("circuit: %s", mustJSON(c))
	}
	peering := circuit + "/peerings/AzurePrivatePeering"
	e.fails(http.StatusBadRequest, "ExpressRouteCircuitNotProvisioned", "NotProvisioned", http.MethodPut, peering, peeringBody())
	if err := SetServiceProviderState(ctx, e.Platform.Engine, circuit, "Provisioned"); err != nil {
		t.Fatal(err)
	}
	pb := peeringBody()
	pb["properties"].(map[string]any)["primaryPeerAddressPrefix"] = "192.168.16.0/29"
	e.fails(http.StatusBadRequest, "InvalidPeerAddressPrefixLength", "/30", http.MethodPut, peering, pb)
	e.fails(http.StatusBadRequest, "InvalidPeeringName", "", http.MethodPut, circuit+"/peerings/Other", peeringBody())

	// An ExpressRoute gateway, and a connection before the peering exists.
	vnet := e.vnet(sub1, "rg", "vnet", "5", "10.5.255.0/27")
	ergw := netPath(sub1, "rg", "virtualNetworkGateways", "ergw")
	e.must(http.StatusCreated, http.MethodPut, ergw, gwBody("ExpressRoute", "Standard", vnet+"/subnets/GatewaySubnet", ""))
	conn := netPath(sub1, "rg", "connections", "erconn")
	connBody := func(gw, key string) map[string]any {
		p := map[string]any{"connectionType": "ExpressRoute", "virtualNetworkGateway1": map[string]any{"id": gw},
			"peer": map[string]any{"id": circuit}, "routingWeight": 0}
		if key != "" {
			p["authorizationKey"] = key
		}
		return map[string]any{"location": loc, "properties": p}
	}
	e.fails(http.StatusBadRequest, "ExpressRouteCircuitPrivatePeeringNotConfigured", "", http.MethodPut, conn, connBody(ergw, ""))

	e.must(http.StatusCreated, http.MethodPut, peering, peeringBody())
	pg := e.get(peering)
	if dig(pg, "properties", "azureASN") != 12076.0 || str(pg, "properties", "state") != "Enabled" || dig(pg, "properties", "vlanId") != 200.0 {
		t.Fatalf("peering: %s", mustJSON(pg))
	}
	if c := e.get(circuit); str(c, "properties", "peerings", 0, "name") != "AzurePrivatePeering" {
		t.Fatalf("circuit peerings: %s", mustJSON(c))
	}
	e.must(http.StatusCreated, http.MethodPut, conn, connBody(ergw, ""))
	if dc, err := DecodeConnection(e.record(conn)); err != nil || dc.Type != "ExpressRoute" || !arm.SameID(dc.Circuit, circuit) || dc.SharedKey != "" {
		t.Fatalf("DecodeConnection %+v %v", dc, err)
	}
	if k := e.get(conn + "/sharedkey"); k["value"] != "" {
		t.Fatalf("ExpressRoute connection's shared key: %v", k)
	}
	e.fails(http.StatusBadRequest, "SharedKeyNotSupportedForExpressRouteConnection", "", http.MethodPut, conn+"/sharedkey", map[string]any{"value": "x"})

	// Another subscription links with an authorization key.
	vnet2 := e.vnet(sub2, "rg2", "vnet", "6", "10.6.255.0/27")
	ergw2 := netPath(sub2, "rg2", "virtualNetworkGateways", "ergw")
	e.must(http.StatusCreated, http.MethodPut, ergw2, gwBody("ExpressRoute", "ErGw1AZ", vnet2+"/subnets/GatewaySubnet", ""))
	conn2 := netPath(sub2, "rg2", "connections", "erconn")
	e.fails(http.StatusForbidden, "AuthorizationKeyRequired", "", http.MethodPut, conn2, connBody(ergw2, ""))
	e.fails(http.StatusBadRequest, "InvalidAuthorizationKey", "", http.MethodPut, conn2, connBody(ergw2, "00000000-0000-0000-0000-00000000beef"))
	auth := circuit + "/authorizations/partner"
	e.must(http.StatusCreated, http.MethodPut, auth, map[string]any{"properties": map[string]any{}})
	a := e.get(auth)
	akey := str(a, "properties", "authorizationKey")
	if len(akey) != 36 || str(a, "properties", "authorizationUseStatus") != "Available" {
		t.Fatalf("authorization: %s", mustJSON(a))
	}
	e.must(http.StatusCreated, http.MethodPut, conn2, connBody(ergw2, akey))
	if s := str(e.get(auth), "properties", "authorizationUseStatus"); s != "InUse" {
		t.Fatalf("authorization after use: %s", s)
	}
	conn3 := netPath(sub2, "rg2", "connections", "again")
	e.fails(http.StatusBadRequest, "AuthorizationKeyInUse", "", http.MethodPut, conn3, connBody(ergw2, akey))

	// Deleting the circuit or its peering while linked is refused.
	if err := SetServiceProviderState(ctx, e.Platform.Engine, circuit, "NotProvisioned"); err != nil {
		t.Fatal(err)
	}
	e.fails(http.StatusBadRequest, "ExpressRouteCircuitCannotBeDeleted", "erconn", http.MethodDelete, circuit, nil)
	e.fails(http.StatusBadRequest, "ExpressRouteCircuitPeeringCannotBeDeleted", "", http.MethodDelete, peering, nil)
	e.must(http.StatusAccepted, http.MethodDelete, conn2, nil)
	if s := str(e.get(auth), "properties", "authorizationUseStatus"); s != "Available" {
		t.Fatalf("authorization after the connection went: %s", s)
	}
	e.must(http.StatusAccepted, http.MethodDelete, conn, nil)
	// A provisioned circuit cannot be deleted.
	if err := SetServiceProviderState(ctx, e.Platform.Engine, circuit, "Provisioned"); err != nil {
		t.Fatal(err)
	}
	e.fails(http.StatusBadRequest, "CannotDeleteProvisionedExpressRouteCircuit", "Provisioned", http.MethodDelete, circuit, nil)
	dc, err := DecodeCircuit(e.record(circuit))
	if err != nil || dc.ServiceProviderState != "Provisioned" || dc.ServiceKey != key || dc.BandwidthInMbps != 200 || dc.SkuFamily != "MeteredData" {
		t.Fatalf("DecodeCircuit %+v %v", dc, err)
	}
	dp, err := DecodeCircuitPeering(e.record(peering))
	if err != nil || dp.Type != "AzurePrivatePeering" || dp.PeerASN != 65001 || dp.Primary.String() != "192.168.16.252/30" || !arm.SameID(dp.CircuitID, circuit) {
		t.Fatalf("DecodeCircuitPeering %+v %v", dp, err)
	}
	if err := SetServiceProviderState(ctx, e.Platform.Engine, circuit, "NotProvisioned"); err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusAccepted, http.MethodDelete, circuit, nil)
}

// TestResourceGroupDelete: deleting the group removes the connection
// before the gateways it uses, as Azure's group deletion does.
func TestResourceGroupDelete(t *testing.T) {
	h := newHub(t)
	conn := netPath(sub1, "rg", "connections", "s2s")
	h.must(http.StatusCreated, http.MethodPut, conn, ipsecBody(h.gw, h.lgw, "k"))
	r := h.Do(http.MethodDelete, rgPath(sub1, "rg"), rgAPI, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("delete group: %d %s", r.Status, r.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if g := h.Do(http.MethodGet, rgPath(sub1, "rg"), rgAPI, nil); g.Status == http.StatusNotFound {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("group not deleted: %s", h.Do(http.MethodGet, rgPath(sub1, "rg"), rgAPI, nil).Body)
}
