// Package shatomic is sync/atomic for words in memory that can be unmapped
// while an operation is under way: a Buffer's mapped memory, which Close
// swaps for an inaccessible reservation without waiting for the methods
// using it (see guard.go in the root package). Such a method faults, and
// the fault guard turns the fault into fs.ErrClosed or ErrFault.
//
// That works as long as the faulting instruction is Go code. It is, for
// sync/atomic in a normal build, whose operations the compiler makes
// instructions in the caller. Under the race detector it is not: there
// sync/atomic performs each operation in the detector's C runtime, on the
// system stack, and the runtime cannot recover a fault there: the process
// dies ("traceback did not unwind completely"). So under the race detector
// on amd64 these functions do the operation in Go assembly and then tell
// the detector what synchronisation it implied, through
// runtime.RaceReleaseMerge and runtime.RaceAcquire, which leave memory
// outside Go's heap alone. Elsewhere they are sync/atomic's, inlined.
//
// Under the race detector on other architectures they are sync/atomic's
// too, and an atomic that meets Close at the wrong instant can still kill
// a race-enabled process there.
package shatomic
