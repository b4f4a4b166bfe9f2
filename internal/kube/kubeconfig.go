package kube

import (
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeconfigOptions shapes a kubeconfig written by Cluster.Kubeconfig.
type KubeconfigOptions struct {
	// Admin selects the cluster-admin credential (client certificate
	// CN=masterclient, O=system:masters, as `az aks get-credentials
	// --admin`); otherwise the cluster-user credential (CN=clusterUser,
	// O=system:masters: AKS without Entra ID gives users admin rights too).
	Admin bool
	// Server is the API server URL ("https://<fqdn>:443"); default the
	// first DNS name of the spec on port 443.
	Server string
	// ClusterName, ContextName and UserName name the entries; defaults
	// follow az: the cluster name, the cluster name ("-admin" appended for
	// Admin), and "clusterAdmin_<name>" or "clusterUser_<name>".
	ClusterName, ContextName, UserName string
}

// Kubeconfig returns a kubeconfig in the shape az writes (apiVersion v1,
// kind Config, clusters with certificate-authority-data and server, users
// with client-certificate-data and client-key-data, one context, its
// current-context). The client certificates are persisted with the
// cluster, valid for two years, and stay the same across restarts.
func (c *Cluster) Kubeconfig(o KubeconfigOptions) ([]byte, error) {
	spec := c.Spec()
	if o.Server == "" {
		if len(spec.DNSNames) == 0 {
			return nil, errors.New("kube: kubeconfig: no server and the cluster has no DNS name")
		}
		o.Server = "https://" + spec.DNSNames[0] + ":443"
	}
	if o.ClusterName == "" {
		o.ClusterName = spec.Name
	}
	if o.ContextName == "" {
		o.ContextName = spec.Name
		if o.Admin {
			o.ContextName += "-admin"
		}
	}
	cert, key, prefix := c.pki.userCert, c.pki.userKey, "clusterUser_"
	if o.Admin {
		cert, key, prefix = c.pki.adminCert, c.pki.adminKey, "clusterAdmin_"
	}
	if o.UserName == "" {
		o.UserName = prefix + spec.Name
	}
	return buildKubeconfig(o.Server, "", c.CACert(), cert, key, o.ClusterName, o.ContextName, o.UserName)
}

func buildKubeconfig(server, tlsServerName string, ca, cert, key []byte, clusterName, contextName, userName string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{
		Server:                   server,
		TLSServerName:            tlsServerName,
		CertificateAuthorityData: ca,
	}
	cfg.AuthInfos[userName] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cert,
		ClientKeyData:         key,
	}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: userName}
	cfg.CurrentContext = contextName
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("kube: kubeconfig: %w", err)
	}
	return data, nil
}
