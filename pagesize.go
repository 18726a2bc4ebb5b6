package ipcbuf

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

// pageSizeAt returns the size of the pages of the mapping that holds addr,
// as the kernel reports it (KernelPageSize in /proc/self/smaps): the huge
// page size for a file on hugetlbfs or a System V segment made with
// SHM_HUGETLB. Nothing cheaper tells it for both: IPC_STAT does not record
// SHM_HUGETLB, and a mapped file's descriptor is closed after mmap. It is
// read only when the kernel has refused a call on part of a page, so its
// cost (a walk of every mapping of the process) is paid only there.
func pageSizeAt(addr unsafe.Pointer) (int, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	a := uint64(uintptr(addr))
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if lo, hi, ok := smapsRange(line); ok {
			in = a >= lo && a < hi
			continue
		}
		if rest, ok := bytes.CutPrefix(line, []byte("KernelPageSize:")); ok && in {
			kb, err := strconv.Atoi(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))))
			if err != nil || kb <= 0 {
				return 0, fmt.Errorf("cannot read the page size in /proc/self/smaps: %q", line)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/self/smaps has no page size for the mapping at %#x", a)
}

// smapsRange parses the address range that starts the first line of each
// mapping in /proc/self/smaps ("7f04aa00000-7f04ac00000 rw-s ..."); the
// other lines ("Size: 4 kB") are not hexadecimal ranges.
func smapsRange(line []byte) (lo, hi uint64, ok bool) {
	field, _, _ := bytes.Cut(line, []byte(" "))
	l, h, ok := bytes.Cut(field, []byte("-"))
	if !ok {
		return 0, 0, false
	}
	lo, err := strconv.ParseUint(string(l), 16, 64)
	if err != nil {
		return 0, 0, false
	}
	hi, err = strconv.ParseUint(string(h), 16, 64)
	return lo, hi, err == nil
}
