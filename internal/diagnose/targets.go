package diagnose

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
)

const (
	vmType = "Microsoft.Compute/virtualMachines"
	// siteHostType is privlink's on-premises host (Privlink.OnPrem): a
	// vantage like a VM, accepted as a connectivity check's source.
	siteHostType = "Privlink.OnPrem/sites/hosts"
)

// findVM returns the host of a virtual machine ID: 400 for an ID that is
// not a VM's, 404 when the VM does not exist.
func findVM(s *fabric.Snapshot, property, id string) (*fabric.Host, error) {
	pid, err := arm.ParseID(id)
	if err != nil || pid.IsCollection() || !strings.EqualFold(pid.Type(), vmType) {
		return nil, arm.InvalidParameter("The value '%s' of property '%s' is not a valid virtual machine resource ID.", id, property)
	}
	h := s.Hosts[strings.ToLower(id)]
	if h == nil || h.Kind != fabric.KindVM {
		return nil, arm.ResourceNotFound(pid)
	}
	return h, nil
}

// runningSource returns the running host of a connectivity check's source:
// a virtual machine or, beyond Azure, an on-premises site host.
func runningSource(s *fabric.Snapshot, property, id string) (*fabric.Host, error) {
	pid, err := arm.ParseID(id)
	if err != nil || pid.IsCollection() || !strings.EqualFold(pid.Type(), siteHostType) {
		return runningVM(s, property, id)
	}
	h := s.Hosts[strings.ToLower(id)]
	if h == nil || h.Kind != fabric.KindOnPrem {
		return nil, arm.ResourceNotFound(pid)
	}
	if !h.Running {
		return nil, hostNotRunning(h)
	}
	return h, nil
}

// runningVM is findVM that also requires the VM to be running.
func runningVM(s *fabric.Snapshot, property, id string) (*fabric.Host, error) {
	h, err := findVM(s, property, id)
	if err != nil {
		return nil, err
	}
	if !h.Running {
		return nil, vmNotRunning(h)
	}
	return h, nil
}

// vmNICs returns the VM's interfaces, or the one named by nicID (which must
// be attached to the VM).
func vmNICs(h *fabric.Host, nicID string) ([]*fabric.NIC, error) {
	if nicID == "" {
		return h.NICs, nil
	}
	for _, n := range h.NICs {
		if arm.SameID(n.ID, nicID) {
			return []*fabric.NIC{n}, nil
		}
	}
	return nil, arm.InvalidParameter("Network interface %s is not attached to virtual machine %s.", nicID, h.ResourceID)
}

// ipConfigOf finds the IP configuration holding ip among nics.
func ipConfigOf(nics []*fabric.NIC, ip netip.Addr) *fabric.IPConfig {
	for _, n := range nics {
		for _, c := range n.IPConfigs {
			if c.PrivateIP == ip {
				return c
			}
		}
	}
	return nil
}

// parseIP parses a required address property.
func parseIP(property, v string) (netip.Addr, error) {
	if v == "" {
		return netip.Addr{}, missingProperty(property)
	}
	a, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil {
		return netip.Addr{}, arm.InvalidParameter("The value '%s' of property '%s' is not a valid IP address.", v, property)
	}
	return a.Unmap(), nil
}

// parsePort parses a port property ("*" allowed when any is true, giving 0).
func parsePort(property, v string, any bool) (uint16, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, missingProperty(property)
	}
	if v == "*" && any {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return 0, arm.InvalidParameter("The value '%s' of property '%s' is not a valid port. Acceptable values are a single integer in the range (0-65535).", v, property)
	}
	return uint16(n), nil
}

// hopResourceID writes a resource ID as Azure's connectivity hops do,
// without the leading slash.
func hopResourceID(id string) string { return strings.TrimPrefix(id, "/") }
