//go:build race

package shatomic

import (
	"runtime"
	"unsafe"
)

// Under the race detector: each operation in Go assembly
// (shatomic_race_amd64.s), where a fault is an ordinary recoverable
// panic, with the detector told of the synchronisation: a release before
// a store or read-modify-write, an acquire after a load or
// read-modify-write, as sync/atomic's operations are to it. For memory
// outside Go's heap, which the detector does not track, both calls do
// nothing. What the detector no longer sees is the access itself, so a
// plain access racing an atomic one on a memory buffer goes unreported.

func load32(p *uint32) uint32
func store32(p *uint32, v uint32)
func add32(p *uint32, d uint32) uint32
func swap32(p *uint32, v uint32) uint32
func cas32(p *uint32, old, new uint32) bool
func load64(p *uint64) uint64
func store64(p *uint64, v uint64)
func add64(p *uint64, d uint64) uint64
func swap64(p *uint64, v uint64) uint64
func cas64(p *uint64, old, new uint64) bool

// acquired runs the load op, then tells the detector that it acquired p.
func acquired[T any](p unsafe.Pointer, op func() T) T {
	v := op()
	runtime.RaceAcquire(p)
	return v
}

// releasedAcquired tells the detector that p is released, runs op, a
// store or read-modify-write, and tells it that p was acquired.
func releasedAcquired[T any](p unsafe.Pointer, op func() T) T {
	runtime.RaceReleaseMerge(p)
	v := op()
	runtime.RaceAcquire(p)
	return v
}

// LoadUint32 is atomic.LoadUint32.
func LoadUint32(p *uint32) uint32 {
	return acquired(unsafe.Pointer(p), func() uint32 { return load32(p) })
}

// StoreUint32 is atomic.StoreUint32.
func StoreUint32(p *uint32, v uint32) {
	runtime.RaceReleaseMerge(unsafe.Pointer(p))
	store32(p, v)
}

// AddUint32 is atomic.AddUint32.
func AddUint32(p *uint32, d uint32) uint32 {
	return releasedAcquired(unsafe.Pointer(p), func() uint32 { return add32(p, d) })
}

// SwapUint32 is atomic.SwapUint32.
func SwapUint32(p *uint32, v uint32) uint32 {
	return releasedAcquired(unsafe.Pointer(p), func() uint32 { return swap32(p, v) })
}

// CompareAndSwapUint32 is atomic.CompareAndSwapUint32.
func CompareAndSwapUint32(p *uint32, old, new uint32) bool {
	return releasedAcquired(unsafe.Pointer(p), func() bool { return cas32(p, old, new) })
}

// LoadUint64 is atomic.LoadUint64.
func LoadUint64(p *uint64) uint64 {
	return acquired(unsafe.Pointer(p), func() uint64 { return load64(p) })
}

// StoreUint64 is atomic.StoreUint64.
func StoreUint64(p *uint64, v uint64) {
	runtime.RaceReleaseMerge(unsafe.Pointer(p))
	store64(p, v)
}

// AddUint64 is atomic.AddUint64.
func AddUint64(p *uint64, d uint64) uint64 {
	return releasedAcquired(unsafe.Pointer(p), func() uint64 { return add64(p, d) })
}

// SwapUint64 is atomic.SwapUint64.
func SwapUint64(p *uint64, v uint64) uint64 {
	return releasedAcquired(unsafe.Pointer(p), func() uint64 { return swap64(p, v) })
}

// CompareAndSwapUint64 is atomic.CompareAndSwapUint64.
func CompareAndSwapUint64(p *uint64, old, new uint64) bool {
	return releasedAcquired(unsafe.Pointer(p), func() bool { return cas64(p, old, new) })
}
