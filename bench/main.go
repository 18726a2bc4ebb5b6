// Command bench measures ipcbuf against what a user would pick instead, side
// by side in one run, and prints a table of figures and ratios. Each
// comparison alternates its contenders over several rounds and reports
// medians. Run it with `make bench` from the repository's root.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	// A group that starts a second process runs this program again in a
	// role; see child.go.
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role))
	}
	cfg := &config{}
	only := flag.String("only", "", "comma-separated group ids to run (default all), e.g. 1,6")
	flag.IntVar(&cfg.rounds, "rounds", 7, "alternating rounds per comparison (the median is reported)")
	flag.BoolVar(&cfg.quick, "quick", false, "small sizes and few rounds: check that everything runs, measure nothing")
	profile := flag.String("cpuprofile", "", "write a CPU profile of this process to `file`, and of each child to file.ROLE.PID")
	flag.Parse()
	if *profile != "" {
		stop, err := startProfile(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer stop()
		os.Setenv(profileEnv, *profile) // for the children
	}
	if cfg.quick {
		cfg.rounds = min(cfg.rounds, 2)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	cfg.self = self

	slices.SortFunc(groups, func(a, b group) int { return cmp.Compare(groupNumber(a.id), groupNumber(b.id)) })
	fmt.Printf("ipcbuf benchmarks, %s, %s/%s, %d CPUs, GOMAXPROCS %d, %d rounds each%s\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		runtime.GOMAXPROCS(0), cfg.rounds, map[bool]string{true: " (quick: not a measurement)"}[cfg.quick])
	fmt.Println(machine())
	fmt.Println(load())
	var all []result
	for _, g := range groups {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), g.id) {
			continue
		}
		rs := g.run(cfg)
		for i := range rs {
			rs[i].group = g.id
		}
		finish(rs)
		printGroup(os.Stdout, g, rs)
		fmt.Print(groupText[g.id])
		all = append(all, rs...)
	}
	csemCleanup()
	if m := missed(all); len(m) > 0 && !cfg.quick {
		fmt.Printf("\ntargets missed: %d\n  %s\n", len(m), strings.Join(m, "\n  "))
	}
}

// groupText holds what a group prints after its table, by group id: a
// sweep, say, that does not fit the table's rows.
var groupText = map[string]string{}

// load returns the load average when the run starts: the figures of the
// groups that need both cores at once depend on it.
func load() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average: unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "load average: unknown"
	}
	return "load average at start: " + strings.Join(f[:3], " ")
}

// machine describes the CPU, from /proc/cpuinfo.
func machine() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "cpu: unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return "cpu:" + strings.TrimLeft(name, " \t:")
		}
	}
	return "cpu: unknown"
}

// groupNumber is a group's id as a number, so that group 10 follows 9.
func groupNumber(id string) int {
	n, err := strconv.Atoi(id)
	if err != nil {
		return math.MaxInt
	}
	return n
}
