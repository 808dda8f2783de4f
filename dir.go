package extfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/extfs/extfs/internal/beneath"
)

// ErrEscapes is the error (wrapped in an *fs.PathError or *os.LinkError) of a
// Dir operation whose name leads outside the directory: an absolute name, a
// ".." that climbs above it, or a symbolic link whose target is absolute or
// climbs above it.
var ErrEscapes = beneath.ErrEscapes

// A Dir is an open directory whose methods take names relative to it and
// never leave it. It is safe for concurrent use.
//
// Every name must be relative and resolve beneath the directory. ".." and
// symbolic links are allowed while they stay inside; a name that is absolute,
// whose ".." climbs above the directory (even on the way back in, as in
// "../d/x"), or that meets a symbolic link whose target is absolute or climbs
// above the directory, is refused with an error matching ErrEscapes, and
// nothing is done. Symbolic links are followed where package os follows them:
// in every component but the last, and in the last one too for OpenFile,
// OpenDir, Statx, Chmod and SetTimes. Operations on a directory entry itself
// (Mkdir, Remove, Rename, Link, Symlink, Readlink, Lstatx, Lchown, LSetTimes,
// Mknod, Mkfifo) never follow a symbolic link in the last component.
//
// A trailing slash means the last component must be a directory. As in the
// kernel, it makes the lookups (Lstatx, Lchown, LSetTimes, Readlink, Link's
// old name) follow a symbolic link there, beneath the directory; Remove and
// Rename do not follow it and fail with ENOTDIR.
//
// The empty name and names containing a NUL byte are refused with an error
// matching fs.ErrInvalid. "." names the directory itself.
//
// A Dir guards against names, including symbolic links in the tree, that lead
// outside. It cannot stop another process with write access to the tree from
// moving a directory out of it while an operation is walking through that
// directory.
//
// # Linux notes
//
// Names are resolved by the kernel with openat2(2) and
// RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS (Linux 5.6, see FeatureOpenat2);
// before it, and where seccomp refuses openat2, one component at a time with
// O_NOFOLLOW, links expanded by extfs (at most 40 per name). A /proc magic
// link is never jumped through. The Dir holds an O_PATH descriptor: search
// (x) permission on the directory suffices.
//
// # macOS notes
//
// Names are resolved one component at a time with O_NOFOLLOW, links
// expanded by extfs (at most 32 per name). The Dir holds an O_SEARCH
// descriptor (search permission from macOS 13; macOS 12 needs read
// permission too). Statx, Chmod and SetTimes resolve a final symbolic link
// beneath the Dir first; should another process put a link in its place
// before the call, the call acts on that link, which is inside the tree (as
// with os.Root). Mknod and Mkfifo take a device number that fits 32 bits.
//
// # Windows notes
//
// Names are resolved one component at a time with NtCreateFile relative to
// the directory reached, never letting Windows follow a link itself; '/' and
// '\' both separate components. A symbolic link is followed while it stays
// beneath (at most 63 per name); a junction, or a link whose target has a
// drive or is rooted, never. Absolute names are any with a drive ("C:x"
// too), a UNC or device prefix or a leading separator. "CON" or "NUL" are
// ordinary names beneath a Dir. Permissions count only as the owner's write
// bit (FILE_ATTRIBUTE_READONLY), as in package os; FIFOs, devices and
// Lchown return an error matching ErrNotSupported (Lchown and Mkfifo before
// the name is looked at). Symlink needs SeCreateSymbolicLinkPrivilege. Under
// Wine, which has no NT symbolic links, a Linux link in the tree that leads
// out of it cannot be seen, let alone refused.
//
// # Other systems
//
// OpenDir returns an error matching ErrNotSupported.
type Dir struct {
	f    *os.File // nil for the zero Dir
	name string
}

