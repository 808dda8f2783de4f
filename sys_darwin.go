//go:build darwin

package extfs

// The macOS hooks: each translates extfs types to sys/darwin, which makes the
// system calls (golang.org/x/sys/unix, no cgo). The decisions in extfs's
// terms are in darwin_logic.go, those in macOS's terms in sys/darwin.

import (
	"context"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/extfs/extfs/sys/darwin"
	"golang.org/x/sys/unix"
)

const atCWD = unix.AT_FDCWD

// engine is the Engine in use. macOS has no io_uring: SetEngine refuses
// EngineRing (Supports(FeatureRing) is false), and EngineAuto and
// EngineSyscall both make direct system calls — single calls on the
// caller's goroutine, a Batch on worker goroutines (runEach).
var engine atomic.Int32

func init() {
	if os.Getenv("EXTFS_ENGINE") == "syscall" {
		engine.Store(int32(EngineSyscall))
	}
}

func sysEngine() Engine            { return Engine(engine.Load()) }
func sysSetEngine(e Engine) Engine { return Engine(engine.Swap(int32(e))) }

func sysSupports(f Feature) bool {
	switch f {
	case FeatureRing, // no io_uring
		FeatureOpenat2, // no RESOLVE_BENEATH: Dir walks names itself
		FeatureFallocateZeroRange, FeatureFallocateCollapseRange,
		FeatureFallocateInsertRange, FeatureFallocateUnshareRange: // no fcntl for these
		return false
	}
	// statx: fstat64 with st_birthtimespec; fadvise: F_RDADVISE, F_RDAHEAD,
	// F_NOCACHE (not AdviceDontNeed); fallocate: F_PREALLOCATE; punch hole:
	// F_PUNCHHOLE (APFS; HFS+ says ENOTTY); xattr, link, symlink, chown,
	// mknod: the system calls of the same names.
	return true
}

func sysRingOps() []RingOp { return nil } // no io_uring

// sysFsync is F_FULLFSYNC for Sync and Datasync alike: see darwin.Fsync.
func sysFsync(fd uintptr, datasync bool) error { return darwin.Fsync(int(fd)) }

func sysFadvise(fd uintptr, off, n int64, a Advice) error {
	da, err := darwinFadvise(a)
	if err != nil {
		return err
	}
	return darwin.Fadvise(int(fd), off, n, da)
}

func sysFallocate(fd uintptr, mode AllocMode, off, n int64) error {
	op, err := darwinAlloc(mode)
	switch op {
	case darwinPreallocate:
		return darwin.Preallocate(int(fd), off, n, mode&AllocKeepSize != 0)
	case darwinPunch:
		return darwin.PunchHole(int(fd), off, n)
	}
	return err
}

func sysCheckXattrName(name string) error { return darwinXattrName(name) }

// xattrErr adds nothing on macOS: its errnos say what they mean.
func xattrErr(_ string, err error) error { return err }

func sysFgetxattr(fd uintptr, name string) ([]byte, error) { return darwin.Fgetxattr(int(fd), name) }
func sysFsetxattr(fd uintptr, name string, v []byte, f XattrFlag) error {
	return darwin.Fsetxattr(int(fd), name, v, darwinXattrFlags(f))
}
func sysFlistxattr(fd uintptr) ([]string, error)    { return darwin.Flistxattr(int(fd)) }
func sysFremovexattr(fd uintptr, name string) error { return darwin.Fremovexattr(int(fd), name) }
func sysGetxattr(path, name string, follow bool) ([]byte, error) {
	return darwin.Getxattr(path, name, !follow)
}
func sysSetxattr(path, name string, v []byte, f XattrFlag, follow bool) error {
	return darwin.Setxattr(path, name, v, darwinXattrFlags(f), !follow)
}
func sysListxattr(path string, follow bool) ([]string, error) {
	return darwin.Listxattr(path, !follow)
}
func sysRemovexattr(path, name string, follow bool) error {
	return darwin.Removexattr(path, name, !follow)
}

func sysFstat(fd uintptr) (*Stat, error) {
	st, err := darwin.Fstat(int(fd))
	if err != nil {
		return nil, err
	}
	return statFromDarwin(&st), nil
}

func sysStatat(dirfd int, path string, follow bool) (*Stat, error) {
	if path == "" {
		return nil, syscall.ENOENT // as on Linux; fstatat("") says ENOENT too
	}
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	st, err := darwin.Fstatat(dirfd, path, flags)
	if err != nil {
		return nil, err
	}
	return statFromDarwin(&st), nil
}

// sysFutimes has microsecond precision: see darwin.Futimes.
func sysFutimes(fd uintptr, atime, mtime time.Time) error {
	return darwin.Futimes(int(fd), darwin.Timespecs(atime, mtime))
}
func sysFchmod(fd uintptr, mode fs.FileMode) error {
	return darwin.Fchmod(int(fd), darwin.PermBits(mode))
}
func sysFchown(fd uintptr, uid, gid int) error { return darwin.Fchown(int(fd), uid, gid) }

func sysLinkat(olddir int, oldname string, newdir int, newname string) error {
	return darwin.Linkat(olddir, oldname, newdir, newname, 0)
}
func sysSymlinkat(target string, dir int, name string) error {
	return darwin.Symlinkat(target, dir, name)
}
func sysReadlinkat(dir int, name string) (string, error) { return darwin.Readlinkat(dir, name) }

// sysUnlinkat is unlinkat(2), except that removing a directory without
// isDir fails with Linux's EISDIR rather than macOS's EPERM, so that
// Batch.Remove knows to try again as a directory.
func sysUnlinkat(dir int, name string, isDir bool) error {
	if isDir {
		return darwin.Unlinkat(dir, name, unix.AT_REMOVEDIR)
	}
	err := darwin.Unlinkat(dir, name, 0)
	if darwin.UnlinkMaybeDir(err) {
		if st, serr := darwin.Fstatat(dir, name, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&darwin.S_IFMT == darwin.S_IFDIR {
			return syscall.EISDIR
		}
	}
	return err
}

// Batch hooks: each queued operation is its single-call hook, run by
// runEach on worker goroutines.

func sysRun(ctx context.Context, ops []sysOp) {
	runEach(ctx, len(ops),
		func(i int) { ops[i].res = ops[i].run() },
		func(i int, err error) { ops[i].res = opResult{err: err} })
}

func sysMkdiratOp(dir int, name string, perm fs.FileMode) sysOp {
	return errOp(func() error { return darwin.Mkdirat(dir, name, darwin.PermBits(perm)) })
}
func sysRenameatOp(olddir int, oldname string, newdir int, newname string) sysOp {
	return errOp(func() error { return darwin.Renameat(olddir, oldname, newdir, newname) })
}
func sysOpenatOp(dir int, name string, flag int, perm fs.FileMode) sysOp {
	return &funcOp{run: func() opResult {
		fd, err := darwin.Openat(dir, name, flag|unix.O_CLOEXEC, darwin.PermBits(perm))
		return opResult{n: fd, err: err}
	}}
}
