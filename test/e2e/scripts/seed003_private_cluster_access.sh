# Seed 003: the ways to reach a private AKS cluster's API server, one
# cluster shared by all of them: `az aks command invoke`; a jump box in the
# cluster's VNet; a VM in a hub VNet peered with the cluster's VNet once
# the cluster's private DNS zone is linked to the hub; Azure Bastion in the
# hub; an on-premises host over a site-to-site VPN and another over
# ExpressRoute, both through the hub's gateways (gateway transit) with
# on-premises DNS forwarding azmk8s.io to a DNS Private Resolver inbound
# endpoint in the hub. Then the seed's troubleshooting checks, each
# reproduced and named by `az network watcher test-connectivity`: the
# missing peering, the missing zone link, the public FQDN disabled, an NSG
# denying 443, and on the hybrid paths the peering without remote gateways
# and on-premises DNS without a forwarder; from VMs and from on-premises
# hosts.
# Plain Azure CLI 2.45 usage (az network bastion from its extension),
# except the customer's side of the hybrid paths (`az onprem`: sites, their
# hosts, DNS forwarders, the provider's side of the circuit), which Azure
# does not model; test-connectivity takes the on-premises hosts by
# resource ID (privlink's extension: Azure takes VMs only).

rg=e2e-seed003-rg
exec 2>&1
# Azure draws these: the 8-hex FQDN labels, the zone's GUID label and the
# VNet's 8-digit suffix; the default dnsPrefix ends with the subscription
# ID's first six characters.
norm() { sed -E 's/-[0-9a-f]{6}-[0-9a-f]{8}\./-<sub6>-<hash>./g; s/[0-9a-f-]{36}\.privatelink/<guid>.privatelink/g; s/aks-vnet-[0-9]{8}/aks-vnet-<n>/g'; }

# fails CMD...: runs an az command that must fail; prints its exit code,
# its output if any, and its error.
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*" | norm
  cat out.txt err.txt | norm
}

# check SOURCE-ID ADDRESS: Network Watcher's connectivity check to port 443,
# its verdict and the issues of its hops.
check() {
  az network watcher test-connectivity --source-resource "$1" --dest-address "$2" --dest-port 443 \
    --query "{status:connectionStatus, hops:join(' ', hops[].type), issues:hops[].issues[].{type:type, origin:origin, reason:context[0].reason}}" -o json | norm
}

# kubectl in a run command: the kubeconfig from `az aks get-credentials`,
# then the command.
kc() { printf "cat > kc <<'KC'\n%s\nKC\nkubectl --kubeconfig kc %s" "$(cat kubeconfig)" "$1"; }
vmrun() { az vm run-command invoke -g "$1" -n "$2" --command-id RunShellScript --scripts "$(kc "$3")" --query "value[0].message" -o tsv | norm; }
hostrun() { az onprem host run-command invoke -g $rg --site "$1" -n "$2" --scripts "$(kc "$3")" --query "value[0].message" -o tsv | norm; }

echo "== one private cluster for every path"
az group create -n $rg -l eastus -o none
az aks create -n aks1 -g $rg --enable-private-cluster --load-balancer-sku standard -o none
az aks show -n aks1 -g $rg --query "{fqdn:fqdn, privateFqdn:privateFqdn, publicFqdn:apiServerAccessProfile.enablePrivateClusterPublicFqdn}" -o json | norm
mc=$(az aks show -n aks1 -g $rg --query nodeResourceGroup -o tsv)
vnet=$(az network vnet list -g $mc --query "[0].name" -o tsv)
aksvnet=$(az network vnet show -g $mc -n $vnet --query id -o tsv)
zone=$(az network private-dns zone list -g $mc --query "[0].name" -o tsv)
api=$(az network private-dns record-set a list -g $mc -z $zone --query "[0].aRecords[0].ipv4Address" -o tsv)
fqdn=$(az aks show -n aks1 -g $rg --query fqdn -o tsv)
privfqdn=$(az aks show -n aks1 -g $rg --query privateFqdn -o tsv)
echo "zone $zone, API server $api" | norm
az aks get-credentials -n aks1 -g $rg --file kubeconfig
grep "server:" kubeconfig | norm

echo "== path 6: az aks command invoke needs no network path"
az aks command invoke -n aks1 -g $rg --command "kubectl get ns default -o name" | tail -n +2

echo "== path 1: a jump box in the cluster's VNet"
az network vnet subnet create -g $mc --vnet-name $vnet -n jumpbox --address-prefixes 10.225.0.0/24 -o none
az vm create -g $mc -n jumpbox --image Ubuntu2204 --vnet-name $vnet --subnet jumpbox --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" -o none
vmrun $mc jumpbox "get ns kube-system -o name"
check "$(az vm show -g $mc -n jumpbox --query id -o tsv)" $privfqdn

