// Package kube runs the Kubernetes control planes of privlink's AKS
// clusters: a real kube-apiserver and kube-controller-manager
// (k8s.io/kubernetes v1.37.1, KubernetesVersion) per cluster, inside the
// privlink process.
//
// # In process
//
// A Manager starts one API server and one controller-manager per cluster
// (Manager.Start), as goroutines of the daemon rather than subprocesses:
// an extra cluster costs about 150-190 MiB instead of ~300 MiB and becomes
// ready in a second or two. The price is what a process shares: feature
// gates and the emulated version are process-wide (every cluster is
// v1.37.1), klog is one logger (routed to the last Manager's Config.Log:
// errors at warn level unless known noise, other V(0) messages at debug
// level, verbose V(n>0) messages dropped; before any Manager exists, as in
// `privlink kubectl`, warnings and errors go to stderr), one metrics
// registry, and a fatal error in one component ends the daemon. The
// controller-manager registers process-wide names (its configz entry, its
// informer name); they are reset before each one starts, and starts are
// serialized. Each controller-manager has its own context and is stopped
// before its API server (a controller-manager whose API server vanished
// while it starts calls klog.Fatal).
//
// Objects live in the etcd that Config.Etcd names (privlink's embedded
// etcd), each cluster under the prefix "/privlink/kube/<Key>", so clusters
// do not see each other's objects. The API servers do not compact etcd
// (--etcd-compaction-interval=0): an API server compacts the whole
// keyspace, which is shared with the other clusters and privlink's state;
// etcd's own auto-compaction does it. The controllers run are the ones a
// cluster without kubelets needs (namespace, service accounts and their
// tokens, workloads, endpoints and endpoint slices, garbage collection,
// jobs, root CA publishing, RBAC aggregation, quotas, disruption budgets);
// node IPAM, node lifecycle, cloud and volume controllers are not.
//
// The version variables of component-base and client-go are set from Go
// (go:linkname) so that the server reports v1.37.1 without -ldflags.
//
// # Reachable only through the fabric
//
// An API server of a private cluster must not be a host port that any
// local program could dial to bypass privlink's network rules. Each one
// serves on a 127.0.0.1 TCP listener (Cluster.Addr) that accepts only
// connections made by this very process: for each accepted connection the
// client's (address, port) is looked up in /proc/net/tcp and tcp6, and the
// socket's inode must be among the process's /proc/self/fd links
// (socket:[inode]). Any other connection is closed at once (logged at debug
// level). privlink's data plane, which enforces the emulated network, and
// the API server's own loopback client run in process and pass; kubectl or
// curl run by a user do not, and must go through the data plane. This
// needs Linux's /proc; elsewhere every connection is refused.
//
// # Credentials
//
// Each cluster has a directory DataDir/<Key> (mode 0700) holding its CA,
// the serving certificate (SANs: the spec's DNS names and addresses, the
// kubernetes Service names and its address), the service-account signing
// key (RSA, issuer https://kubernetes.default.svc.cluster.local), the
// front-proxy CA and client, and the client certificates of the admin
// (CN=masterclient, O=system:masters, as AKS's admin credential), the user
// (CN=clusterUser, O=system:masters: AKS without Entra ID gives users
// admin rights too) and the controller-manager. They are created once and
// reused, so kubeconfigs handed out earlier keep working across restarts;
// client certificates are valid two years like AKS's and re-issued within
// 30 days of expiry. When the spec's SANs change, Start re-issues only the
// serving certificate (same CA) and restarts the API server.
//
// # Nodes
//
// No kubelet runs. EnsureNodes writes the Node objects of the agent pools
// (Ready condition, addresses, capacity and allocatable computed like AKS
// from the VM size and max pods, node info of a v1.37.1 kubelet) and, while
// the cluster runs, renews their Leases and condition heartbeats every 10
// seconds, as kubelets would. Pods stay Pending: there is no scheduler.
//
// # RunCommand
//
// RunCommand is `az aks command invoke`: it records the run as a Pod
// "command-<id>" in namespace aks-command (status set by privlink, Running
// then Succeeded or Failed, deleted afterwards) and runs the command with
// cluster-admin credentials in a temporary directory holding the attached
// files. A plain kubectl invocation (split with shell word rules, no shell
// syntax) runs the embedded kubectl in process (KubectlMain); file names
// among its arguments are rewritten to their paths in the directory.
// Anything else (helm, pipes, scripts) runs with /bin/sh -c in that
// directory, with KUBECONFIG pointing at an admin kubeconfig and, when
// Config.KubectlShim is set, a kubectl running the embedded one first in
// PATH. A subprocess cannot reach the owner-only listener, so its
// kubeconfig's server is a forwarder on a fresh 127.0.0.1 port that lives
// only as long as the run: during that window any local process can open a
// TLS connection to the API server through it, but without the run's
// client certificate it is only an anonymous user (health and version
// endpoints), like on AKS's public endpoint. Logs are stdout and stderr
// combined, truncated to 512 KiB like Azure.
package kube
