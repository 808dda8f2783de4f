//go:build linux

package linux

// What the file operations need besides the Ops: kernel feature probes,
// mode, time and statx conversions, extfs's Advice and AllocMode in the
// kernel's values, and the errno rules of the xattr calls.

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/extfs/extfs/internal/fsenum"
	"github.com/extfs/extfs/internal/fsstat"
	"github.com/extfs/extfs/internal/unixmode"
	"golang.org/x/sys/unix"
)

// StatxSupported reports whether statx(2) works (Linux 4.11 and later).
var StatxSupported = sync.OnceValue(func() bool {
	var st unix.Statx_t
	return unix.Statx(unix.AT_FDCWD, "/", 0, unix.STATX_BASIC_STATS, &st) == nil
})

// Openat2Supported reports whether openat2(2) works.
var Openat2Supported = sync.OnceValue(func() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC})
	if err == nil {
		unix.Close(fd)
	}
	// ENOSYS: kernel before 5.6; EPERM: a seccomp filter that predates openat2.
	return err == nil
})

// FileMode converts st_mode to an fs.FileMode the way package os does.
func FileMode(m uint32) fs.FileMode { return unixmode.FileMode(m) }

// PermBits converts the permission part of an fs.FileMode (permissions,
// setuid, setgid, sticky) to st_mode bits.
func PermBits(mode fs.FileMode) uint32 { return unixmode.PermBits(mode) }

// Timespecs is the times argument of utimensat(2) for atime and mtime: a
// zero time.Time is UTIME_OMIT ("leave it alone").
func Timespecs(atime, mtime time.Time) *[2]unix.Timespec {
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

// The kernel answers EOPNOTSUPP for a name outside these namespaces, which
// reads like "this filesystem has no xattrs".
var xattrNamespaces = []string{"user.", "trusted.", "security.", "system."}

// CheckXattrName says what is wrong with an xattr name the kernel would
// refuse for want of a namespace, or "".
func CheckXattrName(name string) string {
	for _, ns := range xattrNamespaces {
		if strings.HasPrefix(name, ns) && len(name) > len(ns) {
			return ""
		}
	}
	return fmt.Sprintf("xattr name %q needs a namespace prefix: user., trusted., security. or system.", name)
}

// XattrHint explains the EPERM Linux gives for user.* attributes on
// symbolic links and device files (fs/xattr.c allows them only on regular
// files and directories), or returns "".
func XattrHint(name string, err error) string {
	if errors.Is(err, syscall.EPERM) && strings.HasPrefix(name, "user.") {
		return "user.* attributes are allowed only on regular files and directories"
	}
	return ""
}

// IsRegular reports whether fd is a regular file.
func IsRegular(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}

// SetPollable sets O_NONBLOCK on a FIFO, socket or character device, which
// the runtime's poller can wait on, as os.OpenFile does; epoll refuses
// regular files and directories, which stay blocking.
func SetPollable(fd int) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFCHR:
		unix.SetNonblock(fd, true)
	}
}

// The extfs enumerations, in their order: Advice (AdviceNormal, Sequential,
// Random, WillNeed, DontNeed, NoReuse), the bits of AllocMode (KeepSize,
// PunchHole, ZeroRange, CollapseRange, InsertRange, UnshareRange) and those
// of XattrFlag (XattrCreate, XattrReplace).
var (
	fadvice = [...]int{
		unix.FADV_NORMAL, unix.FADV_SEQUENTIAL, unix.FADV_RANDOM,
		unix.FADV_WILLNEED, unix.FADV_DONTNEED, unix.FADV_NOREUSE,
	}
	fallocFlags = [...]uint32{
		unix.FALLOC_FL_KEEP_SIZE, unix.FALLOC_FL_PUNCH_HOLE, unix.FALLOC_FL_ZERO_RANGE,
		unix.FALLOC_FL_COLLAPSE_RANGE, unix.FALLOC_FL_INSERT_RANGE, unix.FALLOC_FL_UNSHARE_RANGE,
	}
	xattrFlags = [...]int{unix.XATTR_CREATE, unix.XATTR_REPLACE}
)

