package cdn

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

// api-versions of the in-process calls.
const (
	groupsAPI  = "2021-04-01"
	networkAPI = "2022-05-01"
	computeAPI = "2022-11-01"
	fabricAPI  = "2025-01-01"

	peType    = "Microsoft.Network/privateEndpoints"
	groupType = "Microsoft.Resources/resourceGroups"

	// profileTag names, on Front Door's hidden resources, the profile
	// they belong to.
	profileTag = "frontDoorProfile"

	edgeVNetPrefix = "10.127.0.0/24"
)

// profileInternal is a profile's private state: its edge host.
type profileInternal struct {
	EdgeVM   string   `json:"edgeVM,omitempty"`
	EdgeIP   string   `json:"edgeIP,omitempty"`
	Targets  []string `json:"targets,omitempty"`
	Location string   `json:"location,omitempty"`
}

// run is the controller: one pass over every Front Door resource per
// kick (level-triggered), and a pass every 30 s to retry failures.
func (pr *Provider) run(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-pr.kick:
		case <-t.C:
		}
		if err := pr.pass(ctx); err != nil && ctx.Err() == nil {
			pr.Log.Error("front door controller pass", "err", err)
			time.AfterFunc(2*time.Second, pr.Kick)
		}
	}
}

func (pr *Provider) list(ctx context.Context, scope, typ string) ([]*arm.Record, error) {
	var out []*arm.Record
	err := pr.engine.Run(ctx, func(t *arm.Txn) error {
		var err error
		out, err = t.ListType(ctx, scope, typ)
		return err
	})
	return out, err
}

func pending(rec *arm.Record) bool {
	return rec.State == arm.StateCreating || rec.State == arm.StateUpdating
}

// pass brings every profile's hidden network, every endpoint's public
// name and every private link origin's endpoint to what the resources
// say, and removes what nothing uses any more.
func (pr *Provider) pass(ctx context.Context) error {
	var errs []error
	profiles, err := pr.list(ctx, "/subscriptions", ProfileType)
	if err != nil {
		return err
	}
	edges := map[string]profileInternal{} // profile key -> edge
	byKey := map[string]*arm.Record{}
	for _, p := range profiles {
		byKey[arm.KeyOf(p.Resource.ID)] = p
		if p.State == arm.StateDeleting {
			continue
		}
		st, err := pr.ensureEdge(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("profile %s: %w", p.Resource.ID, err))
			if pending(p) {
				errs = append(errs, pr.finish(ctx, p, nil, err))
			}
			continue
		}
		edges[arm.KeyOf(p.Resource.ID)] = st
		if pending(p) || !sameJSON(p.Internal, st) {
			errs = append(errs, pr.finish(ctx, p, st, nil))
		}
	}
	endpoints, err := pr.list(ctx, "/subscriptions", EndpointType)
	if err != nil {
		return err
	}
	for _, e := range endpoints {
		edge, ok := edges[profileKey(e.Resource.ID)]
		if !ok {
			continue
		}
		props := e.Resource.PropertiesMap()
		in := endpointInternal{PublicRecords: map[string]string{}}
		if str(props, "enabledState") == "Enabled" && edge.EdgeIP != "" {
			in.PublicRecords[lower(str(props, "hostName"))] = edge.EdgeIP
		}
		if pending(e) || !sameJSON(e.Internal, in) {
			errs = append(errs, pr.finish(ctx, e, in, nil))
		}
	}
	origins, err := pr.list(ctx, "/subscriptions", OriginType)
	if err != nil {
		return err
	}
	wanted := map[string]bool{} // private endpoint IDs in use (lower case)
	for _, o := range origins {
		pkey := profileKey(o.Resource.ID)
		prof := byKey[pkey]
		if _, ok := edges[pkey]; prof == nil || !ok {
			continue
		}
		props := o.Resource.PropertiesMap()
		spl, _ := props["sharedPrivateLinkResource"].(map[string]any)
		var in originInternal
		var opErr error
		if spl != nil && skuName(prof) == SKUPremium {
			in.PrivateEndpoint, opErr = pr.ensurePrivateEndpoint(ctx, prof, spl)
			if in.PrivateEndpoint != "" {
				wanted[lower(in.PrivateEndpoint)] = true
			}
		}
		if opErr != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case pending(o):
			if opErr != nil {
				pr.Log.Warn("front door origin failed", "origin", o.Resource.ID, "err", opErr)
			}
			errs = append(errs, pr.finish(ctx, o, in, opErr))
		case opErr != nil:
			errs = append(errs, fmt.Errorf("origin %s: %w", o.Resource.ID, opErr))
		case !sameJSON(o.Internal, in):
			errs = append(errs, pr.setInternal(ctx, o, in))
		}
	}
	errs = append(errs, pr.collect(ctx, byKey, wanted))
	return errors.Join(errs...)
}

