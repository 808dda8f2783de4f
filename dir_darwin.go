//go:build darwin

package extfs

// Dir on macOS. macOS has no openat2: names are resolved beneath the Dir's
// descriptor by walkOpen (dir_unix.go), one component at a time with
// O_NOFOLLOW, symbolic links read and expanded by extfs. Directories are
// opened with O_SEARCH, macOS's counterpart of Linux's O_PATH for
// directories (search permission suffices from macOS 13; macOS 12 ignores
// the flag and checks read permission too).
//
// macOS has no O_PATH for other files, and no AT_EMPTY_PATH, so the methods
// but OpenFile and OpenDir act on a directory and a name in it, with the *at
// calls and AT_SYMLINK_NOFOLLOW, in one of three shapes:
//
//   - atFollow: resolve the name, following symbolic links in every
//     component, the last one included, to the directory holding what it
//     names and its name there, which was not a symbolic link when looked at
//     (Statx, Chmod, SetTimes). Should it be replaced by one before the call,
//     the call acts on the link itself, which is inside the tree (os.Root
//     has the same race).
//   - atLookup: the parent's descriptor and the last component (Lstatx,
//     Lchown, LSetTimes, Readlink, Link's old name).
//   - atEntry (dir_unix.go): the same, for calls that create, remove or
//     rename the entry (mkdirat, unlinkat, renameat, linkat's new name,
//     symlinkat, mknod).
//
// A name that must end at a directory (a trailing slash, ".", "..") is
// resolved whole, to a descriptor D of that directory, and the call acts on
// (D, "."): "." names D itself and is never a symbolic link.

import (
	"io/fs"
	"time"

	"github.com/extfs/extfs/sys/darwin"
	"golang.org/x/sys/unix"
)

const (
	// maxSymlinks is macOS's MAXSYMLINKS (<sys/param.h>): links followed in
	// one lookup.
	maxSymlinks = 32

	// dirSearchFlags open a directory only to look names up in it
	// (O_EXEC|O_DIRECTORY).
	dirSearchFlags = unix.O_SEARCH
)

// openBeneath is openat(dirfd, name, flags|O_CLOEXEC, mode) where nothing in
// name — "..", a symbolic link in any component — may lead outside dirfd:
// that is ErrEscapes. A symbolic link in the last component is followed
// unless flags has O_NOFOLLOW.
func openBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	return walkOpen(dirfd, name, flags|unix.O_CLOEXEC, mode)
}

