package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ipcbuf/ipcbuf"
)

// The capacities ring create accepts, as RING.md gives them: a power of two
// from 64 to 2^40 bytes.
const (
	ringMinCap = 64
	ringMaxCap = 1 << 40
)

// ringSubcommand is one of ring's subcommands.
type ringSubcommand struct {
	synopsis string
	run      func(args []string, stdout, stderr io.Writer) int
}

// ringSubcommands maps ring's subcommands to them. It is filled in by init
// because the subcommands' usage errors read it.
var ringSubcommands map[string]ringSubcommand

func init() {
	ringSubcommands = map[string]ringSubcommand{
		"create": {"ring create --size N [--single-producer] [--single-consumer] [--mode M] TARGET", runRingCreate},
		"send":   {"ring send [--timeout D] TARGET [MESSAGE...]", runRingSend},
		"recv":   {"ring recv [--count N] [--timeout D] TARGET", runRingRecv},
		"stat":   {"ring stat [--json] TARGET", runRingStat},
	}
}

const ringUsage = `usage: ipcbuf ring <subcommand> [flags] TARGET

A ring is a queue of messages in a shared buffer: each message
sent goes to exactly one receiver, in the order it was sent.

subcommands:
  create --size N [--single-producer] [--single-consumer] [--mode M] TARGET
           create TARGET holding a ring of N bytes (a power of two from 64
           to 2^40; TARGET takes N+1024), for any number of senders and
           receivers unless --single-producer or --single-consumer says one
           process at a time; permission bits M (octal, default 600).
           An error if TARGET exists: an existing object is never reformatted
  send [--timeout D] TARGET [MESSAGE...]
           send each MESSAGE; with none, each line of standard input
           (without its newline). Waits while the ring is full, at most D
           (such as 500ms or 2s) for each message if given: exit status 1
           when time runs out, saying how many were sent
  recv [--count N] [--timeout D] TARGET
           print each message received on a line of its own, as it
           arrives: N messages, or until interrupted (SIGINT or SIGTERM:
           exit status 0). Waits at most D for each message if given: exit
           status 1 when time runs out, saying how many were received
  stat [--json] TARGET
           print the ring's state: capacity, bytes used, messages waiting,
           processes waiting, roles, skipped and lost messages

TARGET is one of:
  '*name'          POSIX shared memory object (/dev/shm/name on Linux)
  4660 or 0x1234   System V shared memory key (not 0)
  path             a file mapped into memory (./123 for a file named 123)

Flags go before TARGET. A message holding a newline prints as two lines.
`

// runRing is "ipcbuf ring": it dispatches to a subcommand.
func runRing(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, ringUsage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, ringUsage)
		return 0
	}
	sub, ok := ringSubcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ipcbuf: unknown ring subcommand %q\n%s", args[0], ringUsage)
		return 2
	}
	return sub.run(args[1:], stdout, stderr)
}

// ringFlags returns the FlagSet of a ring subcommand.
func ringFlags(name string) *flag.FlagSet { return newFlagSet("ring " + name) }

// ringParse parses a ring subcommand's flags, checks that TARGET and, if
// more is true, any number of arguments after it are left, and checks
// the target; it returns -1 if the command should go on, else the exit
// status.
func ringParse(flags *flag.FlagSet, args []string, more bool, stdout, stderr io.Writer) int {
	err := flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printRingUsage(stdout, flags)
		return 0
	case err != nil:
		return ringUsageError(stderr, flags.Name(), err.Error())
	case flags.NArg() == 0 && more:
		return ringUsageError(stderr, flags.Name(), fmt.Sprintf("%s wants TARGET after its flags", flags.Name()))
	case flags.NArg() != 1 && !more:
		return ringUsageError(stderr, flags.Name(), fmt.Sprintf("%s wants TARGET after its flags; got %d argument(s)", flags.Name(), flags.NArg()))
	}
	target := flags.Arg(0)
	if _, _, _, err := ipcbuf.ParseTarget(target); err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err // the message names the target already
		}
		return ringUsageError(stderr, flags.Name(), fmt.Sprintf("bad TARGET %q: %s", target, message(err)))
	}
	return -1
}

