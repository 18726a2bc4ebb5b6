//go:build cgo && (linux || windows) && !ipcbuf_noposix

package ipcbuf

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"
)

// createShmTemp is CreateShmTemp once its arguments are checked: it tries
// names made from pattern, with opts (which hold Exclusive), until one is
// free.
func createShmTemp(pattern string, size int, opts []Option) (*Buffer, error) {
	prefix, suffix := pattern, ""
	if i := strings.LastIndexByte(pattern, '*'); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	for try := 0; ; try++ {
		name := prefix + strconv.FormatUint(shmTempRand(), 36) + suffix
		b, err := OpenShm(name, size, opts...)
		if errors.Is(err, fs.ErrExist) && try < 10000 {
			continue
		}
		return b, err
	}
}

// shmTempRand gives CreateShmTemp its random names; tests replace it to
// force collisions. math/rand/v2's generator is seeded unpredictably.
var shmTempRand = rand.Uint64
