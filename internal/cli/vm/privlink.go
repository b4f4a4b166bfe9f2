package vm

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

const extensionNote = "privlink extension (not in Azure CLI)."

// listenerPath is the Privlink.Fabric listener extension resource of a VM.
func listenerPath(vmID, protocol string, port int) string {
	return vmID + "/providers/Privlink.Fabric/listeners/" + strings.ToLower(protocol) + "-" + strconv.Itoa(port)
}

func portArg() *core.Arg {
	return &core.Arg{Dest: "port", Options: []string{"--port"}, Kind: core.Int, Required: true,
		Help: "The VM's port, as reached inside the emulated network (1-65535)."}
}

func protocolArg() *core.Arg {
	return &core.Arg{Dest: "protocol", Options: []string{"--protocol"}, Choices: []string{"Tcp", "Udp"}, Default: "Tcp",
		Help: "The transport protocol."}
}

func checkPort(p int) error {
	if p < 1 || p > 65535 {
		return core.Usagef("argument --port: %d is not a valid port (1-65535)", p)
	}
	return nil
}

// checkLoopbackTarget accepts host:port with a loopback host: an address in
// 127.0.0.0/8, localhost or [::1].
func checkLoopbackTarget(target string) error {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return core.Usagef("argument --target: %q is not HOST:PORT (for example 127.0.0.1:8080)", target)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return core.Usagef("argument --target: %q has an invalid port (1-65535)", target)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return core.Usagef("argument --target: %q is not on loopback: privlink only forwards to 127.0.0.0/8, localhost or [::1] on this machine", target)
	}
	return nil
}

func exposeCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true), portArg(),
		&core.Arg{Dest: "target", Options: []string{"--target"}, Required: true,
			Help: "Where traffic to the VM's port goes on this machine: HOST:PORT on loopback (127.0.0.0/8, localhost or [::1])."},
		protocolArg())
	return &core.Command{
		Name: "expose", Short: "Serve a VM port from a local process. " + extensionNote, Args: args,
		Long: "Traffic that reaches the VM's --port inside the emulated network is forwarded to --target on this machine. Stored as the Privlink.Fabric/listeners extension resource <protocol>-<port> of the VM.",
		Examples: []core.Example{{Summary: "Serve the VM's port 80 from a local web server on port 8080.",
			Command: "az vm expose -g MyResourceGroup -n MyVm --port 80 --target 127.0.0.1:8080"}},
		Run: func(c *core.Context) (any, error) {
			if err := checkPort(c.Int("port")); err != nil {
				return nil, err
			}
			if err := checkLoopbackTarget(c.String("target")); err != nil {
				return nil, err
			}
			client, vmID, err := armAndVM(c, r)
			if err != nil {
				return nil, err
			}
			body := map[string]any{"properties": map[string]any{
				"protocol": c.String("protocol"), "port": c.Int("port"), "target": c.String("target"),
			}}
			return client.Put(c.Context(), listenerPath(vmID, c.String("protocol"), c.Int("port")), FabricAPIVersion, body, false)
		},
	}
}

func unexposeCommand(r *core.Resource) *core.Command {
	return &core.Command{
		Name: "unexpose", Short: "Stop serving a VM port from a local process. " + extensionNote,
		Args: append(r.Args(true), portArg(), protocolArg()),
		Examples: []core.Example{{Summary: "Stop forwarding the VM's port 80.",
			Command: "az vm unexpose -g MyResourceGroup -n MyVm --port 80"}},
		Run: func(c *core.Context) (any, error) {
			if err := checkPort(c.Int("port")); err != nil {
				return nil, err
			}
			client, vmID, err := armAndVM(c, r)
			if err != nil {
				return nil, err
			}
			return nil, client.Delete(c.Context(), listenerPath(vmID, c.String("protocol"), c.Int("port")), FabricAPIVersion, false)
		},
	}
}

