// Package nodeagent runs the workloads of a privlink AKS cluster: what the
// scheduler, the kubelets (with a container runtime and CNI) and
// kube-proxy do on AKS, in the daemon's process, for a cluster whose
// nodes are emulated VMs.
//
// # What runs and what is emulated
//
// Start (one agent per cluster, when its control plane starts; Stop when
// it stops or is deleted) watches Pods, Nodes, Services and EndpointSlices
// through informers on the cluster's API server. The EndpointSlices
// themselves come from the cluster's real kube-controller-manager.
//
//   - Scheduling (emulated, not kube-scheduler): a Pending pod without
//     spec.nodeName and with the default scheduler is bound (a real
//     Binding) to a Ready, schedulable node that matches its nodeSelector
//     and whose NoSchedule/NoExecute taints it tolerates, the one with the
//     fewest pods (names break ties). Affinity, topology spread, resource
//     requests and ports are not considered. When no node fits, the pod's
//     PodScheduled condition is False/Unschedulable with the scheduler's
//     message shape ("0/2 nodes are available: 2 node(s) didn't match
//     Pod's node affinity/selector.") and a FailedScheduling event. The real
//     kube-scheduler was not embedded: its framework registers process-wide
//     state (metrics, feature gates, configz) shared with the clusters'
//     other components, and it would cost far more than this binder.
//   - Pods on the agent's nodes (Config.Nodes): there is no container
//     runtime. Each container is a stand-in: by default an echo server on
//     a real 127.0.0.1 port for each TCP containerPort, in the spirit of
//     agnhost netexec: HTTP requests get 200 text/plain with the pod's
//     name, namespace, container, image, node, pod address and the request
//     as seen (method, URI, protocol, host, headers, client address, and
//     a PROXY protocol v1/v2 header when one precedes the request: its
//     source, destination and Azure LinkID TLV);
//     /hostname, /clientip, /echo?msg= and /healthz answer like netexec;
//     anything that is not HTTP is echoed back byte for byte. The pod
//     annotation privlink.io/command (first container) or
//     privlink.io/command.<container> runs a host process instead:
//     /bin/sh -c VALUE, as the daemon's user, in the temporary directory,
//     with PORT (the loopback port standing for the first containerPort),
//     PORT_<containerPort> for each, POD_NAME, POD_NAMESPACE, POD_IP,
//     NODE_NAME, HOSTNAME and the container's literal env values; the
//     process must listen on 127.0.0.1:$PORT. Its stdout and stderr are
//     the container log (last MiB, Agent.Logs; not served through the API
//     server). Exits follow restartPolicy with a growing back-off
//     (CrashLoopBackOff while waiting); with Never, the pod ends
//     Succeeded or Failed.
//   - Pod status: podIP from Node.PodIPs (Azure CNI: addresses the
//     provider reserved for the node, e.g. NIC secondary IP
//     configurations) or from the Node's spec.podCIDR (kubenet, Azure CNI
//     Overlay; from .2), never reused by two running pods of a node;
//     host-network pods get the node address. hostIP, phase Running,
//     conditions PodScheduled, Initialized, PodReadyToStartContainers,
//     ContainersReady and Ready (true once every container port accepts
//     connections), containerStatuses running with containerd-style IDs.
//     A node without addresses gives FailedCreatePodSandBox events and the
//     pod stays Pending (retried). Deleting a pod stops its servers or
//     process group (SIGTERM, then SIGKILL after 5 s) and completes the
//     deletion as a kubelet does.
//   - Node ports (kube-proxy's job): for each NodePort or LoadBalancer
//     Service, each TCP node port of each node is a loopback listener
//     declared on the node VM as the Privlink.Fabric listener
//     tcp-<nodePort> (so the fabric, load balancers, probes and private
//     link services deliver to it). Each connection goes to a Ready
//     endpoint of the Service port (EndpointSlices), round robin; with
//     externalTrafficPolicy Local only to the node's own endpoints, and
//     the healthCheckNodePort answers kube-proxy's JSON with 200 or 503.
//     No endpoint closes the connection. Listeners are kept in sync
//     (declared, retargeted, withdrawn when the Service goes; node-port
//     listeners left on node VMs by an earlier run are withdrawn).
//   - Service and pod addresses (kube-proxy's and the CNI's job): each
//     TCP port of a Service's ClusterIP, and of a LoadBalancer Service's
//     status.loadBalancer.ingress addresses (floating IP rules deliver
//     them to the node unchanged), is a host-local listener on every node
//     VM ("tcp-<address>-<port>" with "address"): connections the node
//     itself opens to it, and flows a floating IP rule brings, reach a
//     Ready endpoint as a node port does (internalTrafficPolicy /
//     externalTrafficPolicy Local: the node's own endpoints only). Each
//     running pod's container ports are listeners on its address: with
//     Azure CNI on its node only (the address is the node NIC's, so the
//     VNet reaches it under its NSGs), with kubenet and overlay on every
//     node (host-local: the cluster's nodes route pod CIDRs; with kubenet
//     the node subnet's route table also sends each node's pod CIDR to
//     the node, so the VNet reaches pods through it).
//   - Pods as sources: a privlink.io/command process gets the fabric
//     environment of its node VM (Config.Env: ALL_PROXY and friends, see
//     `privlink env`), so its proxy-aware programs connect from the
//     node's position, and the kubelet's service link variables
//     (<NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT, <NAME>_PORT_<p>_TCP...)
//     of the Services of its namespace and of default/kubernetes. Their
//     traffic leaves from the node's address (the fabric has no separate
//     pod vantage): NSG rules that tell pod and node addresses apart do
//     not apply to it.
//   - Not emulated: cluster DNS (CoreDNS: *.svc.cluster.local names do
//     not resolve; use the service link variables or ClusterIPs), UDP
//     (services, node ports and pod ports are TCP only), NetworkPolicy,
//     init containers, probes of the pod spec (readiness is "listening"),
//     volumes, resource limits, exec/logs/port-forward through the API
//     server.
package nodeagent
