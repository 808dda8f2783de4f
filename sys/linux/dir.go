//go:build linux

package linux

// The mechanism of extfs's Dir on Linux. Names are resolved beneath a
// directory descriptor by OpenBeneath: openat2 with RESOLVE_BENEATH where
// the kernel has it, the component walk of internal/beneath otherwise.
// Apart from openat2, which the kernel confines, no *at call is given a
// path with a slash in it, except the one trailing slash Entry keeps, which
// those calls honour without following. The calls run in one of three
// shapes:
//
//   - AtFollow: resolve the whole name (following a final symbolic link) to
//     an O_PATH descriptor and act on the descriptor (Statx, Chmod, SetTimes).
//   - AtLookup: resolve the parent, act on (parent, base) with
//     AT_SYMLINK_NOFOLLOW (Lstatx, Lchown, LSetTimes, Readlink, Link's old name).
//   - Dirs.Entry: resolve the parent, act on (parent, base) with a system
//     call that never follows the last component (mkdirat, unlinkat,
//     renameat2, linkat's new name, symlinkat, mknodat).

import (
	"fmt"
	"io/fs"

	"github.com/extfs/extfs/internal/beneath"
	"github.com/extfs/extfs/internal/fsstat"
	"github.com/extfs/extfs/internal/unixmode"
	"golang.org/x/sys/unix"
)

// DirWalk makes OpenBeneath resolve names with the component walk even
// where the kernel has openat2, so that tests can run every case through
// both resolvers. Not safe to change while Dir operations run.
var DirWalk = false

const (
	// RESOLVE_BENEATH: no "..", absolute name or symbolic link may leave the
	// starting directory (EXDEV). RESOLVE_NO_MAGICLINKS: /proc magic links,
	// which jump to wherever their descriptor points, are refused (ELOOP).
	resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS

	// maxSymlinks is the kernel's MAXSYMLINKS: links followed in one lookup.
	maxSymlinks = 40

	// DirSearchFlags open a directory only to look names up in it: an
	// O_PATH descriptor needs search permission only.
	DirSearchFlags = unix.O_PATH | unix.O_DIRECTORY

	// openat2Tries bounds the retries of openat2's EAGAIN (see openat2Beneath).
	openat2Tries = 8
)

// Dirs resolves names beneath a directory descriptor and makes the *at
// calls there (mkdir, remove, rename, link, symlink, readlink, lchown,
// mknod), with Linux's system calls.
var Dirs = &beneath.Unix{
	Sys: dirSys{}, Rules: beneath.UnixRules(maxSymlinks), SearchFlags: DirSearchFlags,
	Calls: beneath.Calls{Close: Close, Readlinkat: Readlinkat, Mkdirat: Mkdirat, Mknodat: Mknodat,
		Symlinkat: Symlinkat, Linkat: Linkat, Fchownat: Fchownat},
	SelfPath: "", SelfFlags: unix.AT_EMPTY_PATH,
}

// OpenDir opens the directory at path (resolved as open(2) does) for a Dir
// to hold: O_PATH, so search permission suffices.
func OpenDir(path string) (int, error) {
	return Openat(unix.AT_FDCWD, path, DirSearchFlags|unix.O_CLOEXEC, 0)
}

// OpenBeneath is openat(dirfd, name, flags|O_CLOEXEC, mode) where nothing in
// name — "..", a symbolic link in any component — may lead outside dirfd:
// that is beneath.ErrEscapes. A symbolic link in the last component is
// followed unless flags has O_NOFOLLOW.
func OpenBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	return dirSys{}.OpenBeneath(dirfd, name, flags, mode)
}

func openat2Beneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	how := &unix.OpenHow{Flags: uint64(flags), Resolve: resolveBeneath}
	if flags&unix.O_CREAT != 0 || flags&unix.O_TMPFILE == unix.O_TMPFILE {
		how.Mode = uint64(mode) // openat2 refuses a mode it would not use (EINVAL)
	}
	for range openat2Tries {
		fd, err := Openat2(dirfd, name, how)
		switch err {
		case nil:
			return fd, nil
		case unix.EXDEV: // RESOLVE_BENEATH: the name or a link in it leads outside
			return -1, beneath.ErrEscapes
		case unix.EAGAIN:
			// A rename or mount during the lookup kept the kernel from
			// proving that a ".." stayed beneath; openat2(2) says retry.
			continue
		}
		return -1, err
	}
	return -1, unix.EAGAIN
}

// dirSys is beneath.UnixSys on Linux.
type dirSys struct{}

func (dirSys) OpenBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	flags |= unix.O_CLOEXEC
	if !DirWalk && Openat2Supported() {
		return openat2Beneath(dirfd, name, flags, mode)
	}
	return Dirs.Walk(dirfd, name, flags, mode)
}

