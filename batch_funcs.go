//go:build !linux

package extfs

// Without an io_uring engine, a batched operation is its single-call hook
// run later by sysRun (each OS decides how: workers or in order). Only the
// operations whose single call differs per OS (mkdir, rename, open) have
// their constructors in the OS files.

import (
	"context"
	"io/fs"
	"time"
)

type sysOp = *funcOp

type funcOp struct {
	run  func() opResult
	res  opResult
	data any // Windows: the *winsys.IO of a ReadAt or WriteAt, which sysRun may run instead of run
}

func (o *funcOp) result() opResult { return o.res }

// sysSplit is 1: sysRun spreads a batch over its own workers here.
func sysSplit(int) int { return 1 }

func sysRunHere(ctx context.Context, ops []sysOp) { sysRun(ctx, ops) }

func errOp(fn func() error) sysOp {
	return &funcOp{run: func() opResult { return opResult{err: fn()} }}
}

func sysFadviseOp(fd uintptr, off, n int64, a Advice) sysOp {
	return errOp(func() error { return sysFadvise(fd, off, n, a) })
}
func sysFallocateOp(fd uintptr, mode AllocMode, off, n int64) sysOp {
	return errOp(func() error { return sysFallocate(fd, mode, off, n) })
}
func sysFsyncOp(fd uintptr, datasync bool) sysOp {
	return errOp(func() error { return sysFsync(fd, datasync) })
}
func sysFgetxattrOp(fd uintptr, name string) sysOp {
	return &funcOp{run: func() opResult {
		v, err := sysFgetxattr(fd, name)
		return opResult{value: v, err: err}
	}}
}
func sysFsetxattrOp(fd uintptr, name string, v []byte, f XattrFlag) sysOp {
	return errOp(func() error { return sysFsetxattr(fd, name, v, f) })
}
func sysFremovexattrOp(fd uintptr, name string) sysOp {
	return errOp(func() error { return sysFremovexattr(fd, name) })
}
func sysFlistxattrOp(fd uintptr) sysOp {
	return &funcOp{run: func() opResult {
		names, err := sysFlistxattr(fd)
		return opResult{names: names, err: err}
	}}
}
func sysFstatOp(fd uintptr) sysOp {
	return &funcOp{run: func() opResult {
		st, err := sysFstat(fd)
		return opResult{stat: st, err: err}
	}}
}
func sysStatatOp(dir int, path string, follow bool) sysOp {
	return &funcOp{run: func() opResult {
		st, err := sysStatat(dir, path, follow)
		return opResult{stat: st, err: err}
	}}
}
func sysFutimesOp(fd uintptr, atime, mtime time.Time) sysOp {
	return errOp(func() error { return sysFutimes(fd, atime, mtime) })
}
func sysFchmodOp(fd uintptr, mode fs.FileMode) sysOp {
	return errOp(func() error { return sysFchmod(fd, mode) })
}
func sysFchownOp(fd uintptr, uid, gid int) sysOp {
	return errOp(func() error { return sysFchown(fd, uid, gid) })
}
func sysLinkatOp(olddir int, oldname string, newdir int, newname string) sysOp {
	return errOp(func() error { return sysLinkat(olddir, oldname, newdir, newname) })
}
func sysSymlinkatOp(target string, dir int, name string) sysOp {
	return errOp(func() error { return sysSymlinkat(target, dir, name) })
}
func sysReadlinkatOp(dir int, name string) sysOp {
	return &funcOp{run: func() opResult {
		target, err := sysReadlinkat(dir, name)
		return opResult{value: []byte(target), err: err}
	}}
}
func sysUnlinkatOp(dir int, name string, isDir bool) sysOp {
	return errOp(func() error { return sysUnlinkat(dir, name, isDir) })
}
