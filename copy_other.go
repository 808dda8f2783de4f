//go:build !linux && !darwin && !windows

package extfs

// copyOS where no backend exists yet: every mechanism answers "not handled"
// and every question ErrNotSupported, so that CopyRange, CopyFile, Clone and
// Probe fail with an error matching ErrNotSupported, never a silent success.

import (
	"errors"
	"os"
)

type copySys struct{}

var _ copyOS = copySys{}

// srcOpenFlags: no portable O_NONBLOCK here. A FIFO is refused by its name
// only, and one put there between that look and the open blocks the open.
const srcOpenFlags = os.O_RDONLY

func (copySys) sourceBlocking(uintptr) error              { return nil }
func (copySys) openMode(uintptr) (openMode, bool)         { return openMode{}, false }
func (copySys) fileInfo(uintptr) (fileInfo, error)        { return fileInfo{}, notSupportedErr("fstat") }
func (copySys) fsInfo(uintptr) (string, int64, error)     { return "", 0, notSupportedErr("fstatfs") }
func (copySys) fsKey(string) (fsKey, error)               { return fsKey{}, notSupportedErr("filesystem identity") }
func (copySys) clone(uintptr, uintptr) error              { return notSupportedErr("clone") }
func (copySys) cloneFallback(err error) bool              { return errors.Is(err, ErrNotSupported) }
func (copySys) cloneNeverHere(error) bool                 { return false }
func (copySys) probeClone(uintptr, uintptr, string) error { return notSupportedErr("clone") }
func (copySys) saveOffset(uintptr) func()                 { return func() {} }
func (copySys) sparseDest(uintptr, uintptr, bool) error   { return nil }
func (copySys) truncate(uintptr, int64) error             { return notSupportedErr("ftruncate") }
func (copySys) unnamedTemp(string, *Stat) *File           { return nil }
func (copySys) linkUnnamed(*File, string) error           { return notSupportedErr("naming an unnamed file") }
func (copySys) noXattr(error) bool                        { return false }

func (copySys) cloneRange(uintptr, uintptr, int64, int64, int64) error {
	return notSupportedErr("clone range")
}

func (copySys) offload(*copyJob, copyHow, *copyAcct) (int64, bool, error) { return 0, false, nil }

func (copySys) seekData(uintptr, int64) (int64, int64, bool, error) {
	return 0, 0, false, notSupportedErr("SEEK_DATA")
}

func (copySys) copyByName(*byNameReq) (copyTemp, error)      { return copyTemp{}, nil }
func (copySys) renameNoReplace(string, string) (bool, error) { return false, nil }
