package features

import (
	"testing"
	"time"
)

func TestStateAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const delay = 10 * time.Second
	cases := []struct {
		r    *registration
		at   time.Duration
		want string
	}{
		{nil, 0, StateNotRegistered},
		{&registration{State: StateRegistering, Changed: t0}, 0, StateRegistering},
		{&registration{State: StateRegistering, Changed: t0}, delay - time.Nanosecond, StateRegistering},
		{&registration{State: StateRegistering, Changed: t0}, delay, StateRegistered},
		{&registration{State: StateUnregistering, Changed: t0}, time.Second, StateUnregistering},
		{&registration{State: StateUnregistering, Changed: t0}, time.Hour, StateUnregistered},
		{&registration{State: StateRegistered, Changed: t0}, 0, StateRegistered},
	}
	for i, c := range cases {
		if got := stateAt(c.r, t0.Add(c.at), delay); got != c.want {
			t.Errorf("case %d: stateAt = %s, want %s", i, got, c.want)
		}
	}
	// No delay: a registration settles at once.
	if got := stateAt(&registration{State: StateRegistering, Changed: t0}, t0, 0); got != StateRegistered {
		t.Errorf("zero delay: %s", got)
	}
}

func TestLookupFeature(t *testing.T) {
	cases := []struct {
		ns, name string
		ok       bool
		want     feature
	}{
		{"microsoft.containerservice", "aksprivatelinkpreview", true, feature{"Microsoft.ContainerService", "AKSPrivateLinkPreview"}},
		{"Microsoft.ContainerService", "EnableAPIServerVnetIntegrationPreview", true, feature{"Microsoft.ContainerService", "EnableAPIServerVnetIntegrationPreview"}},
		{"MICROSOFT.NETWORK", "allowmultipleaddressprefixesonsubnet", true, feature{"Microsoft.Network", "AllowMultipleAddressPrefixesOnSubnet"}},
		{"Microsoft.ContainerService", "TrustedAccessPreview", false, feature{}},
		{"Microsoft.Network", "AKSPrivateLinkPreview", false, feature{}},
		{"Microsoft.Nope", "AKSPrivateLinkPreview", false, feature{}},
	}
	for _, c := range cases {
		got, ok := lookupFeature(c.ns, c.name)
		if ok != c.ok || got != c.want {
			t.Errorf("lookupFeature(%s, %s) = %v, %v", c.ns, c.name, got, ok)
		}
	}
	if n := len(namespaceFeatures("microsoft.containerservice")); n < 14 {
		t.Errorf("ContainerService catalog has %d features", n)
	}
	seen := map[string]bool{}
	for _, f := range allFeatures() {
		k := f.Namespace + "/" + f.Name
		if seen[k] {
			t.Errorf("duplicate %s", k)
		}
		seen[k] = true
	}
}
