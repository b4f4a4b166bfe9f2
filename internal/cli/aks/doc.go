// Package aks is az's "aks" command group as Azure CLI 2.45 with the
// aks-preview extension has it, for private clusters: create, update,
// show, list, delete, stop, start, wait, get-credentials, command
// invoke/result and nodepool list/show, against
// Microsoft.ContainerService/managedClusters with api-version 2022-11-01.
//
// create validates its arguments like az's managed cluster decorator (the
// messages are az's, see the tests) before sending anything, defaults the
// DNS prefix ({name[:10]}-{rg[:16]}-{subscription[:6]}), the location (the
// resource group's), the identity (SystemAssigned, or UserAssigned with
// --assign-identity) and the network profile (az's SDK defaults), and PUTs
// the ManagedCluster. SSH keys: --ssh-key-value, else ~/.ssh/id_rsa.pub,
// else --generate-ssh-keys; with none of them (or --no-ssh-key) the cluster
// has no linuxProfile, as in later az versions where SSH is optional (az
// 2.45 itself fails). update is az's read-modify-write: GET, validate
// against the current cluster, change, PUT without read-only attributes.
//
// Outputs are az's: "properties" flattened and attribute names as the
// Python SDK spells them (privateFQDN -> privateFqdn, dnsServiceIP ->
// dnsServiceIp); absent attributes are not printed as null.
//
// get-credentials merges the kubeconfig returned by
// listClusterUserCredential / listClusterAdminCredential into ~/.kube/config
// (or --file, "-" for stdout, or the first KUBECONFIG entry) like az's
// merge_kubernetes_configurations, using client-go's clientcmd.
//
// command invoke zips the --file attachments into the request's context
// (base64 with newlines, as Python's base64.encodebytes), POSTs runCommand
// and polls the commandResults Location (honouring Retry-After, at most once
// a second; 5 s without it) and prints az's summary line and the logs; the
// exit code is 0 whatever the command's (az does not propagate it).
package aks
