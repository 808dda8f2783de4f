//go:build linux

package extfs

// The Linux file hooks translate extfs types for sys/linux, whose engine
// runs each operation as a direct system call or on io_uring.

import (
	"context"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/extfs/extfs/internal/batchop"
	"github.com/extfs/extfs/internal/fsenum"
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

func (fileSys) xattrNameProblem(name string) string     { return linux.CheckXattrName(name) }
func (fileSys) xattrHint(name string, err error) string { return linux.XattrHint(name, err) }

func (fileSys) getxattr(at xattrAt, name string) ([]byte, error) { return linux.Getxattr(at, name) }
func (fileSys) setxattr(at xattrAt, name string, v []byte, f XattrFlag) error {
	return linux.Setxattr(at, name, v, fsenum.XattrFlag(f))
}
func (fileSys) listxattr(at xattrAt) ([]string, error)    { return linux.Listxattr(at) }
func (fileSys) removexattr(at xattrAt, name string) error { return linux.Removexattr(at, name) }

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

// Batch: each queued operation is one linux.Op (linux.BatchOp), held by
// value in one slice per share (per-op allocations were most of a Batch's
// overhead over a plain loop); linux.Run shares them among goroutines or
// submits them to the ring.

type sysOp struct{ op linux.Op }

func (o *sysOp) result() opResult {
	r := opResult{n: o.op.N(), value: o.op.Value(), names: o.op.Names(), err: o.op.Err()}
	if st, ok := o.op.Stat(); ok {
		r.stat, _ = statOf(st, nil)
	}
	return r
}

func (fileSys) op(d *batchop.Desc) sysOp                 { return sysOp{linux.BatchOp(d)} }
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
