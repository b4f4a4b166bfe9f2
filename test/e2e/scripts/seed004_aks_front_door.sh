# Seed 004: a Kubernetes Service with the azure-pls-* annotations makes the
# AKS cloud provider create the internal load balancer and the private link
# service myPLS (NAT IP 10.224.10.10 in the node subnet); Front Door
# Premium adds an origin over it; the owner approves Front Door's pending
# connection; a request to the Front Door endpoint reaches the pod.
# Plain Azure CLI 2.45 usage (kubectl runs through `az aks command
# invoke`, curl from a VM): this script runs unchanged against Azure.

exec 2>&1
rg=e2e-seed004
loc=westus2
sub=$(az account show --query id -o tsv)
# Azure draws the endpoint's host-name label and the managed VNet's number.
norm() { sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<guid>/g; s/-[0-9a-z]{16}\.z01\.azurefd\.net/-<hash>.z01.azurefd.net/g; s/aks-vnet-[0-9]{8}/aks-vnet-<n>/g'; }
poll() {
  local i
  for i in $(seq 1 100); do
    if out=$("$@" 2>/dev/null) && [ -n "$out" ]; then echo "$out"; return 0; fi
    sleep 0.3
  done
  echo "gave up: $*"; return 1
}

echo "== the cluster and the workload"
az group create -n $rg -l $loc -o none
az aks create -n aks-demo -g $rg -l $loc --node-count 2 -o none
cat > super-api.yaml <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: super-api
spec:
  replicas: 2
  selector:
    matchLabels:
      app: super-api
  template:
    metadata:
      labels:
        app: super-api
    spec:
      containers:
      - name: super-api
        image: ghcr.io/gbaeke/super:1.0.7
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: super-api
  annotations:
    # create ILB instead of ELB; this functionality predates the PLS functionality
    service.beta.kubernetes.io/azure-load-balancer-internal: "true"
    service.beta.kubernetes.io/azure-pls-create: "true"
    service.beta.kubernetes.io/azure-pls-name: myPLS
    service.beta.kubernetes.io/azure-pls-ip-configuration-subnet: aks-subnet
    service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address-count: "1"
    service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address: 10.224.10.10
    service.beta.kubernetes.io/azure-pls-proxy-protocol: "false"
    service.beta.kubernetes.io/azure-pls-visibility: "*"
    # does not apply here because we will use Front Door later
    service.beta.kubernetes.io/azure-pls-auto-approval: "$sub"
spec:
  selector:
    app: super-api
  type: LoadBalancer
  ports:
  - port: 80
    targetPort: 8080
YAML
az aks command invoke -n aks-demo -g $rg --command "kubectl apply -f super-api.yaml" --file super-api.yaml | tail -n +2

echo "== the private link service AKS created"
mc=MC_${rg}_aks-demo_$loc
poll az network private-link-service show -g $mc -n myPLS --query "provisioningState" -o tsv
az network private-link-service show -g $mc -n myPLS \
  --query "{nat:ipConfigurations[0].privateIpAddress, subnet:ipConfigurations[0].subnet.id, proxy:enableProxyProtocol, visibility:visibility.subscriptions, connections:length(privateEndpointConnections)}" -o json | norm
az network lb show -g $mc -n kubernetes-internal --query "{sku:sku.name, frontendSubnet:frontendIPConfigurations[0].subnet.id, rules:loadBalancingRules[].{frontendPort:frontendPort, protocol:protocol}}" -o json | norm
alias=$(az network private-link-service show -g $mc -n myPLS --query alias -o tsv)
echo "$alias" | sed -E 's/^myPLS\.[0-9a-f-]{36}\.westus2\.azure\.privatelinkservice$/alias: myPLS.<guid>.westus2.azure.privatelinkservice/'
pls=$(az network private-link-service show -g $mc -n myPLS --query id -o tsv)

echo "== Front Door Premium with a private link origin"
az afd profile create -g $rg --profile-name aksdemo --sku Premium_AzureFrontDoor -o none
az afd endpoint create -g $rg --profile-name aksdemo --endpoint-name aksdemo --enabled-state Enabled -o none
az afd origin-group create -g $rg --profile-name aksdemo --origin-group-name aks --probe-request-type GET \
  --probe-protocol Http --probe-interval-in-seconds 60 --probe-path / --sample-size 4 --successful-samples-required 3 \
  --additional-latency-in-milliseconds 50 -o none
az afd origin create -g $rg --profile-name aksdemo --origin-group-name aks --origin-name super-api \
  --host-name "$alias" --origin-host-header "$alias" --http-port 80 --https-port 443 --priority 1 --weight 1000 \
  --enabled-state Enabled --enable-private-link true --private-link-resource $pls --private-link-location $loc \
  --private-link-request-message "Front Door to super-api" -o none
az afd route create -g $rg --profile-name aksdemo --endpoint-name aksdemo --route-name default --origin-group aks \
  --supported-protocols Http Https --link-to-default-domain Enabled --forwarding-protocol HttpOnly --https-redirect Disabled -o none
host=$(az afd endpoint show -g $rg --profile-name aksdemo --endpoint-name aksdemo --query hostName -o tsv)
echo "$host" | norm

echo "== before approval: Front Door's connection is pending"
az network private-link-service show -g $mc -n myPLS --query "privateEndpointConnections[].privateLinkServiceConnectionState.status" -o tsv
az vm create -g $rg -n client --image Ubuntu2204 --admin-username azureuser --authentication-type password \
  --admin-password "E2e-Passw0rd-2026!" --public-ip-sku Standard -o none
az vm run-command invoke -g $rg -n client --command-id RunShellScript \
  --scripts "curl -s -o /dev/null -w '%{http_code}' http://$host/" --query "value[0].message" -o tsv

echo "== the owner approves"
conn=$(az network private-link-service show -g $mc -n myPLS --query "privateEndpointConnections[0].name" -o tsv)
az network private-link-service connection update -g $mc --service-name myPLS -n "$conn" --connection-status Approved \
  --description "Approved for Front Door" --query "privateLinkServiceConnectionState.status" -o tsv
az afd origin show -g $rg --profile-name aksdemo --origin-group-name aks --origin-name super-api \
  --query "sharedPrivateLinkResource.status" -o tsv
az network private-link-service show -g $mc -n myPLS --query "length(privateEndpointConnections)" -o tsv

echo "== through Front Door to the pod"
az vm run-command invoke -g $rg -n client --command-id RunShellScript \
  --scripts "curl -s http://$host/ | grep -o 'super-api-[a-z0-9]*-[a-z0-9]*' | head -1 | sed 's/-[a-z0-9]*-[a-z0-9]*$/-<pod>/'" --query "value[0].message" -o tsv

echo "== inside the cluster: a pod's address and the Service's ClusterIP"
az aks command invoke -n aks-demo -g $rg --command "ip=\$(kubectl get pods -l app=super-api -o jsonpath='{.items[0].status.podIP}'); cip=\$(kubectl get service super-api -o jsonpath='{.spec.clusterIP}'); echo pod \$(curl -s -o /dev/null -w '%{http_code}' http://\$ip:8080/); echo clusterIP \$(curl -s -o /dev/null -w '%{http_code}' http://\$cip/)" | tail -n +2

echo "== deleting the Service removes the private link service"
az aks command invoke -n aks-demo -g $rg --command "kubectl delete service super-api" | tail -n +2
for i in $(seq 1 100); do
  az network private-link-service show -g $mc -n myPLS -o none 2>/dev/null || break
  sleep 0.3
done
az network private-link-service list -g $mc --query "length(@)" -o tsv

echo "== cleanup"
az group delete -n $rg --yes
