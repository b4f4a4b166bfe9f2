package vm

// model is an azure-mgmt-compute model as az prints it: every attribute
// appears (null when the service did not send it) under the camelCase of
// its Python name, properties are flattened, unknown keys are dropped.
type model []attr

// attr maps one output key to its wire key.
type attr struct {
	out  string // az's key
	wire string // the service's key ("" = out)
	prop bool   // read from "properties" (client_flatten)
	sub  model  // nested model (nil: printed as sent)
}

func a(out string) attr             { return attr{out: out} }
func p(out string) attr             { return attr{out: out, prop: true} }
func w(out, wire string) attr       { return attr{out: out, wire: wire} }
func ps(out string, sub model) attr { return attr{out: out, prop: true, sub: sub} }
func s(out string, sub model) attr  { return attr{out: out, sub: sub} }
func sl(out string, sub model) attr { return attr{out: out, sub: sub} } // a list of sub (apply maps lists)

// apply renders v (an object, or a list of objects) through the model.
func (m model) apply(v any) any {
	switch t := v.(type) {
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = m.apply(e)
		}
		return out
	case map[string]any:
		props, _ := t["properties"].(map[string]any)
		out := make(map[string]any, len(m))
		for _, at := range m {
			key := at.wire
			if key == "" {
				key = at.out
			}
			src := t
			if at.prop {
				src = props
			}
			val, ok := src[key]
			if !ok || val == nil {
				out[at.out] = nil
				continue
			}
			if at.sub != nil {
				val = at.sub.apply(val)
			}
			out[at.out] = val
		}
		return out
	}
	return v
}

var subResourceModel = model{a("id")}

var managedDiskModel = model{
	a("diskEncryptionSet"), a("id"), a("securityProfile"), a("storageAccountType"),
}

var osDiskModel = model{
	a("caching"), a("createOption"), a("deleteOption"), a("diffDiskSettings"),
	w("diskSizeGb", "diskSizeGB"), a("encryptionSettings"), a("image"),
	s("managedDisk", managedDiskModel), a("name"), a("osType"), a("vhd"), a("writeAcceleratorEnabled"),
}

var imageReferenceModel = model{
	a("communityGalleryImageId"), a("exactVersion"), a("id"), a("offer"), a("publisher"),
	a("sharedGalleryImageId"), a("sku"), a("version"),
}

var storageProfileModel = model{
	a("dataDisks"), a("diskControllerType"), s("imageReference", imageReferenceModel), s("osDisk", osDiskModel),
}

var linuxConfigurationModel = model{
	a("disablePasswordAuthentication"), w("enableVmAgentPlatformUpdates", "enableVMAgentPlatformUpdates"),
	a("patchSettings"), w("provisionVmAgent", "provisionVMAgent"), a("ssh"),
}

var windowsConfigurationModel = model{
	a("additionalUnattendContent"), a("enableAutomaticUpdates"), w("enableVmAgentPlatformUpdates", "enableVMAgentPlatformUpdates"),
	a("patchSettings"), w("provisionVmAgent", "provisionVMAgent"), a("timeZone"), w("winRm", "winRM"),
}

var osProfileModel = model{
	a("adminPassword"), a("adminUsername"), a("allowExtensionOperations"), a("computerName"), a("customData"),
	s("linuxConfiguration", linuxConfigurationModel), a("requireGuestProvisionSignal"), a("secrets"),
	s("windowsConfiguration", windowsConfigurationModel),
}

var nicReferenceModel = model{p("deleteOption"), a("id"), p("primary")}

var networkProfileModel = model{
	a("networkApiVersion"), a("networkInterfaceConfigurations"), sl("networkInterfaces", nicReferenceModel),
}

var hardwareProfileModel = model{a("vmSize"), a("vmSizeProperties")}

// vmModel is azure-mgmt-compute's VirtualMachine (api-version 2022-11-01).
var vmModel = model{
	p("additionalCapabilities"), p("applicationProfile"), ps("availabilitySet", subResourceModel),
	p("billingProfile"), p("capacityReservation"), p("diagnosticsProfile"), p("evictionPolicy"),
	a("extendedLocation"), p("extensionsTimeBudget"), ps("hardwareProfile", hardwareProfileModel),
	ps("host", subResourceModel), ps("hostGroup", subResourceModel), a("id"), a("identity"), p("instanceView"),
	p("licenseType"), a("location"), a("name"), ps("networkProfile", networkProfileModel),
	ps("osProfile", osProfileModel), a("plan"), p("platformFaultDomain"), p("priority"), p("provisioningState"),
	ps("proximityPlacementGroup", subResourceModel), a("resources"), p("scheduledEventsProfile"),
	p("securityProfile"), ps("storageProfile", storageProfileModel), a("tags"), p("timeCreated"), a("type"),
	p("userData"), ps("virtualMachineScaleSet", subResourceModel), p("vmId"), a("zones"),
}

// instanceViewStatusModel is InstanceViewStatus (run-command results).
var instanceViewStatusModel = model{a("code"), a("displayStatus"), a("level"), a("message"), a("time")}

// runCommandResultModel is RunCommandResult.
var runCommandResultModel = model{sl("value", instanceViewStatusModel)}
