package bench

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes the run for bench/RESULTS.md: date, machine, Go,
// the command line (as program plus os.Args[1:]) and the load average.
func Machine(program string) []string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, ln := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(ln, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	return []string{
		"date: " + time.Now().UTC().Format(time.RFC3339),
		fmt.Sprintf("machine: nproc %d, GOMAXPROCS %d, %s, linux %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), model, kernel),
		"go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		"arguments: `" + strings.Join(append([]string{program}, os.Args[1:]...), " ") + "`",
		"load average before the run: " + LoadAvg(),
	}
}

// LoadAvg is the 1, 5 and 15 minute load averages, or "unknown".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Met renders a target's verdict for the results tables.
func Met(ok bool) string {
	if ok {
		return "**yes**"
	}
	return "**NO**"
}
