# A private network for an AKS cluster with API server VNet integration
# (seed 001, "bring your own VNet"), a hub it peers with, an NSG, a route
# table, a public IP and a NIC, then the errors Azure gives for
# overlapping prefixes and resources still in use.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.

rg=e2e-network-rg
location=eastus
vnet=aks-vnet
apiserver_subnet=apiserver-subnet
cluster_subnet=cluster-subnet

# fails CMD...: runs an az command that must fail; prints its exit code,
# its output if any, and its error.
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*"
  cat out.txt err.txt
}

echo "== resource group"
az group create -l $location -n $rg -o none

echo "== seed 001: virtual network and delegated API server subnet"
az network vnet create -n $vnet \
-g $rg \
-l $location \
--address-prefixes 172.19.0.0/16

az network vnet subnet create -g $rg \
--vnet-name $vnet \
--name $apiserver_subnet \
--delegations Microsoft.ContainerService/managedClusters \
--address-prefixes 172.19.0.0/28

az network vnet subnet create -g $rg \
--vnet-name $vnet \
--name $cluster_subnet \
--address-prefixes 172.19.1.0/24 \
--query "{name:name, prefix:addressPrefix, delegations:length(delegations), state:provisioningState}"

az network vnet subnet show -g $rg --vnet-name $vnet -n $apiserver_subnet \
  --query "{name:name, prefix:addressPrefix, delegation:delegations[0].serviceName, actions:delegations[0].actions}"
az network vnet subnet list -g $rg --vnet-name $vnet --query "[].{Name:name, Prefix:addressPrefix}" -o table
az network vnet show -g $rg -n $vnet --query "{prefixes:addressSpace.addressPrefixes, subnets:subnets[].name}" -o json

echo "== seed 001: managed identity with Network Contributor on both subnets"
az identity create -g $rg -n aks-identity -l $location -o none
identity_client_id=$(az identity show -g $rg -n aks-identity --query clientId -o tsv)
apiserver_subnet_id=$(az network vnet subnet show -g $rg --vnet-name $vnet -n $apiserver_subnet --query id -o tsv)
cluster_subnet_id=$(az network vnet subnet show -g $rg --vnet-name $vnet -n $cluster_subnet --query id -o tsv)

az role assignment create --scope $apiserver_subnet_id \
--role "Network Contributor" \
--assignee $identity_client_id \
--query "{role:roleDefinitionId, scope:scope, principalType:principalType}"

az role assignment create --scope $cluster_subnet_id \
--role "Network Contributor" \
--assignee $identity_client_id \
--query "{role:roleDefinitionId, scope:scope, principalType:principalType}"

az role assignment list --assignee $identity_client_id --all --query "sort_by([], &scope)[].{role:roleDefinitionName, scope:scope}" -o table

echo "== hub network and peering both ways"
az network vnet create -g $rg -n hub-vnet --address-prefixes 10.10.0.0/16 \
  --subnet-name AzureFirewallSubnet --subnet-prefixes 10.10.1.0/26 \
  --query "newVNet.{name:name, prefixes:addressSpace.addressPrefixes, subnets:subnets[].{name:name, prefix:addressPrefix}}"
az network vnet peering create -g $rg -n aks-to-hub --vnet-name $vnet --remote-vnet hub-vnet --allow-vnet-access \
  --query "{name:name, state:peeringState, vnetAccess:allowVirtualNetworkAccess, forwarded:allowForwardedTraffic}"
hub_id=$(az network vnet show -g $rg -n hub-vnet --query id -o tsv)
aks_vnet_id=$(az network vnet show -g $rg -n $vnet --query id -o tsv)
az network vnet peering create -g $rg -n hub-to-aks --vnet-name hub-vnet --remote-vnet $aks_vnet_id --allow-vnet-access --allow-forwarded-traffic \
  --query "{name:name, state:peeringState, remote:remoteVirtualNetwork.id}"
az network vnet peering show -g $rg -n aks-to-hub --vnet-name $vnet --query peeringState -o tsv
az network vnet peering list -g $rg --vnet-name hub-vnet --query "[].{Name:name, State:peeringState, Remote:remoteAddressSpace.addressPrefixes[0]}" -o table
az network vnet peering show -g $rg -n aks-to-hub --vnet-name $vnet

echo "== network security group"
az network nsg create -g $rg -n aks-nsg --query "NewNSG.{name:name, defaultRules:length(defaultSecurityRules), rules:length(securityRules)}"
az network nsg rule create -g $rg --nsg-name aks-nsg -n AllowHttpsInbound \
  --priority 100 --direction Inbound --access Allow --protocol Tcp \
  --source-address-prefixes VirtualNetwork --source-port-ranges '*' \
  --destination-address-prefixes '*' --destination-port-ranges 443
