package nodeagent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/kube/kubetest"
)

// serveEnv makes the test binary a user's backend process (the command
// of a privlink.io/command pod): an HTTP server on 127.0.0.1:$PORT.
const serveEnv = "PRIVLINK_NODEAGENT_TEST_SERVE"

var (
	testLog     *slog.Logger
	testCluster *kube.Cluster
)

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		fmt.Println("backend starting on port", os.Getenv("PORT"))
		err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "backend of %s says hello to %s", os.Getenv("POD_NAME"), r.URL.Path)
		}))
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	return kubetest.Run(m, "na-test", []kube.Node{
		{Name: nodeNames[0], InternalIP: netip.MustParseAddr("10.224.0.5"), PodCIDR: "10.244.0.0/24", VMSize: "Standard_DS2_v2", Region: "eastus", Ready: true,
			Labels: map[string]string{"agentpool": "nodepool1"}},
		{Name: nodeNames[1], InternalIP: netip.MustParseAddr("10.224.0.6"), PodCIDR: "10.244.1.0/24", VMSize: "Standard_DS2_v2", Region: "eastus", Ready: true,
			Labels: map[string]string{"agentpool": "nodepool1"}},
	}, func(c *kube.Cluster, log *slog.Logger) {
		testCluster, testLog = c, log
	})
}

var nodeNames = []string{"aks-nodepool1-12345678-vmss000000", "aks-nodepool1-12345678-vmss000001"}

func vmID(name string) string {
	return "/subscriptions/00000000-0000-0000-0000-00000000aaaa/resourceGroups/MC_rg_aks_eastus/providers/Microsoft.Compute/virtualMachines/" + name
}

// fakeARM stores listeners: PUT, GET (item or collection), DELETE.
type fakeARM struct {
	mu    sync.Mutex
	items map[string]map[string]any
}

type notFound struct{}

func (notFound) Error() string  { return "(ResourceNotFound) not found" }
func (notFound) NotFound() bool { return true }

func (f *fakeARM) Put(_ context.Context, path, _ string, body any, _ bool) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		f.items = map[string]map[string]any{}
	}
	m := map[string]any{"id": path, "properties": body.(map[string]any)["properties"]}
	f.items[strings.ToLower(path)] = m
	return m, nil
}

func (f *fakeARM) GetObject(_ context.Context, path, _ string, _ url.Values) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.items[strings.ToLower(path)]; ok {
		return m, nil
	}
	var vals []any
	for k, v := range f.items {
		if strings.HasPrefix(k, strings.ToLower(path)+"/") {
			vals = append(vals, v)
		}
	}
	return map[string]any{"value": vals}, nil
}

func (f *fakeARM) Post(context.Context, string, string, any, bool) (any, error) {
	return nil, fmt.Errorf("unexpected POST")
}

func (f *fakeARM) Delete(_ context.Context, path, _ string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[strings.ToLower(path)]; !ok {
		return notFound{}
	}
	delete(f.items, strings.ToLower(path))
	return nil
}

// target is the declared target of a VM's listener, "" if none.
func (f *fakeARM) target(vm string, port int32) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.items[strings.ToLower(fmt.Sprintf("%s/providers/Privlink.Fabric/listeners/tcp-%d", vm, port))]
	if m == nil {
		return ""
	}
	t, _ := m["properties"].(map[string]any)["target"].(string)
	return t
}

// addrTarget is the declared target of a VM's listener on one address.
func (f *fakeARM) addrTarget(vm, addr string, port int32) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.items[strings.ToLower(fmt.Sprintf("%s/providers/Privlink.Fabric/listeners/tcp-%s-%d", vm, addr, port))]
	if m == nil {
		return ""
	}
	props := m["properties"].(map[string]any)
	if props["address"] != addr {
		return "wrong address " + fmt.Sprint(props["address"])
	}
	t, _ := props["target"].(string)
	return t
}

func httpGet(t *testing.T, addr, path string) (string, error) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		}}}
	res, err := c.Get("http://pod.example" + path)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String(), nil
}
