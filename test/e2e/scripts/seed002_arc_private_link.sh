# Seed 002 end to end: an on-premises Kubernetes cluster connects to Azure
# Arc over Private Link through a site-to-site VPN. The Azure side is plain
# Azure CLI 2.45 (VNet, VPN gateway, local gateway and connection, the Arc
# private link scope, its private endpoint and the three privatelink zones
# with a zone group — the seed's portal steps as commands —, a DNS Private
# Resolver inbound endpoint, the seed's NSG rules, `az connectedk8s
# connect --enable-private-link true`). The customer's side has no Azure
# equivalent, so it uses the emulator's `az onprem` group: the site, its
# VPN device, its DNS server's conditional forwarders for the Arc public
# zones (to the inbound endpoint), an admin host and a Kubernetes cluster
# whose API server is reachable only from the site's network. connect runs
# from the admin host (`az onprem host shell`, whose proxy variables carry
# kubectl and the agents' installation through the emulated network). The
# seed's troubleshooting: without the forwarder the names resolve to public
# addresses, the scope refuses public access and the cluster goes Offline.

rg=e2e-arc-rg
exec 2>&1

# fails CMD...: runs an az command that must fail; prints its exit code,
# its output if any, and its error.
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*"
  cat out.txt err.txt
}

# public: masks public addresses (which one Arc's service gets depends on
# what ran before in the subscription).
public() {
  sed -E 's/\b(52|20|13|40)\.[0-9]+\.[0-9]+\.[0-9]+\b/<public-ip>/g'
}

# ops CMD: runs CMD from the site's admin host (a shell whose proxies put
# it in the site's network).
ops() {
  az onprem host shell -g $rg --site corp -n ops --command "$1"
}

# status WANT: polls the connected cluster until connectivityStatus is WANT
# (at most 60 s), then prints the status.
status() {
  for _ in $(seq 120); do
    [ "$(az connectedk8s show -g $rg -n corp-arc --query connectivityStatus -o tsv)" = "$1" ] && break
    sleep 0.5
  done
  az connectedk8s show -g $rg -n corp-arc --query connectivityStatus -o tsv
}

echo "== Azure: a hub VNet with a VPN gateway"
az group create -n $rg -l eastus -o none
az network vnet create -g $rg -n hub --address-prefixes 10.1.0.0/16 --subnet-name pe --subnet-prefixes 10.1.1.0/24 -o none
az network vnet subnet create -g $rg --vnet-name hub -n GatewaySubnet --address-prefixes 10.1.255.0/27 -o none
az network vnet subnet create -g $rg --vnet-name hub -n inbound --address-prefixes 10.1.2.0/28 \
  --delegations Microsoft.Network/dnsResolvers -o none
az network public-ip create -g $rg -n gw-ip --sku Standard -o none
az network vnet-gateway create -g $rg -n gw --vnet hub --public-ip-addresses gw-ip --gateway-type Vpn --vpn-type RouteBased \
  --sku VpnGw1 -o none
gwip=$(az network public-ip show -g $rg -n gw-ip --query ipAddress -o tsv)

echo "== on premises: site corp, its VPN device, and the tunnel"
az onprem site create -g $rg -n corp -l eastus --address-prefixes 172.20.0.0/16 --dns-server-ip 172.20.0.4 -o none
edge=$(az onprem site show -g $rg -n corp --query properties.edgePublicIpAddress -o tsv)
az onprem site vpn-device add -g $rg --site corp -n edge1 --gateway-ip $gwip --shared-key "Sh4red-key" -o none
az network local-gateway create -g $rg -n corp-lng --gateway-ip-address $edge --local-address-prefixes 172.20.0.0/16 -o none
az network vpn-connection create -g $rg -n to-corp --vnet-gateway1 gw --local-gateway2 corp-lng --shared-key "Sh4red-key" -o none
for _ in $(seq 50); do [ "$(az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv)" = Connected ] && break; sleep 0.1; done
az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv

