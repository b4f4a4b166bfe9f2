// Package connectedk8s is the az "connectedk8s" command group: Azure
// Arc-enabled Kubernetes (Microsoft.Kubernetes/connectedClusters).
//
// `connect` works like the connectedk8s extension: it loads the current
// kubeconfig context (--kube-config, --kube-context), checks that the API
// server answers (through the proxies of the environment: run it from
// `privlink env --from VM` for a private cluster), installs the Arc
// agents' objects in the azure-arc namespace through the real API server
// (the azure-clusterconfig config map that names the connected cluster,
// and one deployment per agent of Azure's azure-arc chart: no images run),
// then creates the connectedCluster resource and prints it. privlink
// records the API server URL in properties.privlinkKubeApiServer, which
// places the emulated agents in the fabric (docs/arc.md).
//
// `delete` removes the resource and, when the kubeconfig reaches the
// cluster, the azure-arc namespace (the extension's helm uninstall).
package connectedk8s

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/connectedmachine"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is what the connectedk8s extension sends (with private link
// support).
const APIVersion = "2024-07-15-preview"

// ClusterType is the connected cluster.
var ClusterType = core.ResourceType{Namespace: "Microsoft.Kubernetes", Types: []string{"connectedClusters"},
	APIVersion: APIVersion, Shape: &arm.Shape{Flatten: true}}

// Agents are the deployments of Azure's azure-arc Helm chart.
var Agents = []string{
	"cluster-metadata-operator", "clusterconnect-agent", "clusteridentityoperator", "config-agent",
	"controller-manager", "extension-events-collector", "extension-manager", "flux-logs-agent",
	"kube-aad-proxy", "logcollector", "metrics-agent", "resource-sync-agent",
}

// The namespace and config map the agents read their identity from.
const (
	Namespace = "azure-arc"
	ConfigMap = "azure-clusterconfig"
)

// Groups returns the command groups (with connectedmachine's).
func Groups() []*core.Group {
	res := core.NewResource(ClusterType, core.NameArg("The name of the connected cluster."))
	kubeArgs := []*core.Arg{
		{Dest: "kube_config", Options: []string{"--kube-config"}, Help: "Path to the kube config file."},
		{Dest: "kube_context", Options: []string{"--kube-context"}, Help: "Kubconfig context from current machine."},
	}
	connect := &core.Command{
		Name: "connect", Short: "Onboard a connected kubernetes cluster to azure.", NoWait: true,
		Args: append(append(res.Args(true), core.LocationArg(false), core.TagsArg(),
			&core.Arg{Dest: "infrastructure", Options: []string{"--infrastructure"}, Default: "generic",
				Help: "The infrastructure on which the Kubernetes cluster represented by this connected cluster will be running on."},
			&core.Arg{Dest: "distribution", Options: []string{"--distribution"}, Default: "generic",
				Help: "The Kubernetes distribution which will be running on this connected cluster."},
			&core.Arg{Dest: "distribution_version", Options: []string{"--distribution-version"},
				Help: "The Kubernetes distribution version of the connected cluster."},
			&core.Arg{Dest: "enable_private_link", Options: []string{"--enable-private-link"}, Kind: core.TriState,
				Help: "Flag to enable/disable private link support on a connected cluster resource."},
			&core.Arg{Dest: "pls_id", Options: []string{"--private-link-scope-resource-id", "--pls-arm-id"},
				Help: "ARM resource id of the private link scope resource to which this connected cluster is associated."},
		), kubeArgs...),
		Examples: []core.Example{{Summary: "Onboard a connected kubernetes cluster with private link.",
			Command: "az connectedk8s connect -g resourceGroupName -n connectedClusterName -l eastus --enable-private-link true --private-link-scope-resource-id pls/resource/arm/id"}},
		Run: func(c *core.Context) (any, error) { return connect(c, res) },
	}
	del := &core.Command{
		Name: "delete", Short: "Delete a connected kubernetes cluster along with connected cluster agents.",
		Args: append(res.Args(true), kubeArgs...), Confirm: "Are you sure you want to perform this operation?",
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := res.Path(c)
			if err != nil {
				return nil, err
			}
			if err := client.Delete(c.Context(), p, APIVersion, false); err != nil {
				return nil, err
			}
			if cfg, _, err := restConfig(c); err == nil {
				if cs, err := k8s.NewForConfig(cfg); err == nil {
					err := cs.CoreV1().Namespaces().Delete(c.Context(), Namespace, metav1.DeleteOptions{})
					if err != nil && !apierrors.IsNotFound(err) {
						c.Warnf("Could not remove the Arc agents from the cluster: %v", err)
					}
				}
			}
			return nil, nil
		},
	}
	update := res.UpdateCommand("Update properties of the arc onboarded kubernetes cluster.", []*core.Arg{
		core.TagsArg(),
		{Dest: "distribution", Options: []string{"--distribution"}, Help: "The Kubernetes distribution which will be running on this connected cluster."},
		{Dest: "infrastructure", Options: []string{"--infrastructure"}, Help: "The infrastructure on which the Kubernetes cluster represented by this connected cluster will be running on."},
	}, func(c *core.Context, obj map[string]any) error {
		props, _ := obj["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			obj["properties"] = props
		}
		for _, k := range []string{"distribution", "infrastructure"} {
			if v := c.String(k); v != "" {
				props[k] = v
			}
		}
		if c.Has("tags") {
			obj["tags"] = c.Tags("tags")
		}
		return nil
	})
	// -o table: the extension's table formats (name, location, resource group).
	show := res.ShowCommand("Show details of a connected cluster.")
	show.TableQuery = "{name: name, location: location, resourceGroup: resourceGroup}"
	list := res.ListCommand("List connected clusters.")
	list.TableQuery = "[].{name: name, location: location, resourceGroup: resourceGroup}"
	gs := []*core.Group{{Name: "connectedk8s", Short: "Commands to manage connected kubernetes clusters.", Commands: []*core.Command{
		connect,
		show,
		list,
		del,
		update,
	}}}
	return append(gs, connectedmachine.Groups()...)
}

