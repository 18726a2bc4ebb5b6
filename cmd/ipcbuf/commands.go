package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/ipcbuf/ipcbuf"
)

// encFlag is the --enc flag. Set checks the name with ipcbuf.ParseEncoding,
// so an unknown encoding is a usage error found before anything is opened
// or created.
type encFlag struct{ enc ipcbuf.Encoding }

func (e *encFlag) String() string { return string(e.enc) }

func (e *encFlag) Set(name string) error {
	enc, err := ipcbuf.ParseEncoding(name)
	if err != nil {
		return errors.New(message(err))
	}
	e.enc = enc
	return nil
}

// message is err's text without the "ipcbuf: " that the library puts in
// front of its messages, since the command adds its own. The library also
// wraps such messages in *fs.PathError ("open *x: ipcbuf: ..."), so the
// prefix is dropped inside those too.
func message(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		path := pe.Path
		if path == "" {
			path = `""` // an empty target would otherwise vanish from the text
		}
		return pe.Op + " " + path + ": " + message(pe.Err)
	}
	return strings.TrimPrefix(err.Error(), "ipcbuf: ")
}

// checkTarget rejects a malformed TARGET as a usage error (status 2) before
// any system call; it returns -1 for a good one.
func checkTarget(stderr io.Writer, cmd, target string) int {
	if _, _, _, err := ipcbuf.ParseTarget(target); err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err // the message names the target already
		}
		return usageError(stderr, cmd, fmt.Sprintf("bad TARGET %q: %s", target, message(err)))
	}
	return -1
}

func runPut(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("put")
	size := flags.Int("size", 0, "create TARGET with `N` bytes if it does not exist (an existing one keeps its size)")
	offset := flags.Int("offset", 0, "write at byte `N`")
	enc := encFlag{ipcbuf.UTF8}
	flags.Var(&enc, "enc", "encode STRING with encoding `E`")
	if st := parseFlags(flags, args, []string{"TARGET", "STRING"}, stdout, stderr); st >= 0 {
		return st
	}
	target, s := flags.Arg(0), flags.Arg(1)
	if st := checkTarget(stderr, "put", target); st >= 0 {
		return st
	}
	// Everything that can be checked without the object is checked before
	// it is opened, and so before it is created: a put that fails leaves
	// nothing behind.
	if *size < 0 {
		return usageError(stderr, "put", fmt.Sprintf("--size %d is negative", *size))
	}
	b, created, err := openForPut(target, *size, *offset)
	if err != nil {
		if *size == 0 && errors.Is(err, fs.ErrNotExist) {
			return failure(stderr, fmt.Errorf("%s (give --size N to create it)", message(err)))
		}
		return failure(stderr, err)
	}
	n, err := b.Write(s, *offset, enc.enc)
	if err != nil {
		// Not expected once the checks above passed, but a put that
		// fails must not leave behind an object it made.
		if created {
			_ = b.Remove()
		}
		_ = b.Close()
		return failure(stderr, fmt.Errorf("write %s: %s", target, message(err)))
	}
	// Close syncs: a file's new bytes are on disk before the count is printed.
	if err := b.Close(); err != nil {
		return failure(stderr, err)
	}
	fmt.Fprintln(stdout, n)
	return 0
}

// openForPut opens target at its own size, first creating it with size
// bytes if it is missing and size > 0, and says whether it created it.
// Unlike Open(target, size), it never grows an existing object nor maps
// only part of it, so --size means only "the size to create with". An
// offset outside the size to create with is refused before anything is
// created, with the error the write there would give (an existing object's
// size is known only once it is open, and opening creates nothing).
func openForPut(target string, size, offset int) (*ipcbuf.Buffer, bool, error) {
	var notExist error
	// Between the two opens another process may create or remove the
	// object, so try again a few times; not forever, because a dangling
	// symlink makes the first fail with ENOENT and the second with EEXIST
	// every time. That case ends as ENOENT, as Open itself reports it.
	for range 3 {
		b, err := ipcbuf.Open(target, 0, ipcbuf.OpenOnly())
		if err == nil || size == 0 || !errors.Is(err, fs.ErrNotExist) {
			return b, false, err
		}
		if offset < 0 || offset > size {
			return nil, false, fmt.Errorf(`write %s: The value of "offset" is out of range. It must be >= 0 && <= %d. Received %d (nothing created)`, target, size, offset)
		}
		notExist = err
		b, err = ipcbuf.Open(target, size, ipcbuf.Exclusive())
		if !errors.Is(err, fs.ErrExist) {
			return b, err == nil, err
		}
	}
	return nil, false, notExist
}

func runGet(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("get")
	start := flags.Int("start", 0, "decode from byte `N`")
	end := flags.Int("end", 0, "decode up to byte `N`, not included (default: the buffer's length)")
	enc := encFlag{ipcbuf.UTF8}
	flags.Var(&enc, "enc", "decode with encoding `E`")
	if st := parseFlags(flags, args, []string{"TARGET"}, stdout, stderr); st >= 0 {
		return st
	}
	target := flags.Arg(0)
	if st := checkTarget(stderr, "get", target); st >= 0 {
		return st
	}
	// --end 0 is a real request (an empty range), so whether it was given
	// at all is asked of the FlagSet rather than read from its value.
	endSet := false
	flags.Visit(func(f *flag.Flag) { endSet = endSet || f.Name == "end" })

	b, err := ipcbuf.Open(target, 0, ipcbuf.ReadOnly())
	if err != nil {
		return failure(stderr, err)
	}
	defer b.Close()
	if !endSet {
		*end = b.Len()
	}
	s, err := b.ToString(enc.enc, *start, *end)
	if err != nil {
		return failure(stderr, fmt.Errorf("read %s: %s", target, message(err)))
	}
	if _, err := io.WriteString(stdout, s); err != nil {
		return failure(stderr, err)
	}
	return 0
}
