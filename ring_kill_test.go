//go:build !windows

// The Ring waits on words of shared memory, which Windows cannot do
// between processes: there CreateRing and OpenRing fail with
// errors.ErrUnsupported (TestWindowsFutexUnsupported).

package ipcbuf_test

// The ring when its processes die: a producer or a consumer process is
// killed with SIGKILL at a random point, or while it holds a Reservation
// or a Message, round after round, and each time the ring must go on
// (a new producer and consumer move a message within 5 s), nothing may be
// corrupted or delivered twice, and a message may be missing only where
// RING.md, "What a crash leaves", allows it: the one a dead producer was
// writing (counted in Skipped), and the one a dead consumer held (counted
// in Lost). Scenarios "ring producer killed mid-message" and "ring
// consumer killed holding a message" in TESTING.md.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	qt "github.com/frankban/quicktest"

	"github.com/ipcbuf/ipcbuf"
)

// ringKillCap is the kill tests' ring capacity: small, so that it is full
// and wraps often.
const ringKillCap = 4096

// ringFlowBound is how long a fresh producer and consumer may take to move
// a message after a kill: generous, for a loaded machine.
const ringFlowBound = 5 * time.Second

// ringSkipBound is how soon after a producer's death its record in the
// writing state must be skipped while a consumer waits at it (RING.md:
// within about 50 ms of waiting).
const ringSkipBound = time.Second

// A ringSink is the parent's consumer: a goroutine that receives until
// stopped, checks every message, keeps each producer's numbers in the
// order they came, and passes marks on.
type ringSink struct {
	r       *ipcbuf.Ring
	max     int
	slow    atomic.Bool // sleep 200 µs after each message
	ctx     context.Context
	stop    context.CancelFunc
	done    chan struct{}
	markers chan uint32

	mu      sync.Mutex
	seqs    map[uint32][]uint32
	empties int
	err     error
}

func startRingSink(t *testing.T, r *ipcbuf.Ring) *ringSink {
	s := &ringSink{r: r, max: r.MaxMessage(), done: make(chan struct{}), markers: make(chan uint32, 16), seqs: map[uint32][]uint32{}}
	s.ctx, s.stop = context.WithCancel(context.Background())
	go s.run()
	t.Cleanup(func() { s.halt(t) })
	return s
}

func (s *ringSink) run() {
	defer close(s.done)
	buf := make([]byte, s.max)
	for {
		// One wait for each message, ended only by a message or by
		// halt: a wait that gave up and looked again would hide a
		// consumer that sleeps through a wake-up.
		n, err := s.r.RecvContext(s.ctx, buf)
		if s.ctx.Err() != nil {
			return
		}
		if err == nil {
			err = s.take(buf[:n])
		}
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return
		}
		if s.slow.Load() {
			time.Sleep(200 * time.Microsecond)
		}
	}
}

func (s *ringSink) take(m []byte) error {
	switch {
	case len(m) == 0:
		s.mu.Lock()
		s.empties++
		s.mu.Unlock()
		return nil
	case bytes.HasPrefix(m, ringMark) && len(m) == len(ringMark)+4:
		s.markers <- binary.LittleEndian.Uint32(m[4:])
		return nil
	}
	p, seq, err := ringCheck(m, s.max)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.seqs[p] = append(s.seqs[p], seq)
	s.mu.Unlock()
	return nil
}

// halt stops the sink and fails the test if it met a bad message.
func (s *ringSink) halt(t *testing.T) {
	t.Helper()
	s.stop()
	<-s.done
	if err := s.failed(); err != nil {
		t.Fatalf("the parent's consumer: %v", err)
	}
}

func (s *ringSink) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// got returns what the sink received so far.
func (s *ringSink) got() ringGot {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := ringGot{who: "the parent's consumer", seqs: map[uint32][]uint32{}, empties: s.empties}
	for p, seqs := range s.seqs {
		g.seqs[p] = append([]uint32(nil), seqs...)
	}
	return g
}

