// Package compute is the Microsoft.Compute provider: virtual machines
// attached to existing network interfaces, with Azure's provisioning and
// power states (start, powerOff, deallocate, restart), the instance view,
// private DNS auto-registration of running machines, and the action run
// command, whose RunShellScript runs on the emulator's host with an
// environment the application supplies (proxy variables that send the
// script's traffic through the emulated fabric from the machine).
//
// Stored form (read by the fabric snapshot builder, keep it stable):
// properties.networkProfile.networkInterfaces[] is
// {"id": nicID, "properties": {"primary": bool}},
// properties.osProfile.computerName is the host name, and Record.Internal
// is {"powerState": "PowerState/running"} (PowerState/starting, running,
// stopping, stopped, deallocating, deallocated).
package compute
