// Package property holds privlink's isolation property test: random small
// Azure topologies (VNets, subnets, peerings, NSGs, route tables, VMs,
// declared listeners) are created through the ARM API of an in-process
// daemon, and for every pair of VMs and a set of TCP ports the live
// fabric's answer (a real TCP connection through the daemon's SOCKS5
// listener to a real loopback echo listener) must equal an independent
// reference model of Azure's rules written inside the test.
//
// About a third of the topologies add Private Link (gen_test.go,
// refmodel_pl_test.go): a provider VNet (its space may overlap a
// consumer's) with backends behind a Standard internal load balancer
// published as a private link service, and 1-3 private endpoints in
// consumer subnets whose connections the owner leaves, approves, rejects
// or removes. Every VM also connects to every endpoint on every test port
// and must get the model's answer; on top of that, whatever the model
// says, a connection that is not Approved carries no byte: its SOCKS
// reply is a failure followed by nothing, the data the client sent with
// its CONNECT request never reaches a backend (the backends count the
// connections that carried client bytes, which must equal the endpoint
// connections answered 0x00), and the backends see only NAT IPs.
//
// The reference model (refmodel_test.go) is written from Azure's
// documented behaviour, not from internal/fabric/path, so the two can
// disagree; when they do, the test prints the seed and the topology.
//
// Each topology lives in a fresh subscription and its resource group is
// deleted once checked, which keeps the fabric's snapshots small. A
// failing topology is reported with the seed, the command that
// reproduces it, its description, the mismatching probes and a smaller
// variant that still fails (found by greedy shrinking, shrink_test.go).
//
// Run with: go test -race ./test/property/ [-args -seed N -topologies N -topology I]
// (or PRIVLINK_PROPERTY_SEED=N). CI=true runs 1,000 topologies, otherwise
// 100.
package property
