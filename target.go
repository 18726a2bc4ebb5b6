package ipcbuf

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Open opens the buffer named by target, in node-ipcbuffer's convention:
//
//   - "*name" is the POSIX shared memory object name (OpenShm);
//   - a number, decimal ("4660") or hexadecimal ("0x1234"), is a System V key
//     (OpenSysV); leading zeros change nothing: "010" is ten, not octal;
//   - any other string is a file path (OpenFile); write "./123" for a file
//     named 123.
//
// size and opts are as for the constructor the target selects.
func Open(target string, size int, opts ...Option) (*Buffer, error) {
	kind, name, key, err := parseTarget(target)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: target, Err: err}
	}
	switch kind {
	case KindPOSIX:
		return OpenShm(name, size, opts...)
	case KindSysV:
		return OpenSysV(key, size, opts...)
	}
	return OpenFile(name, size, opts...)
}

// Remove removes the object named by target (see Open): it unlinks a POSIX
// object or a file, or marks a System V segment for removal. It removes
// only what could be a buffer: a path or a POSIX name that refers to a
// directory, a symbolic link, a FIFO, a socket or a device is an error
// matching fs.ErrInvalid, and nothing is removed.
func Remove(target string) error {
	kind, name, key, err := parseTarget(target)
	if err != nil {
		return &fs.PathError{Op: "remove", Path: target, Err: err}
	}
	switch kind {
	case KindPOSIX:
		return RemoveShm(name)
	case KindSysV:
		return RemoveSysV(key)
	}
	return removeFile(name)
}

// ParseTarget splits a target in Open's convention into its kind and its
// name (POSIX: without the '*'; file: the path) or System V key. A bad
// target is an *fs.PathError matching fs.ErrInvalid that says what is wrong.
func ParseTarget(target string) (kind Kind, name string, key int, err error) {
	kind, name, key, err = parseTarget(target)
	if err != nil {
		err = &fs.PathError{Op: "parse", Path: target, Err: err}
	}
	return kind, name, key, err
}

func parseTarget(target string) (kind Kind, name string, key int, err error) {
	switch {
	case target == "":
		return 0, "", 0, invalid("empty target: want *name, a System V key or a file path")
	case target[0] == '*':
		name, err := checkShmName(target[1:])
		return KindPOSIX, name, 0, err
	case isKey(target):
		k, err := parseKey(target)
		return KindSysV, "", k, err
	}
	return KindFile, target, 0, checkPath(target)
}

// isKey reports whether s is written as a number: decimal digits, or 0x and
// hexadecimal digits.
func isKey(s string) bool {
	digits := "0123456789"
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s, digits = s[2:], "0123456789abcdefABCDEF"
	}
	return s != "" && strings.Trim(s, digits) == ""
}

// parseKey reads a target that isKey accepts as the System V key it names:
// decimal, or hexadecimal after 0x. Base 0 of strconv would read a leading
// zero as octal, so that "010" opened key 8 and "08" failed; the
// documentation promises decimal. Errors name the text as the user wrote it.
func parseKey(s string) (int, error) {
	digits, base := s, 10
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		digits, base = s[2:], 16
	}
	k, err := strconv.ParseUint(digits, base, 64)
	if err != nil || k > math.MaxUint32 {
		// isKey let only digits through: the number is too large.
		return 0, invalid("System V key %s is out of range: keys are 32 bits, at most 4294967295 (0xffffffff)", s)
	}
	return int(k), checkKey(int(k))
}

// checkShmName validates a POSIX shared memory name before any system call
// and returns it without its optional leading '/'.
func checkShmName(name string) (string, error) {
	name = strings.TrimPrefix(name, "/")
	switch {
	case name == "":
		return name, invalid("empty POSIX shared memory name")
	case len(name) > 255:
		return name, invalid("POSIX shared memory name is %d bytes; the limit is 255", len(name))
	case strings.IndexByte(name, '/') >= 0:
		return name, invalid("POSIX shared memory name %q contains '/'", name)
	case strings.IndexByte(name, 0) >= 0:
		return name, invalid("POSIX shared memory name %q contains a NUL byte", name)
	case name == "." || name == "..":
		return name, invalid("%q is not a POSIX shared memory name", name)
	}
	return name, nil
}

// checkKey validates a System V key.
func checkKey(key int) error {
	switch {
	case key == 0:
		return invalid("System V key 0 is IPC_PRIVATE: no other process could find the segment")
	case int64(key) < math.MinInt32 || int64(key) > math.MaxUint32:
		return invalid("System V key %d is out of range: keys are 32 bits, from %d to %d", key, math.MinInt32, uint32(math.MaxUint32))
	}
	return nil
}

// keyName is how a System V key is named by Buffer.Name and in errors
// about a valid key.
func keyName(key int) string { return fmt.Sprintf("0x%08x", uint32(key)) }

// keyPath is how a key given to OpenSysV or RemoveSysV is named in their
// errors: keyName for a valid key, and for one that checkKey refuses the
// value as given, in decimal: keyName would cut it to 32 bits and name
// another key (-2147483649 would be 0x7fffffff).
func keyPath(key int) string {
	if checkKey(key) != nil {
		return strconv.Itoa(key)
	}
	return keyName(key)
}

// checkPath validates a file path.
func checkPath(path string) error {
	switch {
	case path == "":
		return invalid("empty file path")
	case strings.IndexByte(path, 0) >= 0:
		return invalid("file path %q contains a NUL byte", path)
	}
	return nil
}

// removeFile unlinks path if it is a regular file. It never removes a
// directory: os.Remove would rmdir an empty one, and unlink(2) cannot. The
// type is checked first (lstat), so that a FIFO, a socket, a device or a
// symbolic link, which ipcbuf never makes, is left alone too; one that
// replaces the file between the check and the unlink is not noticed,
// except a directory, which unlink refuses.
func removeFile(path string) error {
	err := checkPath(path)
	if err == nil {
		var fi fs.FileInfo
		if fi, err = os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
			err = invalid("%s is %s, not a file a buffer could map: nothing removed", path, modeName(fi.Mode()))
		} else if err == nil {
			err = syscall.Unlink(path)
		} else {
			err = errors.Unwrap(err) // the *fs.PathError Lstat made
		}
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: path, Err: err}
	}
	return nil
}

// modeName names the type of a file, for errors.
func modeName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "an irregular file"
}
