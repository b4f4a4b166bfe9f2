package compute

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// Virtual machines (Microsoft.Compute/virtualMachines).
//
// Confirmed from Azure's documentation and public error reports:
// NicInUse, InvalidResourceReference (missing network interface or one in
// another region), OperationNotAllowed for operations that need a running
// machine, PropertyChangeNotAllowed. Chosen by analogy (unconfirmed):
// VirtualMachineMustHaveOneNetworkInterfaceAsPrimary and the InvalidParameter
// texts for missing or malformed profiles.
//
// Properties privlink does not model (diagnosticsProfile, securityProfile,
// additionalCapabilities, priority...) are kept as given and served back.
// Network interfaces must exist: like Azure's REST API, privlink does not
// create them (az vm create does, on the client side). A virtual machine
// holds a blocking ref of kind "virtualMachine" on each of its network
// interfaces, which the network provider renders as the interface's
// virtualMachine and which makes deleting an attached interface NicInUse.

const (
	// nicRefKind is the kind of a virtual machine's refs on its network
	// interfaces (network's kindNICVirtualMachine).
	nicRefKind = "virtualMachine"
	nicType    = "Microsoft.Network/networkInterfaces"

	osLinux   = "Linux"
	osWindows = "Windows"
)

// NetworkInterfaceReference is one entry of networkProfile.networkInterfaces
// as stored: {"id": nicID, "properties": {"primary": bool}}.
type NetworkInterfaceReference struct {
	ID         string                              `json:"id"`
	Properties NetworkInterfaceReferenceProperties `json:"properties"`
}

// NetworkInterfaceReferenceProperties are a network interface reference's
// properties.
type NetworkInterfaceReferenceProperties struct {
	Primary      bool   `json:"primary"`
	DeleteOption string `json:"deleteOption,omitempty"`
}

// Internal is a virtual machine's Record.Internal.
type Internal struct {
	PowerState string `json:"powerState"`
}

// Power states (instance view codes).
const (
	PowerStarting     = "PowerState/starting"
	PowerRunning      = "PowerState/running"
	PowerStopping     = "PowerState/stopping"
	PowerStopped      = "PowerState/stopped"
	PowerDeallocating = "PowerState/deallocating"
	PowerDeallocated  = "PowerState/deallocated"
)

// powerDisplay is each power state's displayStatus.
var powerDisplay = map[string]string{
	PowerStarting: "VM starting", PowerRunning: "VM running", PowerStopping: "VM stopping",
	PowerStopped: "VM stopped", PowerDeallocating: "VM deallocating", PowerDeallocated: "VM deallocated",
}

// settled is the state a transitional power state ends in.
func settled(ps string) string {
	switch ps {
	case PowerStarting:
		return PowerRunning
	case PowerStopping:
		return PowerStopped
	case PowerDeallocating:
		return PowerDeallocated
	}
	return ps
}

// DecodeInternal returns a virtual machine record's power state.
func DecodeInternal(rec *arm.Record) (Internal, error) {
	var in Internal
	if len(rec.Internal) > 0 {
		if err := json.Unmarshal(rec.Internal, &in); err != nil {
			return in, fmt.Errorf("decode virtual machine state %s: %w", rec.Resource.ID, err)
		}
	}
	return in, nil
}

func encodeInternal(in Internal) json.RawMessage {
	b, _ := json.Marshal(in)
	return b
}

// imageReference is storageProfile.imageReference.
type imageReference struct {
	Publisher               string `json:"publisher,omitempty"`
	Offer                   string `json:"offer,omitempty"`
	SKU                     string `json:"sku,omitempty"`
	Version                 string `json:"version,omitempty"`
	ExactVersion            string `json:"exactVersion,omitempty"`
	ID                      string `json:"id,omitempty"`
	SharedGalleryImageID    string `json:"sharedGalleryImageId,omitempty"`
	CommunityGalleryImageID string `json:"communityGalleryImageId,omitempty"`
}

// known reports whether the reference names an image at all.
func (r *imageReference) known() bool {
	return r != nil && (r.Publisher != "" || r.ID != "" || r.SharedGalleryImageID != "" || r.CommunityGalleryImageID != "")
}

