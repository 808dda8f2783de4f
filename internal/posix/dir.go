//go:build linux || freebsd || openbsd || netbsd

package posix

// The mechanism of extfs's Dir where the system has no backend of its own:
// names are resolved beneath a directory descriptor by the component walk
// of internal/beneath (O_NOFOLLOW, one component at a time), as on macOS.
// There is no O_PATH or O_SEARCH in x/sys/unix for every BSD: directories
// are opened with O_RDONLY|O_DIRECTORY, which needs read permission where
// Linux's O_PATH needs search permission only. Calls that follow a final
// symbolic link (DirStat, DirChmod, DirSetTimes with follow) resolve it
// with beneath.Unix.AtFollow and act with AT_SYMLINK_NOFOLLOW on what was
// found, so a link swapped in meanwhile is acted on itself, inside the tree.

import (
	"time"

	"github.com/extfs/extfs/internal/beneath"
	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/unix"
)

// maxSymlinks is MAXSYMLINKS (<sys/param.h>) on the BSDs: 32. (Linux's is
// 40; the walk stops sooner there, which only the tests see.)
const maxSymlinks = 32

// searchFlags open a directory to look names up in.
const searchFlags = unix.O_RDONLY | unix.O_DIRECTORY

// Dirs resolves names beneath a directory descriptor and makes the *at
// calls there.
var Dirs = &beneath.Unix{
	Sys: dirSys{}, Rules: beneath.UnixRules(maxSymlinks), SearchFlags: searchFlags,
	Calls: beneath.Calls{Close: unix.Close, Readlinkat: Readlinkat, Mkdirat: mkdirat, Mknodat: mknodat,
		Symlinkat: Symlinkat, Linkat: linkat, Fchownat: fchownat},
	SelfPath: ".", SelfFlags: unix.AT_SYMLINK_NOFOLLOW,
}

// OpenDir opens the directory at path (resolved as open(2) does) for a Dir
// to hold.
func OpenDir(path string) (int, error) {
	return openat(unix.AT_FDCWD, path, searchFlags|unix.O_CLOEXEC, 0)
}

// OpenBeneath is openat(dirfd, name, flags|O_CLOEXEC, mode) where nothing in
// name may lead outside dirfd (beneath.ErrEscapes).
func OpenBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	return Dirs.Walk(dirfd, name, flags|unix.O_CLOEXEC, mode)
}

// OpenSub opens the directory name beneath dirfd for a Dir to hold.
func OpenSub(dirfd int, name string) (int, error) { return OpenBeneath(dirfd, name, searchFlags, 0) }

// dirSys is beneath.UnixSys here.
type dirSys struct{}

func (dirSys) OpenBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	return OpenBeneath(dirfd, name, flags, mode)
}