// profileKey is the store key of the profile a child resource belongs to.
func profileKey(id string) string {
	l := lower(id)
	i := strings.Index(l, "/providers/microsoft.cdn/profiles/")
	rest := l[i+len("/providers/microsoft.cdn/profiles/"):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		l = l[:len(l)-len(rest)+j]
	}
	return arm.KeyOf(l)
}

func sameJSON(raw []byte, v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var a, c any
	if json.Unmarshal(raw, &a) != nil || json.Unmarshal(b, &c) != nil {
		return len(raw) == 0 && bytes.Equal(b, []byte("{}"))
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(c)
	return bytes.Equal(x, y)
}

// finish records an operation's outcome (the internal state with it).
func (pr *Provider) finish(ctx context.Context, rec0 *arm.Record, internal any, opErr error) error {
	return pr.engine.Run(ctx, func(t *arm.Txn) error {
		rec, err := t.Get(ctx, rec0.Resource.ID)
		if err != nil || rec == nil || rec.Generation != rec0.Generation || rec.State == arm.StateDeleting {
			return err
		}
		if internal != nil {
			raw, err := json.Marshal(internal)
			if err != nil {
				return err
			}
			rec.Internal = raw
		}
		if pending(rec) {
			rec.State, rec.OpError = arm.StateSucceeded, nil
			if opErr != nil {
				ae, ok := arm.AsError(opErr)
				if !ok {
					ae = &arm.Error{Code: "InternalServerError", Message: fmt.Sprintf("The operation failed: %v", opErr)}
				}
				rec.State, rec.OpError = arm.StateFailed, ae
			}
			props := rec.Resource.PropertiesMap()
			props["provisioningState"] = rec.State
			rec.Resource.SetPropertiesMap(props)
		}
		return t.Write(ctx, rec)
	})
}

func (pr *Provider) setInternal(ctx context.Context, rec *arm.Record, internal any) error {
	return pr.finish(ctx, rec, internal, nil)
}

// --- the hidden network

func groupPath(sub, rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

func resPath(rg, typ, name string) string {
	return groupPath(InfraSubscription, rg) + "/providers/" + typ + "/" + name
}

// hiddenGroup is a profile's resource group in the infrastructure
// subscription.
func hiddenGroup(prof *arm.Record) string {
	return "afd-" + str(prof.Resource.PropertiesMap(), "frontDoorId")
}

func (pr *Provider) put(ctx context.Context, path, apiVersion string, body any) (map[string]any, error) {
	out, err := pr.ARM.Put(ctx, path, apiVersion, body, false)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	m, _ := out.(map[string]any)
	return m, nil
}

func (pr *Provider) get(ctx context.Context, path, apiVersion string) (map[string]any, error) {
	m, err := pr.ARM.GetObject(ctx, path, apiVersion, nil)
	if err != nil && !arm.IsNotFound(err) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err != nil {
		return nil, nil
	}
	return m, nil
}

// ensureEdge creates a profile's hidden resource group, edge network and
// edge host (a machine with a public IP whose TCP 80 and 443 are the
// edge's loopback listeners), once; afterwards it only points the
// listeners at the current targets (they change with each daemon start).
func (pr *Provider) ensureEdge(ctx context.Context, prof *arm.Record) (profileInternal, error) {
	var st profileInternal
	_ = json.Unmarshal(prof.Internal, &st)
	httpT, httpsT := pr.EdgeTargets()
	targets := []string{httpT, httpsT}
	if st.EdgeIP != "" && slices.Equal(st.Targets, targets) {
		return st, nil
	}
	rg := hiddenGroup(prof)
	if st.Location == "" {
		id, _ := arm.ParseID(prof.Resource.ID)
		userRG, err := pr.engine.GetRecord(ctx, groupPath(id.Subscription, id.ResourceGroup))
		if err != nil {
			return st, err
		}
		st.Location = "eastus"
		if userRG != nil && userRG.Resource.Location != "" {
			st.Location = arm.NormalizeLocation(userRG.Resource.Location)
		}
	}
	tags := map[string]string{profileTag: prof.Resource.ID}
	if _, err := pr.put(ctx, groupPath(InfraSubscription, rg), groupsAPI, map[string]any{"location": st.Location, "tags": tags}); err != nil {
		return st, err
	}
	vnet := resPath(rg, "Microsoft.Network/virtualNetworks", "edge-vnet")
	if cur, err := pr.get(ctx, vnet, networkAPI); err != nil {
		return st, err
	} else if cur == nil {
		if _, err := pr.put(ctx, vnet, networkAPI, map[string]any{"location": st.Location, "tags": tags, "properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{edgeVNetPrefix}},
			"subnets":      []any{map[string]any{"name": "edge", "properties": map[string]any{"addressPrefix": edgeVNetPrefix}}},
		}}); err != nil {
			return st, err
		}
	}
	nsg := resPath(rg, "Microsoft.Network/networkSecurityGroups", "edge-nsg")
	if _, err := pr.put(ctx, nsg, networkAPI, map[string]any{"location": st.Location, "tags": tags, "properties": map[string]any{
		"securityRules": []any{map[string]any{"name": "allow-http-https-from-internet", "properties": map[string]any{
			"protocol": "Tcp", "sourcePortRange": "*", "sourceAddressPrefix": "Internet", "destinationAddressPrefix": "*",
			"destinationPortRanges": []string{"80", "443"}, "access": "Allow", "priority": 100, "direction": "Inbound"}}},
	}}); err != nil {
		return st, err
	}
	pip := resPath(rg, "Microsoft.Network/publicIPAddresses", "edge-pip")
	p, err := pr.get(ctx, pip, networkAPI)
	if err != nil {
		return st, err
	}
	if p == nil {
		if p, err = pr.put(ctx, pip, networkAPI, map[string]any{"location": st.Location, "tags": tags, "sku": map[string]any{"name": "Standard"},
			"properties": map[string]any{"publicIPAllocationMethod": "Static"}}); err != nil {
			return st, err
		}
	}
	st.EdgeIP = arm.DigString(p, "properties", "ipAddress")
	nic := resPath(rg, "Microsoft.Network/networkInterfaces", "edge-nic")
	if cur, err := pr.get(ctx, nic, networkAPI); err != nil {
		return st, err
	} else if cur == nil {
		if _, err := pr.put(ctx, nic, networkAPI, map[string]any{"location": st.Location, "tags": tags, "properties": map[string]any{
			"networkSecurityGroup": map[string]any{"id": nsg},
			"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
				"subnet": map[string]any{"id": vnet + "/subnets/edge"}, "privateIPAllocationMethod": "Dynamic", "primary": true,
				"publicIPAddress": map[string]any{"id": pip}}}},
		}}); err != nil {
			return st, err
		}
	}
	vm := resPath(rg, "Microsoft.Compute/virtualMachines", "edge")
	if cur, err := pr.get(ctx, vm, computeAPI); err != nil {
		return st, err
	} else if cur == nil {
		if _, err := pr.put(ctx, vm, computeAPI, map[string]any{
			"location": st.Location, "tags": tags,
			"properties": map[string]any{
				"hardwareProfile": map[string]any{"vmSize": "Standard_D4s_v3"},
				"storageProfile": map[string]any{"imageReference": map[string]any{
					"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}},
				"osProfile": map[string]any{"computerName": "afd-edge", "adminUsername": "azureuser", "adminPassword": randomPassword(),
					"linuxConfiguration": map[string]any{"disablePasswordAuthentication": false}},
				"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nic, "properties": map[string]any{"primary": true}}}},
			},
		}); err != nil {
			return st, err
		}
	}
	for i, port := range []int{80, 443} {
		path := fmt.Sprintf("%s/providers/Privlink.Fabric/listeners/tcp-%d", vm, port)
		if targets[i] == "" {
			if err := pr.del(ctx, path, fabricAPI); err != nil {
				return st, err
			}
			continue
		}
		if _, err := pr.put(ctx, path, fabricAPI, map[string]any{"properties": map[string]any{
			"protocol": "Tcp", "port": port, "target": targets[i]}}); err != nil {
			return st, err
		}
	}
	st.EdgeVM, st.Targets = vm, targets
	return st, nil
}

func randomPassword() string { return "Aa1!" + rand.Text() }

func (pr *Provider) del(ctx context.Context, path, apiVersion string) error {
	if err := pr.ARM.Delete(ctx, path, apiVersion, false); err != nil && !arm.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}

// regionPrefix is the address space of a profile's network in a region
// (distinct per region, so that all of them peer with the edge network).
func regionPrefix(region string) string {
	i := slices.IndexFunc(arm.Regions, func(r arm.Region) bool { return r.Name == region })
	return fmt.Sprintf("10.%d.%d.0/24", 128+i/256, i%256)
}

// ensureRegion creates a profile's network in a region ("pe-<region>",
// peered both ways with the edge network) and returns its endpoint subnet.
func (pr *Provider) ensureRegion(ctx context.Context, prof *arm.Record, region string) (string, error) {
	rg := hiddenGroup(prof)
	tags := map[string]string{profileTag: prof.Resource.ID}
	vnet := resPath(rg, "Microsoft.Network/virtualNetworks", "pe-"+region)
	edge := resPath(rg, "Microsoft.Network/virtualNetworks", "edge-vnet")
	cur, err := pr.get(ctx, vnet, networkAPI)
	if err != nil {
		return "", err
	}
	if cur == nil {
		prefix := regionPrefix(region)
		if _, err := pr.put(ctx, vnet, networkAPI, map[string]any{"location": region, "tags": tags, "properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{prefix}},
			"subnets":      []any{map[string]any{"name": "private-endpoints", "properties": map[string]any{"addressPrefix": prefix}}},
		}}); err != nil {
			return "", err
		}
	}
	for _, pe := range [][3]string{{edge, "edge-to-" + region, vnet}, {vnet, region + "-to-edge", edge}} {
		path := pe[0] + "/virtualNetworkPeerings/" + pe[1]
		if cur, err := pr.get(ctx, path, networkAPI); err != nil {
			return "", err
		} else if cur != nil {
			continue
		}
		if _, err := pr.put(ctx, path, networkAPI, map[string]any{"properties": map[string]any{
			"remoteVirtualNetwork": map[string]any{"id": pe[2]}, "allowVirtualNetworkAccess": true, "allowForwardedTraffic": false}}); err != nil {
			return "", err
		}
	}
	return vnet + "/subnets/private-endpoints", nil
}