// restConfig loads the kubeconfig context the command names (or the
// current one).
func restConfig(c *core.Context) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if p := c.String("kube_config"); p != "" {
		rules.ExplicitPath = p
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.String("kube_context")}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", core.Errorf("Problem loading the kubeconfig file. %v", err)
	}
	// JSON on the wire (what the extension's Python client sends).
	cfg.ContentType, cfg.AcceptContentTypes = "application/json", "application/json"
	return cfg, cfg.Host, nil
}

func connect(c *core.Context, res *core.Resource) (any, error) {
	loc, err := c.Location("location", "resource_group")
	if err != nil {
		return nil, err
	}
	private := false
	if b := c.OptBool("enable_private_link"); b != nil {
		private = *b
	}
	scope := strings.TrimSpace(c.String("pls_id"))
	if private && scope == "" {
		return nil, core.Errorf("The private link scope resource id must be provided when private link is enabled. Use '--private-link-scope-resource-id'.")
	}
	if !private && scope != "" {
		return nil, core.Errorf("The private link scope resource id can only be provided with '--enable-private-link true'.")
	}
	if private {
		c.Warnf("The features 'cluster-connect' and 'custom-locations' cannot be enabled for a private link enabled connected cluster.")
	}
	cfg, server, err := restConfig(c)
	if err != nil {
		return nil, err
	}
	cs, err := k8s.NewForConfig(cfg)
	if err != nil {
		return nil, core.Errorf("Problem loading the kubeconfig file. %v", err)
	}
	ver, err := cs.Discovery().ServerVersion()
	if err != nil {
		return nil, core.Errorf("Unable to connect to the Kubernetes cluster at %s. Please check your kubeconfig and network connectivity: %v", server, err)
	}
	c.Infof("Kubernetes server version: %s", ver.GitVersion)
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := res.Path(c)
	if err != nil {
		return nil, err
	}
	if existing, err := client.GetObject(c.Context(), p, APIVersion, nil); err == nil && existing != nil {
		return nil, core.Errorf("The kubernetes cluster you are trying to onboard is already onboarded to the resource group '%s' with resource name '%s'.", c.String("resource_group"), c.String("name"))
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pub := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	if err := installAgents(c, cs, map[string]string{
		"AZURE_RESOURCE_NAME": c.String("name"), "AZURE_RESOURCE_GROUP": c.String("resource_group"),
		"AZURE_SUBSCRIPTION_ID": sub, "AZURE_REGION": strings.ToLower(strings.ReplaceAll(loc, " ", "")),
		"AZURE_ARC_AGENT_VERSION": "1.21.10", "ARC_AGENT_RELEASE_TRAIN": "stable",
		"IS_PRIVATE_LINK": fmt.Sprint(private), "AZURE_ENVIRONMENT": "AZUREPUBLICCLOUD",
	}); err != nil {
		return nil, core.Errorf("Failed to install the Azure Arc agents in the cluster: %v", err)
	}
	props := map[string]any{
		"agentPublicKeyCertificate": pub,
		"infrastructure":            c.String("infrastructure"),
		"distribution":              c.String("distribution"),
		"privlinkKubeApiServer":     server,
		"privateLinkState":          "Disabled",
	}
	if v := c.String("distribution_version"); v != "" {
		props["distributionVersion"] = v
	}
	if private {
		props["privateLinkState"] = "Enabled"
		props["privateLinkScopeResourceId"] = scope
	}
	body := map[string]any{"location": loc, "identity": map[string]any{"type": "SystemAssigned"}, "properties": props}
	if tags := c.Tags("tags"); tags != nil {
		body["tags"] = tags
	}
	return res.Put(c, body)
}

// installAgents creates (or updates) the agents' objects.
func installAgents(c *core.Context, cs *k8s.Clientset, data map[string]string) error {
	ctx := c.Context()
	labels := map[string]string{"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/part-of": "azure-arc"}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: labels}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMap, Namespace: Namespace, Labels: labels}, Data: data}
	if _, err := cs.CoreV1().ConfigMaps(Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
		if _, err := cs.CoreV1().ConfigMaps(Namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	one := int32(1)
	for _, name := range Agents {
		sel := map[string]string{"app.kubernetes.io/component": name}
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace, Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: &one,
				Selector: &metav1.LabelSelector{MatchLabels: sel},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: sel},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: name, Image: "mcr.microsoft.com/azurearck8s/" + name + ":1.21.10",
						EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: ConfigMap}}}},
					}}},
				},
			},
		}
		if _, err := cs.AppsV1().Deployments(Namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	c.Infof("Installed the Azure Arc agents in namespace %s", Namespace)
	return nil
}