func listExposedCommand(r *core.Resource) *core.Command {
	return &core.Command{
		Name: "list-exposed", Short: "List the VM ports served from local processes. " + extensionNote, Args: r.Args(true),
		TableQuery: "[].{Name:name, Protocol:properties.protocol, Port:properties.port, Target:properties.target}",
		Examples:   []core.Example{{Summary: "List a VM's exposed ports.", Command: "az vm list-exposed -g MyResourceGroup -n MyVm -o table"}},
		Run: func(c *core.Context) (any, error) {
			client, vmID, err := armAndVM(c, r)
			if err != nil {
				return nil, err
			}
			return client.List(c.Context(), vmID+"/providers/Privlink.Fabric/listeners", FabricAPIVersion, nil)
		},
	}
}

// shellExit is a shell's non-zero exit status, passed through as the
// command's exit code.
type shellExit struct{ code int }

func (e *shellExit) Error() string { return fmt.Sprintf("the shell exited with status %d", e.code) }

// ExitCode makes the run exit with the shell's status.
func (e *shellExit) ExitCode() int { return e.code }

// Silent: the shell already said what went wrong; the exit status is all.
func (e *shellExit) Silent() bool { return true }

func shellCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true), &core.Arg{Dest: "command", Options: []string{"--command"},
		Help: "Run this command with `bash -c` instead of an interactive $SHELL."})
	return &core.Command{
		Name: "shell", Short: "Open a local shell that reaches the emulated network as the VM does. " + extensionNote, Args: args,
		Long: "Asks privlink for the VM's vantage point (proxy and DNS variables such as ALL_PROXY) and runs $SHELL, or bash -c COMMAND, with them added to the environment. The exit status of the shell is the command's.",
		Examples: []core.Example{{Summary: "Fetch a private endpoint as the VM would.",
			Command: "az vm shell -g MyResourceGroup -n MyVm --command 'curl -s http://10.0.0.5'"}},
		Run: func(c *core.Context) (any, error) {
			client, vmID, err := armAndVM(c, r)
			if err != nil {
				return nil, err
			}
			res, err := client.Post(c.Context(), "/providers/Privlink.Fabric/environment", FabricAPIVersion, map[string]any{"from": vmID}, false)
			if err != nil {
				return nil, err
			}
			vars, _ := dig(res, "variables").(map[string]any)
			return nil, RunShell(c, c.String("command"), vars)
		},
	}
}

// runShell runs $SHELL (or bash -c --command) with the variables added,
// on the run's own streams.
// RunShell runs $SHELL (or `bash -c command`) on the run's streams with
// the vantage variables added (`privlink vm shell`, `az network bastion
// ssh`); a non-zero exit becomes the run's exit status.
func RunShell(c *core.Context, command string, vars map[string]any) error {
	var cmd *exec.Cmd
	if command != "" {
		cmd = exec.CommandContext(c.Context(), "bash", "-c", command)
	} else {
		sh := c.Getenv("SHELL")
		if sh == "" {
			sh = "/bin/sh"
		}
		cmd = exec.CommandContext(c.Context(), sh)
	}
	env := os.Environ()
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+fmt.Sprint(vars[k]))
	}
	st := c.Streams()
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, st.In, st.Out, st.Err
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &shellExit{code: ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("running the shell: %w", err)
	}
	return nil
}

