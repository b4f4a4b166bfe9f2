package compute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Action run command (POST {vm}/runCommand), as Azure's Linux RunCommand
// extension runs it (github.com/Azure/run-command-extension-linux,
// main/cmds.go and main/exec.go): the script runs with "bash -c" in a
// fresh directory, the result is one status ProvisioningState/succeeded
// whose message is "Enable succeeded: \n[stdout]\n<out>\n[stderr]\n<err>"
// with the last 4,096 bytes of each stream (maxTailLen), and a script's
// exit status is not reported (the extension reports success whatever the
// script returns). Parameters are given to the script both as positional
// arguments ($1, $2... in order, which is how az documents
// "--scripts 'echo $1 $2' --parameters hello world") and, when their name
// is a shell identifier, as environment variables. One script runs at a
// time per machine; it is stopped after RunCommandTimeout (Azure: 90
// minutes).
//
// The operation is tracked in the store (keys under /computerun/) and
// served at .../locations/{loc}/runCommandOperations/{id}
// (Azure-AsyncOperation, with properties.output.value when done) and
// .../runCommandOperationResults/{id} (Location: 202 while running, then
// 200 with {"value": [...]}, which the Azure SDK and az read). Azure uses
// .../operations/{id} for both; privlink's engine owns that path for its
// stateless resource operations.

const (
	runOperationsSegment = "runCommandOperations"
	runResultsSegment    = "runCommandOperationResults"
	runKeyPrefix         = "/computerun/"
	// maxTailLen is how much of each stream the result keeps.
	maxTailLen = 4 * 1024
)

// runCommands are Azure's action run command IDs and the OS they run on.
var runCommands = []struct{ id, os string }{
	{"RunShellScript", osLinux}, {"ifconfig", osLinux},
	{"RunPowerShellScript", osWindows}, {"EnableRemotePS", osWindows}, {"EnableAdminAccount", osWindows},
	{"IPConfig", osWindows}, {"RDPSettings", osWindows}, {"ResetRDPCert", osWindows}, {"SetRDPPort", osWindows},
	{"ResetAccountPassword", osWindows}, {"DisableNLA", osWindows}, {"DisableWindowsUpdate", osWindows},
	{"EnableWindowsUpdate", osWindows}, {"WindowsActivationValidation", osWindows},
}

