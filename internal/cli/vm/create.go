package vm

import (
	"bufio"
	"os/user"
	"regexp"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/sshkey"
)

// disallowedUserNames is azure-cli's DISALLOWED_USER_NAMES.
var disallowedUserNames = map[string]bool{
	"administrator": true, "admin": true, "user": true, "user1": true, "test": true, "user2": true,
	"test1": true, "user3": true, "admin1": true, "1": true, "123": true, "a": true, "actuser": true,
	"adm": true, "admin2": true, "aspnet": true, "backup": true, "console": true, "guest": true,
	"owner": true, "root": true, "server": true, "sql": true, "support": true, "support_388945a0": true,
	"sys": true, "test2": true, "test3": true, "user4": true, "user5": true,
}

func createCommand(r *core.Resource) *core.Command {
	args := r.Args(true)
	for _, x := range args {
		x.IDPart = ""
	}
	const auth, netw, store = "Authentication", "Network", "Storage"
	args = append(args,
		&core.Arg{Dest: "image", Options: []string{"--image"},
			Help: "The name of the operating system image as a URN alias, URN, custom image name or ID, custom image version ID, or VHD blob URI. In addition, it also supports shared gallery image. This parameter is required unless using `--attach-os-disk.`"},
		&core.Arg{Dest: "size", Options: []string{"--size"}, Default: "Standard_DS1_v2",
			Help: "The VM size to be created. See https://azure.microsoft.com/pricing/details/virtual-machines/ for size info."},
		core.LocationArg(false),
		core.TagsArg(),
		&core.Arg{Dest: "computer_name", Options: []string{"--computer-name"},
			Help: "The host OS name of the virtual machine. Defaults to the name of the VM."},
		&core.Arg{Dest: "zone", Options: []string{"--zone", "-z"}, Choices: []string{"1", "2", "3"},
			Help: "Availability zone into which to provision the resource."},
		&core.Arg{Dest: "admin_username", Options: []string{"--admin-username"}, Group: auth,
			Help: "Username for the VM. Default value is current username of OS. If the default value is system reserved, then default value will be set to azureuser."},
		&core.Arg{Dest: "admin_password", Options: []string{"--admin-password"}, Group: auth,
			Help: "Password for the VM if authentication type is 'Password'."},
		&core.Arg{Dest: "authentication_type", Options: []string{"--authentication-type"}, Choices: []string{"ssh", "password", "all"}, Group: auth,
			Help: "Type of authentication to use with the VM. Defaults to password for Windows and SSH public key for Linux. \"all\" enables both ssh and password authentication."},
		&core.Arg{Dest: "generate_ssh_keys", Options: []string{"--generate-ssh-keys"}, Kind: core.Flag, Group: auth,
			Help: "Generate SSH public and private key files if missing. The keys will be stored in the ~/.ssh directory"},
		&core.Arg{Dest: "ssh_key_values", Options: []string{"--ssh-key-values"}, Kind: core.List, Group: auth,
			Help: "Space-separated list of SSH public keys or public key file paths."},
		&core.Arg{Dest: "ssh_dest_key_path", Options: []string{"--ssh-dest-key-path"}, Group: auth,
			Help: "Destination file path on the VM for the SSH key. If the file already exists, the specified key(s) are appended to the file. Destination path for SSH public keys is currently limited to its default value \"/home/username/.ssh/authorized_keys\" due to a known issue in Linux provisioning agent."},
		&core.Arg{Dest: "vnet_name", Options: []string{"--vnet-name"}, Group: netw,
			Help: "Name of the virtual network when creating a new one or referencing an existing one."},
		&core.Arg{Dest: "subnet", Options: []string{"--subnet"}, Group: netw,
			Help: "The name of the subnet when creating a new VNet or referencing an existing one. Can also reference an existing subnet by ID. If both vnet-name and subnet are omitted, an appropriate VNet and subnet will be selected automatically, or a new one will be created."},
		&core.Arg{Dest: "vnet_address_prefix", Options: []string{"--vnet-address-prefix"}, Default: "10.0.0.0/16", Group: netw,
			Help: "The IP address prefix to use when creating a new VNet in CIDR format."},
		&core.Arg{Dest: "subnet_address_prefix", Options: []string{"--subnet-address-prefix"}, Default: "10.0.0.0/24", Group: netw,
			Help: "The subnet IP address prefix to use when creating a new VNet in CIDR format."},
		&core.Arg{Dest: "nics", Options: []string{"--nics"}, Kind: core.List, Group: netw,
			Help: "Names or IDs of existing NICs to attach to the VM. The first NIC will be designated as primary. If omitted, a new NIC will be created. If an existing NIC is specified, do not specify subnet, VNet, public IP or NSG."},
		&core.Arg{Dest: "private_ip_address", Options: []string{"--private-ip-address"}, Group: netw,
			Help: "Static private IP address (e.g. 10.0.0.5)."},
		&core.Arg{Dest: "public_ip_address", Options: []string{"--public-ip-address"}, Group: netw,
			Help: "Name of the public IP address when creating one (default) or referencing an existing one. Can also reference an existing public IP by ID or specify \"\" for None ('\"\"' in Azure CLI using PowerShell or --% operator)."},
		&core.Arg{Dest: "public_ip_sku", Options: []string{"--public-ip-sku"}, Choices: []string{"Basic", "Standard"}, Group: netw,
			Help: "Public IP SKU. It is set to Basic by default. The public IP is supported to be created on edge zone only when it is 'Standard'"},
		&core.Arg{Dest: "public_ip_address_allocation", Options: []string{"--public-ip-address-allocation"}, Choices: []string{"dynamic", "static"}, Group: netw,
			Help: "The public IP address allocation method."},
		&core.Arg{Dest: "public_ip_address_dns_name", Options: []string{"--public-ip-address-dns-name"}, Group: netw,
			Help: "Globally unique DNS name for a newly created public IP."},
		&core.Arg{Dest: "nsg", Options: []string{"--nsg"}, Group: netw,
			Help: "The name to use when creating a new Network Security Group (default) or referencing an existing one. Can also reference an existing NSG by ID or specify \"\" for none ('\"\"' in Azure CLI using PowerShell or --% operator)."},
		&core.Arg{Dest: "nsg_rule", Options: []string{"--nsg-rule"}, Choices: []string{"SSH", "RDP", "NONE"}, Group: netw,
			Help: "NSG rule to create when creating a new NSG. Defaults to open ports for allowing RDP on Windows and allowing SSH on Linux. NONE represents no NSG rule"},
		&core.Arg{Dest: "os_disk_name", Options: []string{"--os-disk-name"}, Group: store, Help: "The name of the new VM OS disk."},
		&core.Arg{Dest: "storage_sku", Options: []string{"--storage-sku"}, Kind: core.List, Group: store,
			Help: "The SKU of the storage account with which to persist VM. Use a singular sku that would be applied across all disks, or specify individual disks. Usage: [--storage-sku SKU | --storage-sku ID=SKU ID=SKU ID=SKU...], where each ID is \"os\" or a 0-indexed lun. Allowed values: Standard_LRS, Premium_LRS, StandardSSD_LRS, UltraSSD_LRS, Premium_ZRS, StandardSSD_ZRS, PremiumV2_LRS."},
	)
	return &core.Command{
		Name: "create", Short: "Create an Azure Virtual Machine.", NoWait: true, Args: args,
		Long: "privlink creates the same resources az's template deployment does (VNet and subnet, NSG, public IP, NIC, VM) with direct REST calls, one after the other.",
		Examples: []core.Example{
			{Summary: "Create a default Ubuntu2204 VM with automatic SSH authentication.",
				Command: "az vm create -n MyVm -g MyResourceGroup --image Ubuntu2204"},
			{Summary: "Create a VM in an existing subnet without a public IP address or NSG.",
				Command: "az vm create -n MyVm -g MyResourceGroup --image Ubuntu2204 --vnet-name MyVnet --subnet MySubnet --public-ip-address \"\" --nsg \"\" --generate-ssh-keys"},
		},
		Run: runCreate,
	}
}

