# Seed 001: API Server VNet Integration, with the seed's commands
# verbatim (managed VNet public and private; your own VNet with a delegated
# API server subnet, an identity and its Network Contributor roles;
# converting an existing cluster; turning private mode on and off), then
# what each produced: the kube-apiserver internal load balancer in the
# delegated subnet, names that keep the hostname, kubectl from the VNet.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.

exec 2>&1
# Azure draws the 8-hex FQDN labels, the zone GUID and the node number; the
# default dnsPrefix ends with the subscription ID's first six characters.
norm() { sed -E 's/-[0-9a-f]{6}-[0-9a-f]{8}\./-<sub6>-<hash>./g; s/-[0-9a-f]{8}\./-<hash>./g; s/\.[0-9a-f-]{36}\.privatelink/.<guid>.privatelink/g; s/aks-vnet-[0-9]{8}/aks-vnet-<n>/g'; }
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*" | norm
  cat out.txt err.txt | norm
}
show() {
  az aks show -n "$1" -g "$2" --query "{fqdn:fqdn, privateFqdn:privateFqdn, state:provisioningState, private:apiServerAccessProfile.enablePrivateCluster, vnetIntegration:apiServerAccessProfile.enableVnetIntegration}" -o json | norm
}
ilb() {
  az network lb show -g "$1" -n kube-apiserver --query "{sku:sku.name, frontendSubnet:frontendIPConfigurations[0].subnet.id}" -o json | norm
}
loc=westus2

echo "== managed VNet: public cluster"
rg=e2e-seed001-managed
az group create -l $loc -n $rg -o none
az aks create -n public-cluster \
    -g $rg \
    -l $loc \
    --network-plugin azure \
    --enable-apiserver-vnet-integration >create.json
show public-cluster $rg
ilb MC_${rg}_public-cluster_$loc
vnet=$(az network vnet list -g MC_${rg}_public-cluster_$loc --query "[0].name" -o tsv)
az network vnet subnet show -g MC_${rg}_public-cluster_$loc --vnet-name $vnet -n aks-apiserver-subnet \
  --query "{prefix:addressPrefix, delegation:delegations[0].serviceName}" -o json

echo "== managed VNet: private cluster"
az aks create -n private-cluster \
    -g $rg \
    -l $loc \
    --network-plugin azure \
    --enable-private-cluster \
    --enable-apiserver-vnet-integration >create.json
show private-cluster $rg
ilb MC_${rg}_private-cluster_$loc
az group delete -n $rg --yes

echo "== your own VNet"
rg=e2e-seed001-byo
az group create -l $loc -n $rg -o none
az network vnet create -n byo-vnet \
    -g $rg \
    -l $loc \
    --address-prefixes 172.19.0.0/16 -o none
az network vnet subnet create -g $rg \
    --vnet-name byo-vnet \
    --name apiserver-subnet \
    --delegations Microsoft.ContainerService/managedClusters \
    --address-prefixes 172.19.0.0/28 -o none
az network vnet subnet create -g $rg \
    --vnet-name byo-vnet \
    --name cluster-subnet \
    --address-prefixes 172.19.1.0/24 -o none
az identity create -g $rg -n byo-identity -l $loc -o none
apiSubnet=$(az network vnet subnet show -g $rg --vnet-name byo-vnet -n apiserver-subnet --query id -o tsv)
clusterSubnet=$(az network vnet subnet show -g $rg --vnet-name byo-vnet -n cluster-subnet --query id -o tsv)
identity=$(az identity show -g $rg -n byo-identity --query id -o tsv)
clientId=$(az identity show -g $rg -n byo-identity --query clientId -o tsv)

echo "-- without its roles the identity cannot use the subnets"
fails az aks create -n private-cluster -g $rg -l $loc --network-plugin azure --enable-private-cluster \
    --enable-apiserver-vnet-integration --vnet-subnet-id $clusterSubnet --apiserver-subnet-id $apiSubnet \
    --assign-identity $identity -o none
az aks delete -n private-cluster -g $rg --yes