func ringUsageError(stderr io.Writer, name, msg string) int {
	fmt.Fprintf(stderr, "ipcbuf: %s\nusage: ipcbuf %s\nRun 'ipcbuf ring help' for more.\n", msg, ringSubcommands[name[len("ring "):]].synopsis)
	return 2
}

func printRingUsage(w io.Writer, flags *flag.FlagSet) {
	fmt.Fprintf(w, "usage: ipcbuf %s\n", ringSubcommands[flags.Name()[len("ring "):]].synopsis)
	flags.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n      %s\n", f.Name, arg, usage)
	})
}

// flagGiven reports whether the flag name was set on the command line, for
// flags whose zero value means something other than "not given".
func flagGiven(flags *flag.FlagSet, name string) bool {
	given := false
	flags.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// ringTimeout reads a subcommand's --timeout: whether it was given, and a
// usage error's status if it is negative (else -1).
func ringTimeout(flags *flag.FlagSet, d time.Duration, stderr io.Writer) (bool, int) {
	if d < 0 {
		return false, ringUsageError(stderr, flags.Name(), fmt.Sprintf("--timeout %v is negative", d))
	}
	return flagGiven(flags, "timeout"), -1
}

func runRingCreate(args []string, stdout, stderr io.Writer) int {
	flags := ringFlags("create")
	size := flags.Int64("size", 0, "give the ring `N` bytes of messages: a power of two from 64 to 2^40 (TARGET takes N+1024 bytes)")
	sp := flags.Bool("single-producer", false, "one sending process at a time (it holds the role until it ends): faster sends")
	sc := flags.Bool("single-consumer", false, "one receiving process at a time: faster receives")
	mode := modeFlag{0o600}
	flags.Var(&mode, "mode", "give TARGET permission bits `M` (octal; exact, whatever the umask) (default 600)")
	if st := ringParse(flags, args, false, stdout, stderr); st >= 0 {
		return st
	}
	// Everything is checked before TARGET is created.
	switch n := *size; {
	case !flagGiven(flags, "size"):
		return ringUsageError(stderr, flags.Name(), "ring create wants --size N, the ring's capacity in bytes")
	case n < ringMinCap || n > ringMaxCap || n&(n-1) != 0:
		return ringUsageError(stderr, flags.Name(), fmt.Sprintf("--size %d is not a power of two from 64 to 2^40 (1099511627776)", n))
	case int64(int(n)) != n || ipcbuf.RingSize(int(n)) < int(n):
		return ringUsageError(stderr, flags.Name(), fmt.Sprintf("--size %d does not fit in this machine's address space", n))
	}
	var opts []ipcbuf.RingOption
	if *sp {
		opts = append(opts, ipcbuf.SingleProducer())
	}
	if *sc {
		opts = append(opts, ipcbuf.SingleConsumer())
	}
	target := flags.Arg(0)
	// Exclusive: creating formats every byte of the object, so an existing
	// one, a ring or someone's data, is refused rather than overwritten.
	b, err := ipcbuf.Open(target, ipcbuf.RingSize(int(*size)), ipcbuf.Exclusive(), ipcbuf.Mode(mode.mode))
	if errors.Is(err, fs.ErrExist) {
		return failure(stderr, fmt.Errorf("%s (ring create never formats an existing object: remove it with 'ipcbuf rm' first, if its data can go)", message(err)))
	}
	if err != nil {
		return failure(stderr, err)
	}
	r, err := ipcbuf.CreateRing(b, opts...)
	if err == nil && r.Cap() != int(*size) {
		// Not expected: RingSize(N) bytes hold a ring of capacity N.
		r.Close()
		err = fmt.Errorf("create %s: the ring made has capacity %d, not %d", target, r.Cap(), *size)
	}
	if err != nil {
		// A half-made ring must not stay behind to be taken for one.
		_ = b.Remove()
		_ = b.Close()
		return failure(stderr, err)
	}
	if err := r.Close(); err != nil {
		_ = b.Close()
		return failure(stderr, err)
	}
	if err := b.Close(); err != nil {
		return failure(stderr, err)
	}
	return 0
}

// openRing opens the ring in target for a subcommand. An object that is
// not a ring is refused, saying so.
func openRing(target string) (*ipcbuf.Buffer, *ipcbuf.Ring, error) {
	b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s (create it with 'ipcbuf ring create')", message(err))
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := ipcbuf.OpenRing(b)
	if err != nil {
		_ = b.Close()
		// OpenRing refuses what is not a ring as corrupt, or as invalid
		// if too small to be one; either way, the message says what it is.
		notRing := errors.Is(err, ipcbuf.ErrCorrupt) || errors.Is(err, fs.ErrInvalid)
		if notRing && !strings.Contains(err.Error(), "not a ring") {
			err = fmt.Errorf("%s is not a ring: %s", target, message(err))
		}
		return nil, nil, err
	}
	return b, r, nil
}

// closeRing closes what openRing opened, reporting the first error.
func closeRing(b *ipcbuf.Buffer, r *ipcbuf.Ring) error {
	err := r.Close()
	if e := b.Close(); err == nil {
		err = e
	}
	return err
}

// interruptible returns a context that SIGINT or SIGTERM ends, so that a
// send or recv waiting on the ring stops cleanly: a process killed while
// it waits would leave its count in the ring's waiting counters (harmless,
// but a system call per message for everyone else until the ring is
// remade), and one killed while it copies a message would cost a skipped
// or lost message.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// waitCtx returns the context of one wait on the ring: ctx, limited to d if
// timed. Its cancel must be called.
func waitCtx(ctx context.Context, timed bool, d time.Duration) (context.Context, context.CancelFunc) {
	if timed {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// isTimeout reports whether err is a wait that ran out of time.
func isTimeout(err error) bool {
	return errors.Is(err, ipcbuf.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
}

func runRingSend(args []string, stdout, stderr io.Writer) int {
	flags := ringFlags("send")
	timeout := flags.Duration("timeout", 0, "give up after waiting `D` (such as 500ms or 2s) for room for a message: exit status 1; 0 does not wait (default: wait as long as it takes)")
	if st := ringParse(flags, args, true, stdout, stderr); st >= 0 {
		return st
	}
	timed, st := ringTimeout(flags, *timeout, stderr)
	if st >= 0 {
		return st
	}
	target, msgs := flags.Arg(0), flags.Args()[1:]
	b, r, err := openRing(target)
	if err != nil {
		return failure(stderr, err)
	}
	defer closeRing(b, r)
	ctx, stop := interruptible()
	defer stop()

	sent := 0
	// what says how many were sent, for a failure's message.
	what := func() string {
		if len(msgs) > 0 {
			return fmt.Sprintf("sent %d of %d messages", sent, len(msgs))
		}
		return "sent " + nMessages(sent)
	}
	send := func(msg []byte) int {
		if len(msg) > r.MaxMessage() {
			return failure(stderr, fmt.Errorf("send %s: message %d is %d bytes; the ring's largest is %d: %s", target, sent+1, len(msg), r.MaxMessage(), what()))
		}
		var err error
		if timed && *timeout == 0 {
			err = r.TrySend(msg)
		} else {
			wctx, cancel := waitCtx(ctx, timed, *timeout)
			err = r.SendContext(wctx, msg)
			cancel()
		}
		switch {
		case err == nil:
			sent++
			return -1
		case ctx.Err() != nil:
			return failure(stderr, fmt.Errorf("send %s: interrupted: %s", target, what()))
		case isTimeout(err) || errors.Is(err, ipcbuf.ErrFull):
			return failure(stderr, fmt.Errorf("send %s: timed out after %v waiting for room: %s", target, *timeout, what()))
		case errors.Is(err, ipcbuf.ErrBusy):
			return failure(stderr, fmt.Errorf("%s: another process is the ring's single producer: %s", message(err), what()))
		}
		return failure(stderr, fmt.Errorf("%s: %s", message(err), what()))
	}

	if len(msgs) > 0 {
		// Every message is checked before the first is sent, so that a
		// message too long for the ring sends none of them.
		for i, m := range msgs {
			if len(m) > r.MaxMessage() {
				return failure(stderr, fmt.Errorf("send %s: message %d is %d bytes; the ring's largest is %d: none sent", target, i+1, len(m), r.MaxMessage()))
			}
		}
		for _, m := range msgs {
			if st := send([]byte(m)); st >= 0 {
				return st
			}
		}
		return 0
	}

	// Lines come from a goroutine, so that a signal ends a send waiting for
	// its next line as it ends one waiting for room.
	type line struct {
		text []byte
		err  error
	}
	lines := make(chan line)
	go func() {
		in := bufio.NewReader(os.Stdin)
		for {
			// A line with its newline, or the last one without; an empty
			// line is an empty message, the end of the input none.
			text, err := in.ReadBytes('\n')
			if len(text) > 0 {
				select {
				case lines <- line{text: bytes.TrimSuffix(text, []byte("\n"))}:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				select {
				case lines <- line{err: err}:
				case <-ctx.Done():
				}
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return failure(stderr, fmt.Errorf("send %s: interrupted: %s", target, what()))
		case l := <-lines:
			switch {
			case errors.Is(l.err, io.EOF):
				return 0
			case l.err != nil:
				return failure(stderr, fmt.Errorf("send %s: reading standard input: %v: %s", target, l.err, what()))
			}
			if st := send(l.text); st >= 0 {
				return st
			}
		}
	}
}

func runRingRecv(args []string, stdout, stderr io.Writer) int {
	flags := ringFlags("recv")
	count := flags.Int("count", 0, "stop after `N` messages (default: receive until interrupted)")
	timeout := flags.Duration("timeout", 0, "give up after waiting `D` (such as 500ms or 2s) for a message: exit status 1; 0 does not wait (default: wait as long as it takes)")
	if st := ringParse(flags, args, false, stdout, stderr); st >= 0 {
		return st
	}
	timed, st := ringTimeout(flags, *timeout, stderr)
	if st >= 0 {
		return st
	}
	counted := flagGiven(flags, "count")
	if counted && *count < 1 {
		return ringUsageError(stderr, flags.Name(), fmt.Sprintf("--count %d is not a positive number of messages", *count))
	}
	target := flags.Arg(0)
	b, r, err := openRing(target)
	if err != nil {
		return failure(stderr, err)
	}
	defer closeRing(b, r)
	ctx, stop := interruptible()
	defer stop()

	got := 0
	what := func() string {
		if counted {
			return fmt.Sprintf("received %d of %d messages", got, *count)
		}
		return "received " + nMessages(got)
	}
	// The buffer starts small and grows to the longest message seen: a
	// ring's largest message may be far larger than any it carries.
	p := make([]byte, min(r.MaxMessage(), 64<<10)+1)
	for !counted || got < *count {
		var n int
		var err error
		if timed && *timeout == 0 {
			n, err = r.TryRecv(p[:len(p)-1])
		} else {
			wctx, cancel := waitCtx(ctx, timed, *timeout)
			n, err = r.RecvContext(wctx, p[:len(p)-1])
			cancel()
		}
		switch {
		case errors.Is(err, io.ErrShortBuffer):
			// The message stays in the ring, for this call to take.
			p = make([]byte, n+1)
			continue
		case err == nil:
			got++
			// One write per message, newline included: os.Stdout has no
			// buffer of its own, so a reader on a pipe has each message
			// as soon as it is received.
			p[n] = '\n'
			if _, err := stdout.Write(p[:n+1]); err != nil {
				return failure(stderr, fmt.Errorf("recv %s: writing message %d: %v", target, got, err))
			}
			continue
		case ctx.Err() != nil:
			if counted {
				return failure(stderr, fmt.Errorf("recv %s: interrupted: %s", target, what()))
			}
			return 0 // what was received is printed: a clean end
		case isTimeout(err) || errors.Is(err, ipcbuf.ErrEmpty):
			return failure(stderr, fmt.Errorf("recv %s: timed out after %v waiting for a message: %s", target, *timeout, what()))
		case errors.Is(err, ipcbuf.ErrBusy):
			return failure(stderr, fmt.Errorf("%s: another process is the ring's single consumer: %s", message(err), what()))
		}
		return failure(stderr, fmt.Errorf("%s: %s", message(err), what()))
	}
	return 0
}

// nMessages is "1 message" or "n messages".
func nMessages(n int) string {
	if n == 1 {
		return "1 message"
	}
	return fmt.Sprintf("%d messages", n)
}

// ringStatJSON is what ring stat --json prints.
type ringStatJSON struct {
	Target           string `json:"target"`
	Capacity         int64  `json:"capacity"`
	MaxMessage       int    `json:"max_message"`
	Used             int64  `json:"used"`
	Messages         int    `json:"messages"`
	Writing          int    `json:"writing"`
	DeadWriting      int    `json:"dead_writing"`
	ProducersWaiting int    `json:"producers_waiting"`
	ConsumersWaiting int    `json:"consumers_waiting"`
	Producers        string `json:"producers"`
	Consumers        string `json:"consumers"`
	Skipped          uint64 `json:"skipped"`
	Lost             uint64 `json:"lost"`
	Head             uint64 `json:"head"`
	Tail             uint64 `json:"tail"`
	Free             uint64 `json:"free"`
}

// role names a ring's producer or consumer role for stat.
func role(single bool) string {
	if single {
		return "single"
	}
	return "multi"
}

func runRingStat(args []string, stdout, stderr io.Writer) int {
	flags := ringFlags("stat")
	asJSON := flags.Bool("json", false, "print one JSON object")
	if st := ringParse(flags, args, false, stdout, stderr); st >= 0 {
		return st
	}
	target := flags.Arg(0)
	b, r, err := openRing(target)
	if err != nil {
		return failure(stderr, err)
	}
	defer closeRing(b, r)
	s, err := r.Stat()
	if err != nil {
		return failure(stderr, err)
	}
	out := ringStatJSON{
		Target: target, Capacity: s.Capacity, MaxMessage: r.MaxMessage(), Used: s.Used,
		Messages: s.Messages, Writing: s.Writing, DeadWriting: s.DeadWriting,
		ProducersWaiting: s.ProducersWaiting, ConsumersWaiting: s.ConsumersWaiting,
		Producers: role(s.SingleProducer), Consumers: role(s.SingleConsumer),
		Skipped: s.Skipped, Lost: s.Lost, Head: s.Head, Tail: s.Tail, Free: s.Free,
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(out); err != nil {
			return failure(stderr, err)
		}
		return 0
	}
	dead := ""
	if s.DeadWriting > 0 {
		dead = fmt.Sprintf(", %d left by a dead producer (receivers skip them)", s.DeadWriting)
	}
	fmt.Fprintf(stdout, `capacity:          %d bytes (largest message %d)
used:              %d bytes
messages:          %d waiting
being written:     %d%s
producers waiting: %d
consumers waiting: %d
producers:         %s
consumers:         %s
skipped:           %d (their producer died while writing them, or aborted them)
lost:              %d (their consumer died holding them)
head, tail, free:  %d, %d, %d
`, out.Capacity, out.MaxMessage, out.Used, out.Messages, out.Writing, dead,
		out.ProducersWaiting, out.ConsumersWaiting, out.Producers, out.Consumers,
		out.Skipped, out.Lost, out.Head, out.Tail, out.Free)
	return 0
}
