package loadbalancer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	sub   = armtest.Subscription
	api   = "2025-01-01"
	rgAPI = "2021-04-01"
	loc   = "eastus"
)

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

var pollOpts = runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}

type fx struct {
	t    *testing.T
	s    *armtest.Server
	opts *azarm.ClientOptions
}

func newFx(t *testing.T) *fx {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, loadbalancer.Provider{})
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL, Audience: s.URL},
		}},
		Transport: &http.Client{Transport: s.Transport()},
	}}
	return &fx{t: t, s: s, opts: opts}
}

func rid(rg, typ, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/" + typ + "/" + name
}

func (f *fx) group(name string) {
	f.t.Helper()
	r := f.s.Do(http.MethodPut, "/subscriptions/"+sub+"/resourcegroups/"+name, rgAPI, `{"location":"`+loc+`"}`)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		f.t.Fatalf("create group %s: %d %s", name, r.Status, r.Body)
	}
}

// put PUTs body, waits for the operation and returns the GET.
func (f *fx) put(path string, body any) map[string]any {
	f.t.Helper()
	r := f.s.Do(http.MethodPut, path, api, body)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		f.t.Fatalf("PUT %s: %d %s", path, r.Status, r.Body)
	}
	if st := f.s.Wait(r); st != "Succeeded" && st != "" {
		f.t.Fatalf("PUT %s: operation %s", path, st)
	}
	return f.get(path)
}

func (f *fx) get(path string) map[string]any {
	f.t.Helper()
	g := f.s.Do(http.MethodGet, path, api, nil)
	if g.Status != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, g.Status, g.Body)
	}
	return g.JSON()
}

func (f *fx) mustFail(method, path string, body any, status int, code string) string {
	f.t.Helper()
	r := f.s.Do(method, path, api, body)
	if r.Status != status || r.ErrorCode() != code || r.Header.Get("x-ms-error-code") != code {
		f.t.Fatalf("%s %s: got %d %s, want %d %s", method, path, r.Status, r.Body, status, code)
	}
	return r.ErrorMessage()
}

// vnet creates a virtual network with subnets "name=prefix".
func (f *fx) vnet(rg, name, space string, subnets ...string) {
	f.t.Helper()
	var subs []any
	for _, s := range subnets {
		n, p, _ := strings.Cut(s, "=")
		subs = append(subs, map[string]any{"name": n, "properties": map[string]any{"addressPrefix": p}})
	}
	f.put(rid(rg, "virtualNetworks", name), map[string]any{"location": loc, "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{space}}, "subnets": subs}})
}

func (f *fx) publicIP(rg, name, sku string) string {
	f.t.Helper()
	id := rid(rg, "publicIPAddresses", name)
	body := map[string]any{"location": loc, "properties": map[string]any{}}
	if sku != "" {
		body["sku"] = map[string]any{"name": sku}
	}
	f.put(id, body)
	return id
}

func (f *fx) nic(rg, name, subnetID string, pools ...string) map[string]any {
	f.t.Helper()
	return f.put(rid(rg, "networkInterfaces", name), nicBody(subnetID, pools...))
}

func nicBody(subnetID string, pools ...string) map[string]any {
	ipc := map[string]any{"subnet": map[string]any{"id": subnetID}}
	if len(pools) > 0 {
		var ps []any
		for _, p := range pools {
			ps = append(ps, map[string]any{"id": p})
		}
		ipc["loadBalancerBackendAddressPools"] = ps
	}
	return map[string]any{"location": loc, "properties": map[string]any{
		"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": ipc}}}}
}

// example is one Azure REST example, with the subscription replaced.
type example struct {
	Parameters map[string]any `json:"parameters"`
	Responses  map[string]struct {
		Body map[string]any `json:"body"`
	} `json:"responses"`
}

func loadExample(t *testing.T, name string) example {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.ReplaceAll(string(b), "/subscriptions/subid/", "/subscriptions/"+sub+"/"))
	var ex example
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

// checkSubset fails unless every key and value of want is in got (lists
// element by element), ignoring keys in skip.
func checkSubset(t *testing.T, want, got any, skip ...string) {
	t.Helper()
	sk := map[string]bool{}
	for _, s := range skip {
		sk[s] = true
	}
	if d := subsetDiff(want, got, "$", sk); len(d) > 0 {
		b, _ := json.MarshalIndent(got, "", "  ")
		t.Fatalf("response differs from Azure's example:\n  %s\nserved:\n%s", strings.Join(d, "\n  "), b)
	}
}

func subsetDiff(want, got any, path string, skip map[string]bool) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %v", path, got)}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			if skip[k] {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, subsetDiff(w[k], gv, path+"."+k, skip)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %d elements, got %v", path, len(w), got)}
		}
		var out []string
		for i := range w {
			out = append(out, subsetDiff(w[i], g[i], fmt.Sprintf("%s[%d]", path, i), skip)...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		return nil
	}
}

// dig walks a decoded JSON value by keys and list indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
