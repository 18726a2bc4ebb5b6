package main

// The caches the machine reports, from which group 2 chooses its ring's
// chunk and capacity.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A cacheLevel is one data or unified cache of a core.
type cacheLevel struct {
	level int // 1, 2, 3
	size  int // bytes
}

// cacheInfo is what the bench knows of the caches of the core it runs on.
type cacheInfo struct {
	l2, l3 int    // bytes; l3 is 0 when unknown
	source string // where the figures come from
}

// defaultL2 is the L2 assumed when the machine says nothing: 256 KiB, the
// smallest per-core L2 of the x86-64 and arm64 cores of the last decade, so
// that a machine that hides its caches gets chunks that fit any of them.
const defaultL2 = 256 << 10

// machineCaches reads the caches of CPU 0: from sysfs if the kernel lists
// them, else from CPUID (amd64; virtual machines often lack the sysfs
// directory but pass CPUID through), else it assumes defaultL2.
func machineCaches() cacheInfo {
	levels, source := sysfsCaches()
	if len(levels) == 0 {
		levels, source = cpuidCaches()
	}
	var ci cacheInfo
	for _, c := range levels {
		switch c.level {
		case 2:
			ci.l2 = max(ci.l2, c.size)
		case 3:
			ci.l3 = max(ci.l3, c.size)
		}
	}
	switch {
	case ci.l2 == 0:
		ci.l2, ci.source = defaultL2, "no L2 size reported (sysfs, CPUID): assumed "+sizeName(defaultL2)
	default:
		ci.source = source
	}
	return ci
}

// sysfsCaches reads /sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}.
func sysfsCaches() ([]cacheLevel, string) {
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu0/cache/index*")
	var out []cacheLevel
	for _, d := range dirs {
		read := func(f string) string {
			b, _ := os.ReadFile(filepath.Join(d, f))
			return strings.TrimSpace(string(b))
		}
		if t := read("type"); t != "Data" && t != "Unified" {
			continue
		}
		level, err1 := strconv.Atoi(read("level"))
		size, err2 := parseCacheSize(read("size"))
		if err1 != nil || err2 != nil || size <= 0 {
			continue
		}
		out = append(out, cacheLevel{level: level, size: size})
	}
	return out, "sysfs"
}

// parseCacheSize parses sysfs's "1024K" (or "32M", or bytes).
func parseCacheSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.Atoi(s)
	return n * mult, err
}

// sizeName writes a power-of-two-ish size as "512 KiB" or "2 MiB".
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
