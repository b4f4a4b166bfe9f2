package afd

import (
	"strconv"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is what the CLI sends for Microsoft.Cdn.
const (
	APIVersion = "2022-11-01-preview"
	namespace  = "Microsoft.Cdn"
)

var flat = &arm.Shape{Flatten: true}

// Resource types.
var (
	ProfileType     = core.ResourceType{Namespace: namespace, Types: []string{"profiles"}, APIVersion: APIVersion, Shape: flat}
	EndpointType    = core.ResourceType{Namespace: namespace, Types: []string{"profiles", "afdEndpoints"}, APIVersion: APIVersion, Shape: flat}
	OriginGroupType = core.ResourceType{Namespace: namespace, Types: []string{"profiles", "originGroups"}, APIVersion: APIVersion, Shape: flat}
	OriginType      = core.ResourceType{Namespace: namespace, Types: []string{"profiles", "originGroups", "origins"}, APIVersion: APIVersion, Shape: flat}
	RouteType       = core.ResourceType{Namespace: namespace, Types: []string{"profiles", "afdEndpoints", "routes"}, APIVersion: APIVersion, Shape: flat}
)

// Groups returns the command groups.
func Groups() []*core.Group {
	return []*core.Group{
		{Name: "afd", Short: "Manage Azure Front Door Standard/Premium."},
		profileGroup(), endpointGroup(), originGroupGroup(), originGroup(), routeGroup(),
	}
}

func profileArg() *core.Arg {
	return &core.Arg{Dest: "profile_name", Options: []string{"--profile-name"}, Help: "Name of the Azure Front Door Standard or Azure Front Door Premium profile which is unique within the resource group."}
}

// leafArg is the resource's own name: --<kind>-name, --name, -n.
func leafArg(kind, help string) *core.Arg {
	return &core.Arg{Dest: "name", Options: []string{"--" + kind + "-name", "--name", "-n"}, Help: help}
}

func group(name, short string, r *core.Resource, noun string, create *core.Command) *core.Group {
	return &core.Group{Name: "afd " + name, Short: short, Commands: []*core.Command{
		create,
		r.ShowCommand("Get the details of " + noun + "."),
		r.ListCommand("List " + noun + "s."),
		r.DeleteCommand("Delete "+noun+".", true, false),
	}}
}

// create builds a create command: extra arguments, and body from them.
func create(r *core.Resource, short string, extra []*core.Arg, body func(c *core.Context) (map[string]any, error)) *core.Command {
	args := r.Args(true)
	for _, a := range args {
		a.IDPart = ""
	}
	return &core.Command{
		Name: "create", Short: short, Args: append(args, extra...), NoWait: true,
		Run: func(c *core.Context) (any, error) {
			b, err := body(c)
			if err != nil {
				return nil, err
			}
			return r.Put(c, b)
		},
	}
}

func enabledArg(help string) *core.Arg {
	return &core.Arg{Dest: "enabled_state", Options: []string{"--enabled-state"}, Choices: []string{"Enabled", "Disabled"}, Help: help}
}

// setString sets props[key] from an argument when given.
func setString(c *core.Context, props map[string]any, dest, key string) {
	if c.Has(dest) {
		props[key] = c.String(dest)
	}
}

// setInt sets props[key] from an integer argument when given.
func setInt(c *core.Context, props map[string]any, dest, key string) error {
	if !c.Has(dest) {
		return nil
	}
	n, err := strconv.Atoi(c.String(dest))
	if err != nil {
		return core.Usagef("argument --%s: invalid int value: '%s'", key, c.String(dest))
	}
	props[key] = n
	return nil
}

// --- profile

func profileGroup() *core.Group {
	r := core.NewResource(ProfileType, leafArg("profile", "Name of the Azure Front Door Standard or Azure Front Door Premium profile which is unique within the resource group."))
	extra := []*core.Arg{
		{Dest: "sku", Options: []string{"--sku"}, Required: true, Choices: []string{"Premium_AzureFrontDoor", "Standard_AzureFrontDoor"}, Help: "The pricing tier of the Azure Front Door profile."},
		{Dest: "origin_response_timeout_seconds", Options: []string{"--origin-response-timeout-seconds"}, Kind: core.Int, Help: "Send and receive timeout on forwarding request to the origin. When timeout is reached, the request fails and returns."},
		core.TagsArg(),
	}
	return group("profile", "Manage Azure Front Door Standard/Premium profiles.", r, "an Azure Front Door profile",
		create(r, "Create a new Azure Front Door Standard or Azure Front Door Premium profile.", extra, func(c *core.Context) (map[string]any, error) {
			props := map[string]any{}
			if err := setInt(c, props, "origin_response_timeout_seconds", "originResponseTimeoutSeconds"); err != nil {
				return nil, err
			}
			b := map[string]any{"location": "global", "sku": map[string]any{"name": c.String("sku")}, "properties": props}
			if c.Has("tags") {
				b["tags"] = c.Tags("tags")
			}
			return b, nil
		}))
}

// --- endpoint

func endpointGroup() *core.Group {
	r := core.NewResource(EndpointType, profileArg(), leafArg("endpoint", "Name of the endpoint under the profile which is unique globally."))
	extra := []*core.Arg{enabledArg("Whether to enable use of this rule."), core.TagsArg()}
	return group("endpoint", "Manage AFD endpoints within the specified profile.", r, "an AFD endpoint",
		create(r, "Create an AFD endpoint within the specified profile.", extra, func(c *core.Context) (map[string]any, error) {
			props := map[string]any{}
			setString(c, props, "enabled_state", "enabledState")
			b := map[string]any{"location": "global", "properties": props}
			if c.Has("tags") {
				b["tags"] = c.Tags("tags")
			}
			return b, nil
		}))
}

// --- origin group

func originGroupGroup() *core.Group {
	r := core.NewResource(OriginGroupType, profileArg(), leafArg("origin-group", "Name of the origin group which is unique within the endpoint."))
	extra := []*core.Arg{
		{Dest: "probe_request_type", Options: []string{"--probe-request-type"}, Choices: []string{"GET", "HEAD", "NotSet"}, Help: "The type of health probe request that is made."},
		{Dest: "probe_protocol", Options: []string{"--probe-protocol"}, Choices: []string{"Http", "Https", "NotSet"}, Help: "Protocol to use for health probe."},
		{Dest: "probe_interval_in_seconds", Options: []string{"--probe-interval-in-seconds"}, Kind: core.Int, Help: "The number of seconds between health probes."},
		{Dest: "probe_path", Options: []string{"--probe-path"}, Help: "The path relative to the origin that is used to determine the health of the origin."},
		{Dest: "sample_size", Options: []string{"--sample-size"}, Kind: core.Int, Help: "The number of samples to consider for load balancing decisions."},
		{Dest: "successful_samples_required", Options: []string{"--successful-samples-required"}, Kind: core.Int, Help: "The number of samples within the sample period that must succeed."},
		{Dest: "additional_latency_in_milliseconds", Options: []string{"--additional-latency-in-milliseconds"}, Kind: core.Int, Help: "The additional latency in milliseconds for probes to fall into the lowest latency bucket."},
	}
	return group("origin-group", "Manage origin groups under the specified profile.", r, "an origin group",
		create(r, "Create a new origin group within the specified profile.", extra, func(c *core.Context) (map[string]any, error) {
			lb := map[string]any{}
			for dest, key := range map[string]string{"sample_size": "sampleSize", "successful_samples_required": "successfulSamplesRequired",
				"additional_latency_in_milliseconds": "additionalLatencyInMilliseconds"} {
				if err := setInt(c, lb, dest, key); err != nil {
					return nil, err
				}
			}
			props := map[string]any{"loadBalancingSettings": lb}
			hp := map[string]any{}
			setString(c, hp, "probe_request_type", "probeRequestType")
			setString(c, hp, "probe_protocol", "probeProtocol")
			setString(c, hp, "probe_path", "probePath")
			if err := setInt(c, hp, "probe_interval_in_seconds", "probeIntervalInSeconds"); err != nil {
				return nil, err
			}
			if len(hp) > 0 {
				props["healthProbeSettings"] = hp
			}
			return map[string]any{"properties": props}, nil
		}))
}

// --- origin

func originGroup() *core.Group {
	r := core.NewResource(OriginType, profileArg(),
		&core.Arg{Dest: "origin_group_name", Options: []string{"--origin-group-name"}, Help: "Name of the origin group which is unique within the profile."},
		leafArg("origin", "Name of the origin which is unique within the origin group."))
	extra := []*core.Arg{
		{Dest: "host_name", Options: []string{"--host-name"}, Required: true, Help: "The address of the origin. Domain names, IPv4 addresses, and IPv6 addresses are supported. This should be unique across all origins in an endpoint."},
		{Dest: "origin_host_header", Options: []string{"--origin-host-header"}, Help: "The host header value sent to the origin with each request. If you leave this blank, the request hostname determines this value."},
		{Dest: "http_port", Options: []string{"--http-port"}, Kind: core.Int, Default: "80", Help: "The value of the HTTP port. Must be between 1 and 65535."},
		{Dest: "https_port", Options: []string{"--https-port"}, Kind: core.Int, Default: "443", Help: "The value of the HTTPS port. Must be between 1 and 65535."},
		{Dest: "priority", Options: []string{"--priority"}, Kind: core.Int, Help: "Priority of origin in given origin group for load balancing. Higher priorities will not be used for load balancing if any lower priority origin is healthy. Must be between 1 and 5."},
		{Dest: "weight", Options: []string{"--weight"}, Kind: core.Int, Help: "Weight of the origin in given origin group for load balancing. Must be between 1 and 1000."},
		enabledArg("Whether to enable health probes to be made against backends defined under backendPools. Health probes can only be disabled if there is a single enabled backend in single enabled backend pool."),
		{Dest: "enforce_certificate_name_check", Options: []string{"--enforce-certificate-name-check"}, Kind: core.TriState, Help: "Whether to enable certificate name check at origin level."},
		{Dest: "enable_private_link", Options: []string{"--enable-private-link"}, Kind: core.TriState, Help: "Indicates whether private link is enabled on that origin."},
		{Dest: "private_link_resource", Options: []string{"--private-link-resource"}, Help: "The resource ID of the origin that will be connected to using the private link."},
		{Dest: "private_link_location", Options: []string{"--private-link-location"}, Help: "The location of origin that will be connected to using the private link."},
		{Dest: "private_link_request_message", Options: []string{"--private-link-request-message"}, Help: "The message that is shown to the approver of the private link request."},
		{Dest: "private_link_sub_resource_type", Options: []string{"--private-link-sub-resource-type"}, Help: "The sub-resource type of the origin that will be connected to using the private link. You can use \"az network private-link-resource list\" to obtain the supported sub-resource types."},
	}
	return group("origin", "Manage origins within the specified origin group.", r, "an origin",
		create(r, "Create an AFD origin.", extra, func(c *core.Context) (map[string]any, error) {
			props := map[string]any{"hostName": c.String("host_name")}
			setString(c, props, "origin_host_header", "originHostHeader")
			setString(c, props, "enabled_state", "enabledState")
			for dest, key := range map[string]string{"http_port": "httpPort", "https_port": "httpsPort", "priority": "priority", "weight": "weight"} {
				if c.Has(dest) || c.String(dest) != "" {
					n, err := strconv.Atoi(c.String(dest))
					if err != nil {
						return nil, core.Usagef("argument --%s: invalid int value: '%s'", key, c.String(dest))
					}
					props[key] = n
				}
			}
			if v := c.OptBool("enforce_certificate_name_check"); v != nil {
				props["enforceCertificateNameCheck"] = *v
			}
			if v := c.OptBool("enable_private_link"); v != nil && *v {
				if c.String("private_link_resource") == "" || c.String("private_link_location") == "" {
					return nil, core.Usagef("usage error: --private-link-resource and --private-link-location are required when --enable-private-link is true")
				}
				spl := map[string]any{
					"privateLink":         map[string]any{"id": c.String("private_link_resource")},
					"privateLinkLocation": c.String("private_link_location"),
				}
				setString(c, spl, "private_link_request_message", "requestMessage")
				setString(c, spl, "private_link_sub_resource_type", "groupId")
				props["sharedPrivateLinkResource"] = spl
			}
			return map[string]any{"properties": props}, nil
		}))
}

// --- route

func routeGroup() *core.Group {
	r := core.NewResource(RouteType, profileArg(),
		&core.Arg{Dest: "endpoint_name", Options: []string{"--endpoint-name"}, Help: "Name of the endpoint under the profile which is unique globally."},
		leafArg("route", "Name of the routing rule."))
	extra := []*core.Arg{
		{Dest: "origin_group", Options: []string{"--origin-group"}, Required: true, Help: "Name or ID of the origin group to be associated with."},
		{Dest: "supported_protocols", Options: []string{"--supported-protocols"}, Kind: core.List, Help: "List of supported protocols for this route. Allowed values: Http, Https."},
		{Dest: "link_to_default_domain", Options: []string{"--link-to-default-domain"}, Choices: []string{"Enabled", "Disabled"}, Help: "Whether this route will be linked to the default endpoint domain."},
		{Dest: "forwarding_protocol", Options: []string{"--forwarding-protocol"}, Choices: []string{"HttpOnly", "HttpsOnly", "MatchRequest"}, Help: "Protocol this rule will use when forwarding traffic to backends."},
		{Dest: "https_redirect", Options: []string{"--https-redirect"}, Choices: []string{"Enabled", "Disabled"}, Help: "Whether to automatically redirect HTTP traffic to HTTPS traffic."},
		{Dest: "patterns_to_match", Options: []string{"--patterns-to-match"}, Kind: core.List, Help: "The route patterns of the rule."},
		{Dest: "origin_path", Options: []string{"--origin-path"}, Help: "A directory path on the origin that Azure Front Door can use to retrieve content from."},
		enabledArg("Whether to enable use of this rule."),
	}
	return group("route", "Manage routes under an AFD endpoint.", r, "a route",
		create(r, "Create a new route within the specified endpoint.", extra, func(c *core.Context) (map[string]any, error) {
			og := c.String("origin_group")
			if !arm.IsValidResourceID(og) {
				sub, err := c.SubscriptionID()
				if err != nil {
					return nil, err
				}
				og = OriginGroupType.Path(sub, c.String("resource_group"), c.String("profile_name"), og)
			}
			props := map[string]any{"originGroup": map[string]any{"id": og}}
			if l := c.List("supported_protocols"); len(l) > 0 {
				props["supportedProtocols"] = l
			}
			if l := c.List("patterns_to_match"); len(l) > 0 {
				props["patternsToMatch"] = l
			}
			setString(c, props, "link_to_default_domain", "linkToDefaultDomain")
			setString(c, props, "forwarding_protocol", "forwardingProtocol")
			setString(c, props, "https_redirect", "httpsRedirect")
			setString(c, props, "origin_path", "originPath")
			setString(c, props, "enabled_state", "enabledState")
			return map[string]any{"properties": props}, nil
		}))
}