echo "== the Azure Arc private link scope, public network access disabled"
az connectedmachine private-link-scope create -g $rg -n arc-pls -l eastus --public-network-access Disabled \
  --query "{name:name, publicNetworkAccess:properties.publicNetworkAccess}" -o json
scope=$(az connectedmachine private-link-scope show -g $rg -n arc-pls --query id -o tsv)

echo "== its private endpoint in the hub, integrated with the private DNS zones"
az network private-endpoint create -g $rg -n arc-pe --vnet-name hub --subnet pe \
  --private-connection-resource-id $scope --group-id hybridcompute --connection-name arc-pe-conn \
  --query "privateLinkServiceConnections[0].privateLinkServiceConnectionState.status" -o tsv
for z in privatelink.his.arc.azure.com privatelink.guestconfiguration.azure.com privatelink.dp.kubernetesconfiguration.azure.com; do
  az network private-dns zone create -g $rg -n $z -o none
  az network private-dns link vnet create -g $rg -z $z -n hub-link -v hub -e false -o none
done
az network private-endpoint dns-zone-group create -g $rg --endpoint-name arc-pe -n default \
  --private-dns-zone privatelink.his.arc.azure.com --zone-name his -o none
az network private-endpoint dns-zone-group add -g $rg --endpoint-name arc-pe -n default \
  --private-dns-zone privatelink.guestconfiguration.azure.com --zone-name gas -o none
az network private-endpoint dns-zone-group add -g $rg --endpoint-name arc-pe -n default \
  --private-dns-zone privatelink.dp.kubernetesconfiguration.azure.com --zone-name dp -o none
az network private-endpoint show -g $rg -n arc-pe --query "customDnsConfigs[].{fqdn:fqdn, ip:ipAddresses[0]}" -o table

echo "== the seed's NSG rules: outbound 443 to Entra ID, ARM, Front Door and MCR, before a rule denying the internet"
# They matter where Azure subnets carry internet-bound traffic (the seed's
# forced-tunnelling case); the site's own internet traffic leaves from its
# edge, where the on-premises firewall (not modelled) would apply them.
az network nsg create -g $rg -n pe-nsg -o none
for r in "AllowAADOutboundAccess AzureActiveDirectory 150" "AllowAzOutboundAccess AzureResourceManager 151" \
         "AllowAzureFrontDoorFirstPartyAccess AzureFrontDoor.FirstParty 152" "AllowMCROutboundAccess MicrosoftContainerRegistry 153"; do
  set -- $r
  az network nsg rule create -g $rg --nsg-name pe-nsg -n $1 --priority $3 --direction Outbound --access Allow \
    --protocol Tcp --source-address-prefixes VirtualNetwork --source-port-ranges "*" \
    --destination-address-prefixes $2 --destination-port-ranges 443 -o none
done
az network nsg rule create -g $rg --nsg-name pe-nsg -n DenyInternetOutbound --priority 4000 --direction Outbound --access Deny \
  --protocol "*" --source-address-prefixes "*" --destination-address-prefixes Internet --destination-port-ranges "*" -o none
az network vnet subnet update -g $rg --vnet-name hub -n pe --network-security-group pe-nsg -o none
az network nsg rule list -g $rg --nsg-name pe-nsg \
  --query "sort_by([], &priority)[].{name:name, priority:priority, access:access, tag:destinationAddressPrefix, port:destinationPortRange}" -o table

echo "== a DNS Private Resolver inbound endpoint in the hub"
hubid=$(az network vnet show -g $rg -n hub --query id -o tsv)
az dns-resolver create -g $rg -n hub-resolver --id $hubid -o none
az dns-resolver inbound-endpoint create -g $rg --dns-resolver-name hub-resolver -n inbound \
  --ip-configurations "[{private-ip-address:\"\",private-ip-allocation-method:Dynamic,id:$hubid/subnets/inbound}]" -o none
inbound=$(az dns-resolver inbound-endpoint show -g $rg --dns-resolver-name hub-resolver -n inbound --query "ipConfigurations[0].privateIpAddress" -o tsv)
echo "inbound endpoint: $inbound"