type managedDisk struct {
	StorageAccountType string `json:"storageAccountType,omitempty"`
	ID                 string `json:"id,omitempty"`
}

// osDisk is storageProfile.osDisk; other fields are kept as given.
type osDisk struct {
	OSType       string       `json:"osType,omitempty"`
	Name         string       `json:"name,omitempty"`
	CreateOption string       `json:"createOption,omitempty"`
	Caching      string       `json:"caching,omitempty"`
	ManagedDisk  *managedDisk `json:"managedDisk,omitempty"`
	DiskSizeGB   int          `json:"diskSizeGB,omitempty"`
	DeleteOption string       `json:"deleteOption,omitempty"`
}

type sshPublicKey struct {
	Path    string `json:"path"`
	KeyData string `json:"keyData"`
}

// vmInput is what privlink reads from a PUT body's properties.
type vmInput struct {
	HardwareProfile *struct {
		VMSize string `json:"vmSize"`
	} `json:"hardwareProfile"`
	StorageProfile *struct {
		ImageReference *imageReference   `json:"imageReference"`
		OSDisk         json.RawMessage   `json:"osDisk"`
		DataDisks      []json.RawMessage `json:"dataDisks"`
	} `json:"storageProfile"`
	OSProfile *struct {
		ComputerName       string          `json:"computerName"`
		AdminUsername      string          `json:"adminUsername"`
		AdminPassword      string          `json:"adminPassword"`
		CustomData         string          `json:"customData"`
		LinuxConfiguration json.RawMessage `json:"linuxConfiguration"`
	} `json:"osProfile"`
	NetworkProfile *struct {
		NetworkInterfaces []struct {
			ID         string `json:"id"`
			Properties *struct {
				Primary      *bool  `json:"primary"`
				DeleteOption string `json:"deleteOption"`
			} `json:"properties"`
		} `json:"networkInterfaces"`
	} `json:"networkProfile"`
}

// readOnlyProps are served by privlink and ignored in a PUT body.
var readOnlyProps = []string{"vmId", "provisioningState", "instanceView", "timeCreated"}

var (
	vmNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	vmSizeRE = regexp.MustCompile(`^(Standard|Basic)_[A-Za-z0-9]+(_[A-Za-z0-9]+)*$`)
	// reservedUsernames are refused as adminUsername by Azure.
	reservedUsernames = []string{"administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1",
		"123", "a", "actuser", "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner", "root",
		"server", "sql", "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5"}
)

func validateVMName(name string) error {
	if vmNameRE.MatchString(name) && !strings.HasSuffix(name, ".") && !strings.HasSuffix(name, "-") {
		return nil
	}
	return arm.BadRequest("InvalidParameter",
		"Virtual machine name '%s' is invalid: it must be 1 to 64 characters, letters, digits, periods, underscores and hyphens, start with a letter or digit and not end with a period or hyphen.", name)
}

func invalidParam(target, format string, args ...any) *arm.Error {
	e := arm.InvalidParameter(format, args...)
	e.Target = target
	return e
}

func missingParam(name string) *arm.Error {
	return invalidParam(name, "Required parameter '%s' is missing (null).", name)
}

func changeNotAllowed(prop string) *arm.Error {
	e := arm.Conflict("PropertyChangeNotAllowed", "Changing property '%s' is not allowed.", prop)
	e.Target = prop
	return e
}

func (pr *Provider) vmSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              VirtualMachineType,
		APIVersions:       versions(),
		Location:          arm.LocationRequired,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		ValidateName:      validateVMName,
		Put:               pr.putVM,
		Delete:            pr.deleteVM,
		Reconcile:         pr.reconcileVM,
		Actions: map[string]arm.ActionFunc{
			"start":      pr.powerAction("start"),
			"powerOff":   pr.powerAction("powerOff"),
			"deallocate": pr.powerAction("deallocate"),
			"restart":    pr.powerAction("restart"),
			"runCommand": pr.runCommand,
		},
	}
}

