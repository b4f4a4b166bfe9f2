package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
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

// TimeWait is the number of TCP sockets in TIME_WAIT on the machine
// (/proc/net/sockstat), or -1 when it cannot be read.
func TimeWait() int {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "TCP:" {
			continue
		}
		for i := 1; i+1 < len(f); i += 2 {
			if f[i] == "tw" {
				if n, err := strconv.Atoi(f[i+1]); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// DrainTimeWait waits (at most timeout) until fewer than limit TCP sockets
// are in TIME_WAIT. A connection-setup round leaves tens of thousands
// of them on loopback for a minute; while they last, binding a listener
// to port 0 can fail with "address already in use" and connect gets
// slower, which would shift the next measurement. It returns the count
// it stopped at.
func DrainTimeWait(limit int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		n := TimeWait()
		if n < limit || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Second)
	}
}
