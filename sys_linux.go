//go:build linux

package extfs

// The Linux hooks: each translates extfs types to the sys/linux engine, which
// runs the operation as a direct system call or on io_uring.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

const atCWD = unix.AT_FDCWD

func sysEngine() Engine            { return Engine(linux.CurrentEngine()) }
func sysSetEngine(e Engine) Engine { return Engine(linux.SetEngine(linux.Engine(e))) }

var probeOpenat2 = sync.OnceValue(func() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC})
	if err == nil {
		unix.Close(fd)
	}
	// ENOSYS: kernel before 5.6; EPERM: a seccomp filter that predates openat2.
	return err == nil
})

var probeStatx = sync.OnceValue(func() bool {
	var st unix.Statx_t
	return unix.Statx(unix.AT_FDCWD, "/", 0, unix.STATX_BASIC_STATS, &st) == nil
})

func sysSupports(f Feature) bool {
	switch f {
	case FeatureRing:
		return linux.RingAvailable()
	case FeatureStatx:
		return probeStatx()
	case FeatureOpenat2:
		return probeOpenat2()
	}
	// Every other feature is a system call every kernel Go supports offers;
	// whether the filesystem does is the operation's (or Probe's) answer.
	return true
}

func sysRingOps() []RingOp {
	lops := linux.RingOps()
	ops := make([]RingOp, len(lops))
	for i, op := range lops {
		ops[i] = RingOp(op)
	}
	return ops
}

func sysFsync(fd uintptr, datasync bool) error { return linux.Fsync(int(fd), datasync) }

var fadvice = [...]int{
	AdviceNormal:     unix.FADV_NORMAL,
	AdviceSequential: unix.FADV_SEQUENTIAL,
	AdviceRandom:     unix.FADV_RANDOM,
	AdviceWillNeed:   unix.FADV_WILLNEED,
	AdviceDontNeed:   unix.FADV_DONTNEED,
	AdviceNoReuse:    unix.FADV_NOREUSE,
}

func sysFadvise(fd uintptr, off, n int64, a Advice) error {
	return linux.Fadvise(int(fd), off, n, fadvice[a])
}

// fallocFlags is indexed by AllocMode bit number.
var fallocFlags = [...]uint32{
	unix.FALLOC_FL_KEEP_SIZE,
	unix.FALLOC_FL_PUNCH_HOLE,
	unix.FALLOC_FL_ZERO_RANGE,
	unix.FALLOC_FL_COLLAPSE_RANGE,
	unix.FALLOC_FL_INSERT_RANGE,
	unix.FALLOC_FL_UNSHARE_RANGE,
}

func fallocMode(m AllocMode) uint32 {
	var mode uint32
	for i, fl := range fallocFlags {
		if m&(1<<i) != 0 {
			mode |= fl
		}
	}
	return mode
}

func sysFallocate(fd uintptr, mode AllocMode, off, n int64) error {
	return linux.Fallocate(int(fd), fallocMode(mode), off, n)
}

// The kernel answers EOPNOTSUPP for a name outside these namespaces, which
// reads like "this filesystem has no xattrs"; say what is wrong instead.
var xattrNamespaces = []string{"user.", "trusted.", "security.", "system."}

func sysCheckXattrName(name string) error {
	for _, ns := range xattrNamespaces {
		if strings.HasPrefix(name, ns) && len(name) > len(ns) {
			return nil
		}
	}
	return errInvalid("xattr name %q needs a namespace prefix: user., trusted., security. or system.", name)
}

// xattrErr explains the EPERM Linux gives for user.* attributes on symbolic
// links and device files (fs/xattr.c allows them only on regular files and
// directories).
func xattrErr(name string, err error) error {
	if errors.Is(err, syscall.EPERM) && strings.HasPrefix(name, "user.") {
		return &hintError{err: err, hint: "user.* attributes are allowed only on regular files and directories"}
	}
	return err
}

func xflags(f XattrFlag) int {
	var fl int
	if f&XattrCreate != 0 {
		fl |= unix.XATTR_CREATE
	}
	if f&XattrReplace != 0 {
		fl |= unix.XATTR_REPLACE
	}
	return fl
}

func sysFgetxattr(fd uintptr, name string) ([]byte, error) { return linux.Fgetxattr(int(fd), name) }
func sysFsetxattr(fd uintptr, name string, v []byte, f XattrFlag) error {
	return linux.Fsetxattr(int(fd), name, v, xflags(f))
}
func sysFlistxattr(fd uintptr) ([]string, error)    { return linux.Flistxattr(int(fd)) }
func sysFremovexattr(fd uintptr, name string) error { return linux.Fremovexattr(int(fd), name) }
func sysGetxattr(path, name string, follow bool) ([]byte, error) {
	return linux.Getxattr(path, name, !follow)
}
func sysSetxattr(path, name string, v []byte, f XattrFlag, follow bool) error {
	return linux.Setxattr(path, name, v, xflags(f), !follow)
}
func sysListxattr(path string, follow bool) ([]string, error) { return linux.Listxattr(path, !follow) }
func sysRemovexattr(path, name string, follow bool) error {
	return linux.Removexattr(path, name, !follow)
}