// vmCreate carries the resolved vm create namespace (az's validators).
type vmCreate struct {
	sub, rg, name, location string
	img                     image
	vnetName, subnet        string
	vnetType                string // "new" or "existing"
	nsg, nsgType            string
	pip, pipType            string
	pipSKU, pipAlloc        string
	nics                    []any
	adminUser, adminPass    string
	authType                string
	sshKeys                 []string
	sshPath                 string
}

func runCreate(c *core.Context) (any, error) {
	v := &vmCreate{rg: c.String("resource_group"), name: c.String("name")}
	var err error
	if v.sub, err = c.SubscriptionID(); err != nil {
		return nil, err
	}
	if c.String("image") == "" {
		return nil, core.Errorf("incorrect usage: --image IMAGE | --attach-os-disk DISK")
	}
	if v.location, err = c.Location("location", "resource_group"); err != nil {
		return nil, err
	}
	if err := v.resolveImage(c); err != nil {
		return nil, err
	}
	if err := v.resolveVNet(c); err != nil {
		return nil, err
	}
	if err := v.resolveNSG(c); err != nil {
		return nil, err
	}
	if err := v.resolvePublicIP(c); err != nil {
		return nil, err
	}
	if err := v.resolveNICs(c); err != nil {
		return nil, err
	}
	if err := v.resolveAuth(c); err != nil {
		return nil, err
	}
	return v.deploy(c)
}

