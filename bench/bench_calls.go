package main

// Group 10: the cost of one method call. A program that reads a header
// field by field, or writes a small record, pays a Buffer method's fixed
// cost on every call, so that cost is measured here on its own: the same
// calls in a loop through ipcbuf (a memory buffer and a POSIX one), through
// Node 20's Buffer (node_bench.js times its own loop), and, where Go has
// one, through the standard library on a plain []byte, which is the floor.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

func init() {
	register(group{
		id:    "10",
		title: "One call: single-number and small methods against Node 20 and a []byte",
		run:   runCalls,
	})
}

// Contenders of group 10; ipcbuf's figures appear once per baseline, as in
// group 6, because the table shows one ratio per row.
const (
	cCallStd      = "Go []byte"
	cCallNode     = "Node 20"
	cCallMemNode  = "memory (vs Node)"
	cCallPosNode  = "posix (vs Node)"
	cCallMemStd   = "memory (vs []byte)"
	cCallPosStd   = "posix (vs []byte)"
	unitNsPerCall = "ns/call"
	callBufSize   = 4096 // the number cases touch offsets 0, 8, … 4088
	callSmall     = 16   // bytes of the toString and write cases
	callHay       = 64   // bytes searched by the indexOf case
)

// The targets of the issue, as times: ipcbuf's call at most this many times
// Node's, or the []byte loop's.
const (
	callVsNodeMem  = 0.4
	callVsNodeShm  = 0.6
	callVsStdMem   = 6
	callVsStdShm   = 10
	smallVsNodeAll = 0.5
)

// A callCase is one method, called in a loop by each contender. Every loop
// takes the call's offset from its counter i, as (i & 511) << 3, so that no
// compiler can hoist the call out of the loop.
type callCase struct {
	name   string // Node's call, as the table shows it
	kind   string // node_bench.js's kind
	number bool   // a single-number case: compared with the []byte loop too
	// ipc runs iters calls on b and returns an error if one failed.
	ipc func(b *ipcbuf.Buffer, iters int) error
	// std is the same loop on a []byte; nil where the table has none.
	std func(p []byte, iters int)
}

// callSink and callString keep loop results reachable, so that no call is
// optimised away.
var (
	callSink   uint64
	callString string
)

func callCases() []callCase {
	text := []byte("Buffer stream 42") // 16 bytes of ASCII
	return []callCase{
		{name: "readUInt32LE", kind: "readUInt32LE", number: true,
			ipc: func(b *ipcbuf.Buffer, iters int) error {
				var s uint32
				for i := range iters {
					v, err := b.ReadUint32LE((i & 511) << 3)
					if err != nil {
						return err
					}
					s += v
				}
				callSink += uint64(s)
				return nil
			},
			std: func(p []byte, iters int) {
				var s uint32
				for i := range iters {
					s += binary.LittleEndian.Uint32(p[(i&511)<<3:])
				}
				callSink += uint64(s)
			}},
		{name: "writeUInt32BE", kind: "writeUInt32BE", number: true,
			ipc: func(b *ipcbuf.Buffer, iters int) error {
				for i := range iters {
					if _, err := b.WriteUint32BE(int64(uint32(i)), (i&511)<<3); err != nil {
						return err
					}
				}
				return nil
			},
			std: func(p []byte, iters int) {
				for i := range iters {
					binary.BigEndian.PutUint32(p[(i&511)<<3:], uint32(i))
				}
			}},
		{name: "readBigUInt64LE", kind: "readBigUInt64LE", number: true,
			ipc: func(b *ipcbuf.Buffer, iters int) error {
				var s uint64
				for i := range iters {
					v, err := b.ReadBigUint64LE((i & 511) << 3)
					if err != nil {
						return err
					}
					s += v
				}
				callSink += s
				return nil
			},
			std: func(p []byte, iters int) {
				var s uint64
				for i := range iters {
					s += binary.LittleEndian.Uint64(p[(i&511)<<3:])
				}
				callSink += s
			}},
		{name: "toString of 16 bytes", kind: "toString16",
			ipc: func(b *ipcbuf.Buffer, iters int) error {
				copy(b.Bytes(), text)
				for range iters {
					s, err := b.ToString(ipcbuf.UTF8, 0, callSmall)
					if err != nil {
						return err
					}
					callString = s
				}
				return nil
			},
			std: func(p []byte, iters int) {
				copy(p, text)
				for range iters {
					callString = string(p[:callSmall])
				}
			}},
		{name: "write of 16 bytes", kind: "write16",
			ipc: func(b *ipcbuf.Buffer, iters int) error {
				s := string(text)
				for i := range iters {
					if _, err := b.Write(s, (i&255)<<3, ipcbuf.UTF8); err != nil {
						return err
					}
				}
				return nil
			},
			std: func(p []byte, iters int) {
				s := string(text)
				for i := range iters {
					copy(p[(i&255)<<3:], s)
				}
			}},
		{name: "indexOf a byte in 64", kind: "indexOfByte",
			ipc: func(b *ipcbuf.Buffer, iters int) error {
				fillHay(b.Bytes())
				n := 0
				for range iters {
					at, err := b.IndexOf('!', 0, "")
					if err != nil {
						return err
					}
					n += at
				}
				callSink += uint64(n)
				return nil
			},
			std: func(p []byte, iters int) {
				fillHay(p)
				n := 0
				for range iters {
					n += bytes.IndexByte(p[:callHay], '!')
				}
				callSink += uint64(n)
			}},
	}
}

