# The preview-feature and resource-provider steps of the AKS private cluster
# (seed 000) and API server VNet integration (seed 001) walkthroughs, with
# their commands verbatim, polling the way they tell users to: run the
# check again until the state reads Registered.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.

# az writes its warnings to stderr; keep them with the output they explain.
exec 2>&1

# poll CMD... runs CMD until its output has the word Registered (at most 60 tries,
# one second apart), then prints its last output.
poll() {
  local out tries=0
  until out=$("$@") && grep -qw Registered <<<"$out"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      echo "still not Registered after $tries tries: $*"
      echo "$out"
      return 1
    fi
    sleep 1
  done
  echo "$out"
}

echo "== seed 000: AKS private cluster"
# 准备 Azure CLI, 升级 aks-preview extension 版本
az extension add --name aks-preview
az extension update --name aks-preview

# 注册 PrivateLink 针对 AKS 服务的功能, 并确保注册状态已经是 Registered
az feature register --name AKSPrivateLinkPreview --namespace Microsoft.ContainerService
poll az feature list -o table --query "[?contains(name, 'Microsoft.ContainerService/AKSPrivateLinkPreview')].{Name:name,State:properties.state}"
az provider register --namespace Microsoft.ContainerService
az provider register --namespace Microsoft.Network
poll az provider show -n Microsoft.ContainerService --query registrationState -o tsv
poll az provider show -n Microsoft.Network --query registrationState -o tsv

echo "== seed 001: API server VNet integration"
az extension add --name aks-preview
az extension update --name aks-preview
az feature register --namespace "Microsoft.ContainerService" --name "EnableAPIServerVnetIntegrationPreview"
poll az feature show --namespace "Microsoft.ContainerService" --name "EnableAPIServerVnetIntegrationPreview"
az provider register --namespace Microsoft.ContainerService

echo "== afterwards"
az extension list --query "[].name" -o tsv
az feature list --namespace Microsoft.ContainerService -o table --query "[?properties.state=='Registered'].{Name:name,State:properties.state} | sort_by(@, &Name)"
az provider show -n Microsoft.ContainerService --query "{namespace:namespace, registrationState:registrationState}" -o json