// flows checks that the ring moves messages after a kill: a fresh Ring
// sends a mark for round, within ringFlowBound, and the sink receives it
// within ringFlowBound.
func (s *ringSink) flows(t *testing.T, b *ipcbuf.Buffer, round int) {
	t.Helper()
	r, err := ipcbuf.OpenRing(b)
	qt.Assert(t, err, qt.IsNil)
	defer r.Close()
	mark := binary.LittleEndian.AppendUint32(bytes.Clone(ringMark), uint32(round))
	err = r.SendTimeout(mark, ringFlowBound)
	qt.Assert(t, err, qt.IsNil, qt.Commentf("round %d: a fresh producer could not send within %v: %+v", round, ringFlowBound, ringStat(t, r)))
	select {
	case got := <-s.markers:
		qt.Assert(t, got, qt.Equals, uint32(round))
	case <-time.After(ringFlowBound):
		t.Fatalf("round %d: the mark was sent and not received within %v (the parent's consumer: %v): %+v", round, ringFlowBound, s.failed(), ringStat(t, r))
	}
}

// A ringPool starts the round's children ahead, each waiting for "go", so
// that a round does not wait for a process to start.
type ringPool struct {
	t            *testing.T
	role, target string
	cfgs         []ringCfg
	ready        []*ringChild
}

func (p *ringPool) next() *ringChild {
	p.t.Helper()
	for len(p.ready) < 2 && len(p.cfgs) > 0 {
		p.ready = append(p.ready, startRingChild(p.t, p.role, p.target, p.cfgs[0]))
		p.cfgs = p.cfgs[1:]
	}
	c := p.ready[0]
	p.ready = p.ready[1:]
	c.expect(p.t, "open", time.Minute)
	c.proceed(p.t)
	return c
}

