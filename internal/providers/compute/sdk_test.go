package compute

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestSDK drives a machine with the Azure SDK for Go (armcompute v8,
// api-version 2026-04-01): create, stop, start, instance view and a
// RunShellScript.
func TestSDK(t *testing.T) {
	f := newFx(t)
	_, nic := f.world()
	ctx := context.Background()
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: f.URL, Audience: f.URL},
		}},
		Transport: &http.Client{Transport: f.Transport()},
	}}
	c, err := armcompute.NewVirtualMachinesClient(sub, staticCred{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	poll := &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}

	p, err := c.BeginCreateOrUpdate(ctx, "rg", "sdkvm", armcompute.VirtualMachine{
		Location: to.Ptr("eastus"),
		Properties: &armcompute.VirtualMachineProperties{
			HardwareProfile: &armcompute.HardwareProfile{VMSize: to.Ptr(armcompute.VirtualMachineSizeTypes("Standard_B2s"))},
			StorageProfile: &armcompute.StorageProfile{ImageReference: &armcompute.ImageReference{
				Publisher: to.Ptr("Debian"), Offer: to.Ptr("debian-12"), SKU: to.Ptr("12-gen2"), Version: to.Ptr("0.20240211.1654"),
			}},
			OSProfile: &armcompute.OSProfile{
				AdminUsername: to.Ptr("azureuser"),
				LinuxConfiguration: &armcompute.LinuxConfiguration{
					DisablePasswordAuthentication: to.Ptr(true),
					SSH: &armcompute.SSHConfiguration{PublicKeys: []*armcompute.SSHPublicKey{{
						Path: to.Ptr("/home/azureuser/.ssh/authorized_keys"), KeyData: to.Ptr(sshKey),
					}}},
				},
			},
			NetworkProfile: &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{{
				ID: to.Ptr(nic), Properties: &armcompute.NetworkInterfaceReferenceProperties{Primary: to.Ptr(true)},
			}}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := p.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	props := created.Properties
	if *props.ProvisioningState != "Succeeded" || props.VMID == nil || *props.OSProfile.ComputerName != "sdkvm" ||
		*props.StorageProfile.ImageReference.ExactVersion != "0.20240211.1654" ||
		*props.StorageProfile.OSDisk.OSType != armcompute.OperatingSystemTypesLinux {
		t.Fatalf("created: %+v", props)
	}

	powerOf := func() string {
		t.Helper()
		got, err := c.Get(ctx, "rg", "sdkvm", &armcompute.VirtualMachinesClientGetOptions{Expand: to.Ptr(armcompute.InstanceViewTypesInstanceView)})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got.Properties.InstanceView.Statuses {
			if strings.HasPrefix(*s.Code, "PowerState/") {
				return *s.Code
			}
		}
		return ""
	}
	if got := powerOf(); got != PowerRunning {
		t.Fatalf("after create: %s", got)
	}
	off, err := c.BeginPowerOff(ctx, "rg", "sdkvm", &armcompute.VirtualMachinesClientBeginPowerOffOptions{SkipShutdown: to.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := off.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	if got := powerOf(); got != PowerStopped {
		t.Fatalf("after powerOff: %s", got)
	}
	on, err := c.BeginStart(ctx, "rg", "sdkvm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := on.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	iv, err := c.InstanceView(ctx, "rg", "sdkvm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *iv.Statuses[1].Code != PowerRunning || *iv.OSName != "debian" || *iv.ComputerName != "sdkvm" {
		t.Fatalf("instance view: %+v", iv.VirtualMachineInstanceView)
	}

	rc, err := c.BeginRunCommand(ctx, "rg", "sdkvm", armcompute.RunCommandInput{
		CommandID:  to.Ptr("RunShellScript"),
		Script:     []*string{to.Ptr(`echo "hello $1 from $PRIVLINK_VANTAGE"`)},
		Parameters: []*armcompute.RunCommandInputParameter{{Name: to.Ptr("arg1"), Value: to.Ptr("sdk")}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rc.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	want := "Enable succeeded: \n[stdout]\nhello sdk from " + vmID("rg", "sdkvm") + "\n\n[stderr]\n"
	if len(res.Value) != 1 || *res.Value[0].Code != "ProvisioningState/succeeded" || *res.Value[0].Message != want {
		t.Fatalf("run command: %+v", res.Value)
	}

	// Azure's errors reach the SDK.
	_, err = c.BeginRunCommand(ctx, "rg", "sdkvm", armcompute.RunCommandInput{CommandID: to.Ptr("RunPowerShellScript")}, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusConflict || re.ErrorCode != "Conflict" {
		t.Fatalf("powershell on linux: %v", err)
	}

	del, err := c.BeginDelete(ctx, "rg", "sdkvm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
}
