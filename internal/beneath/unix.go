//go:build linux || darwin || freebsd || openbsd || netbsd

package beneath

import (
	"strings"

	"golang.org/x/sys/unix"
)

// What Linux and macOS share: the walk with open(2)'s flags, and the shape
// of the calls that act on a directory entry. On Linux the walk stands in
// for openat2(RESOLVE_BENEATH) where the kernel lacks it; on macOS, which
// has no such call, it is the resolver.

// UnixRules are the path rules of a Unix whose lookups follow at most
// maxLinks symbolic links.
func UnixRules(maxLinks int) Rules {
	return Rules{
		IsSep:    func(c byte) bool { return c == '/' },
		IsAbs:    func(name string) bool { return name != "" && name[0] == '/' },
		MaxLinks: maxLinks,
	}
}

// UnixSys is what differs between Unixes in Unix's opens, renames and
// removals.
type UnixSys interface {
	// OpenDir opens the directory name in dir to look names up in, with
	// O_NOFOLLOW|O_CLOEXEC: a symbolic link fails (ENOTDIR or ELOOP).
	OpenDir(dir int, name string) (int, error)
	Openat(dir int, name string, flags int, mode uint32) (int, error)
	// OpenedLink reports whether an open with O_NOFOLLOW and flags
	// returned a symbolic link itself (Linux's O_PATH does), and its target.
	OpenedLink(fd, flags int) (target string, isLink bool, err error)
	// OpenBeneath is the system's resolver: openat(dirfd, name, flags,
	// mode) with nothing in name leading outside dirfd (openat2 where the
	// kernel has it, Unix.Walk otherwise).
	OpenBeneath(dirfd int, name string, flags int, mode uint32) (int, error)
	Renameat(olddir int, oldname string, newdir int, newname string) error
	// Remove removes the entry name of dir, a file or an empty directory,
	// with the system's errno rules.
	Remove(dir int, name string) error
}

// Calls are the *at system calls, as sys/<os> makes them, that every Unix
// has in the same shape.
type Calls struct {
	Close      func(fd int) error
	Readlinkat func(dir int, name string) (string, error)
	Mkdirat    func(dir int, name string, mode uint32) error
	Mknodat    func(dir int, name string, mode uint32, dev uint64) error
	Symlinkat  func(target string, dir int, name string) error
	Linkat     func(olddir int, oldname string, newdir int, newname string, flags int) error
	Fchownat   func(dir int, name string, uid, gid, flags int) error
}

// Unix resolves names beneath a directory descriptor on one Unix.
type Unix struct {
	Sys   UnixSys
	Calls Calls
	Rules Rules
	// SearchFlags open a directory only to look names up in it
	// (O_PATH|O_DIRECTORY on Linux, O_SEARCH on macOS).
	SearchFlags int
	// Self is the path and the flags that make an *at call act on the
	// directory descriptor itself: "" and AT_EMPTY_PATH on Linux; "." and
	// AT_SYMLINK_NOFOLLOW on macOS, which has no AT_EMPTY_PATH ("." is
	// never a symbolic link).
	SelfPath  string
	SelfFlags int
}

// unixOpener is the Opener of Unix.Walk.
type unixOpener struct{ u *Unix }

func (o unixOpener) OpenDir(dir int, name string) (int, *Link, error) {
	fd, err := o.u.Sys.OpenDir(dir, name)
	// O_DIRECTORY|O_NOFOLLOW on a symbolic link: ENOTDIR on Linux (with
	// O_PATH), ENOTDIR or ELOOP elsewhere.
	if err != unix.ENOTDIR && err != unix.ELOOP {
		return fd, nil, err
	}
	target, lerr := o.u.Calls.Readlinkat(dir, name)
	if lerr != nil {
		return -1, nil, err // not a symbolic link: really not a directory
	}
	return -1, &Link{Target: target}, nil
}

func (o unixOpener) Close(fd int) { o.u.Calls.Close(fd) }

