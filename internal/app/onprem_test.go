package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/config"
	"github.com/privlink/privlink/internal/providers/onprem"
)

// An on-premises cluster: Arc's agents run at its first node's site host,
// and a restarted daemon runs its API server again.
func TestOnPremClusterPositionAndRestart(t *testing.T) {
	cfg := config.Default()
	cfg.Listen, cfg.SOCKSListen, cfg.HTTPProxyListen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Store = "embedded"
	cfg.RegistrationDelay = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := Start(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = d.Stop(context.Background())
		}
	}()
	iss, err := auth.NewIssuer(cfg.DataDir, d.Identity.TenantID, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newInProcessARM(d.Platform.Server, iss, d.Endpoint(), uuid.NewString(), "onprem-test")
	if err != nil {
		t.Fatal(err)
	}
	rg := "/subscriptions/" + d.Identity.SubscriptionID + "/resourceGroups/corp"
	site := rg + "/providers/Privlink.OnPrem/sites/corp"
	for _, p := range []struct {
		path, api string
		body      any
	}{
		{rg, "2021-04-01", map[string]any{"location": "eastus"}},
		{site, onprem.APIVersion, map[string]any{"location": "eastus", "properties": map[string]any{"addressPrefixes": []string{"192.168.0.0/16"}}}},
		{site + "/kubernetesClusters/k8s", onprem.APIVersion, map[string]any{"properties": map[string]any{"nodeCount": 1}}},
	} {
		if _, err := c.Put(ctx, p.path, p.api, p.body, false); err != nil {
			t.Fatalf("PUT %s: %v", p.path, err)
		}
	}
	host, kcfg, ok := d.clusterPosition(ctx, "https://192.168.0.4:6443")
	if !ok || host != strings.ToLower(site+"/hosts/k8s-node-0") || kcfg == nil {
		t.Fatalf("position: %q %v %v", host, kcfg != nil, ok)
	}
	if _, _, ok := d.clusterPosition(ctx, "https://192.168.0.4:443"); ok {
		t.Errorf("another port is not the cluster's API server")
	}
	rec, err := d.Platform.Engine.GetRecord(ctx, site+"/kubernetesClusters/k8s")
	if err != nil || rec == nil {
		t.Fatal(rec, err)
	}
	key := onprem.ClusterKey(rec)
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped = true
	d2, err := Start(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d2.Stop(context.Background()) }()
	deadline := time.Now().Add(time.Minute)
	for d2.kube.Get(key) == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if d2.kube.Get(key) == nil {
		t.Fatal("the restarted daemon does not run the cluster's API server")
	}
	if _, kcfg, ok := d2.clusterPosition(ctx, "https://192.168.0.4:6443"); !ok || kcfg == nil {
		t.Errorf("position after restart: %v %v", kcfg != nil, ok)
	}
}
