package containerservice

import (
	"strings"

	"github.com/privlink/privlink/internal/kube"
)

// Kubenet routing: what cloud-provider-azure's route controller does on
// AKS with the kubenet network plugin. Pods take addresses from per-node
// pod CIDRs that no VNet holds; a route per node sends the node's pod CIDR
// to the node (next hop VirtualAppliance, the node's address) in the route
// table of the node subnet, and the node NICs forward IP. So any host of
// the VNet (and of peered VNets whose subnets route there) reaches pods
// through the node, under the fabric's ordinary rules.
//
//   - The table is the one already associated with the node subnet, else
//     "aks-agentpool-<number>-routetable" in the node resource group,
//     created and associated with the subnet (a managed VNet's or one the
//     user brought).
//   - Routes are named after the node (cloud-provider-azure's single-stack
//     name); routes of nodes that are gone are deleted, other routes of a
//     user's table are left alone.
//   - At deletion, a subnet the user brought is dissociated from the
//     cluster's own table, and the cluster's routes are removed from a
//     table the user brought.

func (e *env) kubenet() bool { return e.props.NetworkProfile.NetworkPlugin == "kubenet" }

func (e *env) ownRouteTable() string {
	return resPath(e.sub, e.nodeRG(), "Microsoft.Network/routeTables", "aks-agentpool-"+e.st.NodeNumber+"-routetable")
}

// nodeSubnets are the distinct subnets of the agent pools.
func (e *env) nodeSubnets() []string {
	var out []string
	for _, p := range e.props.AgentPoolProfiles {
		s := p.VnetSubnetID
		if s == "" {
			s = e.st.NodeSubnet
		}
		dup := false
		for _, o := range out {
			dup = dup || strings.EqualFold(o, s)
		}
		if !dup && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ensureKubenetRoutes keeps one route per node to its pod CIDR.
func (e *env) ensureKubenetRoutes(nodes []kube.Node) error {
	if !e.kubenet() {
		return nil
	}
	byName := map[string]node{}
	for _, n := range e.st.Nodes {
		byName[n.Name] = n
	}
	tables := map[string]bool{}
	for _, sn := range e.nodeSubnets() {
		subnet, err := e.get(sn, networkAPI)
		if err != nil {
			return err
		}
		rt := str(subnet, "properties", "routeTable", "id")
		if rt == "" {
			rt = e.ownRouteTable()
			if _, err := e.get(rt, networkAPI); err != nil {
				if !isNotFound(err) {
					return err
				}
				if _, err := e.put(rt, networkAPI, map[string]any{"location": e.region,
					"properties": map[string]any{"disableBgpRoutePropagation": false}}); err != nil {
					return err
				}
			}
			props, _ := subnet["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
			}
			props["routeTable"] = map[string]any{"id": rt}
			if _, err := e.put(sn, networkAPI, map[string]any{"properties": props}); err != nil {
				return err
			}
		}
		tables[rt] = true
	}
	for rt := range tables {
		want := map[string]bool{}
		for _, kn := range nodes {
			n, ok := byName[kn.Name]
			if !ok || kn.PodCIDR == "" || n.IP == "" {
				continue
			}
			want[strings.ToLower(kn.Name)] = true
			path := rt + "/routes/" + kn.Name
			cur, err := e.get(path, networkAPI)
			if err == nil && str(cur, "properties", "addressPrefix") == kn.PodCIDR && str(cur, "properties", "nextHopIpAddress") == n.IP {
				continue
			}
			if err != nil && !isNotFound(err) {
				return err
			}
			if _, err := e.put(path, networkAPI, map[string]any{"properties": map[string]any{
				"addressPrefix": kn.PodCIDR, "nextHopType": "VirtualAppliance", "nextHopIpAddress": n.IP}}); err != nil {
				return err
			}
		}
		if err := e.pruneRoutes(rt, want); err != nil {
			return err
		}
	}
	return nil
}

// pruneRoutes deletes the cluster's routes (named after its nodes) that
// keep does not list.
func (e *env) pruneRoutes(rt string, keep map[string]bool) error {
	list, err := e.get(rt+"/routes", networkAPI)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	prefix := "aks-"
	vals, _ := list["value"].([]any)
	for _, v := range vals {
		name := strings.ToLower(str(v, "name"))
		if !strings.HasPrefix(name, prefix) || !strings.Contains(name, "-"+e.st.NodeNumber+"-vmss") || keep[name] {
			continue
		}
		if err := e.del(rt+"/routes/"+str(v, "name"), networkAPI); err != nil {
			return err
		}
	}
	return nil
}

// releaseKubenetRoutes undoes what ensureKubenetRoutes did to subnets and
// tables outside the node resource group, before the group is deleted.
func (e *env) releaseKubenetRoutes() error {
	if !e.kubenet() || e.nodeRG() == "" {
		return nil
	}
	own := strings.ToLower(e.ownRouteTable())
	nodeRG := strings.ToLower(groupPath(e.sub, e.nodeRG()) + "/")
	for _, sn := range e.nodeSubnets() {
		if strings.HasPrefix(strings.ToLower(sn), nodeRG) {
			continue // goes with the node resource group
		}
		subnet, err := e.get(sn, networkAPI)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return err
		}
		rt := str(subnet, "properties", "routeTable", "id")
		switch {
		case rt == "":
		case strings.ToLower(rt) == own:
			props, _ := subnet["properties"].(map[string]any)
			delete(props, "routeTable")
			if _, err := e.put(sn, networkAPI, map[string]any{"properties": props}); err != nil {
				return err
			}
		default:
			if err := e.pruneRoutes(rt, nil); err != nil {
				return err
			}
		}
	}
	return nil
}
