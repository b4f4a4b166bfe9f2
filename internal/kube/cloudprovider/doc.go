// Package cloudprovider is the Azure cloud provider of privlink's AKS
// clusters: for each cluster, in the daemon's process, it does what
// cloud-provider-azure's service controller does on AKS for Services of
// type LoadBalancer, creating Azure resources in the node resource group
// through the ARM front end (the same providers, validation and data plane
// a user's calls get).
//
// # Running
//
// Start (one per cluster, when its control plane starts; Stop when it
// stops or is deleted) watches Services and Nodes through informers on
// the cluster's API server. Services are reconciled one at a time by a
// single worker (a key is never processed concurrently, and load balancer
// writes are serialised), failures are retried with per-Service
// exponential backoff (Config.RetryBase .. RetryMax), and every Service
// is reconciled again every Config.Resync. Like the Kubernetes service
// controller it adds the finalizer service.kubernetes.io/load-balancer-cleanup,
// so that a deleted Service (or one that stops being a LoadBalancer) is
// cleaned up before it disappears, and it records the service
// controller's events (source "service-controller"):
// EnsuringLoadBalancer "Ensuring load balancer", EnsuredLoadBalancer
// "Ensured load balancer", SyncLoadBalancerFailed (Warning) "Error syncing
// load balancer: failed to ensure load balancer: <err>",
// DeletingLoadBalancer, DeletedLoadBalancer and DeleteLoadBalancerFailed
// "Error deleting load balancer: <err>".
//
// # What a LoadBalancer Service becomes (cloud-provider-azure's names)
//
//   - the load balancer <ClusterName> (public) or <ClusterName>-internal
//     (annotation azure-load-balancer-internal exactly "true"), Standard
//     SKU; AKS's ClusterName is "kubernetes";
//   - a frontend IP configuration named "a" + the Service UID without
//     dashes, cut to 32 characters (DefaultLoadBalancerName), with
//     "-<subnet>" appended when azure-load-balancer-internal-subnet is set
//     (at most 80 characters). Internal frontends sit in that subnet of
//     the node VNet, else in the node subnet, with the static address of
//     azure-load-balancer-ipv4 (or spec.loadBalancerIP) or a dynamic one
//     that is kept across updates; public frontends use the public IP
//     <ClusterName>-<frontend> (Standard, Static, tags k8s-azure-service and
//     k8s-azure-cluster-name), or the node resource group's public IP
//     holding the requested address;
//   - the backend pool <ClusterName>, joined by every node's NIC IP
//     configuration (nodeIPConfiguration pools, AKS's default);
//   - per port, the rule <frontend>-<PROTOCOL>-<port> (with the internal
//     subnet: <prefix>-<subnet>-<PROTOCOL>-<port>, at most 75 characters)
//     frontendPort = port, backendPort = nodePort, idle timeout 4 minutes
//     (azure-load-balancer-tcp-idle-timeout), TCP reset on, and for TCP
//     ports a probe of the same name: Tcp on the node port every 5 s,
//     threshold 2, or with externalTrafficPolicy Local Http
//     /healthz on the healthCheckNodePort;
//   - status.loadBalancer.ingress[0].ip = the frontend address.
//
// A secondary Service asking for an internal address that another
// Service's frontend already has shares that frontend. Switching a Service
// between internal and public removes it from the other load balancer
// first. A Service that leaves removes its rules and probes, its frontend
// when no rule uses it any more (after the link service on it), its
// public IP, and the load balancer when no frontend remains (the NICs
// leave the pool first).
//
// # Private link services (the ten azure-pls-* annotations)
//
// Parsing, defaults and error texts are cloud-provider-azure's
// (reconcilePrivateLinkService, azure_privatelinkservice.go): azure-pls-create
// and azure-pls-proxy-protocol are true when trimmed and case-insensitively
// "true"; lists (ip-address, fqdns, visibility, auto-approval) split on
// spaces; a "*" in visibility collapses it to ["*"]; the name defaults to
// pls-<frontend>, the resource group to the node resource group, the
// subnet to azure-pls-ip-configuration-subnet, else the internal subnet,
// else the node subnet; the count to 1 (1-8). NAT IP configurations are
// <subnet>-<pls>-static-<ip> (annotation order, the first primary) then
// <subnet>-<pls>-dynamic-<i> (dynamic-0 primary when there is no static
// address), cut to 80 characters, IPv4. Tags: k8s-azure-cluster-name and
// k8s-azure-owner-service "<ns>/<name>" (existing values are kept). The
// NAT subnet's privateLinkServiceNetworkPolicies is set to Disabled before
// the link service is written, as cloud-provider-azure does. A link
// service that belongs to another cluster ("unmanaged"), or to another
// Service when this one sets any PLS annotation beyond create/resource
// group, is an error; otherwise it is shared untouched. Renaming an
// existing link service is refused. Removing only azure-pls-create keeps
// the link service; it goes with its frontend (Service deleted, switched
// to public, or no longer a LoadBalancer), after each of its private
// endpoint connections has been deleted.
//
// # Differences from cloud-provider-azure (deliberate)
//
//   - Everything is validated and looked up before anything is written:
//     cloud-provider-azure writes the load balancer before it validates
//     the PLS annotations, so a bad annotation leaves a load balancer
//     without link service; here an invalid Service writes nothing and its
//     SyncLoadBalancerFailed event repeats with the backoff.
//   - (Not a difference: rules use floating IP unless the Service sets
//     azure-disable-load-balancer-floating-ip, as cloud-provider-azure
//     does: backendPort is then the Service port and the node agent's
//     listener on the load balancer's address takes the flow, as
//     kube-proxy's rules do; with the annotation the rule targets the
//     node port. Probes always target the node port, or the health
//     check node port with externalTrafficPolicy Local.)
//   - Not implemented: the other azure-load-balancer-* annotations
//     (resource group, mode, health probe overrides, shared security
//     rules, NSG rules for the Service), outbound rules, IPv6/dual stack,
//     multiple standard load balancers, and UDP probes.
package cloudprovider
