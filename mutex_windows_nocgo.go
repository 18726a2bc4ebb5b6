//go:build windows && !cgo

package ipcbuf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// errNoMutex is the error of the Mutex on Windows in a build without cgo:
// the named Win32 mutex it is built on is reached through the C shim.
var errNoMutex = fmt.Errorf("the Mutex on Windows is a named Win32 mutex, reached through cgo, and this program was built with CGO_ENABLED=0: %w", errors.ErrUnsupported)

func newNamedMutex(b *Buffer, _ int) (*Mutex, error) { return nil, noMutex(b, "mutex") }

// noMutex names b, which may be nil, and op in errNoMutex.
func noMutex(b *Buffer, op string) error {
	name := ""
	if b != nil && b.m != nil {
		name = b.label()
	}
	return &fs.PathError{Op: op, Path: name, Err: errNoMutex}
}

// A Mutex can exist here only as a zero value or a literal: NewMutex
// fails. Its methods fail the same way.

func (m *Mutex) lockNamed(op string, _ context.Context, _ time.Time, _ bool) (bool, error) {
	return false, noMutex(m.b, op)
}

func (m *Mutex) unlockNamed() error         { return noMutex(m.b, "unlock") }
func (m *Mutex) markConsistentNamed() error { return noMutex(m.b, "markconsistent") }
func (m *Mutex) resetNamed() error          { return noMutex(m.b, "reset") }