// privateEndpointID is Front Door's endpoint for a (profile, link
// service, location).
func privateEndpointID(prof *arm.Record, target, region string) string {
	sum := sha256.Sum256([]byte(lower(target) + "|" + region))
	return resPath(hiddenGroup(prof), peType, "afd-pe-"+region+"-"+hex.EncodeToString(sum[:6]))
}

// ensurePrivateEndpoint returns the endpoint an origin's private link
// goes through, creating it (a manual-approval connection carrying the
// request message) when no origin of the profile made it yet.
func (pr *Provider) ensurePrivateEndpoint(ctx context.Context, prof *arm.Record, spl map[string]any) (string, error) {
	target := arm.DigString(spl, "privateLink", "id")
	region := arm.NormalizeLocation(str(spl, "privateLinkLocation"))
	pe := privateEndpointID(prof, target, region)
	cur, err := pr.get(ctx, pe, networkAPI)
	if err != nil {
		return "", err
	}
	if cur != nil {
		return pe, nil
	}
	subnet, err := pr.ensureRegion(ctx, prof, region)
	if err != nil {
		return "", err
	}
	conn := map[string]any{"privateLinkServiceId": target, "requestMessage": str(spl, "requestMessage")}
	if g := str(spl, "groupId"); g != "" {
		conn["groupIds"] = []string{g}
	}
	if _, err := pr.ARM.Put(ctx, pe, networkAPI, map[string]any{
		"location": region,
		"tags":     map[string]string{profileTag: prof.Resource.ID},
		"properties": map[string]any{
			"subnet": map[string]any{"id": subnet},
			"manualPrivateLinkServiceConnections": []any{map[string]any{
				"name": "afd-" + str(prof.Resource.PropertiesMap(), "frontDoorId"), "properties": conn}},
		},
	}, false); err != nil {
		code, msg := "InternalServerError", err.Error()
		if ae, ok := arm.AsError(err); ok {
			code, msg = ae.Code, ae.Message
		}
		return "", badRequest("PrivateEndpointProvisioning Failed. ErrorCode: %s. ErrorMessage: %s", code, msg)
	}
	return pe, nil
}

