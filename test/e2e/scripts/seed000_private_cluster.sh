# Seed 000: a private AKS cluster over Private Link, created with the
# seed's commands verbatim, then what makes it private: the names, the
# kube-apiserver private endpoint and zone in the node resource group,
# credentials pointing at the private FQDN, `aks command invoke` with no
# network path, kubectl from a jump box in the cluster VNet, and a hub
# VNet that reaches the API server only once the zone is linked to it.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.

exec 2>&1
# Azure draws these: the 8-hex FQDN labels and the 8-digit node number; the
# default dnsPrefix ends with the subscription ID's first six characters.
norm() { sed -E 's/-[0-9a-f]{6}-[0-9a-f]{8}\./-<sub6>-<hash>./g; s/-[0-9a-f]{8}\./-<hash>./g; s/-[0-9]{8}-vmss/-<n>-vmss/g; s/aks-vnet-[0-9]{8}/aks-vnet-<n>/g'; }
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*" | norm
  cat out.txt err.txt | norm
}

echo "== seed 000, verbatim"
az group create -n zjPrivateLink -l westus2 -o none
az aks create -n zjaks02 -g zjPrivateLink --load-balancer-sku standard --enable-private-cluster >create.json
az aks show -n zjaks02 -g zjPrivateLink --query "{fqdn:fqdn, privateFqdn:privateFqdn, nodeResourceGroup:nodeResourceGroup, state:provisioningState, power:powerState.code, private:apiServerAccessProfile.enablePrivateCluster, zone:apiServerAccessProfile.privateDnsZone, publicFqdn:apiServerAccessProfile.enablePrivateClusterPublicFqdn, version:currentKubernetesVersion}" -o json | norm
az aks nodepool list --cluster-name zjaks02 -g zjPrivateLink -o table | norm

echo "== what AKS put in the node resource group"
mc=MC_zjPrivateLink_zjaks02_westus2
az network private-endpoint show -g $mc -n kube-apiserver --query "{status:privateLinkServiceConnections[0].privateLinkServiceConnectionState.status, subnet:subnet.id}" -o json | norm
az network private-dns zone list -g $mc --query "[].{records:numberOfRecordSets, links:numberOfVirtualNetworkLinks}" -o json
vnet=$(az network vnet list -g $mc --query "[0].name" -o tsv)
az network vnet show -g $mc -n $vnet --query "{name:name, prefixes:addressSpace.addressPrefixes, subnets:subnets[].name}" -o json | norm

echo "== credentials name the private FQDN"
az aks get-credentials -n zjaks02 -g zjPrivateLink --file kubeconfig
grep -c "server: https://zjaks02-zjprivatelink-" kubeconfig
grep "server:" kubeconfig | norm | sed -E 's/\.[0-9a-f-]{36}\.privatelink/.<guid>.privatelink/'

echo "== command invoke needs no network path"
az aks command invoke -n zjaks02 -g zjPrivateLink --command "kubectl get nodes -o name" | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:+]+/<time>/g' | norm
az aks command invoke -n zjaks02 -g zjPrivateLink --command "kubectl get ns default -o name" | tail -n +2

echo "== a jump box in the cluster VNet runs kubectl"
az network vnet subnet create -g $mc --vnet-name $vnet -n jumpbox --address-prefixes 10.225.0.0/24 -o none
az vm create -g $mc -n jumpbox --image Ubuntu2204 --vnet-name $vnet --subnet jumpbox --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" -o none
kc=$(cat kubeconfig)
az vm run-command invoke -g $mc -n jumpbox --command-id RunShellScript --scripts "cat > kc <<'KC'
$kc
KC
kubectl --kubeconfig kc get ns kube-system -o name" --query "value[0].message" -o tsv

echo "== a peered hub VNet: no name until the zone is linked to it"
az network vnet create -g zjPrivateLink -n hub-vnet -l westus2 --address-prefixes 10.100.0.0/16 --subnet-name jump --subnet-prefixes 10.100.0.0/24 -o none
hubid=$(az network vnet show -g zjPrivateLink -n hub-vnet --query id -o tsv)
aksid=$(az network vnet show -g $mc -n $vnet --query id -o tsv)
az network vnet peering create -g zjPrivateLink -n hub-to-aks --vnet-name hub-vnet --remote-vnet $aksid --allow-vnet-access -o none
az network vnet peering create -g $mc -n aks-to-hub --vnet-name $vnet --remote-vnet $hubid --allow-vnet-access -o none
az vm create -g zjPrivateLink -n hubjump --image Ubuntu2204 --vnet-name hub-vnet --subnet jump --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" -o none
az vm run-command invoke -g zjPrivateLink -n hubjump --command-id RunShellScript --scripts "cat > kc <<'KC'
$kc
KC
kubectl --kubeconfig kc get ns kube-system -o name 2>&1 | grep -o 'no such host' | head -1" --query "value[0].message" -o tsv
zone=$(az network private-dns zone list -g $mc --query "[0].name" -o tsv)
az network private-dns link vnet create -g $mc -z $zone -n hub-link -v $hubid -e false -o none
az vm run-command invoke -g zjPrivateLink -n hubjump --command-id RunShellScript --scripts "cat > kc <<'KC'
$kc
KC
kubectl --kubeconfig kc get ns kube-system -o name" --query "value[0].message" -o tsv

echo "== invalid combinations"
fails az aks create -n bad1 -g zjPrivateLink --enable-private-cluster --api-server-authorized-ip-ranges 1.2.3.4/32
fails az aks create -n bad2 -g zjPrivateLink --enable-private-cluster --load-balancer-sku basic
fails az aks create -n bad3 -g zjPrivateLink --disable-public-fqdn
fails az aks create -n bad4 -g zjPrivateLink --private-dns-zone system
fails az aks create -n bad5 -g zjPrivateLink --enable-private-cluster --private-dns-zone none --disable-public-fqdn
fails az aks update -n zjaks02 -g zjPrivateLink --disable-private-cluster

echo "== stop and start keep the cluster's data"
az aks command invoke -n zjaks02 -g zjPrivateLink --command "kubectl create namespace keep-me" | tail -n +2
az aks stop -n zjaks02 -g zjPrivateLink
az aks show -n zjaks02 -g zjPrivateLink --query "powerState.code" -o tsv
fails az aks command invoke -n zjaks02 -g zjPrivateLink --command "kubectl get ns"
az aks start -n zjaks02 -g zjPrivateLink
az aks show -n zjaks02 -g zjPrivateLink --query "{power:powerState.code, state:provisioningState}" -o json
az aks command invoke -n zjaks02 -g zjPrivateLink --command "kubectl get ns keep-me -o name" | tail -n +2

echo "== delete takes the node resource group"
az aks delete -n zjaks02 -g zjPrivateLink --yes
az group exists -n $mc
az group delete -n zjPrivateLink --yes
