package onprem

import (
	"net/http"

	"github.com/privlink/privlink/internal/cli/aks"
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// On-premises Kubernetes clusters (Privlink.OnPrem/sites/kubernetesClusters):
// `privlink onprem cluster create/show/list/delete/get-credentials`.

var clusterType = core.ResourceType{Namespace: "Privlink.OnPrem", Types: []string{"sites", "kubernetesClusters"}, APIVersion: APIVersion}

func clusterResource() *core.Resource {
	return core.NewResource(clusterType, &core.Arg{Dest: "site", Options: []string{"--site"}, Help: "Name of the on-premises site."},
		core.NameArg("Name of the on-premises Kubernetes cluster."))
}

func clusterGroup() *core.Group {
	r := clusterResource()
	return &core.Group{Name: "onprem cluster", Short: "Manage Kubernetes clusters of on-premises sites (real API servers on site hosts)." + note,
		Commands: []*core.Command{
			clusterCreate(r), r.ShowCommand("Show an on-premises cluster."), r.ListCommand("List a site's clusters."),
			r.DeleteCommand("Delete an on-premises cluster, its API server and the hosts it created.", true, false),
			clusterCredentials(r),
		}}
}

func clusterCreate(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "node_count", Options: []string{"--node-count", "-c"}, Kind: core.Int,
			Help: "Number of nodes: site hosts <name>-node-<i> are created (default 1)."},
		&core.Arg{Dest: "node_hosts", Options: []string{"--node-hosts"}, Kind: core.List,
			Help: "Space-separated names of existing site hosts to run the nodes on (the first one serves the API server)."},
		&core.Arg{Dest: "kubernetes_version", Options: []string{"--kubernetes-version", "-k"},
			Help: "Version of Kubernetes (only the embedded version is available)."})
	return &core.Command{
		Name: "create", Short: "Create a Kubernetes cluster on a site's hosts." + note, Args: args, NoWait: true,
		Long: "The API server is reachable only through the emulated network, at the first node's address on port 6443.",
		Examples: []core.Example{{Summary: "A two-node cluster.",
			Command: "privlink onprem cluster create -g rg --site corp -n k8s --node-count 2"}},
		Run: func(c *core.Context) (any, error) {
			p := map[string]any{}
			if c.Has("node_count") {
				p["nodeCount"] = c.Int("node_count")
			}
			if hosts := c.List("node_hosts"); len(hosts) > 0 {
				p["nodeHosts"] = hosts
			}
			if v := c.String("kubernetes_version"); v != "" {
				p["kubernetesVersion"] = v
			}
			return r.Put(c, map[string]any{"properties": p})
		},
	}
}

func clusterCredentials(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "context", Options: []string{"--context"},
			Help: "If specified, overwrite the default context name (the cluster's name)."},
		&core.Arg{Dest: "file", Options: []string{"--file", "-f"}, Default: "~/.kube/config",
			Help: "Kubernetes configuration file to update. Use \"-\" to print YAML to stdout instead."},
		&core.Arg{Dest: "overwrite_existing", Options: []string{"--overwrite-existing"}, Kind: core.Flag,
			Help: "Overwrite any existing cluster entry with the same name."})
	return &core.Command{
		Name: "get-credentials", Short: "Merge an on-premises cluster's admin credentials into a kubeconfig." + note, Args: args,
		Long: "Merged like `az aks get-credentials` (KUBECONFIG's first file when --file is not given); the server is https://<first node>:6443, reachable from the emulated network (e.g. `privlink onprem host shell`).",
		Examples: []core.Example{{Summary: "Get the credentials, then run kubectl from a site host.",
			Command: "privlink onprem cluster get-credentials -g rg --site corp -n k8s && privlink onprem host shell -g rg --site corp -n laptop --command 'kubectl get nodes'"}},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := r.Path(c)
			if err != nil {
				return nil, err
			}
			resp, err := client.Do(c.Context(), arm.Request{Method: http.MethodPost, Path: p + "/listClusterAdminCredential", APIVersion: APIVersion})
			if err != nil {
				return nil, err
			}
			v, err := resp.Decode()
			if err != nil {
				return nil, err
			}
			kc, err := aks.FirstKubeconfig(v)
			if err != nil {
				return nil, err
			}
			path, err := aks.KubeconfigPath(c)
			if err != nil {
				return nil, err
			}
			var ctxName *string
			if c.Has("context") {
				n := c.String("context")
				ctxName = &n
			}
			return nil, aks.MergeCredentials(c, path, kc, c.Bool("overwrite_existing"), ctxName)
		},
	}
}
