package cloudprovider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

func (p *Provider) lbName(internal bool) string {
	if internal {
		return p.cfg.ClusterName + "-internal"
	}
	return p.cfg.ClusterName
}

func (p *Provider) lbPath(internal bool) string {
	return p.resPath(p.cfg.NodeResourceGroup, "loadBalancers", p.lbName(internal))
}

// plan is everything one ensure decided before writing anything.
type plan struct {
	svc        *corev1.Service
	internal   bool
	lbPath     string
	lb         map[string]any // current, nil if missing
	feName     string
	feID       string
	shared     bool // the frontend belongs to another service (same IP)
	subnetID   string
	staticIP   string
	pipID      string // public frontends
	pipCreate  bool
	pls        *plsSpec
	plsSubnet  map[string]any
	plsCurrent map[string]any // existing link service on the frontend
	plsShared  bool           // owned by another service: leave it alone
}

// ensure is EnsureLoadBalancer: validate and decide first, then write the
// public IP, the load balancer, the pool members and the link service.
// It returns the frontend address.
func (p *Provider) ensure(ctx context.Context, svc *corev1.Service) (string, error) {
	p.lbMu.Lock()
	defer p.lbMu.Unlock()
	pl, err := p.plan(ctx, svc)
	if err != nil {
		return "", err
	}
	// Leaving the other load balancer (internal <-> public switch) takes
	// the old frontend's link service with it.
	if err := p.removeFromLB(ctx, svc, !pl.internal); err != nil {
		return "", err
	}
	if pl.pipCreate {
		if _, err := p.put(ctx, pl.pipID, map[string]any{
			"location": p.cfg.Region,
			"sku":      map[string]any{"name": "Standard", "tier": "Regional"},
			"tags":     map[string]any{tagService: serviceName(svc), tagClusterName: p.cfg.ClusterName},
			"properties": map[string]any{
				"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4",
			},
		}); err != nil {
			return "", err
		}
	}
	out, err := p.put(ctx, pl.lbPath, p.lbBody(pl))
	if err != nil {
		return "", err
	}
	if err := p.ensurePoolMembers(ctx, pl.lbPath); err != nil {
		return "", err
	}
	if pl.pls != nil && pl.pls.create && !pl.plsShared {
		if err := p.ensurePLS(ctx, pl); err != nil {
			return "", err
		}
	}
	if pl.internal {
		for _, fe := range anySlice(obj(out, "properties")["frontendIPConfigurations"]) {
			if strings.EqualFold(str(fe, "name"), pl.feName) {
				return str(fe, "properties", "privateIPAddress"), nil
			}
		}
		return "", fmt.Errorf("ensure(%s): lb(%s) - frontend %s has no address", serviceName(svc), lastSeg(pl.lbPath), pl.feName)
	}
	pip, err := p.get(ctx, pl.pipID)
	if err != nil {
		return "", err
	}
	return str(pip, "properties", "ipAddress"), nil
}

