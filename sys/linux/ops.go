//go:build linux

package linux

import (
	"bytes"
	"math"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// Constructors. Each builds an Op with the same arguments as the single call
// of the same name; the Op keeps its own copies of strings and references to
// the caller's buffers.

func newOp(k kind, fd int) *Op {
	return &Op{kind: k, fd: fd}
}

// FallocateOp is Fallocate as an Op.
func FallocateOp(fd int, mode uint32, off, n int64) *Op {
	op := newOp(kFallocate, fd)
	op.mode, op.off, op.n = mode, off, n
	return op
}

// FadviseOp is Fadvise as an Op.
func FadviseOp(fd int, off, n int64, advice int) *Op {
	op := newOp(kFadvise, fd)
	op.off, op.n, op.flags = off, n, advice
	return op
}

// FsyncOp is Fsync as an Op.
func FsyncOp(fd int, datasync bool) *Op {
	op := newOp(kFsync, fd)
	if datasync {
		op.flags = fsyncDatasync
	}
	return op
}

// GetxattrOp is Getxattr as an Op; the value is in Value.
func GetxattrOp(at fsenum.XattrAt, name string) *Op {
	op := xattrOp(at, kFgetxattr, kGetxattr)
	op.s2 = name
	return op
}

// SetxattrOp is Setxattr as an Op, with setxattr(2)'s flags.
func SetxattrOp(at fsenum.XattrAt, name string, value []byte, flags int) *Op {
	op := xattrOp(at, kFsetxattr, kSetxattr)
	op.s2, op.buf, op.flags = name, value, flags
	return op
}

// ListxattrOp is Listxattr as an Op; the names are in Names.
func ListxattrOp(at fsenum.XattrAt) *Op { return xattrOp(at, kFlistxattr, kListxattr) }

// RemovexattrOp is Removexattr as an Op.
func RemovexattrOp(at fsenum.XattrAt, name string) *Op {
	op := xattrOp(at, kFremovexattr, kRemovexattr)
	op.s2 = name
	return op
}

// xattrOp is an Op of kind byFd on at.Fd, or byPath on at.Path.
func xattrOp(at fsenum.XattrAt, byFd, byPath kind) *Op {
	if at.Path == "" {
		return newOp(byFd, at.Fd)
	}
	op := newOp(byPath, 0)
	op.s1, op.nofollow = at.Path, at.NoFollow
	return op
}

// StatxOp is Statx as an Op. st must stay untouched until Run returns.
func StatxOp(dirfd int, path string, flags, mask int, st *unix.Statx_t) *Op {
	op := newOp(kStatx, dirfd)
	op.s1, op.flags, op.mode, op.st = path, flags, uint32(mask), st
	return op
}

// LinkatOp is Linkat as an Op.
func LinkatOp(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) *Op {
	op := newOp(kLinkat, olddirfd)
	op.s1, op.fd2, op.s2, op.flags = oldpath, newdirfd, newpath, flags
	return op
}

// SymlinkatOp is Symlinkat as an Op.
func SymlinkatOp(target string, newdirfd int, linkpath string) *Op {
	op := newOp(kSymlinkat, newdirfd)
	op.s1, op.s2 = target, linkpath
	return op
}

// ReadlinkatOp is Readlinkat as an Op; the target is in Value.
func ReadlinkatOp(dirfd int, path string) *Op {
	op := newOp(kReadlinkat, dirfd)
	op.s1 = path
	return op
}

// UnlinkatOp is Unlinkat as an Op.
func UnlinkatOp(dirfd int, path string, flags int) *Op {
	op := newOp(kUnlinkat, dirfd)
	op.s1, op.flags = path, flags
	return op
}

// Renameat2Op is Renameat2 as an Op.
func Renameat2Op(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) *Op {
	op := newOp(kRenameat2, olddirfd)
	op.s1, op.fd2, op.s2 = oldpath, newdirfd, newpath
	op.flags = int(uint32(flags))
	if flags > math.MaxUint32 {
		op.bad = unix.EINVAL // the kernel's flags are 32 bits; do not truncate them
	}
	return op
}

// MkdiratOp is Mkdirat as an Op.
func MkdiratOp(dirfd int, path string, mode uint32) *Op {
	op := newOp(kMkdirat, dirfd)
	op.s1, op.mode = path, mode
	return op
}

// OpenatOp is Openat as an Op; the new fd is N.
func OpenatOp(dirfd int, path string, flags int, mode uint32) *Op {
	op := newOp(kOpenat, dirfd)
	op.s1, op.flags, op.mode = path, flags, mode
	return op
}

// Openat2Op is Openat2 as an Op; the new fd is N.
func Openat2Op(dirfd int, path string, how *unix.OpenHow) *Op {
	op := newOp(kOpenat2, dirfd)
	op.s1 = path
	if how != nil {
		h := *how // the kernel reads it at submit; a private copy cannot change under it
		op.how = &h
	}
	return op
}

// CloseOp is Close as an Op.
func CloseOp(fd int) *Op { return newOp(kClose, fd) }

// PreadOp is Pread as an Op; the byte count is N. p must stay untouched until Run returns.
func PreadOp(fd int, p []byte, off int64) *Op {
	op := newOp(kPread, fd)
	op.buf, op.off = p, off
	return op
}

// PwriteOp is Pwrite as an Op; the byte count is N.
func PwriteOp(fd int, p []byte, off int64) *Op {
	op := newOp(kPwrite, fd)
	op.buf, op.off = p, off
	return op
}

// ReadFullOp reads len(p) bytes at off, in as many rounds as it takes; N is
// the byte count, less than len(p) only at end of file or with an error.
// Under EngineAuto in a Run, the reads are first tried without waiting
// (RWF_NOWAIT), and only those that must wait for the disk go to the ring,
// together, where each waits as a parked goroutine.
func ReadFullOp(fd int, p []byte, off int64) *Op {
	op := newOp(kReadFull, fd)
	op.buf, op.off = p, off
	if off < 0 {
		op.bad = unix.EINVAL // what pread says; preadv2 and the ring would take -1 for the file position
	}
	return op
}

// WriteFullOp writes all of p at off; N is the byte count.
func WriteFullOp(fd int, p []byte, off int64) *Op {
	op := newOp(kWriteFull, fd)
	op.buf, op.off = p, off
	if off < 0 {
		op.bad = unix.EINVAL
	}
	return op
}

// SpliceOp is Splice as an Op; the byte count is N. The offsets advance as with Splice.
func SpliceOp(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) *Op {
	op := newOp(kSplice, rfd)
	op.roff, op.fd2, op.woff, op.n, op.flags = roff, wfd, woff, int64(n), flags
	if n < 0 {
		op.bad = unix.EINVAL // the kernel's len is unsigned: -1 would mean "everything"
	}
	return op
}

// FchmodOp is Fchmod as an Op.
func FchmodOp(fd int, mode uint32) *Op {
	op := newOp(kFchmod, fd)
	op.mode = mode
	return op
}

// FchmodatOp is Fchmodat as an Op.
func FchmodatOp(dirfd int, path string, mode uint32, flags int) *Op {
	op := newOp(kFchmodat, dirfd)
	op.s1, op.mode, op.flags = path, mode, flags
	return op
}

// FchownOp is Fchown as an Op.
func FchownOp(fd, uid, gid int) *Op {
	op := newOp(kFchown, fd)
	op.uid, op.gid = uid, gid
	return op
}

// FchownatOp is Fchownat as an Op.
func FchownatOp(dirfd int, path string, uid, gid, flags int) *Op {
	op := newOp(kFchownat, dirfd)
	op.s1, op.uid, op.gid, op.flags = path, uid, gid, flags
	return op
}

// FutimensOp is Futimens as an Op.
func FutimensOp(fd int, ts *[2]unix.Timespec) *Op {
	op := newOp(kFutimens, fd)
	op.ts = copyTimes(ts)
	return op
}

// UtimensAtOp is UtimensAt as an Op.
func UtimensAtOp(dirfd int, path string, ts *[2]unix.Timespec, flags int) *Op {
	op := newOp(kUtimensAt, dirfd)
	op.s1, op.ts, op.flags = path, copyTimes(ts), flags
	return op
}

func copyTimes(ts *[2]unix.Timespec) *[2]unix.Timespec {
	if ts == nil {
		return nil // both times "now"
	}
	c := *ts
	return &c
}

// MknodatOp is Mknodat as an Op.
func MknodatOp(dirfd int, path string, mode uint32, dev uint64) *Op {
	op := newOp(kMknodat, dirfd)
	op.s1, op.mode, op.dev = path, mode, dev
	if dev > math.MaxUint32 {
		// mknodat takes a 32-bit dev; truncating would make a different device.
		op.bad = unix.EINVAL
	}
	return op
}

// Single calls. Each runs one Op on the engine chosen by the dispatch rules
// in engine.go and returns the raw errno.
//
// The cheapest calls (fadvise, statx, the xattr pair) first try a direct
// path without an Op: when admit lets the call in under EngineAuto, the
// system call runs right there. For a call of a few hundred nanoseconds,
// building and dispatching an Op was a fifth of its cost
// (bench: BenchmarkFadvise, BenchmarkXattr). Everything else (the ring,
// a forced engine, buffer sizing) goes through run1.

// enter1 reports whether a single call may run as a direct syscall now.
// When it returns true, the caller must call leave1 after the call.
func enter1() bool { return CurrentEngine() == EngineAuto && admit() }

func leave1() { blocked.Add(-1) }

// Fallocate is fallocate(2).
func Fallocate(fd int, mode uint32, off, n int64) error { return run1(FallocateOp(fd, mode, off, n)) }

// Fadvise is posix_fadvise(2).
func Fadvise(fd int, off, n int64, advice int) error {
	switch advice {
	case unix.FADV_NORMAL, unix.FADV_SEQUENTIAL, unix.FADV_RANDOM, unix.FADV_NOREUSE:
		// These only set flags on the open file and never block, so they
		// take no admission slot: on a crowded box, queueing them on the
		// ring would turn a sub-microsecond call into a ring round trip.
		if CurrentEngine() == EngineAuto {
			return eintr.Retry(func() error { return unix.Fadvise(fd, off, n, advice) })
		}
	}
	if enter1() {
		err := eintr.Retry(func() error { return unix.Fadvise(fd, off, n, advice) })
		leave1()
		return err
	}
	return run1(FadviseOp(fd, off, n, advice))
}

// Fsync is fsync(2), or fdatasync(2) when datasync is set.
func Fsync(fd int, datasync bool) error { return run1(FsyncOp(fd, datasync)) }

// Getxattr is fgetxattr(2) on at.Fd, or getxattr(2) (lgetxattr(2) with
// at.NoFollow) on at.Path; it sizes the buffer itself.
func Getxattr(at fsenum.XattrAt, name string) ([]byte, error) {
	if at.Path != "" {
		op := GetxattrOp(at, name)
		err := run1(op)
		return op.value, err
	}
	if enter1() {
		// Most values fit the first guess: one call into a stack buffer
		// and one exact-size copy, where sizing first would cost a second
		// system call. ERANGE (too small) goes on to the sizing loop.
		var buf [firstGuess]byte
		var n int
		err := eintr.Retry(func() (err error) {
			n, err = unix.Fgetxattr(at.Fd, name, buf[:])
			return err
		})
		leave1()
		if err == nil {
			return bytes.Clone(buf[:n]), nil
		}
		if err != unix.ERANGE {
			return nil, err
		}
		op := GetxattrOp(at, name)
		op.bigValue = true // skip a second try at firstGuess: size, then fetch
		err = run1(op)
		return op.value, err
	}
	op := GetxattrOp(at, name)
	err := run1(op)
	return op.value, err
}

// Setxattr is fsetxattr(2) on at.Fd, or setxattr(2) (lsetxattr(2) with
// at.NoFollow) on at.Path, with the flags of extfs's XattrFlag f.
func Setxattr(at fsenum.XattrAt, name string, value []byte, f fsenum.XattrFlag) error {
	flags := setxattrFlags(f)
	if at.Path != "" {
		return run1(SetxattrOp(at, name, value, flags))
	}
	if enter1() {
		err := eintr.Retry(func() error { return unix.Fsetxattr(at.Fd, name, value, flags) })
		leave1()
		return err
	}
	return run1(SetxattrOp(at, name, value, flags))
}

// Listxattr is flistxattr(2) on at.Fd, or listxattr(2) (llistxattr(2) with
// at.NoFollow) on at.Path, split into names. Always a direct call: the ring
// has no listxattr.
func Listxattr(at fsenum.XattrAt) ([]string, error) {
	op := ListxattrOp(at)
	err := run1(op)
	return op.names, err
}

// Removexattr is fremovexattr(2) on at.Fd, or removexattr(2)
// (lremovexattr(2) with at.NoFollow) on at.Path.
func Removexattr(at fsenum.XattrAt, name string) error {
	return run1(RemovexattrOp(at, name))
}

// Statx is statx(2) into the caller's st. With AT_EMPTY_PATH, path may be "".
//
// st does not escape: the caller may keep it on its stack. The ring path
// has the kernel write a heap copy, from another thread.
func Statx(dirfd int, path string, flags, mask int, st *unix.Statx_t) error {
	if st == nil {
		return unix.EFAULT // what the kernel says for a NULL buffer, on every engine
	}
	if enter1() {
		err := eintr.Retry(func() error { return unix.Statx(dirfd, path, flags, mask, st) })
		leave1()
		return err
	}
	h := new(unix.Statx_t)
	err := run1(StatxOp(dirfd, path, flags, mask, h))
	if err == nil {
		*st = *h // on failure st is left as it was, as the kernel leaves it
	}
	return err
}

// Linkat is linkat(2).
func Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	return run1(LinkatOp(olddirfd, oldpath, newdirfd, newpath, flags))
}

