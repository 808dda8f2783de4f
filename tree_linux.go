package extfs

// CopyTree's Linux adapter: O_TMPFILE files linked into place, renameat2
// RENAME_NOREPLACE, sockets, and xattrs through /proc/self/fd (sys/linux).

import (
	"io/fs"

	"github.com/extfs/extfs/sys/linux"
)

type treeSys struct{ treeFallback }

var _ treeOS = treeSys{}

func (treeSys) openFlags() treeFlags {
	return treeFlags{dir: linux.TreeDirFlags, src: linux.TreeSrcFlags, new: linux.TreeNewFlags}
}

// tempFile: an unnamed file leaves nothing behind a failed or crashed copy.
func (treeSys) tempFile(d *Dir, perm fs.FileMode) (*File, bool, error) {
	f, err := d.OpenFile(".", linux.TmpfileFlags, perm)
	if linux.NoTmpfile(err) {
		return nil, false, nil
	}
	return f, true, err
}

func (treeSys) linkFile(f *File, d *Dir, name string) error {
	var err error
	cerr := f.withFd(func(fd uintptr) {
		err = d.control(func(dirfd int) error { return linux.LinkTmpfile(int(fd), dirfd, name) })
	})
	if cerr != nil {
		err = fs.ErrClosed
	}
	return linkErr("linkat", f.Name(), joinRel(d.Name(), name), err)
}

func (treeSys) renameNoReplace(d *Dir, old, name string) (handled bool, err error) {
	err = d.control(func(dirfd int) (err error) {
		handled, err = linux.RenameatNoReplace(dirfd, old, name)
		return err
	})
	return handled, linkErr("renameat2", old, name, err)
}

func (treeSys) mksock(d *Dir, name string, perm fs.FileMode) error {
	err := d.control(func(dirfd int) error { return linux.Mksock(dirfd, name, linux.PermBits(perm)) })
	return pathErr("mknod", name, err)
}

func (treeSys) copyLxattrs(sd *Dir, sname string, dd *Dir, dname string) error {
	return sd.control2(dd, func(sfd, dfd int) error {
		op, attr, err := linux.CopyLxattrs(sfd, sname, dfd, dname)
		switch {
		case err == nil:
			return nil
		case op == "lsetxattr":
			return xattrCopyErr(attr, pathErr(op, dname, xattrErr(attr, err)))
		case linux.NoProc(err):
			err = &hintError{err: err, hint: "copying the xattrs of symbolic links and special files needs /proc mounted"}
		}
		return pathErr(op, sname, err)
	})
}
