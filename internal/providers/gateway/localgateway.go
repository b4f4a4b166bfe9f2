package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Local network gateways (Microsoft.Network/localNetworkGateways): a
// customer's VPN device as Azure knows it.

// AddressSpace is ARM's addressSpace.
type AddressSpace struct {
	AddressPrefixes []string `json:"addressPrefixes"`
}

// LocalGatewayProperties are a local network gateway's stored properties.
type LocalGatewayProperties struct {
	ProvisioningState        string       `json:"provisioningState,omitempty"`
	ResourceGUID             string       `json:"resourceGuid"`
	LocalNetworkAddressSpace AddressSpace `json:"localNetworkAddressSpace"`
	GatewayIPAddress         string       `json:"gatewayIpAddress,omitempty"`
	Fqdn                     string       `json:"fqdn,omitempty"`
	BgpSettings              *BgpSettings `json:"bgpSettings,omitempty"`
}

// DecodeLocalGatewayProperties decodes a local network gateway record's
// properties.
func DecodeLocalGatewayProperties(rec *arm.Record) (*LocalGatewayProperties, error) {
	var p LocalGatewayProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode local network gateway %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

func putLocalGateway(ctx context.Context, op *arm.PutOp) error {
	var in struct {
		LocalNetworkAddressSpace *AddressSpace `json:"localNetworkAddressSpace"`
		GatewayIPAddress         string        `json:"gatewayIpAddress"`
		Fqdn                     string        `json:"fqdn"`
		BgpSettings              *struct {
			Asn               *int64 `json:"asn"`
			BgpPeeringAddress string `json:"bgpPeeringAddress"`
			PeerWeight        *int32 `json:"peerWeight"`
		} `json:"bgpSettings"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	id := op.ID.String()
	out := LocalGatewayProperties{ResourceGUID: existingGUID(op.Existing), LocalNetworkAddressSpace: AddressSpace{AddressPrefixes: []string{}}}
	ip := strings.TrimSpace(in.GatewayIPAddress)
	fqdn := strings.TrimSpace(in.Fqdn)
	switch {
	case ip != "":
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return arm.BadRequest("InvalidGatewayIpAddress",
				"Gateway IP address %s of local network gateway %s is not a valid IPv4 address.", ip, id)
		}
		out.GatewayIPAddress = a.String()
		// With both given, Azure keeps the address (as its REST example
		// shows) and drops the FQDN.
	case fqdn != "":
		out.Fqdn = fqdn
	default:
		return arm.BadRequest("LocalNetworkGatewayMustHaveIpAddressOrFqdn",
			"Local network gateway %s must specify either gatewayIpAddress or fqdn.", id)
	}
	if in.LocalNetworkAddressSpace != nil {
		seen := map[netip.Prefix]bool{}
		for _, s := range in.LocalNetworkAddressSpace.AddressPrefixes {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil || p.Addr().Zone() != "" {
				return arm.BadRequest("InvalidAddressPrefixFormat",
					"Address prefix %s of resource %s is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.", s, id)
			}
			if p.Masked() != p {
				return arm.BadRequest("InvalidCIDRNotation",
					"The address prefix %s in resource %s has an invalid CIDR notation. For the given prefix length, the address prefix should be %s.", s, id, p.Masked())
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			out.LocalNetworkAddressSpace.AddressPrefixes = append(out.LocalNetworkAddressSpace.AddressPrefixes, p.String())
		}
	}
	if b := in.BgpSettings; b != nil {
		bgp := &BgpSettings{}
		if b.Asn == nil || *b.Asn == 0 {
			return missingProperty("bgpSettings.asn", id)
		}
		bgp.Asn = *b.Asn
		if bgp.Asn < 1 || bgp.Asn > 4294967295 || reservedASNs[bgp.Asn] {
			return arm.BadRequest("InvalidAsn",
				"ASN %d of local network gateway %s is not valid. ASNs 8074, 8075, 12076, 23456, 65515 and 65517-65520 are reserved by Azure.", bgp.Asn, id)
		}
		if s := strings.TrimSpace(b.BgpPeeringAddress); s != "" {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return arm.BadRequest("InvalidBgpPeeringAddress",
					"BGP peering address %s of local network gateway %s is not a valid IP address.", s, id)
			}
			bgp.BgpPeeringAddress = a.String()
		} else {
			return missingProperty("bgpSettings.bgpPeeringAddress", id)
		}
		if b.PeerWeight != nil {
			bgp.PeerWeight = *b.PeerWeight
		}
		out.BgpSettings = bgp
	}
	if len(out.LocalNetworkAddressSpace.AddressPrefixes) == 0 && out.BgpSettings == nil {
		return arm.BadRequest("LocalNetworkGatewayMustHaveAddressSpaceOrBgp",
			"Local network gateway %s must specify localNetworkAddressSpace.addressPrefixes or bgpSettings.", id)
	}
	props, err := mergeProps(op.Body.Properties, out, "provisioningState")
	if err != nil {
		return err
	}
	if out.Fqdn == "" {
		delete(props, "fqdn")
	}
	op.Body.SetPropertiesMap(props)
	return nil
}

func localGatewayInUse(id arm.ID, refs []arm.Ref) error {
	return arm.BadRequest("LocalNetworkGatewayCannotBeDeleted",
		"Local network gateway %s cannot be deleted because it is referenced by connection(s) %s. Delete the connections first.",
		id.String(), strings.Join(refSources(refs), ", "))
}
