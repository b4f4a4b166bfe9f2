package containerservice

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/kube"
)

// listCredential serves listClusterUserCredential and
// listClusterAdminCredential: {"kubeconfigs":[{"name":..., "value": base64}]}.
// The server is the private FQDN for private clusters (system or custom
// zone), else the public FQDN; ?server-fqdn=public asks for the public one.
func (pr *Provider) listCredential(admin bool) arm.ActionFunc {
	return func(ctx context.Context, req *arm.Request, rec *arm.Record) (*arm.Response, error) {
		var st internalState
		if err := json.Unmarshal(rec.Internal, &st); err != nil {
			return nil, err
		}
		var in clusterProps
		if err := rec.Resource.DecodeProperties(&in); err != nil {
			return nil, err
		}
		props := rec.Resource.PropertiesMap()
		server := str(props, "fqdn")
		if p := str(props, "privateFQDN"); p != "" {
			server = p
		}
		if strings.EqualFold(req.HTTP.URL.Query().Get("server-fqdn"), "public") {
			if f := str(props, "fqdn"); f != "" {
				server = f
			} else {
				return nil, arm.BadRequest("BadRequest", "The cluster has no public FQDN (enablePrivateClusterPublicFQDN is false).")
			}
		}
		c := pr.Kube.Get(st.GUID)
		if c == nil {
			if st.Power != "Running" {
				return nil, conflictStopped(req.ID.Name())
			}
			return nil, arm.Conflict("OperationNotAllowed", "The control plane of managed cluster %s is not running yet; retry when its provisioning has finished.", req.ID.Name())
		}
		name, rg := req.ID.Name(), req.ID.ResourceGroup
		o := kube.KubeconfigOptions{Admin: admin, Server: "https://" + server + ":443", ClusterName: name,
			ContextName: name, UserName: "clusterUser_" + rg + "_" + name}
		cred := "clusterUser"
		if admin {
			// The context keeps the cluster's name: az appends "-admin"
			// when it merges a clusterAdmin user.
			o.UserName, cred = "clusterAdmin_"+rg+"_"+name, "clusterAdmin"
		}
		kc, err := c.Kubeconfig(o)
		if err != nil {
			return nil, fmt.Errorf("write kubeconfig: %w", err)
		}
		return &arm.Response{Status: http.StatusOK, Body: map[string]any{
			"kubeconfigs": []any{map[string]any{"name": cred, "value": base64.StdEncoding.EncodeToString(kc)}},
		}}, nil
	}
}

// powerAction serves POST stop and start (202, long-running).
func (pr *Provider) powerAction(action string) arm.ActionFunc {
	return func(ctx context.Context, req *arm.Request, rec0 *arm.Record) (*arm.Response, error) {
		var out *arm.Record
		err := req.Engine.Run(ctx, func(t *arm.Txn) error {
			rec, err := t.Get(ctx, rec0.Resource.ID)
			if err != nil {
				return err
			}
			if rec == nil {
				return arm.ResourceNotFound(req.ID)
			}
			var st internalState
			if err := json.Unmarshal(rec.Internal, &st); err != nil {
				return err
			}
			if !arm.Terminal(rec.State) {
				return arm.Conflict("OperationNotAllowed",
					"Operation is not allowed because there's an in progress %s operation on managed cluster %s. Please wait for it to finish before starting a new operation.", opName(st.Op), req.ID.Name())
			}
			if rec.State == arm.StateFailed && action == "start" {
				return arm.Conflict("OperationNotAllowed", "Managed cluster %s is in a failed state; it cannot be started.", req.ID.Name())
			}
			switch {
			case action == "stop" && st.Power == "Stopped":
				return arm.BadRequest("OperationNotAllowed", "Managed cluster %s is already stopped.", req.ID.Name())
			case action == "start" && st.Power == "Running":
				return arm.BadRequest("OperationNotAllowed", "Managed cluster %s is already running.", req.ID.Name())
			}
			st.Op = action
			raw, err := json.Marshal(st)
			if err != nil {
				return err
			}
			rec.Internal = raw
			rec.Generation++
			rec.OpError = nil
			props := rec.Resource.PropertiesMap()
			props["provisioningState"] = opName(action)
			rec.Resource.SetPropertiesMap(props)
			rec.State = opName(action)
			out = rec
			return t.Write(ctx, rec)
		})
		if err != nil {
			return nil, err
		}
		pr.queue.Add(strings.ToLower(out.Resource.ID))
		h := arm.OperationHeaders(req, Namespace, out.Resource.Location, out, false, true)
		return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
	}
}

// commandRun is one `aks command invoke`.
type commandRun struct {
	id      string
	cluster string // lower-case cluster ID
	done    chan struct{}
	result  kube.CommandResult
	err     error
	started time.Time
	// finished is set before done is closed.
	finished time.Time
}

// commandResultRetention is how long a finished command's result can be
// fetched (`az aks command result`); older results are forgotten, and
// GET answers 404 for them as for an unknown ID.
const commandResultRetention = time.Hour

// pruneRuns forgets the results of commands finished more than the
// retention ago, so a daemon serving many command invocations does not
// keep every output. The caller holds pr.mu.
func (pr *Provider) pruneRuns(now time.Time) {
	for id, r := range pr.runs {
		select {
		case <-r.done:
			if now.Sub(r.finished) > commandResultRetention {
				delete(pr.runs, id)
			}
		default:
		}
	}
}