// plan reads what exists and validates the Service (annotations, subnets,
// addresses, link service ownership and name): an invalid Service fails
// here, before anything is written.
func (p *Provider) plan(ctx context.Context, svc *corev1.Service) (*plan, error) {
	sn := serviceName(svc)
	pl := &plan{svc: svc, internal: requiresInternal(svc), feName: frontendName(svc)}
	pl.lbPath = p.lbPath(pl.internal)
	pl.feID = pl.lbPath + "/frontendIPConfigurations/" + pl.feName
	for _, port := range svc.Spec.Ports {
		if port.NodePort == 0 && !(svc.Spec.AllocateLoadBalancerNodePorts != nil && !*svc.Spec.AllocateLoadBalancerNodePorts) {
			return nil, fmt.Errorf("ensure(%s): port %d has no node port yet", sn, port.Port)
		}
		if port.Protocol == corev1.ProtocolSCTP {
			return nil, fmt.Errorf("ensure(%s): SCTP is not supported by Azure load balancers", sn)
		}
	}
	pl.staticIP = strings.TrimSpace(svc.Annotations[AnnIPv4])
	if pl.staticIP == "" {
		pl.staticIP = svc.Spec.LoadBalancerIP
	}
	lb, err := p.get(ctx, pl.lbPath)
	if err != nil {
		return nil, err
	}
	pl.lb = lb
	var fe map[string]any
	for _, f := range anySlice(obj(lb, "properties")["frontendIPConfigurations"]) {
		fm, _ := f.(map[string]any)
		if strings.EqualFold(str(fm, "name"), pl.feName) {
			fe = fm
		}
	}
	if fe == nil && pl.internal && pl.staticIP != "" {
		// A secondary service: the same private address as another
		// service's frontend shares that frontend.
		for _, f := range anySlice(obj(lb, "properties")["frontendIPConfigurations"]) {
			fm, _ := f.(map[string]any)
			if str(fm, "properties", "privateIPAddress") == pl.staticIP {
				fe, pl.shared = fm, true
				pl.feName = str(fm, "name")
				pl.feID = pl.lbPath + "/frontendIPConfigurations/" + pl.feName
			}
		}
	}
	if pl.internal {
		pl.subnetID = p.cfg.NodeSubnetID
		if sub := internalSubnet(svc); sub != nil {
			pl.subnetID = p.cfg.VNetID + "/subnets/" + *sub
			s, err := p.get(ctx, pl.subnetID)
			if err != nil {
				return nil, err
			}
			if s == nil {
				return nil, fmt.Errorf("ensure(%s): lb(%s) - failed to get subnet: %s/%s", sn, p.lbName(true), lastSeg(p.cfg.VNetID), *sub)
			}
		}
	} else {
		pipName := p.cfg.ClusterName + "-" + baseName(svc)
		pl.pipID = p.resPath(p.cfg.NodeResourceGroup, "publicIPAddresses", pipName)
		if pl.staticIP != "" {
			pips, err := p.list(ctx, p.groupPath(p.cfg.NodeResourceGroup)+"/providers/Microsoft.Network/publicIPAddresses")
			if err != nil {
				return nil, err
			}
			pl.pipID = ""
			for _, pip := range pips {
				if str(pip, "properties", "ipAddress") == pl.staticIP {
					pl.pipID = str(pip, "id")
				}
			}
			if pl.pipID == "" {
				return nil, fmt.Errorf("user supplied IP Address %s was not found in resource group %s", pl.staticIP, p.cfg.NodeResourceGroup)
			}
		} else {
			cur, err := p.get(ctx, pl.pipID)
			if err != nil {
				return nil, err
			}
			pl.pipCreate = cur == nil
		}
	}
	if boolAnnotation(svc, AnnPLSCreate) {
		if !pl.internal && !floatingIPDisabled(svc) {
			return nil, fmt.Errorf("reconcilePrivateLinkService for service(%s): service requiring private link service must be internal or disable floating ip", sn)
		}
		spec, err := parsePLS(svc, p.cfg.NodeResourceGroup, lastSeg(p.cfg.NodeSubnetID))
		if err != nil {
			return nil, err
		}
		pl.pls = &spec
		if fe != nil {
			cur, err := p.findPLS(ctx, spec.resourceGroup, pl.feID)
			if err != nil {
				return nil, err
			}
			if cur != nil {
				tags := obj(cur, "tags")
				if !strings.EqualFold(strings.TrimSpace(str(tags, tagClusterName)), p.cfg.ClusterName) {
					return nil, fmt.Errorf("reconcilePrivateLinkService for service(%s) failed: LB frontend(%s) already has unmanaged private link service(%s)", sn, pl.feID, str(cur, "id"))
				}
				if owner := str(tags, tagOwnerService); !strings.EqualFold(owner, sn) {
					if hasAdditionalPLSConfigs(svc) {
						return nil, fmt.Errorf("reconcilePrivateLinkService for service(%s) failed: LB frontend(%s) already has existing private link service(%s) owned by service(%s)", sn, pl.feID, str(cur, "name"), owner)
					}
					pl.plsShared = true
				}
				if spec.nameGiven && !strings.EqualFold(str(cur, "name"), spec.name) {
					return nil, fmt.Errorf("getPrivateLinkServiceName(%s) failed: cannot change existing private link service name (%s) to (%s)", sn, str(cur, "name"), spec.name)
				}
				pl.plsCurrent = cur
			}
		}
		if !pl.plsShared {
			sub, err := p.get(ctx, p.cfg.VNetID+"/subnets/"+spec.subnet)
			if err != nil {
				return nil, err
			}
			if sub == nil {
				return nil, fmt.Errorf("checkAndUpdatePLSIPConfigs: failed to get private link service subnet(%s) for service(%s)", spec.subnet, sn)
			}
			pl.plsSubnet = sub
		}
	}
	return pl, nil
}

