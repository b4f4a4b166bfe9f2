package managedidentity

import (
	"strings"
	"testing"
)

func TestValidateIdentityName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"aks-agentpool_identity-01", true},
		{"0id", true},
		{"ID_with_UPPER", true},
		{strings.Repeat("a", 128), true},
		{"ab", false},
		{"", false},
		{strings.Repeat("a", 129), false},
		{"-leading-hyphen", false},
		{"_leading_underscore", false},
		{"has.dot", false},
		{"has space", false},
		{"ünicode", false},
	}
	for _, c := range cases {
		err := validateIdentityName(c.name)
		if (err == nil) != c.ok {
			t.Errorf("validateIdentityName(%q) = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "InvalidResourceName") {
			t.Errorf("validateIdentityName(%q) code: %v", c.name, err)
		}
	}
}

func TestNormalizeIsolationScope(t *testing.T) {
	for in, want := range map[string]string{"none": "None", "REGIONAL": "Regional", "None": "None"} {
		got, err := normalizeIsolationScope(in)
		if err != nil || got != want {
			t.Errorf("normalizeIsolationScope(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := normalizeIsolationScope("Global"); err == nil || !strings.Contains(err.Error(), "InvalidRequestContent") {
		t.Errorf("Global: %v", err)
	}
}
