package resource

import (
	"net/url"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// ProvidersAPIVersion is what az 2.45 sends for resource providers.
const ProvidersAPIVersion = "2021-04-01"

// ProviderShape is how az renders a Provider model.
var ProviderShape = &arm.Shape{Fields: []string{"id", "namespace", "registrationPolicy", "registrationState", "resourceTypes"}}

// providerWaitInterval is how often `provider register --wait` polls.
// (az sleeps 10 s; the emulator registers quickly.)
const providerWaitInterval = 2 * time.Second

func providerNamespaceArg() *core.Arg {
	return &core.Arg{Dest: "namespace", Options: []string{"--namespace", "-n"}, Required: true,
		Help: "The resource namespace, aka 'provider'."}
}

func expandArg() *core.Arg {
	return &core.Arg{Dest: "expand", Options: []string{"--expand"},
		Help: "The properties to include in the results. For example, use &$expand=metadata in the query string to retrieve resource provider metadata. To include property aliases in response, use $expand=resourceTypes/aliases."}
}

func providerPath(sub, ns string) string { return "/subscriptions/" + sub + "/providers/" + ns }

func providerGroup() *core.Group {
	return &core.Group{
		Name:  "provider",
		Short: "Manage resource providers.",
		Commands: []*core.Command{
			{
				Name: "list", Short: "Gets all resource providers for a subscription.",
				Args: []*core.Arg{expandArg()},
				Examples: []core.Example{{
					Summary: "Display all resource providers' namespace, registration state",
					Command: "az provider list --query \"[].{Provider:namespace, Status:registrationState}\" --out table",
				}},
				Run: func(c *core.Context) (any, error) {
					client, sub, err := clientAndSub(c)
					if err != nil {
						return nil, err
					}
					items, err := client.List(c.Context(), "/subscriptions/"+sub+"/providers", ProvidersAPIVersion, expandQuery(c))
					if err != nil {
						return nil, err
					}
					return ProviderShape.Apply(items), nil
				},
			},
			{
				Name: "show", Short: "Gets the specified resource provider.", Show: true,
				Args: []*core.Arg{providerNamespaceArg(), expandArg()},
				Run: func(c *core.Context) (any, error) {
					client, sub, err := clientAndSub(c)
					if err != nil {
						return nil, err
					}
					obj, err := client.Get(c.Context(), providerPath(sub, c.String("namespace")), ProvidersAPIVersion, expandQuery(c))
					if err != nil {
						return nil, err
					}
					return ProviderShape.Apply(obj), nil
				},
			},
			{
				Name: "register", Short: "Register a provider.",
				Args: []*core.Arg{
					providerNamespaceArg(),
					{Dest: "wait", Options: []string{"--wait"}, Kind: core.Flag, Help: "Wait for the registration to finish."},
					{Dest: "consent_to_permissions", Options: []string{"--consent-to-permissions", "-c"}, Kind: core.Flag,
						Help: "A value indicating whether authorization is consented or not."},
					{Dest: "management_group_id", Options: []string{"--management-group-id", "-m"},
						Help: "The management group id to register."},
					{Dest: "accept_terms", Options: []string{"--accept-terms"}, Kind: core.Flag, Hidden: true,
						Help: "Accept market place terms and RP terms for RPaaS."},
				},
				Examples: []core.Example{{
					Summary: "Register a provider.",
					Command: "az provider register --namespace 'Microsoft.PolicyInsights'",
				}},
				Run: func(c *core.Context) (any, error) { return nil, updateProvider(c, true) },
			},
			{
				Name: "unregister", Short: "Unregister a provider.",
				Args: []*core.Arg{
					providerNamespaceArg(),
					{Dest: "wait", Options: []string{"--wait"}, Kind: core.Flag, Help: "Wait for unregistration to finish."},
				},
				Examples: []core.Example{{
					Summary: "Unregister a provider.",
					Command: "az provider unregister --namespace Microsoft.Automation",
				}},
				Run: func(c *core.Context) (any, error) { return nil, updateProvider(c, false) },
			},
		},
	}
}

func expandQuery(c *core.Context) url.Values {
	if e := c.String("expand"); e != "" {
		return url.Values{"$expand": {e}}
	}
	return nil
}

// updateProvider is az's _update_provider: POST register/unregister, then
// either wait for the target state or warn that it is still going on.
func updateProvider(c *core.Context, registering bool) error {
	client, sub, err := clientAndSub(c)
	if err != nil {
		return err
	}
	ns := c.String("namespace")
	target, action, verb := "Registered", "register", "Registering"
	if !registering {
		target, action, verb = "Unregistered", "unregister", "Unregistering"
	}
	var body any
	p := providerPath(sub, ns) + "/" + action
	if registering {
		if mg := c.String("management_group_id"); mg != "" {
			p = "/providers/Microsoft.Management/managementGroups/" + mg + "/providers/" + ns + "/register"
		} else if c.Bool("consent_to_permissions") {
			body = map[string]any{"thirdPartyProviderConsent": map[string]any{"consentToAuthorization": true}}
		}
	}
	res, err := client.Post(c.Context(), p, ProvidersAPIVersion, body, false)
	if err != nil {
		return err
	}
	if stateOf(res) == strings.ToLower(target) || c.String("management_group_id") != "" {
		return nil
	}
	if !c.Bool("wait") {
		c.Warnf("%s is still on-going. You can monitor using 'az provider show -n %s'", verb, ns)
		return nil
	}
	for {
		if err := c.Sleep(providerWaitInterval); err != nil {
			return err
		}
		obj, err := client.Get(c.Context(), providerPath(sub, ns), ProvidersAPIVersion, nil)
		if err != nil {
			return err
		}
		if stateOf(obj) == strings.ToLower(target) {
			return nil
		}
	}
}

func stateOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["registrationState"].(string)
	return strings.ToLower(s)
}
