package property_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// live is a topology created in the daemon.
type live struct {
	top    *Topology
	sub    string
	vmIDs  map[*VM]string
	echoes []*echoListener
	// identity of the echo listener of (vm, port).
	identity map[*VM]map[int]string
}

func (l *live) close() {
	for _, e := range l.echoes {
		e.Close()
	}
}

func (l *live) groupPath() string {
	return "/subscriptions/" + l.sub + "/resourceGroups/" + groupName
}

func (l *live) rid(typ, name string) string {
	return l.groupPath() + "/providers/" + typ + "/" + name
}

func (l *live) vnetID(v *VNet) string { return l.rid("Microsoft.Network/virtualNetworks", v.Name) }
func (l *live) subnetID(s *Subnet) string {
	return l.vnetID(s.VNet) + "/subnets/" + s.Name
}
func (l *live) nsgID(n *NSG) string { return l.rid("Microsoft.Network/networkSecurityGroups", n.Name) }
func (l *live) rtID(r *RouteTable) string {
	return l.rid("Microsoft.Network/routeTables", r.Name)
}
func (l *live) nicID(m *VM) string {
	return l.rid("Microsoft.Network/networkInterfaces", m.Name+"-nic")
}

type obj = map[string]any

func ref(id string) obj { return obj{"id": id} }

