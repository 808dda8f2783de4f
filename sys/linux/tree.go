//go:build linux

package linux

// The calls CopyTree needs beyond a directory's *at calls: an unnamed file
// linked into place, rename without replacing, sockets, and the xattrs of
// entries that cannot be opened. Every name is one component in a directory
// the caller holds open.

import (
	"errors"
	"strconv"

	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

const (
	// TreeDirFlags opens a directory of a tree for its entries and its own
	// metadata; a symbolic link put there since the walk is not followed
	// (ELOOP).
	TreeDirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW
	// TreeSrcFlags opens a source file. O_NONBLOCK: an entry replaced by a
	// FIFO since the walk must not block the open (the caller checks the
	// type after it); O_NOCTTY: nor may a terminal become the caller's.
	TreeSrcFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY
	// TreeNewFlags makes a new file under a temporary name.
	TreeNewFlags = unix.O_RDWR | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW
	// TmpfileFlags makes an unnamed file in a directory (Linux 3.11).
	TmpfileFlags = unix.O_RDWR | unix.O_TMPFILE
)

// NoTmpfile reports whether err, from an open with TmpfileFlags, means
// the filesystem makes no unnamed files, so the caller uses a temporary name.
func NoTmpfile(err error) bool {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case unix.EOPNOTSUPP, // a filesystem without O_TMPFILE (NFS, FUSE, vfat, ...)
		unix.EISDIR, // a kernel before 3.11 sees only the O_DIRECTORY in O_TMPFILE
		unix.EINVAL: // some FUSE filesystems
		return true
	}
	return false
}

// LinkTmpfile gives the unnamed file fd the name name in dirfd, failing
// with EEXIST if it is taken. linkat(AT_EMPTY_PATH) needs
// CAP_DAC_READ_SEARCH before Linux 6.10 (ENOENT without it); through the
// descriptor's /proc/self/fd link it works for anyone, to the very inode.
func LinkTmpfile(fd, dirfd int, name string) error {
	err := Linkat(fd, "", dirfd, name, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM {
		err = Linkat(unix.AT_FDCWD, procFdPath(fd), dirfd, name, unix.AT_SYMLINK_FOLLOW)
	}
	return err
}

// RenameatNoReplace renames old to name in dirfd unless name exists
// (EEXIST). handled is false where the filesystem cannot do that in one
// step.
func RenameatNoReplace(dirfd int, old, name string) (handled bool, err error) {
	err = Renameat2(dirfd, old, dirfd, name, unix.RENAME_NOREPLACE)
	switch err {
	case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP:
		// EINVAL: a filesystem without RENAME_NOREPLACE; ENOSYS: seccomp.
		return false, nil
	}
	return true, err
}

// Mksock makes a socket inode name in dirfd with the permission bits perm,
// as cp -a and rsync -a do: nothing listens on it, but a tree keeps its
// shape.
func Mksock(dirfd int, name string, perm uint32) error {
	return Mknodat(dirfd, name, unix.S_IFSOCK|perm, 0)
}

// CopyLxattrs copies the extended attributes of the entry sname of sdirfd
// to dname of ddirfd, following neither: for symbolic links and special
// files, which cannot be opened for f*xattr. The paths go through the
// directories' /proc/self/fd links, which lead to the very directories held
// open, so nothing is resolved outside them. A source filesystem without
// xattrs has none to copy. On failure it returns the call that failed
// (llistxattr, lgetxattr or lsetxattr), the attribute for the last two, and
// the errno.
func CopyLxattrs(sdirfd int, sname string, ddirfd int, dname string) (op, attr string, err error) {
	src := fsenum.XattrAt{Path: procFdPath(sdirfd) + "/" + sname, NoFollow: true}
	names, err := Listxattr(src)
	if err == unix.EOPNOTSUPP {
		return "", "", nil
	}
	if err != nil {
		return "llistxattr", "", err
	}
	dst := fsenum.XattrAt{Path: procFdPath(ddirfd) + "/" + dname, NoFollow: true}
	for _, name := range names {
		v, err := Getxattr(src, name)
		if err == unix.ENODATA {
			continue // removed since the listing
		}
		if err != nil {
			return "lgetxattr", name, err
		}
		if err := Setxattr(dst, name, v, 0); err != nil {
			return "lsetxattr", name, err
		}
	}
	return "", "", nil
}

// NoProc reports whether errno is an ENOENT that comes from /proc not being
// mounted rather than from the entry.
func NoProc(errno error) bool {
	return errno == unix.ENOENT && unix.Access("/proc/self/fd", unix.F_OK) != nil
}

// procFdPath is the /proc link to the descriptor fd.
func procFdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
