//go:build windows && cgo

package main

import (
	"fmt"
	"os"

	"github.com/ipcbuf/ipcbuf/cshim"
)

// sessionObjects lists the object directory that holds this session's
// Local\ objects: \Sessions\<session>\BaseNamedObjects, or in session 0
// (services, and programs run by them) \BaseNamedObjects itself, where
// Local\ and Global\ are one directory.
func sessionObjects() ([]objectEntry, error) {
	session, err := cshim.SessionID(uint32(os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("ProcessIdToSessionId: %w", err)
	}
	dir := fmt.Sprintf(`\Sessions\%d\BaseNamedObjects`, session)
	if session == 0 {
		dir = `\BaseNamedObjects`
	}
	h, err := cshim.OpenDirectory(dir)
	if err != nil {
		return nil, fmt.Errorf("open the object directory %s: %w", dir, err)
	}
	defer cshim.CloseHandle(h)
	r := cshim.NewDirReader(h)
	var entries []objectEntry
	for {
		e, ok, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("read the object directory %s: %w", dir, err)
		}
		if !ok {
			return entries, nil
		}
		entries = append(entries, objectEntry{e.Name, e.Type})
	}
}
