package kube

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// kubectlMu serializes in-process kubectl runs: kubectl keeps state in
// process-wide variables (the fatal-error behaviour, the default warning
// handler).
var kubectlMu sync.Mutex

// kubectlExit is the panic value the fatal-error handler raises to end a
// run with an exit code instead of exiting the process.
type kubectlExit struct{ code int }

// KubectlMain runs the embedded kubectl (version KubernetesVersion) with
// args (the arguments after "kubectl") and returns its exit code. It never
// exits the process. Runs are serialized.
func KubectlMain(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	if stdin == nil {
		stdin = bytes.NewReader(nil)
	}
	kubectlMu.Lock()
	defer kubectlMu.Unlock()
	streams := genericiooptions.IOStreams{In: stdin, Out: stdout, ErrOut: stderr}
	cmdutil.BehaviorOnFatal(func(msg string, c int) {
		if msg != "" {
			if !strings.HasSuffix(msg, "\n") {
				msg += "\n"
			}
			fmt.Fprint(stderr, msg)
		}
		panic(kubectlExit{c})
	})
	defer func() {
		cmdutil.DefaultBehaviorOnFatal()
		// kubectl installs a warning handler writing to this run's
		// stderr as the process default; the embedded components use
		// none.
		rest.SetDefaultWarningHandler(rest.NoWarnings{})
		if r := recover(); r != nil {
			var e kubectlExit
			if ex, ok := r.(kubectlExit); ok {
				e = ex
			} else {
				fmt.Fprintf(stderr, "error: kubectl: %v\n", r)
				e.code = 1
			}
			code = e.code
		}
	}()
	cmd := kubectlcmd.NewKubectlCommand(kubectlcmd.KubectlOptions{
		Arguments: append([]string{"kubectl"}, args...),
		IOStreams: streams,
	})
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	// As k8s.io/component-base/cli.RunNoErrOutput and kubectl's main.
	cmd.SetGlobalNormalizationFunc(cliflag.WordSepNormalizeFunc)
	cmd.SilenceUsage = true
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		c.SilenceUsage = false
		return err
	})
	cmd.SilenceErrors = true
	logs.AddFlags(cmd.PersistentFlags())
	if err := cmd.Execute(); err != nil {
		cmdutil.CheckErr(err) // prints the error and raises kubectlExit
		return 1
	}
	return 0
}
