package extfs

// A batched operation as its single call, run later: the Batch of a system
// without io_uring. Its fileSys embeds funcOps for the builders and, where
// it has nothing better, for run, which spreads the calls over the worker
// pool. Only mkdir, rename and open, whose single calls are not hooks of
// their own, are built by each OS.

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"
)

type funcOp struct {
	run  func() opResult
	res  opResult
	data any // Windows: the *winsys.IO of a ReadAt or WriteAt, which run may do on a completion port instead
}

func (o *funcOp) result() opResult { return o.res }

func errOp(fn func() error) *funcOp {
	return &funcOp{run: func() opResult { return opResult{err: fn()} }}
}

type funcOps struct{}

// run runs ops on the package's worker pool.
func (funcOps) run(ctx context.Context, ops []*funcOp) {
	runEach(ctx, len(ops),
		func(i int) { ops[i].res = ops[i].run() },
		func(i int, err error) { ops[i].res = opResult{err: err} })
}

// split is 1: run spreads a batch over the pool itself.
func (funcOps) split(int) int { return 1 }

// runHere is never called (split is 1); it is run, for the interface.
func (o funcOps) runHere(ctx context.Context, ops []*funcOp) { o.run(ctx, ops) }

func (funcOps) fadviseOp(fd uintptr, off, n int64, a Advice) *funcOp {
	return errOp(func() error { return sysFile.fadvise(fd, off, n, a) })
}
func (funcOps) fallocateOp(fd uintptr, mode AllocMode, off, n int64) *funcOp {
	return errOp(func() error { return sysFile.fallocate(fd, mode, off, n) })
}
func (funcOps) fsyncOp(fd uintptr, datasync bool) *funcOp {
	return errOp(func() error { return sysFile.fsync(fd, datasync) })
}
func (funcOps) fgetxattrOp(fd uintptr, name string) *funcOp {
	return &funcOp{run: func() opResult {
		v, err := sysFile.fgetxattr(fd, name)
		return opResult{value: v, err: err}
	}}
}
func (funcOps) fsetxattrOp(fd uintptr, name string, v []byte, f XattrFlag) *funcOp {
	return errOp(func() error { return sysFile.fsetxattr(fd, name, v, f) })
}
func (funcOps) fremovexattrOp(fd uintptr, name string) *funcOp {
	return errOp(func() error { return sysFile.fremovexattr(fd, name) })
}
func (funcOps) flistxattrOp(fd uintptr) *funcOp {
	return &funcOp{run: func() opResult {
		names, err := sysFile.flistxattr(fd)
		return opResult{names: names, err: err}
	}}
}
func (funcOps) fstatOp(fd uintptr) *funcOp {
	return &funcOp{run: func() opResult {
		st, err := sysFile.fstat(fd)
		return opResult{stat: st, err: err}
	}}
}
func (funcOps) statatOp(dir int, path string, follow bool) *funcOp {
	return &funcOp{run: func() opResult {
		st, err := sysFile.statat(dir, path, follow)
		return opResult{stat: st, err: err}
	}}
}
func (funcOps) futimesOp(fd uintptr, atime, mtime time.Time) *funcOp {
	return errOp(func() error { return sysFile.futimes(fd, atime, mtime) })
}
func (funcOps) fchmodOp(fd uintptr, mode fs.FileMode) *funcOp {
	return errOp(func() error { return sysFile.fchmod(fd, mode) })
}
func (funcOps) fchownOp(fd uintptr, uid, gid int) *funcOp {
	return errOp(func() error { return sysFile.fchown(fd, uid, gid) })
}
func (funcOps) linkatOp(olddir int, oldname string, newdir int, newname string) *funcOp {
	return errOp(func() error { return sysFile.linkat(olddir, oldname, newdir, newname) })
}
func (funcOps) symlinkatOp(target string, dir int, name string) *funcOp {
	return errOp(func() error { return sysFile.symlinkat(target, dir, name) })
}
func (funcOps) readlinkatOp(dir int, name string) *funcOp {
	return &funcOp{run: func() opResult {
		target, err := sysFile.readlinkat(dir, name)
		return opResult{value: []byte(target), err: err}
	}}
}
func (funcOps) unlinkatOp(dir int, name string, isDir bool) *funcOp {
	return errOp(func() error { return sysFile.unlinkat(dir, name, isDir) })
}

// readAtOp and writeAtOp are the *os.File calls, where there is no kernel
// queue to submit them to.
func (funcOps) readAtOp(f *os.File, _ uintptr, p []byte, off int64) *funcOp {
	return &funcOp{run: func() opResult {
		n, err := f.ReadAt(p, off)
		if err == io.EOF {
			err = nil // the Pending reports io.EOF for a short read
		}
		return opResult{n: n, err: osErr(err)}
	}}
}
func (funcOps) writeAtOp(f *os.File, _ uintptr, p []byte, off int64) *funcOp {
	return &funcOp{run: func() opResult {
		n, err := f.WriteAt(p, off)
		return opResult{n: n, err: osErr(err)}
	}}
}

// osErr returns the errno inside an error of package os; the Pending wraps
// it again with this package's op name.
func osErr(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
