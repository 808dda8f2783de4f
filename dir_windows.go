//go:build windows

package extfs

// Dir on Windows. The Dir holds a directory HANDLE. Every method is one
// winsys.Walk: the name is resolved beneath the handle one component at a
// time, each opened with NtCreateFile relative to the directory reached so
// far and OBJ_DONT_REPARSE, so that Windows follows no symbolic link or
// junction by itself; the walk reads each one it meets and follows it only
// while it stays beneath (see Dir). The walk's last step does the operation
// on (directory, last component):
//
//   - follow: open the last component, following a link there through the
//     walk (OpenFile, OpenDir, Statx, Chmod, SetTimes);
//   - lookup: open the entry itself with FILE_OPEN_REPARSE_POINT (Lstatx,
//     LSetTimes, Readlink, Link's old name, Remove, Rename);
//   - create: NtCreateFile with FILE_CREATE relative to the directory (Mkdir,
//     Symlink, Mknod), or a rename or link to a name in it
//     (FileRenameInformation, FileLinkInformation with RootDirectory).
//
// NtCreateFile does no Win32 name translation: "CON", "NUL" or "a." are
// ordinary names beneath a Dir, not devices.

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// dirAccess is what a Dir's handle, and the directories a walk goes
// through, are opened with: traverse, like the search permission Linux's
// O_PATH needs, and read attributes to tell a directory.
const dirAccess = windows.FILE_TRAVERSE | windows.FILE_READ_ATTRIBUTES

func sysOpenDir(path string) (uintptr, error) {
	h, err := winsys.OpenPath(path, dirAccess, false)
	if err != nil {
		return 0, err
	}
	attrs, err := winsys.Attributes(h)
	if err == nil && attrs&windows.FILE_ATTRIBUTE_DIRECTORY == 0 {
		err = syscall.ENOTDIR
	}
	if err != nil {
		windows.CloseHandle(h)
		return 0, err
	}
	return uintptr(h), nil
}

// walk resolves name beneath the Dir's handle and runs last on its final
// component (see winsys.Walk).
func walk(dirfd int, name string, last winsys.Last) error {
	err := winsys.Walk(winsys.DirOpener{}, winsys.Handle(dirfd), name, last)
	if errors.Is(err, winsys.ErrEscapes) {
		return ErrEscapes
	}
	return err
}

// openFollow opens name beneath dirfd, following a link in the last
// component too, with NtCreateFile's access, disposition, options and
// attributes. A name that must be a directory ("d/", ".") adds
// FILE_DIRECTORY_FILE.
func openFollow(dirfd int, name string, access, disposition, options, attrs uint32) (windows.Handle, error) {
	h := windows.InvalidHandle
	err := walk(dirfd, name, func(dir winsys.Handle, base string, dirOnly bool) (*winsys.Link, error) {
		opts := options
		if dirOnly {
			if disposition != windows.FILE_OPEN {
				return nil, syscall.EISDIR // what open(2) says for "name/" with O_CREAT
			}
			opts |= windows.FILE_DIRECTORY_FILE
		}
		fd, link, err := winsys.Open(windows.Handle(dir), base, access, disposition, opts, attrs)
		h = fd
		return link, err
	})
	return h, err
}

// lookup runs fn on the entry name itself, a link not followed, opened with
// access. As in the kernel's lookups, a name that must be a directory ("l/",
// ".", "a/..") follows a link in the last component, beneath dirfd.
func lookup(dirfd int, name string, access uint32, fn func(h windows.Handle) error) error {
	return walk(dirfd, name, func(dir winsys.Handle, base string, dirOnly bool) (*winsys.Link, error) {
		d := windows.Handle(dir)
		var options uint32
		if dirOnly {
			options = windows.FILE_DIRECTORY_FILE
		}
		h, link, err := winsys.Open(d, base, access, windows.FILE_OPEN, options, 0)
		if link != nil && !dirOnly {
			// A symbolic link or junction: open it itself. (Other reparse
			// points, which stand for the file, Open opened as that file,
			// as os.Lstat does.)
			h, _, err = winsys.Open(d, base, access, windows.FILE_OPEN, windows.FILE_OPEN_REPARSE_POINT, 0)
			link = nil
		}
		if err != nil || link != nil {
			return link, err
		}
		defer windows.CloseHandle(h)
		return nil, fn(h)
	})
}

// entry runs fn with the directory that holds, or is to hold, name's last
// component and that component. A name ending at a directory (".", "a/..")
// has no such component: fn gets base "", and says what that means for it.
func entry(dirfd int, name string, fn func(dir windows.Handle, base string, dirOnly bool) error) error {
	return walk(dirfd, name, func(dir winsys.Handle, base string, dirOnly bool) (*winsys.Link, error) {
		return nil, fn(windows.Handle(dir), base, dirOnly)
	})
}

// errSelf is the error of removing or renaming ".": no entry to act on.
func errSelf(name string) error {
	return errInvalid("%q names a directory by itself, not an entry in one", name)
}

