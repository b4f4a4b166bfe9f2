# Seed 003: an admin reaches a VM in a spoke VNet through Azure Bastion in
# the hub. The bastion's subnet and public IP rules, the SKU needed for the
# native client, a tunnel that carries a real HTTP request to the VM (whose
# port 8080 is served by a local web server through `az vm expose`), and an
# NSG on the VM's subnet that denies the bastion, named by the tunnel;
# `az network bastion ssh` runs a command on the VM.
# Plain Azure CLI usage (az network bastion comes from the bastion
# extension; `az vm expose` is the emulator's way to give a VM a server).

rg=e2e-bastion-rg
exec 2>&1

# fails CMD...: runs an az command that must fail; prints its exit code,
# its output if any, and its error.
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*"
  cat out.txt err.txt
}

echo "== hub with AzureBastionSubnet, spoke with a VM, peered both ways"
az group create -n $rg -l eastus -o none
az network vnet create -g $rg -n hub --address-prefixes 10.1.0.0/16 --subnet-name AzureBastionSubnet --subnet-prefixes 10.1.1.0/26 -o none
az network vnet create -g $rg -n spoke --address-prefixes 10.2.0.0/16 --subnet-name apps --subnet-prefixes 10.2.0.0/24 -o none
az network vnet peering create -g $rg -n hub-to-spoke --vnet-name hub --remote-vnet spoke --allow-vnet-access -o none
az network vnet peering create -g $rg -n spoke-to-hub --vnet-name spoke --remote-vnet hub --allow-vnet-access -o none
az vm create -g $rg -n app1 --image Ubuntu2204 --vnet-name spoke --subnet apps --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" --query "privateIpAddress" -o tsv
vmid=$(az vm show -g $rg -n app1 --query id -o tsv)

echo "== an NSG on AzureBastionSubnet needs the rules Bastion relies on"
az network nsg create -g $rg -n bastion-nsg -o none
fails az network vnet subnet update -g $rg --vnet-name hub -n AzureBastionSubnet --network-security-group bastion-nsg
az network nsg rule create -g $rg --nsg-name bastion-nsg -n AllowHttpsInbound --priority 120 --direction Inbound --access Allow \
  --protocol Tcp --source-address-prefixes Internet --destination-port-ranges 443 -o none
az network vnet subnet update -g $rg --vnet-name hub -n AzureBastionSubnet --network-security-group bastion-nsg --query "networkSecurityGroup.id" -o tsv

echo "== the bastion's public IP must be Standard, its subnet AzureBastionSubnet"
az network public-ip create -g $rg -n basic-ip --sku Basic -o none
az network public-ip create -g $rg -n bastion-ip --sku Standard -o none
fails az network bastion create -g $rg -n bastion --vnet-name hub --public-ip-address basic-ip -l eastus
fails az network bastion create -g $rg -n bastion --vnet-name spoke --public-ip-address bastion-ip -l eastus

echo "== a Basic bastion has no native client support"
az network bastion create -g $rg -n bastion --vnet-name hub --public-ip-address bastion-ip -l eastus --sku Basic \
  --query "{sku:sku.name, tunneling:enableTunneling, scaleUnits:scaleUnits, state:provisioningState, ipConfig:ipConfigurations[0].name}" -o json
az network bastion show -g $rg -n bastion --query "starts_with(dnsName, 'bst-') && ends_with(dnsName, '.bastion.azure.com')"
az network vnet subnet show -g $rg --vnet-name hub -n AzureBastionSubnet --query "ipConfigurations[].id" -o tsv
fails az network bastion tunnel -g $rg -n bastion --target-resource-id $vmid --resource-port 22 --port 50022

echo "== Standard with tunneling"
az network bastion update -g $rg -n bastion --sku Standard --enable-tunneling true --query "{sku:sku.name, tunneling:enableTunneling}" -o json
az network bastion list -g $rg --query "[].name" -o tsv

echo "== a tunnel to the VM's port 8080, served by a web server on this machine"
mkdir -p site && echo "hello from app1" > site/index.html
e2e-web-server site web.port >web.log 2>&1 & # python3 -m http.server, on a free port
web=$!
for _ in $(seq 50); do [ -s web.port ] && break; sleep 0.1; done
az vm expose -g $rg -n app1 --port 8080 --target 127.0.0.1:$(cat web.port) -o none
az network bastion tunnel -g $rg -n bastion --target-resource-id $vmid --resource-port 8080 --port 50022 >tunnel.log 2>&1 &
tunnel=$!
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:50022/ && break; sleep 0.1; done
curl -sS http://127.0.0.1:50022/
kill $tunnel && wait $tunnel || true
cat tunnel.log
az network bastion ssh -g $rg -n bastion --target-resource-id $vmid --auth-type password --username azureuser -- "curl -sS http://10.2.0.4:8080/"

echo "== IP-based connection: needs enableIpConnect, reaches ports 22 and 3389 of any address the fabric carries it to"
fails az network bastion ssh -g $rg -n bastion --target-ip-address 10.2.0.4 --auth-type password --username azureuser -- "hostname"
az network bastion update -g $rg -n bastion --enable-ip-connect true --query "enableIpConnect" -o tsv
fails az network bastion tunnel -g $rg -n bastion --target-ip-address 10.2.0.4 --resource-port 8080 --port 50023
fails az network bastion tunnel -g $rg -n bastion --target-ip-address 10.2.0.x --resource-port 22 --port 50023
az network bastion ssh -g $rg -n bastion --target-ip-address 10.2.0.4 --auth-type password --username azureuser -- \
  'env | grep -io "virtualmachines/app1" | head -1; curl -sS http://10.2.0.4:8080/'
fails az network bastion ssh -g $rg -n bastion --target-ip-address 10.2.0.99 --auth-type password --username azureuser -- "hostname"

echo "== an NSG on the VM's subnet denies the bastion subnet"
az network nsg create -g $rg -n apps-nsg -o none
az network nsg rule create -g $rg --nsg-name apps-nsg -n deny-bastion --priority 200 --direction Inbound --access Deny \
  --protocol Tcp --source-address-prefixes 10.1.1.0/26 --destination-port-ranges 8080 -o none
az network vnet subnet update -g $rg --vnet-name spoke -n apps --network-security-group apps-nsg -o none
fails az network bastion tunnel -g $rg -n bastion --target-resource-id $vmid --resource-port 8080 --port 50022

echo "== cleanup"
kill $web && wait $web || true
az group delete -n $rg --yes
az group exists -n $rg
