package compute

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/armtest"
)

type runResult struct {
	Value []InstanceViewStatus `json:"value"`
}

// run invokes a run command and returns the operation's final status and
// the Location result.
func (f *fx) run(vm string, body any) (string, *armtest.Result) {
	f.t.Helper()
	r := f.Do(http.MethodPost, vm+"/runCommand", api, body)
	if r.Status != http.StatusAccepted || r.Header.Get("Location") == "" || r.Header.Get("Azure-AsyncOperation") == "" {
		f.t.Fatalf("runCommand: %d %v %s", r.Status, r.Header, r.Body)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		s := f.Do(http.MethodGet, r.Header.Get("Azure-AsyncOperation"), "", nil)
		if s.Status != http.StatusOK {
			f.t.Fatalf("operation status: %d %s", s.Status, s.Body)
		}
		if st, _ := s.JSON()["status"].(string); st != "InProgress" {
			return st, f.Do(http.MethodGet, r.Header.Get("Location"), "", nil)
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatal("run command did not finish")
	return "", nil
}

func script(lines ...string) map[string]any {
	return map[string]any{"commandId": "RunShellScript", "script": lines}
}

func TestRunShellScript(t *testing.T) {
	f := newFx(t)
	_, nic := f.world()
	id := vmID("rg", "vm1")
	f.createVM("vm1", vmBody("eastus", nic))

	body := script(
		`echo "vantage=$PRIVLINK_VANTAGE proxy=$ALL_PROXY"`,
		`echo "args=$1,$2 named=$greeting"`,
		`case "$PWD" in */privlink-runcommand-*) echo fresh-dir;; esac`,
		`echo oops >&2`,
		`exit 3`,
	)
	body["parameters"] = []any{map[string]any{"name": "greeting", "value": "hello"}, map[string]any{"name": "arg2", "value": "world"}}
	st, res := f.run(id, body)
	if st != "Succeeded" || res.Status != http.StatusOK {
		t.Fatalf("run: %s %d %s", st, res.Status, res.Body)
	}
	var out runResult
	if err := json.Unmarshal(res.Body, &out); err != nil || len(out.Value) != 1 {
		t.Fatalf("result %s: %v", res.Body, err)
	}
	want := InstanceViewStatus{Code: "ProvisioningState/succeeded", Level: "Info", DisplayStatus: "Provisioning succeeded",
		Message: "Enable succeeded: \n[stdout]\nvantage=" + id + " proxy=socks5h://127.0.0.1:1\nargs=hello,world named=hello\nfresh-dir\n\n[stderr]\noops\n"}
	if out.Value[0] != want {
		t.Fatalf("result\n got %#v\nwant %#v", out.Value[0], want)
	}
	f.env.mu.Lock()
	asked := append([]string(nil), f.env.asked...)
	f.env.mu.Unlock()
	if len(asked) != 1 || asked[0] != id {
		t.Fatalf("env asked for %v", asked)
	}

	// Each stream keeps its last 4,096 bytes.
	st, res = f.run(id, script(`head -c 5000 /dev/zero | tr '\0' a; printf END`, `head -c 6000 /dev/zero | tr '\0' b >&2; printf ERR >&2`))
	if err := json.Unmarshal(res.Body, &out); err != nil || st != "Succeeded" {
		t.Fatalf("big output: %s %s", st, res.Body)
	}
	wantMsg := "Enable succeeded: \n[stdout]\n" + strings.Repeat("a", 4093) + "END\n[stderr]\n" + strings.Repeat("b", 4093) + "ERR"
	if out.Value[0].Message != wantMsg {
		t.Fatalf("capped output: %d bytes", len(out.Value[0].Message))
	}

	// The operation status carries the output too.
	r := f.Do(http.MethodPost, id+"/runCommand", api, script("true"))
	f.Wait(r)
	s := f.Do(http.MethodGet, r.Header.Get("Azure-AsyncOperation"), "", nil).JSON()
	if s["status"] != "Succeeded" || s["endTime"] == nil ||
		len(s["properties"].(map[string]any)["output"].(map[string]any)["value"].([]any)) != 1 {
		t.Fatalf("operation: %v", s)
	}

	// ifconfig shows the machine's interfaces, not the host's.
	st, res = f.run(id, map[string]any{"commandId": "ifconfig"})
	if err := json.Unmarshal(res.Body, &out); err != nil || st != "Succeeded" ||
		!strings.Contains(out.Value[0].Message, "eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet "+f.nicIP(nic)+"  netmask 255.255.255.0  broadcast 10.1.0.255\n") {
		t.Fatalf("ifconfig: %s %s", st, res.Body)
	}
}

func TestRunCommandErrors(t *testing.T) {
	f := newFx(t)
	_, nic := f.world()
	id := vmID("rg", "vm1")
	f.createVM("vm1", vmBody("eastus", nic))

	f.fails(http.StatusNotFound, "NotFound", "The entity was not found in this Azure location.",
		http.MethodPost, id+"/runCommand", api, map[string]any{"commandId": "RunBatchScript"})
	f.fails(http.StatusConflict, "Conflict", "Run command OS type 'Windows' does not match the target OS Linux.",
		http.MethodPost, id+"/runCommand", api, map[string]any{"commandId": "RunPowerShellScript", "script": []string{"Get-Date"}})
	f.fails(http.StatusBadRequest, "InvalidParameter", "Required parameter 'commandId' is missing (null).",
		http.MethodPost, id+"/runCommand", api, map[string]any{})
	f.fails(http.StatusNotFound, "ResourceNotFound", "", http.MethodPost, vmID("rg", "nope")+"/runCommand", api, script("true"))

	// One script at a time.
	r := f.Do(http.MethodPost, id+"/runCommand", api, script("sleep 1"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("first run: %d %s", r.Status, r.Body)
	}
	f.fails(http.StatusConflict, "Conflict", "Run command extension execution is in progress. Please wait for completion before invoking a run command.",
		http.MethodPost, id+"/runCommand", api, script("true"))
	if res := f.Do(http.MethodGet, r.Header.Get("Location"), "", nil); res.Status != http.StatusAccepted {
		t.Fatalf("result while running: %d %s", res.Status, res.Body)
	}
	if st := f.Wait(r); st != "Succeeded" {
		t.Fatalf("first run: %s", st)
	}

	// A machine that is not running refuses.
	f.post(id, "powerOff", "")
	f.fails(http.StatusConflict, "OperationNotAllowed", "The operation requires the VM to be running (or set to run).",
		http.MethodPost, id+"/runCommand", api, script("true"))
	f.post(id, "deallocate", "")
	f.fails(http.StatusConflict, "OperationNotAllowed", "Operation 'RunCommand' is not allowed on VM 'vm1' since the VM is deallocated or marked to be deallocated.",
		http.MethodPost, id+"/runCommand", api, script("true"))
	f.post(id, "start", "")

	// The environment cannot be had: the operation fails.
	f.env.mu.Lock()
	f.env.err = errors.New("fabric down")
	f.env.mu.Unlock()
	st, res := f.run(id, script("true"))
	if st != "Failed" || res.ErrorCode() != "InternalExecutionError" || !strings.Contains(res.ErrorMessage(), "fabric down") {
		t.Fatalf("env failure: %s %d %s", st, res.Status, res.Body)
	}

	// Unknown operations.
	f.fails(http.StatusNotFound, "OperationNotFound", "", http.MethodGet,
		"/subscriptions/"+sub+"/providers/Microsoft.Compute/locations/eastus/runCommandOperations/nope", api, nil)
}

func TestRunCommandTimeout(t *testing.T) {
	f := newFx(t, func(p *Provider) { p.RunCommandTimeout = 300 * time.Millisecond })
	_, nic := f.world()
	id := vmID("rg", "vm1")
	f.createVM("vm1", vmBody("eastus", nic))
	start := time.Now()
	st, res := f.run(id, script("sleep 30 & wait"))
	if st != "Failed" || res.ErrorCode() != "OperationTimedOut" || time.Since(start) > 8*time.Second {
		t.Fatalf("timeout: %s %s after %s", st, res.Body, time.Since(start))
	}
	// The machine is free again.
	if st, _ := f.run(id, script("true")); st != "Succeeded" {
		t.Fatalf("after timeout: %s", st)
	}
}

func TestTail(t *testing.T) {
	tl := newTail(4)
	for _, s := range []string{"ab", "cdef", "g"} {
		if _, err := tl.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if tl.String() != "defg" {
		t.Fatalf("tail %q", tl.String())
	}
}
