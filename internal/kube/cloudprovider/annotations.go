package cloudprovider

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Service annotations read by the cloud provider (cloud-provider-azure's
// names, prefix service.beta.kubernetes.io/).
const (
	annPrefix = "service.beta.kubernetes.io/"

	AnnInternal             = annPrefix + "azure-load-balancer-internal"
	AnnInternalSubnet       = annPrefix + "azure-load-balancer-internal-subnet"
	AnnIPv4                 = annPrefix + "azure-load-balancer-ipv4"
	AnnDisableFloatingIP    = annPrefix + "azure-disable-load-balancer-floating-ip"
	AnnIdleTimeout          = annPrefix + "azure-load-balancer-tcp-idle-timeout"
	AnnPLSCreate            = annPrefix + "azure-pls-create"
	AnnPLSResourceGroup     = annPrefix + "azure-pls-resource-group"
	AnnPLSName              = annPrefix + "azure-pls-name"
	AnnPLSSubnet            = annPrefix + "azure-pls-ip-configuration-subnet"
	AnnPLSIPCount           = annPrefix + "azure-pls-ip-configuration-ip-address-count"
	AnnPLSIPAddress         = annPrefix + "azure-pls-ip-configuration-ip-address"
	AnnPLSFQDNs             = annPrefix + "azure-pls-fqdns"
	AnnPLSProxyProtocol     = annPrefix + "azure-pls-proxy-protocol"
	AnnPLSVisibility        = annPrefix + "azure-pls-visibility"
	AnnPLSAutoApproval      = annPrefix + "azure-pls-auto-approval"
	frontendNameMaxLength   = 80
	ruleNameMaxLength       = 80
	ipFamilySuffixLength    = 5
	defaultLBNameMaxLength  = 32
	plsMinIPConfigs         = 1
	plsMaxIPConfigs         = 8
	tagClusterName          = "k8s-azure-cluster-name"
	tagOwnerService         = "k8s-azure-owner-service"
	tagService              = "k8s-azure-service"
	defaultProbeInterval    = 5
	defaultProbeThreshold   = 2
	defaultIdleTimeout      = 4
	healthProbeDefaultPath  = "/healthz"
	loadBalancerCleanupFinz = "service.kubernetes.io/load-balancer-cleanup"
)

// serviceName is cloud-provider-azure's getServiceName: "<ns>/<name>".
func serviceName(s *corev1.Service) string { return s.Namespace + "/" + s.Name }

// requiresInternal is cloud-provider-azure's requiresInternalLoadBalancer:
// the annotation must be exactly "true".
func requiresInternal(s *corev1.Service) bool {
	v, ok := s.Annotations[AnnInternal]
	return ok && v == "true"
}

// internalSubnet is the azure-load-balancer-internal-subnet annotation of
// an internal service, or nil.
func internalSubnet(s *corev1.Service) *string {
	if !requiresInternal(s) {
		return nil
	}
	if v, ok := s.Annotations[AnnInternalSubnet]; ok && strings.TrimSpace(v) != "" {
		return &v
	}
	return nil
}

// boolAnnotation is getBoolValueFromServiceAnnotations: trimmed,
// case-insensitive "true".
func boolAnnotation(s *corev1.Service, key string) bool {
	v, ok := s.Annotations[key]
	return ok && strings.EqualFold(strings.TrimSpace(v), "true")
}

// floatingIPDisabled is IsK8sServiceDisableLoadBalancerFloatingIP
// (case-insensitive, untrimmed "true").
func floatingIPDisabled(s *corev1.Service) bool {
	v, ok := s.Annotations[AnnDisableFloatingIP]
	return ok && strings.EqualFold(v, "true")
}

// baseName is cloudprovider.DefaultLoadBalancerName: "a" + the UID without
// dashes, at most 32 characters. It names the frontend IP configuration
// and prefixes the rules.
func baseName(s *corev1.Service) string {
	n := strings.ReplaceAll("a"+string(s.UID), "-", "")
	if len(n) > defaultLBNameMaxLength {
		n = n[:defaultLBNameMaxLength]
	}
	return n
}

// frontendName is getDefaultFrontendIPConfigName.
func frontendName(s *corev1.Service) string {
	b := baseName(s)
	if sub := internalSubnet(s); sub != nil {
		n := b + "-" + *sub
		if len(n) > frontendNameMaxLength {
			n = n[:frontendNameMaxLength]
		}
		return n
	}
	return b
}

// ruleName is getLoadBalancerRuleName (single stack IPv4): the probe of a
// rule has the same name.
func ruleName(s *corev1.Service, proto corev1.Protocol, port int32) string {
	prefix := baseName(s)
	name := fmt.Sprintf("%s-%s-%d", prefix, proto, port)
	sub := internalSubnet(s)
	if sub == nil {
		return name
	}
	seg := *sub
	maxLen := ruleNameMaxLength - ipFamilySuffixLength
	if len(name)+len(seg)+1 > maxLen {
		seg = seg[:max(0, maxLen-len(name)-1)]
	}
	return fmt.Sprintf("%s-%s-%s-%d", prefix, seg, proto, port)
}

// int32Annotation is Getint32ValueFromK8sSvcAnnotation with its error texts.
func int32Annotation(s *corev1.Service, key string, validate func(int32) error) (*int32, error) {
	v, ok := s.Annotations[key]
	if !ok {
		return nil, nil
	}
	v = strings.TrimSpace(v)
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("error value: %w: %s", err, v+" value must be a whole number")
	}
	i := int32(n)
	if validate != nil {
		if err := validate(i); err != nil {
			return nil, fmt.Errorf("error parsing value: %w", err)
		}
	}
	return &i, nil
}

