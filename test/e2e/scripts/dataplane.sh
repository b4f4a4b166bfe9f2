# The data plane: a jump box in a hub VNet reaches a VM in a spoke VNet only
# once the VNets are peered both ways and no NSG denies it; Network Watcher
# says why, and a run command really connects (to the VM's SSH port).
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure
# (the SSH banner is cut to its protocol version, "SSH-2.0-").

rg=e2e-dataplane-rg
exec 2>&1

echo "== networks and VMs"
az group create -n $rg -l eastus -o none
az network vnet create -g $rg -n hub --address-prefixes 10.1.0.0/16 --subnet-name jump --subnet-prefixes 10.1.0.0/24 -o none
az network vnet create -g $rg -n spoke --address-prefixes 10.2.0.0/16 --subnet-name apps --subnet-prefixes 10.2.0.0/24 -o none
az vm create -g $rg -n jumpbox --image Ubuntu2204 --vnet-name hub --subnet jump --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-sku Standard --query "{power:powerState, ip:privateIpAddress}" -o json
az vm create -g $rg -n app1 --image Ubuntu2204 --vnet-name spoke --subnet apps --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" --query "{power:powerState, ip:privateIpAddress, public:publicIpAddress}" -o json
az vm list-ip-addresses -g $rg --query "sort_by([], &virtualMachine.name)[].{vm:virtualMachine.name, private:virtualMachine.network.privateIpAddresses[0]}" -o table

echo "== before peering"
az network watcher show-next-hop -g $rg --vm jumpbox --source-ip 10.1.0.4 --dest-ip 10.2.0.4
az network watcher test-connectivity -g $rg --source-resource jumpbox --dest-resource app1 --dest-port 22 \
  --query "{status:connectionStatus, hops:hops[].type}" -o json

echo "== peered both ways"
az network vnet peering create -g $rg -n hub-to-spoke --vnet-name hub --remote-vnet spoke --allow-vnet-access -o none
az network vnet peering create -g $rg -n spoke-to-hub --vnet-name spoke --remote-vnet hub --allow-vnet-access -o none
az network watcher show-next-hop -g $rg --vm jumpbox --source-ip 10.1.0.4 --dest-ip 10.2.0.4
az network watcher test-connectivity -g $rg --source-resource jumpbox --dest-resource app1 --dest-port 22 \
  --query "{status:connectionStatus, hops:hops[].type}" -o json
az vm run-command invoke -g $rg -n jumpbox --command-id RunShellScript \
  --scripts "timeout 5 curl -sS -m 3 telnet://10.2.0.4:22 </dev/null 2>/dev/null | cut -c1-8" --query "value[0].message" -o tsv

echo "== an NSG on the spoke subnet denies SSH"
az network nsg create -g $rg -n apps-nsg -o none
az network nsg rule create -g $rg --nsg-name apps-nsg -n deny-ssh --priority 200 --direction Inbound --access Deny \
  --protocol Tcp --destination-port-ranges 22 -o none
az network vnet subnet update -g $rg --vnet-name spoke -n apps --network-security-group apps-nsg -o none
az network watcher test-ip-flow -g $rg --vm app1 --direction Inbound --protocol TCP --local 10.2.0.4:22 --remote 10.1.0.4:50000
az network watcher test-ip-flow -g $rg --vm app1 --direction Inbound --protocol TCP --local 10.2.0.4:443 --remote 10.1.0.4:50000
az network watcher test-connectivity -g $rg --source-resource jumpbox --dest-resource app1 --dest-port 22 \
  --query "{status:connectionStatus, issues:hops[].issues[].{type:type, severity:severity, origin:origin}}" -o json
az network nic show-effective-route-table -g $rg -n jumpboxVMNic -o table

echo "== the spoke VM deallocated"
az network vnet subnet update -g $rg --vnet-name spoke -n apps --remove networkSecurityGroup -o none
az vm deallocate -g $rg -n app1
az vm get-instance-view -g $rg -n app1 --query "instanceView.statuses[1].code" -o tsv
az network watcher test-connectivity -g $rg --source-resource jumpbox --dest-resource app1 --dest-port 22 \
  --query "connectionStatus" -o tsv

echo "== cleanup"
az group delete -n $rg --yes
az group exists -n $rg