// putVM validates and normalizes a virtual machine.
func (pr *Provider) putVM(ctx context.Context, op *arm.PutOp) error {
	var in vmInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	props := op.Body.PropertiesMap()
	for _, k := range readOnlyProps {
		delete(props, k)
	}
	var old map[string]any
	var oldRec *vmView
	if op.Existing != nil {
		old = op.Existing.Resource.PropertiesMap()
		v, err := viewOf(op.Existing)
		if err != nil {
			return err
		}
		oldRec = v
	}
	vmID := op.ID.String()
	location := arm.NormalizeLocation(op.Body.Location)

	// Hardware profile.
	if in.HardwareProfile == nil {
		if old == nil {
			return missingParam("hardwareProfile")
		}
		props["hardwareProfile"] = old["hardwareProfile"]
	} else {
		size := in.HardwareProfile.VMSize
		if size == "" {
			return missingParam("vmSize")
		}
		if !vmSizeRE.MatchString(size) {
			return invalidParam("vmSize", "The value %s provided for the VM size is not valid.", size)
		}
		hp, _ := props["hardwareProfile"].(map[string]any)
		hp["vmSize"] = size
	}
	size, _ := props["hardwareProfile"].(map[string]any)["vmSize"].(string)

	// Storage profile.
	osType, err := normalizeStorage(op, &in, props, old, size)
	if err != nil {
		return err
	}

	// OS profile.
	if err := normalizeOSProfile(op, &in, props, old, osType); err != nil {
		return err
	}

	// Network profile.
	nics, err := planNICs(ctx, op, &in, vmID, location)
	if err != nil {
		return err
	}
	np, _ := props["networkProfile"].(map[string]any)
	if np == nil {
		np = map[string]any{}
	}
	np["networkInterfaces"] = nics
	props["networkProfile"] = np
	for _, n := range nics {
		op.AddRef(n.ID, nicRefKind, vmID, true)
	}

	// Platform-assigned values.
	if oldRec != nil {
		props["vmId"] = oldRec.Props.VMID
		props["timeCreated"] = oldRec.Props.TimeCreated
	} else {
		props["vmId"] = uuid.NewString()
		props["timeCreated"] = op.Tx.Engine().Now().UTC().Format("2006-01-02T15:04:05.0000000Z07:00")
	}
	op.Body.SetPropertiesMap(props)

	if op.Existing == nil {
		op.State = arm.StateCreating
		op.Internal = encodeInternal(Internal{PowerState: PowerStarting})
		return nil
	}
	// A replace keeps the power state; the machine's registrations are
	// redone when the update completes (its interfaces may have changed).
	if err := pr.unregisterDNS(ctx, op.Tx, oldRec); err != nil {
		return err
	}
	st, err := DecodeInternal(op.Existing)
	if err != nil {
		return err
	}
	if st.PowerState == "" {
		st.PowerState = PowerRunning
	}
	op.Internal = encodeInternal(st)
	return nil
}

