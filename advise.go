//go:build cgo && linux

package ipcbuf

// What opening does to a fresh mapping at the caller's request: pre-fault
// it (Populate) and ask for huge pages (HugePages). See the options' docs.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// madvise is cshim.Madvise; a test replaces it to make the kernel refuse.
var madvise = cshim.Madvise

// advise applies o's Populate and HugePages to the n bytes mapped at addr,
// for a buffer of kind. Huge pages are advised first, so that the faults
// Populate takes are already huge ones.
func (o options) advise(kind Kind, addr unsafe.Pointer, n int) error {
	if n == 0 {
		return nil
	}
	if o.hugePages && kind == KindPOSIX {
		if err := madvise(addr, n, cshim.AdviceHugePage); err != nil {
			return fmt.Errorf("HugePages: madvise(MADV_HUGEPAGE): %w", err)
		}
	}
	if !o.populate {
		return nil
	}
	advice, how := cshim.AdvicePopulateWrite, "MADV_POPULATE_WRITE"
	if o.readOnly {
		advice, how = cshim.AdvicePopulateRead, "MADV_POPULATE_READ"
	}
	err := madvise(addr, n, advice)
	switch {
	case err == nil:
		return nil
	case err == syscall.EINVAL:
		return fmt.Errorf("Populate: this kernel has no madvise(%s), which came in Linux 5.14: %w", how, errors.ErrUnsupported)
	case err == syscall.EFAULT:
		// The kernel's answer where a page could not be had: the
		// object is shorter than mapped, or its file system is full.
		return fmt.Errorf("Populate: madvise(%s) could not fault every page in (the object is shorter than its mapping, or its file system is full): %w", how, err)
	}
	return fmt.Errorf("Populate: madvise(%s): %w", how, err)
}

// hugePagesRefusal says why the system would not give a buffer of kind
// huge pages, before anything is created; nil when it would, or when the
// kernel's own answer at creation will say (System V).
func hugePagesRefusal(kind Kind) error {
	switch kind {
	case KindFile:
		return fmt.Errorf("HugePages: a file's pages are its file system's: put the file on a hugetlbfs mount instead: %w", errors.ErrUnsupported)
	case KindPOSIX:
		return shmHugePagesRefusal()
	}
	return nil
}

// shmHugePagesRefusal says why the tmpfs that holds POSIX shared memory
// gives no transparent huge pages, or returns nil if it gives them when
// advised. The kernel accepts MADV_HUGEPAGE either way, so without this
// check the option would silently do nothing.
func shmHugePagesRefusal() error {
	policy, err := shmemPolicy()
	if err != nil {
		return fmt.Errorf("HugePages: cannot tell whether shared memory may use huge pages: %w", err)
	}
	switch policy {
	case "force":
		return nil
	case "deny":
		return fmt.Errorf("HugePages: /sys/kernel/mm/transparent_hugepage/shmem_enabled is deny: %w", errors.ErrUnsupported)
	}
	fsType, huge, err := mountOption("/dev/shm", "huge")
	switch {
	case err != nil:
		return fmt.Errorf("HugePages: cannot read how /dev/shm is mounted: %w", err)
	case fsType != "tmpfs":
		return fmt.Errorf("HugePages: /dev/shm is %q, not tmpfs: %w", fsType, errors.ErrUnsupported)
	case huge == "" || huge == "never":
		return fmt.Errorf("HugePages: the tmpfs at /dev/shm is mounted without huge pages (huge=never); remount it with huge=advise to allow them: %w", errors.ErrUnsupported)
	}
	return nil
}

// shmemPolicy returns the selected word of the kernel's
// transparent_hugepage/shmem_enabled ("always within_size advise [never]
// deny force"), or an error matching errors.ErrUnsupported where the kernel
// has no transparent huge pages.
func shmemPolicy() (string, error) {
	data, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/shmem_enabled")
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("this kernel has no transparent huge pages: %w", errors.ErrUnsupported)
	}
	if err != nil {
		return "", err
	}
	for _, w := range strings.Fields(string(data)) {
		if len(w) > 2 && w[0] == '[' && w[len(w)-1] == ']' {
			return w[1 : len(w)-1], nil
		}
	}
	return "", fmt.Errorf("cannot read shmem_enabled: %q", data)
}

// mountOption returns the file system type of the mount at dir (the last
// one mounted there, which hides the others) and the value of its super
// block option key ("" if it has none), from /proc/self/mountinfo.
func mountOption(dir, key string) (fsType, value string, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "36 35 0:32 / /dev/shm rw,nosuid - tmpfs tmpfs rw,size=…,huge=advise"
		pre, post, ok := bytes.Cut(sc.Bytes(), []byte(" - "))
		fields, sb := bytes.Fields(pre), bytes.Fields(post)
		if !ok || len(fields) < 5 || string(fields[4]) != dir || len(sb) < 3 {
			continue
		}
		found, fsType, value = true, string(sb[0]), ""
		for _, opt := range strings.Split(string(sb[2]), ",") {
			if v, ok := strings.CutPrefix(opt, key+"="); ok {
				value = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	if !found {
		return "", "", fmt.Errorf("nothing is mounted at %s", dir)
	}
	return fsType, value, nil
}
