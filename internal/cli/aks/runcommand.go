package aks

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// Run command polling: az polls every 5 s unless the service sends
// Retry-After; privlink honours Retry-After but never polls more often than
// once a second, and gives up after az's 300 s.
const (
	runCommandDefaultPoll = 5 * time.Second
	runCommandMinPoll     = time.Second
	runCommandTimeout     = 300 * time.Second
)

func commandInvokeCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "command_string", Options: []string{"--command", "-c"}, Required: true,
			Help: "The command to run."},
		&core.Arg{Dest: "command_files", Options: []string{"--file", "-f"}, Kind: core.List, Repeat: true,
			Help: "Files to be used by the command, use '.' to attach the current folder."},
	)
	return &core.Command{
		Name: "invoke", Short: "Run a shell command (with kubectl, helm) on your aks cluster, support attaching files as well.",
		Args: args,
		Examples: []core.Example{
			{Summary: "Run a kubectl command on a private cluster.",
				Command: "az aks command invoke -g MyResourceGroup -n MyManagedCluster -c \"kubectl get pods -n kube-system\""},
			{Summary: "Apply a manifest attached from the current folder.",
				Command: "az aks command invoke -g MyResourceGroup -n MyManagedCluster -c \"kubectl apply -f deployment.yaml -n default\" -f ."},
		},
		Run: runCommandInvoke,
	}
}

func commandResultCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "command_id", Options: []string{"--command-id", "-i"}, Required: true,
			Help: "CommandID returned from 'aks command invoke'."},
	)
	return &core.Command{
		Name: "result", Short: "Fetch result from previously triggered 'aks command invoke'.",
		Args: args,
		Examples: []core.Example{{Summary: "Fetch the result of a previous command.",
			Command: "az aks command result -g MyResourceGroup -n MyManagedCluster -i 0e9872e6629349dc865e27ee6f8bab2d"}},
		Run: func(c *core.Context) (any, error) {
			id := c.String("command_id")
			if id == "" {
				return nil, core.Errorf("CommandID cannot be empty.")
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := clusterPath(c)
			if err != nil {
				return nil, err
			}
			resp, err := client.Do(c.Context(), arm.Request{Method: http.MethodGet, Path: p + "/commandResults/" + id, APIVersion: APIVersion})
			if err != nil {
				return nil, err
			}
			if resp.StatusCode == http.StatusAccepted || len(bytes.TrimSpace(resp.Body)) == 0 {
				return printCommandResult(c, map[string]any{"provisioningState": "Running"})
			}
			v, err := resp.Decode()
			if err != nil {
				return nil, err
			}
			return printCommandResult(c, commandResultModel(v))
		},
	}
}

func runCommandInvoke(c *core.Context) (any, error) {
	command := c.String("command_string")
	if command == "" {
		return nil, core.Errorf("Command cannot be empty.")
	}
	files := c.List("command_files")
	zipContext, err := commandContext(files)
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := clusterPath(c)
	if err != nil {
		return nil, err
	}
	// az reads the cluster first (for its AAD profile).
	if _, err := client.GetObject(c.Context(), p, APIVersion, nil); err != nil {
		return nil, err
	}
	body := map[string]any{"command": command, "context": zipContext, "clusterToken": ""}
	resp, err := client.Do(c.Context(), arm.Request{Method: http.MethodPost, Path: p + "/runCommand", APIVersion: APIVersion, Body: body})
	if err != nil {
		return nil, err
	}
	waited := time.Duration(0)
	for resp.StatusCode == http.StatusAccepted {
		loc := resp.Header.Get("Location")
		if loc == "" {
			loc = resp.Header.Get("Azure-AsyncOperation")
		}
		if loc == "" {
			return nil, fmt.Errorf("run command: 202 response without a Location header")
		}
		if waited >= runCommandTimeout {
			return printCommandResult(c, map[string]any{"provisioningState": "Running"})
		}
		d := runCommandDefaultPoll
		if ra, ok := arm.RetryAfter(resp.Header); ok {
			d = ra
		}
		if d < runCommandMinPoll {
			d = runCommandMinPoll
		}
		if err := c.Sleep(d); err != nil {
			return nil, err
		}
		waited += d
		next, err := client.Do(c.Context(), arm.Request{Method: http.MethodGet, Path: loc})
		if err != nil {
			return nil, err
		}
		if next.Header.Get("Location") == "" && next.StatusCode == http.StatusAccepted {
			next.Header.Set("Location", loc)
		}
		resp = next
	}
	v, err := resp.Decode()
	if err != nil {
		return nil, err
	}
	return printCommandResult(c, commandResultModel(v))
}

