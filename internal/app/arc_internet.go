package app

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/providers/hybridcompute"
)

// The services Arc agents reach over the internet even with private link
// (azure-behavior.md §10: Entra ID, Azure Resource Manager and Microsoft
// Container Registry, whose content Azure Front Door's first-party
// endpoints serve). Each is a hidden host with a Standard public IP in
// Arc's infrastructure subscription (resource group arc-internet-services)
// answering HTTPS on 443, with its names in the emulated public DNS; the
// service tag names the host's address, so NSG rules with these tags (seed
// 002: outbound 443 to AzureActiveDirectory, AzureResourceManager,
// AzureFrontDoor.FirstParty and MicrosoftContainerRegistry) decide
// whether the agents get there.

// arcInternetService is one of them.
type arcInternetService struct {
	host string // VM name
	tag  string // service tag
	// names are its public names; "{region}" is replaced for every region
	// with Arc's service.
	names []string
}

var arcInternetServices = []arcInternetService{
	{host: "entra-id", tag: "AzureActiveDirectory", names: []string{"login.microsoftonline.com", "login.windows.net"}},
	{host: "resource-manager", tag: "AzureResourceManager", names: []string{"management.azure.com"}},
	{host: "container-registry", tag: "MicrosoftContainerRegistry", names: []string{"mcr.microsoft.com"}},
	{host: "front-door-first-party", tag: "AzureFrontDoor.FirstParty", names: []string{"{region}.data.mcr.microsoft.com"}},
}

// arcAgentInternetNames are the internet names the agents of a cluster in
// region check, in order.
func arcAgentInternetNames(region string) []string {
	return []string{"login.microsoftonline.com", "management.azure.com", "mcr.microsoft.com", region + ".data.mcr.microsoft.com"}
}

func isArcInternetName(host string) bool {
	h := strings.ToLower(host)
	for _, s := range arcInternetServices {
		for _, n := range s.names {
			if n == h || strings.HasPrefix(n, "{region}") && strings.HasSuffix(h, strings.TrimPrefix(n, "{region}")) {
				return true
			}
		}
	}
	return false
}

// ensureInternetServices creates the hosts (once per daemon, in the first
// region Arc serves) and publishes their names for region.
func (r *arcRuntime) ensureInternetServices(ctx context.Context, put func(path, api string, body any) (map[string]any, error), region string) error {
	r.mu.Lock()
	home := r.internetRegion
	r.mu.Unlock()
	if home == "" {
		home = region
	}
	g := "/subscriptions/" + hybridcompute.InfraSubscription + "/resourceGroups/arc-internet-services"
	res := func(typ, name string) string { return g + "/providers/" + typ + "/" + name }
	if _, err := put(g, arcGroupsAPI, map[string]any{"location": home}); err != nil {
		return err
	}
	vnet := res("Microsoft.Network/virtualNetworks", "internet-services-vnet")
	subnet := vnet + "/subnets/services"
	if _, err := put(vnet, arcNetworkAPI, map[string]any{"location": home, "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.251.0.0/16"}},
		"subnets":      []any{map[string]any{"name": "services", "properties": map[string]any{"addressPrefix": "10.251.0.0/24"}}},
	}}); err != nil {
		return err
	}
	nsg := res("Microsoft.Network/networkSecurityGroups", "internet-services-nsg")
	if _, err := put(nsg, arcNetworkAPI, map[string]any{"location": home, "properties": map[string]any{"securityRules": []any{
		map[string]any{"name": "allow-https-from-internet", "properties": map[string]any{"protocol": "Tcp", "sourcePortRange": "*",
			"sourceAddressPrefix": "Internet", "destinationAddressPrefix": "*", "destinationPortRange": "443",
			"access": "Allow", "priority": 100, "direction": "Inbound"}}}}}); err != nil {
		return err
	}
	records := map[string]any{}
	for _, s := range arcInternetServices {
		pip := res("Microsoft.Network/publicIPAddresses", s.host+"-pip")
		// The resource tag puts the address in the service tag
		// (fabric.ServiceTagResourceTag).
		p, err := put(pip, arcNetworkAPI, map[string]any{"location": home, "sku": map[string]any{"name": "Standard"},
			"tags":       map[string]string{fabric.ServiceTagResourceTag: s.tag},
			"properties": map[string]any{"publicIPAllocationMethod": "Static"}})
		if err != nil {
			return err
		}
		addr, err := netip.ParseAddr(arm.DigString(p, "properties", "ipAddress"))
		if err != nil {
			return fmt.Errorf("public IP of %s: %w", s.host, err)
		}
		nic := res("Microsoft.Network/networkInterfaces", s.host+"-nic")
		if _, err := put(nic, arcNetworkAPI, map[string]any{"location": home, "properties": map[string]any{
			"networkSecurityGroup": map[string]any{"id": nsg},
			"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
				"subnet": map[string]any{"id": subnet}, "primary": true, "publicIPAddress": map[string]any{"id": pip}}}},
		}}); err != nil {
			return err
		}
		vm := res("Microsoft.Compute/virtualMachines", s.host)
		if _, err := r.arm.GetObject(ctx, vm, arcComputeAPI, nil); err != nil {
			if !arm.IsNotFound(err) && !isNotFoundErr(err) {
				return err
			}
			if _, err := put(vm, arcComputeAPI, map[string]any{"location": home, "properties": map[string]any{
				"hardwareProfile": map[string]any{"vmSize": "Standard_D2s_v3"},
				"storageProfile": map[string]any{"imageReference": map[string]any{
					"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}},
				"osProfile": map[string]any{"computerName": s.host, "adminUsername": "azureuser", "adminPassword": "Aa1!" + uuid.NewString(),
					"linuxConfiguration": map[string]any{"disablePasswordAuthentication": false}},
				"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nic, "properties": map[string]any{"primary": true}}}},
			}}); err != nil {
				return err
			}
		}
		if _, err := put(vm+"/providers/Privlink.Fabric/listeners/tcp-443", arcFabricAPI, map[string]any{"properties": map[string]any{
			"protocol": "Tcp", "port": 443, "target": r.target}}); err != nil {
			return err
		}
		for _, n := range s.names {
			records[strings.ReplaceAll(n, "{region}", arm.NormalizeLocation(region))] = addr.String()
		}
	}
	if _, err := put(g+"/providers/"+hybridcompute.PublicNamesType+"/"+arm.NormalizeLocation(region), hybridcompute.PublicNamesAPI,
		map[string]any{"properties": map[string]any{"records": records}}); err != nil {
		return err
	}
	r.mu.Lock()
	r.internetRegion = home
	r.mu.Unlock()
	return nil
}
