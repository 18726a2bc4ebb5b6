//go:build race

package ipcbuf

import "github.com/ipcbuf/ipcbuf/internal/shatomic"

// Under the race detector, the ring's plain stores of record headers are
// atomic: Stat reads headers without a lock while they may be rewritten,
// which is harmless (it reports what it saw) but which the detector, not
// knowing that the bytes are another process's too, would call a race.
// Elsewhere they stay plain (ring_norace.go): the store of tail or head
// that follows them publishes them, and an atomic store costs a locked
// instruction on x86.

func ringPut64(p *uint64, v uint64) { shatomic.StoreUint64(p, v) }
func ringPut32(p *uint32, v uint32) { shatomic.StoreUint32(p, v) }