// Walk is openat(root, name, flags, mode) resolved by Walk, following
// RESOLVE_BENEATH's rules: every component is opened with O_NOFOLLOW, so
// the kernel never follows a symbolic link or a ".." on its own.
func (u *Unix) Walk(root int, name string, flags int, mode uint32) (int, error) {
	fd := -1
	err := Walk(&u.Rules, unixOpener{u}, root, name, func(dir int, base string, dirOnly bool) (*Link, error) {
		if base == "" {
			// The name ends at a directory already reached: ".", "a/..".
			var err error
			fd, err = u.Sys.Openat(dir, ".", flags, mode)
			return nil, err
		}
		follow := flags&unix.O_NOFOLLOW == 0 || dirOnly // a trailing slash follows, as in open(2)
		fl := flags | unix.O_NOFOLLOW
		if dirOnly {
			if flags&unix.O_CREAT != 0 {
				return nil, unix.EISDIR // what open(2) says for "name/" with O_CREAT
			}
			fl |= unix.O_DIRECTORY
		}
		f, err := u.Sys.Openat(dir, base, fl, mode)
		switch {
		case err == nil && follow:
			// Some flags open a symbolic link itself rather than fail
			// (Linux's O_PATH|O_NOFOLLOW).
			target, isLink, lerr := u.Sys.OpenedLink(f, fl)
			if lerr != nil || isLink {
				u.Calls.Close(f)
				return &Link{Target: target}, lerr
			}
			fd = f
			return nil, nil
		case err == nil:
			fd = f
			return nil, nil
		case follow && (err == unix.ELOOP || err == unix.ENOTDIR):
			// O_NOFOLLOW on a symbolic link: ELOOP, or ENOTDIR with O_DIRECTORY.
			target, lerr := u.Calls.Readlinkat(dir, base)
			if lerr != nil {
				return nil, err // not a symbolic link: the open's error stands
			}
			return &Link{Target: target}, nil
		}
		return nil, err
	})
	if err != nil {
		return -1, err
	}
	return fd, nil
}

// Entry runs fn with the descriptor of the directory holding name's last
// component and that component, for system calls that create, remove or
// rename a directory entry and never follow it, not even with a trailing
// slash (which is kept: it means "must be a directory" to them).
func (u *Unix) Entry(dirfd int, name string, fn func(pfd int, base string) error) error {
	parent, base, slash := SplitLast(name)
	if base == "." || base == ".." {
		// The kernel refuses these entries itself (EEXIST, EBUSY, ENOTEMPTY,
		// ...) without touching anything; but a name that leads outside
		// must say so first.
		fd, err := u.Sys.OpenBeneath(dirfd, name, u.SearchFlags, 0)
		if err != nil {
			return err
		}
		u.Calls.Close(fd)
	}
	if slash {
		base += "/"
	}
	return u.InParent(dirfd, parent, base, fn)
}

// InParent runs fn(pfd, base), pfd being the directory parent beneath
// dirfd ("" is dirfd itself).
func (u *Unix) InParent(dirfd int, parent, base string, fn func(pfd int, base string) error) error {
	if parent == "" {
		return fn(dirfd, base)
	}
	pfd, err := u.Sys.OpenBeneath(dirfd, parent, u.SearchFlags, 0)
	if err != nil {
		return err
	}
	defer u.Calls.Close(pfd)
	return fn(pfd, base)
}

// InDir resolves name, which must end at a directory, beneath dirfd, and
// runs fn with that directory's descriptor.
func (u *Unix) InDir(dirfd int, name string, fn func(fd int) error) error {
	fd, err := u.Sys.OpenBeneath(dirfd, name, u.SearchFlags, 0)
	if err != nil {
		return err
	}
	defer u.Calls.Close(fd)
	return fn(fd)
}

// Lookup runs fn on name's last component without following it: with the
// parent's descriptor, the base name and AT_SYMLINK_NOFOLLOW.
//
// A trailing slash, or a last component "." or "..", makes the kernel follow
// the last component whatever the flags say (and need a directory). Passing
// such a name to the kernel could follow a symbolic link out of the tree, so
// then name is resolved whole, beneath dirfd, as a directory, and fn gets
// its descriptor, u.SelfPath and u.SelfFlags.
func (u *Unix) Lookup(dirfd int, name string, fn func(fd int, path string, flags int) error) error {
	if EndsAtDir(name) {
		return u.InDir(dirfd, name, func(fd int) error { return fn(fd, u.SelfPath, u.SelfFlags) })
	}
	parent, base, _ := SplitLast(name)
	return u.InParent(dirfd, parent, base, func(pfd int, base string) error {
		return fn(pfd, base, unix.AT_SYMLINK_NOFOLLOW)
	})
}

// Mkdir makes the directory name beneath dirfd.
func (u *Unix) Mkdir(dirfd int, name string, mode uint32) error {
	return u.Entry(dirfd, name, func(pfd int, base string) error { return u.Calls.Mkdirat(pfd, base, mode) })
}

