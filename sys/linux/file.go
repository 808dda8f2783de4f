//go:build linux

package linux

// What the file operations need besides the Ops: kernel feature probes,
// mode and time conversions, and the errno rules of the xattr calls.

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"time"

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