const statxMask = unix.STATX_BASIC_STATS | unix.STATX_BTIME

func sysFstat(fd uintptr) (*Stat, error) { return statx(int(fd), "", unix.AT_EMPTY_PATH) }

func sysStatat(dirfd int, path string, follow bool) (*Stat, error) {
	if path == "" {
		return nil, syscall.ENOENT // statx with an empty path and no AT_EMPTY_PATH
	}
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	return statx(dirfd, path, flags)
}

func statx(dirfd int, path string, flags int) (*Stat, error) {
	var st unix.Statx_t
	if err := linux.Statx(dirfd, path, flags|unix.AT_STATX_SYNC_AS_STAT, statxMask, &st); err != nil {
		return nil, err
	}
	return statFromStatx(&st), nil
}

func statFromStatx(st *unix.Statx_t) *Stat {
	ts := func(t unix.StatxTimestamp) time.Time { return time.Unix(t.Sec, int64(t.Nsec)) }
	s := &Stat{
		Dev:            unix.Mkdev(st.Dev_major, st.Dev_minor),
		Ino:            st.Ino,
		Mode:           fileMode(uint32(st.Mode)),
		Nlink:          uint64(st.Nlink),
		Uid:            st.Uid,
		Gid:            st.Gid,
		Rdev:           unix.Mkdev(st.Rdev_major, st.Rdev_minor),
		Size:           int64(st.Size),
		Blocks:         int64(st.Blocks),
		Blksize:        int64(st.Blksize),
		Atime:          ts(st.Atime),
		Mtime:          ts(st.Mtime),
		Ctime:          ts(st.Ctime),
		Attributes:     StatAttr(st.Attributes),
		AttributesMask: StatAttr(st.Attributes_mask),
	}
	if st.Mask&unix.STATX_BTIME != 0 {
		s.Btime = ts(st.Btime)
	}
	return s
}

// fileMode converts st_mode to fs.FileMode the way package os does.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// permBits converts the permission part of an fs.FileMode to st_mode bits.
func permBits(mode fs.FileMode) uint32 {
	m := uint32(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= unix.S_ISUID
	}
	if mode&fs.ModeSetgid != 0 {
		m |= unix.S_ISGID
	}
	if mode&fs.ModeSticky != 0 {
		m |= unix.S_ISVTX
	}
	return m
}

// timespecs maps zero times to UTIME_OMIT ("leave unchanged").
func timespecs(atime, mtime time.Time) *[2]unix.Timespec {
	ts := new([2]unix.Timespec)
	for i, t := range [2]time.Time{atime, mtime} {
		if t.IsZero() {
			ts[i] = unix.Timespec{Nsec: unix.UTIME_OMIT}
		} else {
			// Not UnixNano: it overflows outside 1678..2262.
			ts[i] = unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
		}
	}
	return ts
}

func sysFutimes(fd uintptr, atime, mtime time.Time) error {
	return linux.Futimens(int(fd), timespecs(atime, mtime))
}
func sysFchmod(fd uintptr, mode fs.FileMode) error { return linux.Fchmod(int(fd), permBits(mode)) }
func sysFchown(fd uintptr, uid, gid int) error     { return linux.Fchown(int(fd), uid, gid) }

func sysLinkat(olddir int, oldname string, newdir int, newname string) error {
	return linux.Linkat(olddir, oldname, newdir, newname, 0)
}
func sysSymlinkat(target string, dir int, name string) error {
	return linux.Symlinkat(target, dir, name)
}
func sysReadlinkat(dir int, name string) (string, error) { return linux.Readlinkat(dir, name) }

func sysUnlinkat(dir int, name string, isDir bool) error {
	flags := 0
	if isDir {
		flags = unix.AT_REMOVEDIR
	}
	return linux.Unlinkat(dir, name, flags)
}

// Batch hooks: each queued operation becomes one linux.Op.

type sysOp = linuxOp

// linuxOp holds the Op itself, and a batch holds its linuxOps by value in one
// slice: per-op allocations were most of a Batch's overhead over a plain loop.
type linuxOp struct {
	op linux.Op
	st *unix.Statx_t // for statx: converted after the run
}

func (o *linuxOp) result() opResult {
	r := opResult{n: o.op.N(), value: o.op.Value(), names: o.op.Names(), err: o.op.Err()}
	if o.st != nil && r.err == nil {
		r.stat = statFromStatx(o.st)
	}
	return r
}

