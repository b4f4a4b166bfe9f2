package account

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	subArg := func(required bool) *core.Arg {
		return &core.Arg{Dest: core.DestSubscription, Options: []string{"--subscription", "-s", "--name", "-n"},
			Required: required, Help: "Name or ID of subscription."}
	}
	return []*core.Group{
		{
			Name:  "account",
			Short: "Manage Azure subscription information.",
			Commands: []*core.Command{
				{
					Name: "show", Short: "Get the details of a subscription.",
					Args: []*core.Arg{subArg(false)},
					Run:  show,
				},
				{
					Name: "list", Short: "Get a list of subscriptions for the logged in account.",
					Args: []*core.Arg{
						{Dest: "all", Options: []string{"--all"}, Kind: core.Flag, Help: "List all subscriptions from all clouds, rather than just 'isDefault' ones."},
						{Dest: "refresh", Options: []string{"--refresh"}, Kind: core.Flag, Help: "Retrieve up-to-date subscriptions from server."},
					},
					TableQuery: "[].{Name:name, CloudName:cloudName, SubscriptionId:id, TenantId:tenantId, State:state, IsDefault:isDefault}",
					Run:        list,
				},
				{
					Name: "set", Short: "Set a subscription to be the current active subscription.",
					Args: []*core.Arg{subArg(true)},
					Examples: []core.Example{{
						Summary: "Set a subscription to be the current active subscription.",
						Command: "az account set --subscription MySubscription",
					}},
					Run: set,
				},
				{
					Name: "clear", Short: "Clear the subscription chosen with 'az account set'.",
					Run: func(c *core.Context) (any, error) {
						cfg, err := c.Config()
						if err != nil {
							return nil, err
						}
						cfg.Delete("subscription")
						return nil, cfg.Save()
					},
				},
				{
					Name: "list-locations", Short: "List supported regions for the current subscription.",
					Run: func(c *core.Context) (any, error) {
						client, err := c.ARM()
						if err != nil {
							return nil, err
						}
						sub, err := c.SubscriptionID()
						if err != nil {
							return nil, err
						}
						return client.List(c.Context(), "/subscriptions/"+sub+"/locations", core.SubscriptionsAPIVersion, nil)
					},
				},
				{
					Name: "get-access-token", Short: "Get a token for utilities to access Azure.",
					Args: []*core.Arg{
						{Dest: "resource", Options: []string{"--resource"}, Help: "Azure resource endpoints in AAD v1.0."},
						{Dest: "scope", Options: []string{"--scope"}, Kind: core.List, Help: "Space-separated AAD scopes in AAD v2.0."},
						{Dest: "resource_type", Options: []string{"--resource-type"}, Help: "Type of well-known resource."},
						{Dest: "tenant", Options: []string{"--tenant", "-t"}, Help: "Tenant ID for which the token is acquired."},
					},
					Run: accessToken,
				},
			},
		},
		{
			Commands: []*core.Command{
				{
					Name: "login", Short: "Log in to the privlink daemon (credentials come from the environment).",
					Long: "privlink authenticates every command with client credentials (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET,\ndefault privlink-cli / privlink); login only checks them and lists the subscriptions.",
					Args: []*core.Arg{
						{Dest: "username", Options: []string{"--username", "-u"}, Help: "User name, service principal, or managed service identity ID."},
						{Dest: "password", Options: []string{"--password", "-p"}, Help: "Credentials like user password, or for a service principal, provide client secret or a pem file with key and public certificate."},
						{Dest: "tenant", Options: []string{"--tenant", "-t"}, Help: "The AAD tenant."},
						{Dest: "service_principal", Options: []string{"--service-principal"}, Kind: core.Flag, Help: "The credential representing a service principal."},
						{Dest: "identity", Options: []string{"--identity"}, Kind: core.Flag, Help: "Log in using the Virtual Machine's identity."},
						{Dest: "allow_no_subscriptions", Options: []string{"--allow-no-subscriptions"}, Kind: core.Flag, Help: "Support access tenants without subscriptions."},
						{Dest: "use_device_code", Options: []string{"--use-device-code"}, Kind: core.Flag, Help: "Use CLI's old authentication flow based on device code."},
						{Dest: "federated_token", Options: []string{"--federated-token"}, Help: "Federated token that can be used for OIDC token exchange."},
						{Dest: "scope", Options: []string{"--scope"}, Kind: core.List, Help: "Used in the /authorize request."},
					},
					Run: func(c *core.Context) (any, error) {
						if _, err := c.Token(); err != nil {
							return nil, err
						}
						return list(c)
					},
				},
				{
					Name: "logout", Short: "Log out (a no-op: privlink keeps no login state).",
					Args: []*core.Arg{{Dest: "username", Options: []string{"--username"}, Help: "Account user."}},
					Run:  func(c *core.Context) (any, error) { return nil, nil },
				},
			},
		},
	}
}

