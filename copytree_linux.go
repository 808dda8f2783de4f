//go:build linux

package extfs

// Linux hooks of CopyTree (copytree.go): the open flags, and the calls Dir
// does not offer — an unnamed file linked into place, rename without
// replacing, sockets, and the xattrs of entries that cannot be opened. Every
// name given here is one component in a directory the caller holds open.

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

const (
	// A directory of the tree, opened for its entries and its own metadata;
	// a symbolic link put there since the walk is not followed (ELOOP).
	treeDirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW
	// A source file. O_NONBLOCK: an entry replaced by a FIFO since the walk
	// must not block the open (the type is checked after it); O_NOCTTY: nor
	// may a terminal become ours.
	treeSrcFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY
	// A new file under a temporary name.
	treeNewFlags = unix.O_RDWR | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW
)

// sysTreeTempFile makes an unnamed file in d (O_TMPFILE, Linux 3.11), which
// sysTreeLinkFile names once complete: no temporary name is ever seen, and
// a failed or crashed copy leaves nothing behind. handled is false where the
// filesystem cannot (the caller uses a temporary name).
func sysTreeTempFile(d *Dir, perm fs.FileMode) (*File, bool, error) {
	f, err := d.OpenFile(".", unix.O_RDWR|unix.O_TMPFILE, perm)
	if err == nil {
		return f, true, nil
	}
	switch {
	case errors.Is(err, syscall.EOPNOTSUPP), // a filesystem without O_TMPFILE (NFS, FUSE, vfat, ...)
		errors.Is(err, syscall.EISDIR), // a kernel before 3.11 sees only the O_DIRECTORY in O_TMPFILE
		errors.Is(err, syscall.EINVAL): // some FUSE filesystems
		return nil, false, nil
	}
	return nil, true, err
}

// sysTreeLinkFile gives the unnamed file f the name name in d, failing with
// EEXIST if it is taken. linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH
// before Linux 6.10 (ENOENT without it); through the descriptor's
// /proc/self/fd link it works for anyone, to the very inode.
func sysTreeLinkFile(f *File, d *Dir, name string) error {
	var err error
	cerr := f.withFd(func(fd uintptr) {
		err = d.control(func(dirfd int) error {
			e := linux.Linkat(int(fd), "", dirfd, name, unix.AT_EMPTY_PATH)
			if e == unix.ENOENT || e == unix.EPERM {
				e = linux.Linkat(unix.AT_FDCWD, procFdPath(int(fd)), dirfd, name, unix.AT_SYMLINK_FOLLOW)
			}
			return e
		})
	})
	if cerr != nil {
		err = fs.ErrClosed
	}
	return linkErr("linkat", f.Name(), joinRel(d.Name(), name), err)
}

// sysTreeRenameNoReplace renames old to name in d unless name exists
// (EEXIST). handled is false where the filesystem cannot do that in one
// step.
func sysTreeRenameNoReplace(d *Dir, old, name string) (handled bool, err error) {
	err = d.control(func(dirfd int) error {
		return linux.Renameat2(dirfd, old, dirfd, name, unix.RENAME_NOREPLACE)
	})
	switch err {
	case syscall.EINVAL, syscall.ENOSYS, syscall.EOPNOTSUPP:
		// EINVAL: a filesystem without RENAME_NOREPLACE; ENOSYS: seccomp.
		return false, nil
	}
	return true, linkErr("renameat2", old, name, err)
}

// sysTreeMksock makes a socket inode, as cp -a and rsync -a do: nothing
// listens on it, but the tree keeps its shape.
func sysTreeMksock(d *Dir, name string, perm fs.FileMode) error {
	err := d.control(func(dirfd int) error {
		return linux.Mknodat(dirfd, name, unix.S_IFSOCK|permBits(perm), 0)
	})
	return pathErr("mknod", name, err)
}

// sysTreeCopyLxattrs copies the extended attributes of the entry sname of
// sd to dname of dd, without following either: for symbolic links and
// special files, which cannot be opened for f*xattr. The paths go through
// the directories' /proc/self/fd links, which lead to the very directories
// held open, so nothing is resolved outside them.
func sysTreeCopyLxattrs(sd *Dir, sname string, dd *Dir, dname string) error {
	return sd.control(func(sfd int) error {
		spath := procFdPath(sfd) + "/" + sname
		names, err := linux.Listxattr(spath, true)
		if err != nil {
			if err == unix.EOPNOTSUPP {
				return nil // a source filesystem without xattrs has none to copy
			}
			return pathErr("llistxattr", sname, procHint(err))
		}
		if len(names) == 0 {
			return nil
		}
		return dd.control(func(dfd int) error {
			dpath := procFdPath(dfd) + "/" + dname
			for _, name := range names {
				v, err := linux.Getxattr(spath, name, true)
				if err == unix.ENODATA {
					continue // removed since the listing
				}
				if err != nil {
					return pathErr("lgetxattr", sname, procHint(err))
				}
				if err := linux.Setxattr(dpath, name, v, 0, true); err != nil {
					return xattrCopyErr(name, pathErr("lsetxattr", dname, xattrErr(name, err)))
				}
			}
			return nil
		})
	})
}

// procHint explains an ENOENT that comes from /proc missing rather than
// from the entry.
func procHint(err error) error {
	if err == unix.ENOENT && unix.Access("/proc/self/fd", unix.F_OK) != nil {
		return &hintError{err: err, hint: "copying the xattrs of symbolic links and special files needs /proc mounted"}
	}
	return err
}

// sysTreeClone: FICLONE clones into the open file nf, so copyOpenFile
// clones here; nothing to do first.
func sysTreeClone(context.Context, *File, *Stat, *treeFile, *CopyOptions) (CopyStats, bool, error) {
	return CopyStats{}, false, nil
}
