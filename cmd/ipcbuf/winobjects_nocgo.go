//go:build windows && !cgo

package main

import (
	"errors"
	"fmt"
)

// sessionObjects cannot list the session's objects: the call is in the C
// shim, and this build has no cgo (it has no named sections either).
func sessionObjects() ([]objectEntry, error) {
	return nil, fmt.Errorf("this build of ipcbuf has no cgo, and so no named sections: %w", errors.ErrUnsupported)
}