az network nsg rule create -g $rg --nsg-name aks-nsg -n DenyInternetOutbound \
  --priority 4000 --direction Outbound --access Deny --protocol '*' \
  --destination-address-prefixes Internet --destination-port-ranges '*' -o none
az network nsg rule list -g $rg --nsg-name aks-nsg -o table
az network nsg show -g $rg -n aks-nsg --query "defaultSecurityRules[].{name:name, priority:priority, direction:direction, access:access}" -o table

echo "== route table"
az network route-table create -g $rg -n aks-routes -l $location --query "{name:name, bgp:disableBgpRoutePropagation, routes:length(routes)}"
az network route-table route create -g $rg --route-table-name aks-routes -n default-via-firewall \
  --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address 10.10.1.4
az network route-table route list -g $rg --route-table-name aks-routes --query "[].{Name:name, Prefix:addressPrefix, NextHop:nextHopType, NextHopIp:nextHopIpAddress}" -o table

echo "== associate the NSG and route table with the cluster subnet"
az network vnet subnet update -g $rg --vnet-name $vnet -n $cluster_subnet \
  --network-security-group aks-nsg --route-table aks-routes \
  --query "{nsg:networkSecurityGroup.id, routeTable:routeTable.id}"
az network nsg show -g $rg -n aks-nsg --query "subnets[].id" -o tsv

echo "== public IP and NIC"
# az 2.45's nic commands print the Python SDK model (privateIpAddress, not
# the wire's privateIPAddress).
az network public-ip create -g $rg -n jumpbox-ip --sku Standard --allocation-method Static \
  --query "publicIp.{name:name, sku:sku.name, allocation:publicIPAllocationMethod, version:publicIPAddressVersion, state:provisioningState}"
az network nic create -g $rg -n jumpbox-nic --vnet-name $vnet --subnet $cluster_subnet \
  --private-ip-address 172.19.1.10 --public-ip-address jumpbox-ip \
  --query "NewNIC.ipConfigurations[].{name:name, ip:privateIpAddress, allocation:privateIpAllocationMethod, subnet:subnet.id, publicIp:publicIpAddress.id}"
az network nic create -g $rg -n worker-nic --vnet-name $vnet --subnet $cluster_subnet \
  --query "NewNIC.ipConfigurations[0].{ip:privateIpAddress, allocation:privateIpAllocationMethod}"
az network vnet subnet show -g $rg --vnet-name $vnet -n $cluster_subnet --query "ipConfigurations[].id" -o tsv
az network nic show -g $rg -n jumpbox-nic --query "{name:name, nicType:nicType, ipForwarding:enableIpForwarding, accelerated:enableAcceleratedNetworking}"

echo "== errors"
fails az network vnet subnet create -g $rg --vnet-name $vnet -n overlapping-subnet --address-prefixes 172.19.1.128/25
fails az network vnet subnet create -g $rg --vnet-name $vnet -n outside-subnet --address-prefixes 10.99.0.0/24
az network vnet create -g $rg -n overlap-vnet --address-prefixes 172.19.0.0/16 -o none
fails az network vnet peering create -g $rg -n aks-to-overlap --vnet-name overlap-vnet --remote-vnet $vnet --allow-vnet-access
fails az network nic create -g $rg -n duplicate-ip-nic --vnet-name $vnet --subnet $cluster_subnet --private-ip-address 172.19.1.10
fails az network vnet subnet delete -g $rg --vnet-name $vnet -n $cluster_subnet
fails az network nsg delete -g $rg -n aks-nsg
fails az network route-table delete -g $rg -n aks-routes
fails az network vnet show -g $rg -n missing-vnet
fails az network vnet subnet show -g $rg --vnet-name $vnet -n missing-subnet

echo "== tear down in dependency order"
az network nic delete -g $rg -n jumpbox-nic
az network nic delete -g $rg -n worker-nic
az network vnet subnet show -g $rg --vnet-name $vnet -n $cluster_subnet --query "length(ipConfigurations || \`[]\`)"
az network vnet subnet update -g $rg --vnet-name $vnet -n $cluster_subnet --remove networkSecurityGroup --remove routeTable -o none
az network nsg delete -g $rg -n aks-nsg
az network route-table delete -g $rg -n aks-routes
az network vnet subnet delete -g $rg --vnet-name $vnet -n $cluster_subnet
az network vnet peering delete -g $rg -n hub-to-aks --vnet-name hub-vnet
az network vnet peering show -g $rg -n aks-to-hub --vnet-name $vnet --query peeringState -o tsv
az network vnet list -g $rg --query "sort_by([], &name)[].name" -o tsv
az group delete -n $rg --yes
az group exists -n $rg
