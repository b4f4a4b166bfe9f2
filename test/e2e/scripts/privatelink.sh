# Private Link: a provider publishes a service behind a Standard internal
# load balancer; a consumer asks for a private endpoint by alias (manual
# approval); the owner approves, then removes the connection.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.

rg=e2e-privatelink-rg
exec 2>&1

fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*"
  cat out.txt err.txt
}

echo "== provider network and load balancer"
az group create -n $rg -l eastus -o none
az network vnet create -g $rg -n provider-vnet --address-prefixes 10.224.0.0/16 --subnet-name backend --subnet-prefixes 10.224.0.0/24 -o none
az network vnet subnet create -g $rg --vnet-name provider-vnet -n pls --address-prefixes 10.224.10.0/24 -o none
az network lb create -g $rg -n provider-lb --sku Standard --vnet-name provider-vnet --subnet backend \
  --frontend-ip-name fe --backend-pool-name pool --private-ip-address 10.224.0.100 -o none
az network lb probe create -g $rg --lb-name provider-lb -n tcp8080 --protocol Tcp --port 8080 -o none
az network lb rule create -g $rg --lb-name provider-lb -n http --protocol Tcp --frontend-port 80 --backend-port 8080 \
  --frontend-ip-name fe --backend-pool-name pool --probe-name tcp8080 -o none
az network lb show -g $rg -n provider-lb --query "{sku:sku.name, frontend:frontendIPConfigurations[0].privateIPAddress, rules:length(loadBalancingRules), probes:length(probes)}" -o json

echo "== the NAT subnet must allow private link services"
fails az network private-link-service create -g $rg -n myPLS --vnet-name provider-vnet --subnet pls \
  --lb-name provider-lb --lb-frontend-ip-configs fe --private-ip-address 10.224.10.10
az network vnet subnet update -g $rg --vnet-name provider-vnet -n pls --disable-private-link-service-network-policies true \
  --query privateLinkServiceNetworkPolicies -o tsv

echo "== private link service"
az network private-link-service create -g $rg -n myPLS --vnet-name provider-vnet --subnet pls \
  --lb-name provider-lb --lb-frontend-ip-configs fe --private-ip-address 10.224.10.10 --enable-proxy-protocol \
  --query "{name:name, natIp:ipConfigurations[0].privateIpAddress, proxy:enableProxyProtocol, state:provisioningState}" -o json
alias=$(az network private-link-service show -g $rg -n myPLS --query alias -o tsv)
echo "$alias" | sed -E 's/^myPLS\.[0-9a-f-]{36}\.eastus\.azure\.privatelinkservice$/alias: myPLS.<guid>.eastus.azure.privatelinkservice/'

echo "== consumer endpoint by alias, manual approval"
az network vnet create -g $rg -n consumer-vnet --address-prefixes 10.224.0.0/16 --subnet-name pe --subnet-prefixes 10.224.5.0/24 -o none
fails az network private-endpoint create -g $rg -n pe-auto --vnet-name consumer-vnet --subnet pe \
  --private-connection-resource-id "$alias" --connection-name auto-conn
az network private-endpoint create -g $rg -n pe1 --vnet-name consumer-vnet --subnet pe \
  --private-connection-resource-id "$alias" --connection-name conn1 --manual-request --request-message "please approve" \
  --query "manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.{status:status, description:description}" -o json
az network private-endpoint show -g $rg -n pe1 --query "{nics:length(networkInterfaces), subnet:subnet.id}" -o json

echo "== owner approves"
conn=$(az network private-link-service show -g $rg -n myPLS --query "privateEndpointConnections[0].name" -o tsv)
az network private-link-service connection update -g $rg --service-name myPLS -n "$conn" \
  --connection-status Approved --description "approved by e2e" \
  --query "privateLinkServiceConnectionState.{status:status, description:description}" -o json
az network private-endpoint show -g $rg -n pe1 \
  --query "manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status" -o tsv

echo "== owner removes the connection"
az network private-link-service connection delete -g $rg --service-name myPLS -n "$conn" --yes 2>/dev/null || \
  az network private-link-service connection delete -g $rg --service-name myPLS -n "$conn"
az network private-endpoint show -g $rg -n pe1 \
  --query "manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status" -o tsv

echo "== cleanup"
az network private-endpoint delete -g $rg -n pe1
az network private-link-service delete -g $rg -n myPLS
az group delete -n $rg --yes
az group exists -n $rg