// spaceList splits an annotation on spaces, dropping empty items.
func spaceList(s *corev1.Service, key string) []string {
	out := []string{}
	v, ok := s.Annotations[key]
	if !ok {
		return out
	}
	for _, f := range strings.Split(strings.TrimSpace(v), " ") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// plsSpec is what the azure-pls-* annotations ask for, validated.
type plsSpec struct {
	create        bool
	resourceGroup string
	name          string // "" = keep the existing name, else pls-<frontend>
	nameGiven     bool
	subnet        string // subnet name in the node VNet
	count         int32
	staticIPs     []string // annotation order; the first is primary
	fqdns         []string
	proxyProtocol bool
	visibility    []string
	autoApproval  []string
}

// parsePLS reads the annotations with cloud-provider-azure's parsing and
// error texts (getPLSIPConfigCount, getPLSStaticIPs, ...).
func parsePLS(s *corev1.Service, nodeRG, nodeSubnet string) (plsSpec, error) {
	p := plsSpec{create: boolAnnotation(s, AnnPLSCreate), resourceGroup: nodeRG, subnet: nodeSubnet, count: 1}
	if v, ok := s.Annotations[AnnPLSResourceGroup]; ok && strings.TrimSpace(v) != "" {
		p.resourceGroup = strings.TrimSpace(v)
	}
	if v, ok := s.Annotations[AnnPLSName]; ok {
		p.name, p.nameGiven = strings.TrimSpace(v), true
	}
	if v, ok := s.Annotations[AnnPLSSubnet]; ok && strings.TrimSpace(v) != "" {
		p.subnet = v
	} else if sub := internalSubnet(s); sub != nil {
		p.subnet = *sub
	}
	cnt, err := int32Annotation(s, AnnPLSIPCount, func(v int32) error {
		if v < plsMinIPConfigs {
			return fmt.Errorf("minimum number of private link service ipConfig is %d, %d provided", plsMinIPConfigs, v)
		}
		if v > plsMaxIPConfigs {
			return fmt.Errorf("maximum number of private link service ipConfig is %d, %d provided", plsMaxIPConfigs, v)
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	if cnt != nil {
		p.count = *cnt
	}
	seen := map[string]bool{}
	for _, ip := range spaceList(s, AnnPLSIPAddress) {
		parsed := net.ParseIP(ip)
		if parsed == nil {
			return p, fmt.Errorf("getPLSStaticIPs: %s is not a valid IP address", ip)
		}
		if parsed.To4() == nil {
			return p, fmt.Errorf("getPLSStaticIPs: private link service ip config only supports IPv4, %s provided", ip)
		}
		if !seen[ip] {
			seen[ip] = true
			p.staticIPs = append(p.staticIPs, ip)
		}
	}
	if int(p.count) < len(p.staticIPs) {
		return p, fmt.Errorf("checkAndUpdatePLSIPConfigs: ipConfigCount(%d) must be no smaller than number of static IPs specified(%d)", p.count, len(p.staticIPs))
	}
	p.fqdns = spaceList(s, AnnPLSFQDNs)
	p.proxyProtocol = boolAnnotation(s, AnnPLSProxyProtocol)
	for _, v := range spaceList(s, AnnPLSVisibility) {
		if v == "*" {
			p.visibility = []string{"*"}
			break
		}
		p.visibility = append(p.visibility, v)
	}
	if p.visibility == nil {
		p.visibility = []string{}
	}
	p.autoApproval = spaceList(s, AnnPLSAutoApproval)
	return p, nil
}

// hasAdditionalPLSConfigs is serviceHasAdditionalConfigs: a service that
// sets any PLS annotation besides create/resource group cannot share
// another service's link service.
func hasAdditionalPLSConfigs(s *corev1.Service) bool {
	for _, k := range []string{AnnPLSName, AnnPLSSubnet, AnnPLSIPCount, AnnPLSIPAddress, AnnPLSFQDNs,
		AnnPLSProxyProtocol, AnnPLSVisibility, AnnPLSAutoApproval} {
		if _, ok := s.Annotations[k]; ok {
			return true
		}
	}
	return false
}

// natIPConfigName is reconcilePLSIpConfigs' name: <subnet>-<pls><suffix>,
// the prefix cut so that the name has at most 80 characters.
func natIPConfigName(subnet, pls, suffix string) string {
	prefix := subnet + "-" + pls
	if maxLen := frontendNameMaxLength - len(suffix); len(prefix) > maxLen {
		prefix = prefix[:maxLen]
	}
	return prefix + suffix
}