// normalizeStorage fills storageProfile's defaults and returns the OS type.
func normalizeStorage(op *arm.PutOp, in *vmInput, props, old map[string]any, size string) (string, error) {
	if in.StorageProfile == nil {
		if old == nil {
			return "", missingParam("storageProfile")
		}
		props["storageProfile"] = old["storageProfile"]
		sp, _ := old["storageProfile"].(map[string]any)
		od, _ := sp["osDisk"].(map[string]any)
		t, _ := od["osType"].(string)
		return t, nil
	}
	sp, _ := props["storageProfile"].(map[string]any)
	img := in.StorageProfile.ImageReference
	var oldSP map[string]any
	if old != nil {
		oldSP, _ = old["storageProfile"].(map[string]any)
	}
	var disk osDisk
	if len(in.StorageProfile.OSDisk) > 0 && string(in.StorageProfile.OSDisk) != "null" {
		if err := json.Unmarshal(in.StorageProfile.OSDisk, &disk); err != nil {
			return "", arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: '%v'.", err)
		}
	}
	if disk.CreateOption == "" {
		disk.CreateOption = "FromImage"
	}
	if strings.EqualFold(disk.CreateOption, "FromImage") {
		disk.CreateOption = "FromImage"
		if !img.known() {
			return "", missingParam("imageReference")
		}
	}
	if img.known() {
		if img.ID == "" && img.SharedGalleryImageID == "" && img.CommunityGalleryImageID == "" {
			if img.Offer == "" {
				return "", missingParam("imageReference.offer")
			}
			if img.SKU == "" {
				return "", missingParam("imageReference.sku")
			}
			if img.Version == "" {
				img.Version = "latest"
			}
			if !strings.EqualFold(img.Version, "latest") {
				img.ExactVersion = img.Version
			}
		}
		if oldSP != nil {
			if oi, ok := oldSP["imageReference"].(map[string]any); ok {
				var prev imageReference
				b, _ := json.Marshal(oi)
				_ = json.Unmarshal(b, &prev)
				if !strings.EqualFold(prev.Publisher, img.Publisher) || !strings.EqualFold(prev.Offer, img.Offer) ||
					!strings.EqualFold(prev.SKU, img.SKU) || !strings.EqualFold(prev.ID, img.ID) {
					return "", changeNotAllowed("imageReference")
				}
			}
		}
		sp["imageReference"] = img
	}
	if disk.OSType == "" {
		disk.OSType = osTypeOf(img)
	} else if strings.EqualFold(disk.OSType, osWindows) {
		disk.OSType = osWindows
	} else if strings.EqualFold(disk.OSType, osLinux) {
		disk.OSType = osLinux
	} else {
		return "", invalidParam("osDisk.osType", "The value '%s' of parameter 'osDisk.osType' is not valid.", disk.OSType)
	}
	var oldDisk osDisk
	if oldSP != nil {
		b, _ := json.Marshal(oldSP["osDisk"])
		_ = json.Unmarshal(b, &oldDisk)
	}
	if disk.Name == "" {
		disk.Name = oldDisk.Name
	}
	if disk.Name == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("generate disk name: %w", err)
		}
		disk.Name = op.ID.Name() + "_OsDisk_1_" + hex.EncodeToString(b[:])
	} else if oldDisk.Name != "" && !strings.EqualFold(oldDisk.Name, disk.Name) {
		return "", changeNotAllowed("osDisk.name")
	}
	if disk.Caching == "" {
		disk.Caching = "ReadWrite"
	}
	if disk.ManagedDisk == nil {
		disk.ManagedDisk = &managedDisk{}
	}
	if disk.ManagedDisk.StorageAccountType == "" {
		disk.ManagedDisk.StorageAccountType = defaultDiskType(size)
	}
	if disk.DiskSizeGB == 0 {
		disk.DiskSizeGB = oldDisk.DiskSizeGB
	}
	if disk.DiskSizeGB == 0 {
		disk.DiskSizeGB = 30
		if disk.OSType == osWindows {
			disk.DiskSizeGB = 127
		}
	}
	if disk.DeleteOption == "" {
		disk.DeleteOption = "Detach"
	}
	// Keep what privlink does not model in the given osDisk.
	od := map[string]any{}
	if len(in.StorageProfile.OSDisk) > 0 {
		_ = json.Unmarshal(in.StorageProfile.OSDisk, &od)
	}
	if od == nil {
		od = map[string]any{}
	}
	b, _ := json.Marshal(disk)
	var norm map[string]any
	_ = json.Unmarshal(b, &norm)
	for k, v := range norm {
		od[k] = v
	}
	sp["osDisk"] = od
	if in.StorageProfile.DataDisks == nil {
		sp["dataDisks"] = []any{}
	}
	return disk.OSType, nil
}

// osTypeOf infers the OS of an image: Windows for Microsoft's Windows
// publishers and offers, Linux otherwise.
func osTypeOf(img *imageReference) string {
	if img == nil {
		return osLinux
	}
	if info, ok := lookupImage(img); ok {
		return info.osType
	}
	p, o := strings.ToLower(img.Publisher), strings.ToLower(img.Offer)
	if strings.Contains(p, "windows") || strings.Contains(o, "windows") {
		return osWindows
	}
	return osLinux
}