echo "== a hub VNet with a jump box, not yet peered: no route to the API server"
az network vnet create -g $rg -n hub --address-prefixes 10.100.0.0/16 --subnet-name jump --subnet-prefixes 10.100.0.0/24 -o none
hub=$(az network vnet show -g $rg -n hub --query id -o tsv)
az vm create -g $rg -n hubjump --image Ubuntu2204 --vnet-name hub --subnet jump --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" -o none
hubjump=$(az vm show -g $rg -n hubjump --query id -o tsv)
check $hubjump $api

echo "== peered both ways: the address answers, the name does not (no zone link)"
az network vnet peering create -g $rg -n hub-to-aks --vnet-name hub --remote-vnet $aksvnet --allow-vnet-access -o none
az network vnet peering create -g $mc -n aks-to-hub --vnet-name $vnet --remote-vnet $hub --allow-vnet-access -o none
check $hubjump $api
check $hubjump $privfqdn
vmrun $rg hubjump "get ns kube-system -o name 2>&1 | grep -o 'no such host' | head -1"

echo "== the public FQDN is enabled: outside the VNet it answers with the private address"
check $hubjump $fqdn

echo "== path 2: the zone linked to the hub"
az network private-dns link vnet create -g $mc -z $zone -n hub-link -v $hub -e false -o none
check $hubjump $privfqdn
vmrun $rg hubjump "get ns kube-system -o name"

echo "== path 3: Azure Bastion (Standard, tunneling) in the hub, ssh to the hub jump box"
az network vnet subnet create -g $rg --vnet-name hub -n AzureBastionSubnet --address-prefixes 10.100.1.0/26 -o none
az network public-ip create -g $rg -n bastion-ip --sku Standard -o none
az network bastion create -g $rg -n bastion --vnet-name hub --public-ip-address bastion-ip -l eastus --sku Standard \
  --enable-tunneling true --query "{sku:sku.name, tunneling:enableTunneling}" -o json
az network bastion ssh -g $rg -n bastion --target-resource-id $hubjump --auth-type password --username azureuser -- "$(kc "get ns kube-public -o name")"

echo "== an NSG on the hub jump box's subnet denies 443 to the API server"
az network nsg create -g $rg -n jump-nsg -o none
az network nsg rule create -g $rg --nsg-name jump-nsg -n deny-apiserver --priority 100 --direction Outbound --access Deny \
  --protocol Tcp --destination-address-prefixes $api --destination-port-ranges 443 -o none
az network vnet subnet update -g $rg --vnet-name hub -n jump --network-security-group jump-nsg -o none
check $hubjump $privfqdn
vmrun $rg hubjump "get ns kube-system -o name 2>&1 | grep -o 'i/o timeout' | head -1"
az network vnet subnet update -g $rg --vnet-name hub -n jump --remove networkSecurityGroup -o none

echo "== path 4: site-to-site VPN through the hub's gateway"
az network vnet subnet create -g $rg --vnet-name hub -n GatewaySubnet --address-prefixes 10.100.255.0/27 -o none
az network public-ip create -g $rg -n vpngw-ip --sku Standard -o none
az network vnet-gateway create -g $rg -n vpngw --vnet hub --public-ip-addresses vpngw-ip --gateway-type Vpn --vpn-type RouteBased \
  --sku VpnGw1 -o none