// fillHay lays out the indexOf case's 64 bytes: letters, and the byte
// searched for at offset 48, as node_bench.js does.
func fillHay(p []byte) {
	for i := range callHay {
		p[i] = 'a' + byte(i%26)
	}
	p[48] = '!'
}

// runCalls is group 10.
func runCalls(cfg *config) []result {
	fail := func(err error) []result {
		return []result{{caseName: "every case", contender: "FAILED", value: math.NaN(), unit: unitNsPerCall, note: err.Error()}}
	}
	mem, err := ipcbuf.Alloc(callBufSize)
	if err != nil {
		return fail(err)
	}
	shm, err := ipcbuf.CreateShmTemp(fmt.Sprintf("ipcbuf-bench-calls-%d-*", os.Getpid()), callBufSize)
	if err != nil {
		return fail(err)
	}
	defer bufDispose(shm)
	plain := make([]byte, callBufSize)
	node, rs := startNodeFor(cCallNode, unitNsPerCall, nil)
	if node != nil {
		defer node.close()
	}
	sample := sampleTime(cfg)
	for _, c := range callCases() {
		rs = append(rs, measureCall(cfg, c, mem, shm, plain, node, sample)...)
	}
	if node != nil {
		for i := range rs {
			if rs[i].contender == cCallNode && rs[i].note == "" {
				rs[i].note = "node " + node.version + " running node_bench.js, which times its own loop with process.hrtime.bigint()"
				break
			}
		}
	}
	return rs
}

// measureCall measures one case for every contender, side by side.
func measureCall(cfg *config, c callCase, mem, shm *ipcbuf.Buffer, plain []byte, node *nodeBench, sample time.Duration) []result {
	fail := func(err error) []result {
		return []result{{caseName: c.name, contender: "FAILED", value: math.NaN(), unit: unitNsPerCall, note: err.Error()}}
	}
	onBuf := func(b *ipcbuf.Buffer) runner {
		return func(iters int) (float64, error) {
			var err error
			secs := timeIt(func() { err = c.ipc(b, iters) })
			return secs, err
		}
	}
	runners := []runner{
		onBuf(mem), onBuf(shm),
		func(iters int) (float64, error) { return timeIt(func() { c.std(plain, iters) }), nil },
	}
	if node != nil {
		runners = append(runners, node.runner(encCase{kind: c.kind}))
	}
	fns := make([]func() float64, len(runners))
	for i, r := range runners {
		iters, err := calibrate(r, sample)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", c.name, err))
		}
		fns[i] = nsPerCall(r, iters)
	}
	med := alternate(cfg.rounds, fns...)
	row := func(contender string, v float64, base string, targetTime float64) result {
		r := result{caseName: c.name, contender: contender, value: v, unit: unitNsPerCall, baseline: base}
		if targetTime > 0 {
			r.target = 1 / targetTime
		}
		return r
	}
	rs := []result{row(cCallStd, med[2], "", 0)}
	if node != nil {
		rs = append(rs, row(cCallNode, med[3], "", 0))
		vsMem, vsShm := callVsNodeMem, callVsNodeShm
		if !c.number {
			vsMem, vsShm = smallVsNodeAll, smallVsNodeAll
		}
		rs = append(rs, row(cCallMemNode, med[0], cCallNode, vsMem), row(cCallPosNode, med[1], cCallNode, vsShm))
	}
	stdMem, stdShm := 0.0, 0.0
	if c.number {
		stdMem, stdShm = callVsStdMem, callVsStdShm
	}
	rs = append(rs, row(cCallMemStd, med[0], cCallStd, stdMem), row(cCallPosStd, med[1], cCallStd, stdShm))
	if c.name == "readUInt32LE" {
		rs[0].note = "binary.LittleEndian/BigEndian on a []byte, with Go's bounds check; for the small cases string(p[:16]), copy and bytes.IndexByte, which neither validate nor convert as Node and ipcbuf do"
	}
	return rs
}

// nsPerCall returns a function that runs r for iters calls and returns
// nanoseconds a call; a failure, which calibrate has ruled out, gives NaN.
func nsPerCall(r runner, iters int) func() float64 {
	return func() float64 {
		secs, err := r(iters)
		if err != nil {
			return math.NaN()
		}
		return secs * 1e9 / float64(iters)
	}
}
