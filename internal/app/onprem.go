package app

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"k8s.io/client-go/rest"

	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/providers/onprem"
)

// OnPremAppID is the application ID of the identity that realises
// on-premises Kubernetes clusters (it creates their site hosts and the
// API server's listener through the ARM front end, as AKS's identity does
// for managed clusters).
var OnPremAppID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://privlink/onprem-cluster-operator")).String()

// newOnPremClusters builds the on-premises cluster controller on the AKS
// clusters' Kubernetes runtime (newAKS runs first).
func (d *Daemon) newOnPremClusters(h http.Handler, iss *auth.Issuer) (*onprem.Clusters, error) {
	client, err := newInProcessARM(h, iss, d.Endpoint(), OnPremAppID, "privlink-onprem-clusters")
	if err != nil {
		return nil, err
	}
	cl := &onprem.Clusters{ARM: client, Log: d.log.With("component", "onprem-clusters")}
	if d.kube != nil {
		cl.Kube = d.kube
	}
	return cl, nil
}

// onpremPosition finds an on-premises cluster by its API server URL
// (https://<first node address>:6443): Arc's agents run on the first
// node's site host, and privlink runs the API server.
func onpremPosition(ctx context.Context, d *Daemon, u *url.URL) (string, *rest.Config, bool) {
	host := u.Hostname()
	if net.ParseIP(host) == nil {
		return "", nil, false
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	want := "https://" + net.JoinHostPort(host, port)
	recs, err := d.Platform.Engine.ListRecords(ctx, "", onprem.ClusterType)
	if err != nil {
		return "", nil, false
	}
	for _, rec := range recs {
		p, err := onprem.DecodeCluster(rec)
		if err != nil || len(p.Nodes) == 0 || !strings.EqualFold(p.APIServerURL, want) {
			continue
		}
		var cfg *rest.Config
		if d.kube != nil {
			if c := d.kube.Get(onprem.ClusterKey(rec)); c != nil {
				cfg = c.RESTConfig()
			}
		}
		return strings.ToLower(p.Nodes[0].HostID), cfg, true
	}
	return "", nil, false
}
