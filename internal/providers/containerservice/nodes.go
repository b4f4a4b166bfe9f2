package containerservice

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/kube"
)

// nodeName is AKS's node (and VM scale set instance computer) name:
// aks-<pool>-<8 digits>-vmss<6 base-36 digits>.
func nodeName(pool, number string, i int) string {
	return fmt.Sprintf("aks-%s-%s-vmss%06s", pool, number, strconv.FormatInt(int64(i), 36))
}

// ensureNodes creates one machine per node of every pool in its subnet
// (VM scale set instances are modelled as virtual machines in the node
// resource group), removes the ones a pool no longer counts, and returns
// the nodes to register.
func (e *env) ensureNodes() ([]kube.Node, error) {
	var want []node
	keep := map[string]bool{}
	for _, p := range e.props.AgentPoolProfiles {
		subnet := p.VnetSubnetID
		if subnet == "" {
			subnet = e.st.NodeSubnet
		}
		count := intOr(p.Count, 1)
		for i := range count {
			n := node{Name: nodeName(p.Name, e.st.NodeNumber, i), Pool: p.Name}
			n.VMID = resPath(e.sub, e.nodeRG(), "Microsoft.Compute/virtualMachines", n.Name)
			nicID := resPath(e.sub, e.nodeRG(), "Microsoft.Network/networkInterfaces", n.Name+"-nic")
			var old *node
			for j := range e.st.Nodes {
				if e.st.Nodes[j].Name == n.Name {
					old = &e.st.Nodes[j]
				}
			}
			if old != nil && old.IP != "" {
				n.IP, n.PodIPs = old.IP, old.PodIPs
			} else {
				// Azure CNI (without overlay) gives pods addresses of the
				// node subnet: AKS preallocates maxPods secondary ip
				// configurations on every node's NIC.
				configs := []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
					"subnet": map[string]any{"id": subnet}, "privateIPAllocationMethod": "Dynamic", "primary": true}}}
				if e.azureCNI() {
					for k := range intOr(p.MaxPods, 30) {
						configs = append(configs, map[string]any{"name": "ipconfig" + strconv.Itoa(k+2), "properties": map[string]any{
							"subnet": map[string]any{"id": subnet}, "privateIPAllocationMethod": "Dynamic"}})
					}
				}
				// Kubenet nodes forward their pods' traffic (kubenet.go).
				nic, err := e.put(nicID, networkAPI, map[string]any{"location": e.region,
					"tags":       map[string]string{"aks-managed-poolName": p.Name},
					"properties": map[string]any{"ipConfigurations": configs, "enableIPForwarding": e.kubenet()}})
				if err != nil {
					return nil, err
				}
				n.IP = str(nic, "properties", "ipConfigurations", 0, "properties", "privateIPAddress")
				for k := 1; k < len(configs); k++ {
					if ip := str(nic, "properties", "ipConfigurations", k, "properties", "privateIPAddress"); ip != "" {
						n.PodIPs = append(n.PodIPs, ip)
					}
				}
				size := p.VMSize
				if size == "" {
					size = "Standard_DS2_v2"
				}
				os := map[string]any{"computerName": n.Name, "adminUsername": "azureuser"}
				if key := str(e.raw, "linuxProfile", "ssh", "publicKeys", 0, "keyData"); key != "" {
					os["linuxConfiguration"] = map[string]any{"disablePasswordAuthentication": true,
						"ssh": map[string]any{"publicKeys": []any{map[string]any{"keyData": key}}}}
				} else {
					os["adminPassword"] = randomPassword()
					os["linuxConfiguration"] = map[string]any{"disablePasswordAuthentication": false}
				}
				if _, err := e.put(n.VMID, computeAPI, map[string]any{
					"location": e.region,
					"tags":     map[string]string{"aks-managed-poolName": p.Name, "aks-managed-cluster-name": e.name},
					"properties": map[string]any{
						"hardwareProfile": map[string]any{"vmSize": size},
						"storageProfile": map[string]any{"imageReference": map[string]any{
							"publisher": "microsoft-aks", "offer": "aks", "sku": "aks-ubuntu-2204-gen2", "version": "latest"}},
						"osProfile":      os,
						"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nicID, "properties": map[string]any{"primary": true}}}},
					},
				}); err != nil {
					return nil, err
				}
			}
			keep[n.Name] = true
			want = append(want, n)
		}
	}
	for _, n := range e.st.Nodes {
		if keep[n.Name] {
			continue
		}
		if err := e.del(n.VMID, computeAPI); err != nil {
			return nil, err
		}
		if err := e.del(resPath(e.sub, e.nodeRG(), "Microsoft.Network/networkInterfaces", n.Name+"-nic"), networkAPI); err != nil {
			return nil, err
		}
	}
	e.st.Nodes = want
	return e.kubeNodes(), nil
}

// azureCNI reports Azure CNI without overlay: pods take node-subnet
// addresses.
func (e *env) azureCNI() bool {
	return e.props.NetworkProfile.NetworkPlugin == "azure" && !strings.EqualFold(e.props.NetworkProfile.NetworkPluginMode, "overlay")
}

// kubeNodes are the Node objects of the recorded machines.
func (e *env) kubeNodes() []kube.Node {
	overlay := !e.azureCNI() && e.props.NetworkProfile.NetworkPlugin != "none"
	var pod netip.Prefix
	if overlay {
		pod, _ = netip.ParsePrefix(e.props.NetworkProfile.PodCidr)
	}
	var out []kube.Node
	for i, n := range e.st.Nodes {
		ip, _ := netip.ParseAddr(n.IP)
		var size string
		var maxPods int
		mode := "User"
		for j, p := range e.props.AgentPoolProfiles {
			if p.Name == n.Pool {
				size, maxPods = p.VMSize, intOr(p.MaxPods, 110)
				if p.Mode == "System" || (p.Mode == "" && j == 0) {
					mode = "System"
				}
			}
		}
		kn := kube.Node{Name: n.Name, InternalIP: ip, VMSize: size, Region: e.region, Ready: e.st.Power == "Running",
			ProviderID: "azure://" + n.VMID,
			Labels: map[string]string{
				"agentpool":                               n.Pool,
				"kubernetes.azure.com/agentpool":          n.Pool,
				"kubernetes.azure.com/cluster":            e.nodeRG(),
				"kubernetes.azure.com/mode":               strings.ToLower(mode),
				"kubernetes.azure.com/role":               "agent",
				"kubernetes.azure.com/max-pods":           strconv.Itoa(maxPods),
				"kubernetes.azure.com/network-plugin":     e.props.NetworkProfile.NetworkPlugin,
				"node.kubernetes.io/instance-type":        size,
				"topology.kubernetes.io/region":           e.region,
				"kubernetes.azure.com/os-sku":             "Ubuntu",
				"kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202611.17.0",
			}}
		if pod.IsValid() && pod.Bits() <= 24 {
			// One /24 per node, in node order (kubenet and overlay).
			base := pod.Masked().Addr().As4()
			off := uint32(i) << 8
			v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
			v += off
			a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
			kn.PodCIDR = netip.PrefixFrom(a, 24).String()
		}
		out = append(out, kn)
	}
	slices.SortFunc(out, func(a, b kube.Node) int { return strings.Compare(a.Name, b.Name) })
	return out
}
