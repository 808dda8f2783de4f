//go:build linux

package extfs

// The Linux file hooks translate extfs types for sys/linux, whose engine
// runs each operation as a direct system call or on io_uring.

import (
	"context"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

type fileSys struct{}

var _ fileOS = fileSys{}

const atCWD = unix.AT_FDCWD

func (fileSys) engine() Engine            { return Engine(linux.CurrentEngine()) }
func (fileSys) setEngine(e Engine) Engine { return Engine(linux.SetEngine(linux.Engine(e))) }

func (fileSys) supports(f Feature) bool {
	switch f {
	case FeatureRing:
		return linux.RingAvailable()
	case FeatureStatx:
		return linux.StatxSupported()
	case FeatureOpenat2:
		return linux.Openat2Supported()
	}
	// Every other feature is a system call every kernel Go supports offers;
	// whether the filesystem does is the operation's (or Probe's) answer.
	return true
}

func (fileSys) ringOps() []RingOp {
	lops := linux.RingOps()
	ops := make([]RingOp, len(lops))
	for i, op := range lops {
		ops[i] = RingOp(op)
	}
	return ops
}

func (fileSys) fsync(fd uintptr, datasync bool) error { return linux.Fsync(int(fd), datasync) }
func (fileSys) fadvise(fd uintptr, off, n int64, a Advice) error {
	return linux.Fadvise(int(fd), off, n, linux.Advice(int(a)))
}
func (fileSys) fallocate(fd uintptr, mode AllocMode, off, n int64) error {
	return linux.Fallocate(int(fd), linux.AllocFlags(uint32(mode)), off, n)
}

func xflags(f XattrFlag) int { return xattrFlagBits(f, unix.XATTR_CREATE, unix.XATTR_REPLACE) }

func (fileSys) xattrNameProblem(name string) string     { return linux.CheckXattrName(name) }
func (fileSys) xattrHint(name string, err error) string { return linux.XattrHint(name, err) }
func (fileSys) fgetxattr(fd uintptr, name string) ([]byte, error) {
	return linux.Fgetxattr(int(fd), name)
}
func (fileSys) fsetxattr(fd uintptr, name string, v []byte, f XattrFlag) error {
	return linux.Fsetxattr(int(fd), name, v, xflags(f))
}
func (fileSys) flistxattr(fd uintptr) ([]string, error)    { return linux.Flistxattr(int(fd)) }
func (fileSys) fremovexattr(fd uintptr, name string) error { return linux.Fremovexattr(int(fd), name) }
func (fileSys) getxattr(path, name string, follow bool) ([]byte, error) {
	return linux.Getxattr(path, name, !follow)
}
func (fileSys) setxattr(path, name string, v []byte, f XattrFlag, follow bool) error {
	return linux.Setxattr(path, name, v, xflags(f), !follow)
}
func (fileSys) listxattr(path string, follow bool) ([]string, error) {
	return linux.Listxattr(path, !follow)
}
func (fileSys) removexattr(path, name string, follow bool) error {
	return linux.Removexattr(path, name, !follow)
}

func (fileSys) fstat(fd uintptr) (*Stat, error) { return statOf(linux.Fstat(int(fd))) }
func (fileSys) statat(dir int, path string, follow bool) (*Stat, error) {
	return statOf(linux.Statat(dir, path, follow))
}

func (fileSys) futimes(fd uintptr, atime, mtime time.Time) error {
	return linux.Futimens(int(fd), linux.Timespecs(atime, mtime))
}
func (fileSys) fchmod(fd uintptr, mode fs.FileMode) error {
	return linux.Fchmod(int(fd), linux.PermBits(mode))
}
func (fileSys) fchown(fd uintptr, uid, gid int) error { return linux.Fchown(int(fd), uid, gid) }
func (fileSys) linkat(olddir int, oldname string, newdir int, newname string) error {
	return linux.Linkat(olddir, oldname, newdir, newname, 0)
}
func (fileSys) symlinkat(target string, dir int, name string) error {
	return linux.Symlinkat(target, dir, name)
}
func (fileSys) readlinkat(dir int, name string) (string, error) { return linux.Readlinkat(dir, name) }
func (fileSys) unlinkat(dir int, name string, isDir bool) error {
	return linux.Unlinkat(dir, name, linux.UnlinkFlags(isDir))
}

// The data path; linux.ReadAt says how EngineAuto makes each read.

func (fileSys) dataEngine() bool        { return true }
func (fileSys) regular(fd uintptr) bool { return linux.IsRegular(int(fd)) }
func (fileSys) readAt(fd uintptr, p []byte, off int64, nowaitOff *atomic.Bool) (int, error) {
	return linux.ReadAt(int(fd), p, off, nowaitOff)
}
func (fileSys) writeAt(fd uintptr, p []byte, off int64) (int, error) {
	return linux.WriteAt(int(fd), p, off)
}
func (fileSys) read(fd uintptr, p []byte, nowaitOff *atomic.Bool) (int, error) {
	return linux.Read(int(fd), p, nowaitOff)
}
func (fileSys) write(fd uintptr, p []byte) (int, error) { return linux.Write(int(fd), p) }
func (fileSys) open(name string, flag int, perm fs.FileMode) (uintptr, bool, error) {
	fd, err := linux.Openat(unix.AT_FDCWD, name, flag|unix.O_CLOEXEC, linux.PermBits(perm))
	return uintptr(fd), true, err
}
func (fileSys) prepareFd(fd uintptr) { linux.SetPollable(int(fd)) }

// Batch: each queued operation is one linux.Op, held by value in one slice
// per share (per-op allocations were most of a Batch's overhead over a plain
// loop); linux.Run shares them among goroutines or submits them to the ring.

type sysOp struct{ op linux.Op }

func (o *sysOp) result() opResult {
	r := opResult{n: o.op.N(), value: o.op.Value(), names: o.op.Names(), err: o.op.Err()}
	if st, ok := o.op.Stat(); ok {
		r.stat, _ = statOf(st, nil)
	}
	return r
}

func (fileSys) run(ctx context.Context, ops []sysOp)     { linux.Run(ctx, linuxOps(ops)) }
func (fileSys) split(n int) int                          { return linux.Split(n) }
func (fileSys) runHere(ctx context.Context, ops []sysOp) { linux.RunHere(ctx, linuxOps(ops)) }

func linuxOps(ops []sysOp) []*linux.Op {
	lops := make([]*linux.Op, len(ops))
	for i := range ops {
		lops[i] = &ops[i].op
	}
	return lops // every op keeps its own result
}

// wrap moves op, built on the caller's stack by an inlined constructor,
// into its sysOp.
func wrap(op *linux.Op) sysOp { return sysOp{op: *op} }

func (fileSys) fadviseOp(fd uintptr, off, n int64, a Advice) sysOp {
	return wrap(linux.FadviseOp(int(fd), off, n, linux.Advice(int(a))))
}
func (fileSys) fallocateOp(fd uintptr, mode AllocMode, off, n int64) sysOp {
	return wrap(linux.FallocateOp(int(fd), linux.AllocFlags(uint32(mode)), off, n))
}
func (fileSys) fsyncOp(fd uintptr, datasync bool) sysOp {
	return wrap(linux.FsyncOp(int(fd), datasync))
}
func (fileSys) fgetxattrOp(fd uintptr, name string) sysOp {
	return wrap(linux.FgetxattrOp(int(fd), name))
}
func (fileSys) fsetxattrOp(fd uintptr, name string, v []byte, f XattrFlag) sysOp {
	return wrap(linux.FsetxattrOp(int(fd), name, v, xflags(f)))
}
func (fileSys) fremovexattrOp(fd uintptr, name string) sysOp {
	return wrap(linux.FremovexattrOp(int(fd), name))
}
func (fileSys) flistxattrOp(fd uintptr) sysOp { return wrap(linux.FlistxattrOp(int(fd))) }
func (fileSys) fstatOp(fd uintptr) sysOp      { return wrap(linux.FstatOp(int(fd))) }
func (fileSys) statatOp(dir int, path string, follow bool) sysOp {
	return wrap(linux.StatatOp(dir, path, follow))
}
func (fileSys) futimesOp(fd uintptr, atime, mtime time.Time) sysOp {
	return wrap(linux.FutimensOp(int(fd), linux.Timespecs(atime, mtime)))
}
func (fileSys) fchmodOp(fd uintptr, mode fs.FileMode) sysOp {
	return wrap(linux.FchmodOp(int(fd), linux.PermBits(mode)))
}
func (fileSys) fchownOp(fd uintptr, uid, gid int) sysOp {
	return wrap(linux.FchownOp(int(fd), uid, gid))
}
func (fileSys) linkatOp(olddir int, oldname string, newdir int, newname string) sysOp {
	return wrap(linux.LinkatOp(olddir, oldname, newdir, newname, 0))
}
func (fileSys) symlinkatOp(target string, dir int, name string) sysOp {
	return wrap(linux.SymlinkatOp(target, dir, name))
}
func (fileSys) readlinkatOp(dir int, name string) sysOp { return wrap(linux.ReadlinkatOp(dir, name)) }
func (fileSys) mkdiratOp(dir int, name string, perm fs.FileMode) sysOp {
	return wrap(linux.MkdiratOp(dir, name, linux.PermBits(perm)))
}
func (fileSys) unlinkatOp(dir int, name string, isDir bool) sysOp {
	return wrap(linux.UnlinkatOp(dir, name, linux.UnlinkFlags(isDir)))
}
func (fileSys) renameatOp(olddir int, oldname string, newdir int, newname string) sysOp {
	return wrap(linux.Renameat2Op(olddir, oldname, newdir, newname, 0))
}
func (fileSys) openatOp(dir int, name string, flag int, perm fs.FileMode) sysOp {
	return wrap(linux.OpenatOp(dir, name, flag|unix.O_CLOEXEC, linux.PermBits(perm)))
}
func (fileSys) readAtOp(_ *os.File, fd uintptr, p []byte, off int64) sysOp {
	return wrap(linux.ReadFullOp(int(fd), p, off))
}
func (fileSys) writeAtOp(_ *os.File, fd uintptr, p []byte, off int64) sysOp {
	return wrap(linux.WriteFullOp(int(fd), p, off))
}
