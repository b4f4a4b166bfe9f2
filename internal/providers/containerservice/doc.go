// Package containerservice is the Microsoft.ContainerService provider:
// AKS managed clusters (managedClusters, their agentPools, credentials,
// stop/start and run command) whose API servers are real kube-apiservers
// (internal/kube) reachable only through the emulated network.
//
// # How a cluster is realised
//
// PUT validates everything that can be refused (azure-behavior.md §3 and
// the CLI's messages where the service's are undocumented) and stores the
// cluster in Creating/Updating with its read-only names already set: fqdn
// "<dnsPrefix>-<8 hex>.hcp.<region>.azmk8s.io", azurePortalFQDN, and for
// private clusters privateFQDN "<dnsPrefix>-<8 hex>.<guid>.privatelink.
// <region>.azmk8s.io" (the two 8-hex values differ). The provisioner hands
// the operation to this package's controller (arm.ErrKeepPending), which
// creates what AKS creates, through the ARM front end in process as the
// AKS first-party identity (so each resource is validated, stored and seen
// by the data plane exactly like a user's):
//
//   - the node resource group MC_<rg>_<name>_<region> (managedBy the
//     cluster) with, in managed-VNet mode, aks-vnet-<n> (10.224.0.0/12,
//     aks-subnet 10.224.0.0/16, and the delegated aks-apiserver-subnet
//     10.225.0.0/28 with VNet integration);
//   - one machine per node, "aks-<pool>-<n>-vmss<i>", with a NIC in the
//     pool's subnet (VM scale set instances are modelled as virtual
//     machines in the node resource group), registered as Ready Nodes;
//   - the control plane's host: a machine "kube-apiserver" in a hidden
//     resource group hcp-<cluster guid> of the Microsoft-owned
//     InfraSubscription, whose port 443 (a Privlink.Fabric listener) is the
//     cluster's kube-apiserver. Without VNet integration it sits in a
//     hidden network 10.255.0.0/24; with it, its NIC is in the delegated
//     API server subnet and holds the 8 addresses that, with the load
//     balancer frontend, make the 9 a cluster reserves there;
//   - public access: a Standard public IP on the host, an NSG that admits
//     TCP 443 from the Internet or only from authorizedIPRanges, and the
//     public FQDN in the emulated public DNS;
//   - Private Link: an internal load balancer and a private link service
//     in the hidden network (visible to and auto-approving the cluster's
//     subscription) and the private endpoint "kube-apiserver" in the first
//     pool's subnet; system mode adds the private DNS zone
//     "<guid>.privatelink.<region>.azmk8s.io" in the node resource group
//     with the A record and a link to the cluster VNet only; a custom zone
//     gets the record (the identity needs Private DNS Zone Contributor);
//     none publishes the public FQDN with the private address;
//   - VNet integration: the internal load balancer "kube-apiserver" in
//     the node resource group with its frontend in the API server subnet;
//     private mode publishes the private FQDN in the system zone; toggling
//     private mode adds or removes the public IP and public DNS entries
//     without touching the hostname.
//
// The AKS endpoint's connection to the hidden link service targets the
// link service directly (Azure shows the managed cluster's resource ID and
// groupId "management"): a known difference.
//
// Stop deallocates the nodes, stops the API server (its data stays in
// etcd) and, for Private Link clusters, deletes the link service and the
// endpoint; start recreates them, so endpoints users made to the old link
// service stay Disconnected, as in Azure. Delete removes the Kubernetes
// data and certificates, the node resource group and the hidden control
// plane. A failed create is torn down the same way and leaves only the
// Failed record.
//
// Every cluster runs Kubernetes KubernetesVersion (one version is embedded
// in the binary); other versions are refused with K8sVersionNotSupported.
package containerservice