// entry renders a subscription the way az's profile does.
func entry(c *core.Context, s core.Subscription, isDefault bool) map[string]any {
	st, _ := c.Settings()
	return map[string]any{
		"cloudName":        "AzureCloud",
		"environmentName":  "AzureCloud",
		"homeTenantId":     s.TenantID,
		"id":               s.SubscriptionID,
		"isDefault":        isDefault,
		"managedByTenants": []any{},
		"name":             s.DisplayName,
		"state":            s.State,
		"tenantId":         s.TenantID,
		"user":             map[string]any{"name": st.ClientID, "type": "servicePrincipal"},
	}
}

// current is the active subscription ID (account set, else the default).
func current(c *core.Context) (string, error) {
	if env := strings.TrimSpace(c.Getenv(core.EnvSubscriptionID)); env != "" {
		if s, err := c.FindSubscription(env); err == nil && s != nil {
			return s.SubscriptionID, nil
		}
		return env, nil
	}
	saved, err := c.SavedSubscription()
	if err != nil || saved != "" {
		return saved, err
	}
	def, err := c.DefaultSubscription()
	if err != nil {
		return "", err
	}
	return def.SubscriptionID, nil
}

func show(c *core.Context) (any, error) {
	want := c.String(core.DestSubscription)
	cur, err := current(c)
	if err != nil {
		return nil, err
	}
	if want == "" {
		want = cur
	}
	s, err := c.FindSubscription(want)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, core.Errorf("Subscription '%s' not found. Check the spelling and casing and try again.", want)
	}
	return entry(c, *s, strings.EqualFold(s.SubscriptionID, cur)), nil
}

func list(c *core.Context) (any, error) {
	subs, err := c.Subscriptions()
	if err != nil {
		return nil, err
	}
	cur, err := current(c)
	if err != nil && len(subs) > 0 {
		return nil, err
	}
	out := make([]any, 0, len(subs))
	for _, s := range subs {
		out = append(out, entry(c, s, strings.EqualFold(s.SubscriptionID, cur)))
	}
	if len(out) == 0 {
		st, _ := c.Settings()
		c.Warnf("No subscriptions found for %s.", st.ClientID)
	}
	return out, nil
}

func set(c *core.Context) (any, error) {
	want := c.String(core.DestSubscription)
	s, err := c.FindSubscription(want)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, core.Errorf("The subscription of '%s' doesn't exist in cloud 'AzureCloud'.", want)
	}
	cfg, err := c.Config()
	if err != nil {
		return nil, err
	}
	if err := cfg.Set("subscription", s.SubscriptionID); err != nil {
		return nil, err
	}
	return nil, cfg.Save()
}

func accessToken(c *core.Context) (any, error) {
	tok, err := c.Token()
	if err != nil {
		return nil, err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	tenant := c.String("tenant")
	if tenant == "" {
		if s, err := c.FindSubscription(sub); err == nil && s != nil {
			tenant = s.TenantID
		}
	}
	return map[string]any{
		"accessToken":  tok.AccessToken,
		"expiresOn":    tok.ExpiresOn.Local().Format("2006-01-02 15:04:05.000000"),
		"expires_on":   float64(tok.ExpiresOn.Unix()),
		"subscription": sub,
		"tenant":       tenant,
		"tokenType":    "Bearer",
	}, nil
}