func sysOpenDir(path string) (uintptr, error) {
	fd, err := darwin.Openat(unix.AT_FDCWD, path, unix.O_SEARCH|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

func sysDirOpenFile(dirfd int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	if flag&unix.O_SYMLINK != 0 {
		// O_SYMLINK opens a symbolic link itself: walkOpen must not follow
		// it either (see sysWalkOpenat).
		flag |= unix.O_NOFOLLOW
	}
	fd, err := openBeneath(dirfd, name, flag, darwin.PermBits(perm))
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

func sysDirOpenDir(dirfd int, name string) (uintptr, error) {
	return sysDirOpenFile(dirfd, name, unix.O_SEARCH, 0)
}

func sysDirMkdir(dirfd int, name string, perm fs.FileMode) error {
	return atEntry(dirfd, name, func(pfd int, base string) error {
		return darwin.Mkdirat(pfd, base, darwin.PermBits(perm))
	})
}

func sysDirRemove(dirfd int, name string) error {
	return atEntry(dirfd, name, func(pfd int, base string) error {
		err := darwin.Unlinkat(pfd, base, 0)
		if err == nil {
			return nil
		}
		// macOS's unlink(2) says EPERM for a directory: try it as one, and
		// pick the telling error, as os.Remove does.
		return darwin.RemoveErr(err, darwin.Unlinkat(pfd, base, unix.AT_REMOVEDIR))
	})
}

func sysDirRename(olddirfd int, oldname string, newdirfd int, newname string) error {
	return atEntry(olddirfd, oldname, func(oldfd int, oldbase string) error {
		return atEntry(newdirfd, newname, func(newfd int, newbase string) error {
			return darwin.Renameat(oldfd, oldbase, newfd, newbase)
		})
	})
}

func sysDirLink(olddirfd int, oldname string, newdirfd int, newname string) error {
	return atLookup(olddirfd, oldname, func(oldfd int, oldpath string) error {
		if oldpath == "." {
			return unix.EPERM // oldname resolved as a directory (see atLookup): no hard links to those
		}
		return atEntry(newdirfd, newname, func(newfd int, newbase string) error {
			return darwin.Linkat(oldfd, oldpath, newfd, newbase, 0) // 0: never follow oldpath
		})
	})
}

func sysDirSymlink(target string, dirfd int, name string) error {
	return atEntry(dirfd, name, func(pfd int, base string) error {
		return darwin.Symlinkat(target, pfd, base)
	})
}

func sysDirReadlink(dirfd int, name string) (string, error) {
	var target string
	err := atLookup(dirfd, name, func(fd int, path string) (err error) {
		if path == "." {
			return unix.EINVAL // a directory (see atLookup): readlink(2)'s "not a symbolic link"
		}
		target, err = darwin.Readlinkat(fd, path)
		return err
	})
	return target, err
}

func sysDirStat(dirfd int, name string, follow bool) (*Stat, error) {
	var st darwin.Stat
	stat := func(fd int, path string) (err error) {
		st, err = darwin.Fstatat(fd, path, unix.AT_SYMLINK_NOFOLLOW)
		return err
	}
	var err error
	if follow {
		err = atFollow(dirfd, name, stat)
	} else {
		err = atLookup(dirfd, name, stat)
	}
	if err != nil {
		return nil, err
	}
	return statFromDarwin(&st), nil
}

func sysDirChmod(dirfd int, name string, mode fs.FileMode) error {
	return atFollow(dirfd, name, func(fd int, path string) error {
		return darwin.Fchmodat(fd, path, darwin.PermBits(mode), unix.AT_SYMLINK_NOFOLLOW)
	})
}

func sysDirLchown(dirfd int, name string, uid, gid int) error {
	return atLookup(dirfd, name, func(fd int, path string) error {
		return darwin.Fchownat(fd, path, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	})
}

// sysDirSetTimes keeps nanoseconds and UTIME_OMIT: utimensat(2) on a
// directory and a name.
func sysDirSetTimes(dirfd int, name string, atime, mtime time.Time, follow bool) error {
	ts := darwin.Timespecs(atime, mtime)
	set := func(fd int, path string) error {
		return darwin.UtimensAt(fd, path, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	if follow {
		return atFollow(dirfd, name, set)
	}
	return atLookup(dirfd, name, set)
}

func sysDirMknod(dirfd int, name string, mode fs.FileMode, dev uint64) error {
	typ, err := darwinNodeType(mode, dev)
	if err != nil {
		return err
	}
	return atEntry(dirfd, name, func(pfd int, base string) error {
		return darwin.Mknodat(pfd, base, typ|darwin.PermBits(mode), dev)
	})
}

// atFollow resolves name beneath dirfd, following symbolic links in every
// component, the last one included, and runs fn with the descriptor of the
// directory holding the result and the result's name in it (see the top of
// this file).
func atFollow(dirfd int, name string, fn func(fd int, path string) error) error {
	links := 0
	for {
		parent, base, slash := splitLast(name)
		if slash || base == "." || base == ".." {
			return atDir(dirfd, name, fn)
		}
		pfd, err := openParent(dirfd, parent)
		if err != nil {
			return err
		}
		target, lerr := darwin.Readlinkat(pfd, base)
		if lerr != nil {
			// Not a symbolic link (EINVAL), or not there: fn gives the answer.
			err = fn(pfd, base)
			closeParent(dirfd, pfd)
			return err
		}
		closeParent(dirfd, pfd)
		// A symbolic link: go on with its target, which is relative to the
		// link's directory. expandLink counts it and refuses what walkOpen
		// refuses (an absolute target, too many links).
		if _, _, err := expandLink(target, nil, false, &links); err != nil {
			return err
		}
		name = parent + target
	}
}

// atLookup runs fn on name's last component without following it: with the
// parent's descriptor and the base name, for calls made with
// AT_SYMLINK_NOFOLLOW.
//
// A trailing slash, or a last component "." or "..", makes the kernel follow
// the last component whatever the flags say (and need a directory). Passing
// such a name to the kernel could follow a symbolic link out of the tree, so
// then name is resolved whole (atDir).
func atLookup(dirfd int, name string, fn func(fd int, path string) error) error {
	parent, base, slash := splitLast(name)
	if slash || base == "." || base == ".." {
		return atDir(dirfd, name, fn)
	}
	pfd, err := openParent(dirfd, parent)
	if err != nil {
		return err
	}
	defer closeParent(dirfd, pfd)
	return fn(pfd, base)
}

// atDir resolves name, which must end at a directory, beneath dirfd, and
// runs fn with that directory's descriptor and ".", which names it.
func atDir(dirfd int, name string, fn func(fd int, path string) error) error {
	fd, err := openBeneath(dirfd, name, dirSearchFlags, 0)
	if err != nil {
		return err
	}
	defer sysWalkClose(fd)
	return fn(fd, ".")
}

// The system calls of walkOpen (dir_unix.go).

func sysWalkOpenDir(dir int, name string) (int, error) {
	fd, err := darwin.Openat(dir, name, unix.O_SEARCH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	return fd, darwin.WalkDirErr(err)
}

func sysWalkOpenat(dir int, name string, flags int, mode uint32) (int, error) {
	if flags&unix.O_SYMLINK != 0 {
		// O_SYMLINK never follows the last component, and walkOpen gives
		// one component: without O_NOFOLLOW, which the walk adds, the kernel
		// has no reason to refuse a symbolic link there.
		flags &^= unix.O_NOFOLLOW
	}
	return darwin.Openat(dir, name, flags, mode)
}

func sysWalkReadlinkat(dir int, name string) (string, error) { return darwin.Readlinkat(dir, name) }

func sysWalkClose(fd int) { darwin.Close(fd) }

// sysWalkOpenedLink: an open with O_NOFOLLOW fails on a symbolic link on
// macOS (ELOOP); O_SYMLINK opens one, but sysDirOpenFile then asks walkOpen
// not to follow it.
func sysWalkOpenedLink(fd, flags int) (target string, isLink bool, err error) {
	return "", false, nil
}
