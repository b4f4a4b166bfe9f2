package privatedns

// ZoneProperties are a private DNS zone's served properties (all
// read-only).
type ZoneProperties struct {
	MaxNumberOfRecordSets                          int64  `json:"maxNumberOfRecordSets"`
	NumberOfRecordSets                             int64  `json:"numberOfRecordSets"`
	MaxNumberOfVirtualNetworkLinks                 int64  `json:"maxNumberOfVirtualNetworkLinks"`
	NumberOfVirtualNetworkLinks                    int64  `json:"numberOfVirtualNetworkLinks"`
	MaxNumberOfVirtualNetworkLinksWithRegistration int64  `json:"maxNumberOfVirtualNetworkLinksWithRegistration"`
	NumberOfVirtualNetworkLinksWithRegistration    int64  `json:"numberOfVirtualNetworkLinksWithRegistration"`
	InternalID                                     string `json:"internalId,omitempty"`
	ProvisioningState                              string `json:"provisioningState,omitempty"`
}

// SubResource is a reference to another resource.
type SubResource struct {
	ID string `json:"id"`
}

// Resolution policies of a virtual network link.
const (
	ResolutionPolicyDefault          = "Default"
	ResolutionPolicyNxDomainRedirect = "NxDomainRedirect"
)

// Virtual network link states.
const (
	LinkStateInProgress = "InProgress"
	LinkStateCompleted  = "Completed"
)

// LinkProperties are a virtual network link's served properties.
type LinkProperties struct {
	VirtualNetwork          *SubResource `json:"virtualNetwork,omitempty"`
	RegistrationEnabled     bool         `json:"registrationEnabled"`
	ResolutionPolicy        string       `json:"resolutionPolicy,omitempty"`
	VirtualNetworkLinkState string       `json:"virtualNetworkLinkState,omitempty"`
	ProvisioningState       string       `json:"provisioningState,omitempty"`
}

// ARecord is an A record.
type ARecord struct {
	IPv4Address string `json:"ipv4Address"`
}

// AAAARecord is an AAAA record.
type AAAARecord struct {
	IPv6Address string `json:"ipv6Address"`
}

// CNAMERecord is a CNAME record.
type CNAMERecord struct {
	CNAME string `json:"cname"`
}

// MXRecord is an MX record.
type MXRecord struct {
	Preference int64  `json:"preference"`
	Exchange   string `json:"exchange"`
}

// PTRRecord is a PTR record.
type PTRRecord struct {
	PTRDName string `json:"ptrdname"`
}

// SOARecord is the zone's SOA record.
type SOARecord struct {
	Host         string `json:"host"`
	Email        string `json:"email"`
	SerialNumber int64  `json:"serialNumber"`
	RefreshTime  int64  `json:"refreshTime"`
	RetryTime    int64  `json:"retryTime"`
	ExpireTime   int64  `json:"expireTime"`
	MinimumTTL   int64  `json:"minimumTtl"`
}

// SRVRecord is an SRV record.
type SRVRecord struct {
	Priority int64  `json:"priority"`
	Weight   int64  `json:"weight"`
	Port     int64  `json:"port"`
	Target   string `json:"target"`
}

// TXTRecord is a TXT record (its strings).
type TXTRecord struct {
	Value []string `json:"value"`
}

// RecordSetProperties are a record set's served properties.
type RecordSetProperties struct {
	Metadata         map[string]string `json:"metadata,omitempty"`
	TTL              int64             `json:"ttl"`
	FQDN             string            `json:"fqdn,omitempty"`
	IsAutoRegistered bool              `json:"isAutoRegistered"`
	ARecords         []ARecord         `json:"aRecords,omitempty"`
	AAAARecords      []AAAARecord      `json:"aaaaRecords,omitempty"`
	CNAMERecord      *CNAMERecord      `json:"cnameRecord,omitempty"`
	MXRecords        []MXRecord        `json:"mxRecords,omitempty"`
	PTRRecords       []PTRRecord       `json:"ptrRecords,omitempty"`
	SOARecord        *SOARecord        `json:"soaRecord,omitempty"`
	SRVRecords       []SRVRecord       `json:"srvRecords,omitempty"`
	TXTRecords       []TXTRecord       `json:"txtRecords,omitempty"`
}

// Azure's default SOA record of a new zone (the host is not editable, the
// serial number is managed by the service).
var defaultSOA = SOARecord{
	Host:         "azureprivatedns.net",
	Email:        "azureprivatedns-host.microsoft.com",
	SerialNumber: 1,
	RefreshTime:  3600,
	RetryTime:    300,
	ExpireTime:   2419200,
	MinimumTTL:   10,
}

const (
	defaultSOATTL = 3600
	// defaultTTL is the TTL of a record set created without one.
	defaultTTL = 3600
	// autoRecordTTL is the TTL of auto-registered records.
	autoRecordTTL = 10
)