// Symlinkat is symlinkat(2).
func Symlinkat(target string, newdirfd int, linkpath string) error {
	return run1(SymlinkatOp(target, newdirfd, linkpath))
}

// Readlinkat is readlinkat(2) with a buffer grown until the target fits.
func Readlinkat(dirfd int, path string) (string, error) {
	op := ReadlinkatOp(dirfd, path)
	err := run1(op)
	return string(op.value), err
}

// Unlinkat is unlinkat(2).
func Unlinkat(dirfd int, path string, flags int) error { return run1(UnlinkatOp(dirfd, path, flags)) }

// Renameat2 is renameat2(2).
func Renameat2(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
	return run1(Renameat2Op(olddirfd, oldpath, newdirfd, newpath, flags))
}

// Mkdirat is mkdirat(2).
func Mkdirat(dirfd int, path string, mode uint32) error { return run1(MkdiratOp(dirfd, path, mode)) }

// Openat is openat(2).
func Openat(dirfd int, path string, flags int, mode uint32) (int, error) {
	op := OpenatOp(dirfd, path, flags, mode)
	if err := run1(op); err != nil {
		return -1, err
	}
	return int(op.res), nil
}

// Openat2 is openat2(2). ENOSYS (before 5.6) is returned as is.
func Openat2(dirfd int, path string, how *unix.OpenHow) (int, error) {
	op := Openat2Op(dirfd, path, how)
	if err := run1(op); err != nil {
		return -1, err
	}
	return int(op.res), nil
}

