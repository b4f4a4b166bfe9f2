package containerservice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/providers/network"
)

// api-versions of the in-process calls (versions the providers serve).
const (
	groupsAPI  = "2021-04-01"
	networkAPI = "2022-05-01"
	zoneAPI    = "2020-06-01"
	computeAPI = "2022-11-01"
	fabricAPI  = "2025-01-01"
)

// env is one reconciliation of one cluster.
type env struct {
	pr     *Provider
	ctx    context.Context
	id     arm.ID
	sub    string
	rg     string
	name   string
	region string
	props  clusterProps
	raw    map[string]any
	ident  json.RawMessage
	st     *internalState
	// hostNICBody is the host NIC as ensureHost wrote it.
	hostNICBody map[string]any
}

func newEnv(ctx context.Context, pr *Provider, rec *arm.Record, st *internalState) (*env, error) {
	id, err := arm.ParseID(rec.Resource.ID)
	if err != nil {
		return nil, err
	}
	e := &env{pr: pr, ctx: network.WithDelegatedService(ctx, DelegationService), id: id, sub: id.Subscription,
		rg: id.ResourceGroup, name: id.Name(), region: arm.NormalizeLocation(rec.Resource.Location),
		raw: rec.Resource.PropertiesMap(), ident: rec.Resource.Identity, st: st}
	if err := rec.Resource.DecodeProperties(&e.props); err != nil {
		return nil, err
	}
	if e.props.APIServerAccessProfile == nil {
		e.props.APIServerAccessProfile = &apiServerAccessProfile{}
	}
	if e.props.NetworkProfile == nil {
		e.props.NetworkProfile = &networkProfile{}
	}
	return e, nil
}

func (e *env) ap() *apiServerAccessProfile { return e.props.APIServerAccessProfile }
func (e *env) nodeRG() string              { return e.props.NodeResourceGroup }
func (e *env) infraRG() string             { return "hcp-" + e.st.GUID }