// Advice is the posix_fadvise(2) advice of extfs's Advice a (a valid one).
func Advice(a int) int { return fadvice[a] }

// AllocFlags is the fallocate(2) mode of extfs's AllocMode m.
func AllocFlags(m uint32) (mode uint32) {
	for i, fl := range fallocFlags {
		if m&(1<<i) != 0 {
			mode |= fl
		}
	}
	return mode
}

// setxattrFlags is the setxattr(2) flags of extfs's XattrFlag f.
func setxattrFlags(f fsenum.XattrFlag) (flags int) {
	for i, fl := range xattrFlags {
		if f&(1<<i) != 0 {
			flags |= fl
		}
	}
	return flags
}

// UnlinkFlags is the unlinkat(2) flags that remove a directory, if isDir,
// or any other file.
func UnlinkFlags(isDir bool) int {
	if isDir {
		return unix.AT_REMOVEDIR
	}
	return 0
}

// statxMask is what an fsstat.Stat needs of statx(2); statxSync
// (AT_STATX_SYNC_AS_STAT) asks for what stat(2) would say, talking to a
// network filesystem's server if it must.
const (
	statxMask = unix.STATX_BASIC_STATS | unix.STATX_BTIME
	statxSync = unix.AT_STATX_SYNC_AS_STAT
)

// StatOf converts what statx(2) filled in.
func StatOf(st *unix.Statx_t) fsstat.Stat {
	ts := func(t unix.StatxTimestamp) time.Time { return time.Unix(t.Sec, int64(t.Nsec)) }
	s := fsstat.Stat{
		Dev: unix.Mkdev(st.Dev_major, st.Dev_minor), Ino: st.Ino, Mode: FileMode(uint32(st.Mode)),
		Nlink: uint64(st.Nlink), Uid: st.Uid, Gid: st.Gid, Rdev: unix.Mkdev(st.Rdev_major, st.Rdev_minor),
		Size: int64(st.Size), Blocks: int64(st.Blocks), Blksize: int64(st.Blksize),
		Atime: ts(st.Atime), Mtime: ts(st.Mtime), Ctime: ts(st.Ctime),
		Attributes: st.Attributes, AttributesMask: st.Attributes_mask,
	}
	if st.Mask&unix.STATX_BTIME != 0 {
		s.Btime = ts(st.Btime)
	}
	return s
}

// Fstat describes the open file fd (statx(2) with AT_EMPTY_PATH).
func Fstat(fd int) (fsstat.Stat, error) { return statx(fd, "", unix.AT_EMPTY_PATH) }

// Statat describes path in dir, following a final symbolic link if follow.
func Statat(dir int, path string, follow bool) (fsstat.Stat, error) {
	if path == "" {
		return fsstat.Stat{}, unix.ENOENT // statx with an empty path and no AT_EMPTY_PATH
	}
	return statx(dir, path, nofollow(follow))
}

func statx(dir int, path string, flags int) (fsstat.Stat, error) {
	var st unix.Statx_t
	if err := Statx(dir, path, flags|statxSync, statxMask, &st); err != nil {
		return fsstat.Stat{}, err
	}
	return StatOf(&st), nil
}

// FstatOp and StatatOp are Fstat and Statat as Ops (without Statat's check
// of an empty path: the kernel's ENOENT says the same); Op.Stat gives the
// result.
func FstatOp(fd int) *Op {
	return StatxOp(fd, "", unix.AT_EMPTY_PATH|statxSync, statxMask, new(unix.Statx_t))
}

func StatatOp(dir int, path string, follow bool) *Op {
	return StatxOp(dir, path, nofollow(follow)|statxSync, statxMask, new(unix.Statx_t))
}

// Stat returns what a statx Op that succeeded says; ok is false for any
// other Op.
func (op *Op) Stat() (st fsstat.Stat, ok bool) {
	if op == nil || op.st == nil || op.err != nil {
		return fsstat.Stat{}, false
	}
	return StatOf(op.st), true
}

func nofollow(follow bool) int {
	if follow {
		return 0
	}
	return unix.AT_SYMLINK_NOFOLLOW
}