// defaultDiskType is Premium_LRS for sizes with premium storage support
// (an "s" among the feature letters: Standard_D2s_v3, Standard_B2ms,
// Standard_DS1_v2) and Standard_LRS otherwise, as az and the portal
// choose.
func defaultDiskType(size string) string {
	parts := strings.Split(size, "_")
	if len(parts) >= 2 {
		base := parts[1]
		// Drop the family letters and the vCPU count: what follows are
		// feature letters (a, d, l, m, s, t, ...).
		i := 0
		for i < len(base) && (base[i] < '0' || base[i] > '9') {
			i++
		}
		family := strings.ToUpper(base[:i])
		for i < len(base) && base[i] >= '0' && base[i] <= '9' {
			i++
		}
		if strings.Contains(strings.ToLower(base[i:]), "s") || strings.HasSuffix(family, "S") && len(family) > 1 {
			return "Premium_LRS"
		}
	}
	return "Standard_LRS"
}

// normalizeOSProfile validates osProfile and fills Azure's defaults; the
// admin password is never stored.
func normalizeOSProfile(op *arm.PutOp, in *vmInput, props, old map[string]any, osType string) error {
	if in.OSProfile == nil {
		if old != nil {
			if v, ok := old["osProfile"]; ok {
				props["osProfile"] = v
			}
			return nil
		}
		sp, _ := props["storageProfile"].(map[string]any)
		od, _ := sp["osDisk"].(map[string]any)
		if od["createOption"] == "FromImage" {
			return missingParam("osProfile")
		}
		return nil
	}
	o := in.OSProfile
	p, _ := props["osProfile"].(map[string]any)
	delete(p, "adminPassword")
	if o.ComputerName == "" {
		o.ComputerName = op.ID.Name()
	}
	if osType == osWindows && len(o.ComputerName) > 15 {
		return invalidParam("windowsConfiguration",
			"Windows computer name cannot be more than 15 characters long, be entirely numeric, or contain the following characters: ` ~ ! @ # $ %% ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?.")
	}
	if osType == osLinux && len(o.ComputerName) > 64 {
		return invalidParam("computerName", "Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ %% ^ & * ( ) = + _ [ ] { } \\ | ; : ' \" , < > / ?.")
	}
	if o.AdminUsername == "" {
		return missingParam("adminUsername")
	}
	if slices.Contains(reservedUsernames, strings.ToLower(o.AdminUsername)) {
		return invalidParam("adminUsername", "The Admin Username specified is not allowed.")
	}
	if old != nil {
		if prev, ok := old["osProfile"].(map[string]any); ok {
			if u, _ := prev["adminUsername"].(string); u != "" && u != o.AdminUsername {
				return changeNotAllowed("osProfile.adminUsername")
			}
			if c, _ := prev["computerName"].(string); c != "" && !strings.EqualFold(c, o.ComputerName) {
				return changeNotAllowed("osProfile.computerName")
			}
		}
	}
	p["computerName"] = o.ComputerName
	p["adminUsername"] = o.AdminUsername
	if _, ok := p["secrets"]; !ok {
		p["secrets"] = []any{}
	}
	if _, ok := p["allowExtensionOperations"]; !ok {
		p["allowExtensionOperations"] = true
	}
	if _, ok := p["requireGuestProvisionSignal"]; !ok {
		p["requireGuestProvisionSignal"] = true
	}
	delete(p, "customData") // write-only, like the password
	if osType == osWindows {
		wc, _ := p["windowsConfiguration"].(map[string]any)
		if wc == nil {
			wc = map[string]any{}
		}
		setDefault(wc, "provisionVMAgent", true)
		setDefault(wc, "enableAutomaticUpdates", true)
		setDefault(wc, "patchSettings", map[string]any{"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault"})
		p["windowsConfiguration"] = wc
		if o.AdminPassword == "" && old == nil {
			return missingParam("adminPassword")
		}
		props["osProfile"] = p
		return nil
	}
	lc, _ := p["linuxConfiguration"].(map[string]any)
	if lc == nil {
		lc = map[string]any{}
	}
	noPassword, _ := lc["disablePasswordAuthentication"].(bool)
	lc["disablePasswordAuthentication"] = noPassword
	var keys []sshPublicKey
	if ssh, ok := lc["ssh"].(map[string]any); ok {
		b, _ := json.Marshal(ssh["publicKeys"])
		_ = json.Unmarshal(b, &keys)
	}
	want := "/home/" + o.AdminUsername + "/.ssh/authorized_keys"
	for i, k := range keys {
		if k.Path == "" {
			keys[i].Path = want
		} else if k.Path != want {
			return invalidParam("linuxConfiguration.ssh.publicKeys.path",
				"Destination path for SSH public keys is currently limited to its default value %s due to a known issue in Linux provisioning agent.", want)
		}
		if strings.TrimSpace(k.KeyData) == "" {
			return missingParam("linuxConfiguration.ssh.publicKeys.keyData")
		}
	}
	if len(keys) > 0 {
		lc["ssh"] = map[string]any{"publicKeys": keys}
	}
	if old == nil {
		if noPassword && len(keys) == 0 {
			return invalidParam("linuxConfiguration",
				"Authentication using either SSH or by user name and password must be enabled in Linux profile.")
		}
		if !noPassword && o.AdminPassword == "" {
			return missingParam("adminPassword")
		}
	}
	setDefault(lc, "provisionVMAgent", true)
	setDefault(lc, "patchSettings", map[string]any{"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"})
	p["linuxConfiguration"] = lc
	props["osProfile"] = p
	return nil
}