// lbBody is the load balancer with this service's frontend, rules and
// probes replacing its previous ones.
func (p *Provider) lbBody(pl *plan) map[string]any {
	svc := pl.svc
	lb := pl.lb
	if lb == nil {
		lb = map[string]any{"location": p.cfg.Region, "sku": map[string]any{"name": "Standard", "tier": "Regional"}}
	}
	body := map[string]any{"location": lb["location"], "sku": lb["sku"], "tags": lb["tags"]}
	pr := map[string]any{}
	body["properties"] = pr
	old := obj(lb, "properties")
	prefix := strings.ToLower(baseName(svc) + "-")
	mine := func(name string) bool { return strings.HasPrefix(strings.ToLower(name), prefix) }

	var fes []any
	found := false
	for _, f := range anySlice(old["frontendIPConfigurations"]) {
		if strings.EqualFold(str(f, "name"), pl.feName) {
			found = true
			if !pl.shared {
				f = p.frontend(pl, f.(map[string]any))
			}
		}
		fes = append(fes, f)
	}
	if !found {
		fes = append(fes, p.frontend(pl, nil))
	}
	pr["frontendIPConfigurations"] = fes

	poolID := pl.lbPath + "/backendAddressPools/" + p.cfg.ClusterName
	pools := anySlice(old["backendAddressPools"])
	hasPool := false
	for _, bp := range pools {
		if strings.EqualFold(str(bp, "name"), p.cfg.ClusterName) {
			hasPool = true
		}
	}
	if !hasPool {
		pools = append(pools, map[string]any{"name": p.cfg.ClusterName})
	}
	// Members join through their NICs (rendered back read-only): send
	// only the names.
	var cleanPools []any
	for _, bp := range pools {
		cleanPools = append(cleanPools, map[string]any{"name": str(bp, "name")})
	}
	pr["backendAddressPools"] = cleanPools

	var rules, probes []any
	for _, r := range anySlice(old["loadBalancingRules"]) {
		if !mine(str(r, "name")) {
			rules = append(rules, r)
		}
	}
	for _, pb := range anySlice(old["probes"]) {
		if !mine(str(pb, "name")) {
			probes = append(probes, pb)
		}
	}
	idle := int32(defaultIdleTimeout)
	if v, err := int32Annotation(svc, AnnIdleTimeout, nil); err == nil && v != nil {
		idle = *v
	}
	local := svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal && svc.Spec.HealthCheckNodePort != 0
	for _, port := range svc.Spec.Ports {
		name := ruleName(svc, port.Protocol, port.Port)
		proto := "Tcp"
		if port.Protocol == corev1.ProtocolUDP {
			proto = "Udp"
		}
		// Floating IP (cloud-provider-azure's default): the node sees the
		// frontend address and the Service port, which kube-proxy's rules
		// for the load balancer's address take; without it the rule
		// targets the node port.
		floating := !floatingIPDisabled(svc)
		backend := port.NodePort
		if floating {
			backend = port.Port
		}
		rp := map[string]any{
			"frontendIPConfiguration": map[string]any{"id": pl.feID},
			"backendAddressPool":      map[string]any{"id": poolID},
			"protocol":                proto,
			"frontendPort":            port.Port,
			"backendPort":             backend,
			"enableFloatingIP":        floating,
			"idleTimeoutInMinutes":    idle,
			"loadDistribution":        "Default",
		}
		if proto == "Tcp" {
			rp["enableTcpReset"] = true
			probe := map[string]any{"protocol": "Tcp", "port": port.NodePort,
				"intervalInSeconds": defaultProbeInterval, "numberOfProbes": defaultProbeThreshold}
			if local {
				probe = map[string]any{"protocol": "Http", "port": svc.Spec.HealthCheckNodePort, "requestPath": healthProbeDefaultPath,
					"intervalInSeconds": defaultProbeInterval, "numberOfProbes": defaultProbeThreshold}
			}
			probes = append(probes, map[string]any{"name": name, "properties": probe})
			rp["probe"] = map[string]any{"id": pl.lbPath + "/probes/" + name}
		}
		if !pl.internal {
			rp["disableOutboundSnat"] = false
		}
		rules = append(rules, map[string]any{"name": name, "properties": rp})
	}
	pr["loadBalancingRules"] = nonNil(rules)
	pr["probes"] = nonNil(probes)
	for _, k := range []string{"inboundNatRules", "outboundRules"} {
		if v, ok := old[k]; ok {
			pr[k] = v
		}
	}
	return body
}

