package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ipcbuf/ipcbuf"
)

const dumpSynopsis = "dump [--offset N] [--length N] [--enc E] TARGET"

const dumpHelp = `Print TARGET's bytes from --offset, --length of them (default: to the end),
as "hexdump -C" prints them: the offset, 16 bytes in hex, the same as
text with '.' for bytes outside ' '..'~', and "*" for lines that repeat the
one before. With --enc, print the bytes decoded with that encoding instead
(as "ipcbuf get" does). TARGET is opened read-only: nothing is created or
written. An offset past the end is an error; a length past the end stops at
the end.
On Windows '*name' is the named section Local\name, dumped at its own size:
whole pages (a multiple of 4096 bytes), the bytes past the size it was made
with zero.
`

func runDump(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("dump")
	offset := flags.Int64("offset", 0, "start at byte `N`")
	length := flags.Int64("length", 0, "print `N` bytes (default: to the end)")
	var enc encFlag
	flags.Var(&enc, "enc", "decode with encoding `E` instead of printing hex")
	if st := parseFlags(flags, args, []string{"TARGET"}, stdout, stderr); st >= 0 {
		return st
	}
	target := flags.Arg(0)
	if st := checkTarget(stderr, "dump", target); st >= 0 {
		return st
	}
	lengthSet := false
	flags.Visit(func(f *flag.Flag) { lengthSet = lengthSet || f.Name == "length" })
	switch {
	case *offset < 0:
		return usageError(stderr, "dump", fmt.Sprintf("--offset %d is negative", *offset))
	case lengthSet && *length < 0:
		return usageError(stderr, "dump", fmt.Sprintf("--length %d is negative", *length))
	}
	b, err := openForDump(target)
	if err != nil {
		return failure(stderr, err)
	}
	defer b.Close()
	size := int64(b.Len())
	if *offset > size {
		return failure(stderr, fmt.Errorf("dump %s: --offset %d is past the end: %s is %d bytes", target, *offset, target, size))
	}
	end := size
	if lengthSet && *offset+*length < size {
		end = *offset + *length
	}
	if enc.enc != "" {
		s, err := b.ToString(enc.enc, int(*offset), int(end))
		if err != nil {
			return failure(stderr, fmt.Errorf("dump %s: %s", target, message(err)))
		}
		if _, err = io.WriteString(stdout, s); err != nil {
			return failure(stderr, err)
		}
		return 0
	}
	if lengthSet && *length == 0 {
		return 0 // hexdump -n 0 prints nothing, not even an address
	}
	w := bufio.NewWriter(stdout)
	if err := hexdumpC(w, b, *offset, end); err != nil {
		return failure(stderr, fmt.Errorf("dump %s: %s", target, message(err)))
	}
	if err := w.Flush(); err != nil {
		return failure(stderr, err)
	}
	return 0
}

// openForDump opens target read-only, at its own size.
func openForDump(target string) (*ipcbuf.Buffer, error) {
	opts := []ipcbuf.Option{ipcbuf.ReadOnly()}
	kind, name, _, _ := ipcbuf.ParseTarget(target)
	if kind == ipcbuf.KindFile {
		opts = append(opts, ipcbuf.NoFollow())
	}
	b, err := ipcbuf.Open(target, 0, opts...)
	if err != nil {
		if empty, serr := isEmptyFile(kind, name); serr == nil && empty {
			// Open refuses an object of 0 bytes at size 0; as a dump,
			// it is simply nothing.
			return ipcbuf.Alloc(0)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s ('ipcbuf ls' lists what exists)", message(err))
		}
		return nil, err
	}
	return b, nil
}

// isEmptyFile reports whether the POSIX object or file name is a regular
// file of 0 bytes.
func isEmptyFile(kind ipcbuf.Kind, name string) (bool, error) {
	path := name
	switch kind {
	case ipcbuf.KindPOSIX:
		var ok bool
		if path, ok = shmFile(name); !ok {
			return false, nil
		}
	case ipcbuf.KindSysV:
		return false, nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	return fi.Mode().IsRegular() && fi.Size() == 0, nil
}

// hexdumpC writes the bytes of r from offset to end as util-linux's and
// BSD's "hexdump -C" do, byte for byte, 16 bytes a line.
func hexdumpC(w io.Writer, r io.ReaderAt, offset, end int64) error {
	if offset == end {
		// hexdump prints only the end address, and nothing at all for an
		// empty input read from its start.
		if offset > 0 {
			fmt.Fprintf(w, "%08x\n", offset)
		}
		return nil
	}
	var line, prev [16]byte
	havePrev, squeezed := false, false
	var out bytes.Buffer
	for pos := offset; pos < end; pos += 16 {
		n := int(min(16, end-pos))
		if _, err := r.ReadAt(line[:n], pos); err != nil {
			return err
		}
		if n == 16 && havePrev && line == prev {
			if !squeezed {
				fmt.Fprint(w, "*\n")
				squeezed = true
			}
			continue
		}
		squeezed, havePrev, prev = false, n == 16, line
		out.Reset()
		fmt.Fprintf(&out, "%08x  ", pos)
		for j := range 16 {
			if j == 8 {
				out.WriteByte(' ')
			}
			if j < n {
				fmt.Fprintf(&out, "%02x ", line[j])
			} else {
				out.WriteString("   ")
			}
		}
		out.WriteString(" |")
		for _, c := range line[:n] {
			if c < ' ' || c > '~' {
				c = '.'
			}
			out.WriteByte(c)
		}
		out.WriteString("|\n")
		if _, err := w.Write(out.Bytes()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%08x\n", end)
	return err
}
