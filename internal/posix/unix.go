//go:build linux || freebsd || openbsd || netbsd

package posix

import (
	"errors"
	"time"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fdmode"
	"github.com/extfs/extfs/internal/fsstat"
	"github.com/extfs/extfs/internal/unixmode"
	"golang.org/x/sys/unix"
)

// Available says this package has the calls here: this is Linux or a BSD.
const Available = true

// Fstat is fstat(2).
func Fstat(fd int) (fsstat.Stat, error) {
	var st unix.Stat_t
	if err := eintr.Retry(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return fsstat.Stat{}, err
	}
	return statFrom(&st), nil
}

// Fstatat is fstatat(2) of path in dir, following a final symbolic link if
// follow. The empty path is ENOENT.
func Fstatat(dir int, path string, follow bool) (fsstat.Stat, error) {
	if path == "" {
		return fsstat.Stat{}, unix.ENOENT
	}
	flags := unix.AT_SYMLINK_NOFOLLOW
	if follow {
		flags = 0
	}
	var st unix.Stat_t
	if err := eintr.Retry(func() error { return unix.Fstatat(dir, path, &st, flags) }); err != nil {
		return fsstat.Stat{}, err
	}
	return statFrom(&st), nil
}

// statFrom converts the fields every Unix's Stat_t has, whatever their
// widths there. fstat(2) gives no birth time or attribute flags on all of
// them: those stay zero.
func statFrom(st *unix.Stat_t) fsstat.Stat {
	ts := func(t unix.Timespec) time.Time { return time.Unix(int64(t.Sec), int64(t.Nsec)) }
	return fsstat.Stat{
		Dev: uint64(st.Dev), Ino: uint64(st.Ino), Nlink: uint64(st.Nlink), Rdev: uint64(st.Rdev),
		Mode: unixmode.FileMode(uint32(st.Mode)), Uid: st.Uid, Gid: st.Gid,
		Size: st.Size, Blocks: st.Blocks, Blksize: int64(st.Blksize),
		Atime: ts(st.Atim), Mtime: ts(st.Mtim), Ctime: ts(st.Ctim),
	}
}

// GetOpenMode is fcntl(F_GETFL), read as an OpenMode.
func GetOpenMode(fd int) (OpenMode, bool) {
	r, w, a, ok := fdmode.Of(uintptr(fd))
	return OpenMode{Read: r, Write: w, Append: a}, ok
}

// KeepOffset returns what puts fd's offset back where it is now.
func KeepOffset(fd int) (restore func()) { return fdmode.KeepOffset(uintptr(fd)) }

// NoAttr reports whether err says an extended attribute does not exist
// (ENOATTR; Linux says ENODATA).
func NoAttr(err error) bool { return errors.Is(err, enoattr) }

// Fsync is fsync(2).
func Fsync(fd int) error { return eintr.Retry(func() error { return unix.Fsync(fd) }) }

// Ftruncate is ftruncate(2).
func Ftruncate(fd int, size int64) error {
	return eintr.Retry(func() error { return unix.Ftruncate(fd, size) })
}

// Fchmod is fchmod(2).
func Fchmod(fd int, mode uint32) error {
	return eintr.Retry(func() error { return unix.Fchmod(fd, mode) })
}

// Fchown is fchown(2); -1 leaves an id as it is.
func Fchown(fd, uid, gid int) error {
	return eintr.Retry(func() error { return unix.Fchown(fd, uid, gid) })
}

// Futimes sets the access and modification times of fd with futimes(2), to
// the microsecond (the call every Unix has); a zero Time keeps that time as
// fstat says it is.
func Futimes(fd int, atime, mtime time.Time) error {
	if atime.IsZero() || mtime.IsZero() {
		st, err := Fstat(fd)
		if err != nil {
			return err
		}
		if atime.IsZero() {
			atime = st.Atime
		}
		if mtime.IsZero() {
			mtime = st.Mtime
		}
	}
	// Truncated, as utimensat would store them on a filesystem keeping
	// microseconds (NsecToTimeval rounds up).
	tv := []unix.Timeval{timeval(atime), timeval(mtime)}
	return eintr.Retry(func() error { return unix.Futimes(fd, tv) })
}

func timeval(t time.Time) unix.Timeval {
	return unix.NsecToTimeval(t.Truncate(time.Microsecond).UnixNano())
}

// Linkat is linkat(2) without following oldname.
func Linkat(olddir int, oldname string, newdir int, newname string) error {
	return eintr.Retry(func() error { return unix.Linkat(olddir, oldname, newdir, newname, 0) })
}

// Symlinkat is symlinkat(2).
func Symlinkat(target string, dir int, name string) error {
	return eintr.Retry(func() error { return unix.Symlinkat(target, dir, name) })
}

// Readlinkat is readlinkat(2); it sizes the buffer itself.
func Readlinkat(dir int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := eintr.Retry1(func() (int, error) { return unix.Readlinkat(dir, name, buf) })
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// Unlinkat is unlinkat(2): an empty directory with isDir.
func Unlinkat(dir int, name string, isDir bool) error {
	flags := 0
	if isDir {
		flags = unix.AT_REMOVEDIR
	}
	return eintr.Retry(func() error { return unix.Unlinkat(dir, name, flags) })
}
