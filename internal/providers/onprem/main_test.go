package onprem_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/kube/kubetest"
)

// testCluster is a real control plane (kubetest) the cluster tests' fake
// runtime hands out.
var testCluster *kube.Cluster

func TestMain(m *testing.M) {
	os.Exit(kubetest.Run(m, "onprem-test", nil, func(c *kube.Cluster, _ *slog.Logger) { testCluster = c }))
}
