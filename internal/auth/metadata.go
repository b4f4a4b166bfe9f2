package auth

import (
	"net/http"
)

// CloudMetadata is the custom-cloud discovery document of
// GET /metadata/endpoints (ARM's api-version 2022-09-01 shape), plus the
// three fields of the older 2015-01-01 shape (galleryEndpoint,
// graphEndpoint, portalEndpoint) that azure-cli's older
// `cloud register --endpoint-resource-manager` reads.
type CloudMetadata struct {
	Portal                                string              `json:"portal"`
	Authentication                        CloudAuthentication `json:"authentication"`
	Media                                 string              `json:"media"`
	GraphAudience                         string              `json:"graphAudience"`
	Graph                                 string              `json:"graph"`
	Name                                  string              `json:"name"`
	Suffixes                              CloudSuffixes       `json:"suffixes"`
	Batch                                 string              `json:"batch"`
	Gallery                               string              `json:"gallery"`
	ResourceManager                       string              `json:"resourceManager"`
	VMImageAliasDoc                       string              `json:"vmImageAliasDoc"`
	ActiveDirectoryDataLake               string              `json:"activeDirectoryDataLake"`
	SQLManagement                         string              `json:"sqlManagement"`
	MicrosoftGraphResourceID              string              `json:"microsoftGraphResourceId"`
	AppInsightsResourceID                 string              `json:"appInsightsResourceId"`
	AppInsightsTelemetryChannelResourceID string              `json:"appInsightsTelemetryChannelResourceId"`
	AttestationResourceID                 string              `json:"attestationResourceId"`
	SynapseAnalyticsResourceID            string              `json:"synapseAnalyticsResourceId"`
	LogAnalyticsResourceID                string              `json:"logAnalyticsResourceId"`
	OSSRDBMSResourceID                    string              `json:"ossrDbmsResourceId"`

	// 2015-01-01 shape.
	GalleryEndpoint string `json:"galleryEndpoint"`
	GraphEndpoint   string `json:"graphEndpoint"`
	PortalEndpoint  string `json:"portalEndpoint"`
}

// CloudAuthentication is the "authentication" object of CloudMetadata.
type CloudAuthentication struct {
	// LoginEndpoint is the authority host, without a trailing slash.
	LoginEndpoint    string   `json:"loginEndpoint"`
	Audiences        []string `json:"audiences"`
	Tenant           string   `json:"tenant"`
	IdentityProvider string   `json:"identityProvider"`
}

// CloudSuffixes are the DNS suffixes of data-plane services. They keep the
// public cloud's values: private DNS zones such as
// privatelink.blob.core.windows.net are named after them.
type CloudSuffixes struct {
	AzureDataLakeStoreFileSystem        string `json:"azureDataLakeStoreFileSystem"`
	AcrLoginServer                      string `json:"acrLoginServer"`
	SQLServerHostname                   string `json:"sqlServerHostname"`
	AzureDataLakeAnalyticsCatalogAndJob string `json:"azureDataLakeAnalyticsCatalogAndJob"`
	KeyVaultDNS                         string `json:"keyVaultDns"`
	Storage                             string `json:"storage"`
	AzureFrontDoorEndpointSuffix        string `json:"azureFrontDoorEndpointSuffix"`
	StorageSyncEndpointSuffix           string `json:"storageSyncEndpointSuffix"`
	MhsmDNS                             string `json:"mhsmDns"`
	MysqlServerEndpoint                 string `json:"mysqlServerEndpoint"`
	PostgresqlServerEndpoint            string `json:"postgresqlServerEndpoint"`
	MariadbServerEndpoint               string `json:"mariadbServerEndpoint"`
	SynapseAnalytics                    string `json:"synapseAnalytics"`
	AttestationEndpoint                 string `json:"attestationEndpoint"`
}

// Metadata returns the cloud metadata document for the emulator reachable
// at base (e.g. "https://127.0.0.1:8443", no trailing slash): ARM and the
// login endpoint are base itself, Microsoft Graph is base + "/graph/".
func (i *Issuer) Metadata(base string) CloudMetadata {
	graph := base + "/graph/"
	return CloudMetadata{
		Portal: base,
		Authentication: CloudAuthentication{
			LoginEndpoint:    base,
			Audiences:        []string{base + "/", "https://management.core.windows.net/"},
			Tenant:           "common",
			IdentityProvider: "AAD",
		},
		Media:         "https://rest.media.azure.net",
		GraphAudience: graph,
		Graph:         graph,
		Name:          i.cloudName,
		Suffixes: CloudSuffixes{
			AzureDataLakeStoreFileSystem:        "azuredatalakestore.net",
			AcrLoginServer:                      "azurecr.io",
			SQLServerHostname:                   "database.windows.net",
			AzureDataLakeAnalyticsCatalogAndJob: "azuredatalakeanalytics.net",
			KeyVaultDNS:                         "vault.azure.net",
			Storage:                             "core.windows.net",
			AzureFrontDoorEndpointSuffix:        "azurefd.net",
			StorageSyncEndpointSuffix:           "afs.azure.net",
			MhsmDNS:                             "managedhsm.azure.net",
			MysqlServerEndpoint:                 "mysql.database.azure.com",
			PostgresqlServerEndpoint:            "postgres.database.azure.com",
			MariadbServerEndpoint:               "mariadb.database.azure.com",
			SynapseAnalytics:                    "dev.azuresynapse.net",
			AttestationEndpoint:                 "attest.azure.net",
		},
		Batch:                                 "https://batch.core.windows.net/",
		Gallery:                               base + "/",
		ResourceManager:                       base + "/",
		VMImageAliasDoc:                       "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
		ActiveDirectoryDataLake:               "https://datalake.azure.net/",
		SQLManagement:                         "https://management.core.windows.net:8443/",
		MicrosoftGraphResourceID:              graph,
		AppInsightsResourceID:                 "https://api.applicationinsights.io",
		AppInsightsTelemetryChannelResourceID: "https://dc.applicationinsights.azure.com/v2/track",
		AttestationResourceID:                 "https://attest.azure.net",
		SynapseAnalyticsResourceID:            "https://dev.azuresynapse.net",
		LogAnalyticsResourceID:                "https://api.loganalytics.io",
		OSSRDBMSResourceID:                    "https://ossrdbms-aad.database.windows.net",
		GalleryEndpoint:                       base + "/",
		GraphEndpoint:                         graph,
		PortalEndpoint:                        base + "/",
	}
}

// metadataListVersions: api-versions for which ARM answers with a JSON array
// of every cloud (what azure-cli's ARM_CLOUD_METADATA_URL expects) instead of
// the current cloud's object. (unconfirmed: the array shape is documented
// for 2019-05-01; the range is a best guess.)
func metadataIsList(apiVersion string) bool {
	return apiVersion >= "2018-01-01" && apiVersion < "2022-09-01"
}

func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, http.MethodGet, http.MethodHead)
		return
	}
	md := h.issuer.Metadata(h.baseURL(r))
	if metadataIsList(r.URL.Query().Get("api-version")) {
		writeJSON(w, http.StatusOK, []CloudMetadata{md})
		return
	}
	writeJSON(w, http.StatusOK, md)
}
