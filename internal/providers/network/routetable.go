package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Route tables (Microsoft.Network/routeTables) with their routes (an
// inline child, also addressable on its own).
//
// Confirmed from public error reports: MissingNextHopIpAddress,
// InUseRouteTableCannotBeDeleted, InvalidAddressPrefixFormat (as for
// virtual networks). Unconfirmed, chosen by analogy: MissingNextHopType,
// NextHopIpAddressNotAllowed, InvalidNextHopIpAddress, RouteConflict.

const (
	routeTableType = "Microsoft.Network/routeTables"
	routeType      = routeTableType + "/routes"

	nextHopVirtualAppliance = "VirtualAppliance"
)

var routeNextHopTypes = []string{"VirtualNetworkGateway", "VnetLocal", "Internet", nextHopVirtualAppliance, "None"}

// RouteTableProperties are a route table's stored properties (routes and
// subnets are rendered from their records and refs).
type RouteTableProperties struct {
	ResourceGUID               string `json:"resourceGuid,omitempty"`
	DisableBgpRoutePropagation bool   `json:"disableBgpRoutePropagation"`
	ProvisioningState          string `json:"provisioningState,omitempty"`
}

// RouteProperties are a route's properties.
type RouteProperties struct {
	ProvisioningState string `json:"provisioningState,omitempty"`
	AddressPrefix     string `json:"addressPrefix"`
	NextHopType       string `json:"nextHopType"`
	NextHopIPAddress  string `json:"nextHopIpAddress,omitempty"`
	HasBgpOverride    *bool  `json:"hasBgpOverride,omitempty"`
}

// DecodeRoute decodes a route record's properties.
func DecodeRoute(rec *arm.Record) (*RouteProperties, error) {
	var p RouteProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode route %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// DecodeRouteTable decodes a route table record's properties.
func DecodeRouteTable(rec *arm.Record) (*RouteTableProperties, error) {
	var p RouteTableProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode route table %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

func registerRouteTables(p *arm.Platform) error {
	p.Registry.Register(
		&arm.TypeSpec{
			Type:              routeTableType,
			APIVersions:       versions(),
			Location:          arm.LocationRequired,
			ETag:              true,
			ProvisioningState: true,
			AsyncPut:          true,
			AsyncDelete:       true,
			NoSystemData:      true,
			Children:          []arm.ChildSpec{{Property: "routes", Type: "routes"}},
			BackRefs:          []arm.BackRef{{Property: "subnets", Kind: kindSubnet}},
			ValidateName:      validateNetworkName,
			Put:               putRouteTable,
			Delete:            deleteRouteTable,
			InUse:             routeTableInUse,
		},
		&arm.TypeSpec{
			Type:              routeType,
			APIVersions:       versions(),
			Location:          arm.LocationNone,
			ETag:              true,
			ProvisioningState: true,
			AsyncPut:          true,
			AsyncDelete:       true,
			NoSystemData:      true,
			ValidateName:      validateNetworkName,
			Put:               putRoute,
			NotFound:          childResourceNotFound,
		},
	)
	return nil
}

func putRouteTable(ctx context.Context, op *arm.PutOp) error {
	var in struct {
		DisableBgpRoutePropagation bool `json:"disableBgpRoutePropagation"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	if err := checkInlineNames(op, "routes"); err != nil {
		return err
	}
	if err := touchParentGuard(ctx, op.Tx, op.ID.String()); err != nil {
		return err
	}
	return op.Body.SetProperties(RouteTableProperties{
		ResourceGUID:               existingGUID(op.Existing),
		DisableBgpRoutePropagation: in.DisableBgpRoutePropagation,
	})
}

func deleteRouteTable(ctx context.Context, op *arm.DeleteOp) error {
	dropParentGuard(op.Tx, op.ID.String())
	return nil
}

func routeTableInUse(id arm.ID, refs []arm.Ref) error {
	return arm.BadRequest("InUseRouteTableCannotBeDeleted",
		"Route table %s is in use and cannot be deleted.", id.Name())
}

type routeInput struct {
	AddressPrefix    string `json:"addressPrefix"`
	NextHopType      string `json:"nextHopType"`
	NextHopIPAddress string `json:"nextHopIpAddress"`
}

func putRoute(ctx context.Context, op *arm.PutOp) error {
	var in routeInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	props, err := normalizeRoute(op.ID, inlinePath(op, "routes"), &in)
	if err != nil {
		return err
	}
	table, _ := op.ID.Parent()
	if err := checkRoutePrefixConflict(ctx, op, table, props); err != nil {
		return err
	}
	if op.Inline {
		// Routes written with their table complete with it.
		op.State = arm.StateSucceeded
	}
	return op.Body.SetProperties(props)
}

// normalizeRoute validates a route with Azure's errors.
func normalizeRoute(id arm.ID, path string, in *routeInput) (*RouteProperties, error) {
	name := id.Name()
	hop, err := nrpEnum(in.NextHopType, routeNextHopTypes, "RouteNextHopType", path+"nextHopType")
	if err != nil {
		return nil, err
	}
	if hop == "" {
		return nil, arm.BadRequest("MissingNextHopType",
			"NextHopType cannot be Null or Empty in route %s.", name)
	}
	prefix, ok := canonicalRoutePrefix(in.AddressPrefix)
	if !ok {
		return nil, arm.BadRequest("InvalidAddressPrefixFormat",
			"Address prefix %s of resource %s is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.",
			in.AddressPrefix, id.String())
	}
	out := &RouteProperties{AddressPrefix: prefix, NextHopType: hop}
	ip := strings.TrimSpace(in.NextHopIPAddress)
	switch {
	case hop == nextHopVirtualAppliance && ip == "":
		return nil, arm.BadRequest("MissingNextHopIpAddress",
			"NextHopIpAddress cannot be Null or Empty in route %s when NextHopType is VirtualAppliance.", name)
	case hop != nextHopVirtualAppliance && ip != "":
		return nil, arm.BadRequest("NextHopIpAddressNotAllowed",
			"NextHopIpAddress %s is not allowed in route %s when NextHopType is %s. A next hop IP address can be specified only when NextHopType is VirtualAppliance.",
			ip, name, hop)
	case ip != "":
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return nil, arm.BadRequest("InvalidNextHopIpAddress",
				"NextHopIpAddress %s in route %s is not a valid IP address.", ip, name)
		}
		out.NextHopIPAddress = a.String()
	}
	return out, nil
}

// canonicalRoutePrefix accepts a CIDR prefix without host bits or a
// service tag (not the system tags VirtualNetwork, AzureLoadBalancer and
// Internet), and returns its canonical spelling.
func canonicalRoutePrefix(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if p, perr := parseCIDR(s); perr == prefixOK {
		return p.String(), true
	}
	if tag, ok := LookupServiceTag(s); ok && !systemServiceTags[strings.ToLower(tag)] {
		return s, true
	}
	return "", false
}

// checkRoutePrefixConflict refuses two routes of a table with the same
// address prefix (inline routes against the request's other routes, a
// route put on its own against the table's stored routes).
func checkRoutePrefixConflict(ctx context.Context, op *arm.PutOp, table arm.ID, props *RouteProperties) error {
	conflict := func(earlier, later string) error {
		return arm.BadRequest("RouteConflict",
			"Route %s conflicts with route %s. Routes of a route table cannot have the same AddressPrefix %s.",
			later, earlier, props.AddressPrefix)
	}
	name := op.ID.Name()
	same := func(a string) bool {
		c, ok := canonicalRoutePrefix(a)
		return ok && strings.EqualFold(c, props.AddressPrefix)
	}
	if op.Inline {
		items, self := inlineSiblings(op, "routes")
		for i, it := range items {
			if i == self {
				continue
			}
			var p struct {
				AddressPrefix string `json:"addressPrefix"`
			}
			if json.Unmarshal(it.Properties, &p) != nil || !same(p.AddressPrefix) {
				continue
			}
			if i < self {
				return conflict(it.Name, name)
			}
			return conflict(name, it.Name)
		}
		return nil
	}
	if err := touchParentGuard(ctx, op.Tx, table.String()); err != nil {
		return err
	}
	sibs, err := op.Tx.Children(ctx, table, "routes")
	if err != nil {
		return err
	}
	for _, s := range sibs {
		if strings.EqualFold(s.Resource.Name, name) {
			continue
		}
		rp, err := DecodeRoute(s)
		if err != nil {
			return err
		}
		if same(rp.AddressPrefix) {
			return conflict(s.Resource.Name, name)
		}
	}
	return nil
}
