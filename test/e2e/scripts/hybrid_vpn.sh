# Site-to-site VPN: a laptop in an emulated on-premises site reaches a VM in
# an Azure VNet only once the VPN connection is up. The Azure side is plain
# Azure CLI 2.45 (vnet-gateway, local-gateway, vpn-connection); the
# on-premises side has no Azure equivalent (Azure does not model the
# customer's network), so it uses the emulator's `az onprem` group: the
# site, its VPN device and its host. The laptop's curl goes through the
# fabric (`az onprem host run-command invoke`, like `az vm run-command`);
# the proxy names why it is refused. The VM's port 80 is served by a local
# web server through `az vm expose`.

rg=e2e-hybrid-rg
exec 2>&1

# fails CMD...: runs an az command that must fail; prints its exit code,
# its output if any, and its error.
fails() {
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  echo "exit $rc: $*"
  cat out.txt err.txt
}

# laptop SCRIPT: runs SCRIPT on the site's laptop and prints its output.
laptop() {
  az onprem host run-command invoke -g $rg --site corp -n laptop --scripts "$1" --query "value[0].message" -o tsv
}

echo "== Azure: a hub VNet with a VM serving port 80, and a VPN gateway"
az group create -n $rg -l eastus -o none
az network vnet create -g $rg -n hub --address-prefixes 10.1.0.0/16 --subnet-name apps --subnet-prefixes 10.1.1.0/24 -o none
az network vnet subnet create -g $rg --vnet-name hub -n GatewaySubnet --address-prefixes 10.1.255.0/27 -o none
az vm create -g $rg -n app1 --image Ubuntu2204 --vnet-name hub --subnet apps --admin-username azureuser \
  --authentication-type password --admin-password "E2e-Passw0rd-2026!" --public-ip-address "" --nsg "" --query "privateIpAddress" -o tsv
mkdir -p site && echo "hello from app1" > site/index.html
e2e-web-server site web.port >web.log 2>&1 & # python3 -m http.server, on a free port
web=$!
for _ in $(seq 50); do [ -s web.port ] && break; sleep 0.1; done
az vm expose -g $rg -n app1 --port 80 --target 127.0.0.1:$(cat web.port) -o none
az network public-ip create -g $rg -n gw-ip --sku Standard -o none
az network vnet-gateway create -g $rg -n gw --vnet hub --public-ip-addresses gw-ip --gateway-type Vpn --vpn-type RouteBased \
  --sku VpnGw1 -o none
gwip=$(az network public-ip show -g $rg -n gw-ip --query ipAddress -o tsv)

echo "== on premises: a site with a laptop"
az onprem site create -g $rg -n corp -l eastus --address-prefixes 192.168.0.0/16 --dns-server-ip 192.168.0.4 \
  --query "{prefixes:properties.addressPrefixes, edge:properties.edgePublicIpAddress, dns:properties.dnsServer.privateIpAddress}" -o json
fails az onprem site create -g $rg -n branch -l eastus --address-prefixes 192.168.10.0/24
az onprem host create -g $rg --site corp -n laptop --query "properties.{ip:privateIpAddress, power:powerState}" -o json
fails az onprem host create -g $rg --site corp -n printer --private-ip-address 10.9.0.4
edge=$(az onprem site show -g $rg -n corp --query properties.edgePublicIpAddress -o tsv)

echo "== before the tunnel: no route from the site to the VNet"
laptop "curl -sS -m 5 -x \$HTTP_PROXY http://10.1.1.4/"

echo "== the Azure side of the tunnel: local network gateway and connection"
az network local-gateway create -g $rg -n corp-lng --gateway-ip-address $edge --local-address-prefixes 192.168.0.0/16 -o none
az network vpn-connection create -g $rg -n to-corp --vnet-gateway1 gw --local-gateway2 corp-lng --shared-key "Sh4red-key" -o none

echo "== the site's device with the wrong key: NotConnected, and the proxy says why"
az onprem site vpn-device add -g $rg --site corp -n edge1 --gateway-ip $gwip --shared-key "wrong-key" -o none
for _ in $(seq 50); do [ "$(az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv)" = NotConnected ] && break; sleep 0.1; done
az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv
laptop "curl -sS -m 5 -x \$HTTP_PROXY http://10.1.1.4/"

echo "== the right key: Connected, and the laptop gets the page"
az onprem site vpn-device remove -g $rg --site corp -n edge1 -o none
az onprem site vpn-device add -g $rg --site corp -n edge1 --gateway-ip $gwip --shared-key "Sh4red-key" -o none
for _ in $(seq 50); do [ "$(az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv)" = Connected ] && break; sleep 0.1; done
az network vpn-connection show -g $rg -n to-corp --query connectionStatus -o tsv
laptop "curl -sS -m 5 http://10.1.1.4/"
az network nic show-effective-route-table -g $rg -n app1VMNic --query "value[?source=='VirtualNetworkGateway'].{prefix:addressPrefix[0], next:nextHopType}" -o table

echo "== a stopped laptop runs nothing"
az onprem host stop -g $rg --site corp -n laptop
fails az onprem host run-command invoke -g $rg --site corp -n laptop --scripts "true"

echo "== cleanup"
kill $web && wait $web || true
az group delete -n $rg --yes
az group exists -n $rg