func (v *vmCreate) networkPath(typ, name string) string {
	return arm.ResourcePath(v.sub, v.rg, "Microsoft.Network", typ, name)
}

// resolveImage is az's _parse_image_argument: resource ID, URN, alias,
// then a custom image in the resource group.
func (v *vmCreate) resolveImage(c *core.Context) error {
	s := c.String("image")
	if strings.HasPrefix(s, "/") {
		if _, err := arm.ParseResourceID(s); err == nil {
			return v.customImage(c, s)
		}
	}
	if img, ok := parseURN(s); ok {
		v.img = img
		return nil
	}
	if strings.Contains(s, "://") {
		return core.Errorf("Unmanaged (VHD blob URI) images are not supported by privlink: use a URN, an alias or a managed image.")
	}
	id := arm.ResourcePath(v.sub, v.rg, "Microsoft.Compute", "images", s)
	if _, found, err := exists(c, id, ComputeAPIVersion); err != nil {
		return err
	} else if !found {
		return core.Errorf("Invalid image \"%s\". Use a valid image URN, custom image name, custom image id, VHD blob URI, or pick an image from %s.\nSee vm create -h for more information on specifying an image.", s, aliasNames())
	}
	return v.customImage(c, id)
}

func (v *vmCreate) customImage(c *core.Context, id string) error {
	client, err := c.ARM()
	if err != nil {
		return err
	}
	obj, err := client.GetObject(c.Context(), id, ComputeAPIVersion, nil)
	if err != nil {
		return err
	}
	v.img = image{id: id, osType: strings.ToLower(str(dig(obj, "properties", "storageProfile", "osDisk", "osType")))}
	if v.img.osType == "" {
		v.img.osType = "linux"
	}
	return nil
}

// resolveVNet is az's _validate_vm_vmss_create_vnet.
func (v *vmCreate) resolveVNet(c *core.Context) error {
	v.vnetName, v.subnet = c.String("vnet_name"), c.String("subnet")
	if strings.Contains(v.vnetName, "/") {
		return core.Errorf("incorrect usage: --subnet ID | --subnet NAME --vnet-name NAME")
	}
	if v.vnetName == "" && v.subnet == "" && len(c.List("nics")) == 0 {
		client, err := c.ARM()
		if err != nil {
			return err
		}
		vnets, err := client.List(c.Context(), arm.ResourcePath(v.sub, v.rg, "Microsoft.Network", "virtualNetworks"), NetworkAPIVersion, nil)
		if err != nil {
			return err
		}
		for _, vn := range vnets {
			if str(dig(vn, "location")) != v.location {
				continue
			}
			for _, sn := range list(dig(vn, "properties", "subnets")) {
				if n := str(dig(sn, "name")); !strings.EqualFold(n, "gatewaysubnet") {
					v.vnetName, v.subnet, v.vnetType = str(dig(vn, "name")), n, "existing"
					c.Debugf("existing vnet '%s' and subnet '%s' found", v.vnetName, v.subnet)
					return nil
				}
			}
		}
	}
	if v.subnet != "" {
		isID := strings.HasPrefix(v.subnet, "/")
		if isID == (v.vnetName != "") {
			return core.Errorf("incorrect usage: --subnet ID | --subnet NAME --vnet-name NAME")
		}
		path := v.subnet
		if !isID {
			path = v.networkPath("virtualNetworks", v.vnetName) + "/subnets/" + v.subnet
		}
		_, found, err := exists(c, path, NetworkAPIVersion)
		if err != nil {
			return err
		}
		if isID && !found {
			return core.Errorf("Subnet '%s' does not exist.", v.subnet)
		}
		if found {
			v.vnetType = "existing"
			return nil
		}
	}
	v.vnetType = "new"
	return nil
}

