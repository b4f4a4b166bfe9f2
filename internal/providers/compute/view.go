package compute

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

// vmView is a stored virtual machine decoded for privlink's own use.
type vmView struct {
	ID    arm.ID
	Rec   *arm.Record
	Power string
	Props struct {
		VMID            string `json:"vmId"`
		TimeCreated     string `json:"timeCreated"`
		HardwareProfile struct {
			VMSize string `json:"vmSize"`
		} `json:"hardwareProfile"`
		StorageProfile struct {
			ImageReference *imageReference `json:"imageReference"`
			OSDisk         osDisk          `json:"osDisk"`
		} `json:"storageProfile"`
		OSProfile *struct {
			ComputerName  string `json:"computerName"`
			AdminUsername string `json:"adminUsername"`
		} `json:"osProfile"`
		NetworkProfile struct {
			NetworkInterfaces []NetworkInterfaceReference `json:"networkInterfaces"`
		} `json:"networkProfile"`
	}
}

func viewOf(rec *arm.Record) (*vmView, error) {
	id, err := arm.ParseID(rec.Resource.ID)
	if err != nil {
		return nil, fmt.Errorf("virtual machine id %q: %w", rec.Resource.ID, err)
	}
	v := &vmView{ID: id, Rec: rec}
	if err := json.Unmarshal(rec.Resource.Properties, &v.Props); err != nil {
		return nil, fmt.Errorf("decode virtual machine %s: %w", rec.Resource.ID, err)
	}
	in, err := DecodeInternal(rec)
	if err != nil {
		return nil, err
	}
	v.Power = in.PowerState
	if v.Power == "" {
		v.Power = PowerRunning
	}
	return v, nil
}

// ComputerName is the machine's host name (osProfile.computerName, else
// its name).
func (v *vmView) ComputerName() string {
	if v.Props.OSProfile != nil && v.Props.OSProfile.ComputerName != "" {
		return v.Props.OSProfile.ComputerName
	}
	return v.ID.Name()
}

// osType is the OS of the machine's disk.
func (v *vmView) osType() string {
	if v.Props.StorageProfile.OSDisk.OSType != "" {
		return v.Props.StorageProfile.OSDisk.OSType
	}
	return osTypeOf(v.Props.StorageProfile.ImageReference)
}

// primaryNIC is the ID of the primary network interface.
func (v *vmView) primaryNIC() string {
	for _, n := range v.Props.NetworkProfile.NetworkInterfaces {
		if n.Properties.Primary {
			return n.ID
		}
	}
	if len(v.Props.NetworkProfile.NetworkInterfaces) > 0 {
		return v.Props.NetworkProfile.NetworkInterfaces[0].ID
	}
	return ""
}

// InstanceViewStatus is one status of an instance view.
type InstanceViewStatus struct {
	Code          string `json:"code"`
	Level         string `json:"level"`
	DisplayStatus string `json:"displayStatus"`
	Message       string `json:"message,omitempty"`
	Time          string `json:"time,omitempty"`
}

// instanceView builds the machine's instance view.
func (v *vmView) instanceView() map[string]any {
	rec := v.Rec
	when := rec.Created
	if sd := rec.Resource.SystemData; sd != nil && !sd.LastModifiedAt.IsZero() {
		when = sd.LastModifiedAt
	}
	ts := when.UTC().Format(time.RFC3339Nano)
	prov := provisioningStatus(rec.State, ts)
	statuses := []InstanceViewStatus{prov}
	if d, ok := powerDisplay[v.Power]; ok {
		statuses = append(statuses, InstanceViewStatus{Code: v.Power, Level: "Info", DisplayStatus: d})
	}
	out := map[string]any{
		"computerName": v.ComputerName(),
		"statuses":     statuses,
		"disks": []any{map[string]any{
			"name":     v.Props.StorageProfile.OSDisk.Name,
			"statuses": []InstanceViewStatus{provisioningStatus(arm.StateSucceeded, ts)},
		}},
		"hyperVGeneration": "V1",
	}
	if img := v.Props.StorageProfile.ImageReference; img != nil && strings.Contains(strings.ToLower(img.SKU), "gen2") ||
		img != nil && strings.EqualFold(img.Offer, "ubuntu-24_04-lts") {
		out["hyperVGeneration"] = "V2"
	}
	if info, ok := lookupImage(v.Props.StorageProfile.ImageReference); ok {
		out["osName"] = info.osName
		out["osVersion"] = info.osVersion
	}
	if v.Power == PowerRunning {
		out["vmAgent"] = map[string]any{
			"vmAgentVersion": VMAgentVersion,
			"statuses": []InstanceViewStatus{{
				Code: "ProvisioningState/succeeded", Level: "Info", DisplayStatus: "Ready",
				Message: "Guest Agent is running", Time: ts,
			}},
			"extensionHandlers": []any{},
		}
	}
	return out
}

