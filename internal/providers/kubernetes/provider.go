// Package kubernetes is the Microsoft.Kubernetes provider: Azure
// Arc-enabled Kubernetes connectedClusters (docs/arc.md).
//
// A connected cluster is created by `az connectedk8s connect` after the
// Arc agents are installed in the cluster. Its read-only state
// (connectivityStatus, agentVersion, kubernetesVersion, totalNodeCount,
// lastConnectivityTime) is what the agents report: privlink's emulated
// agents (internal/app/arc.go) call SetConnectivity.
//
// Rules enforced on PUT (azure-behavior.md §10): agentPublicKeyCertificate
// and a SystemAssigned identity are required; privateLinkState Enabled
// requires privateLinkScopeResourceId naming an existing
// Microsoft.HybridCompute/privateLinkScopes in the cluster's region; a
// cluster is associated with one scope (a single ID, which can only be
// changed by reconnecting: Azure's connectedk8s update offers no way to
// move a cluster to another scope).
//
// privlink extension: properties.privlinkConnectivityReason (read-only)
// says why the agents are not Connected (the name that resolved publicly,
// the fabric's block, the service's 403), or "" when they are.
package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/hybridcompute"
)

// Namespace and types.
const (
	Namespace   = "Microsoft.Kubernetes"
	ClusterType = Namespace + "/connectedClusters"
)

// Connectivity statuses.
const (
	StatusConnecting        = "Connecting"
	StatusConnected         = "Connected"
	StatusOffline           = "Offline"
	StatusExpired           = "Expired"
	StatusAgentNotInstalled = "AgentNotInstalled"
)

// APIVersions served.
var APIVersions = []string{
	"2020-01-01-preview", "2021-03-01", "2021-04-01-preview", "2021-10-01", "2022-05-01-preview", "2022-10-01-preview",
	"2023-11-01-preview", "2024-01-01", "2024-02-01-preview", "2024-06-01-preview", "2024-07-01-preview",
	"2024-07-15-preview", "2024-12-01-preview", "2025-08-01-preview", "2026-03-01", "2026-05-01",
}

// Provider implements arm.Provider.
type Provider struct{}