// resolveNSG is az's _validate_vm_create_nsg.
func (v *vmCreate) resolveNSG(c *core.Context) error {
	switch {
	case !c.Has("nsg"):
		v.nsgType = "new"
	case c.String("nsg") == "":
		v.nsgType = ""
	default:
		v.nsg = c.String("nsg")
		id := v.nsg
		if !strings.HasPrefix(id, "/") {
			id = v.networkPath("networkSecurityGroups", v.nsg)
		}
		_, found, err := exists(c, id, NetworkAPIVersion)
		if err != nil {
			return err
		}
		v.nsgType = "new"
		if found {
			v.nsgType = "existing"
		}
	}
	return nil
}

// resolvePublicIP is az's _validate_vm_vmss_create_public_ip.
func (v *vmCreate) resolvePublicIP(c *core.Context) error {
	switch {
	case !c.Has("public_ip_address"):
		v.pipType = "new"
	case c.String("public_ip_address") == "":
		v.pipType = ""
	default:
		v.pip = c.String("public_ip_address")
		id := v.pip
		if !strings.HasPrefix(id, "/") {
			id = v.networkPath("publicIPAddresses", v.pip)
		}
		_, found, err := exists(c, id, NetworkAPIVersion)
		if err != nil {
			return err
		}
		v.pipType = "new"
		if found {
			v.pipType = "existing"
		}
	}
	v.pipSKU = c.String("public_ip_sku")
	if c.String("zone") != "" {
		v.pipSKU = "Standard"
	}
	v.pipAlloc = c.String("public_ip_address_allocation")
	if v.pipAlloc == "" {
		v.pipAlloc = "dynamic"
		if v.pipSKU == "Standard" {
			v.pipAlloc = "static"
		}
	}
	v.pipAlloc = strings.ToUpper(v.pipAlloc[:1]) + v.pipAlloc[1:]
	return nil
}

// resolveNICs is az's _validate_vm_create_nics.
func (v *vmCreate) resolveNICs(c *core.Context) error {
	names := c.List("nics")
	if len(names) == 0 {
		return nil
	}
	if v.nsg != "" || v.pip != "" || c.String("subnet") != "" || c.String("vnet_name") != "" {
		return core.Errorf("When specifying an existing NIC, do not specify NSG, public IP, ASGs, VNet or subnet.")
	}
	for i, n := range names {
		id := n
		if !strings.Contains(n, "/") {
			id = v.networkPath("networkInterfaces", n)
		}
		v.nics = append(v.nics, map[string]any{"id": id, "properties": map[string]any{"primary": i == 0}})
	}
	v.pipType, v.nsgType, v.vnetType = "", "", ""
	return nil
}

var (
	linuxBadUser   = regexp.MustCompile(`[\\/"\[\]:|<>+=;,?*@#()!A-Z]+`)
	windowsBadUser = regexp.MustCompile(`[\\/"\[\]:|<>+=;,?*@]+`)
)