// OpenDir opens the directory at path, which is resolved like package os
// resolves it (absolute or relative to the working directory, following
// symbolic links).
func OpenDir(path string) (*Dir, error) {
	if err := checkOpenPath(path); err != nil {
		return nil, pathErr("open", path, err)
	}
	fd, err := sysDir.openDir(path)
	if err != nil {
		return nil, pathErr("open", path, err)
	}
	return newDir(fd, path), nil
}

func newDir(fd uintptr, name string) *Dir {
	return &Dir{f: os.NewFile(fd, name), name: name}
}

// fdResult is a descriptor opened for a Dir, or the error.
func fdResult[T ~int | ~uintptr](fd T, err error) (uintptr, error) {
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

// Close closes the directory. Operations already running keep its
// descriptor until they finish; later ones, and a second Close, return an
// error matching fs.ErrClosed.
func (d *Dir) Close() error {
	if d == nil || d.f == nil {
		return &fs.PathError{Op: "close", Err: fs.ErrInvalid}
	}
	return d.f.Close()
}

// Name returns the path the directory was opened with: the path given to
// OpenDir, or for a Dir from Dir.OpenDir, its parent's Name, a slash and the
// name given.
func (d *Dir) Name() string {
	if d == nil {
		return ""
	}
	return d.name
}

// join names something opened beneath d, for its Name.
func (d *Dir) join(name string) string {
	if d.name == "" || strings.HasSuffix(d.name, "/") {
		return d.name + name
	}
	return d.name + "/" + name
}

// OpenFile opens the named file beneath d with the given flags (os.O_RDONLY
// etc.; O_CLOEXEC is always added) and, with os.O_CREATE, permissions, like
// os.OpenFile. A file created is created beneath d: a dangling symbolic link
// in the last component is followed only if its target stays beneath d, and
// with os.O_EXCL not at all. The File's Name is d.Name() + "/" + name.
func (d *Dir) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	err := checkName(name)
	if err == nil {
		err = checkPerm("open", perm)
	}
	var fd uintptr
	if err == nil {
		err = d.control(func(dirfd int) (err error) {
			fd, err = sysDir.openFile(dirfd, name, flag, perm)
			return err
		})
	}
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return NewFile(newOSFile(fd, d.join(name))), nil
}

// OpenDir opens the named directory beneath d. Its names are then resolved
// beneath it, which is itself beneath d.
func (d *Dir) OpenDir(name string) (*Dir, error) {
	err := checkName(name)
	var fd uintptr
	if err == nil {
		err = d.control(func(dirfd int) (err error) {
			fd, err = sysDir.openSub(dirfd, name)
			return err
		})
	}
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return newDir(fd, d.join(name)), nil
}

// Mkdir creates the named directory with the permission bits perm (and
// setuid, setgid, sticky); the process umask applies.
func (d *Dir) Mkdir(name string, perm fs.FileMode) error {
	err := checkName(name)
	if err == nil {
		err = checkPerm("mkdir", perm)
	}
	if err == nil {
		err = d.control(func(dirfd int) error { return sysDir.mkdir(dirfd, name, perm) })
	}
	return pathErr("mkdir", name, err)
}

// Remove removes the named file or empty directory, like os.Remove. A
// symbolic link is removed itself.
func (d *Dir) Remove(name string) error {
	err := checkName(name)
	if err == nil {
		err = d.control(func(dirfd int) error { return sysDir.remove(dirfd, name) })
	}
	return pathErr("unlinkat", name, err)
}

// Rename renames oldname, beneath d, to newname, beneath newdir (d when
// newdir is nil), replacing newname if it exists, like os.Rename. A symbolic
// link is renamed itself. Both directories must be on one filesystem.
func (d *Dir) Rename(oldname string, newdir *Dir, newname string) error {
	err := checkNames(oldname, newname)
	if err == nil {
		err = d.control2(newdir, func(olddirfd, newdirfd int) error {
			return sysDir.rename(olddirfd, oldname, newdirfd, newname)
		})
	}
	return linkErr("rename", oldname, newname, err)
}

