package main

// cpuid executes the CPUID instruction with leaf in EAX and sub in ECX.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// cpuidCaches returns the data (or unified) caches the processor describes
// with CPUID: the deterministic cache parameters (leaf 4 on Intel,
// 0x8000001D on AMD), else the L2 and L3 sizes of leaf 0x80000006.
func cpuidCaches() (caches []cacheLevel, source string) {
	maxBasic, _, _, _ := cpuid(0, 0)
	maxExt, _, _, _ := cpuid(0x80000000, 0)
	leaf, name := uint32(0), ""
	switch {
	case maxExt >= 0x8000001D:
		if a, _, _, _ := cpuid(0x8000001D, 0); a&0x1f != 0 {
			leaf, name = 0x8000001D, "CPUID 0x8000001D"
		}
	}
	if leaf == 0 && maxBasic >= 4 {
		if a, _, _, _ := cpuid(4, 0); a&0x1f != 0 {
			leaf, name = 4, "CPUID 4"
		}
	}
	if leaf != 0 {
		for sub := uint32(0); sub < 16; sub++ {
			a, b, c, _ := cpuid(leaf, sub)
			kind := a & 0x1f // 1 data, 2 instruction, 3 unified; 0 ends the list
			if kind == 0 {
				break
			}
			if kind == 2 {
				continue
			}
			ways, parts, line, sets := b>>22+1, b>>12&0x3ff+1, b&0xfff+1, c+1
			caches = append(caches, cacheLevel{level: int(a >> 5 & 7), size: int(ways) * int(parts) * int(line) * int(sets)})
		}
		if len(caches) > 0 {
			return caches, name
		}
	}
	if maxExt >= 0x80000006 {
		_, _, c, d := cpuid(0x80000006, 0)
		if l2 := int(c>>16) << 10; l2 > 0 {
			caches = append(caches, cacheLevel{level: 2, size: l2})
		}
		if l3 := int(d>>18) << 19; l3 > 0 {
			caches = append(caches, cacheLevel{level: 3, size: l3})
		}
		if len(caches) > 0 {
			return caches, "CPUID 0x80000006"
		}
	}
	return nil, ""
}
