package kube

import (
	"fmt"
	"runtime/debug"
	"strings"
	_ "unsafe" // for go:linkname

	_ "k8s.io/client-go/pkg/version"          // linknamed below
	cbversion "k8s.io/component-base/version" // also linknamed below
)

// KubernetesVersion is the Kubernetes version of the embedded control plane,
// of the kubectl built in, and of the kubelet version Node objects report.
const KubernetesVersion = "1.37.1"

// The version variables of component-base (what the API server's /version
// and the controller-manager report) and client-go (kubectl's client
// version) are normally set by the Kubernetes build with -ldflags -X. go test
// and go run pass no such flags, and an unset version
// ("v0.0.0-master+$Format:%H$") makes kubectl fail to parse the server
// version, so they are set here.

//go:linkname cbGitVersion k8s.io/component-base/version.gitVersion
var cbGitVersion string

//go:linkname cbGitMajor k8s.io/component-base/version.gitMajor
var cbGitMajor string

//go:linkname cbGitMinor k8s.io/component-base/version.gitMinor
var cbGitMinor string

//go:linkname cbGitCommit k8s.io/component-base/version.gitCommit
var cbGitCommit string

//go:linkname cbGitTreeState k8s.io/component-base/version.gitTreeState
var cbGitTreeState string

//go:linkname cbBuildDate k8s.io/component-base/version.buildDate
var cbBuildDate string

//go:linkname cgGitVersion k8s.io/client-go/pkg/version.gitVersion
var cgGitVersion string

//go:linkname cgGitMajor k8s.io/client-go/pkg/version.gitMajor
var cgGitMajor string

//go:linkname cgGitMinor k8s.io/client-go/pkg/version.gitMinor
var cgGitMinor string

//go:linkname cgGitCommit k8s.io/client-go/pkg/version.gitCommit
var cgGitCommit string

//go:linkname cgGitTreeState k8s.io/client-go/pkg/version.gitTreeState
var cgGitTreeState string

//go:linkname cgBuildDate k8s.io/client-go/pkg/version.buildDate
var cgBuildDate string

func init() {
	setVersion()
}

// setVersion fills the version variables unless a build already set them
// with -ldflags. The git commit of the upstream release is not known to this
// build, so it stays empty rather than invented; the build date is privlink's
// own VCS commit time when the Go toolchain recorded one.
func setVersion() {
	date := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				date = s.Value
			}
		}
	}
	set := func(version, major, minor, commit, tree, build *string) {
		if !strings.HasPrefix(*version, "v0.0.0") {
			return // set by -ldflags
		}
		*version = "v" + KubernetesVersion
		*major, *minor, _ = strings.Cut(KubernetesVersion, ".")
		*minor, _, _ = strings.Cut(*minor, ".")
		*commit = ""
		*tree = "clean"
		if date != "" {
			*build = date
		}
	}
	set(&cbGitVersion, &cbGitMajor, &cbGitMinor, &cbGitCommit, &cbGitTreeState, &cbBuildDate)
	// component-base reads the version through a copy taken at its init.
	if err := cbversion.SetDynamicVersion(cbGitVersion); err != nil {
		panic(fmt.Sprintf("kube: set the Kubernetes version: %v", err))
	}
	set(&cgGitVersion, &cgGitMajor, &cgGitMinor, &cgGitCommit, &cgGitTreeState, &cgBuildDate)
}