func nonNil(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

// frontend is the service's frontend IP configuration; an existing
// dynamic address is kept.
func (p *Provider) frontend(pl *plan, cur map[string]any) map[string]any {
	if !pl.internal {
		return map[string]any{"name": pl.feName, "properties": map[string]any{"publicIPAddress": map[string]any{"id": pl.pipID}}}
	}
	fp := map[string]any{"subnet": map[string]any{"id": pl.subnetID}, "privateIPAllocationMethod": "Dynamic"}
	switch {
	case pl.staticIP != "":
		fp["privateIPAllocationMethod"], fp["privateIPAddress"] = "Static", pl.staticIP
	case cur != nil && strings.EqualFold(str(cur, "properties", "subnet", "id"), pl.subnetID) && str(cur, "properties", "privateIPAddress") != "":
		fp["privateIPAddress"] = str(cur, "properties", "privateIPAddress")
	}
	return map[string]any{"name": pl.feName, "properties": fp}
}

// ensurePoolMembers makes every node's IP configuration a member of the
// load balancer's pool <ClusterName> (nodeIPConfiguration backend pools,
// AKS's default).
func (p *Provider) ensurePoolMembers(ctx context.Context, lbPath string) error {
	poolID := lbPath + "/backendAddressPools/" + p.cfg.ClusterName
	for _, n := range p.cfg.Nodes() {
		if err := p.setMembership(ctx, n, poolID, true); err != nil {
			return err
		}
	}
	return nil
}

func (p *Provider) setMembership(ctx context.Context, n Node, poolID string, member bool) error {
	nic, err := p.get(ctx, n.NICID)
	if err != nil || nic == nil {
		return err
	}
	changed := false
	for _, ipc := range anySlice(props(nic)["ipConfigurations"]) {
		ipm, _ := ipc.(map[string]any)
		if n.IPConfig != "" && !strings.EqualFold(str(ipm, "name"), n.IPConfig) {
			continue
		}
		ipp := props(ipm)
		var pools []any
		has := false
		for _, bp := range anySlice(ipp["loadBalancerBackendAddressPools"]) {
			if strings.EqualFold(str(bp, "id"), poolID) {
				has = true
				if !member {
					changed = true
					continue
				}
			}
			pools = append(pools, map[string]any{"id": str(bp, "id")})
		}
		if member && !has {
			pools = append(pools, map[string]any{"id": poolID})
			changed = true
		}
		ipp["loadBalancerBackendAddressPools"] = nonNil(pools)
		if n.IPConfig == "" {
			break
		}
	}
	if !changed {
		return nil
	}
	_, err = p.put(ctx, n.NICID, nic)
	return err
}

// ensureDeleted is EnsureLoadBalancerDeleted: the service leaves both
// load balancers.
func (p *Provider) ensureDeleted(ctx context.Context, svc *corev1.Service) error {
	p.lbMu.Lock()
	defer p.lbMu.Unlock()
	for _, internal := range []bool{true, false} {
		if err := p.removeFromLB(ctx, svc, internal); err != nil {
			return err
		}
	}
	return nil
}

// removeFromLB removes the service's rules and probes from one load
// balancer; its frontend when no rule uses it any more, after the link
// service on it (its endpoint connections first); the load balancer when
// it has no frontend left (its members leave first); and the service's
// public IP.
func (p *Provider) removeFromLB(ctx context.Context, svc *corev1.Service, internal bool) error {
	path := p.lbPath(internal)
	lb, err := p.get(ctx, path)
	if err != nil {
		return err
	}
	if lb != nil {
		prefix := strings.ToLower(baseName(svc) + "-")
		old := obj(lb, "properties")
		feName := frontendName(svc)
		var rules, probes, fes []any
		changed := false
		for _, r := range anySlice(old["loadBalancingRules"]) {
			if strings.HasPrefix(strings.ToLower(str(r, "name")), prefix) {
				changed = true
				continue
			}
			rules = append(rules, r)
		}
		for _, pb := range anySlice(old["probes"]) {
			if strings.HasPrefix(strings.ToLower(str(pb, "name")), prefix) {
				changed = true
				continue
			}
			probes = append(probes, pb)
		}
		for _, f := range anySlice(old["frontendIPConfigurations"]) {
			name := str(f, "name")
			used := false
			for _, r := range rules {
				if strings.EqualFold(lastSeg(str(r, "properties", "frontendIPConfiguration", "id")), name) {
					used = true
				}
			}
			if strings.EqualFold(name, feName) && !used {
				if err := p.deletePLSOn(ctx, svc, path+"/frontendIPConfigurations/"+name); err != nil {
					return err
				}
				changed = true
				continue
			}
			fes = append(fes, f)
		}
		switch {
		case len(fes) == 0:
			poolID := path + "/backendAddressPools/" + p.cfg.ClusterName
			for _, n := range p.cfg.Nodes() {
				if err := p.setMembership(ctx, n, poolID, false); err != nil {
					return err
				}
			}
			if err := p.del(ctx, path); err != nil {
				return err
			}
		case changed:
			body := map[string]any{"location": lb["location"], "sku": lb["sku"], "tags": lb["tags"]}
			pr := map[string]any{"frontendIPConfigurations": fes, "loadBalancingRules": nonNil(rules), "probes": nonNil(probes)}
			var pools []any
			for _, bp := range anySlice(old["backendAddressPools"]) {
				pools = append(pools, map[string]any{"name": str(bp, "name")})
			}
			pr["backendAddressPools"] = nonNil(pools)
			for _, k := range []string{"inboundNatRules", "outboundRules"} {
				if v, ok := old[k]; ok {
					pr[k] = v
				}
			}
			body["properties"] = pr
			if _, err := p.put(ctx, path, body); err != nil {
				return err
			}
		}
	}
	if !internal {
		pipID := p.resPath(p.cfg.NodeResourceGroup, "publicIPAddresses", p.cfg.ClusterName+"-"+baseName(svc))
		pip, err := p.get(ctx, pipID)
		if err != nil {
			return err
		}
		if pip != nil && str(pip, "tags", tagService) == serviceName(svc) && str(pip, "properties", "ipConfiguration", "id") == "" {
			return p.del(ctx, pipID)
		}
	}
	return nil
}

// findPLS is plsRepo.Get: the link service of the resource group whose
// frontend is feID, or nil.
func (p *Provider) findPLS(ctx context.Context, rg, feID string) (map[string]any, error) {
	all, err := p.list(ctx, p.groupPath(rg)+"/providers/Microsoft.Network/privateLinkServices")
	if err != nil {
		return nil, err
	}
	for _, pls := range all {
		for _, f := range anySlice(obj(pls, "properties")["loadBalancerFrontendIpConfigurations"]) {
			if strings.EqualFold(str(f, "id"), feID) {
				return pls, nil
			}
		}
	}
	return nil, nil
}

// deletePLSOn is safeDeletePLS for the link service on a frontend that
// goes: its endpoint connections first, then the service.
func (p *Provider) deletePLSOn(ctx context.Context, svc *corev1.Service, feID string) error {
	rg := p.cfg.NodeResourceGroup
	if v := strings.TrimSpace(svc.Annotations[AnnPLSResourceGroup]); v != "" {
		rg = v
	}
	pls, err := p.findPLS(ctx, rg, feID)
	if err != nil || pls == nil {
		return err
	}
	id := str(pls, "id")
	for _, c := range anySlice(obj(pls, "properties")["privateEndpointConnections"]) {
		name := str(c, "name")
		if name == "" {
			name = lastSeg(str(c, "id"))
		}
		if err := p.del(ctx, id+"/privateEndpointConnections/"+name); err != nil {
			return err
		}
	}
	p.log.Info("deleting private link service", "pls", id, "service", serviceName(svc))
	return p.del(ctx, id)
}

// ensurePLS is reconcilePrivateLinkService's create/update branch.
func (p *Provider) ensurePLS(ctx context.Context, pl *plan) error {
	spec := pl.pls
	sn := serviceName(pl.svc)
	cur := pl.plsCurrent
	if cur == nil {
		// The frontend may be new: look again now that it exists.
		c, err := p.findPLS(ctx, spec.resourceGroup, pl.feID)
		if err != nil {
			return err
		}
		cur = c
	}
	name := "pls-" + pl.feName
	switch {
	case cur != nil:
		name = str(cur, "name")
	case spec.nameGiven && spec.name != "":
		name = spec.name
	}
	subnetID := str(pl.plsSubnet, "id")
	if subnetID == "" {
		subnetID = p.cfg.VNetID + "/subnets/" + spec.subnet
	}
	subnetName := str(pl.plsSubnet, "name")
	if subnetName == "" {
		subnetName = spec.subnet
	}
	primaryIP := ""
	if len(spec.staticIPs) > 0 {
		primaryIP = spec.staticIPs[0]
	}
	curProps := obj(cur, "properties")
	dirty := cur == nil || strings.EqualFold(str(curProps, "provisioningState"), "Failed")

	// IP configurations: reconcilePLSIpConfigs' change test.
	ipcs := anySlice(curProps["ipConfigurations"])
	ipChanged := cur == nil || len(ipcs) != int(spec.count)
	var existingStatic []string
	for _, c := range ipcs {
		cp := obj(c, "properties")
		if !strings.EqualFold(str(cp, "subnet", "id"), subnetID) {
			ipChanged = true
		}
		static := strings.EqualFold(str(cp, "privateIPAllocationMethod"), "Static")
		if static {
			if !slices.Contains(spec.staticIPs, str(cp, "privateIPAddress")) {
				ipChanged = true
			}
			existingStatic = append(existingStatic, str(cp, "privateIPAddress"))
		}
		if primary, _ := cp["primary"].(bool); primary {
			if static && str(cp, "privateIPAddress") != primaryIP || !static && primaryIP != "" {
				ipChanged = true
			}
		}
	}
	if len(existingStatic) != len(spec.staticIPs) {
		ipChanged = true
	}
	if ipChanged {
		ipcs = nil
		for _, ip := range spec.staticIPs {
			ipcs = append(ipcs, map[string]any{"name": natIPConfigName(subnetName, name, "-static-"+ip), "properties": map[string]any{
				"privateIPAddress": ip, "privateIPAllocationMethod": "Static", "subnet": map[string]any{"id": subnetID},
				"primary": ip == primaryIP, "privateIPAddressVersion": "IPv4"}})
		}
		for i := 0; i < int(spec.count)-len(spec.staticIPs); i++ {
			ipcs = append(ipcs, map[string]any{"name": natIPConfigName(subnetName, name, fmt.Sprintf("-dynamic-%d", i)), "properties": map[string]any{
				"privateIPAllocationMethod": "Dynamic", "subnet": map[string]any{"id": subnetID},
				"primary": primaryIP == "" && i == 0, "privateIPAddressVersion": "IPv4"}})
		}
		dirty = true
	}
	if pp, _ := curProps["enableProxyProtocol"].(bool); pp != spec.proxyProtocol {
		dirty = true
	}
	if !sameSet(stringsOf(curProps["fqdns"]), spec.fqdns) {
		dirty = true
	}
	if !sameSet(stringsOf(obj(curProps, "visibility")["subscriptions"]), spec.visibility) ||
		!sameSet(stringsOf(obj(curProps, "autoApproval")["subscriptions"]), spec.autoApproval) {
		dirty = true
	}
	tags := map[string]any{}
	for k, v := range obj(cur, "tags") {
		tags[k] = v
	}
	if _, ok := tags[tagClusterName]; !ok {
		tags[tagClusterName], dirty = p.cfg.ClusterName, true
	}
	if _, ok := tags[tagOwnerService]; !ok {
		tags[tagOwnerService], dirty = sn, true
	}
	if !dirty {
		return nil
	}
	if err := p.disablePLSNetworkPolicy(ctx, pl); err != nil {
		return err
	}
	body := map[string]any{
		"location": p.cfg.Region,
		"tags":     tags,
		"properties": map[string]any{
			"loadBalancerFrontendIpConfigurations": []any{map[string]any{"id": pl.feID}},
			"ipConfigurations":                     ipcs,
			"enableProxyProtocol":                  spec.proxyProtocol,
			"fqdns":                                spec.fqdns,
			"visibility":                           map[string]any{"subscriptions": spec.visibility},
			"autoApproval":                         map[string]any{"subscriptions": spec.autoApproval},
		},
	}
	if cur != nil && cur["location"] != nil {
		body["location"] = cur["location"]
	}
	path := p.resPath(spec.resourceGroup, "privateLinkServices", name)
	p.log.Info("creating or updating private link service", "pls", path, "service", sn)
	_, err := p.put(ctx, path, body)
	return err
}

// disablePLSNetworkPolicy sets privateLinkServiceNetworkPolicies Disabled
// on the NAT subnet, as cloud-provider-azure does before writing the link
// service.
func (p *Provider) disablePLSNetworkPolicy(ctx context.Context, pl *plan) error {
	sub := pl.plsSubnet
	if sub == nil || strings.EqualFold(str(sub, "properties", "privateLinkServiceNetworkPolicies"), "Disabled") {
		return nil
	}
	id := str(sub, "id")
	if id == "" {
		id = p.cfg.VNetID + "/subnets/" + pl.pls.subnet
	}
	sp := map[string]any{}
	for k, v := range props(sub) {
		switch k {
		case "ipConfigurations", "privateEndpoints", "provisioningState", "purpose", "resourceNavigationLinks",
			"serviceAssociationLinks", "ipConfigurationProfiles", "applicationGatewayIPConfigurations":
			// read-only back-references
		default:
			sp[k] = v
		}
	}
	sp["privateLinkServiceNetworkPolicies"] = "Disabled"
	out, err := p.put(ctx, id, map[string]any{"properties": sp})
	if err != nil {
		return err
	}
	pl.plsSubnet = out
	return nil
}
