package gateway

import "testing"

func TestParseBandwidth(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want int
		ok   bool
	}{
		{[]string{"50"}, 50, true},
		{[]string{"50", "Mbps"}, 50, true},
		{[]string{"50 Mbps"}, 50, true},
		{[]string{"1", "Gbps"}, 1000, true},
		{[]string{"10Gbps"}, 0, false},
		{[]string{"0"}, 0, false},
		{[]string{"1", "Gbps", "x"}, 0, false},
		{[]string{"fast"}, 0, false},
		{[]string{"1", "Tbps"}, 0, false},
	} {
		got, err := parseBandwidth(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseBandwidth(%q) = %d, %v; want %d ok=%t", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