az role assignment create --scope $apiSubnet \
    --role "Network Contributor" \
    --assignee $clientId -o none
az role assignment create --scope $clusterSubnet \
    --role "Network Contributor" \
    --assignee $clientId -o none
az aks create -n private-cluster \
    -g $rg \
    -l $loc \
    --network-plugin azure \
    --enable-private-cluster \
    --enable-apiserver-vnet-integration \
    --vnet-subnet-id $clusterSubnet \
    --apiserver-subnet-id $apiSubnet \
    --assign-identity $identity >create.json
show private-cluster $rg
ilb MC_${rg}_private-cluster_$loc

echo "-- the API server subnet's rules"
az network vnet subnet create -g $rg --vnet-name byo-vnet --name plain-subnet --address-prefixes 172.19.5.0/24 -o none
plainSubnet=$(az network vnet subnet show -g $rg --vnet-name byo-vnet -n plain-subnet --query id -o tsv)
fails az aks create -n other -g $rg -l $loc --network-plugin azure --enable-apiserver-vnet-integration \
    --vnet-subnet-id $clusterSubnet --apiserver-subnet-id $plainSubnet --assign-identity $identity -o none
fails az aks create -n other -g $rg -l $loc --network-plugin azure --enable-apiserver-vnet-integration \
    --vnet-subnet-id $clusterSubnet --apiserver-subnet-id $apiSubnet --assign-identity $identity -o none

echo "-- kubectl from a machine in the VNet"
az network vnet subnet create -g $rg --vnet-name byo-vnet --name jump --address-prefixes 172.19.3.0/24 -o none
az vm create -g $rg -n jumpbox --image Ubuntu2204 --vnet-name byo-vnet --subnet jump --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" -o none
az aks get-credentials -g $rg -n private-cluster --file kubeconfig 2>/dev/null
kc=$(cat kubeconfig)
az vm run-command invoke -g $rg -n jumpbox --command-id RunShellScript --scripts "cat > kc <<'KC'
$kc
KC
kubectl --kubeconfig kc get ns kube-system -o name" --query "value[0].message" -o tsv

echo "== converting an existing cluster (one way; the hostname stays)"
az network vnet subnet create -g $rg --vnet-name byo-vnet --name apiserver-subnet-2 \
    --delegations Microsoft.ContainerService/managedClusters --address-prefixes 172.19.4.0/27 -o none
az network vnet subnet create -g $rg --vnet-name byo-vnet --name legacy-subnet --address-prefixes 172.19.2.0/24 -o none
apiSubnet2=$(az network vnet subnet show -g $rg --vnet-name byo-vnet -n apiserver-subnet-2 --query id -o tsv)
legacySubnet=$(az network vnet subnet show -g $rg --vnet-name byo-vnet -n legacy-subnet --query id -o tsv)
az aks create -n legacy -g $rg -l $loc --network-plugin azure --vnet-subnet-id $legacySubnet -o none
before=$(az aks show -n legacy -g $rg --query fqdn -o tsv)
fails az aks update -n legacy -g $rg --enable-private-cluster
az aks update -n legacy \
    -g $rg \
    --enable-apiserver-vnet-integration \
    --apiserver-subnet-id $apiSubnet2 -o none
show legacy $rg
after=$(az aks show -n legacy -g $rg --query fqdn -o tsv)
[ "$before" = "$after" ] && echo "hostname unchanged"
ilb MC_${rg}_legacy_$loc

echo "== private mode on and off without redeploying"
az aks update -n legacy \
    -g $rg \
    --enable-private-cluster -o none
show legacy $rg
az aks update -n legacy \
    -g $rg \
    --disable-private-cluster -o none
show legacy $rg

echo "== connect"
az aks get-credentials -g $rg -n legacy --file kubeconfig2 2>/dev/null
grep "server:" kubeconfig2 | norm

echo "== cleanup"
# Clusters first: their load balancers hold addresses in this group's VNet.
az aks delete -n private-cluster -g $rg --yes
az aks delete -n legacy -g $rg --yes
az group delete -n $rg --yes
az group exists -n MC_${rg}_private-cluster_$loc