// Close is close(2). EINTR counts as success: Linux has released the fd.
func Close(fd int) error { return run1(CloseOp(fd)) }

// Pread is pread(2).
func Pread(fd int, p []byte, off int64) (int, error) {
	op := PreadOp(fd, p, off)
	err := run1(op)
	return int(op.res), err
}

// Pwrite is pwrite(2).
func Pwrite(fd int, p []byte, off int64) (int, error) {
	op := PwriteOp(fd, p, off)
	err := run1(op)
	return int(op.res), err
}

// Splice is splice(2); non-nil offsets advance by the bytes moved.
func Splice(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int64, error) {
	op := SpliceOp(rfd, roff, wfd, woff, n, flags)
	err := run1(op)
	return op.res, err
}

// Fchmod is fchmod(2).
func Fchmod(fd int, mode uint32) error { return run1(FchmodOp(fd, mode)) }

// Fchmodat is fchmodat(2); flags use fchmodat2 (6.6+), else EOPNOTSUPP.
func Fchmodat(dirfd int, path string, mode uint32, flags int) error {
	return run1(FchmodatOp(dirfd, path, mode, flags))
}

// Fchown is fchown(2).
func Fchown(fd, uid, gid int) error { return run1(FchownOp(fd, uid, gid)) }

// Fchownat is fchownat(2).
func Fchownat(dirfd int, path string, uid, gid, flags int) error {
	return run1(FchownatOp(dirfd, path, uid, gid, flags))
}

// Futimens is utimensat(fd, NULL, ts, 0). A nil ts sets both times to now.
func Futimens(fd int, ts *[2]unix.Timespec) error { return run1(FutimensOp(fd, ts)) }

// UtimensAt is utimensat(2). A nil ts sets both times to now.
func UtimensAt(dirfd int, path string, ts *[2]unix.Timespec, flags int) error {
	return run1(UtimensAtOp(dirfd, path, ts, flags))
}

// Mknodat is mknodat(2).
func Mknodat(dirfd int, path string, mode uint32, dev uint64) error {
	return run1(MknodatOp(dirfd, path, mode, dev))
}
