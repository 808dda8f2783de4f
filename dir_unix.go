//go:build linux || darwin

package extfs

// The part of Dir that Linux and macOS share: resolving a name beneath a
// directory one component at a time (walkOpen), and the shape of the
// operations on a directory entry (atEntry). On Linux walkOpen stands in for
// openat2(RESOLVE_BENEATH) where the kernel lacks it; on macOS, which has no
// such call, it is the resolver. Each system supplies, in dir_<os>.go:
//
//   - openBeneath: the resolver to use (openat2, or walkOpen);
//   - dirSearchFlags: the open flags of a directory opened only to look
//     names up in it (O_PATH|O_DIRECTORY on Linux, O_SEARCH on macOS);
//   - maxSymlinks: the kernel's limit of symbolic links in one lookup;
//   - sysWalkOpenDir, sysWalkOpenat, sysWalkReadlinkat, sysWalkClose: the
//     system calls;
//   - sysWalkOpenedLink: whether an open with O_NOFOLLOW returned a
//     symbolic link itself (Linux's O_PATH does), and its target.

import (
	"strings"

	"golang.org/x/sys/unix"
)

// atEntry runs fn with the descriptor of the directory holding name's last
// component and that component, for system calls that create, remove or
// rename a directory entry and never follow it, not even with a trailing
// slash (which is kept: it means "must be a directory" to them).
func atEntry(dirfd int, name string, fn func(pfd int, base string) error) error {
	parent, base, slash := splitLast(name)
	if base == "." || base == ".." {
		// The kernel refuses these entries itself (EEXIST, EBUSY, ENOTEMPTY,
		// ...) without touching anything; but a name that leads outside
		// must say so first.
		fd, err := openBeneath(dirfd, name, dirSearchFlags, 0)
		if err != nil {
			return err
		}
		sysWalkClose(fd)
	}
	pfd, err := openParent(dirfd, parent)
	if err != nil {
		return err
	}
	defer closeParent(dirfd, pfd)
	if slash {
		base += "/"
	}
	return fn(pfd, base)
}

// splitLast splits name, without its trailing slashes, into the path of its
// parent ("" for dirfd itself) and its last component; slash reports
// trailing slashes.
func splitLast(name string) (parent, base string, slash bool) {
	trimmed := strings.TrimRight(name, "/")
	i := strings.LastIndexByte(trimmed, '/')
	return trimmed[:i+1], trimmed[i+1:], len(trimmed) < len(name)
}

// openParent opens the directory parent beneath dirfd; "" is dirfd itself.
func openParent(dirfd int, parent string) (int, error) {
	if parent == "" {
		return dirfd, nil
	}
	return openBeneath(dirfd, parent, dirSearchFlags, 0)
}

func closeParent(dirfd, pfd int) {
	if pfd != dirfd {
		sysWalkClose(pfd)
	}
}

// walkOpen is openBeneath without openat2 — on Linux before 5.6 or under a
// seccomp filter that predates it, and always on macOS — following
// RESOLVE_BENEATH's rules.
//
// It opens one component at a time, relative to the directory reached so
// far, always with O_NOFOLLOW, so the kernel never follows a symbolic link
// or a ".." on its own. A symbolic link is read and its target put in front
// of the components left (an absolute target is ErrEscapes, more than
// maxSymlinks links ELOOP); ".." goes back to the directory the walk came
// from, and is ErrEscapes at the starting directory.
func walkOpen(root int, name string, flags int, mode uint32) (int, error) {
	parts, dirOnly := splitPath(name)
	// dirs is the way down from root: dirs[0] is the caller's, the rest
	// are opened here (sysWalkOpenDir).
	dirs := []int{root}
	defer func() {
		for _, fd := range dirs[1:] {
			sysWalkClose(fd)
		}
	}()
	links := 0
	for {
		dir := dirs[len(dirs)-1]
		if len(parts) == 0 {
			// The name ends at a directory already reached: ".", "a/..".
			return sysWalkOpenat(dir, ".", flags, mode)
		}
		c := parts[0]
		parts = parts[1:]
		if c == ".." {
			if len(dirs) == 1 {
				return -1, ErrEscapes
			}
			sysWalkClose(dir)
			dirs = dirs[:len(dirs)-1]
			continue
		}

		if len(parts) > 0 { // a directory on the way
			fd, err := sysWalkOpenDir(dir, c)
			if err == nil {
				dirs = append(dirs, fd)
				continue
			}
			// O_DIRECTORY|O_NOFOLLOW on a symbolic link: ENOTDIR on Linux
			// (with O_PATH), ENOTDIR or ELOOP elsewhere.
			if err != unix.ENOTDIR && err != unix.ELOOP {
				return -1, err
			}
			target, lerr := sysWalkReadlinkat(dir, c)
			if lerr != nil {
				return -1, err // not a symbolic link: really not a directory
			}
			if parts, dirOnly, err = expandLink(target, parts, dirOnly, &links); err != nil {
				return -1, err
			}
			continue
		}

		// The last component.
		follow := flags&unix.O_NOFOLLOW == 0 || dirOnly // a trailing slash follows, as in open(2)
		fl := flags | unix.O_NOFOLLOW
		if dirOnly {
			if flags&unix.O_CREAT != 0 {
				return -1, unix.EISDIR // what open(2) says for "name/" with O_CREAT
			}
			fl |= unix.O_DIRECTORY
		}
		fd, err := sysWalkOpenat(dir, c, fl, mode)
		var target string
		switch {
		case err == nil && follow:
			// Some flags open a symbolic link itself rather than fail
			// (Linux's O_PATH|O_NOFOLLOW).
			t, isLink, lerr := sysWalkOpenedLink(fd, fl)
			switch {
			case lerr != nil:
				sysWalkClose(fd)
				return -1, lerr
			case !isLink:
				return fd, nil
			}
			sysWalkClose(fd)
			target = t
		case err == nil:
			return fd, nil
		case follow && (err == unix.ELOOP || err == unix.ENOTDIR):
			// O_NOFOLLOW on a symbolic link: ELOOP, or ENOTDIR with O_DIRECTORY.
			t, lerr := sysWalkReadlinkat(dir, c)
			if lerr != nil {
				return -1, err // not a symbolic link: the open's error stands
			}
			target = t
		default:
			return -1, err
		}
		if parts, dirOnly, err = expandLink(target, parts, dirOnly, &links); err != nil {
			return -1, err
		}
	}
}

// expandLink puts a symbolic link's target in front of the components left
// to walk. A target's trailing slash matters only for the last component.
func expandLink(target string, rest []string, dirOnly bool, links *int) ([]string, bool, error) {
	*links++
	switch {
	case *links > maxSymlinks:
		return nil, false, unix.ELOOP
	case target == "":
		return nil, false, unix.ENOENT // what the kernel says for an empty link
	case target[0] == '/':
		return nil, false, ErrEscapes // RESOLVE_BENEATH refuses absolute links even into the tree
	}
	parts, targetDirOnly := splitPath(target)
	if len(rest) == 0 {
		dirOnly = dirOnly || targetDirOnly
	}
	return append(parts, rest...), dirOnly, nil
}

// splitPath splits a relative name into its components, leaving out empty
// ones and "."; dirOnly reports a name that must end at a directory (a
// trailing slash, ".", or "..").
func splitPath(name string) (parts []string, dirOnly bool) {
	for c := range strings.SplitSeq(name, "/") {
		if c != "" && c != "." {
			parts = append(parts, c)
		}
	}
	last := name[strings.LastIndexByte(name, '/')+1:]
	return parts, last == "" || last == "." || last == ".."
}
