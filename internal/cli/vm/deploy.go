package vm

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

// deploy creates, in az's template dependency order, the new VNet (or
// subnet), NSG, public IP and NIC, then the VM, and prints az's vm create
// summary (nothing with --no-wait).
func (v *vmCreate) deploy(c *core.Context) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	ctx := c.Context()
	tags := c.Tags("tags")
	if tags == nil {
		tags = map[string]any{}
	}
	put := func(path, apiVersion string, body map[string]any) error {
		_, err := client.Put(ctx, path, apiVersion, body, false)
		return err
	}
	nics := v.nics
	if nics == nil {
		if v.vnetType == "new" {
			if v.subnet == "" {
				v.subnet = v.name + "Subnet"
			}
			subnetPrefix := c.String("subnet_address_prefix")
			vnetExists := false
			if v.vnetName != "" {
				_, vnetExists, err = exists(c, v.networkPath("virtualNetworks", v.vnetName), NetworkAPIVersion)
				if err != nil {
					return nil, err
				}
			}
			if vnetExists {
				body := map[string]any{"name": v.subnet, "properties": map[string]any{"addressPrefix": subnetPrefix}}
				if err := put(v.networkPath("virtualNetworks", v.vnetName)+"/subnets/"+v.subnet, NetworkAPIVersion, body); err != nil {
					return nil, core.Errorf("Subnet(%s) does not exist, but failed to create a new subnet with address prefix %s. It may be caused by name or address prefix conflict. Please specify an appropriate subnet name with --subnet or a valid address prefix value with --subnet-address-prefix.", v.subnet, subnetPrefix)
				}
			} else {
				if v.vnetName == "" {
					v.vnetName = v.name + "VNET"
				}
				body := map[string]any{"location": v.location, "tags": tags, "properties": map[string]any{
					"addressSpace": map[string]any{"addressPrefixes": []any{c.String("vnet_address_prefix")}},
					"subnets":      []any{map[string]any{"name": v.subnet, "properties": map[string]any{"addressPrefix": subnetPrefix}}},
				}}
				if err := put(v.networkPath("virtualNetworks", v.vnetName), NetworkAPIVersion, body); err != nil {
					return nil, err
				}
			}
		}
		if v.nsgType == "new" {
			rule := c.String("nsg_rule")
			if rule == "" {
				rule = "SSH"
				if v.img.osType == "windows" {
					rule = "RDP"
				}
			}
			if v.nsg == "" {
				v.nsg = v.name + "NSG"
			}
			body := map[string]any{"location": v.location, "tags": tags}
			if rule != "NONE" {
				name, port := "default-allow-ssh", "22"
				if rule == "RDP" {
					name, port = "rdp", "3389"
				}
				body["properties"] = map[string]any{"securityRules": []any{map[string]any{"name": name, "properties": map[string]any{
					"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port, "sourceAddressPrefix": "*",
					"destinationAddressPrefix": "*", "access": "Allow", "priority": 1000, "direction": "Inbound",
				}}}}
			}
			if err := put(v.networkPath("networkSecurityGroups", v.nsg), NetworkAPIVersion, body); err != nil {
				return nil, err
			}
		}
		if v.pipType == "new" {
			if v.pip == "" {
				v.pip = v.name + "PublicIP"
			}
			if v.pipSKU == "" {
				c.Warnf("It is recommended to use parameter \"--public-ip-sku Standard\" to create new VM with Standard public IP. Please note that the default public IP used for VM creation will be changed from Basic to Standard in the future.")
			}
			props := map[string]any{"publicIPAllocationMethod": v.pipAlloc}
			if dns := c.String("public_ip_address_dns_name"); dns != "" {
				props["dnsSettings"] = map[string]any{"domainNameLabel": dns}
			}
			body := map[string]any{"location": v.location, "tags": tags, "properties": props}
			if z := c.String("zone"); z != "" {
				body["zones"] = []any{z}
			}
			if v.pipSKU != "" {
				body["sku"] = map[string]any{"name": v.pipSKU}
			}
			if err := put(v.networkPath("publicIPAddresses", v.pip), NetworkAPIVersion, body); err != nil {
				return nil, err
			}
		}
		subnetID := v.subnet
		if !strings.HasPrefix(subnetID, "/") {
			subnetID = v.networkPath("virtualNetworks", v.vnetName) + "/subnets/" + v.subnet
		}
		ipc := map[string]any{"privateIPAllocationMethod": "Dynamic", "subnet": map[string]any{"id": subnetID}}
		if ip := c.String("private_ip_address"); ip != "" {
			ipc["privateIPAllocationMethod"] = "Static"
			ipc["privateIPAddress"] = ip
		}
		if v.pip != "" {
			id := v.pip
			if !strings.HasPrefix(id, "/") {
				id = v.networkPath("publicIPAddresses", v.pip)
			}
			ipc["publicIPAddress"] = map[string]any{"id": id}
		}
		nicProps := map[string]any{"ipConfigurations": []any{map[string]any{"name": "ipconfig" + v.name, "properties": ipc}}}
		if v.nsg != "" {
			id := v.nsg
			if !strings.HasPrefix(id, "/") {
				id = v.networkPath("networkSecurityGroups", v.nsg)
			}
			nicProps["networkSecurityGroup"] = map[string]any{"id": id}
		}
		nicID := v.networkPath("networkInterfaces", v.name+"VMNic")
		if err := put(nicID, NetworkAPIVersion, map[string]any{"location": v.location, "tags": tags, "properties": nicProps}); err != nil {
			return nil, err
		}
		nics = []any{map[string]any{"id": nicID}}
	}

	vmPath := VMType.Path(v.sub, v.rg, v.name)
	body := map[string]any{"location": v.location, "tags": tags, "properties": v.vmProperties(c, nics)}
	if z := c.String("zone"); z != "" {
		body["zones"] = []any{z}
	}
	if _, err := client.Put(ctx, vmPath, ComputeAPIVersion, body, c.NoWait()); err != nil || c.NoWait() {
		return nil, err
	}
	d, err := vmDetails(c, vmPath)
	if err != nil {
		return nil, err
	}
	zones := ""
	if zs := list(d["zones"]); len(zs) > 0 {
		zones = str(zs[0])
	}
	return map[string]any{
		"id": d["id"], "resourceGroup": v.rg, "powerState": d["powerState"], "publicIpAddress": d["publicIps"],
		"fqdns": d["fqdns"], "privateIpAddress": d["privateIps"], "macAddress": d["macAddresses"],
		"location": d["location"], "zones": zones,
	}, nil
}