func (dirSys) OpenDir(dir int, name string) (int, error) {
	return Openat(dir, name, DirSearchFlags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

func (dirSys) Openat(dir int, name string, flags int, mode uint32) (int, error) {
	return Openat(dir, name, flags, mode)
}

func (dirSys) Renameat(olddir int, oldname string, newdir int, newname string) error {
	return Renameat2(olddir, oldname, newdir, newname, 0)
}

func (dirSys) Remove(dir int, name string) error {
	err := Unlinkat(dir, name, 0)
	// Linux's unlink(2) says EISDIR for a directory, with or without a
	// trailing slash (which gives ENOTDIR for anything else).
	if err == unix.EISDIR {
		err = Unlinkat(dir, name, unix.AT_REMOVEDIR)
	}
	return err
}

// OpenedLink: O_PATH|O_NOFOLLOW opens a symbolic link itself rather than
// fail; read the target of what was opened.
func (dirSys) OpenedLink(fd, flags int) (target string, isLink bool, err error) {
	if flags&unix.O_PATH == 0 || flags&unix.O_DIRECTORY != 0 {
		return "", false, nil
	}
	var st unix.Statx_t
	if err := Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE, &st); err != nil {
		return "", false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false, nil
	}
	target, err = Readlinkat(fd, "")
	return target, err == nil, err
}

// AtFollow resolves name beneath dirfd, following symbolic links in every
// component, and runs fn with an O_PATH descriptor of the result.
func AtFollow(dirfd int, name string, fn func(fd int) error) error {
	fd, err := OpenBeneath(dirfd, name, unix.O_PATH, 0)
	if err != nil {
		return err
	}
	defer Close(fd)
	return fn(fd)
}

// AtLookup runs fn on name's last component without following it (see
// beneath.Unix.Lookup): a name that ends at a directory gives fn that
// directory's descriptor, "" and AT_EMPTY_PATH.
func AtLookup(dirfd int, name string, fn func(fd int, path string, flags int) error) error {
	return Dirs.Lookup(dirfd, name, fn)
}

// DirChmod changes the mode of name beneath dirfd, following a final link.
func DirChmod(dirfd int, name string, mode uint32) error {
	return AtFollow(dirfd, name, func(fd int) error { return chmodFd(fd, mode) })
}

// DirUtimens sets the times of name beneath dirfd, following a final link
// if follow.
func DirUtimens(dirfd int, name string, ts *[2]unix.Timespec, follow bool) error {
	if follow {
		return AtFollow(dirfd, name, func(fd int) error { return utimensAt(fd, "", ts, unix.AT_EMPTY_PATH) })
	}
	return AtLookup(dirfd, name, func(fd int, path string, flags int) error {
		return utimensAt(fd, path, ts, flags)
	})
}

// chmodFd changes the mode of the file an O_PATH descriptor refers to.
//
// fchmod(2) refuses O_PATH descriptors (EBADF). Opening the file for real to
// fchmod it is not correct either: it needs read or write permission, which
// chmod does not (the owner may chmod a mode-000 file), it blocks on a FIFO
// and it runs a device's open routine. fchmodat2(2) with AT_EMPTY_PATH
// (Linux 6.6) acts on the descriptor itself. Before it, chmodProc does what
// glibc's fchmodat(AT_SYMLINK_NOFOLLOW) does.
func chmodFd(fd int, mode uint32) error {
	err := Fchmodat(fd, "", mode, unix.AT_EMPTY_PATH)
	switch err {
	case unix.EOPNOTSUPP, unix.ENOSYS, // no fchmodat2 (before 6.6); x/sys says EOPNOTSUPP
		unix.EPERM: // or a seccomp filter older than fchmodat2; a real EPERM comes back again
		return chmodProc(fd, mode)
	}
	return err
}

// chmodProc is chmod through the descriptor's /proc/self/fd magic link. The
// kernel follows that link to the very inode the descriptor holds, not to a
// path that could have been replaced since the name was resolved.
func chmodProc(fd int, mode uint32) error {
	err := Fchmodat(unix.AT_FDCWD, procFdPath(fd), mode, 0)
	if err == unix.ENOENT {
		// The descriptor is open, so its magic link is missing only when
		// /proc is not mounted.
		return fmt.Errorf("%w (chmod in a Dir needs fchmodat2 (Linux 6.6) or /proc mounted)", err)
	}
	return err
}

// utimensAt is utimensat(2). Older kernels refuse AT_EMPTY_PATH there
// (EINVAL): the descriptor's /proc/self/fd magic link names the same inode.
func utimensAt(fd int, path string, ts *[2]unix.Timespec, flags int) error {
	err := UtimensAt(fd, path, ts, flags)
	if err == unix.EINVAL && flags&unix.AT_EMPTY_PATH != 0 {
		err = UtimensAt(unix.AT_FDCWD, procFdPath(fd), ts, 0)
	}
	return err
}

// DirStat describes name beneath dirfd, following a final link if follow.
func DirStat(dirfd int, name string, follow bool) (fsstat.Stat, error) {
	var st unix.Statx_t
	var err error
	if follow {
		err = AtFollow(dirfd, name, func(fd int) error {
			return Statx(fd, "", unix.AT_EMPTY_PATH|statxSync, statxMask, &st)
		})
	} else {
		err = AtLookup(dirfd, name, func(fd int, path string, flags int) error {
			return Statx(fd, path, flags|statxSync, statxMask, &st)
		})
	}
	if err != nil {
		return fsstat.Stat{}, err
	}
	return StatOf(&st), nil
}

// NodeType is the S_IF type of a node of the given fs.FileMode type for
// mknodat(2): a regular file for none.
func NodeType(typ fs.FileMode) uint32 { return unixmode.NodeType(typ) }