func dnsQueryCommand() *core.Command {
	rg := core.ResourceGroupArg(false)
	rg.IDPart = ""
	return &core.Command{
		Name: "query", Short: "Resolve a name as a VM (or the internet) would. " + extensionNote, NoIDs: true,
		Long: "Follows the same chain as the emulated DNS: private DNS zones linked to the VM's VNet, Azure-provided names, public names. steps explains each hop.",
		Args: []*core.Arg{
			{Dest: "from", Options: []string{"--from"}, Required: true,
				Help: "Where the query starts: a VM name (with --resource-group), a site host name (with --resource-group and --site), a resource ID, or 'internet'."},
			{Dest: "site", Options: []string{"--site"},
				Help: "The emulated on-premises site of the --from host (with --resource-group)."},
			{Dest: "name", Options: []string{"--name", "-n"}, Required: true, Positional: true,
				Help: "The DNS name to resolve (also accepted as the first bare argument: `network dns query --from VM NAME`)."},
			{Dest: "type", Options: []string{"--type", "-t"}, Default: "A", Choices: []string{"A", "AAAA", "CNAME", "PTR", "TXT", "MX", "SRV", "NS", "SOA"},
				Help: "The record type."},
			rg,
		},
		TableQuery: "answers[].{Name:name, Type:type, TTL:ttl, Value:value}",
		Examples: []core.Example{{Summary: "Resolve a private AKS API server name from a VM.",
			Command: "az network dns query -g MyResourceGroup --from MyVm -n myaks-123.privatelink.eastus.azmk8s.io -o table"}},
		Run: func(c *core.Context) (any, error) {
			from := c.String("from")
			switch {
			case strings.EqualFold(from, "internet"):
				from = "internet"
			case strings.HasPrefix(from, "/"):
			case c.String("site") != "":
				if c.String("resource_group") == "" {
					return nil, core.Usagef("usage error: --site requires --resource-group")
				}
				sub, err := c.SubscriptionID()
				if err != nil {
					return nil, err
				}
				from = "/subscriptions/" + sub + "/resourceGroups/" + c.String("resource_group") +
					"/providers/Privlink.OnPrem/sites/" + c.String("site") + "/hosts/" + from
			case c.String("resource_group") == "":
				// A bare VM or site host name: the daemon resolves it when
				// it is unique and says so when it is not.
			default:
				id, err := resourceID(c, from, "Microsoft.Compute", "virtualMachines")
				if err != nil {
					return nil, err
				}
				from = id
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			body := map[string]any{"from": from, "name": c.String("name"), "type": c.String("type")}
			return client.Post(c.Context(), "/providers/Privlink.Fabric/dnsQuery", FabricAPIVersion, body, false)
		},
	}
}

// envCommand is `privlink env --from VANTAGE` (also reachable as
// `az fabric env`): it prints the shell exports that make proxy-aware
// programs run from a vantage host. A VM may be named without a group when
// its name is unique; the daemon says when it is not.
func envCommand() *core.Command {
	rg := core.ResourceGroupArg(false)
	rg.IDPart = ""
	return &core.Command{
		Name: "env", Short: "Print the environment that runs programs from a vantage host. " + extensionNote, NoIDs: true,
		Long: "Prints `export NAME=value` lines (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY, NO_PROXY, PRIVLINK_VANTAGE, PRIVLINK_DNS_SERVER) for `eval`. Same as `privlink env --from VANTAGE`.",
		Args: []*core.Arg{
			{Dest: "from", Options: []string{"--from"}, Required: true,
				Help: "The vantage: a VM name (unique, or with --resource-group), a VM resource ID, or 'internet'."},
			rg,
		},
		Examples: []core.Example{{Summary: "Run kubectl as the jump box would.",
			Command: "eval \"$(privlink env --from jumpbox)\" && kubectl get nodes"}},
		Run: func(c *core.Context) (any, error) {
			from := c.String("from")
			if g := c.String("resource_group"); g != "" && !strings.HasPrefix(from, "/") && !strings.EqualFold(from, "internet") {
				id, err := resourceID(c, from, "Microsoft.Compute", "virtualMachines")
				if err != nil {
					return nil, err
				}
				from = id
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			res, err := client.Post(c.Context(), "/providers/Privlink.Fabric/environment", FabricAPIVersion, map[string]any{"from": from}, false)
			if err != nil {
				return nil, err
			}
			vars, _ := dig(res, "variables").(map[string]any)
			keys := make([]string, 0, len(vars))
			for k := range vars {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := c.Streams().Out
			for _, k := range keys {
				fmt.Fprintf(out, "export %s=%s\n", k, shellQuote(fmt.Sprint(vars[k])))
			}
			return nil, nil
		},
	}
}

// shellQuote quotes a value for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == ':' || r == '-' || r == '_' || r == '=' || r == '@' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// armAndVM returns the ARM client and the VM's resource ID of a command.
func armAndVM(c *core.Context, r *core.Resource) (*arm.Client, string, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, "", err
	}
	vmID, err := vmPath(c, r)
	if err != nil {
		return nil, "", err
	}
	return client, vmID, nil
}