// VMAgentVersion is the guest agent version privlink's machines report
// (there is no agent: scripts run on the emulator's host).
const VMAgentVersion = "2.13.1.1"

func provisioningStatus(state, ts string) InstanceViewStatus {
	switch state {
	case arm.StateSucceeded, "":
		return InstanceViewStatus{Code: "ProvisioningState/succeeded", Level: "Info", DisplayStatus: "Provisioning succeeded", Time: ts}
	case arm.StateFailed:
		return InstanceViewStatus{Code: "ProvisioningState/failed", Level: "Error", DisplayStatus: "Provisioning failed", Time: ts}
	}
	return InstanceViewStatus{Code: "ProvisioningState/" + strings.ToLower(state), Level: "Info", DisplayStatus: state}
}

// vmIDOf builds a virtual machine's ID from a special route's variables.
func vmIDOf(req *arm.Request) arm.ID {
	sub, rg := req.Vars["sub"], req.Vars["rg"]
	return arm.ID{Subscription: sub, ResourceGroup: rg, Scope: "/subscriptions/" + sub + "/resourceGroups/" + rg,
		Namespace: Namespace, Types: []string{"virtualMachines"}, Names: []string{req.Vars["vm"]}}
}

// loadVM reads the virtual machine a special route addresses, with ARM's
// errors for a missing group or machine.
func loadVM(ctx context.Context, req *arm.Request) (*arm.Record, error) {
	spec, ok := req.Engine.Registry.Lookup(VirtualMachineType)
	if !ok {
		return nil, fmt.Errorf("type %s not registered", VirtualMachineType)
	}
	if err := arm.CheckAPIVersion(spec, req); err != nil {
		return nil, err
	}
	id := vmIDOf(req)
	rec, err := req.Engine.GetRecord(ctx, id.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		rg, err := req.Engine.GetRecord(ctx, id.ResourceGroupID())
		if err != nil {
			return nil, err
		}
		if rg == nil {
			return nil, arm.ResourceGroupNotFound(id.ResourceGroup)
		}
		return nil, arm.ResourceNotFound(id)
	}
	return rec, nil
}

// getVM serves GET (and HEAD) of a virtual machine, with
// $expand=instanceView.
func (pr *Provider) getVM(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	rec, err := loadVM(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.HTTP.Method == http.MethodHead {
		return &arm.Response{Status: http.StatusNoContent}, nil
	}
	res, err := req.Engine.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(req.HTTP.URL.Query().Get("$expand"), "instanceView") {
		v, err := viewOf(rec)
		if err != nil {
			return nil, err
		}
		m := res.PropertiesMap()
		m["instanceView"] = v.instanceView()
		res.SetPropertiesMap(m)
	}
	return &arm.Response{Status: http.StatusOK, Body: res}, nil
}

// getInstanceView serves GET {vm}/instanceView.
func (pr *Provider) getInstanceView(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	rec, err := loadVM(ctx, req)
	if err != nil {
		return nil, err
	}
	v, err := viewOf(rec)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: v.instanceView()}, nil
}