func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// planNICs checks the network interfaces a virtual machine references:
// they exist in the machine's subscription and region, no other machine
// uses them, and exactly one is primary when there are several.
func planNICs(ctx context.Context, op *arm.PutOp, in *vmInput, vmID, location string) ([]NetworkInterfaceReference, error) {
	if in.NetworkProfile == nil {
		if op.Existing != nil {
			v, err := viewOf(op.Existing)
			if err != nil {
				return nil, err
			}
			return v.Props.NetworkProfile.NetworkInterfaces, nil
		}
		return nil, missingParam("networkProfile")
	}
	refs := in.NetworkProfile.NetworkInterfaces
	if len(refs) == 0 {
		return nil, missingParam("networkProfile.networkInterfaces")
	}
	out := make([]NetworkInterfaceReference, 0, len(refs))
	seen := map[string]bool{}
	primaries := 0
	for i, r := range refs {
		path := fmt.Sprintf("properties.networkProfile.networkInterfaces[%d].id", i)
		nid, err := arm.ParseID(r.ID)
		if err != nil || r.ID == "" || nid.IsCollection() || nid.Namespace == "" {
			return nil, arm.BadRequest("LinkedInvalidPropertyId",
				"Property id '%s' at path '%s' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.", r.ID, path)
		}
		if seen[strings.ToLower(r.ID)] {
			return nil, invalidParam("networkProfile.networkInterfaces",
				"Network interface %s is referenced more than once by virtual machine %s.", r.ID, vmID)
		}
		seen[strings.ToLower(r.ID)] = true
		rec, err := op.Tx.Get(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if rec == nil || !strings.EqualFold(nid.Type(), nicType) || !strings.EqualFold(nid.Subscription, op.ID.Subscription) ||
			!strings.EqualFold(arm.NormalizeLocation(rec.Resource.Location), location) {
			return nil, arm.BadRequest("InvalidResourceReference",
				"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
				r.ID, vmID)
		}
		users, err := op.Tx.RefsTo(ctx, rec.Resource.ID)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Kind == nicRefKind && !arm.SameID(u.Source, vmID) {
				return nil, arm.BadRequest("NicInUse",
					"Network Interface %s is used by existing resource %s. In order to use this network interface, the existing resource needs to be deleted or updated to not use this network interface.",
					rec.Resource.ID, u.Source)
			}
		}
		ref := NetworkInterfaceReference{ID: rec.Resource.ID}
		if r.Properties != nil {
			if r.Properties.Primary != nil && *r.Properties.Primary {
				ref.Properties.Primary = true
				primaries++
			}
			ref.Properties.DeleteOption = r.Properties.DeleteOption
		}
		out = append(out, ref)
	}
	if len(out) == 1 {
		out[0].Properties.Primary = true
	} else if primaries != 1 {
		e := arm.BadRequest("VirtualMachineMustHaveOneNetworkInterfaceAsPrimary",
			"Virtual machine %s must have one network interface set as the primary.", vmID)
		e.Target = "networkProfile.networkInterfaces"
		return nil, e
	}
	return out, nil
}
