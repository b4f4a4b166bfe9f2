package property_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	// echoOf lists each VM's echo listeners.
	echoOf map[*VM][]*echoListener
}

// fed counts the connections on which m's listeners received client
// bytes.
func (l *live) fed(m *VM) int64 {
	var n int64
	for _, e := range l.echoOf[m] {
		n += e.fed.Load()
	}
	return n
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
//
// With Private Link, beforeActions (when not nil) runs once the endpoints
// exist and before the owner acts on their connections.
func createLive(ctx context.Context, c *armClient, top *Topology, beforeActions func(*live) error) (_ *live, err error) {
	l := &live{top: top, sub: uuid.NewString(), vmIDs: map[*VM]string{}, identity: map[*VM]map[int]string{},
		echoOf: map[*VM][]*echoListener{}}
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

	// 2. VNets with their subnets (the provider's too).
	ws = nil
	vnets := top.VNets
	if top.PL != nil {
		vnets = append(slices.Clone(vnets), top.PL.VNet)
	}
	for _, v := range vnets {
		subnets := []any{}
		for _, s := range v.Subnets {
			p := obj{"addressPrefix": s.Prefix.String()}
			if s.NSG != nil {
				p["networkSecurityGroup"] = ref(l.nsgID(s.NSG))
			}
			if s.RouteTable != nil {
				p["routeTable"] = ref(l.rtID(s.RouteTable))
			}
			if top.PL != nil && s == top.PL.natSubnet() {
				p["privateLinkServiceNetworkPolicies"] = "Disabled"
			}
			subnets = append(subnets, obj{"name": s.Name, "properties": p})
		}
		ws = append(ws, write{http.MethodPut, l.vnetID(v), apiNetwork, obj{"location": location, "properties": obj{
			"addressSpace": obj{"addressPrefixes": []string{v.Prefix.String()}}, "subnets": subnets}}})
	}
	if err := step(ws); err != nil {
		return nil, err
	}

	// 3. Peerings (each side is its own resource), NICs and the load
	// balancer without its rule (see gen.privateLink).
	ws = nil
	if top.PL != nil {
		ws = append(ws, write{http.MethodPut, l.lbID(), apiNetwork, l.lbBody(false)})
	}
	for _, p := range top.Peerings {
		ws = append(ws, write{http.MethodPut, l.vnetID(p.Local) + "/virtualNetworkPeerings/" + p.Name, apiNetwork, obj{"properties": obj{
			"remoteVirtualNetwork": ref(l.vnetID(p.Remote)), "allowVirtualNetworkAccess": p.AllowAccess,
			"allowForwardedTraffic": false, "allowGatewayTransit": false, "useRemoteGateways": false}}})
	}
	nic := func(m *VM, pool bool) write {
		ipc := obj{"subnet": ref(l.subnetID(m.Subnet)), "privateIPAllocationMethod": "Static",
			"privateIPAddress": m.IP.String(), "primary": true}
		if pool {
			ipc["loadBalancerBackendAddressPools"] = []any{ref(l.lbID() + "/backendAddressPools/pool")}
		}
		p := obj{"ipConfigurations": []any{obj{"name": "ipconfig1", "properties": ipc}}}
		if m.NICNSG != nil {
			p["networkSecurityGroup"] = ref(l.nsgID(m.NICNSG))
		}
		return write{http.MethodPut, l.nicID(m), apiNetwork, obj{"location": location, "properties": p}}
	}
	for _, m := range top.VMs {
		ws = append(ws, nic(m, false))
	}
	if err := step(ws); err != nil {
		return nil, err
	}
	if top.PL != nil {
		// The backends' NICs join the pool, which must exist.
		if err := c.waitAll(ctx, ops); err != nil {
			return nil, err
		}
		ops = nil
		ws = nil
		for _, b := range top.PL.Backends {
			ws = append(ws, nic(b, true))
		}
		if err := step(ws); err != nil {
			return nil, err
		}
	}

	// 4. VMs (consumers and backends).
	ws = nil
	for _, m := range top.allVMs() {
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
	for _, m := range top.allVMs() {
		l.identity[m] = map[int]string{}
		for _, p := range m.Listeners {
			ident := fmt.Sprintf("privlink-property sub=%s vm=%s port=%d", l.sub, m.Name, p)
			e, err := startEcho(ident)
			if err != nil {
				return nil, err
			}
			l.echoes = append(l.echoes, e)
			l.echoOf[m] = append(l.echoOf[m], e)
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
	for _, m := range top.allVMs() {
		if err := checkPower(ctx, c, l.vmIDs[m], m.Power); err != nil {
			return nil, err
		}
	}
	if top.PL != nil {
		if err := l.createPrivateLink(ctx, c, beforeActions); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// allVMs are the consumers' VMs and the provider's backends.
func (t *Topology) allVMs() []*VM {
	if t.PL == nil {
		return t.VMs
	}
	return append(slices.Clone(t.VMs), t.PL.Backends...)
}

func (pl *PrivateLink) beSubnet() *Subnet  { return pl.VNet.Subnets[0] }
func (pl *PrivateLink) natSubnet() *Subnet { return pl.VNet.Subnets[1] }

func (l *live) lbID() string  { return l.rid("Microsoft.Network/loadBalancers", "lb") }
func (l *live) plsID() string { return l.rid("Microsoft.Network/privateLinkServices", "pls") }
func (l *live) peID(e *Endpoint) string {
	return l.rid("Microsoft.Network/privateEndpoints", e.Name)
}

// lbBody is the Standard internal load balancer: frontend fe, pool pool,
// a TCP probe on the backend port every 5 s (Azure's minimum) and, with
// rule, the Tcp rule frontend port -> backend port.
func (l *live) lbBody(rule bool) obj {
	pl, id := l.top.PL, l.lbID()
	p := obj{
		"frontendIPConfigurations": []any{obj{"name": "fe", "properties": obj{"subnet": ref(l.subnetID(pl.beSubnet())),
			"privateIPAllocationMethod": "Static", "privateIPAddress": pl.FrontendIP.String()}}},
		"backendAddressPools": []any{obj{"name": "pool"}},
		"probes": []any{obj{"name": "probe", "properties": obj{"protocol": "Tcp", "port": pl.BackendPort,
			"intervalInSeconds": 5, "numberOfProbes": 1}}},
		"loadBalancingRules": []any{},
	}
	if rule {
		p["loadBalancingRules"] = []any{obj{"name": "rule", "properties": obj{
			"frontendIPConfiguration": ref(id + "/frontendIPConfigurations/fe"),
			"backendAddressPool":      ref(id + "/backendAddressPools/pool"),
			"probe":                   ref(id + "/probes/probe"),
			"protocol":                "Tcp", "frontendPort": pl.FrontendPort, "backendPort": pl.BackendPort,
			"enableFloatingIP": false, "idleTimeoutInMinutes": 4}}}
	}
	return obj{"location": location, "sku": obj{"name": "Standard"}, "properties": p}
}

// createPrivateLink completes the provider side and connects the
// endpoints: the load-balancing rule (now that the backends listen), the
// private link service, the endpoints, then the owner's action on each
// connection, and checks the state each endpoint ends up in, so that a
// control-plane problem is not reported as a fabric one.
func (l *live) createPrivateLink(ctx context.Context, c *armClient, beforeActions func(*live) error) error {
	pl := l.top.PL
	run := func(method, path string, body any) error {
		op, err := c.send(ctx, method, path, apiNetwork, body)
		if err != nil {
			return err
		}
		return c.wait(ctx, op)
	}
	if err := run(http.MethodPut, l.lbID(), l.lbBody(true)); err != nil {
		return err
	}
	var ipcs []any
	for i, ip := range pl.NATIPs {
		ipcs = append(ipcs, obj{"name": fmt.Sprintf("nat%d", i), "properties": obj{"privateIPAllocationMethod": "Static",
			"privateIPAddress": ip.String(), "privateIPAddressVersion": "IPv4", "subnet": ref(l.subnetID(pl.natSubnet())), "primary": i == 0}})
	}
	props := obj{"loadBalancerFrontendIpConfigurations": []any{ref(l.lbID() + "/frontendIPConfigurations/fe")},
		"ipConfigurations": ipcs, "visibility": obj{"subscriptions": []string{l.sub}}}
	if pl.AutoApproval {
		props["autoApproval"] = obj{"subscriptions": []string{l.sub}}
	}
	if err := run(http.MethodPut, l.plsID(), obj{"location": location, "properties": props}); err != nil {
		return err
	}
	// Automatic connections need the approval right on the service
	// (Microsoft.Network/privateLinkServices/privateEndpointConnectionsApproval/action),
	// as the owner has it: Network Contributor on the resource group.
	if slices.ContainsFunc(l.top.Endpoints, func(e *Endpoint) bool { return !e.Manual }) {
		if _, err := c.send(ctx, http.MethodPut, l.groupPath()+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString(),
			apiRoleAssignments, obj{"properties": obj{
				"roleDefinitionId": "/subscriptions/" + l.sub + "/providers/Microsoft.Authorization/roleDefinitions/" + networkContributor,
				"principalId":      c.oid, "principalType": "ServicePrincipal"}}); err != nil {
			return err
		}
	}
	errs := make([]error, len(l.top.Endpoints))
	var wg sync.WaitGroup
	for i, e := range l.top.Endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := []any{obj{"name": "conn", "properties": obj{"privateLinkServiceId": l.plsID(), "requestMessage": "property test"}}}
			p := obj{"subnet": ref(l.subnetID(e.Subnet)),
				"ipConfigurations": []any{obj{"name": "ipconfig", "properties": obj{"privateIPAddress": e.IP.String()}}}}
			if e.Manual {
				p["manualPrivateLinkServiceConnections"] = conn
			} else {
				p["privateLinkServiceConnections"] = conn
			}
			errs[i] = run(http.MethodPut, l.peID(e), obj{"location": location, "properties": p})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	for _, e := range l.top.Endpoints {
		if err := l.checkEndpointState(ctx, c, e, l.top.InitialState(e)); err != nil {
			return err
		}
	}
	if beforeActions != nil {
		if err := beforeActions(l); err != nil {
			return err
		}
	}

	// The owner's side: find each endpoint's connection on the service.
	r, err := c.do(ctx, http.MethodGet, l.plsID(), apiNetwork, nil)
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", l.plsID(), r.Status, r.Body)
	}
	var pls struct {
		Properties struct {
			Connections []struct {
				ID         string `json:"id"`
				Properties struct {
					PrivateEndpoint struct {
						ID string `json:"id"`
					} `json:"privateEndpoint"`
				} `json:"properties"`
			} `json:"privateEndpointConnections"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(r.Body, &pls); err != nil {
		return fmt.Errorf("decode %s: %w", l.plsID(), err)
	}
	connOf := map[string]string{}
	for _, pc := range pls.Properties.Connections {
		connOf[strings.ToLower(pc.Properties.PrivateEndpoint.ID)] = pc.ID
	}
	for i, e := range l.top.Endpoints {
		conn := connOf[strings.ToLower(l.peID(e))]
		if conn == "" {
			return fmt.Errorf("private link service %s lists no connection of %s: %s", l.plsID(), l.peID(e), r.Body)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := ""
			switch e.Action {
			case ActionLeave:
				return
			case ActionRemove:
				errs[i] = run(http.MethodDelete, conn, nil)
				return
			case ActionApprove:
				status = StateApproved
			case ActionReject:
				status = StateRejected
			}
			errs[i] = run(http.MethodPut, conn, obj{"properties": obj{"privateLinkServiceConnectionState": obj{
				"status": status, "description": "property test: " + e.Action.String()}}})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, e := range l.top.Endpoints {
		if err := l.checkEndpointState(ctx, c, e, l.top.State(e)); err != nil {
			return err
		}
	}
	return nil
}

// checkEndpointState reads the endpoint and checks its connection's
// state is want.
func (l *live) checkEndpointState(ctx context.Context, c *armClient, e *Endpoint, want string) error {
	r, err := c.do(ctx, http.MethodGet, l.peID(e), apiNetwork, nil)
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", l.peID(e), r.Status, r.Body)
	}
	type conn struct {
		Properties struct {
			State struct {
				Status string `json:"status"`
			} `json:"privateLinkServiceConnectionState"`
		} `json:"properties"`
	}
	var pe struct {
		Properties struct {
			Auto   []conn `json:"privateLinkServiceConnections"`
			Manual []conn `json:"manualPrivateLinkServiceConnections"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(r.Body, &pe); err != nil {
		return fmt.Errorf("decode %s: %w", l.peID(e), err)
	}
	cs := append(pe.Properties.Auto, pe.Properties.Manual...)
	if len(cs) != 1 {
		return fmt.Errorf("%s has %d connections: %s", l.peID(e), len(cs), r.Body)
	}
	if got := cs[0].Properties.State.Status; got != want {
		return fmt.Errorf("%s: connection is %s, want %s (owner action %s): %s", l.peID(e), got, want, e.Action, r.Body)
	}
	return nil
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
