package privatelink

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Read-only network interfaces of private endpoints and private link
// services.

// nicOwner returns the private endpoint or private link service a network
// interface record belongs to ("" for a user's interface) and the
// property naming it.
func nicOwner(rec *arm.Record) (prop, owner string) {
	if rec == nil {
		return "", ""
	}
	var p struct {
		PrivateEndpoint    *SubResource `json:"privateEndpoint"`
		PrivateLinkService *SubResource `json:"privateLinkService"`
	}
	_ = json.Unmarshal(rec.Resource.Properties, &p)
	switch {
	case p.PrivateEndpoint != nil && p.PrivateEndpoint.ID != "":
		return "privateEndpoint", p.PrivateEndpoint.ID
	case p.PrivateLinkService != nil && p.PrivateLinkService.ID != "":
		return "privateLinkService", p.PrivateLinkService.ID
	}
	return "", ""
}

// guardNICs wraps the networkInterfaces type: a PUT of a read-only
// interface is refused as Azure does (CannotModifyNicAttachedToPrivateEndpoint),
// and so is a DELETE that does not come from its owner (NicInUse).
func guardNICs(spec *arm.TypeSpec) {
	put, del := spec.Put, spec.Delete
	spec.Put = func(ctx context.Context, op *arm.PutOp) error {
		switch prop, owner := nicOwner(op.Existing); prop {
		case "privateEndpoint":
			return arm.BadRequest("CannotModifyNicAttachedToPrivateEndpoint",
				"Network interface %s is attached to private endpoint %s. It can not be modified by user.", op.ID.String(), owner)
		case "privateLinkService":
			return arm.BadRequest("CannotModifyNicAttachedToPrivateLinkService",
				"Network interface %s is attached to private link service %s. It can not be modified by user.", op.ID.String(), owner)
		}
		return put(ctx, op)
	}
	spec.Delete = func(ctx context.Context, op *arm.DeleteOp) error {
		if _, owner := nicOwner(op.Record); owner != "" && !isOwnerCtx(ctx) && !op.WithParent {
			return arm.BadRequest("NicInUse",
				"Network Interface %s is used by existing resource %s. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
				op.ID.String(), owner)
		}
		if del != nil {
			return del(ctx, op)
		}
		return nil
	}
}

// nicConfig is one IP configuration of a read-only interface.
type nicConfig struct {
	Name      string
	SubnetID  string
	Requested string // static address, "" for dynamic
	Primary   bool
	IP        string // allocated
}

// nicIPConfigID is the ID of an interface's IP configuration (also the
// owner of its address reservation).
func nicIPConfigID(nicID, name string) string { return nicID + "/ipConfigurations/" + name }

// allocateNIC reserves the addresses of cfgs (the interface's IP
// configurations own them, so deleting the interface frees them).
func allocateNIC(ctx context.Context, t *arm.Txn, nicID string, cfgs []nicConfig) error {
	for i := range cfgs {
		ip, err := network.AllocateIP(ctx, t, cfgs[i].SubnetID, nicIPConfigID(nicID, cfgs[i].Name), cfgs[i].Requested)
		if err != nil {
			return err
		}
		cfgs[i].IP = ip
	}
	return nil
}

// writeNIC stores the read-only interface nicID of ownerProp/ownerID
// ("privateEndpoint" or "privateLinkService") holding cfgs (addresses
// already allocated).
func writeNIC(ctx context.Context, t *arm.Txn, nicID, location, ownerProp, ownerID string, cfgs []nicConfig) error {
	old, err := t.Get(ctx, nicID)
	if err != nil {
		return err
	}
	props := network.NetworkInterfaceProperties{
		ProvisioningState: arm.StateSucceeded,
		DNSSettings:       network.InterfaceDNSSettings{DNSServers: []string{}, AppliedDNSServers: []string{}},
		NicType:           "Standard",
		HostedWorkloads:   []string{},
		TapConfigurations: []json.RawMessage{},
	}
	var refs []arm.Ref
	etag := newETag()
	for _, c := range cfgs {
		id := nicIPConfigID(nicID, c.Name)
		method := "Dynamic"
		if c.Requested != "" {
			method = "Static"
		}
		props.IPConfigurations = append(props.IPConfigurations, network.InterfaceIPConfiguration{
			Name: c.Name, ID: id, Etag: etag, Type: NICType + "/ipConfigurations",
			Properties: network.InterfaceIPConfigurationProperties{
				ProvisioningState: arm.StateSucceeded, PrivateIPAddress: c.IP, PrivateIPAllocationMethod: method,
				PrivateIPAddressVersion: "IPv4", Subnet: &SubResource{ID: c.SubnetID}, Primary: c.Primary,
			},
		})
		refs = append(refs, arm.Ref{Target: c.SubnetID, Kind: kindIPConfiguration, Source: id, Blocking: true})
	}
	if len(cfgs) > 0 {
		sid, _ := arm.ParseID(cfgs[0].SubnetID)
		if vnet, ok := sid.Parent(); ok {
			props.DNSSettings.InternalDomainNameSuffix = network.InternalDomainNameSuffix(vnet.String())
		}
	}
	props.ResourceGUID = newGUID()
	rec := &arm.Record{Generation: 1, State: arm.StateSucceeded, Created: t.Engine().Now().UTC(), Refs: refs}
	if old != nil {
		if p, err := network.DecodeNetworkInterface(old); err == nil && p.ResourceGUID != "" {
			props.ResourceGUID = p.ResourceGUID
		}
		rec.Generation = old.Generation + 1
		rec.Created = old.Created
	}
	b, err := json.Marshal(props)
	if err != nil {
		return fmt.Errorf("encode network interface: %w", err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("encode network interface: %w", err)
	}
	m[ownerProp] = map[string]string{"id": ownerID}
	nid, _ := arm.ParseID(nicID)
	rec.Resource = arm.Resource{ID: nicID, Name: nid.Name(), Type: NICType, Location: location, Etag: etag}
	if old != nil {
		rec.Resource.Tags = old.Resource.Tags
	}
	rec.Resource.SetPropertiesMap(m)
	return t.Write(ctx, rec)
}

// deleteNIC removes a read-only interface (and so its addresses).
func deleteNIC(ctx context.Context, t *arm.Txn, nicID string) error {
	if nicID == "" {
		return nil
	}
	rec, err := t.Get(ctx, nicID)
	if err != nil || rec == nil {
		return err
	}
	id, err := arm.ParseID(rec.Resource.ID)
	if err != nil {
		return fmt.Errorf("network interface id %q: %w", rec.Resource.ID, err)
	}
	return t.Engine().DeleteTree(ownerCtx(ctx), t, id, rec)
}

// nicName builds "<owner>.nic.<guid>".
func nicName(owner string) string { return owner + ".nic." + newGUID() }

func sameSub(a, b string) bool { return strings.EqualFold(a, b) }