gwip=$(az network public-ip show -g $rg -n vpngw-ip --query ipAddress -o tsv)
az onprem site create -g $rg -n corp -l eastus --address-prefixes 192.168.0.0/16 --dns-server-ip 192.168.0.4 -o none
az onprem host create -g $rg --site corp -n laptop -o none
laptop=$(az onprem host show -g $rg --site corp -n laptop --query id -o tsv)
edge=$(az onprem site show -g $rg -n corp --query properties.edgePublicIpAddress -o tsv)
az network local-gateway create -g $rg -n corp-lng --gateway-ip-address $edge --local-address-prefixes 192.168.0.0/16 -o none
az network vpn-connection create -g $rg -n to-corp --vnet-gateway1 vpngw --local-gateway2 corp-lng --shared-key "Sh4red-key" -o none
az onprem site vpn-device add -g $rg --site corp -n edge1 --gateway-ip $gwip --shared-key "Sh4red-key" -o none
for _ in $(seq 50); do [ "$(az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv)" = Connected ] && break; sleep 0.1; done
az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv
echo "-- the cluster's VNet does not use the hub's gateway yet"
check $laptop $api
az network vnet peering update -g $rg -n hub-to-aks --vnet-name hub --set allowGatewayTransit=true -o none
az network vnet peering update -g $mc -n aks-to-hub --vnet-name $vnet --set useRemoteGateways=true -o none
check $laptop $api
echo "-- on-premises DNS does not know the private name"
check $laptop $privfqdn
hostrun corp laptop "get ns kube-system -o name 2>&1 | grep -o 'no such host' | head -1"
echo "-- a DNS Private Resolver inbound endpoint in the hub; on-premises DNS forwards azmk8s.io to it"
az network vnet subnet create -g $rg --vnet-name hub -n inbound --address-prefixes 10.100.2.0/28 --delegations Microsoft.Network/dnsResolvers -o none
az dns-resolver create -g $rg -n resolver --id $hub -o none
az dns-resolver inbound-endpoint create -g $rg --dns-resolver-name resolver -n inbound \
  --ip-configurations "[{private-ip-address:\"\",private-ip-allocation-method:Dynamic,id:$hub/subnets/inbound}]" -o none
inbound=$(az dns-resolver inbound-endpoint show -g $rg --dns-resolver-name resolver -n inbound --query "ipConfigurations[0].privateIpAddress" -o tsv)
echo "inbound endpoint $inbound"
az onprem dns forwarder add -g $rg --site corp --zone azmk8s.io --target $inbound -o none
check $laptop $privfqdn
hostrun corp laptop "get ns kube-system -o name"

echo "== path 5: ExpressRoute, a second site through an ExpressRoute gateway in the same hub"
az network express-route create -g $rg -n er --bandwidth 200 --peering-location "Silicon Valley" --provider Equinix -o none
key=$(az network express-route show -g $rg -n er --query serviceKey -o tsv)
az onprem site create -g $rg -n branch -l eastus --address-prefixes 172.16.0.0/16 --dns-server-ip 172.16.0.4 -o none
az onprem site express-route provision -g $rg --site branch --service-key $key -o none
az network express-route show -g $rg -n er --query serviceProviderProvisioningState -o tsv
az network express-route peering create -g $rg --circuit-name er --peering-type AzurePrivatePeering \
  --peer-asn 65001 --vlan-id 100 --primary-peer-subnet 172.31.255.0/30 --secondary-peer-subnet 172.31.255.4/30 -o none
az network vnet-gateway create -g $rg -n ergw --vnet hub --gateway-type ExpressRoute --sku ErGw1AZ -o none
az network vpn-connection create -g $rg -n to-branch --vnet-gateway1 ergw --express-route-circuit2 er -o none
for _ in $(seq 50); do [ "$(az network vpn-connection show -g $rg -n to-branch --query connectionStatus -o tsv)" = Connected ] && break; sleep 0.1; done
az network vpn-connection show -g $rg -n to-branch --query connectionStatus -o tsv
az onprem host create -g $rg --site branch -n desk -o none
desk=$(az onprem host show -g $rg --site branch -n desk --query id -o tsv)
az onprem dns forwarder add -g $rg --site branch --zone azmk8s.io --target $inbound -o none
check $desk $privfqdn
hostrun branch desk "get ns kube-system -o name"

echo "== the public FQDN disabled: the public name no longer answers"
check $laptop $fqdn
az aks update -n aks1 -g $rg --disable-public-fqdn --query "apiServerAccessProfile.enablePrivateClusterPublicFqdn" -o tsv
check $laptop $fqdn
check $hubjump $fqdn

echo "== errors"
fails az network watcher test-connectivity --source-resource ${laptop}x --dest-address $api --dest-port 443
az onprem host stop -g $rg --site corp -n laptop
fails az network watcher test-connectivity --source-resource $laptop --dest-address $api --dest-port 443

echo "== cleanup"
# A circuit its provider has provisioned cannot be deleted: the provider
# deprovisions it first. A resolver with endpoints cannot be deleted either.
az onprem site express-route deprovision -g $rg --site branch --service-key $key -o none
for _ in $(seq 50); do [ "$(az network express-route show -g $rg -n er --query serviceProviderProvisioningState -o tsv)" = NotProvisioned ] && break; sleep 0.1; done
az network express-route show -g $rg -n er --query serviceProviderProvisioningState -o tsv
az dns-resolver inbound-endpoint delete -g $rg --dns-resolver-name resolver -n inbound --yes
az dns-resolver delete -g $rg -n resolver --yes
az aks delete -n aks1 -g $rg --yes
az group delete -n $rg --yes
az group exists -n $rg
