package extfs

import (
	"io/fs"
	"time"
)

// fileFallback is fileOS on a system without a backend: no io_uring, no
// data engine, no xattrs, Batch on the worker pool, and every operation an
// error matching ErrNotSupported (never a silent nil). The no-backend
// fileSys embeds it.
type fileFallback struct {
	noRing
	noData
	noXattr
	funcOps
}

func (fileFallback) supports(Feature) bool                       { return false }
func (fileFallback) fsync(uintptr, bool) error                   { return notSupportedErr("fsync") }
func (fileFallback) fadvise(uintptr, int64, int64, Advice) error { return notSupportedErr("fadvise") }
func (fileFallback) fallocate(uintptr, AllocMode, int64, int64) error {
	return notSupportedErr("fallocate")
}
func (fileFallback) fstat(uintptr) (*Stat, error)            { return nil, notSupportedErr("statx") }
func (fileFallback) statat(int, string, bool) (*Stat, error) { return nil, notSupportedErr("statx") }
func (fileFallback) futimes(uintptr, time.Time, time.Time) error {
	return notSupportedErr("utimensat")
}
func (fileFallback) fchmod(uintptr, fs.FileMode) error     { return notSupportedErr("chmod") }
func (fileFallback) fchown(uintptr, int, int) error        { return notSupportedErr("chown") }
func (fileFallback) linkat(int, string, int, string) error { return notSupportedErr("link") }
func (fileFallback) symlinkat(string, int, string) error   { return notSupportedErr("symlink") }
func (fileFallback) readlinkat(int, string) (string, error) {
	return "", notSupportedErr("readlink")
}
func (fileFallback) unlinkat(int, string, bool) error { return notSupportedErr("unlinkat") }
func (fileFallback) mkdiratOp(int, string, fs.FileMode) *funcOp {
	return errOp(func() error { return notSupportedErr("mkdir") })
}
func (fileFallback) renameatOp(int, string, int, string) *funcOp {
	return errOp(func() error { return notSupportedErr("rename") })
}
func (fileFallback) openatOp(int, string, int, fs.FileMode) *funcOp {
	return errOp(func() error { return notSupportedErr("open") })
}