echo "== the site's DNS server forwards the Arc public zones to it"
for zone in his.arc.azure.com guestconfiguration.azure.com kubernetesconfiguration.azure.com; do
  az onprem dns forwarder add -g $rg --site corp --zone $zone --target $inbound -o none
done
az onprem dns forwarder list -g $rg --site corp -o table
az onprem host create -g $rg --site corp -n ops --query "properties.privateIpAddress" -o tsv
for name in gbl.his.arc.azure.com agentserviceapi.guestconfiguration.azure.com dp.kubernetesconfiguration.azure.com; do
  echo "$name -> $(az network dns query -g $rg --site corp --from ops -n $name --query "answers[?type=='A'].value | [0]" -o tsv)"
done

echo "== the on-premises Kubernetes cluster: its API server is the first node's port 6443, kubectl runs from the site"
az onprem cluster create -g $rg --site corp -n corp-k8s --node-count 2 \
  --query "properties.{state:provisioningState, server:apiServerUrl, nodes:nodes[].name}" -o json
fails az onprem cluster create -g $rg --site corp -n other --node-hosts corp-k8s-node-1
az onprem cluster get-credentials -g $rg --site corp -n corp-k8s --file kubeconfig
# Wait until the API server answers from the site (as after kubeadm init).
for _ in $(seq 30); do ops "kubectl --kubeconfig $PWD/kubeconfig get --raw /readyz" >/dev/null 2>&1 && break; sleep 1; done
ops "kubectl --kubeconfig $PWD/kubeconfig get nodes \
  -o 'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type==\"Ready\")].status,IP:.status.addresses[0].address'"

echo "== a workload: a Deployment and a NodePort Service, reached from the admin host"
k="kubectl --kubeconfig $PWD/kubeconfig"
ops "$k create deployment hello --image=registry.k8s.io/e2e-test-images/agnhost:2.53 --port=8080 -o name
$k expose deployment hello --type=NodePort --port=80 --target-port=8080 -o name
$k rollout status deployment/hello --timeout=60s >/dev/null"
port=$(ops "$k get service hello -o jsonpath={.spec.ports[0].nodePort}")
ops "curl -sS -m 5 'http://172.20.0.7:$port/echo?msg=hello-from-corp'"
echo

echo "== connect it to Azure Arc through the private link scope, from the admin host"
ops "az connectedk8s connect -n corp-arc -g $rg -l eastus --enable-private-link true --private-link-scope-resource-id $scope \
  --kube-config $PWD/kubeconfig --kube-context corp-k8s -o none"
status Connected
az connectedk8s show -g $rg -n corp-arc \
  --query "{privateLinkState:privateLinkState, scope:privateLinkScopeResourceId, nodes:totalNodeCount, version:kubernetesVersion}" -o json
ops "kubectl --kubeconfig $PWD/kubeconfig get configmap -n azure-arc azure-clusterconfig -o jsonpath={.data.AZURE_RESOURCE_NAME}"
echo

echo "== troubleshooting: the forwarder for his.arc.azure.com removed, the name resolves publicly"
az onprem dns forwarder remove -g $rg --site corp --zone his.arc.azure.com -o none
az network dns query -g $rg --site corp --from ops -n gbl.his.arc.azure.com --query "answers[].{name:name, type:type, value:value}" -o table | public
status Offline
# The emulator says why in an extension property of the connected cluster.
az connectedk8s show -g $rg -n corp-arc -o json | grep -i connectivityreason | public

echo "== the forwarder back: Connected again"
az onprem dns forwarder add -g $rg --site corp --zone his.arc.azure.com --target $inbound -o none
status Connected

echo "== cleanup"
ops "az connectedk8s delete -g $rg -n corp-arc --kube-config $PWD/kubeconfig --kube-context corp-k8s --yes"
az onprem cluster delete -g $rg --site corp -n corp-k8s
az onprem host list -g $rg --site corp --query "[].name" -o tsv
az dns-resolver inbound-endpoint delete -g $rg --dns-resolver-name hub-resolver -n inbound --yes
az dns-resolver delete -g $rg -n hub-resolver --yes
az group delete -n $rg --yes
az group exists -n $rg