// collect deletes the private endpoints no origin uses and the hidden
// resource groups of deleted profiles.
func (pr *Provider) collect(ctx context.Context, profiles map[string]*arm.Record, wanted map[string]bool) error {
	var errs []error
	pes, err := pr.list(ctx, "/subscriptions/"+InfraSubscription, peType)
	if err != nil {
		return err
	}
	for _, pe := range pes {
		owner := pe.Resource.Tags[profileTag]
		if owner == "" || wanted[lower(pe.Resource.ID)] {
			continue
		}
		if p := profiles[arm.KeyOf(owner)]; p != nil && p.State != arm.StateDeleting && !pr.originsSettled(ctx, owner) {
			continue // an origin of the profile is being written: next pass
		}
		errs = append(errs, pr.del(ctx, pe.Resource.ID, networkAPI))
	}
	groups, err := pr.engine.ListScopeRecords(ctx, "/subscriptions/"+InfraSubscription+"/resourceGroups")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, g := range groups {
		owner := g.Resource.Tags[profileTag]
		if owner == "" || profiles[arm.KeyOf(owner)] != nil || g.State == arm.StateDeleting {
			continue
		}
		errs = append(errs, pr.del(ctx, g.Resource.ID, groupsAPI))
	}
	return errors.Join(errs...)
}

// originsSettled reports whether no origin of a profile is mid-operation.
func (pr *Provider) originsSettled(ctx context.Context, profileID string) bool {
	os, err := pr.list(ctx, profileID, OriginType)
	if err != nil {
		return false
	}
	return !slices.ContainsFunc(os, pending)
}