// Link creates newname, beneath newdir (d when newdir is nil), as a hard link
// to oldname, beneath d. A symbolic link oldname is linked itself, not its
// target.
func (d *Dir) Link(oldname string, newdir *Dir, newname string) error {
	err := checkNames(oldname, newname)
	if err == nil {
		err = d.control2(newdir, func(olddirfd, newdirfd int) error {
			return sysDir.link(olddirfd, oldname, newdirfd, newname)
		})
	}
	return linkErr("link", oldname, newname, err)
}

// Symlink creates name, beneath d, as a symbolic link to target. target is
// stored as given and need not exist: it is data, checked only when the link
// is followed through a Dir (which refuses it if it leads outside).
func (d *Dir) Symlink(target, name string) error {
	err := checkName(name)
	switch {
	case err != nil:
	case target == "":
		err = errInvalid("empty symlink target")
	case strings.IndexByte(target, 0) >= 0:
		err = errInvalid("symlink target %q contains a NUL byte", target)
	default:
		err = d.control(func(dirfd int) error { return sysDir.symlink(target, dirfd, name) })
	}
	return linkErr("symlink", target, name, err)
}

// Readlink returns the target of the named symbolic link, as stored.
func (d *Dir) Readlink(name string) (string, error) {
	err := checkName(name)
	var target string
	if err == nil {
		err = d.control(func(dirfd int) (err error) {
			target, err = sysDir.readlink(dirfd, name)
			return err
		})
	}
	if err != nil {
		return "", pathErr("readlink", name, err)
	}
	return target, nil
}

// Statx returns the metadata of the named file, following a symbolic link
// in the last component (within d).
func (d *Dir) Statx(name string) (*Stat, error) { return d.stat(name, true) }

// Lstatx returns the metadata of the named file; a symbolic link is
// described itself.
func (d *Dir) Lstatx(name string) (*Stat, error) { return d.stat(name, false) }

func (d *Dir) stat(name string, follow bool) (*Stat, error) {
	err := checkName(name)
	var st *Stat
	if err == nil {
		err = d.control(func(dirfd int) (err error) {
			st, err = sysDir.stat(dirfd, name, follow)
			return err
		})
	}
	if err != nil {
		return nil, pathErr("statx", name, err)
	}
	return st, nil
}

// Chmod changes the permission bits (and setuid, setgid, sticky) of the
// named file, following a symbolic link in the last component (within d).
// Other mode bits are refused with an error matching fs.ErrInvalid.
func (d *Dir) Chmod(name string, mode fs.FileMode) error {
	err := checkName(name)
	if err == nil {
		err = checkChmod(mode)
	}
	if err == nil {
		err = d.control(func(dirfd int) error { return sysDir.chmod(dirfd, name, mode) })
	}
	return pathErr("chmod", name, err)
}

// Lchown changes the owner and group of the named file; -1 leaves one
// unchanged. A symbolic link is changed itself.
func (d *Dir) Lchown(name string, uid, gid int) error {
	err := checkName(name)
	if err == nil {
		err = checkChown(uid, gid)
	}
	if err == nil {
		err = d.control(func(dirfd int) error { return sysDir.lchown(dirfd, name, uid, gid) })
	}
	return pathErr("lchown", name, err)
}

// SetTimes sets the access and modification times of the named file with
// nanosecond precision, following a symbolic link in the last component
// (within d). A zero time.Time leaves that time unchanged.
func (d *Dir) SetTimes(name string, atime, mtime time.Time) error {
	return d.setTimes(name, atime, mtime, true)
}

// LSetTimes is SetTimes for a symbolic link itself.
func (d *Dir) LSetTimes(name string, atime, mtime time.Time) error {
	return d.setTimes(name, atime, mtime, false)
}

