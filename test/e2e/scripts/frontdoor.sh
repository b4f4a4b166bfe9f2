# Azure Front Door Premium reaching a private service over Private Link
# (seed 004's Front Door steps): a Standard internal load balancer with a
# backend VM, a private link service on its frontend (NAT IP 10.224.10.10,
# visible to everyone); a Premium profile with an endpoint, an origin group,
# an origin with private link to the service, and a route. Front Door's
# private endpoint waits Pending in the owner's connection list until the
# owner approves it; the origin's private link status follows.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.
# (The HTTP round trip through the endpoint is in test/integration.)

rg=e2e-frontdoor-rg
exec 2>&1

fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*"
  cat out.txt err.txt
}

echo "== the provider's service: internal load balancer, backend VM, private link service"
az group create -n $rg -l eastus -o none
az network vnet create -g $rg -n aks-vnet --address-prefixes 10.224.0.0/12 --subnet-name aks-subnet --subnet-prefixes 10.224.0.0/16 -o none
az network vnet subnet update -g $rg --vnet-name aks-vnet -n aks-subnet --disable-private-link-service-network-policies true -o none
az network lb create -g $rg -n kubernetes-internal --sku Standard --vnet-name aks-vnet --subnet aks-subnet \
  --frontend-ip-name fe --backend-pool-name pool --private-ip-address 10.224.0.100 -o none
az network lb probe create -g $rg --lb-name kubernetes-internal -n tcp8080 --protocol Tcp --port 8080 -o none
az network lb rule create -g $rg --lb-name kubernetes-internal -n http --protocol Tcp --frontend-port 80 --backend-port 8080 \
  --frontend-ip-name fe --backend-pool-name pool --probe-name tcp8080 -o none
az vm create -g $rg -n node1 --image Ubuntu2204 --vnet-name aks-vnet --subnet aks-subnet --public-ip-address "" \
  --admin-username azureuser --admin-password "E2e-Passw0rd-123" --nsg "" -o none
az network nic ip-config address-pool add -g $rg --nic-name node1VMNic --ip-config-name ipconfignode1 \
  --lb-name kubernetes-internal --address-pool pool -o none
az network private-link-service create -g $rg -n myPLS --vnet-name aks-vnet --subnet aks-subnet \
  --lb-name kubernetes-internal --lb-frontend-ip-configs fe --private-ip-address 10.224.10.10 --visibility "*" \
  --query "{name:name, natIp:ipConfigurations[0].privateIpAddress, connections:length(privateEndpointConnections)}" -o json
pls=$(az network private-link-service show -g $rg -n myPLS --query id -o tsv)

echo "== Front Door Premium profile and endpoint"
az afd profile create -g $rg --profile-name myfrontdoor --sku Premium_AzureFrontDoor \
  --query "{name:name, sku:sku.name, kind:kind, location:location, state:provisioningState, resourceState:resourceState}" -o json
az afd endpoint create -g $rg --profile-name myfrontdoor --endpoint-name aksdemo --enabled-state Enabled \
  --query "{name:name, enabled:enabledState, state:provisioningState, deployment:deploymentStatus}" -o json
az afd endpoint show -g $rg --profile-name myfrontdoor --endpoint-name aksdemo --query hostName -o tsv |
  sed -E 's/^aksdemo-[a-z0-9]{16}\.z01\.azurefd\.net$/hostName: aksdemo-<16 characters>.z01.azurefd.net/'

echo "== origin group"
az afd origin-group create -g $rg --profile-name myfrontdoor --origin-group-name og \
  --probe-request-type GET --probe-protocol Http --probe-interval-in-seconds 60 --probe-path / \
  --sample-size 4 --successful-samples-required 3 --additional-latency-in-milliseconds 50 \
  --query "{probe:healthProbeSettings, lb:loadBalancingSettings, state:provisioningState}" -o json

echo "== a Standard profile cannot use private link"
az afd profile create -g $rg --profile-name standardfd --sku Standard_AzureFrontDoor -o none
az afd origin-group create -g $rg --profile-name standardfd --origin-group-name og --sample-size 4 \
  --successful-samples-required 3 --additional-latency-in-milliseconds 50 -o none
fails az afd origin create -g $rg --profile-name standardfd --origin-group-name og --origin-name aks \
  --host-name 10.224.0.100 --enable-private-link true --private-link-resource "$pls" --private-link-location eastus
az afd profile delete -g $rg --profile-name standardfd

echo "== origin over the private link service"
az afd origin create -g $rg --profile-name myfrontdoor --origin-group-name og --origin-name aks \
  --host-name 10.224.0.100 --origin-host-header 10.224.0.100 --http-port 80 --https-port 443 --priority 1 --weight 1000 \
  --enabled-state Enabled --enable-private-link true --private-link-resource "$pls" --private-link-location eastus \
  --private-link-request-message "Front Door to myPLS" \
  --query "{host:hostName, header:originHostHeader, state:provisioningState, privateLink:sharedPrivateLinkResource}" -o json
az afd route create -g $rg --profile-name myfrontdoor --endpoint-name aksdemo --route-name default-route \
  --origin-group og --supported-protocols Http Https --link-to-default-domain Enabled \
  --forwarding-protocol HttpOnly --https-redirect Disabled --patterns-to-match "/*" \
  --query "{patterns:patternsToMatch, protocols:supportedProtocols, forwarding:forwardingProtocol, redirect:httpsRedirect, linked:linkToDefaultDomain, group:originGroup.id, state:provisioningState}" -o json
az afd route list -g $rg --profile-name myfrontdoor --endpoint-name aksdemo --query "[].name" -o tsv

echo "== the owner sees Front Door's pending connection and approves it"
az network private-link-service show -g $rg -n myPLS \
  --query "privateEndpointConnections[].privateLinkServiceConnectionState.{status:status, description:description}" -o json
conn=$(az network private-link-service show -g $rg -n myPLS --query "privateEndpointConnections[0].name" -o tsv)
az network private-link-service connection update -g $rg --service-name myPLS -n "$conn" \
  --connection-status Approved --description "Approved for Front Door" \
  --query "privateLinkServiceConnectionState.status" -o tsv
az afd origin show -g $rg --profile-name myfrontdoor --origin-group-name og --origin-name aks \
  --query sharedPrivateLinkResource.status -o tsv
az afd origin list -g $rg --profile-name myfrontdoor --origin-group-name og \
  --query "[].{name:name, status:sharedPrivateLinkResource.status}" -o table

echo "== deleting the origin removes Front Door's endpoint"
az afd origin delete -g $rg --profile-name myfrontdoor --origin-group-name og --origin-name aks
for i in $(seq 1 30); do
  n=$(az network private-link-service show -g $rg -n myPLS --query "length(privateEndpointConnections)" -o tsv)
  [ "$n" = 0 ] && break
  sleep 1
done
echo "connections: $n"

echo "== cleanup"
az afd profile delete -g $rg --profile-name myfrontdoor
fails az afd profile show -g $rg --profile-name myfrontdoor
az group delete -n $rg --yes
az group exists -n $rg
