package containerservice

import (
	"testing"
	"time"
)

func TestPruneRuns(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	finished := func(id, cluster string, ago time.Duration) *commandRun {
		r := &commandRun{id: id, cluster: cluster, done: make(chan struct{}), finished: now.Add(-ago)}
		close(r.done)
		return r
	}
	running := &commandRun{id: "running", cluster: "c1", done: make(chan struct{}), started: now.Add(-3 * time.Hour)}
	pr := &Provider{runs: map[string]*commandRun{
		"recent":  finished("recent", "c1", 10*time.Minute),
		"edge":    finished("edge", "c1", commandResultRetention),
		"old":     finished("old", "c1", commandResultRetention+time.Second),
		"other":   finished("other", "c2", 2*time.Hour),
		"running": running,
	}}
	pr.pruneRuns(now)
	for id, want := range map[string]bool{"recent": true, "edge": true, "old": false, "other": false, "running": true} {
		if _, got := pr.runs[id]; got != want {
			t.Errorf("run %s kept = %v, want %v", id, got, want)
		}
	}
	pr.forgetRuns("C1")
	if len(pr.runs) != 0 {
		t.Errorf("forgetRuns left %d runs", len(pr.runs))
	}
}
