// Package bastion is az's "network bastion" command group (the bastion
// extension's commands; Microsoft.Network/bastionHosts, api-version
// 2022-01-01): create, show, list, delete, update, wait, ssh and tunnel.
//
// create builds the body az builds: one IP configuration
// "bastion_ip_config" in <vnet>/subnets/AzureBastionSubnet with the public
// IP (name or ID), sku (default Standard), scaleUnits (default 2, 2-50)
// and every feature flag sent explicitly (false unless given). Output is
// the aaz model: properties flattened, also inside ipConfigurations, and
// only the fields the service sent.
//
// ssh and tunnel do what az does first (Standard or Premium with
// enableTunneling, else "Bastion Host SKU must be Standard or Premium and
// Native Client must be enabled."; a full --target-resource-id, else
// "Please enter a valid resource ID. ..."), then what the Bastion service
// checks: the VM's virtual network is the bastion's or directly peered
// with it (Connected both ways). The session itself goes through the
// daemon's HTTP CONNECT proxy with the bastion host as the vantage (the
// proxy URL and credentials come from POST
// /providers/Privlink.Fabric/environment {"from": <bastion id>}), so the
// fabric evaluates it with the ordinary rules: the bastion subnet's NSG
// outbound, routes, and the VM's NSGs inbound from the bastion's address.
// Both first open one connection through the proxy (closed at once) to
// learn whether the fabric carries it; a refusal prints the fabric's
// explanation (every blocking rule, named).
//
//   - tunnel listens on 127.0.0.1:--port (0 picks a free port), prints
//     az's three warnings ("Opening tunnel on port: N", "Tunnel is ready,
//     connect on port N", "Ctrl + C to close") and forwards every
//     connection to the VM's --resource-port, until Ctrl+C, SIGTERM or
//     --timeout seconds; a connection the fabric refuses later (an NSG
//     changed meanwhile) is closed with a warning naming the reason.
//   - ssh checks --auth-type as az does (password needs --username;
//     ssh-key needs --username and --ssh-key; aad; others "Unknown auth
//     type. Use one of password, aad or ssh-key.") and that the fabric
//     carries the bastion's connection to the VM's port 22 (the built-in
//     SSH banner), then, since an emulated VM runs no SSH server, opens
//     the VM shell of `privlink vm shell`: $SHELL (or bash -c with the
//     command given after --, which az passes to ssh as the remote
//     command) with the VM's vantage variables (ALL_PROXY, ...). The
//     shell's exit status is the command's. Credentials are not checked.
//
// --target-ip-address (IP-based connection) is checked as az does ("IP
// address provided is invalid...", enableIpConnect: "`--target-ip-address`
// flag cannot be used when IpConnect is not enabled. Please use
// --target-resource-id flag instead.", ports 22 and 3389 only: "Custom
// ports are not allowed. Allowed ports for Tunnel with IP connect is 22,
// 3389."), takes precedence over --target-resource-id as in az, and skips
// the peering check: the fabric decides whether the bastion reaches the
// address (peered networks, on-premises over a gateway). ssh then runs
// the shell with the vantage of the host the connection reaches
// (environment {"from": bastion, "to": address:port}).
//
// Differences from az: rdp is not implemented, ssh takes one token after
// -- (quote a command with arguments), and ssh needs no ssh extension.
package bastion
