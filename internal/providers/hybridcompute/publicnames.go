package hybridcompute

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// PublicNamesType is a privlink-only type (not Azure's) in Arc's
// infrastructure subscription: the public DNS names of Arc's regional
// service. Its internal state is the fabric's public records shape
// (fabric.PublicRecordsInternal): every privatelink name answers the
// service's public IP, and every public name is a CNAME of its privatelink
// name, so that a VNet linked to the privatelink zones resolves the
// private endpoint instead (azure-behavior.md §6).
const PublicNamesType = Namespace + "/privlinkServiceNames"

// PublicNamesAPI is the api-version of PublicNamesType.
const PublicNamesAPI = "2024-07-10"

// PublicNamesInternal is the stored internal state of a PublicNamesType
// record.
type PublicNamesInternal struct {
	PublicRecords map[string]string `json:"publicRecords,omitempty"`
	PublicCNAMEs  map[string]string `json:"publicCNAMEs,omitempty"`
}

func publicNamesSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type: PublicNamesType, APIVersions: []string{PublicNamesAPI}, Location: arm.LocationNone,
		ProvisioningState: true, NoSystemData: true,
		Put: putPublicNames,
	}
}

func putPublicNames(_ context.Context, op *arm.PutOp) error {
	if !strings.EqualFold(op.ID.Subscription, InfraSubscription) {
		return arm.BadRequest("InvalidResourceType", "The resource type '%s' is reserved for the Azure Arc service.", PublicNamesType)
	}
	// cnames: public name -> its privatelink name, which answers
	// publicIPAddress; records: more names -> their addresses.
	var in struct {
		PublicIPAddress string            `json:"publicIPAddress,omitempty"`
		CNAMEs          map[string]string `json:"cnames,omitempty"`
		Records         map[string]string `json:"records,omitempty"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	if _, err := netip.ParseAddr(in.PublicIPAddress); err != nil && len(in.CNAMEs) > 0 {
		return arm.BadRequest("InvalidParameter", "publicIPAddress '%s' is not an IP address.", in.PublicIPAddress)
	}
	st := PublicNamesInternal{PublicRecords: map[string]string{}, PublicCNAMEs: map[string]string{}}
	for name, target := range in.CNAMEs {
		name, target = strings.ToLower(name), strings.ToLower(target)
		st.PublicCNAMEs[name] = target
		st.PublicRecords[target] = in.PublicIPAddress
	}
	for name, addr := range in.Records {
		if _, err := netip.ParseAddr(addr); err != nil {
			return arm.BadRequest("InvalidParameter", "The address '%s' of '%s' is not an IP address.", addr, name)
		}
		st.PublicRecords[strings.ToLower(name)] = addr
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode public names: %w", err)
	}
	op.Internal = b
	return op.Body.SetProperties(in)
}
