package onprem

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/compute"
)

// Run commands on site hosts: POST {host}/runCommand with Azure's
// RunCommandInput ({commandId: RunShellScript, script: [...],
// parameters: [{name, value}]}). The script runs as a virtual machine's
// does (internal/providers/compute): "bash -c" in a fresh directory, with
// the host's vantage variables (Env), parameters as positional arguments
// and, when their name is a shell identifier, environment variables, and
// the last 4,096 bytes of each stream in the message "Enable succeeded:
// \n[stdout]\n...\n[stderr]\n...". Unlike a virtual machine's, the action
// is synchronous: it answers 200 with {"value": [status]} when the script
// ends (a site host is privlink's own resource, so no Azure client
// depends on the operation being long-running).

type runInput = compute.RunInput

// RunStatus is one status of a run command result.
type RunStatus struct {
	Code          string `json:"code"`
	Level         string `json:"level"`
	DisplayStatus string `json:"displayStatus"`
	Message       string `json:"message,omitempty"`
}

func (pr Provider) runCommand(ctx context.Context, req *arm.Request, rec *arm.Record) (*arm.Response, error) {
	var in runInput
	if err := req.DecodeBody(&in); err != nil {
		return nil, err
	}
	switch {
	case in.CommandID == "":
		return nil, arm.BadRequest("MissingParameter", "Required parameter 'commandId' is missing (null).")
	case !strings.EqualFold(in.CommandID, "RunShellScript"):
		return nil, arm.NotFound("NotFound", "The entity was not found in this Azure location.")
	}
	p, err := DecodeHost(rec)
	if err != nil {
		return nil, err
	}
	if p.PowerState == PowerStopped {
		return nil, arm.Conflict("OperationNotAllowed", "Operation 'RunCommand' is not allowed on host '%s' since it is stopped.", rec.Resource.Name)
	}
	rctx, cancel := context.WithTimeout(ctx, pr.RunCommandTimeout)
	defer cancel()
	stdout, stderr, aerr := pr.shell(rctx, rec.Resource.ID, in)
	if aerr != nil {
		pr.Log.Warn("run command failed", "host", rec.Resource.ID, "err", aerr)
		return nil, aerr
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]any{"value": []RunStatus{{
		Code: "ProvisioningState/succeeded", Level: "Info", DisplayStatus: "Provisioning succeeded",
		Message: "Enable succeeded: \n[stdout]\n" + stdout + "\n[stderr]\n" + stderr,
	}}}}, nil
}

func (pr Provider) shell(ctx context.Context, hostID string, in runInput) (string, string, *arm.Error) {
	dir, err := os.MkdirTemp("", "privlink-runcommand-")
	if err != nil {
		return "", "", &arm.Error{Code: "InternalExecutionError", Message: fmt.Sprintf("Run command could not prepare its directory: %v", err)}
	}
	defer os.RemoveAll(dir)
	var env []string
	if pr.Env != nil {
		if env, err = pr.Env(ctx, hostID); err != nil {
			return "", "", &arm.Error{Code: "InternalExecutionError", Message: fmt.Sprintf("Run command could not reach the host's network: %v", err)}
		}
	} else {
		env = []string{"LANG=C.UTF-8"}
	}
	env = append(env, "HOME="+dir)
	if !slices.ContainsFunc(env, func(s string) bool { return strings.HasPrefix(s, "PATH=") }) {
		path := os.Getenv("PATH")
		if path == "" {
			path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		}
		env = append(env, "PATH="+path)
	}
	return compute.ExecScript(ctx, "bash", dir, env, in, pr.RunCommandTimeout, "The run command was canceled.")
}
