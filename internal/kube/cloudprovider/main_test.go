package cloudprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/kube/kubetest"
)

var (
	testLog     *slog.Logger
	testCluster *kube.Cluster
)

// TestMain runs one real API server (embedded etcd on a unix socket) for
// the package's tests.
func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	return kubetest.Run(m, "cp-test", []kube.Node{
		{Name: "aks-nodepool1-12345678-vmss000000", InternalIP: netip.MustParseAddr("10.224.0.5"), VMSize: "Standard_DS2_v2", Region: "eastus", Ready: true},
		{Name: "aks-nodepool1-12345678-vmss000001", InternalIP: netip.MustParseAddr("10.224.0.6"), VMSize: "Standard_DS2_v2", Region: "eastus", Ready: true},
	}, func(c *kube.Cluster, log *slog.Logger) {
		testCluster, testLog = c, log
	})
}

// fakeARM is an in-memory ARM: PUT stores the body (with id and name,
// load balancer frontends get addresses, public IPs an address), GET of a
// collection lists the items under it, everything is recorded.
type fakeARM struct {
	mu    sync.Mutex
	items map[string]map[string]any // lower-case path
	calls []call
	next  int
}

type call struct {
	Method, Path string
	Body         map[string]any
}

type notFound struct{ path string }

func (e notFound) Error() string  { return "(ResourceNotFound) " + e.path + " was not found" }
func (e notFound) NotFound() bool { return true }

func newFakeARM() *fakeARM { return &fakeARM{items: map[string]map[string]any{}} }

func clone(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func (f *fakeARM) seed(path string, body map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := clone(body)
	b["id"], b["name"] = path, path[strings.LastIndex(path, "/")+1:]
	f.items[strings.ToLower(path)] = b
}

func (f *fakeARM) Put(_ context.Context, path, _ string, body any, _ bool) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := clone(body)
	f.calls = append(f.calls, call{"PUT", path, clone(body)})
	b["id"], b["name"] = path, path[strings.LastIndex(path, "/")+1:]
	old := f.items[strings.ToLower(path)]
	switch {
	case strings.Contains(strings.ToLower(path), "/loadbalancers/"):
		for _, fe := range anySlice(obj(b, "properties")["frontendIPConfigurations"]) {
			fp := obj(fe, "properties")
			if fp["subnet"] != nil && str(fp, "privateIPAddress") == "" {
				f.next++
				fp["privateIPAddress"] = fmt.Sprintf("10.224.0.%d", 100+f.next)
			}
		}
	case strings.Contains(strings.ToLower(path), "/publicipaddresses/"):
		f.next++
		props(b)["ipAddress"] = fmt.Sprintf("52.160.0.%d", f.next)
	case strings.Contains(strings.ToLower(path), "/privatelinkservices/"):
		if old != nil {
			props(b)["privateEndpointConnections"] = obj(old, "properties")["privateEndpointConnections"]
		}
		props(b)["alias"] = b["name"].(string) + ".guid.eastus.azure.privatelinkservice"
	}
	f.items[strings.ToLower(path)] = b
	return clone(b), nil
}

func (f *fakeARM) GetObject(_ context.Context, path, _ string, _ url.Values) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.items[strings.ToLower(path)]; ok {
		return clone(b), nil
	}
	prefix := strings.ToLower(path) + "/"
	var vals []any
	for k, v := range f.items {
		if rest, ok := strings.CutPrefix(k, prefix); ok && !strings.Contains(rest, "/") {
			vals = append(vals, clone(v))
		}
	}
	if vals != nil {
		return map[string]any{"value": vals}, nil
	}
	return nil, notFound{path}
}

func (f *fakeARM) Post(context.Context, string, string, any, bool) (any, error) {
	return nil, fmt.Errorf("unexpected POST")
}

func (f *fakeARM) Delete(_ context.Context, path, _ string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Method: "DELETE", Path: path})
	if _, ok := f.items[strings.ToLower(path)]; !ok {
		return notFound{path}
	}
	delete(f.items, strings.ToLower(path))
	return nil
}

func (f *fakeARM) item(path string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.items[strings.ToLower(path)]; ok {
		return clone(b)
	}
	return nil
}

func (f *fakeARM) writes() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}
