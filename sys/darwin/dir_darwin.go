package darwin

// The mechanism of extfs's Dir on macOS. macOS has no openat2: names are
// resolved beneath a directory descriptor by the component walk of
// internal/beneath, one component at a time with O_NOFOLLOW. Directories
// are opened with O_SEARCH, macOS's counterpart of Linux's O_PATH for
// directories (search permission suffices from macOS 13; macOS 12 ignores
// the flag and checks read permission too).
//
// macOS has no O_PATH for other files, and no AT_EMPTY_PATH, so the calls
// but OpenBeneath act on a directory and a name in it, with the *at calls
// and AT_SYMLINK_NOFOLLOW, in one of three shapes:
//
//   - AtFollow: resolve the name, following symbolic links in every
//     component, the last one included, to the directory holding what it
//     names and its name there, which was not a symbolic link when looked at
//     (Statx, Chmod, SetTimes). Should it be replaced by one before the call,
//     the call acts on the link itself, which is inside the tree (os.Root
//     has the same race).
//   - AtLookup: the parent's descriptor and the last component (Lstatx,
//     Lchown, LSetTimes, Readlink, Link's old name).
//   - Dirs.Entry: the same, for calls that create, remove or rename the
//     entry (mkdirat, unlinkat, renameat, linkat's new name, symlinkat,
//     mknod).
//
// A name that must end at a directory (a trailing slash, ".", "..") is
// resolved whole, to a descriptor D of that directory, and the call acts on
// (D, "."): "." names D itself and is never a symbolic link.

import (
	"io/fs"

	"github.com/extfs/extfs/internal/beneath"
	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/unix"
)

// maxSymlinks is macOS's MAXSYMLINKS (<sys/param.h>): links followed in one
// lookup.
const maxSymlinks = 32

// Dirs resolves names beneath a directory descriptor and makes the *at
// calls there (mkdir, remove, rename, link, symlink, readlink, lchown,
// mknod), with macOS's system calls.
var Dirs = &beneath.Unix{
	Sys: dirSys{}, Rules: beneath.UnixRules(maxSymlinks), SearchFlags: unix.O_SEARCH,
	Calls: beneath.Calls{Close: Close, Readlinkat: Readlinkat, Mkdirat: Mkdirat, Mknodat: Mknodat,
		Symlinkat: Symlinkat, Linkat: Linkat, Fchownat: Fchownat},
	SelfPath: ".", SelfFlags: unix.AT_SYMLINK_NOFOLLOW,
}

// OpenDir opens the directory at path (resolved as open(2) does) for a Dir
// to hold.
func OpenDir(path string) (int, error) {
	return Openat(unix.AT_FDCWD, path, unix.O_SEARCH|unix.O_CLOEXEC, 0)
}

// OpenBeneath is openat(dirfd, name, flags|O_CLOEXEC, mode) where nothing in
// name — "..", a symbolic link in any component — may lead outside dirfd:
// that is beneath.ErrEscapes. A symbolic link in the last component is
// followed unless flags has O_NOFOLLOW or O_SYMLINK.
func OpenBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	if flags&unix.O_SYMLINK != 0 {
		// O_SYMLINK opens a symbolic link itself: the walk must not follow
		// it either (see dirSys.Openat).
		flags |= unix.O_NOFOLLOW
	}
	return dirSys{}.OpenBeneath(dirfd, name, flags, mode)
}

// dirSys is beneath.UnixSys on macOS.
type dirSys struct{}

func (dirSys) OpenBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	return Dirs.Walk(dirfd, name, flags|unix.O_CLOEXEC, mode)
}

