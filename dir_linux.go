//go:build linux

package extfs

// Dir on Linux. Names are resolved beneath the Dir's descriptor by
// openBeneath: openat2 with RESOLVE_BENEATH where the kernel has it, walkOpen
// (one component at a time, dir_unix.go, shared with macOS) otherwise.
// OpenFile and OpenDir are one
// openBeneath; the other methods run in one of three shapes:
//
//   - atFollow: resolve the whole name (following a final symbolic link) to an
//     O_PATH descriptor and act on the descriptor (Statx, Chmod, SetTimes).
//   - atLookup: resolve the parent, act on (parent, base) with
//     AT_SYMLINK_NOFOLLOW (Lstatx, Lchown, LSetTimes, Readlink, Link's old name).
//   - atEntry (dir_unix.go): resolve the parent, act on (parent, base) with a
//     system call that never follows the last component (mkdirat, unlinkat,
//     renameat2, linkat's new name, symlinkat, mknodat).
//
// Apart from openat2, which the kernel confines, no *at call is given a path
// with a slash in it, except the one trailing slash atEntry keeps, which
// those calls honour without following.

import (
	"io/fs"
	"math"
	"strconv"
	"time"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

// dirWalk makes every Dir resolve names with walkOpen even where the kernel
// has openat2, so that tests can run every case through both resolvers.
var dirWalk = false

const (
	// RESOLVE_BENEATH: no "..", absolute name or symbolic link may leave the
	// starting directory (EXDEV). RESOLVE_NO_MAGICLINKS: /proc magic links,
	// which jump to wherever their descriptor points, are refused (ELOOP).
	resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS

	// maxSymlinks is the kernel's MAXSYMLINKS: links followed in one lookup.
	maxSymlinks = 40

	// dirSearchFlags open a directory only to look names up in it: an
	// O_PATH descriptor needs search permission only.
	dirSearchFlags = unix.O_PATH | unix.O_DIRECTORY

	// openat2Tries bounds the retries of openat2's EAGAIN (see openat2Beneath).
	openat2Tries = 8
)

func sysOpenDir(path string) (uintptr, error) {
	fd, err := linux.Openat(unix.AT_FDCWD, path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

func sysDirOpenFile(dirfd int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	fd, err := openBeneath(dirfd, name, flag, permBits(perm))
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

func sysDirOpenDir(dirfd int, name string) (uintptr, error) {
	return sysDirOpenFile(dirfd, name, unix.O_PATH|unix.O_DIRECTORY, 0)
}

func sysDirMkdir(dirfd int, name string, perm fs.FileMode) error {
	return atEntry(dirfd, name, func(pfd int, base string) error {
		return linux.Mkdirat(pfd, base, permBits(perm))
	})
}

func sysDirRemove(dirfd int, name string) error {
	return atEntry(dirfd, name, func(pfd int, base string) error {
		err := linux.Unlinkat(pfd, base, 0)
		// Linux's unlink(2) says EISDIR for a directory, with or without a
		// trailing slash (which gives ENOTDIR for anything else).
		if err == unix.EISDIR {
			err = linux.Unlinkat(pfd, base, unix.AT_REMOVEDIR)
		}
		return err
	})
}

func sysDirRename(olddirfd int, oldname string, newdirfd int, newname string) error {
	return atEntry(olddirfd, oldname, func(oldfd int, oldbase string) error {
		return atEntry(newdirfd, newname, func(newfd int, newbase string) error {
			return linux.Renameat2(oldfd, oldbase, newfd, newbase, 0)
		})
	})
}

func sysDirLink(olddirfd int, oldname string, newdirfd int, newname string) error {
	return atLookup(olddirfd, oldname, func(oldfd int, oldpath string, flags int) error {
		if flags&unix.AT_EMPTY_PATH != 0 {
			// oldname resolved as a directory (see atLookup), which cannot
			// have hard links. linkat(AT_EMPTY_PATH) would say so as EPERM
			// only with CAP_DAC_READ_SEARCH, and ENOENT without it.
			return unix.EPERM
		}
		return atEntry(newdirfd, newname, func(newfd int, newbase string) error {
			return linux.Linkat(oldfd, oldpath, newfd, newbase, 0) // 0: never follow oldpath
		})
	})
}

func sysDirSymlink(target string, dirfd int, name string) error {
	return atEntry(dirfd, name, func(pfd int, base string) error {
		return linux.Symlinkat(target, pfd, base)
	})
}

func sysDirReadlink(dirfd int, name string) (string, error) {
	var target string
	err := atLookup(dirfd, name, func(fd int, path string, flags int) (err error) {
		if flags&unix.AT_EMPTY_PATH != 0 {
			return unix.EINVAL // a directory (see atLookup): readlink(2)'s "not a symbolic link"
		}
		target, err = linux.Readlinkat(fd, path)
		return err
	})
	return target, err
}

func sysDirStat(dirfd int, name string, follow bool) (*Stat, error) {
	var st *Stat
	var err error
	if follow {
		err = atFollow(dirfd, name, func(fd int) (err error) {
			st, err = statx(fd, "", unix.AT_EMPTY_PATH)
			return err
		})
	} else {
		err = atLookup(dirfd, name, func(fd int, path string, flags int) (err error) {
			st, err = statx(fd, path, flags)
			return err
		})
	}
	return st, err
}

func sysDirChmod(dirfd int, name string, mode fs.FileMode) error {
	return atFollow(dirfd, name, func(fd int) error { return chmodFd(fd, permBits(mode)) })
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
	err := linux.Fchmodat(fd, "", mode, unix.AT_EMPTY_PATH)
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
	err := linux.Fchmodat(unix.AT_FDCWD, procFdPath(fd), mode, 0)
	if err == unix.ENOENT {
		// The descriptor is open, so its magic link is missing only when
		// /proc is not mounted.
		return &hintError{err: err, hint: "chmod in a Dir needs fchmodat2 (Linux 6.6) or /proc mounted"}
	}
	return err
}

func procFdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

func sysDirLchown(dirfd int, name string, uid, gid int) error {
	return atLookup(dirfd, name, func(fd int, path string, flags int) error {
		return linux.Fchownat(fd, path, uid, gid, flags)
	})
}

func sysDirSetTimes(dirfd int, name string, atime, mtime time.Time, follow bool) error {
	ts := timespecs(atime, mtime)
	if follow {
		return atFollow(dirfd, name, func(fd int) error { return utimensAt(fd, "", ts, unix.AT_EMPTY_PATH) })
	}
	return atLookup(dirfd, name, func(fd int, path string, flags int) error {
		return utimensAt(fd, path, ts, flags)
	})
}

// utimensAt is utimensat(2). Older kernels refuse AT_EMPTY_PATH there
// (EINVAL): the descriptor's /proc/self/fd magic link names the same inode.
func utimensAt(fd int, path string, ts *[2]unix.Timespec, flags int) error {
	err := linux.UtimensAt(fd, path, ts, flags)
	if err == unix.EINVAL && flags&unix.AT_EMPTY_PATH != 0 {
		err = linux.UtimensAt(unix.AT_FDCWD, procFdPath(fd), ts, 0)
	}
	return err
}

func sysDirMknod(dirfd int, name string, mode fs.FileMode, dev uint64) error {
	if dev > math.MaxUint32 {
		// mknodat(2) takes a 32-bit dev_t (12-bit major, 20-bit minor).
		return errInvalid("mknod: device number %#x does not fit Linux's 32-bit dev_t", dev)
	}
	m := permBits(mode)
	switch mode.Type() {
	case 0:
		m |= unix.S_IFREG
	case fs.ModeNamedPipe:
		m |= unix.S_IFIFO
	case fs.ModeDevice:
		m |= unix.S_IFBLK
	case fs.ModeDevice | fs.ModeCharDevice:
		m |= unix.S_IFCHR
	}
	return atEntry(dirfd, name, func(pfd int, base string) error {
		return linux.Mknodat(pfd, base, m, dev)
	})
}

// atFollow resolves name beneath dirfd, following symbolic links in every
// component, and runs fn with an O_PATH descriptor of the result.
func atFollow(dirfd int, name string, fn func(fd int) error) error {
	fd, err := openBeneath(dirfd, name, unix.O_PATH, 0)
	if err != nil {
		return err
	}
	defer linux.Close(fd)
	return fn(fd)
}

// atLookup runs fn on name's last component without following it: with the
// parent's descriptor, the base name and AT_SYMLINK_NOFOLLOW.
//
// A trailing slash, or a last component "." or "..", makes the kernel follow
// the last component whatever the flags say (and need a directory). Passing
// such a name to the kernel could follow a symbolic link out of the tree, so
// then name is resolved whole, beneath dirfd, as a directory, and fn gets its
// descriptor, "" and AT_EMPTY_PATH.
func atLookup(dirfd int, name string, fn func(fd int, path string, flags int) error) error {
	parent, base, slash := splitLast(name)
	if slash || base == "." || base == ".." {
		fd, err := openBeneath(dirfd, name, dirSearchFlags, 0)
		if err != nil {
			return err
		}
		defer linux.Close(fd)
		return fn(fd, "", unix.AT_EMPTY_PATH)
	}
	pfd, err := openParent(dirfd, parent)
	if err != nil {
		return err
	}
	defer closeParent(dirfd, pfd)
	return fn(pfd, base, unix.AT_SYMLINK_NOFOLLOW)
}

// openBeneath is openat(dirfd, name, flags|O_CLOEXEC, mode) where nothing in
// name — "..", a symbolic link in any component — may lead outside dirfd:
// that is ErrEscapes. A symbolic link in the last component is followed
// unless flags has O_NOFOLLOW.
func openBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	flags |= unix.O_CLOEXEC
	if !dirWalk && probeOpenat2() {
		return openat2Beneath(dirfd, name, flags, mode)
	}
	return walkOpen(dirfd, name, flags, mode)
}

func openat2Beneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	how := &unix.OpenHow{Flags: uint64(flags), Resolve: resolveBeneath}
	if flags&unix.O_CREAT != 0 || flags&unix.O_TMPFILE == unix.O_TMPFILE {
		how.Mode = uint64(mode) // openat2 refuses a mode it would not use (EINVAL)
	}
	for range openat2Tries {
		fd, err := linux.Openat2(dirfd, name, how)
		switch err {
		case nil:
			return fd, nil
		case unix.EXDEV: // RESOLVE_BENEATH: the name or a link in it leads outside
			return -1, ErrEscapes
		case unix.EAGAIN:
			// A rename or mount during the lookup kept the kernel from
			// proving that a ".." stayed beneath; openat2(2) says retry.
			continue
		}
		return -1, err
	}
	return -1, unix.EAGAIN
}

// The system calls of walkOpen (dir_unix.go).

func sysWalkOpenDir(dir int, name string) (int, error) {
	return linux.Openat(dir, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

func sysWalkOpenat(dir int, name string, flags int, mode uint32) (int, error) {
	return linux.Openat(dir, name, flags, mode)
}

func sysWalkReadlinkat(dir int, name string) (string, error) { return linux.Readlinkat(dir, name) }

func sysWalkClose(fd int) { linux.Close(fd) }

// sysWalkOpenedLink: O_PATH|O_NOFOLLOW opens a symbolic link itself rather
// than fail.
func sysWalkOpenedLink(fd, flags int) (target string, isLink bool, err error) {
	if flags&unix.O_PATH == 0 || flags&unix.O_DIRECTORY != 0 {
		return "", false, nil
	}
	return linkTarget(fd)
}

// linkTarget reads the target of the symbolic link an O_PATH descriptor
// refers to; isLink is false for anything else.
func linkTarget(fd int) (target string, isLink bool, err error) {
	var st unix.Statx_t
	if err := linux.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE, &st); err != nil {
		return "", false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false, nil
	}
	target, err = linux.Readlinkat(fd, "")
	return target, err == nil, err
}
