//go:build !linux && !darwin && !windows

package extfs

// Systems without a backend yet: every operation returns an error matching
// ErrNotSupported (never a silent nil).

import (
	"io/fs"
	"time"
)

type fileSys struct {
	noRing
	noData
	noXattr
	funcOps
}

var _ fileOS = fileSys{}

type sysOp = *funcOp

const atCWD = -100

func unsupported(what string) error { return notSupportedErr(what) }

func (fileSys) supports(Feature) bool                            { return false }
func (fileSys) fsync(uintptr, bool) error                        { return unsupported("fsync") }
func (fileSys) fadvise(uintptr, int64, int64, Advice) error      { return unsupported("fadvise") }
func (fileSys) fallocate(uintptr, AllocMode, int64, int64) error { return unsupported("fallocate") }
func (fileSys) fstat(uintptr) (*Stat, error)                     { return nil, unsupported("statx") }
func (fileSys) statat(int, string, bool) (*Stat, error)          { return nil, unsupported("statx") }
func (fileSys) futimes(uintptr, time.Time, time.Time) error      { return unsupported("utimensat") }
func (fileSys) fchmod(uintptr, fs.FileMode) error                { return unsupported("chmod") }
func (fileSys) fchown(uintptr, int, int) error                   { return unsupported("chown") }
func (fileSys) linkat(int, string, int, string) error            { return unsupported("link") }
func (fileSys) symlinkat(string, int, string) error              { return unsupported("symlink") }
func (fileSys) readlinkat(int, string) (string, error)           { return "", unsupported("readlink") }
func (fileSys) unlinkat(int, string, bool) error                 { return unsupported("unlinkat") }
func (fileSys) mkdiratOp(int, string, fs.FileMode) sysOp {
	return errOp(func() error { return unsupported("mkdir") })
}
func (fileSys) renameatOp(int, string, int, string) sysOp {
	return errOp(func() error { return unsupported("rename") })
}
func (fileSys) openatOp(int, string, int, fs.FileMode) sysOp {
	return errOp(func() error { return unsupported("open") })
}