// RunInput is the body of POST {vm}/runCommand (and of privlink's other
// run commands).
type RunInput struct {
	CommandID  string   `json:"commandId"`
	Script     []string `json:"script"`
	Parameters []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"parameters"`
}

// runOp is a run command operation as stored.
type runOp struct {
	ID       string               `json:"id"`
	VM       string               `json:"vm"`
	Location string               `json:"location"`
	Status   string               `json:"status"`
	Start    time.Time            `json:"start"`
	End      time.Time            `json:"end,omitzero"`
	Deadline time.Time            `json:"deadline"`
	Runner   string               `json:"runner"`
	Output   []InstanceViewStatus `json:"output,omitempty"`
	Error    *arm.Error           `json:"error,omitempty"`
}

func runOpKey(id string) string     { return runKeyPrefix + "op/" + strings.ToLower(id) }
func runLockKey(vmID string) string { return runKeyPrefix + "vm/" + strings.ToLower(vmID) }

// active reports whether the operation still holds its machine: running
// and within its deadline (an operation whose daemon went away ends at
// its deadline).
func (o *runOp) active(now time.Time) bool { return o.Status == "InProgress" && now.Before(o.Deadline) }

// view is the operation as served (a lost one has failed).
func (o runOp) view(now time.Time) runOp {
	if o.Status == "InProgress" && !now.Before(o.Deadline) {
		o.Status = "Failed"
		o.End = o.Deadline
		o.Error = &arm.Error{Code: "OperationTimedOut", Message: "The run command did not report a result before its deadline."}
	}
	return o
}

var shellIdentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (pr *Provider) runCommand(ctx context.Context, req *arm.Request, rec *arm.Record) (*arm.Response, error) {
	var in RunInput
	if err := req.DecodeBody(&in); err != nil {
		return nil, err
	}
	if in.CommandID == "" {
		return nil, missingParam("commandId")
	}
	idx := slices.IndexFunc(runCommands, func(c struct{ id, os string }) bool { return strings.EqualFold(c.id, in.CommandID) })
	if idx < 0 {
		return nil, arm.NotFound("NotFound", "The entity was not found in this Azure location.")
	}
	cmd := runCommands[idx]
	v, err := viewOf(rec)
	if err != nil {
		return nil, err
	}
	if target := v.osType(); cmd.os != target {
		return nil, arm.Conflict("Conflict", "Run command OS type '%s' does not match the target OS %s.", cmd.os, target)
	}
	if cmd.os == osWindows {
		return nil, arm.BadRequest("OperationNotSupported",
			"privlink runs the Linux run commands only: '%s' needs a Windows guest, and scripts run on the emulator's Linux host.", cmd.id)
	}
	now := time.Now().UTC()
	op := runOp{ID: uuid.NewString(), VM: rec.Resource.ID, Location: rec.Resource.Location, Status: "InProgress",
		Start: now, Deadline: now.Add(pr.RunCommandTimeout + time.Minute), Runner: pr.instance}
	err = req.Engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := t.Get(ctx, req.ID.String())
		if err != nil {
			return err
		}
		if cur == nil {
			return arm.ResourceNotFound(req.ID)
		}
		if err := requireRunning(cur, req.ID.Name()); err != nil {
			return err
		}
		lock, held, err := t.Raw().Get(ctx, runLockKey(cur.Resource.ID))
		if err != nil {
			return err
		}
		if held {
			prev, ok, err := readRunOp(ctx, t, string(lock.Value))
			if err != nil {
				return err
			}
			if ok && prev.active(now) {
				return arm.Conflict("Conflict", "Run command extension execution is in progress. Please wait for completion before invoking a run command.")
			}
		}
		b, err := json.Marshal(op)
		if err != nil {
			return fmt.Errorf("encode run command operation: %w", err)
		}
		t.Raw().Put(runOpKey(op.ID), b)
		t.Raw().Put(runLockKey(cur.Resource.ID), []byte(op.ID))
		return nil
	})
	if err != nil {
		return nil, err
	}
	pr.start(op, v, cmd.id, in)
	base := fmt.Sprintf("%s/subscriptions/%s/providers/%s/locations/%s/", req.BaseURL, req.ID.Subscription, Namespace, op.Location)
	q := "?api-version=" + req.APIVersion
	h := http.Header{}
	h.Set("Azure-AsyncOperation", base+runOperationsSegment+"/"+op.ID+q)
	h.Set("Location", base+runResultsSegment+"/"+op.ID+q)
	setRetry(h)
	return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
}

func setRetry(h http.Header) {
	h.Set("Retry-After", "1")
	h.Set("Retry-After-Ms", strconv.Itoa(arm.RetryAfterMs))
	h.Set("x-ms-retry-after-ms", strconv.Itoa(arm.RetryAfterMs))
}

// requireRunning refuses a run command on a machine that is not running,
// with Compute's OperationNotAllowed texts.
func requireRunning(rec *arm.Record, name string) error {
	in, err := DecodeInternal(rec)
	if err != nil {
		return err
	}
	switch in.PowerState {
	case PowerRunning, "":
		return nil
	case PowerDeallocated, PowerDeallocating:
		return notAllowed("Operation 'RunCommand' is not allowed on VM '%s' since the VM is deallocated or marked to be deallocated.", name)
	}
	return notAllowed("The operation requires the VM to be running (or set to run).")
}

func readRunOp(ctx context.Context, t *arm.Txn, id string) (runOp, bool, error) {
	kv, ok, err := t.Raw().Get(ctx, runOpKey(id))
	if err != nil || !ok {
		return runOp{}, false, err
	}
	var op runOp
	if err := json.Unmarshal(kv.Value, &op); err != nil {
		return runOp{}, false, fmt.Errorf("decode run command operation %s: %w", id, err)
	}
	return op, true, nil
}

// start runs the command in the background and records its result.
func (pr *Provider) start(op runOp, v *vmView, commandID string, in RunInput) {
	key := strings.ToLower(op.VM)
	rctx, cancel := context.WithTimeout(pr.ctx, pr.RunCommandTimeout)
	pr.mu.Lock()
	pr.running[key] = cancel
	pr.mu.Unlock()
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		defer cancel()
		out, runErr := pr.execute(rctx, v, commandID, in)
		pr.mu.Lock()
		delete(pr.running, key)
		pr.mu.Unlock()
		op.End = time.Now().UTC()
		if runErr != nil {
			op.Status = "Failed"
			op.Error = runErr
			pr.Log.Warn("run command failed", "vm", op.VM, "operation", op.ID, "err", runErr)
		} else {
			op.Status = "Succeeded"
			op.Output = out
		}
		pr.finish(op)
	}()
}

// finish stores a finished operation and frees its machine.
func (pr *Provider) finish(op runOp) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := pr.engine.Run(ctx, func(t *arm.Txn) error {
		b, err := json.Marshal(op)
		if err != nil {
			return fmt.Errorf("encode run command operation: %w", err)
		}
		t.Raw().Put(runOpKey(op.ID), b)
		lock, held, err := t.Raw().Get(ctx, runLockKey(op.VM))
		if err != nil {
			return err
		}
		if held && string(lock.Value) == op.ID {
			t.Raw().Delete(runLockKey(op.VM))
		}
		return nil
	})
	if err != nil {
		pr.Log.Error("record run command result", "vm", op.VM, "operation", op.ID, "err", err)
	}
}

// execute runs one command and returns its statuses, or the operation's
// error.
func (pr *Provider) execute(ctx context.Context, v *vmView, commandID string, in RunInput) ([]InstanceViewStatus, *arm.Error) {
	var stdout, stderr string
	switch {
	case strings.EqualFold(commandID, "ifconfig"):
		out, err := pr.ifconfig(ctx, v)
		if err != nil {
			return nil, &arm.Error{Code: "InternalExecutionError", Message: fmt.Sprintf("Run command ifconfig failed: %v", err)}
		}
		stdout = out
	default:
		var err *arm.Error
		if stdout, stderr, err = pr.shell(ctx, v.Rec.Resource.ID, in); err != nil {
			return nil, err
		}
	}
	return []InstanceViewStatus{{
		Code: "ProvisioningState/succeeded", Level: "Info", DisplayStatus: "Provisioning succeeded",
		Message: "Enable succeeded: \n[stdout]\n" + stdout + "\n[stderr]\n" + stderr,
	}}, nil
}

// shell runs a RunShellScript script on the host.
func (pr *Provider) shell(ctx context.Context, vmID string, in RunInput) (string, string, *arm.Error) {
	dir, err := os.MkdirTemp("", "privlink-runcommand-")
	if err != nil {
		return "", "", &arm.Error{Code: "InternalExecutionError", Message: fmt.Sprintf("Run command could not prepare its directory: %v", err)}
	}
	defer os.RemoveAll(dir)
	var env []string
	if pr.Env != nil {
		if env, err = pr.Env(ctx, vmID); err != nil {
			return "", "", &arm.Error{Code: "InternalExecutionError", Message: fmt.Sprintf("Run command could not reach the virtual machine's network: %v", err)}
		}
	} else {
		env = []string{"HOME=" + dir, "LANG=C.UTF-8"}
	}
	if !slices.ContainsFunc(env, func(s string) bool { return strings.HasPrefix(s, "PATH=") }) {
		env = append(env, "PATH="+hostPath())
	}
	return ExecScript(ctx, pr.Shell, dir, env, in, pr.RunCommandTimeout,
		"The run command was canceled: the virtual machine was deleted or the emulator is stopping.")
}

// ExecScript runs a RunShellScript script with shell in dir and env: the
// script's parameters are its positional arguments and, when their names
// are shell identifiers, environment variables. It keeps the last 4 KiB of
// stdout and stderr, kills the script's process group when ctx ends, and
// answers Azure's errors (timeout, in the message, is the limit that
// ended ctx; canceled is the message when ctx was canceled otherwise).
func ExecScript(ctx context.Context, shell, dir string, env []string, in RunInput, timeout time.Duration, canceled string) (string, string, *arm.Error) {
	args := []string{"-c", strings.Join(in.Script, "\n"), "script.sh"}
	for _, p := range in.Parameters {
		args = append(args, p.Value)
		if shellIdentRE.MatchString(p.Name) {
			env = append(env, p.Name+"="+p.Value)
		}
	}
	out, errs := newTail(maxTailLen), newTail(maxTailLen)
	c := exec.CommandContext(ctx, shell, args...)
	c.Dir = dir
	c.Env = env
	c.Stdout = out
	c.Stderr = errs
	setProcessGroup(c)
	c.WaitDelay = 5 * time.Second
	runErr := c.Run()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "", "", &arm.Error{Code: "OperationTimedOut",
			Message: fmt.Sprintf("The run command did not complete within %s and was stopped.", timeout)}
	case ctx.Err() != nil:
		return "", "", &arm.Error{Code: "Canceled", Message: canceled}
	case runErr != nil:
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) {
			return "", "", &arm.Error{Code: "InternalExecutionError", Message: fmt.Sprintf("Run command could not start the script: %v", runErr)}
		}
	}
	return out.String(), errs.String(), nil
}

func hostPath() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

// ifconfig renders the machine's network interfaces as net-tools'
// ifconfig prints them (eth0 is the primary interface).
func (pr *Provider) ifconfig(ctx context.Context, v *vmView) (string, error) {
	nics := slices.Clone(v.Props.NetworkProfile.NetworkInterfaces)
	slices.SortStableFunc(nics, func(a, b NetworkInterfaceReference) int {
		switch {
		case a.Properties.Primary == b.Properties.Primary:
			return 0
		case a.Properties.Primary:
			return -1
		}
		return 1
	})
	var b strings.Builder
	for i, n := range nics {
		rec, err := pr.engine.GetRecord(ctx, n.ID)
		if err != nil {
			return "", err
		}
		if rec == nil {
			continue
		}
		p, err := network.DecodeNetworkInterface(rec)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "eth%d: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n", i)
		for _, c := range p.IPConfigurations {
			ip, err := netip.ParseAddr(c.Properties.PrivateIPAddress)
			if err != nil || !ip.Is4() || c.Properties.Subnet == nil {
				continue
			}
			prefix, err := subnetPrefix(ctx, pr.engine, c.Properties.Subnet.ID, ip)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "        inet %s  netmask %s  broadcast %s\n", ip, netmask(prefix.Bits()), broadcast(prefix))
		}
		mac := strings.ToLower(strings.ReplaceAll(p.MacAddress, "-", ":"))
		fmt.Fprintf(&b, "        ether %s  txqueuelen 1000  (Ethernet)\n\n", mac)
	}
	b.WriteString("lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n        loop  txqueuelen 1000  (Local Loopback)\n")
	return b.String(), nil
}

// subnetPrefix finds the subnet prefix holding ip.
func subnetPrefix(ctx context.Context, e *arm.Engine, subnetID string, ip netip.Addr) (netip.Prefix, error) {
	rec, err := e.GetRecord(ctx, subnetID)
	if err != nil || rec == nil {
		return netip.PrefixFrom(ip, 32), err
	}
	var p struct {
		AddressPrefix   string   `json:"addressPrefix"`
		AddressPrefixes []string `json:"addressPrefixes"`
	}
	if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
		return netip.Prefix{}, fmt.Errorf("decode subnet %s: %w", subnetID, err)
	}
	for _, s := range append([]string{p.AddressPrefix}, p.AddressPrefixes...) {
		if pf, err := netip.ParsePrefix(s); err == nil && pf.Contains(ip) {
			return pf.Masked(), nil
		}
	}
	return netip.PrefixFrom(ip, 32), nil
}

func netmask(bits int) string {
	m := uint32(0xffffffff) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

func broadcast(p netip.Prefix) string {
	a := p.Addr().As4()
	host := uint32(0xffffffff) >> p.Bits()
	if p.Bits() == 32 {
		host = 0
	}
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return fmt.Sprintf("%d.%d.%d.%d", n>>24, n>>16&0xff, n>>8&0xff, n&0xff)
}

// tail keeps the last n bytes written to it.
type tail struct {
	n   int
	buf []byte
}

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.n:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.buf) }

// opOf reads a run command operation a status route addresses.
func (pr *Provider) opOf(ctx context.Context, req *arm.Request) (runOp, error) {
	notFound := arm.NotFound("OperationNotFound", "The operation '%s' could not be found.", req.Vars["op"])
	kv, err := req.Engine.Store.Get(ctx, runOpKey(req.Vars["op"]))
	if err != nil {
		return runOp{}, notFound
	}
	var op runOp
	if err := json.Unmarshal(kv.Value, &op); err != nil {
		return runOp{}, fmt.Errorf("decode run command operation: %w", err)
	}
	id, err := arm.ParseID(op.VM)
	if err != nil || !strings.EqualFold(id.Subscription, req.Vars["sub"]) {
		return runOp{}, notFound
	}
	return op.view(time.Now().UTC()), nil
}

// runCommandStatus serves the Azure-AsyncOperation URL of a run command.
func (pr *Provider) runCommandStatus(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	op, err := pr.opOf(ctx, req)
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"name":      op.ID,
		"status":    op.Status,
		"startTime": op.Start.Format(time.RFC3339Nano),
	}
	h := http.Header{}
	switch op.Status {
	case "InProgress":
		setRetry(h)
	case "Succeeded":
		body["endTime"] = op.End.Format(time.RFC3339Nano)
		body["properties"] = map[string]any{"output": map[string]any{"value": op.Output}}
	default:
		body["endTime"] = op.End.Format(time.RFC3339Nano)
		body["error"] = op.Error
	}
	return &arm.Response{Status: http.StatusOK, Body: body, Header: h}, nil
}

// runCommandResult serves the Location URL of a run command.
func (pr *Provider) runCommandResult(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	op, err := pr.opOf(ctx, req)
	if err != nil {
		return nil, err
	}
	switch op.Status {
	case "InProgress":
		h := http.Header{}
		h.Set("Location", req.BaseURL+req.HTTP.URL.RequestURI())
		setRetry(h)
		return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
	case "Succeeded":
		return &arm.Response{Status: http.StatusOK, Body: map[string]any{"value": op.Output}}, nil
	}
	e := *op.Error
	if e.Status == 0 {
		e.Status = http.StatusInternalServerError
	}
	return nil, &e
}
