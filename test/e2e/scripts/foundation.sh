# Foundation: resource groups, a user-assigned managed identity and its role
# assignment, output formats, --query, and the error and usage paths.
# Plain Azure CLI 2.45 usage: this script runs unchanged against Azure.

rg=e2e-foundation-rg
tmp_rg=e2e-foundation-tmp

echo "== az version"
az version

echo "== resource groups"
az group create --name "$rg" --location eastus --tags env=e2e owner=foundation
az group create -n "$tmp_rg" -l westus2 --tags owner=foundation -o none
az group exists -n "$rg"
az group show -n "$rg" -o yaml
az group show -n "$rg" --query "{name:name, location:location, state:properties.provisioningState}" -o tsv
az group list --tag owner=foundation --query "sort_by(@, &name)[].{Name:name, Location:location, State:properties.provisioningState}" -o table
az group list --query "[?starts_with(name, 'e2e-foundation')].name | sort(@)" -o tsv
az group update -n "$rg" --set tags.stage=test --query tags -o json

echo "== managed identity"
az identity create -g "$rg" -n e2e-identity -o none
az identity show -g "$rg" -n e2e-identity
principal_id=$(az identity show -g "$rg" -n e2e-identity --query principalId -o tsv)
client_id=$(az identity show -g "$rg" -n e2e-identity --query clientId -o tsv)
az identity list -g "$rg" --query "[].{name:name, location:location}" -o table

echo "== role assignment"
rg_id=$(az group show -n "$rg" --query id -o tsv)
az role assignment create --assignee "$principal_id" --role "Network Contributor" --scope "$rg_id"
az role assignment list --scope "$rg_id" --query "[].{principalId:principalId, role:roleDefinitionName, scope:scope}" -o json
az role assignment list --assignee "$client_id" --all --query "[].roleDefinitionName" -o tsv
az role assignment list --scope "$rg_id" -o none

echo "== errors"
rc=0
az group show -n missing 2>err.txt || rc=$?
echo "az group show -n missing: exit $rc"
cat err.txt

rc=0
az identity show -g "$rg" -n missing 2>err.txt || rc=$?
echo "az identity show (missing identity): exit $rc"
cat err.txt

rc=0
az group delete -n missing --yes 2>err.txt || rc=$?
echo "az group delete -n missing: exit $rc"
cat err.txt

# Usage errors: argparse's message is the first stderr line (az may follow
# it with examples fetched from its online knowledge base).
rc=0
az group create -n "$tmp_rg" 2>err.txt || rc=$?
echo "az group create without --location: exit $rc"
head -n 1 err.txt

rc=0
az group list --output yml 2>err.txt || rc=$?
echo "az group list --output yml: exit $rc"
head -n 1 err.txt

rc=0
az group list --query "[?" 2>err.txt || rc=$?
echo "az group list --query '[?': exit $rc"
head -n 1 err.txt

echo "== cleanup"
az role assignment delete --assignee "$principal_id" --role "Network Contributor" --scope "$rg_id"
az role assignment list --scope "$rg_id" -o tsv | wc -l
az group delete -n "$tmp_rg" --yes --no-wait
az group wait --deleted -n "$tmp_rg"
az group exists -n "$tmp_rg"
az group delete --name "$rg" --yes
az group exists --name "$rg"
az group list --tag owner=foundation -o json