// openFlags maps os.OpenFile's flags to NtCreateFile's access, disposition
// and options, as package os does on Windows.
func openFlags(flag int, perm fs.FileMode) (access, disposition, options, attrs uint32, err error) {
	const known = os.O_RDONLY | os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREATE | os.O_EXCL |
		os.O_SYNC | os.O_TRUNC | windows.O_CLOEXEC | windows.O_NOCTTY | windows.O_NONBLOCK
	if flag&^known != 0 {
		return 0, 0, 0, 0, errInvalid("open flags %#x not supported by Dir on Windows", flag&^known)
	}
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_RDONLY:
		access = windows.FILE_GENERIC_READ
	case os.O_WRONLY:
		access = windows.FILE_GENERIC_WRITE
		options = windows.FILE_NON_DIRECTORY_FILE // open(2) for writing a directory: EISDIR
	default:
		access = windows.FILE_GENERIC_READ | windows.FILE_GENERIC_WRITE
		options = windows.FILE_NON_DIRECTORY_FILE
	}
	if flag&os.O_APPEND != 0 {
		// Appending: write access only at the end, unless O_TRUNC needs it.
		access |= windows.FILE_APPEND_DATA
		if flag&os.O_TRUNC == 0 {
			access &^= windows.FILE_WRITE_DATA
		}
	}
	if flag&os.O_SYNC != 0 {
		options |= windows.FILE_WRITE_THROUGH
	}
	switch {
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		disposition = windows.FILE_CREATE
		options |= windows.FILE_OPEN_REPARSE_POINT // O_EXCL follows no link, not even a dangling one
	case flag&os.O_CREATE != 0:
		disposition = windows.FILE_OPEN_IF
	default:
		disposition = windows.FILE_OPEN
	}
	attrs = windows.FILE_ATTRIBUTE_NORMAL
	if flag&os.O_CREATE != 0 && perm&0o200 == 0 {
		attrs = windows.FILE_ATTRIBUTE_READONLY // as os.OpenFile: the owner's write bit is the attribute
	}
	return access, disposition, options, attrs, nil
}

func sysDirOpenFile(dirfd int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	access, disposition, options, attrs, err := openFlags(flag, perm)
	if err != nil {
		return 0, err
	}
	h, err := openFollow(dirfd, name, access, disposition, options, attrs)
	if err != nil {
		return 0, err
	}
	if flag&os.O_TRUNC != 0 {
		// Not FILE_OVERWRITE_IF: it would also replace the attributes of a
		// file that exists. Truncate it, as package os does.
		if err := winsys.SetEndOfFile(h, 0); err != nil {
			windows.CloseHandle(h)
			return 0, err
		}
	}
	return uintptr(h), nil
}

func sysDirOpenDir(dirfd int, name string) (uintptr, error) {
	h, err := openFollow(dirfd, name, dirAccess, windows.FILE_OPEN, windows.FILE_DIRECTORY_FILE, 0)
	if err != nil {
		return 0, err
	}
	return uintptr(h), nil
}

func sysDirMkdir(dirfd int, name string, _ fs.FileMode) error {
	return entry(dirfd, name, func(dir windows.Handle, base string, _ bool) error {
		return create(dir, base, windows.FILE_DIRECTORY_FILE, windows.FILE_ATTRIBUTE_NORMAL)
	})
}

// create makes the entry base in dir, a directory with FILE_DIRECTORY_FILE.
// An existing entry, a link included, is ERROR_ALREADY_EXISTS.
func create(dir windows.Handle, base string, options, attrs uint32) error {
	if base == "" {
		return windows.ERROR_ALREADY_EXISTS // "." or "a/..": a directory is there
	}
	h, _, err := winsys.Open(dir, base, windows.FILE_READ_ATTRIBUTES, windows.FILE_CREATE,
		options|windows.FILE_OPEN_REPARSE_POINT, attrs)
	if err == nil {
		windows.CloseHandle(h)
	}
	return err
}

// openEntry opens the entry base of dir itself, for removing, renaming or
// linking it. With dirOnly ("d/") it must be a directory, not a link to one:
// unlinkat and renameat refuse a trailing slash on a symbolic link.
func openEntry(dir windows.Handle, name, base string, dirOnly bool, access uint32) (windows.Handle, error) {
	if base == "" {
		return windows.InvalidHandle, errSelf(name)
	}
	h, _, err := winsys.Open(dir, base, access|windows.FILE_READ_ATTRIBUTES, windows.FILE_OPEN, windows.FILE_OPEN_REPARSE_POINT, 0)
	if err != nil || !dirOnly {
		return h, err
	}
	attrs, tag, err := winsys.AttributeTag(h)
	if err == nil && (attrs&windows.FILE_ATTRIBUTE_DIRECTORY == 0 || winsys.IsNameSurrogate(tag)) {
		err = syscall.ENOTDIR
	}
	if err != nil {
		windows.CloseHandle(h)
		return windows.InvalidHandle, err
	}
	return h, nil
}

