package onprem

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Power states of a host (properties.powerState).
const (
	PowerRunning = "running"
	PowerStopped = "stopped"
)

// HostProperties are a site host's properties.
type HostProperties struct {
	ProvisioningState string `json:"provisioningState,omitempty"`
	PrivateIPAddress  string `json:"privateIpAddress,omitempty"`
	ComputerName      string `json:"computerName,omitempty"`
	PowerState        string `json:"powerState,omitempty"`
}

var computerNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?$`)

func (pr Provider) hostSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              HostType,
		APIVersions:       []string{APIVersion},
		Scope:             arm.ScopeResourceGroup,
		Location:          arm.LocationNone,
		ETag:              true,
		ProvisioningState: true,
		Put:               putHost,
		Actions: map[string]arm.ActionFunc{
			"start":      powerAction(PowerRunning),
			"stop":       powerAction(PowerStopped),
			"runCommand": pr.runCommand,
		},
	}
}

// DecodeHost decodes a host record's properties.
func DecodeHost(rec *arm.Record) (*HostProperties, error) {
	var p HostProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode host %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

func putHost(ctx context.Context, op *arm.PutOp) error {
	var p HostProperties
	if err := op.Body.DecodeProperties(&p); err != nil {
		return err
	}
	parent, _ := op.ID.Parent()
	site, err := op.Tx.Get(ctx, parent.String())
	if err != nil {
		return err
	}
	if site == nil {
		return arm.ParentResourceNotFound(parent)
	}
	sp, err := DecodeSite(site)
	if err != nil {
		return err
	}
	prefixes, err := ParsePrefixes(sp.AddressPrefixes)
	if err != nil {
		return err
	}
	switch strings.ToLower(p.PowerState) {
	case "", PowerRunning:
		p.PowerState = PowerRunning
	case PowerStopped:
		p.PowerState = PowerStopped
	default:
		return arm.InvalidParameter("The value '%s' of property 'powerState' is invalid. Allowed values: running, stopped.", p.PowerState)
	}
	if p.ComputerName == "" {
		p.ComputerName = op.ID.Name()
	}
	if !computerNameRE.MatchString(p.ComputerName) {
		return arm.InvalidParameter("The value '%s' of property 'computerName' is invalid: use 1-64 letters, digits or '-', not starting or ending with '-'.", p.ComputerName)
	}
	// Addresses in use: the other hosts and the DNS server.
	taken := map[netip.Addr]string{}
	if sp.DNSServer != nil {
		if a, err := netip.ParseAddr(sp.DNSServer.PrivateIPAddress); err == nil {
			taken[a] = "the site's DNS server"
		}
	}
	siblings, err := op.Tx.Children(ctx, parent, "hosts")
	if err != nil {
		return err
	}
	for _, h := range siblings {
		if arm.SameID(h.Resource.ID, op.ID.String()) {
			continue
		}
		hp, err := DecodeHost(h)
		if err != nil {
			return err
		}
		if a, err := netip.ParseAddr(hp.PrivateIPAddress); err == nil {
			taken[a] = "host " + h.Resource.Name
		}
	}
	if p.PrivateIPAddress == "" && op.Existing != nil {
		if old, err := DecodeHost(op.Existing); err == nil {
			p.PrivateIPAddress = old.PrivateIPAddress
		}
	}
	if p.PrivateIPAddress == "" {
		a, ok := allocateHostIP(prefixes, taken)
		if !ok {
			return arm.BadRequest("SiteAddressSpaceExhausted",
				"Site %s has no free address left in %s.", parent.Name(), strings.Join(sp.AddressPrefixes, ", "))
		}
		p.PrivateIPAddress = a.String()
	} else {
		a, err := netip.ParseAddr(strings.TrimSpace(p.PrivateIPAddress))
		if err != nil || !a.Is4() {
			return arm.InvalidParameter("The value '%s' of property 'privateIpAddress' is not a valid IPv4 address.", p.PrivateIPAddress)
		}
		if !usable(prefixes, a) {
			return arm.BadRequest("PrivateIPAddressNotInSiteAddressSpace",
				"Private IP address %s is not a host address of site %s's address prefixes %s.", a, parent.Name(), strings.Join(sp.AddressPrefixes, ", "))
		}
		if who, dup := taken[a]; dup {
			return arm.BadRequest("PrivateIPAddressInUse", "Private IP address %s is already in use by %s of site %s.", a, who, parent.Name())
		}
		p.PrivateIPAddress = a.String()
	}
	p.ProvisioningState = ""
	return op.Body.SetProperties(p)
}

// allocateHostIP is the first free host address of the prefixes, from the
// fourth address of each on (Azure's convention for subnets).
func allocateHostIP(prefixes []netip.Prefix, taken map[netip.Addr]string) (netip.Addr, bool) {
	for _, p := range prefixes {
		last := lastAddr(p)
		a := p.Masked().Addr()
		for range 4 {
			a = a.Next()
		}
		for ; p.Contains(a) && a != last; a = a.Next() {
			if _, used := taken[a]; !used {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

// powerAction is POST {host}/start or /stop.
func powerAction(state string) arm.ActionFunc {
	return func(ctx context.Context, req *arm.Request, _ *arm.Record) (*arm.Response, error) {
		err := req.Engine.Run(ctx, func(t *arm.Txn) error {
			cur, err := t.Get(ctx, req.ID.String())
			if err != nil {
				return err
			}
			if cur == nil {
				return arm.ResourceNotFound(req.ID)
			}
			p, err := DecodeHost(cur)
			if err != nil {
				return err
			}
			if p.PowerState == state {
				return nil
			}
			p.PowerState = state
			next := *cur
			if err := next.Resource.SetProperties(p); err != nil {
				return err
			}
			return t.Write(ctx, &next)
		})
		if err != nil {
			return nil, err
		}
		return &arm.Response{Status: http.StatusOK}, nil
	}
}
