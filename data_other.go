//go:build !linux

package extfs

import (
	"io/fs"
	"sync/atomic"
)

// No engine for single data calls here: File's data methods are those of
// its *os.File (on Windows, a Batch's reads and writes run on a completion
// port instead).
const sysDataEngine = false

func sysRegular(uintptr) bool                                     { return false }
func sysReadAt(uintptr, []byte, int64, *atomic.Bool) (int, error) { return 0, errNoDataEngine }
func sysWriteAt(uintptr, []byte, int64) (int, error)              { return 0, errNoDataEngine }
func sysRead(uintptr, []byte, *atomic.Bool) (int, error)          { return 0, errNoDataEngine }
func sysWrite(uintptr, []byte) (int, error)                       { return 0, errNoDataEngine }

// errNoDataEngine is never seen: sysDataEngine keeps the calls away.
var errNoDataEngine = notSupportedErr("data path engine")

// sysOpen leaves opening to os.OpenFile.
func sysOpen(string, int, fs.FileMode) (uintptr, bool, error) { return 0, false, nil }

// sysPrepareFd: os.NewFile takes the descriptor as it is.
func sysPrepareFd(uintptr) {}
