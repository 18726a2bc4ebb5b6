package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"text/tabwriter"
	"time"
)

// A group is one row of the performance table: several contenders doing the
// same work, measured side by side in one run.
type group struct {
	id    string // "1" to "7", the row of the table in the issue
	title string
	run   func(cfg *config) []result
}

var groups []group

// register adds a group; each bench_*.go file registers its own in init.
func register(g group) { groups = append(groups, g) }

// config is what the command line says.
type config struct {
	rounds int     // alternating rounds per comparison; the median is reported
	quick  bool    // small sizes, few rounds: a smoke test, not a measurement
	scale  float64 // multiplies sizes and counts (1 normally)
	self   string  // this program, for groups that start a second process
}

// size scales a byte count or an iteration count for -quick.
func (c *config) size(n int) int {
	if c.quick {
		return max(n/64, 1)
	}
	return n
}

// A result is one contender's figure in one case.
type result struct {
	group     string  // the group's id
	caseName  string  // "fill 16 MiB"
	contender string  // "posix", "plain []byte", "pipe", …
	value     float64 // the median over the rounds
	unit      string  // "GB/s", "µs", "round trips/s", …
	higher    bool    // a higher value is better
	baseline  string  // the contender this one is compared with; "" for none
	target    float64 // the least acceptable ratio to the baseline (0: none)
	note      string  // anything the reader must know about this figure
	ratio     float64 // filled in by finish: value/baseline (or inverse for lower-is-better)
}

// alternate runs each function once per round, in rotation, for rounds
// rounds, and returns the median of each function's results. Alternating
// spreads the machine's noise evenly over the contenders.
func alternate(rounds int, fns ...func() float64) []float64 {
	samples := make([][]float64, len(fns))
	for r := 0; r < rounds; r++ {
		for i := range fns {
			j := (i + r) % len(fns) // rotate who goes first
			samples[j] = append(samples[j], fns[j]())
		}
	}
	med := make([]float64, len(fns))
	for i, s := range samples {
		med[i] = median(s)
	}
	return med
}

func median(s []float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	s = slices.Clone(s)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// timeIt runs f and returns the seconds it took.
func timeIt(f func()) float64 {
	start := time.Now()
	f()
	return time.Since(start).Seconds()
}

// gbps turns bytes moved in seconds into GB/s (10^9 bytes).
func gbps(bytes int, seconds float64) float64 { return float64(bytes) / seconds / 1e9 }

// finish computes every result's ratio to its baseline.
func finish(rs []result) {
	for i := range rs {
		r := &rs[i]
		if r.baseline == "" {
			continue
		}
		for _, b := range rs {
			if b.group == r.group && b.caseName == r.caseName && b.contender == r.baseline {
				if r.higher {
					r.ratio = r.value / b.value
				} else {
					r.ratio = b.value / r.value
				}
			}
		}
	}
}

// print writes the results of one group as a table.
func printGroup(w io.Writer, g group, rs []result) {
	fmt.Fprintf(w, "\n%s. %s\n\n", g.id, g.title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tcontender\tresult\tvs\tratio\ttarget\t")
	for _, r := range rs {
		ratio, target := "", ""
		if r.baseline != "" {
			ratio = fmt.Sprintf("%.2f×", r.ratio)
			if r.target > 0 {
				verdict := "met"
				if r.ratio < r.target {
					verdict = "MISSED"
				}
				target = fmt.Sprintf("≥ %.2f× %s", r.target, verdict)
				if !r.higher { // a time: say it as the issue does
					target = fmt.Sprintf("time ≤ %.2f× %s", 1/r.target, verdict)
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t\n", r.caseName, r.contender, formatValue(r.value), r.unit, r.baseline, ratio, target)
	}
	tw.Flush()
	for _, r := range rs {
		if r.note != "" {
			fmt.Fprintf(w, "  note (%s, %s): %s\n", r.caseName, r.contender, r.note)
		}
	}
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// missed lists the results below their target, and the measurements that
// failed.
func missed(rs []result) []string {
	var out []string
	for _, r := range rs {
		if r.contender == "FAILED" {
			out = append(out, fmt.Sprintf("%s %s: FAILED: %s", r.group, r.caseName, r.note))
			continue
		}
		if r.target > 0 && r.ratio < r.target {
			out = append(out, fmt.Sprintf("%s %s %s: %.2f× (target %.2f×)", r.group, r.caseName, r.contender, r.ratio, r.target))
		}
	}
	return out
}
