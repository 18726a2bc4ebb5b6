// Command canary makes, on purpose, the mistake that one Go step of
// sanitize.sh exists to catch, so the script can check that the step's
// checker is really on: a run whose canary survives would check nothing.
//
//	canary cgocheck  a Go pointer stored into C memory (GOEXPERIMENT=cgocheck2)
//	canary cleanup   a cleanup whose argument reaches its object, as in
//	                 ipcbuf's region/mapping pair (GODEBUG=checkfinalizers=1)
//	canary asan      a C heap buffer overflow (go run -asan)
//
// It prints "canary survived" and exits 0 if nothing stopped it. This is a
// module of its own under testdata, so ./... in ipcbuf never builds it.
package main

/*
#include <stdlib.h>
#include <string.h>

// Reads one byte past an n-byte block, returned so it is not optimized away.
static int overflow(size_t n)
{
	char *p = malloc(n);
	int c;

	memset(p, 1, n);
	c = p[n];
	free(p);
	return c;
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

type region struct {
	addr  unsafe.Pointer
	owner *mapping // the mistake: a way back from the cleanup's argument
}

type mapping struct {
	name string
	reg  *region
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: canary cgocheck|cleanup|asan")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "cgocheck":
		slot := (*unsafe.Pointer)(C.malloc(C.size_t(unsafe.Sizeof(uintptr(0)))))
		*slot = unsafe.Pointer(new(int))
		C.free(unsafe.Pointer(slot))
	case "cleanup":
		m := &mapping{name: "canary"}
		m.reg = &region{owner: m}
		runtime.AddCleanup(m, func(r *region) {}, m.reg)
		runtime.GC()
		runtime.KeepAlive(m)
	case "asan":
		fmt.Println("read past the end:", C.overflow(16))
	default:
		fmt.Fprintln(os.Stderr, "canary: unknown mistake", os.Args[1])
		os.Exit(2)
	}
	fmt.Println("canary survived")
}