func (d *Dir) setTimes(name string, atime, mtime time.Time, follow bool) error {
	err := checkName(name)
	if err == nil {
		err = d.control(func(dirfd int) error { return sysDir.setTimes(dirfd, name, atime, mtime, follow) })
	}
	return pathErr("utimensat", name, err)
}

// Mknod creates the named file system node. mode is its type —
// fs.ModeDevice for a block device, fs.ModeDevice|fs.ModeCharDevice for a
// character device, fs.ModeNamedPipe for a FIFO, or none for an empty regular
// file — with permission bits (and setuid, setgid, sticky). dev is the device
// number (as made by golang.org/x/sys/unix.Mkdev) and must be 0 for anything
// but a device. Making a device usually needs privilege (CAP_MKNOD).
func (d *Dir) Mknod(name string, mode fs.FileMode, dev uint64) error {
	err := checkName(name)
	if err == nil {
		err = checkMknod(mode, dev)
	}
	if err == nil {
		err = d.control(func(dirfd int) error { return sysDir.mknod(dirfd, name, mode, dev) })
	}
	return pathErr("mknod", name, err)
}

// Mkfifo creates the named FIFO (named pipe) with the permission bits perm:
// Mknod(name, fs.ModeNamedPipe|perm, 0).
func (d *Dir) Mkfifo(name string, perm fs.FileMode) error {
	if perm&fs.ModeType != 0 {
		return pathErr("mknod", name, errInvalid("mkfifo: mode %v has a file type", perm))
	}
	return d.Mknod(name, fs.ModeNamedPipe|perm, 0)
}

// control runs fn with d's descriptor, holding a reference so that a
// concurrent Close cannot hand the descriptor number to another file while
// fn uses it (see File.control). A nil or zero Dir is fs.ErrInvalid, a
// closed one fs.ErrClosed.
func (d *Dir) control(fn func(dirfd int) error) error {
	if d == nil || d.f == nil {
		return fs.ErrInvalid
	}
	var opErr error
	if err := holdFd(d.f, func(fd uintptr) { opErr = fn(int(fd)) }); err != nil {
		return err
	}
	return opErr
}

// control2 runs fn with the descriptors of d and other (d when nil) held.
func (d *Dir) control2(other *Dir, fn func(dirfd, otherfd int) error) error {
	if other == nil {
		other = d
	}
	return d.control(func(dirfd int) error {
		return other.control(func(otherfd int) error { return fn(dirfd, otherfd) })
	})
}

// checkName validates a name given to a Dir method, before any system call.
func checkName(name string) error {
	switch {
	case name == "":
		return errInvalid("empty name")
	case strings.IndexByte(name, 0) >= 0:
		return errInvalid("name %q contains a NUL byte", name)
	case name[0] == '/' || filepath.IsAbs(name):
		return ErrEscapes
	}
	return nil
}

func checkNames(oldname, newname string) error {
	if err := checkName(oldname); err != nil {
		return err
	}
	return checkName(newname)
}

// checkOpenPath validates OpenDir's path, which may be absolute.
func checkOpenPath(path string) error {
	switch {
	case path == "":
		return errInvalid("empty path")
	case strings.IndexByte(path, 0) >= 0:
		return errInvalid("path %q contains a NUL byte", path)
	}
	return nil
}

// checkPerm validates the permissions of a file or directory to create.
func checkPerm(op string, perm fs.FileMode) error {
	if err := checkChmod(perm); err != nil {
		return errInvalid("%s: %v", op, err)
	}
	return nil
}

func checkMknod(mode fs.FileMode, dev uint64) error {
	switch mode.Type() {
	case 0, fs.ModeNamedPipe:
		if dev != 0 {
			return errInvalid("mknod: device number %#x given for mode %v, which is not a device", dev, mode)
		}
	case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
	default:
		return errInvalid("mknod: mode %v is not a device, named pipe or regular file", mode)
	}
	return checkPerm("mknod", mode&^mode.Type())
}