func (dirSys) OpenDir(dir int, name string) (int, error) {
	fd, err := Openat(dir, name, unix.O_SEARCH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	return fd, WalkDirErr(err)
}

func (dirSys) Openat(dir int, name string, flags int, mode uint32) (int, error) {
	if flags&unix.O_SYMLINK != 0 {
		// O_SYMLINK never follows the last component, and the walk gives
		// one component: without O_NOFOLLOW, which the walk adds, the kernel
		// has no reason to refuse a symbolic link there.
		flags &^= unix.O_NOFOLLOW
	}
	return Openat(dir, name, flags, mode)
}

func (dirSys) Renameat(olddir int, oldname string, newdir int, newname string) error {
	return Renameat(olddir, oldname, newdir, newname)
}

func (dirSys) Remove(dir int, name string) error {
	err := Unlinkat(dir, name, 0)
	if err == nil {
		return nil
	}
	// macOS's unlink(2) says EPERM for a directory: try it as one, and pick
	// the telling error, as os.Remove does.
	return RemoveErr(err, Unlinkat(dir, name, unix.AT_REMOVEDIR))
}

// OpenedLink: an open with O_NOFOLLOW fails on a symbolic link on macOS
// (ELOOP); O_SYMLINK opens one, but OpenBeneath then asks the walk not to
// follow it.
func (dirSys) OpenedLink(fd, flags int) (string, bool, error) { return "", false, nil }

// AtFollow resolves name beneath dirfd, following symbolic links in every
// component, the last one included, and runs fn with the descriptor of the
// directory holding the result and the result's name in it (see the top of
// this file).
func AtFollow(dirfd int, name string, fn func(fd int, path string) error) error {
	links := 0
	for {
		if beneath.EndsAtDir(name) {
			return atDir(dirfd, name, fn)
		}
		parent, base, _ := beneath.SplitLast(name)
		var target string
		var isLink bool
		err := Dirs.InParent(dirfd, parent, base, func(pfd int, base string) error {
			t, lerr := Readlinkat(pfd, base)
			if lerr != nil {
				// Not a symbolic link (EINVAL), or not there: fn gives the answer.
				return fn(pfd, base)
			}
			target, isLink = t, true
			return nil
		})
		if err != nil || !isLink {
			return err
		}
		// A symbolic link: go on with its target, which is relative to the
		// link's directory, if the walk would follow it.
		if err := Dirs.Rules.Follow(&beneath.Link{Target: target}, &links); err != nil {
			return err
		}
		name = parent + target
	}
}

// AtLookup runs fn on name's last component without following it, for
// calls made with AT_SYMLINK_NOFOLLOW (see beneath.Unix.Lookup): a name that
// ends at a directory gives fn that directory's descriptor and ".".
func AtLookup(dirfd int, name string, fn func(fd int, path string) error) error {
	return Dirs.Lookup(dirfd, name, func(fd int, path string, _ int) error { return fn(fd, path) })
}

// atDir resolves name, which must end at a directory, beneath dirfd, and
// runs fn with that directory's descriptor and ".", which names it.
func atDir(dirfd int, name string, fn func(fd int, path string) error) error {
	return Dirs.InDir(dirfd, name, func(fd int) error { return fn(fd, ".") })
}

// DirStat describes name beneath dirfd for extfs.Stat (Stat.Info),
// following a final link if follow.
func DirStat(dirfd int, name string, follow bool) (fsstat.Stat, error) {
	var st Stat
	stat := func(fd int, path string) (err error) {
		st, err = Fstatat(fd, path, unix.AT_SYMLINK_NOFOLLOW)
		return err
	}
	at := AtLookup
	if follow {
		at = AtFollow
	}
	err := at(dirfd, name, stat)
	return info(st, err)
}

// DirChmod changes the mode of name beneath dirfd, following a final link.
func DirChmod(dirfd int, name string, mode uint32) error {
	return AtFollow(dirfd, name, func(fd int, path string) error {
		return Fchmodat(fd, path, mode, unix.AT_SYMLINK_NOFOLLOW)
	})
}

// DirUtimens sets the times of name beneath dirfd, following a final link
// if follow. It keeps nanoseconds and UTIME_OMIT.
func DirUtimens(dirfd int, name string, ts [2]Timespec, follow bool) error {
	set := func(fd int, path string) error { return UtimensAt(fd, path, ts, unix.AT_SYMLINK_NOFOLLOW) }
	if follow {
		return AtFollow(dirfd, name, set)
	}
	return AtLookup(dirfd, name, set)
}

// Mknod makes the node name beneath dirfd, of mode's type and permission
// bits (NodeType), with device number dev.
func Mknod(dirfd int, name string, mode fs.FileMode, dev uint64) error {
	typ, err := NodeType(mode, dev)
	if err != nil {
		return err
	}
	return Dirs.Mknod(dirfd, name, typ|PermBits(mode), dev)
}