func sysDirRemove(dirfd int, name string) error {
	return entry(dirfd, name, func(dir windows.Handle, base string, dirOnly bool) error {
		h, err := openEntry(dir, name, base, dirOnly, windows.DELETE)
		if err != nil {
			return err
		}
		defer windows.CloseHandle(h)
		return winsys.Delete(h)
	})
}

func sysDirRename(olddirfd int, oldname string, newdirfd int, newname string) error {
	return entry(olddirfd, oldname, func(odir windows.Handle, obase string, odirOnly bool) error {
		h, err := openEntry(odir, oldname, obase, odirOnly, windows.DELETE)
		if err != nil {
			return err
		}
		defer windows.CloseHandle(h)
		return entry(newdirfd, newname, func(ndir windows.Handle, nbase string, _ bool) error {
			if nbase == "" {
				return errSelf(newname)
			}
			return winsys.RenameAt(h, ndir, nbase)
		})
	})
}

func sysDirLink(olddirfd int, oldname string, newdirfd int, newname string) error {
	return lookup(olddirfd, oldname, windows.FILE_WRITE_ATTRIBUTES, func(h windows.Handle) error {
		return entry(newdirfd, newname, func(ndir windows.Handle, nbase string, _ bool) error {
			if nbase == "" {
				return windows.ERROR_ALREADY_EXISTS
			}
			return winsys.LinkAt(h, ndir, nbase)
		})
	})
}

func sysDirSymlink(target string, dirfd int, name string) error {
	target = strings.ReplaceAll(target, "/", `\`)
	isDir := dirTargetIsDir(dirfd, name, target)
	return entry(dirfd, name, func(dir windows.Handle, base string, _ bool) error {
		if base == "" {
			return windows.ERROR_ALREADY_EXISTS
		}
		return winsys.SymlinkAt(dir, base, target, isDir)
	})
}

// dirTargetIsDir reports whether target, read from the directory of the
// link name, is a directory beneath dirfd now. A target outside, or
// missing, makes a file link, as CreateSymbolicLinkW's callers do.
func dirTargetIsDir(dirfd int, name, target string) bool {
	if winsys.IsAbs(target) {
		return false // not looked at: a Dir never leaves its directory
	}
	parent := ""
	if i := strings.LastIndexAny(strings.TrimRight(name, `\/`), `\/`); i >= 0 {
		parent = name[:i+1]
	}
	h, err := openFollow(dirfd, parent+target, dirAccess, windows.FILE_OPEN, windows.FILE_DIRECTORY_FILE, 0)
	if err != nil {
		return false
	}
	windows.CloseHandle(h)
	return true
}

func sysDirReadlink(dirfd int, name string) (string, error) {
	var target string
	err := lookup(dirfd, name, windows.FILE_READ_ATTRIBUTES, func(h windows.Handle) (err error) {
		target, err = winsys.ReadlinkHandle(h)
		return err
	})
	return target, err
}

func sysDirStat(dirfd int, name string, follow bool) (*Stat, error) {
	var st *Stat
	statH := func(h windows.Handle) (err error) {
		st, err = sysFile.fstat(uintptr(h))
		return err
	}
	if !follow {
		return st, lookup(dirfd, name, windows.FILE_READ_ATTRIBUTES, statH)
	}
	h, err := openFollow(dirfd, name, windows.FILE_READ_ATTRIBUTES, windows.FILE_OPEN, 0, 0)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(h)
	return st, statH(h)
}

func sysDirChmod(dirfd int, name string, mode fs.FileMode) error {
	h, err := openFollow(dirfd, name, windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES, windows.FILE_OPEN, 0, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return sysFile.fchmod(uintptr(h), mode)
}

func sysDirLchown(int, string, int, int) error { return notSupportedErr("lchown on Windows") }

func sysDirSetTimes(dirfd int, name string, atime, mtime time.Time, follow bool) error {
	a, m, err := filetimes(atime, mtime)
	if err != nil {
		return err
	}
	const access = windows.FILE_READ_ATTRIBUTES | windows.FILE_WRITE_ATTRIBUTES
	set := func(h windows.Handle) error { return winsys.SetTimes(h, a, m) }
	if !follow {
		return lookup(dirfd, name, access, set)
	}
	h, err := openFollow(dirfd, name, access, windows.FILE_OPEN, 0, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return set(h)
}

// sysDirMknod makes an empty regular file; Windows has no device files or
// FIFOs in its file systems (named pipes live in their own namespace).
func sysDirMknod(dirfd int, name string, mode fs.FileMode, _ uint64) error {
	if mode.Type() != 0 {
		return notSupportedErr("mknod of a device or FIFO on Windows")
	}
	attrs := uint32(windows.FILE_ATTRIBUTE_NORMAL)
	if mode&0o200 == 0 {
		attrs = windows.FILE_ATTRIBUTE_READONLY
	}
	return entry(dirfd, name, func(dir windows.Handle, base string, _ bool) error {
		return create(dir, base, windows.FILE_NON_DIRECTORY_FILE, attrs)
	})
}
