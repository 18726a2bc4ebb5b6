package ipcbuf

import (
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
)

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