// Mknod makes the node name beneath dirfd; mode has its S_IF type.
func (u *Unix) Mknod(dirfd int, name string, mode uint32, dev uint64) error {
	return u.Entry(dirfd, name, func(pfd int, base string) error { return u.Calls.Mknodat(pfd, base, mode, dev) })
}

// Symlink makes name beneath dirfd a symbolic link to target.
func (u *Unix) Symlink(target string, dirfd int, name string) error {
	return u.Entry(dirfd, name, func(pfd int, base string) error { return u.Calls.Symlinkat(target, pfd, base) })
}

// Remove removes the file or empty directory name beneath dirfd.
func (u *Unix) Remove(dirfd int, name string) error {
	return u.Entry(dirfd, name, u.Sys.Remove)
}

// Rename renames oldname beneath olddirfd to newname beneath newdirfd.
func (u *Unix) Rename(olddirfd int, oldname string, newdirfd int, newname string) error {
	return u.Entry(olddirfd, oldname, func(oldfd int, oldbase string) error {
		return u.Entry(newdirfd, newname, func(newfd int, newbase string) error {
			return u.Sys.Renameat(oldfd, oldbase, newfd, newbase)
		})
	})
}

// Link makes newname beneath newdirfd a hard link to oldname beneath
// olddirfd, itself if it is a symbolic link.
func (u *Unix) Link(olddirfd int, oldname string, newdirfd int, newname string) error {
	return u.Lookup(olddirfd, oldname, func(oldfd int, oldpath string, _ int) error {
		if oldpath == u.SelfPath {
			// oldname resolved as a directory (see Lookup), which cannot
			// have hard links. (Linux's linkat(AT_EMPTY_PATH) would say so
			// as EPERM only with CAP_DAC_READ_SEARCH, ENOENT without it.)
			return unix.EPERM
		}
		return u.Entry(newdirfd, newname, func(newfd int, newbase string) error {
			return u.Calls.Linkat(oldfd, oldpath, newfd, newbase, 0) // 0: never follow oldpath
		})
	})
}

// Readlink reads the symbolic link name beneath dirfd.
func (u *Unix) Readlink(dirfd int, name string) (string, error) {
	var target string
	err := u.Lookup(dirfd, name, func(fd int, path string, _ int) (err error) {
		if path == u.SelfPath {
			return unix.EINVAL // a directory (see Lookup): readlink(2)'s "not a symbolic link"
		}
		target, err = u.Calls.Readlinkat(fd, path)
		return err
	})
	return target, err
}

// Lchown changes the owner of name beneath dirfd, a link itself.
func (u *Unix) Lchown(dirfd int, name string, uid, gid int) error {
	return u.Lookup(dirfd, name, func(fd int, path string, flags int) error {
		return u.Calls.Fchownat(fd, path, uid, gid, flags)
	})
}

// SplitLast splits name, without its trailing slashes, into the path of its
// parent ("" for the directory itself) and its last component; slash
// reports trailing slashes.
func SplitLast(name string) (parent, base string, slash bool) {
	trimmed := strings.TrimRight(name, "/")
	i := strings.LastIndexByte(trimmed, '/')
	return trimmed[:i+1], trimmed[i+1:], len(trimmed) < len(name)
}

// EndsAtDir reports whether name must end at a directory (a trailing slash,
// a last component "." or ".."), so that the kernel would follow a
// symbolic link there whatever the flags say.
func EndsAtDir(name string) bool {
	_, base, slash := SplitLast(name)
	return slash || base == "." || base == ".."
}

// AtFollow resolves name beneath dirfd, following symbolic links in every
// component, the last one included, and runs fn with the directory holding
// what it names and its name there, which was not a symbolic link when
// looked at: fn is for *at calls with AT_SYMLINK_NOFOLLOW, so a link put
// there meanwhile is acted on itself, inside the tree. A name that ends at
// a directory gives fn that directory and ".".
func (u *Unix) AtFollow(dirfd int, name string, fn func(fd int, path string) error) error {
	return Walk(&u.Rules, unixOpener{u}, dirfd, name, func(dir int, base string, dirOnly bool) (*Link, error) {
		if base == "" {
			return nil, fn(dir, ".")
		}
		if target, err := u.Calls.Readlinkat(dir, base); err == nil {
			return &Link{Target: target}, nil
		}
		if !dirOnly {
			return nil, fn(dir, base)
		}
		fd, err := u.Sys.OpenDir(dir, base) // a trailing slash: must be a directory
		if err != nil {
			return nil, err
		}
		defer u.Calls.Close(fd)
		return nil, fn(fd, ".")
	})
}