// vmProperties is az's build_vm_resource for managed disks.
func (v *vmCreate) vmProperties(c *core.Context, nics []any) map[string]any {
	osDisk := map[string]any{"createOption": "fromImage", "caching": "ReadWrite"}
	if n := c.String("os_disk_name"); n != "" {
		osDisk["name"] = n
	}
	if sku := osDiskSKU(c.List("storage_sku")); sku != "" {
		osDisk["managedDisk"] = map[string]any{"storageAccountType": sku}
	}
	storage := map[string]any{"osDisk": osDisk}
	if v.img.id != "" {
		storage["imageReference"] = map[string]any{"id": v.img.id}
	} else {
		storage["imageReference"] = map[string]any{"publisher": v.img.publisher, "offer": v.img.offer, "sku": v.img.sku, "version": v.img.version}
	}
	computer := c.String("computer_name")
	if computer == "" {
		computer = strings.Map(func(r rune) rune {
			if strings.ContainsRune("`~!@#$%^&*()=+_[]{}\\|;:'\",<>/?", r) {
				return -1
			}
			return r
		}, v.name)
	}
	osProfile := map[string]any{"computerName": computer, "adminUsername": v.adminUser}
	if v.adminPass != "" {
		osProfile["adminPassword"] = v.adminPass
	}
	if len(v.sshKeys) > 0 {
		var keys []any
		for _, k := range v.sshKeys {
			keys = append(keys, map[string]any{"keyData": k, "path": v.sshPath})
		}
		osProfile["linuxConfiguration"] = map[string]any{
			"disablePasswordAuthentication": v.authType == "ssh",
			"ssh":                           map[string]any{"publicKeys": keys},
		}
	}
	return map[string]any{
		"hardwareProfile": map[string]any{"vmSize": c.String("size")},
		"networkProfile":  map[string]any{"networkInterfaces": nics},
		"storageProfile":  storage,
		"osProfile":       osProfile,
	}
}

// osDiskSKU picks the OS disk's SKU from --storage-sku (a single SKU, or
// os=SKU among ID=SKU pairs).
func osDiskSKU(vals []string) string {
	if len(vals) == 1 && !strings.Contains(vals[0], "=") {
		return vals[0]
	}
	for _, s := range vals {
		if k, val, ok := strings.Cut(s, "="); ok && strings.EqualFold(k, "os") {
			return val
		}
	}
	return ""
}