// waitStat polls the ring's Stat until ok says yes, for at most d, and
// returns the last Stat and how long it took.
func waitStat(t *testing.T, r *ipcbuf.Ring, d time.Duration, ok func(ipcbuf.RingStat) bool) (ipcbuf.RingStat, time.Duration, bool) {
	t.Helper()
	start := time.Now()
	for {
		st := ringStat(t, r)
		if ok(st) {
			return st, time.Since(start), true
		}
		if time.Since(start) > d {
			return st, time.Since(start), false
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSoakRingKillProducer kills a producer process at a random point
// while it sends in a loop (at times blocked on a full ring, at times
// between reserving and committing), or while it holds a Reservation half
// filled. The parent consumes throughout. After each kill: a record the
// producer was writing is skipped within ringSkipBound (a consumer waits
// at it), a fresh producer and consumer move a message within
// ringFlowBound, and the dead producer's messages that arrived are exactly
// its first k, each once and intact, where k is the number it began to
// send or one less; one less exactly when a record of it was skipped
// (Skipped grows by that one, Lost not at all).
func TestSoakRingKillProducer(t *testing.T) {
	rounds := mxSoakRounds(50)
	mutexWatchdog(t, time.Duration(rounds)*2*ringFlowBound+time.Minute)
	rng := relRand(t)
	target, b := ringBuffer(t, ringKillCap)
	r, err := ipcbuf.CreateRing(b)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { r.Close() })
	sink := startRingSink(t, ringOpen(t, b))

	type plan struct {
		hold bool
		slow bool
		wait time.Duration
	}
	plans := make([]plan, rounds)
	cfgs := make([]ringCfg, rounds)
	for i := range plans {
		plans[i] = plan{hold: rng.IntN(3) == 0, slow: rng.IntN(2) == 0, wait: time.Duration(rng.IntN(15000)) * time.Microsecond}
		cfgs[i] = ringCfg{id: i + 1, hold: -1, report: true, noAbort: true, await: true, slowFill: rng.IntN(2) == 0}
		if plans[i].hold {
			cfgs[i].hold = rng.IntN(40)
		}
	}
	pool := &ringPool{t: t, role: "ring-producer", target: target, cfgs: cfgs}
	start := time.Now()
	var midWrite, held, longestSkip int64
	var longest time.Duration
	for round, pl := range plans {
		id := uint32(round + 1)
		sink.slow.Store(pl.slow && !pl.hold)
		before := ringStat(t, r)
		c := pool.next()
		heldSeq := -1
		if pl.hold {
			line := c.expect(t, "H ", time.Minute)
			heldSeq, err = strconv.Atoi(strings.TrimPrefix(line, "H "))
			qt.Assert(t, err, qt.IsNil)
			st, _, ok := waitStat(t, r, ringFlowBound, func(st ipcbuf.RingStat) bool { return st.Writing == 1 && st.Messages == 0 })
			qt.Assert(t, ok, qt.IsTrue, qt.Commentf("round %d: holding a reservation, and the consumer did not reach it: %+v", round, st))
			qt.Assert(t, st.DeadWriting, qt.Equals, 0)
		} else {
			time.Sleep(pl.wait)
		}
		lines := c.kill(t)
		// A record it was writing is skipped within ringSkipBound.
		st, took, ok := waitStat(t, r, ringSkipBound, func(st ipcbuf.RingStat) bool { return st.Writing == 0 })
		qt.Assert(t, ok, qt.IsTrue, qt.Commentf("round %d: the dead producer's record not skipped %v after its death (%d consumers asleep): %+v", round, took, st.ConsumersWaiting, st))
		longest = max(longest, took)
		sink.flows(t, b, round)
		after := ringStat(t, r)
		skipped := after.Skipped - before.Skipped
		qt.Assert(t, after.Lost, qt.Equals, before.Lost)
		qt.Assert(t, after.Writing, qt.Equals, 0)
		qt.Assert(t, after.DeadWriting, qt.Equals, 0)
		qt.Assert(t, skipped <= 1, qt.IsTrue, qt.Commentf("round %d: %d records skipped for one dead producer", round, skipped))

		// What it began to send, and what arrived.
		began := 0
		for _, line := range lines {
			if strings.HasPrefix(line, "a ") {
				n, err := strconv.Atoi(line[2:])
				qt.Assert(t, err, qt.IsNil)
				qt.Assert(t, n, qt.Equals, began, qt.Commentf("round %d: the producer's numbers", round))
				began++
			}
		}
		got := sink.got().seqs[id]
		for i, seq := range got {
			if seq != uint32(i) {
				t.Fatalf("round %d: the dead producer's messages arrived as %v…: message %d where %d was due", round, got[:min(len(got), 20)], seq, i)
			}
		}
		k := len(got)
		switch {
		case began == 0:
			qt.Assert(t, k, qt.Equals, 0)
			qt.Assert(t, skipped, qt.Equals, uint64(0))
		case skipped == 1:
			qt.Assert(t, k, qt.Equals, began-1, qt.Commentf("round %d: a record skipped, so the last message begun (%d) is the one lost", round, began-1))
			midWrite++
		default:
			if k != began && k != began-1 {
				t.Fatalf("round %d: began %d messages, %d arrived", round, began, k)
			}
		}
		if pl.hold {
			qt.Assert(t, skipped, qt.Equals, uint64(1), qt.Commentf("round %d: killed holding a reservation", round))
			qt.Assert(t, k, qt.Equals, heldSeq)
			held++
			longestSkip = max(longestSkip, int64(took))
		}
	}
	sink.halt(t)
	st := ringStat(t, r)
	qt.Assert(t, st.Messages, qt.Equals, 0)
	qt.Assert(t, st.Head, qt.Equals, st.Tail)
	t.Logf("%d producers killed (%d holding a reservation, %d in all while writing a record: skipped); the dead record skipped at most %v after the death (holding: %v); %v in all; ring: %+v",
		rounds, held, midWrite, longest.Round(time.Millisecond), time.Duration(longestSkip).Round(time.Millisecond), time.Since(start).Round(time.Millisecond), st)
}

// reclaimDeadClaims needs the room of the messages that killed consumers
// held, as RING.md says it is freed (and the message counted in Lost) only
// then: when a consumer killed at a random point died holding one, nothing
// else may have needed its room since. It fills the ring from r until a
// send finds no room for 200 ms, then empties it; both blocking calls take
// a dead holder's lock over. Without it, such a death in the last round
// leaves Used above 0 at the end (seen once in 1,000 rounds).
func reclaimDeadClaims(t *testing.T, r *ipcbuf.Ring) {
	t.Helper()
	msg := make([]byte, 64)
	for i := 0; ; i++ {
		err := r.SendTimeout(msg, 200*time.Millisecond)
		if errors.Is(err, ipcbuf.ErrTimeout) {
			break
		}
		qt.Assert(t, err, qt.IsNil)
		qt.Assert(t, i < 1<<20, qt.IsTrue, qt.Commentf("the ring never filled"))
	}
	buf := make([]byte, r.MaxMessage())
	for {
		_, err := r.RecvTimeout(buf, 200*time.Millisecond)
		if errors.Is(err, ipcbuf.ErrTimeout) {
			return
		}
		qt.Assert(t, err, qt.IsNil)
	}
}

// TestSoakRingKillConsumer kills a consumer process at a random point
// while it receives in a loop (Peek, say the message, Release), or while
// it holds a Message from Peek. Two producers in the parent send
// throughout, at times faster than the consumers (the ring fills), at
// times slower (it empties), and the parent consumes alongside the
// victim. After each kill a fresh producer and consumer move a message
// within ringFlowBound; a held Message is counted in Lost within
// ringSkipBound (the producers soon need its room: the ring counts it
// then, RING.md, "What a crash leaves"), and Lost never exceeds the
// consumers killed. At the end every message sent was received exactly
// once, intact and in order for each consumer, except for messages that a
// dead consumer held: as many as Lost at most, and nothing was skipped.
func TestSoakRingKillConsumer(t *testing.T) {
	rounds := mxSoakRounds(50)
	mutexWatchdog(t, time.Duration(rounds)*2*ringFlowBound+time.Minute)
	rng := relRand(t)
	target, b := ringBuffer(t, ringKillCap)
	r, err := ipcbuf.CreateRing(b)
	qt.Assert(t, err, qt.IsNil)
	t.Cleanup(func() { r.Close() })
	sink := startRingSink(t, ringOpen(t, b))

	// The producers: ids 1 and 2, each on its own Ring.
	var slowProducers, stopProducers atomic.Bool
	type producer struct {
		sent, empties int
		err           error
		done          chan struct{}
	}
	producers := make([]*producer, 2)
	for i := range producers {
		p := &producer{done: make(chan struct{})}
		producers[i] = p
		pr := ringOpen(t, b)
		go func() {
			defer close(p.done)
			buf := make([]byte, pr.MaxMessage())
			for seq := 0; !stopProducers.Load(); seq++ {
				if p.err = pr.SendTimeout(ringMsg(buf, uint32(i+1), uint32(seq), pr.MaxMessage()), ringFlowBound); p.err != nil {
					return
				}
				p.sent++
				if seq%50 == 49 {
					if p.err = pr.SendTimeout(nil, ringFlowBound); p.err != nil {
						return
					}
					p.empties++
				}
				if slowProducers.Load() {
					time.Sleep(300 * time.Microsecond)
				}
			}
		}()
	}
	t.Cleanup(func() {
		stopProducers.Store(true)
		for _, p := range producers {
			<-p.done
		}
	})

	type plan struct {
		hold bool
		slow bool
		wait time.Duration
	}
	plans := make([]plan, rounds)
	cfgs := make([]ringCfg, rounds)
	for i := range plans {
		plans[i] = plan{hold: rng.IntN(3) == 0, slow: rng.IntN(2) == 0, wait: time.Duration(rng.IntN(15000)) * time.Microsecond}
		cfgs[i] = ringCfg{id: 1000 + i, hold: -1, report: true, await: true}
		if plans[i].hold {
			cfgs[i].hold = rng.IntN(40)
		}
	}
	pool := &ringPool{t: t, role: "ring-consumer", target: target, cfgs: cfgs}
	start := time.Now()
	var victims []ringGot
	var holds int
	lost0 := ringStat(t, r).Lost
	for round, pl := range plans {
		slowProducers.Store(pl.slow)
		before := ringStat(t, r)
		c := pool.next()
		var heldLine string
		if pl.hold {
			heldLine = c.expect(t, "H ", time.Minute)
		} else {
			time.Sleep(pl.wait)
		}
		lines := c.kill(t)
		victims = append(victims, parseRingGot(t, fmt.Sprintf("consumer %d (round %d)", c.cmd.Process.Pid, round), lines))
		for _, p := range producers {
			select {
			case <-p.done:
				t.Fatalf("round %d: a producer stopped: %v: %+v", round, p.err, ringStat(t, r))
			default:
			}
		}
		sink.flows(t, b, round)
		// The message a held Message was is lost, and counted once its
		// room is needed: the producers, sending on, soon need it. A
		// message lost in an earlier round may be counted only now, but
		// never more than one for each consumer killed.
		want := func(st ipcbuf.RingStat) bool { return !pl.hold || st.Lost >= before.Lost+1 }
		after, _, ok := waitStat(t, r, ringSkipBound, want)
		qt.Assert(t, ok, qt.IsTrue, qt.Commentf("round %d: killed holding %q, and Lost did not count it within %v: %+v", round, heldLine, ringSkipBound, after))
		qt.Assert(t, after.Lost-lost0 <= uint64(round+1), qt.IsTrue, qt.Commentf("round %d: %d messages lost with %d consumers", round, after.Lost-lost0, round+1))
		qt.Assert(t, after.Skipped, qt.Equals, before.Skipped)
		if pl.hold {
			holds++
		}
	}
	stopProducers.Store(true)
	sent := map[uint32]int{}
	emptiesSent := 0
	for i, p := range producers {
		<-p.done
		qt.Assert(t, p.err, qt.IsNil)
		sent[uint32(i+1)] = p.sent
		emptiesSent += p.empties
	}
	sink.flows(t, b, rounds) // after every message sent
	sink.halt(t)
	reclaimDeadClaims(t, r)
	st := ringStat(t, r)
	qt.Assert(t, st.Messages, qt.Equals, 0)
	qt.Assert(t, st.Head, qt.Equals, st.Tail)
	qt.Assert(t, st.Used, qt.Equals, int64(0), qt.Commentf("%+v", st))
	lostTotal := st.Lost - lost0
	qt.Assert(t, lostTotal >= uint64(holds) && lostTotal <= uint64(rounds), qt.IsTrue, qt.Commentf("%d lost, %d consumers killed, %d holding a Message", lostTotal, rounds, holds))

	got := append([]ringGot{sink.got()}, victims...)
	missing := ringDelivery(t, sent, got)
	emptiesGot := 0
	for _, g := range got {
		emptiesGot += g.empties
	}
	nMissing := emptiesSent - emptiesGot
	qt.Assert(t, nMissing >= 0, qt.IsTrue, qt.Commentf("%d empty messages sent, %d received", emptiesSent, emptiesGot))
	for _, seqs := range missing {
		nMissing += len(seqs)
	}
	// Each missing message is one a dead consumer held (claimed, not yet
	// said): Lost counted it. A lost message the victim had already said
	// counts in Lost and not here.
	qt.Assert(t, uint64(nMissing) <= lostTotal, qt.IsTrue, qt.Commentf("%d messages missing (%v, %d empty), %d lost", nMissing, missing, emptiesSent-emptiesGot, lostTotal))
	total := 0
	for _, n := range sent {
		total += n
	}
	t.Logf("%d consumers killed (%d holding a Message); %d messages sent (%d empty), %d lost with dead consumers (%d of them never said), none twice; %v in all",
		rounds, holds, total+emptiesSent, emptiesSent, lostTotal, nMissing, time.Since(start).Round(time.Millisecond))
}

// ringSleeperChild is a consumer killed just after a wake-up: it does what
// a consumer does before it sleeps (RING.md, "Waiting": add 1 to consumers
// waiting, read the data sequence, sleep on it), says "asleep", and once
// woken says "woken" and waits for its SIGKILL without looking at the
// ring, as a consumer killed between its wake-up and its next look.
func ringSleeperChild(target string) int {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if err != nil {
		return ringChildFail("%v", err)
	}
	defer b.Close()
	if _, err := b.AddUint32(ringDataWait, 1); err != nil {
		return ringChildFail("%v", err)
	}
	s, err := b.LoadUint32(ringDataSeq)
	if err != nil {
		return ringChildFail("%v", err)
	}
	fmt.Println("asleep")
	if err := b.WaitTimeout(ringDataSeq, s, ringPatience); err != nil {
		return ringChildFail("wait: %v", err)
	}
	fmt.Println("woken")
	return ringBlockUntilKilled()
}

func init() { childRoles["ring-sleeper"] = ringSleeperChild }

// ringDataWait is the header's "consumers waiting" (RING.md).
const ringDataWait = 516

// TestRingConsumerKilledAfterWake: consumers sleep on the empty ring;
// one message comes that fills it, and its wake-up goes to a consumer that
// is killed before it looks. Another consumer process, asleep too, must
// still get the message (and the producer room again) within
// ringFlowBound: a wake-up must not die with the process it woke while a
// message waits and the full ring leaves no producer a way to send
// another. The futex wakes its waiters in the order they slept, so four
// victims sleep before the consumer; a victim that a signal made sleep
// again goes to the back, so the wake-up may still reach the consumer:
// then the attempt showed nothing and runs again, up to five times. (The
// consumer is a process of its own: the parent gets SIGCHLD when the
// victims die, which can interrupt a sleep of its own and hide the loss.)
func TestRingConsumerKilledAfterWake(t *testing.T) {
	for attempt := range 5 {
		if ringKilledAfterWake(t) {
			return
		}
		t.Logf("attempt %d: the wake-up went to the consumer, not to a victim: again", attempt)
	}
	t.Skip("in five attempts the wake-up never went to a victim")
}

// ringKilledAfterWake runs one attempt, and reports whether the wake-up
// went to a victim.
func ringKilledAfterWake(t *testing.T) bool {
	target, b := ringBuffer(t, ringKillCap)
	r, err := ipcbuf.CreateRing(b)
	qt.Assert(t, err, qt.IsNil)
	defer r.Close()
	var victims []*ringChild
	for range 4 {
		v := startRingChild(t, "ring-sleeper", target, ringCfg{hold: -1})
		v.expect(t, "asleep", time.Minute)
		victims = append(victims, v)
	}
	defer func() {
		for _, v := range victims {
			v.kill(t)
		}
	}()
	time.Sleep(200 * time.Millisecond) // they sleep before the consumer
	consumer := startRingChild(t, "ring-consumer", target, ringCfg{hold: -1, report: true})
	st, _, ok := waitStat(t, r, ringFlowBound, func(st ipcbuf.RingStat) bool { return st.ConsumersWaiting == len(victims)+1 })
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("the consumer did not sleep: %+v", st))
	got := func(seq int) bool { return slices.Contains(consumer.said(), fmt.Sprintf("m 1 %d", seq)) }

	buf := make([]byte, r.MaxMessage())
	m := ringMsg(buf, 1, 1, r.MaxMessage()) // message 1 is the longest: it fills the ring
	qt.Assert(t, len(m), qt.Equals, r.MaxMessage())
	qt.Assert(t, r.SendTimeout(m, ringFlowBound), qt.IsNil)
	deadline := time.Now().Add(ringFlowBound)
	for woken := false; !woken; {
		if got(1) {
			qt.Assert(t, r.SendTimeout(ringStop, ringFlowBound), qt.IsNil)
			consumer.finish(t, time.Minute)
			return false
		}
		if time.Now().After(deadline) {
			t.Fatalf("nobody woke for the message: %+v", ringStat(t, r))
		}
		time.Sleep(time.Millisecond)
		for _, v := range victims {
			select {
			case line := <-v.events:
				qt.Assert(t, line, qt.Equals, "woken")
				woken = true
			default:
			}
		}
	}
	for _, v := range victims {
		v.kill(t)
	}
	victims = nil
	err = r.SendTimeout(ringMsg(buf, 1, 2, r.MaxMessage()), ringFlowBound)
	qt.Assert(t, err, qt.IsNil, qt.Commentf("a victim took the wake-up with it, and the ring stayed full: %+v", ringStat(t, r)))
	_, _, ok = waitStat(t, r, ringFlowBound, func(ipcbuf.RingStat) bool { return got(1) && got(2) })
	qt.Assert(t, ok, qt.IsTrue, qt.Commentf("the consumer said %q", consumer.said()))
	qt.Assert(t, r.SendTimeout(ringStop, ringFlowBound), qt.IsNil)
	consumer.finish(t, time.Minute)
	return true
}