var _ arm.Provider = Provider{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	p.Registry.Register(&arm.TypeSpec{
		Type: ClusterType, APIVersions: append([]string(nil), APIVersions...), Location: arm.LocationRequired,
		ProvisioningState: true, ValidateName: validateName,
		Put: putCluster, Patch: patchCluster,
	})
	return nil
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$`)

func validateName(name string) error {
	if !nameRE.MatchString(name) {
		return arm.BadRequest("InvalidResourceName",
			"The resource name '%s' is invalid. The name must be 1-63 characters long, start and end with a letter or digit, and contain only letters, digits, '-', '_' and '.'.", name)
	}
	return nil
}

// Properties are a connected cluster's properties.
type Properties struct {
	AgentPublicKeyCertificate  string `json:"agentPublicKeyCertificate"`
	Distribution               string `json:"distribution,omitempty"`
	DistributionVersion        string `json:"distributionVersion,omitempty"`
	Infrastructure             string `json:"infrastructure,omitempty"`
	PrivateLinkState           string `json:"privateLinkState"`
	PrivateLinkScopeResourceID string `json:"privateLinkScopeResourceId,omitempty"`
	AzureHybridBenefit         string `json:"azureHybridBenefit,omitempty"`
	ProvisioningState          string `json:"provisioningState,omitempty"`
	// PrivlinkKubeAPIServer (privlink extension, written by
	// `az connectedk8s connect`) is the API server URL the agents were
	// installed through: it places the emulated agents in the fabric.
	PrivlinkKubeAPIServer string `json:"privlinkKubeApiServer,omitempty"`

	// Read-only, reported by the agents.
	ConnectivityStatus   string `json:"connectivityStatus"`
	AgentVersion         string `json:"agentVersion,omitempty"`
	KubernetesVersion    string `json:"kubernetesVersion,omitempty"`
	TotalNodeCount       int    `json:"totalNodeCount,omitempty"`
	TotalCoreCount       int    `json:"totalCoreCount,omitempty"`
	LastConnectivityTime string `json:"lastConnectivityTime,omitempty"`
	// ManagedIdentityCertificateExpirationTime is when the agents'
	// identity certificate expires (90 days after connecting).
	ManagedIdentityCertificateExpirationTime string `json:"managedIdentityCertificateExpirationTime,omitempty"`
	// PrivlinkConnectivityReason is privlink's explanation of a status
	// other than Connected.
	PrivlinkConnectivityReason string `json:"privlinkConnectivityReason,omitempty"`
}

// Decode decodes a connected cluster record's properties.
func Decode(rec *arm.Record) (*Properties, error) {
	var p Properties
	if err := rec.Resource.DecodeProperties(&p); err != nil {
		return nil, fmt.Errorf("decode connected cluster %s: %w", rec.Resource.ID, err)
	}
	return &p, nil
}

// PrivateLink reports whether the cluster uses a private link scope.
func (p *Properties) PrivateLink() bool { return strings.EqualFold(p.PrivateLinkState, "Enabled") }

type identity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	TenantID    string `json:"tenantId,omitempty"`
}

func putCluster(ctx context.Context, op *arm.PutOp) error {
	var in Properties
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	// Identity: SystemAssigned is required.
	var id identity
	if len(op.Body.Identity) > 0 && string(op.Body.Identity) != "null" {
		if err := json.Unmarshal(op.Body.Identity, &id); err != nil {
			return arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'identity'.")
		}
	}
	if !strings.EqualFold(id.Type, "SystemAssigned") {
		return arm.BadRequest("InvalidParameter",
			"The identity type '%s' is not supported. Connected clusters require identity type 'SystemAssigned'.", id.Type)
	}
	if strings.TrimSpace(in.AgentPublicKeyCertificate) == "" {
		return arm.BadRequest("InvalidParameter", "The property 'agentPublicKeyCertificate' is required.")
	}
	out := Properties{
		AgentPublicKeyCertificate: in.AgentPublicKeyCertificate,
		Distribution:              in.Distribution, DistributionVersion: in.DistributionVersion,
		Infrastructure: in.Infrastructure, AzureHybridBenefit: in.AzureHybridBenefit,
		ConnectivityStatus: StatusConnecting, PrivlinkKubeAPIServer: in.PrivlinkKubeAPIServer,
	}
	if out.Distribution == "" {
		out.Distribution = "generic"
	}
	if out.Infrastructure == "" {
		out.Infrastructure = "generic"
	}
	if out.AzureHybridBenefit == "" {
		out.AzureHybridBenefit = "NotApplicable"
	}
	switch strings.ToLower(in.PrivateLinkState) {
	case "", "disabled":
		out.PrivateLinkState = "Disabled"
	case "enabled":
		out.PrivateLinkState = "Enabled"
	default:
		return arm.BadRequest("InvalidParameter",
			"The value '%s' of property 'privateLinkState' is invalid. Allowed values are: Enabled, Disabled.", in.PrivateLinkState)
	}
	scope := strings.TrimSpace(in.PrivateLinkScopeResourceID)
	if out.PrivateLinkState == "Enabled" {
		if scope == "" {
			return arm.BadRequest("InvalidParameter",
				"The property 'privateLinkScopeResourceId' is required when 'privateLinkState' is 'Enabled'.")
		}
		sid, err := arm.ParseID(scope)
		if err != nil || !strings.EqualFold(sid.Type(), hybridcompute.ScopeType) {
			return arm.BadRequest("InvalidParameter",
				"The property 'privateLinkScopeResourceId' '%s' is not a Microsoft.HybridCompute/privateLinkScopes resource ID.", scope)
		}
		srec, err := op.Tx.Get(ctx, scope)
		if err != nil {
			return err
		}
		if srec == nil {
			return arm.NotFound("PrivateLinkScopeNotFound", "The private link scope '%s' was not found.", scope)
		}
		if !strings.EqualFold(arm.NormalizeLocation(srec.Resource.Location), arm.NormalizeLocation(op.Body.Location)) {
			return arm.BadRequest("PrivateLinkScopeLocationMismatch",
				"The private link scope '%s' is in location '%s' and the connected cluster in '%s'. The Arc-enabled Kubernetes cluster and the Azure Arc private link scope must be in the same Azure region.",
				srec.Resource.ID, srec.Resource.Location, op.Body.Location)
		}
		out.PrivateLinkScopeResourceID = srec.Resource.ID
		op.AddRef(srec.Resource.ID, hybridcompute.ScopeRefKind, "", false)
	} else if scope != "" {
		return arm.BadRequest("InvalidParameter",
			"The property 'privateLinkScopeResourceId' can only be set when 'privateLinkState' is 'Enabled'.")
	}
	if op.Existing != nil {
		old, err := Decode(op.Existing)
		if err != nil {
			return err
		}
		if old.PrivateLinkState != out.PrivateLinkState || !arm.SameID(old.PrivateLinkScopeResourceID, out.PrivateLinkScopeResourceID) {
			return arm.BadRequest("PrivateLinkSettingsCannotBeChanged",
				"The private link settings of connected cluster %s cannot be changed: a cluster connects to one private link scope. Delete the connected cluster and connect it again.", op.ID.String())
		}
		out.ConnectivityStatus, out.AgentVersion, out.KubernetesVersion = old.ConnectivityStatus, old.AgentVersion, old.KubernetesVersion
		out.TotalNodeCount, out.TotalCoreCount, out.LastConnectivityTime = old.TotalNodeCount, old.TotalCoreCount, old.LastConnectivityTime
		out.ManagedIdentityCertificateExpirationTime, out.PrivlinkConnectivityReason = old.ManagedIdentityCertificateExpirationTime, old.PrivlinkConnectivityReason
		var oid identity
		_ = json.Unmarshal(op.Existing.Resource.Identity, &oid)
		id.PrincipalID, id.TenantID = oid.PrincipalID, oid.TenantID
	}
	if id.PrincipalID == "" {
		id.PrincipalID = uuid.NewString()
	}
	if id.TenantID == "" && op.Req != nil {
		id.TenantID = op.Req.Principal.TenantID
	}
	id.Type = "SystemAssigned"
	b, err := json.Marshal(id)
	if err != nil {
		return err
	}
	op.Body.Identity = b
	return op.Body.SetProperties(out)
}

// patchCluster updates tags and the user-settable properties
// (distribution, distributionVersion, infrastructure, azureHybridBenefit).
func patchCluster(_ context.Context, op *arm.PatchOp) error {
	var in struct {
		Tags       *map[string]string `json:"tags"`
		Properties map[string]any     `json:"properties"`
	}
	if err := json.Unmarshal(op.Body, &in); err != nil {
		return arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: '%v'.", err)
	}
	if in.Tags != nil {
		op.Resource.Tags = *in.Tags
	}
	if len(in.Properties) == 0 {
		return nil
	}
	m := op.Resource.PropertiesMap()
	for k, v := range in.Properties {
		switch k {
		case "distribution", "distributionVersion", "infrastructure", "azureHybridBenefit":
			m[k] = v
		case "privateLinkState", "privateLinkScopeResourceId":
			return arm.BadRequest("PrivateLinkSettingsCannotBeChanged",
				"The private link settings of connected cluster %s cannot be changed: a cluster connects to one private link scope. Delete the connected cluster and connect it again.", op.ID.String())
		}
	}
	op.Resource.SetPropertiesMap(m)
	return nil
}

// Connectivity is what the agents report.
type Connectivity struct {
	Status            string
	Reason            string
	AgentVersion      string
	KubernetesVersion string
	TotalNodeCount    int
	TotalCoreCount    int
	// At is the time of the report (lastConnectivityTime when Connected).
	At time.Time
}

// SetConnectivity records an agents' report on cluster id (nothing when
// it is gone or unchanged).
func SetConnectivity(ctx context.Context, e *arm.Engine, id string, c Connectivity) error {
	return e.Run(ctx, func(t *arm.Txn) error {
		rec, err := t.Get(ctx, id)
		if err != nil || rec == nil {
			return err
		}
		m := rec.Resource.PropertiesMap()
		set := func(k string, v any) {
			switch x := v.(type) {
			case string:
				if x == "" {
					delete(m, k)
					return
				}
			case int:
				if x == 0 {
					delete(m, k)
					return
				}
				v = float64(x)
			}
			m[k] = v
		}
		before, _ := json.Marshal(m)
		set("privlinkConnectivityReason", c.Reason)
		if c.Status == StatusConnected {
			// Refreshed at most once a minute while Connected (every
			// heartbeat would rewrite the resource).
			last, _ := m["lastConnectivityTime"].(string)
			lt, err := time.Parse(time.RFC3339, last)
			if m["connectivityStatus"] != StatusConnected || err != nil || c.At.Sub(lt) >= time.Minute {
				set("lastConnectivityTime", c.At.UTC().Format(time.RFC3339))
			}
			if _, ok := m["managedIdentityCertificateExpirationTime"]; !ok {
				set("managedIdentityCertificateExpirationTime", c.At.UTC().Add(90*24*time.Hour).Format(time.RFC3339))
			}
		}
		if c.AgentVersion != "" {
			set("agentVersion", c.AgentVersion)
		}
		if c.KubernetesVersion != "" {
			set("kubernetesVersion", c.KubernetesVersion)
		}
		if c.TotalNodeCount > 0 {
			set("totalNodeCount", c.TotalNodeCount)
		}
		if c.TotalCoreCount > 0 {
			set("totalCoreCount", c.TotalCoreCount)
		}
		set("connectivityStatus", c.Status)
		after, _ := json.Marshal(m)
		if string(before) == string(after) {
			return nil
		}
		rec.Resource.SetPropertiesMap(m)
		rec.Generation++
		return t.Write(ctx, rec)
	})
}