// commandResultModel is the RunCommandResult model az prints: id plus the
// flattened properties.
func commandResultModel(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := map[string]any{}
	for k, val := range m {
		if k != "properties" {
			out[k] = val
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, val := range props {
			out[k] = val
		}
	}
	for _, k := range []string{"id", "provisioningState", "exitCode", "startedAt", "finishedAt", "logs", "reason"} {
		if _, ok := out[k]; !ok {
			out[k] = nil
		}
	}
	return out
}

// printCommandResult is az's _print_command_result: with -o the result is
// returned for rendering; otherwise az prints it for people and the
// command exits 0 whatever the command's exit code.
func printCommandResult(c *core.Context, r map[string]any) (any, error) {
	if c.Has(core.DestOutput) {
		return r, nil
	}
	out := c.Streams().Out
	state, _ := r["provisioningState"].(string)
	switch strings.ToLower(state) {
	case "succeeded":
		fmt.Fprintf(out, "command started at %s, finished at %s with exitcode=%s\n",
			pythonTime(r["startedAt"]), pythonTime(r["finishedAt"]), pythonValue(r["exitCode"]))
		fmt.Fprintln(out, pythonValue(r["logs"]))
	case "failed":
		fmt.Fprintf(out, "command failed with reason: %s\n", pythonValue(r["reason"]))
	default:
		fmt.Fprintf(out, "command is in : %s state\n", state)
	}
	return nil, nil
}

// pythonTime renders an RFC 3339 time as Python's str(datetime) does
// ("2021-02-17 00:28:20+00:00").
func pythonTime(v any) string {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return pythonValue(v)
	}
	layout := "2006-01-02 15:04:05"
	if t.Nanosecond() != 0 {
		layout += ".000000"
	}
	return t.Format(layout + "-07:00")
}

// pythonValue renders a JSON value as Python's str() would.
func pythonValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case float64:
		if t == float64(int64(t)) {
			return fmt.Sprintf("%d", int64(t))
		}
		return fmt.Sprint(t)
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

// commandContext is az's _get_command_context: the attached files zipped
// and base64-encoded with a newline every 76 characters (Python's
// base64.encodebytes). "." attaches the current folder recursively (paths
// kept); other files are attached flat by base name.
func commandContext(files []string) (string, error) {
	if len(files) == 0 {
		return "", nil
	}
	attach := map[string]string{} // zip entry -> file
	if len(files) == 1 && files[0] == "." {
		cwd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("reading the current folder: %w", err)
		}
		err = filepath.WalkDir(cwd, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(cwd, p)
			if err != nil {
				return err
			}
			attach[filepath.ToSlash(rel)] = p
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("reading the current folder: %w", err)
		}
	} else {
		for _, f := range files {
			if f == "." {
				return "", core.Errorf(". is used to attach current folder, not expecting other attachements.")
			}
			st, err := os.Stat(f)
			if err != nil || !st.Mode().IsRegular() {
				return "", core.Errorf("%s is not valid file, or not accessable.", f)
			}
			attach[filepath.Base(f)] = f
		}
	}
	if len(attach) == 0 {
		return "", nil
	}
	entries := make([]string, 0, len(attach))
	for e := range attach {
		entries = append(entries, e)
	}
	sort.Strings(entries)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if err := addZipFile(zw, e, attach[e]); err != nil {
			return "", err
		}
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("zipping the attached files: %w", err)
	}
	return encodeBytes(buf.Bytes()), nil
}

func addZipFile(zw *zip.Writer, entry, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("attaching %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("attaching %s: %w", path, err)
	}
	h, err := zip.FileInfoHeader(st)
	if err != nil {
		return fmt.Errorf("attaching %s: %w", path, err)
	}
	h.Name = entry
	h.Method = zip.Store // Python's ZipFile default (ZIP_STORED)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("attaching %s: %w", path, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("attaching %s: %w", path, err)
	}
	return nil
}

// encodeBytes is Python's base64.encodebytes: lines of 76 characters, each
// ending with a newline.
func encodeBytes(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76])
		out.WriteByte('\n')
		s = s[76:]
	}
	if s != "" {
		out.WriteString(s)
		out.WriteByte('\n')
	}
	return out.String()
}