// createLive creates the topology in a fresh subscription, in dependency
// order, the independent writes of each step in parallel, and waits for
// every long-running operation. VMs that must not run are powered off or
// deallocated, and their instance view is checked.
func createLive(ctx context.Context, c *armClient, top *Topology) (_ *live, err error) {
	l := &live{top: top, sub: uuid.NewString(), vmIDs: map[*VM]string{}, identity: map[*VM]map[int]string{}}
	defer func() {
		if err != nil {
			l.close()
		}
	}()
	if _, err := c.send(ctx, http.MethodPut, "/subscriptions/"+l.sub+"/resourcegroups/"+groupName, apiGroups, obj{"location": location}); err != nil {
		return nil, err
	}
	type write struct {
		method, path, api string
		body              any
	}
	var ops []*operation
	var mu sync.Mutex
	step := func(ws []write) error {
		errs := make([]error, len(ws))
		var wg sync.WaitGroup
		for i, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				op, err := c.send(ctx, w.method, w.path, w.api, w.body)
				errs[i] = err
				mu.Lock()
				ops = append(ops, op)
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}

	// 1. NSGs (rules inline) and route tables (routes inline).
	var ws []write
	for _, n := range top.NSGs {
		rules := []any{}
		for _, r := range n.Rules {
			rules = append(rules, obj{"name": r.Name, "properties": obj{
				"priority": r.Priority, "direction": r.Direction, "access": r.Access, "protocol": r.Protocol,
				"sourceAddressPrefix": r.Src, "destinationAddressPrefix": r.Dst,
				"sourcePortRange": "*", "destinationPortRange": r.DstPort,
			}})
		}
		ws = append(ws, write{http.MethodPut, l.nsgID(n), apiNetwork, obj{"location": location, "properties": obj{"securityRules": rules}}})
	}
	for _, rt := range top.RouteTables {
		routes := []any{}
		for _, r := range rt.Routes {
			routes = append(routes, obj{"name": r.Name, "properties": obj{"addressPrefix": r.Prefix.String(), "nextHopType": "None"}})
		}
		ws = append(ws, write{http.MethodPut, l.rtID(rt), apiNetwork, obj{"location": location, "properties": obj{"routes": routes}}})
	}
	if err := step(ws); err != nil {
		return nil, err
	}

	// 2. VNets with their subnets.
	ws = nil
	for _, v := range top.VNets {
		subnets := []any{}
		for _, s := range v.Subnets {
			p := obj{"addressPrefix": s.Prefix.String()}
			if s.NSG != nil {
				p["networkSecurityGroup"] = ref(l.nsgID(s.NSG))
			}
			if s.RouteTable != nil {
				p["routeTable"] = ref(l.rtID(s.RouteTable))
			}
			subnets = append(subnets, obj{"name": s.Name, "properties": p})
		}
		ws = append(ws, write{http.MethodPut, l.vnetID(v), apiNetwork, obj{"location": location, "properties": obj{
			"addressSpace": obj{"addressPrefixes": []string{v.Prefix.String()}}, "subnets": subnets}}})
	}
	if err := step(ws); err != nil {
		return nil, err
	}

	// 3. Peerings (each side is its own resource) and NICs.
	ws = nil
	for _, p := range top.Peerings {
		ws = append(ws, write{http.MethodPut, l.vnetID(p.Local) + "/virtualNetworkPeerings/" + p.Name, apiNetwork, obj{"properties": obj{
			"remoteVirtualNetwork": ref(l.vnetID(p.Remote)), "allowVirtualNetworkAccess": p.AllowAccess,
			"allowForwardedTraffic": false, "allowGatewayTransit": false, "useRemoteGateways": false}}})
	}
	for _, m := range top.VMs {
		p := obj{"ipConfigurations": []any{obj{"name": "ipconfig1", "properties": obj{
			"subnet": ref(l.subnetID(m.Subnet)), "privateIPAllocationMethod": "Static",
			"privateIPAddress": m.IP.String(), "primary": true}}}}
		if m.NICNSG != nil {
			p["networkSecurityGroup"] = ref(l.nsgID(m.NICNSG))
		}
		ws = append(ws, write{http.MethodPut, l.nicID(m), apiNetwork, obj{"location": location, "properties": p}})
	}
	if err := step(ws); err != nil {
		return nil, err
	}

	// 4. VMs.
	ws = nil
	for _, m := range top.VMs {
		id := l.rid("Microsoft.Compute/virtualMachines", m.Name)
		l.vmIDs[m] = id
		ws = append(ws, write{http.MethodPut, id, apiCompute, obj{"location": location, "properties": obj{
			"hardwareProfile": obj{"vmSize": "Standard_B1s"},
			"storageProfile": obj{"imageReference": obj{"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
				"sku": "22_04-lts-gen2", "version": "latest"}},
			"osProfile":      obj{"computerName": m.Name, "adminUsername": "azureuser", "adminPassword": "Pr0perty-Test-Pw!"},
			"networkProfile": obj{"networkInterfaces": []any{obj{"id": l.nicID(m), "properties": obj{"primary": true}}}},
		}}})
	}
	if err := step(ws); err != nil {
		return nil, err
	}
	if err := c.waitAll(ctx, ops); err != nil {
		return nil, err
	}
	ops = nil

	// 5. Listeners (a real echo listener each) and power actions.
	ws = nil
	for _, m := range top.VMs {
		l.identity[m] = map[int]string{}
		for _, p := range m.Listeners {
			ident := fmt.Sprintf("privlink-property sub=%s vm=%s port=%d", l.sub, m.Name, p)
			e, err := startEcho(ident)
			if err != nil {
				return nil, err
			}
			l.echoes = append(l.echoes, e)
			l.identity[m][p] = ident
			ws = append(ws, write{http.MethodPut, l.vmIDs[m] + "/providers/Privlink.Fabric/listeners/" + fmt.Sprintf("tcp-%d", p), apiFabric,
				obj{"properties": obj{"protocol": "Tcp", "port": p, "target": e.Addr()}}})
		}
		switch m.Power {
		case PowerStopped:
			ws = append(ws, write{http.MethodPost, l.vmIDs[m] + "/powerOff", apiCompute, nil})
		case PowerDeallocated:
			ws = append(ws, write{http.MethodPost, l.vmIDs[m] + "/deallocate", apiCompute, nil})
		}
	}
	if err := step(ws); err != nil {
		return nil, err
	}
	if err := c.waitAll(ctx, ops); err != nil {
		return nil, err
	}
	for _, m := range top.VMs {
		if err := checkPower(ctx, c, l.vmIDs[m], m.Power); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// checkPower reads a VM's instance view and checks its power state, so
// that a harness or compute problem is not reported as a fabric one.
func checkPower(ctx context.Context, c *armClient, vmID, want string) error {
	r, err := c.do(ctx, http.MethodGet, vmID+"/instanceView", apiCompute, nil)
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("GET %s/instanceView: %d %s", vmID, r.Status, r.Body)
	}
	var iv struct {
		Statuses []struct {
			Code string `json:"code"`
		} `json:"statuses"`
	}
	if err := json.Unmarshal(r.Body, &iv); err != nil {
		return fmt.Errorf("instance view of %s: %w", vmID, err)
	}
	for _, s := range iv.Statuses {
		if strings.HasPrefix(s.Code, "PowerState/") {
			if s.Code != "PowerState/"+want {
				return fmt.Errorf("VM %s is %s, want PowerState/%s", vmID, s.Code, want)
			}
			return nil
		}
	}
	return fmt.Errorf("instance view of %s has no power state: %s", vmID, r.Body)
}

// deleteGroup deletes the topology's resource group and waits.
func deleteGroup(ctx context.Context, c *armClient, l *live) error {
	op, err := c.send(ctx, http.MethodDelete, "/subscriptions/"+l.sub+"/resourcegroups/"+groupName, apiGroups, nil)
	if err != nil {
		return err
	}
	return c.wait(ctx, op)
}