func sysRun(ctx context.Context, ops []sysOp) { linux.Run(ctx, linuxOps(ops)) }

// sysSplit is the number of goroutines to run a batch of n ops on, each
// with sysRunHere; 1 when the ring takes the batch whole (linux.Split).
func sysSplit(n int) int { return linux.Split(n) }

func sysRunHere(ctx context.Context, ops []sysOp) { linux.RunHere(ctx, linuxOps(ops)) }

func linuxOps(ops []sysOp) []*linux.Op {
	lops := make([]*linux.Op, len(ops))
	for i := range ops {
		lops[i] = &ops[i].op
	}
	return lops // every op keeps its own result
}

// wrapOp moves op, built on the caller's stack by an inlined constructor,
// into its linuxOp.
func wrapOp(op *linux.Op) sysOp { return linuxOp{op: *op} }

func sysFadviseOp(fd uintptr, off, n int64, a Advice) sysOp {
	return wrapOp(linux.FadviseOp(int(fd), off, n, fadvice[a]))
}
func sysFallocateOp(fd uintptr, mode AllocMode, off, n int64) sysOp {
	return wrapOp(linux.FallocateOp(int(fd), fallocMode(mode), off, n))
}
func sysFsyncOp(fd uintptr, datasync bool) sysOp { return wrapOp(linux.FsyncOp(int(fd), datasync)) }
func sysFgetxattrOp(fd uintptr, name string) sysOp {
	return wrapOp(linux.FgetxattrOp(int(fd), name))
}
func sysFsetxattrOp(fd uintptr, name string, v []byte, f XattrFlag) sysOp {
	return wrapOp(linux.FsetxattrOp(int(fd), name, v, xflags(f)))
}
func sysFremovexattrOp(fd uintptr, name string) sysOp {
	return wrapOp(linux.FremovexattrOp(int(fd), name))
}
func sysFlistxattrOp(fd uintptr) sysOp { return wrapOp(linux.FlistxattrOp(int(fd))) }
func sysFstatOp(fd uintptr) sysOp      { return statxOp(int(fd), "", unix.AT_EMPTY_PATH) }
func sysStatatOp(dir int, path string, follow bool) sysOp {
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	return statxOp(dir, path, flags)
}
func statxOp(dir int, path string, flags int) sysOp {
	st := new(unix.Statx_t)
	return linuxOp{op: *linux.StatxOp(dir, path, flags|unix.AT_STATX_SYNC_AS_STAT, statxMask, st), st: st}
}
func sysFutimesOp(fd uintptr, atime, mtime time.Time) sysOp {
	return wrapOp(linux.FutimensOp(int(fd), timespecs(atime, mtime)))
}
func sysFchmodOp(fd uintptr, mode fs.FileMode) sysOp {
	return wrapOp(linux.FchmodOp(int(fd), permBits(mode)))
}
func sysFchownOp(fd uintptr, uid, gid int) sysOp { return wrapOp(linux.FchownOp(int(fd), uid, gid)) }
func sysLinkatOp(olddir int, oldname string, newdir int, newname string) sysOp {
	return wrapOp(linux.LinkatOp(olddir, oldname, newdir, newname, 0))
}
func sysSymlinkatOp(target string, dir int, name string) sysOp {
	return wrapOp(linux.SymlinkatOp(target, dir, name))
}
func sysReadlinkatOp(dir int, name string) sysOp { return wrapOp(linux.ReadlinkatOp(dir, name)) }
func sysMkdiratOp(dir int, name string, perm fs.FileMode) sysOp {
	return wrapOp(linux.MkdiratOp(dir, name, permBits(perm)))
}
func sysUnlinkatOp(dir int, name string, isDir bool) sysOp {
	flags := 0
	if isDir {
		flags = unix.AT_REMOVEDIR
	}
	return wrapOp(linux.UnlinkatOp(dir, name, flags))
}
func sysRenameatOp(olddir int, oldname string, newdir int, newname string) sysOp {
	return wrapOp(linux.Renameat2Op(olddir, oldname, newdir, newname, 0))
}
func sysOpenatOp(dir int, name string, flag int, perm fs.FileMode) sysOp {
	return wrapOp(linux.OpenatOp(dir, name, flag|unix.O_CLOEXEC, permBits(perm)))
}

func sysReadAtOp(_ *os.File, fd uintptr, p []byte, off int64) sysOp {
	return wrapOp(linux.ReadFullOp(int(fd), p, off))
}
func sysWriteAtOp(_ *os.File, fd uintptr, p []byte, off int64) sysOp {
	return wrapOp(linux.WriteFullOp(int(fd), p, off))
}
