package vm

import (
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

func runCommandInvoke(r *core.Resource) *core.Command {
	args := r.Args(true)
	args = append(args,
		&core.Arg{Dest: "command_id", Options: []string{"--command-id"}, Required: true,
			Help: "The command id. Use 'az vm run-command list' to get the list."},
		&core.Arg{Dest: "scripts", Options: []string{"--scripts"}, Kind: core.List,
			Help: "Space-separated script lines. Use @{file} to load script from a file."},
		&core.Arg{Dest: "parameters", Options: []string{"--parameters"}, Kind: core.List,
			Help: "Space-separated parameters in the format of '[name=]value'."},
	)
	return &core.Command{
		Name: "invoke", Short: "Execute a specific run command on a vm.", Args: args,
		Examples: []core.Example{
			{Summary: "Install nginx on a linux VM.",
				Command: "az vm run-command invoke -g MyResourceGroup -n MyVm --command-id RunShellScript --scripts \"sudo apt-get update && sudo apt-get install -y nginx\""},
			{Summary: "Invoke command with parameters.",
				Command: "az vm run-command invoke -g MyResourceGroup -n MyVm --command-id RunShellScript --scripts 'echo $1 $2' --parameters hello world"},
		},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := vmPath(c, r)
			if err != nil {
				return nil, err
			}
			body := map[string]any{"commandId": c.String("command_id"), "parameters": runCommandParameters(c.List("parameters"))}
			if scripts := c.List("scripts"); scripts != nil {
				lines, err := loadScripts(scripts)
				if err != nil {
					return nil, err
				}
				body["script"] = lines
			}
			res, err := client.Post(c.Context(), p+"/runCommand", ComputeAPIVersion, body, false)
			if err != nil {
				return nil, err
			}
			if res == nil {
				return nil, nil
			}
			return runCommandResultModel.apply(res), nil
		},
	}
}

// runCommandParameters is az's parsing of --parameters: name=value, or a
// bare value named arg1, arg2, ...
func runCommandParameters(vals []string) []any {
	out := []any{}
	auto := 0
	for _, p := range vals {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			auto++
			name, value = fmt.Sprintf("arg%d", auto), p
		}
		out = append(out, map[string]any{"name": name, "value": value})
	}
	return out
}

// loadScripts expands @file arguments (az's file-or-value loading).
func loadScripts(vals []string) ([]any, error) {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		if strings.HasPrefix(v, "@") {
			data, err := readFile(strings.TrimPrefix(v, "@"))
			if err != nil {
				return nil, err
			}
			v = data
		}
		out = append(out, v)
	}
	return out, nil
}
