# Private DNS for a private AKS cluster: the privatelink zone of the
# cluster's region, linked to the cluster's VNet (no auto-registration) and
# to a jumpbox VNet, the API server's A record, and the errors Azure gives
# for duplicate and conflicting links and records.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.

rg=e2e-privatedns-rg
other_rg=e2e-privatedns-other-rg
zone=privatelink.eastus.azmk8s.io

# fails CMD...: runs an az command that must fail; prints its exit code,
# its output if any, and its error.
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*"
  cat out.txt err.txt
}

echo "== networks"
az group create -n $rg -l eastus -o none
az network vnet create -g $rg -n aks-vnet --address-prefixes 10.20.0.0/16 --subnet-name nodes --subnet-prefixes 10.20.0.0/24 -o none
az network vnet create -g $rg -n jumpbox-vnet --address-prefixes 10.30.0.0/16 --subnet-name default --subnet-prefixes 10.30.0.0/24 -o none

echo "== zone"
az network private-dns zone create -g $rg -n $zone
az network private-dns zone show -g $rg -n $zone \
  --query "{name:name, location:location, recordSets:numberOfRecordSets, links:numberOfVirtualNetworkLinks}" -o yaml
az network private-dns zone list -g $rg --query "[].name" -o tsv

echo "== links"
az network private-dns link vnet create -g $rg -n aks-vnet-link -z $zone -v aks-vnet -e false
jumpbox_vnet_id=$(az network vnet show -g $rg -n jumpbox-vnet --query id -o tsv)
az network private-dns link vnet create -g $rg -n jumpbox-link -z $zone -v $jumpbox_vnet_id -e true \
  --query "{name:name, registration:registrationEnabled, vnet:virtualNetwork.id, state:virtualNetworkLinkState}"
az network private-dns link vnet list -g $rg -z $zone --query "sort_by([], &name)[].{Name:name, Registration:registrationEnabled, State:provisioningState}" -o table
az network private-dns link vnet show -g $rg -n aks-vnet-link -z $zone --query registrationEnabled
az network private-dns link vnet update -g $rg -n aks-vnet-link -z $zone --tags purpose=aks --query tags
az network private-dns zone show -g $rg -n $zone --query "{links:numberOfVirtualNetworkLinks, registrationLinks:numberOfVirtualNetworkLinksWithRegistration}"

echo "== records"
az network private-dns record-set a add-record -g $rg -z $zone -n myaks-dns-1a2b3c4d --ipv4-address 10.20.0.4
az network private-dns record-set a add-record -g $rg -z $zone -n myaks-dns-1a2b3c4d -a 10.20.0.5 --query "aRecords[].ipv4Address" -o tsv
az network private-dns record-set a remove-record -g $rg -z $zone -n myaks-dns-1a2b3c4d --ipv4-address 10.20.0.5 --query "aRecords[].ipv4Address" -o tsv
az network private-dns record-set a show -g $rg -z $zone -n myaks-dns-1a2b3c4d --query "{fqdn:fqdn, ttl:ttl, ips:aRecords[].ipv4Address}"
az network private-dns record-set cname set-record -g $rg -z $zone -n api -c myaks-dns-1a2b3c4d.$zone --query "{fqdn:fqdn, cname:cnameRecord.cname}"
az network private-dns record-set soa show -g $rg -z $zone --query "{host:soaRecord.host, email:soaRecord.email, ttl:ttl}"
az network private-dns record-set list -g $rg -z $zone --query "sort_by([], &name)[].{Name:name, Type:type, TTL:ttl}" -o table
az network private-dns zone show -g $rg -n $zone --query numberOfRecordSets

echo "== errors"
fails az network private-dns link vnet create -g $rg -n aks-vnet-link-2 -z $zone -v aks-vnet -e false
az network private-dns zone create -g $rg -n other.internal -o none
fails az network private-dns link vnet create -g $rg -n jumpbox-registration-2 -z other.internal -v jumpbox-vnet -e true
az group create -n $other_rg -l eastus -o none
az network private-dns zone create -g $other_rg -n $zone -o none
fails az network private-dns link vnet create -g $other_rg -n aks-vnet-link -z $zone -v "$(az network vnet show -g $rg -n aks-vnet --query id -o tsv)" -e false
fails az network private-dns record-set a add-record -g $rg -z $zone -n api --ipv4-address 10.20.0.6
fails az network private-dns record-set a add-record -g $rg -z $zone -n bad-ip --ipv4-address 10.20.0.256
fails az network private-dns zone delete -g $rg -n $zone --yes
fails az network private-dns zone show -g $rg -n missing.example.com
fails az network private-dns link vnet create -g $rg -n missing-vnet-link -z $zone -v missing-vnet -e false

echo "== tear down"
az network private-dns record-set a delete -g $rg -z $zone -n myaks-dns-1a2b3c4d --yes
az network private-dns record-set a list -g $rg -z $zone --query "length(@)"
az network private-dns link vnet delete -g $rg -n aks-vnet-link -z $zone --yes
az network private-dns link vnet delete -g $rg -n jumpbox-link -z $zone --yes
az network private-dns zone delete -g $rg -n $zone --yes
az network private-dns zone list -g $rg --query "[].name" -o tsv
az group delete -n $other_rg --yes
az group delete -n $rg --yes