// maxContextBytes bounds the attached files (the zip's content).
const maxContextBytes = 16 << 20

// forgetRuns drops the command results of a cluster being deleted, so a
// cluster created again under the same name starts with none.
func (pr *Provider) forgetRuns(clusterID string) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	for id, r := range pr.runs {
		if strings.EqualFold(r.cluster, clusterID) {
			delete(pr.runs, id)
		}
	}
}

// runCommand serves POST runCommand: 202 with Location .../commandResults/{id}.
func (pr *Provider) runCommand(ctx context.Context, req *arm.Request, rec *arm.Record) (*arm.Response, error) {
	var body struct {
		Command      string `json:"command"`
		Context      string `json:"context"`
		ClusterToken string `json:"clusterToken"`
	}
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	if strings.TrimSpace(body.Command) == "" {
		return nil, arm.BadRequest("InvalidParameter", "The value of parameter command is invalid: it must not be empty.")
	}
	var in clusterProps
	if err := rec.Resource.DecodeProperties(&in); err != nil {
		return nil, err
	}
	if in.APIServerAccessProfile.runCommandDisabled() {
		return nil, arm.BadRequest("OperationNotAllowed", "Run command is disabled for managed cluster %s (apiServerAccessProfile.disableRunCommand).", req.ID.Name())
	}
	var st internalState
	if err := json.Unmarshal(rec.Internal, &st); err != nil {
		return nil, err
	}
	c := pr.Kube.Get(st.GUID)
	if c == nil {
		if st.Power != "Running" {
			return nil, conflictStopped(req.ID.Name())
		}
		return nil, arm.Conflict("OperationNotAllowed", "The control plane of managed cluster %s is not running yet.", req.ID.Name())
	}
	files, err := unzipContext(body.Context)
	if err != nil {
		return nil, arm.BadRequest("InvalidParameter", "The value of parameter context is invalid: %v.", err)
	}
	run := &commandRun{id: strings.ReplaceAll(uuid.NewString(), "-", ""), cluster: strings.ToLower(rec.Resource.ID),
		done: make(chan struct{}), started: time.Now().UTC()}
	pr.mu.Lock()
	pr.pruneRuns(run.started)
	pr.runs[run.id] = run
	pr.mu.Unlock()
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		run.result, run.err = c.RunCommand(pr.ctx, run.id, body.Command, files, pr.commandEnv(pr.ctx, st)...)
		run.finished = time.Now().UTC()
		close(run.done)
	}()
	h := http.Header{}
	h.Set("Location", req.BaseURL+rec.Resource.ID+"/"+CommandResultsPath+"/"+run.id+"?api-version="+req.APIVersion)
	h.Set("Retry-After", "1")
	return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
}

// commandEnv is the fabric vantage of the node a command pod runs on
// (the first node), so a command's curl connects from inside the
// cluster's network; nothing without HostEnv or nodes.
func (pr *Provider) commandEnv(ctx context.Context, st internalState) []string {
	if pr.HostEnv == nil || len(st.Nodes) == 0 || st.Nodes[0].VMID == "" {
		return nil
	}
	env, err := pr.HostEnv(ctx, st.Nodes[0].VMID)
	if err != nil {
		pr.Log.Warn("run command: node environment", "node", st.Nodes[0].Name, "err", err)
		return nil
	}
	return env
}

// unzipContext reads the base64 zip of attached files.
func unzipContext(b64 string) (map[string][]byte, error) {
	b64 = strings.Join(strings.Fields(b64), "")
	if b64 == "" {
		return nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	out := map[string][]byte{}
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := path.Base(f.Name)
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxContextBytes-total+1))
		rc.Close()
		if err != nil {
			return nil, err
		}
		total += int64(len(data))
		if total > maxContextBytes {
			return nil, fmt.Errorf("the attached files exceed %d bytes", maxContextBytes)
		}
		out[name] = data
	}
	return out, nil
}

// commandResult serves GET .../commandResults/{id}: 202 while running,
// 200 with the result.
func (pr *Provider) commandResult(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	id := req.Vars["id"]
	pr.mu.Lock()
	pr.pruneRuns(time.Now().UTC())
	run := pr.runs[id]
	pr.mu.Unlock()
	rid, err := routeID(req)
	if err != nil {
		return nil, err
	}
	parent, _ := rid.Parent()
	if run == nil || !strings.EqualFold(run.cluster, parent.String()) {
		return nil, arm.NotFound("NotFound", "Command result %s was not found.", id)
	}
	select {
	case <-run.done:
	default:
		h := http.Header{}
		h.Set("Location", req.BaseURL+req.HTTP.URL.RequestURI())
		h.Set("Retry-After", "1")
		return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
	}
	props := map[string]any{"provisioningState": "Succeeded", "exitCode": run.result.ExitCode,
		"startedAt": fmtTime(run.result.StartedAt, run.started), "finishedAt": fmtTime(run.result.FinishedAt, run.finished),
		"logs": run.result.Logs, "reason": ""}
	if run.err != nil {
		props["provisioningState"] = "Failed"
		props["reason"] = run.err.Error()
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]any{"id": id, "properties": props}}, nil
}

func fmtTime(t, def time.Time) string {
	if t.IsZero() {
		t = def
	}
	return t.UTC().Format(time.RFC3339)
}
