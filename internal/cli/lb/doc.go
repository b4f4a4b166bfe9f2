// Package lb is `az network lb` (az 2.45): load balancers and their
// frontend IP configurations, backend address pools (and IP-based
// addresses), rules and probes, plus `az network nic ip-config
// address-pool add/remove`.
//
// Requests follow az 2.45: api-version 2022-05-01 for load balancers (the
// aaz commands' version), 2022-01-01 for network interfaces. `lb create`
// (a template deployment in az) is done as the equivalent PUTs: the public
// IP az would create when --public-ip-address names one that does not exist
// (or is omitted for a public load balancer: "PublicIP<lb>"), then the load
// balancer with frontend "LoadBalancerFrontEnd" and pool "<lb>bepool"; it
// prints {"loadBalancer": <the load balancer's properties>}, as the
// template's output. frontend-ip, rule and probe commands read the load
// balancer, change its arrays and PUT it; address-pool create/delete and
// address add/remove use the backendAddressPools child resource. Outputs
// are the aaz shape: "properties" flattened, recursively for sub-resources.
package lb
