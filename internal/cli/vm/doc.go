// Package vm is az's "vm" and "vm run-command" command groups, as Azure CLI
// 2.45 has them (Microsoft.Compute/virtualMachines, api-version
// 2022-11-01), plus privlink's own extensions.
//
// vm create does client-side what az does (its validators pick an existing
// VNet/subnet, NSG and public IP or plan new ones, resolve image aliases and
// URNs, the admin user name, SSH keys or password), but where az submits an
// ARM template deployment, privlink sends the same resources as direct REST
// calls in the template's dependency order: VNet (or subnet in an existing
// VNet), NSG <vm>NSG with default-allow-ssh (or rdp), public IP
// <vm>PublicIP (Basic/Dynamic unless --public-ip-sku Standard or --zone),
// NIC <vm>VMNic with ipconfig<vm>, then the VM; it prints az's summary
// {fqdns, id, location, macAddress, powerState, privateIpAddress,
// publicIpAddress, resourceGroup, zones}. Network resources use
// api-version 2022-01-01. VM output follows azure-mgmt-compute's models
// (every attribute, null when absent, e.g. diskSizeGb, provisionVmAgent).
//
// Commands: create, show [-d], list [-g] [-d], delete (asks "Are you sure
// you want to perform this operation?" unless --yes), start, stop
// [--skip-shutdown], deallocate, restart, get-instance-view,
// list-ip-addresses, open-port, run-command invoke.
//
// privlink extensions (not in Azure CLI), marked so in their help:
//
//   - vm expose/unexpose/list-exposed: the Privlink.Fabric/listeners
//     extension resource "<protocol>-<port>" of the VM (api-version
//     2025-01-01) forwards the VM's port to a loopback HOST:PORT here;
//   - vm shell: POST /providers/Privlink.Fabric/environment {"from": vmID}
//     and run $SHELL (or bash -c --command) with the returned variables
//     (ALL_PROXY, ...); the shell's exit status is the command's;
//   - network dns query --from VM|ID|internet --name NAME [--type A]: POST
//     /providers/Privlink.Fabric/dnsQuery; -o table prints the answers.
//
// Known differences from az 2.45: no template deployment (and so no
// deployment resource); image plan look-ups, unmanaged disks, VHD URIs,
// availability sets, data disks, identities and the other vm create
// options not listed in its help are not implemented; instanceView prints
// as the service sends it; a missing password is read with echo on a
// terminal. network dns query takes the name positionally or as --name;
// vm shell exits with the shell's status and prints nothing more.
package vm