func groupPath(sub, rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

func resPath(sub, rg, typ, name string) string {
	return groupPath(sub, rg) + "/providers/" + typ + "/" + name
}

func (e *env) put(path, apiVersion string, body any) (map[string]any, error) {
	out, err := e.pr.ARM.Put(e.ctx, path, apiVersion, body, false)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	m, _ := out.(map[string]any)
	return m, nil
}

func (e *env) get(path, apiVersion string) (map[string]any, error) {
	m, err := e.pr.ARM.GetObject(e.ctx, path, apiVersion, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return m, nil
}

// del deletes a resource; a missing one is fine.
func (e *env) del(path, apiVersion string) error {
	if err := e.pr.ARM.Delete(e.ctx, path, apiVersion, false); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}

// isNotFound also accepts errors that carry NotFound() (the CLI client's).
func isNotFound(err error) bool {
	if arm.IsNotFound(err) {
		return true
	}
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

func str(m any, path ...any) string { return arm.DigString(m, path...) }

// ensureNodeResourceGroup creates MC_<rg>_<name>_<region>.
func (e *env) ensureNodeResourceGroup() error {
	_, err := e.put(groupPath(e.sub, e.nodeRG()), groupsAPI, map[string]any{
		"location":  e.region,
		"managedBy": e.id.String(),
		"tags":      map[string]string{"aks-managed-cluster-name": e.name, "aks-managed-cluster-rg": e.rg},
	})
	return err
}

// ensureNodeSubnet returns the first pool's subnet, creating the managed
// VNet (aks-vnet-<number> with aks-subnet, plus the delegated
// aks-apiserver-subnet with VNet integration) when no subnet was given.
func (e *env) ensureNodeSubnet() error {
	if s := e.props.AgentPoolProfiles[0].VnetSubnetID; s != "" {
		e.st.NodeSubnet = s
		if e.ap().vnetIntegration() {
			e.st.APIServerSubnet = e.ap().SubnetID
		}
		return nil
	}
	vnet := resPath(e.sub, e.nodeRG(), "Microsoft.Network/virtualNetworks", "aks-vnet-"+e.st.NodeNumber)
	subnets := []any{map[string]any{"name": "aks-subnet", "properties": map[string]any{"addressPrefix": managedSubnetPrefix}}}
	apiSubnet := e.ap().SubnetID
	if e.ap().vnetIntegration() && apiSubnet == "" {
		subnets = append(subnets, map[string]any{"name": "aks-apiserver-subnet", "properties": map[string]any{
			"addressPrefix": managedAPIServerPrefix,
			"delegations": []any{map[string]any{"name": "aks-delegation", "properties": map[string]any{
				"serviceName": DelegationService}}},
		}})
		apiSubnet = vnet + "/subnets/aks-apiserver-subnet"
	}
	// Created once: users may add subnets (a jump box) to it later.
	if _, err := e.get(vnet, networkAPI); err != nil {
		if !isNotFound(err) {
			return err
		}
		if _, err := e.put(vnet, networkAPI, map[string]any{
			"location": e.region,
			"properties": map[string]any{
				"addressSpace": map[string]any{"addressPrefixes": []string{managedVNetPrefix}},
				"subnets":      subnets,
			},
		}); err != nil {
			return err
		}
	}
	e.st.NodeSubnet = vnet + "/subnets/aks-subnet"
	e.st.APIServerSubnet = apiSubnet
	return nil
}

func vnetOf(subnet string) string {
	v, _, _ := strings.Cut(subnet, "/subnets/")
	if i := strings.Index(strings.ToLower(subnet), "/subnets/"); i >= 0 {
		return subnet[:i]
	}
	return v
}

// checkPermissions applies the role checks AKS makes before it touches
// the customer's network (azure-behavior.md §3).
func (e *env) checkPermissions() error {
	az := e.pr.platform.Authorizer
	if az == nil || idType(e.ident) != "userassigned" {
		return nil
	}
	principal := identityPrincipal(e.ident)
	if e.ap().zoneMode() == "custom" {
		ok, err := az.Allowed(principal, "Microsoft.Network/privateDnsZones/write", e.ap().PrivateDNSZone)
		if err != nil {
			return err
		}
		if !ok {
			return arm.BadRequest("CustomPrivateDNSZoneMissingPermissionError",
				"Service principal or user-assigned identity must be given permission to read and write to custom private dns zone %s. Check access result not allowed for action Microsoft.Network/privateDnsZones/write.",
				e.ap().PrivateDNSZone)
		}
	}
	if e.ap().vnetIntegration() && e.props.AgentPoolProfiles[0].VnetSubnetID != "" {
		for _, s := range []string{e.ap().SubnetID, e.props.AgentPoolProfiles[0].VnetSubnetID} {
			ok, err := az.Allowed(principal, "Microsoft.Network/virtualNetworks/subnets/join/action", s)
			if err != nil {
				return err
			}
			if !ok {
				return arm.Errorf(403, "LinkedAuthorizationFailed",
					"The cluster identity '%s' does not have permission to perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope '%s'. Assign it the Network Contributor role on the API server subnet and on the cluster subnet.",
					principal, s)
			}
		}
	}
	return nil
}

// The API server host: a hidden machine in the infrastructure
// subscription whose port 443 is the cluster's kube-apiserver.

func (e *env) hostVM() string {
	n := "kube-apiserver"
	if e.ap().vnetIntegration() {
		n = "kube-apiserver-vnet"
	}
	return resPath(InfraSubscription, e.infraRG(), "Microsoft.Compute/virtualMachines", n)
}

func (e *env) hostNIC() string {
	return resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/networkInterfaces", lastSeg(e.hostVM())+"-nic")
}

func (e *env) hcpVNet() string {
	return resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/virtualNetworks", "hcp-vnet")
}

func lastSeg(id string) string { return id[strings.LastIndex(id, "/")+1:] }

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "Aa1!" + hex.EncodeToString(b)
}

// ensureHost creates the control plane's network position and host.
func (e *env) ensureHost() error {
	if _, err := e.put(groupPath(InfraSubscription, e.infraRG()), groupsAPI, map[string]any{
		"location": e.region,
		"tags":     map[string]string{"aks-managed-cluster": e.id.String()},
	}); err != nil {
		return err
	}
	subnet := e.st.APIServerSubnet
	if !e.ap().vnetIntegration() {
		if _, err := e.put(e.hcpVNet(), networkAPI, map[string]any{
			"location": e.region,
			"properties": map[string]any{
				"addressSpace": map[string]any{"addressPrefixes": []string{hcpVNetPrefix}},
				"subnets": []any{map[string]any{"name": "apiserver", "properties": map[string]any{
					"addressPrefix": hcpSubnetPrefix, "privateLinkServiceNetworkPolicies": "Disabled"}}},
			},
		}); err != nil {
			return err
		}
		subnet = e.hcpVNet() + "/subnets/apiserver"
	}
	// Who may reach port 443 from outside the network.
	rules := []any{}
	public := !e.ap().private()
	if public {
		ranges, _ := parsePrefixes(e.ap().AuthorizedIPRanges)
		rule := map[string]any{"protocol": "Tcp", "sourcePortRange": "*", "destinationAddressPrefix": "*",
			"destinationPortRange": "443", "access": "Allow", "priority": 100, "direction": "Inbound"}
		if len(ranges) > 0 {
			var ss []string
			for _, r := range ranges {
				ss = append(ss, r.String())
			}
			rule["sourceAddressPrefixes"] = ss
			rules = append(rules, map[string]any{"name": "allow-authorized-ip-ranges", "properties": rule})
		} else {
			rule["sourceAddressPrefix"] = "Internet"
			rules = append(rules, map[string]any{"name": "allow-apiserver-from-internet", "properties": rule})
		}
	}
	nsg := resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/networkSecurityGroups", "kube-apiserver-nsg")
	if _, err := e.put(nsg, networkAPI, map[string]any{"location": e.region, "properties": map[string]any{"securityRules": rules}}); err != nil {
		return err
	}
	// Each host has its own address: converting a cluster to VNet
	// integration changes its API server IP (azure-behavior.md §3).
	pip := resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/publicIPAddresses", lastSeg(e.hostVM())+"-pip")
	if public {
		if _, err := e.put(pip, networkAPI, map[string]any{"location": e.region, "sku": map[string]any{"name": "Standard"},
			"properties": map[string]any{"publicIPAllocationMethod": "Static"}}); err != nil {
			return err
		}
	}
	ipc := map[string]any{"subnet": map[string]any{"id": subnet}, "privateIPAllocationMethod": "Dynamic", "primary": true}
	if public {
		ipc["publicIPAddress"] = map[string]any{"id": pip}
	}
	configs := []any{map[string]any{"name": "ipconfig1", "properties": ipc}}
	if e.ap().vnetIntegration() {
		// The addresses the cluster reserves in the API server subnet
		// (with the load balancer frontend: apiServerReservedIPs).
		for i := 2; i < apiServerReservedIPs; i++ {
			configs = append(configs, map[string]any{"name": "ipconfig" + strconv.Itoa(i), "properties": map[string]any{
				"subnet": map[string]any{"id": subnet}, "privateIPAllocationMethod": "Dynamic"}})
		}
	}
	nicBody := map[string]any{"location": e.region, "properties": map[string]any{
		"ipConfigurations": configs, "networkSecurityGroup": map[string]any{"id": nsg}}}
	if !e.ap().vnetIntegration() && e.ap().private() {
		// Behind the control plane's load balancer, which the private
		// link service (ensurePrivatePath) fronts.
		if _, err := e.put(e.hcpLB(), networkAPI, e.lbBody(e.hcpLB(), subnet, "")); err != nil {
			return err
		}
		ipc["loadBalancerBackendAddressPools"] = []any{map[string]any{"id": e.hcpLB() + "/backendAddressPools/kube-apiserver-backendpool"}}
	}
	e.hostNICBody = nicBody
	nic, err := e.put(e.hostNIC(), networkAPI, nicBody)
	if err != nil {
		return err
	}
	e.st.HostIP = str(nic, "properties", "ipConfigurations", 0, "properties", "privateIPAddress")
	if !public {
		if err := e.del(pip, networkAPI); err != nil {
			return err
		}
		e.st.PublicIP = ""
	} else {
		p, err := e.get(pip, networkAPI)
		if err != nil {
			return err
		}
		e.st.PublicIP = str(p, "properties", "ipAddress")
	}
	vm := e.hostVM()
	if _, err := e.get(vm, computeAPI); err != nil {
		if !isNotFound(err) {
			return err
		}
		if _, err := e.put(vm, computeAPI, map[string]any{
			"location": e.region,
			"tags":     map[string]string{"aks-managed-cluster": e.id.String()},
			"properties": map[string]any{
				"hardwareProfile": map[string]any{"vmSize": "Standard_D4s_v3"},
				"storageProfile": map[string]any{"imageReference": map[string]any{
					"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}},
				"osProfile": map[string]any{"computerName": "kube-apiserver", "adminUsername": "azureuser", "adminPassword": randomPassword(),
					"linuxConfiguration": map[string]any{"disablePasswordAuthentication": false}},
				"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": e.hostNIC(), "properties": map[string]any{"primary": true}}}},
			},
		}); err != nil {
			return err
		}
	}
	return nil
}

// removeOldHost deletes the other mode's host (after a conversion to VNet
// integration) and the private link path it had.
func (e *env) removeOldHost() error {
	if !e.ap().vnetIntegration() {
		return nil
	}
	old := resPath(InfraSubscription, e.infraRG(), "Microsoft.Compute/virtualMachines", "kube-apiserver")
	if err := e.del(resPath(e.sub, e.nodeRG(), "Microsoft.Network/privateEndpoints", "kube-apiserver"), networkAPI); err != nil {
		return err
	}
	for _, p := range []string{
		resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/privateLinkServices", "kube-apiserver"),
		resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/loadBalancers", "kube-apiserver"),
	} {
		if err := e.del(p, networkAPI); err != nil {
			return err
		}
	}
	if err := e.del(old, computeAPI); err != nil {
		return err
	}
	if err := e.del(resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/networkInterfaces", "kube-apiserver-nic"), networkAPI); err != nil {
		return err
	}
	if err := e.del(resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/publicIPAddresses", "kube-apiserver-pip"), networkAPI); err != nil {
		return err
	}
	return nil
}

// ensurePrivatePath creates the private way to the API server and sets
// st.PrivateIP: for Private Link clusters an internal load balancer and a
// private link service in the control plane's network and the
// "kube-apiserver" private endpoint in the node subnet; for VNet
// integration the "kube-apiserver" internal load balancer in the node
// resource group with its frontend in the API server subnet.
func (e *env) ensurePrivatePath() error {
	if e.ap().vnetIntegration() {
		lb := resPath(e.sub, e.nodeRG(), "Microsoft.Network/loadBalancers", "kube-apiserver")
		out, err := e.put(lb, networkAPI, e.lbBody(lb, e.st.APIServerSubnet, vnetOf(e.st.APIServerSubnet)))
		if err != nil {
			return err
		}
		e.st.PrivateIP = str(out, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAddress")
		return nil
	}
	if !e.ap().private() {
		e.st.PrivateIP = ""
		return nil
	}
	if e.st.Power != "Running" {
		return nil
	}
	subnet := e.hcpVNet() + "/subnets/apiserver"
	lb := e.hcpLB()
	pls := resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/privateLinkServices", "kube-apiserver")
	if _, err := e.put(pls, networkAPI, map[string]any{"location": e.region, "properties": map[string]any{
		"loadBalancerFrontendIpConfigurations": []any{map[string]any{"id": lb + "/frontendIPConfigurations/kube-apiserver-frontend"}},
		"ipConfigurations": []any{map[string]any{"name": "kube-apiserver-nat", "properties": map[string]any{
			"subnet": map[string]any{"id": subnet}, "primary": true, "privateIPAllocationMethod": "Dynamic"}}},
		"visibility":   map[string]any{"subscriptions": []string{e.sub}},
		"autoApproval": map[string]any{"subscriptions": []string{e.sub}},
	}}); err != nil {
		return err
	}
	pe := resPath(e.sub, e.nodeRG(), "Microsoft.Network/privateEndpoints", "kube-apiserver")
	cur, err := e.pr.ARM.GetObject(e.ctx, pe, networkAPI, nil)
	if err != nil && !isNotFound(err) {
		return err
	}
	// An endpoint whose link service was recreated (stop/start) is
	// Disconnected: AKS replaces its own.
	if cur != nil && str(cur, "properties", "privateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "status") != "Approved" {
		if err := e.del(pe, networkAPI); err != nil {
			return err
		}
		cur = nil
	}
	if cur == nil {
		if cur, err = e.put(pe, networkAPI, map[string]any{"location": e.region, "properties": map[string]any{
			"subnet": map[string]any{"id": e.st.NodeSubnet},
			"privateLinkServiceConnections": []any{map[string]any{"name": "kube-apiserver", "properties": map[string]any{
				"privateLinkServiceId": pls}}},
		}}); err != nil {
			return err
		}
	}
	e.st.PrivateIP = str(cur, "properties", "customDnsConfigs", 0, "ipAddresses", 0)
	if e.st.PrivateIP == "" {
		nic, err := e.get(str(cur, "properties", "networkInterfaces", 0, "id"), networkAPI)
		if err != nil {
			return err
		}
		e.st.PrivateIP = str(nic, "properties", "ipConfigurations", 0, "properties", "privateIPAddress")
	}
	return nil
}

func (e *env) hcpLB() string {
	return resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/loadBalancers", "kube-apiserver")
}

// lbBody is a kube-apiserver load balancer; its backend is the host by IP
// address (vnet != ""), or by the host NIC's membership (vnet == "": a
// private link service needs a NIC-based pool).
func (e *env) lbBody(lb, subnet, vnet string) map[string]any {
	pool := map[string]any{"name": "kube-apiserver-backendpool"}
	if vnet != "" {
		pool["properties"] = map[string]any{
			"loadBalancerBackendAddresses": []any{map[string]any{"name": "kube-apiserver", "properties": map[string]any{
				"ipAddress": e.st.HostIP, "virtualNetwork": map[string]any{"id": vnet}}}}}
	}
	return map[string]any{
		"location": e.region,
		"sku":      map[string]any{"name": "Standard"},
		"properties": map[string]any{
			"frontendIPConfigurations": []any{map[string]any{"name": "kube-apiserver-frontend", "properties": map[string]any{
				"subnet": map[string]any{"id": subnet}, "privateIPAllocationMethod": "Dynamic"}}},
			"backendAddressPools": []any{pool},
			"probes": []any{map[string]any{"name": "kube-apiserver-health-probe", "properties": map[string]any{
				"protocol": "Tcp", "port": 443, "intervalInSeconds": 5, "numberOfProbes": 1}}},
			"loadBalancingRules": []any{map[string]any{"name": "kube-apiserver-rule", "properties": map[string]any{
				"frontendIPConfiguration": map[string]any{"id": lb + "/frontendIPConfigurations/kube-apiserver-frontend"},
				"backendAddressPool":      map[string]any{"id": lb + "/backendAddressPools/kube-apiserver-backendpool"},
				"probe":                   map[string]any{"id": lb + "/probes/kube-apiserver-health-probe"},
				"protocol":                "Tcp", "frontendPort": 443, "backendPort": 443, "idleTimeoutInMinutes": 4}}},
		},
	}
}

// ensureDNS publishes the names: the private zone record (system or
// custom mode) and the public names (fabric.PublicRecordsInternal).
func (e *env) ensureDNS() error {
	ap := e.ap()
	fqdn := str(e.raw, "fqdn")
	priv := str(e.raw, "privateFQDN")
	e.st.PublicRecords = map[string]string{}
	switch {
	case !ap.private():
		addr := e.st.PublicIP
		if addr == "" {
			addr = e.st.PrivateIP
		}
		if fqdn != "" && addr != "" {
			e.st.PublicRecords[fqdn] = addr
		}
	case ap.publicFQDN() && fqdn != "" && e.st.PrivateIP != "":
		e.st.PublicRecords[fqdn] = e.st.PrivateIP
	}
	systemZone := resPath(e.sub, e.nodeRG(), "Microsoft.Network/privateDnsZones", systemZoneName(e.st, e.region))
	switch ap.zoneMode() {
	case "system":
		if e.st.PrivateIP == "" {
			return nil
		}
		if _, err := e.put(systemZone, zoneAPI, map[string]any{"location": "global"}); err != nil {
			return err
		}
		label := strings.TrimSuffix(priv, "."+lastSeg(systemZone))
		if _, err := e.put(systemZone+"/A/"+label, zoneAPI, map[string]any{"properties": map[string]any{
			"ttl": 300, "aRecords": []any{map[string]any{"ipv4Address": e.st.PrivateIP}}}}); err != nil {
			return err
		}
		vnet := vnetOf(e.st.NodeSubnet)
		if _, err := e.put(systemZone+"/virtualNetworkLinks/"+lastSeg(vnet)+"-link", zoneAPI, map[string]any{
			"location": "global", "properties": map[string]any{"virtualNetwork": map[string]any{"id": vnet}, "registrationEnabled": false}}); err != nil {
			return err
		}
	case "custom":
		if e.st.PrivateIP == "" {
			return nil
		}
		zone := ap.PrivateDNSZone
		label := strings.TrimSuffix(priv, "."+strings.ToLower(lastSeg(zone)))
		if _, err := e.put(zone+"/A/"+label, zoneAPI, map[string]any{"properties": map[string]any{
			"ttl": 300, "aRecords": []any{map[string]any{"ipv4Address": e.st.PrivateIP}}}}); err != nil {
			return err
		}
	default:
		// public or none: no private zone (a system zone left from a
		// private mode goes, its links first).
		links, err := e.pr.ARM.GetObject(e.ctx, systemZone+"/virtualNetworkLinks", zoneAPI, nil)
		if err != nil && !isNotFound(err) {
			return err
		}
		vals, _ := links["value"].([]any)
		for _, l := range vals {
			if id := str(l, "id"); id != "" {
				if err := e.del(id, zoneAPI); err != nil {
					return err
				}
			}
		}
		if err := e.del(systemZone, zoneAPI); err != nil {
			return err
		}
	}
	return nil
}

// kubeSpec is the control plane's identity: names and addresses.
func (e *env) kubeSpec() kube.ClusterSpec {
	spec := kube.ClusterSpec{Key: e.st.GUID, Name: e.name}
	for _, n := range []string{str(e.raw, "fqdn"), str(e.raw, "privateFQDN"), str(e.raw, "azurePortalFQDN")} {
		if n != "" {
			spec.DNSNames = append(spec.DNSNames, n)
		}
	}
	for _, s := range []string{e.st.HostIP, e.st.PublicIP, e.st.PrivateIP} {
		if a, err := netip.ParseAddr(s); err == nil {
			spec.IPs = append(spec.IPs, a)
		}
	}
	if p, err := netip.ParsePrefix(e.props.NetworkProfile.ServiceCidr); err == nil {
		spec.ServiceCIDR = p
	}
	for _, s := range []string{e.st.PrivateIP, e.st.PublicIP, e.st.HostIP} {
		if a, err := netip.ParseAddr(s); err == nil {
			spec.AdvertiseAddress = a
			break
		}
	}
	return spec
}

// ensureRuntime starts the API server and points the host's port 443 at it.
func (e *env) ensureRuntime() (*kube.Cluster, error) {
	spec := e.kubeSpec()
	sans := append(append([]string(nil), spec.DNSNames...), addrStrings(spec.IPs)...)
	if e.pr.Kube.Get(e.st.GUID) != nil && !slices.Equal(sorted(sans), sorted(e.st.SANs)) {
		// New names or addresses restart the API server with a new serving
		// certificate: the in-cluster agents' watches go first, or the
		// server's shutdown waits for them.
		e.pr.stopAgents(e.st.GUID)
	}
	c, err := e.pr.Kube.Start(e.ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("start the Kubernetes API server: %w", err)
	}
	e.st.SANs = sans
	target := c.Addr().String()
	path := e.hostVM() + "/providers/Privlink.Fabric/listeners/tcp-443"
	cur, err := e.pr.ARM.GetObject(e.ctx, path, fabricAPI, nil)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if str(cur, "properties", "target") != target {
		if _, err := e.put(path, fabricAPI, map[string]any{"properties": map[string]any{
			"protocol": "Tcp", "port": 443, "target": target}}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func sorted(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}
