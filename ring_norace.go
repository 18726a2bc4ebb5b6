//go:build !race

package ipcbuf

// See ring_race.go.

func ringPut64(p *uint64, v uint64) { *p = v }
func ringPut32(p *uint32, v uint32) { *p = v }