func (dirSys) OpenDir(dir int, name string) (int, error) {
	return openat(dir, name, searchFlags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

func (dirSys) Openat(dir int, name string, flags int, mode uint32) (int, error) {
	return openat(dir, name, flags, mode)
}

// OpenedLink: O_NOFOLLOW fails on a symbolic link here, never opens it.
func (dirSys) OpenedLink(int, int) (string, bool, error) { return "", false, nil }

func (dirSys) Renameat(olddir int, oldname string, newdir int, newname string) error {
	return eintr.Retry(func() error { return unix.Renameat(olddir, oldname, newdir, newname) })
}

// Remove removes a file or an empty directory: unlink(2) refuses a
// directory (EPERM on the BSDs, EISDIR on Linux), so it is tried as one,
// and the telling error kept, as os.Remove does.
func (dirSys) Remove(dir int, name string) error {
	uerr := Unlinkat(dir, name, false)
	if uerr == nil {
		return nil
	}
	rerr := Unlinkat(dir, name, true)
	if rerr == nil || rerr != unix.ENOTDIR {
		return rerr
	}
	return uerr
}

// openat is openat(2), with the errno of O_NOFOLLOW on a symbolic link
// made ELOOP, which the walk looks for (FreeBSD says EMLINK, NetBSD EFTYPE).
func openat(dir int, name string, flags int, mode uint32) (int, error) {
	fd, err := eintr.Retry1(func() (int, error) { return unix.Openat(dir, name, flags, mode) })
	if err != nil && flags&unix.O_NOFOLLOW != 0 && (err == unix.EMLINK || err == nofollowErrno) {
		err = unix.ELOOP
	}
	return fd, err
}

// Mkdirat is mkdirat(2).
func Mkdirat(dir int, name string, mode uint32) error { return mkdirat(dir, name, mode) }

// Renameat is renameat(2).
func Renameat(olddir int, oldname string, newdir int, newname string) error {
	return dirSys{}.Renameat(olddir, oldname, newdir, newname)
}

// Openat is openat(2) with O_CLOEXEC; it returns the new descriptor.
func Openat(dir int, name string, flags int, mode uint32) (int, error) {
	return openat(dir, name, flags|unix.O_CLOEXEC, mode)
}

func mkdirat(dir int, name string, mode uint32) error {
	return eintr.Retry(func() error { return unix.Mkdirat(dir, name, mode) })
}

func linkat(olddir int, oldname string, newdir int, newname string, flags int) error {
	return eintr.Retry(func() error { return unix.Linkat(olddir, oldname, newdir, newname, flags) })
}

func fchownat(dir int, name string, uid, gid, flags int) error {
	return eintr.Retry(func() error { return unix.Fchownat(dir, name, uid, gid, flags) })
}

// DirMkdir, DirRemove, DirRename, DirLink, DirSymlink, DirReadlink,
// DirLchown and DirMknod are Dir's operations of those names (mode: S_IF*
// type and permission bits).
func DirMkdir(dirfd int, name string, mode uint32) error { return Dirs.Mkdir(dirfd, name, mode) }
func DirRemove(dirfd int, name string) error             { return Dirs.Remove(dirfd, name) }
func DirRename(od int, on string, nd int, nn string) error {
	return Dirs.Rename(od, on, nd, nn)
}
func DirLink(od int, on string, nd int, nn string) error { return Dirs.Link(od, on, nd, nn) }
func DirSymlink(target string, dirfd int, name string) error {
	return Dirs.Symlink(target, dirfd, name)
}
func DirReadlink(dirfd int, name string) (string, error) { return Dirs.Readlink(dirfd, name) }
func DirLchown(dirfd int, name string, uid, gid int) error {
	return Dirs.Lchown(dirfd, name, uid, gid)
}
func DirMknod(dirfd int, name string, mode uint32, dev uint64) error {
	return Dirs.Mknod(dirfd, name, mode, dev)
}

// at runs fn on name beneath dirfd, following a final symbolic link if
// follow; fn gets a directory and a name in it to use with
// AT_SYMLINK_NOFOLLOW.
func at(dirfd int, name string, follow bool, fn func(fd int, path string) error) error {
	if follow {
		return Dirs.AtFollow(dirfd, name, fn)
	}
	return Dirs.Lookup(dirfd, name, func(fd int, path string, _ int) error { return fn(fd, path) })
}

// DirStat describes name beneath dirfd.
func DirStat(dirfd int, name string, follow bool) (st fsstat.Stat, err error) {
	err = at(dirfd, name, follow, func(fd int, path string) (err error) {
		st, err = Fstatat(fd, path, false)
		return err
	})
	return st, err
}

// DirChmod changes the mode of name beneath dirfd, following a final link.
func DirChmod(dirfd int, name string, mode uint32) error {
	return at(dirfd, name, true, func(fd int, path string) error {
		return eintr.Retry(func() error { return unix.Fchmodat(fd, path, mode, unix.AT_SYMLINK_NOFOLLOW) })
	})
}

// DirSetTimes sets the times of name beneath dirfd; a zero Time keeps that
// time (read first: x/sys/unix has no UTIME_OMIT for NetBSD).
func DirSetTimes(dirfd int, name string, atime, mtime time.Time, follow bool) error {
	return at(dirfd, name, follow, func(fd int, path string) error {
		if atime.IsZero() || mtime.IsZero() {
			st, err := Fstatat(fd, path, false)
			if err != nil {
				return err
			}
			atime, mtime = orTime(atime, st.Atime), orTime(mtime, st.Mtime)
		}
		ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
		return eintr.Retry(func() error { return unix.UtimesNanoAt(fd, path, ts, unix.AT_SYMLINK_NOFOLLOW) })
	})
}

func orTime(t, old time.Time) time.Time {
	if t.IsZero() {
		return old
	}
	return t
}