// resolveAuth is az's _validate_vm_vmss_create_auth.
func (v *vmCreate) resolveAuth(c *core.Context) error {
	windows := v.img.osType == "windows"
	if c.Has("admin_username") {
		v.adminUser = c.String("admin_username")
	} else {
		v.adminUser = defaultAdminUsername(c)
	}
	if v.adminUser == "" {
		return core.Errorf("admin user name can not be empty")
	}
	linuxErr := `admin user name cannot contain upper case character A-Z, special characters \/"[]:|<>+=;,?*@#()! or start with $ or -`
	winErr := `admin user name cannot contain special characters \/"[]:|<>+=;,?*@# or ends with .`
	if windows {
		if windowsBadUser.MatchString(v.adminUser) || strings.HasSuffix(v.adminUser, ".") {
			return core.Errorf("%s", winErr)
		}
	} else if linuxBadUser.MatchString(v.adminUser) || strings.HasPrefix(v.adminUser, "$") || strings.HasPrefix(v.adminUser, "-") {
		return core.Errorf("%s", linuxErr)
	}
	if disallowedUserNames[strings.ToLower(v.adminUser)] {
		return core.Errorf("This user name '%s' meets the general requirements, but is specifically disallowed for this image. Please try a different value.", v.adminUser)
	}
	v.adminPass = c.String("admin_password")
	keys := c.List("ssh_key_values")
	v.authType = c.String("authentication_type")
	if v.authType == "" {
		switch {
		case len(keys) > 0 && v.adminPass != "":
			v.authType = "all"
		case windows || v.adminPass != "":
			v.authType = "password"
		default:
			v.authType = "ssh"
		}
	}
	if windows && v.authType == "ssh" {
		return core.Errorf("SSH not supported for Windows VMs.")
	}
	v.sshPath = c.String("ssh_dest_key_path")
	switch v.authType {
	case "password":
		if len(keys) > 0 || v.sshPath != "" {
			return core.Errorf("SSH key cannot be used with password authentication type.")
		}
		if err := v.password(c); err != nil {
			return err
		}
	case "ssh":
		if v.adminPass != "" {
			return core.Errorf("Admin password cannot be used with SSH authentication type.")
		}
		if err := v.resolveSSHKeys(c, keys); err != nil {
			return err
		}
	case "all":
		if windows {
			return core.Errorf("SSH not supported for Windows VMs. Use password authentication.")
		}
		if err := v.password(c); err != nil {
			return err
		}
		if err := v.resolveSSHKeys(c, keys); err != nil {
			return err
		}
	}
	return nil
}

func (v *vmCreate) resolveSSHKeys(c *core.Context, keys []string) error {
	generate := c.Bool("generate_ssh_keys")
	if len(keys) > 1 && generate {
		c.Warnf("Ignoring --generate-ssh-keys as multiple ssh key values have been specified.")
		generate = false
	}
	if len(keys) == 0 {
		keys = []string{""}
	}
	for _, k := range keys {
		val, err := sshkey.Value(c, k, generate, false)
		if err != nil {
			return err
		}
		v.sshKeys = append(v.sshKeys, val)
	}
	if v.sshPath == "" {
		v.sshPath = "/home/" + v.adminUser + "/.ssh/authorized_keys"
	}
	return nil
}

// password prompts for a missing password on a terminal (az's prompt_pass
// with confirm) and validates it like az.
func (v *vmCreate) password(c *core.Context) error {
	if v.adminPass == "" {
		if !c.Interactive() {
			return core.Errorf("Please specify password in non-interactive mode.")
		}
		rd := bufio.NewReader(c.Streams().In)
		for {
			c.Printf("Admin Password: ")
			p1, _ := rd.ReadString('\n')
			c.Printf("Confirm Admin Password: ")
			p2, err := rd.ReadString('\n')
			p1, p2 = strings.TrimRight(p1, "\r\n"), strings.TrimRight(p2, "\r\n")
			if p1 == p2 {
				v.adminPass = p1
				break
			}
			if err != nil {
				return core.Errorf("Please specify password in non-interactive mode.")
			}
			c.Printf("Passwords do not match.\n")
		}
	}
	maxLen := 72
	if v.img.osType == "windows" {
		maxLen = 123
	}
	classes := 0
	for _, re := range []string{`[a-z]`, `[A-Z]`, `[0-9]`, "[ `~!@#$%^&*()=+_\\[\\]{}|;:./'\",<>?\\\\]"} {
		if regexp.MustCompile(re).MatchString(v.adminPass) {
			classes++
		}
	}
	if n := len(v.adminPass); n < 12 || n > maxLen || classes < 3 {
		return core.Errorf("The password length must be between 12 and %d. Password must have the 3 of the following: 1 lower case character, 1 upper case character, 1 number and 1 special character.", maxLen)
	}
	return nil
}

// defaultAdminUsername is azure-cli's get_default_admin_username: the
// local user (getpass.getuser), or azureuser when that is reserved.
func defaultAdminUsername(c *core.Context) string {
	var name string
	for _, k := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		if name = c.Getenv(k); name != "" {
			break
		}
	}
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" || disallowedUserNames[strings.ToLower(name)] {
		c.Warnf("Default username %s is a reserved username. Use azureuser instead.", pyStr(name))
		name = "azureuser"
	}
	return name
}

// pyStr renders a possibly missing string as Python's %s would.
func pyStr(s string) string {
	if s == "" {
		return "None"
	}
	return s
}
