package windows

// The mechanism of extfs's Dir on Windows. A Dir holds a directory HANDLE.
// Every call is one walk of internal/beneath: the name is resolved beneath
// the handle one component at a time, each opened with NtCreateFile
// relative to the directory reached so far and OBJ_DONT_REPARSE, so that
// Windows follows no symbolic link or junction by itself; the walk reads
// each one it meets and follows it only while it stays beneath. The walk's
// last step does the operation on (directory, last component):
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
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/extfs/extfs/internal/beneath"
	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/windows"
)

// DirAccess is what a Dir's handle, and the directories a walk goes
// through, are opened with: traverse, like the search permission Linux's
// O_PATH needs, and read attributes to tell a directory.
const DirAccess = windows.FILE_TRAVERSE | windows.FILE_READ_ATTRIBUTES

// OpenArgs are NtCreateFile's access, disposition (FILE_OPEN, FILE_CREATE,
// FILE_OPEN_IF), create options and file attributes.
type OpenArgs struct {
	Access, Disposition, Options, Attrs uint32
}

// dirOpener is the beneath.Opener of Windows.
type dirOpener struct{}

// OpenDir opens a directory on the way down, with the rights a walk needs.
func (dirOpener) OpenDir(dir Handle, name string) (Handle, *beneath.Link, error) {
	h, link, err := Open(windows.Handle(dir), name, DirAccess, windows.FILE_OPEN, windows.FILE_DIRECTORY_FILE, 0)
	switch err {
	case syscall.ENOTDIR, windows.ERROR_FILE_NOT_FOUND:
		// What os.Open says for "a\b" when a is missing or a file.
		err = windows.ERROR_PATH_NOT_FOUND
	}
	return Handle(h), walkLink(link), err
}

func (dirOpener) Close(h Handle) { windows.CloseHandle(windows.Handle(h)) }

// walkLink is what the walk needs of a Link: a junction, and a link without
// the relative flag, are resolved from a volume's root whatever they say.
func walkLink(l *Link) *beneath.Link {
	if l == nil {
		return nil
	}
	return &beneath.Link{Target: l.Target, Abs: !l.Relative}
}

// walk resolves name beneath dirfd and runs last on its final component.
func walk(dirfd Handle, name string, last func(dir windows.Handle, base string, dirOnly bool) (*Link, error)) error {
	return beneath.Walk(&Rules, dirOpener{}, dirfd, name, func(dir Handle, base string, dirOnly bool) (*beneath.Link, error) {
		link, err := last(windows.Handle(dir), base, dirOnly)
		return walkLink(link), err
	})
}

// OpenDir opens the directory at path for a Dir to hold.
func OpenDir(path string) (windows.Handle, error) {
	h, err := OpenPath(path, DirAccess, false)
	if err != nil {
		return h, err
	}
	attrs, err := Attributes(h)
	if err == nil && attrs&windows.FILE_ATTRIBUTE_DIRECTORY == 0 {
		err = syscall.ENOTDIR
	}
	if err != nil {
		windows.CloseHandle(h)
		return windows.InvalidHandle, err
	}
	return h, nil
}

// OpenFollow opens name beneath dirfd, following a link in the last
// component too. A name that must be a directory ("d/", ".") adds
// FILE_DIRECTORY_FILE.
func OpenFollow(dirfd Handle, name string, a OpenArgs) (windows.Handle, error) {
	h := windows.InvalidHandle
	err := walk(dirfd, name, func(dir windows.Handle, base string, dirOnly bool) (*Link, error) {
		opts := a.Options
		if dirOnly {
			if a.Disposition != windows.FILE_OPEN {
				return nil, syscall.EISDIR // what open(2) says for "name/" with O_CREAT
			}
			opts |= windows.FILE_DIRECTORY_FILE
		}
		fd, link, err := Open(dir, base, a.Access, a.Disposition, opts, a.Attrs)
		h = fd
		return link, err
	})
	return h, err
}

// WithFollow runs fn with name beneath dirfd opened with access, a link in
// the last component followed.
func WithFollow(dirfd Handle, name string, access uint32, fn func(h windows.Handle) error) error {
	h, err := OpenFollow(dirfd, name, OpenArgs{Access: access, Disposition: windows.FILE_OPEN})
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return fn(h)
}

// Lookup runs fn on the entry name itself, a link not followed, opened with
// access. As in the kernel's lookups, a name that must be a directory ("l/",
// ".", "a/..") follows a link in the last component, beneath dirfd.
func Lookup(dirfd Handle, name string, access uint32, fn func(h windows.Handle) error) error {
	return walk(dirfd, name, func(d windows.Handle, base string, dirOnly bool) (*Link, error) {
		var options uint32
		if dirOnly {
			options = windows.FILE_DIRECTORY_FILE
		}
		h, link, err := Open(d, base, access, windows.FILE_OPEN, options, 0)
		if link != nil && !dirOnly {
			// A symbolic link or junction: open it itself. (Other reparse
			// points, which stand for the file, Open opened as that file,
			// as os.Lstat does.)
			h, _, err = Open(d, base, access, windows.FILE_OPEN, windows.FILE_OPEN_REPARSE_POINT, 0)
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
func entry(dirfd Handle, name string, fn func(dir windows.Handle, base string, dirOnly bool) error) error {
	return walk(dirfd, name, func(dir windows.Handle, base string, dirOnly bool) (*Link, error) {
		return nil, fn(dir, base, dirOnly)
	})
}

// NotEntryError is the error of removing or renaming ".": no entry to act
// on. It matches fs.ErrInvalid and syscall.EINVAL, as extfs's bad input.
type NotEntryError struct{ Name string }

func (e *NotEntryError) Error() string {
	return fmt.Sprintf("%q names a directory by itself, not an entry in one", e.Name)
}

func (e *NotEntryError) Is(target error) bool {
	return target == fs.ErrInvalid || target == syscall.EINVAL
}

// OpenFlags maps os.OpenFile's flags to NtCreateFile's arguments, as
// package os does on Windows; readOnly is a new file's attribute. unknown
// are the flags it cannot map.
func OpenFlags(flag int, readOnly bool) (a OpenArgs, unknown int) {
	const known = os.O_RDONLY | os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREATE | os.O_EXCL |
		os.O_SYNC | os.O_TRUNC | windows.O_CLOEXEC | windows.O_NOCTTY | windows.O_NONBLOCK
	if flag&^known != 0 {
		return a, flag &^ known
	}
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_RDONLY:
		a.Access = windows.FILE_GENERIC_READ
	case os.O_WRONLY:
		a.Access = windows.FILE_GENERIC_WRITE
		a.Options = windows.FILE_NON_DIRECTORY_FILE // open(2) for writing a directory: EISDIR
	default:
		a.Access = windows.FILE_GENERIC_READ | windows.FILE_GENERIC_WRITE
		a.Options = windows.FILE_NON_DIRECTORY_FILE
	}
	if flag&os.O_APPEND != 0 {
		// Appending: write access only at the end, unless O_TRUNC needs it.
		a.Access |= windows.FILE_APPEND_DATA
		if flag&os.O_TRUNC == 0 {
			a.Access &^= windows.FILE_WRITE_DATA
		}
	}
	if flag&os.O_SYNC != 0 {
		a.Options |= windows.FILE_WRITE_THROUGH
	}
	switch {
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		a.Disposition = windows.FILE_CREATE
		a.Options |= windows.FILE_OPEN_REPARSE_POINT // O_EXCL follows no link, not even a dangling one
	case flag&os.O_CREATE != 0:
		a.Disposition = windows.FILE_OPEN_IF
	default:
		a.Disposition = windows.FILE_OPEN
	}
	a.Attrs = windows.FILE_ATTRIBUTE_NORMAL
	if flag&os.O_CREATE != 0 && readOnly {
		a.Attrs = windows.FILE_ATTRIBUTE_READONLY // as os.OpenFile: the owner's write bit is the attribute
	}
	return a, 0
}

// DirOpen opens name beneath dirfd with os.OpenFile's flag (DirOpenFile);
// readOnly is a new file's attribute. A flag OpenFlags cannot map is an
// InvalidError.
func DirOpen(dirfd Handle, name string, flag int, readOnly bool) (windows.Handle, error) {
	a, unknown := OpenFlags(flag, readOnly)
	if unknown != 0 {
		return windows.InvalidHandle, &InvalidError{fmt.Sprintf("open flags %#x not supported by Dir on Windows", unknown)}
	}
	return DirOpenFile(dirfd, name, a, flag&os.O_TRUNC != 0)
}

// DirOpenFile opens name beneath dirfd as OpenFlags mapped it; with trunc
// (O_TRUNC) it truncates the file.
func DirOpenFile(dirfd Handle, name string, a OpenArgs, trunc bool) (windows.Handle, error) {
	h, err := OpenFollow(dirfd, name, a)
	if err != nil || !trunc {
		return h, err
	}
	// Not FILE_OVERWRITE_IF: it would also replace the attributes of a
	// file that exists. Truncate it, as package os does.
	if err := SetEndOfFile(h, 0); err != nil {
		windows.CloseHandle(h)
		return windows.InvalidHandle, err
	}
	return h, nil
}

// DirOpenSub opens the directory name beneath dirfd for a Dir to hold.
func DirOpenSub(dirfd Handle, name string) (windows.Handle, error) {
	return OpenFollow(dirfd, name, OpenArgs{Access: DirAccess, Disposition: windows.FILE_OPEN, Options: windows.FILE_DIRECTORY_FILE})
}

// DirMkdir makes the directory name beneath dirfd.
func DirMkdir(dirfd Handle, name string) error {
	return create(dirfd, name, windows.FILE_DIRECTORY_FILE, windows.FILE_ATTRIBUTE_NORMAL)
}

// DirMkfile makes name beneath dirfd an empty regular file, read-only if
// readOnly.
func DirMkfile(dirfd Handle, name string, readOnly bool) error {
	attrs := uint32(windows.FILE_ATTRIBUTE_NORMAL)
	if readOnly {
		attrs = windows.FILE_ATTRIBUTE_READONLY
	}
	return create(dirfd, name, windows.FILE_NON_DIRECTORY_FILE, attrs)
}

// create makes the entry name beneath dirfd, a directory with
// FILE_DIRECTORY_FILE. An existing entry, a link included, is
// ERROR_ALREADY_EXISTS.
func create(dirfd Handle, name string, options, attrs uint32) error {
	return entry(dirfd, name, func(dir windows.Handle, base string, _ bool) error {
		if base == "" {
			return windows.ERROR_ALREADY_EXISTS // "." or "a/..": a directory is there
		}
		h, _, err := Open(dir, base, windows.FILE_READ_ATTRIBUTES, windows.FILE_CREATE,
			options|windows.FILE_OPEN_REPARSE_POINT, attrs)
		if err == nil {
			windows.CloseHandle(h)
		}
		return err
	})
}

// openEntry opens the entry base of dir itself, for removing, renaming or
// linking it. With dirOnly ("d/") it must be a directory, not a link to one:
// unlinkat and renameat refuse a trailing slash on a symbolic link.
func openEntry(dir windows.Handle, name, base string, dirOnly bool, access uint32) (windows.Handle, error) {
	if base == "" {
		return windows.InvalidHandle, &NotEntryError{Name: name}
	}
	h, _, err := Open(dir, base, access|windows.FILE_READ_ATTRIBUTES, windows.FILE_OPEN, windows.FILE_OPEN_REPARSE_POINT, 0)
	if err != nil || !dirOnly {
		return h, err
	}
	attrs, tag, err := AttributeTag(h)
	if err == nil && (attrs&windows.FILE_ATTRIBUTE_DIRECTORY == 0 || IsNameSurrogate(tag)) {
		err = syscall.ENOTDIR
	}
	if err != nil {
		windows.CloseHandle(h)
		return windows.InvalidHandle, err
	}
	return h, nil
}

// DirRemove removes the file or empty directory name beneath dirfd.
func DirRemove(dirfd Handle, name string) error {
	return entry(dirfd, name, func(dir windows.Handle, base string, dirOnly bool) error {
		h, err := openEntry(dir, name, base, dirOnly, windows.DELETE)
		if err != nil {
			return err
		}
		defer windows.CloseHandle(h)
		return Delete(h)
	})
}

// DirRename renames oldname beneath olddirfd to newname beneath newdirfd.
func DirRename(olddirfd Handle, oldname string, newdirfd Handle, newname string) error {
	return entry(olddirfd, oldname, func(odir windows.Handle, obase string, odirOnly bool) error {
		h, err := openEntry(odir, oldname, obase, odirOnly, windows.DELETE)
		if err != nil {
			return err
		}
		defer windows.CloseHandle(h)
		return entry(newdirfd, newname, func(ndir windows.Handle, nbase string, _ bool) error {
			if nbase == "" {
				return &NotEntryError{Name: newname}
			}
			return RenameAt(h, ndir, nbase)
		})
	})
}

// DirLink makes newname beneath newdirfd a hard link to oldname beneath
// olddirfd, itself if it is a symbolic link.
func DirLink(olddirfd Handle, oldname string, newdirfd Handle, newname string) error {
	return Lookup(olddirfd, oldname, windows.FILE_WRITE_ATTRIBUTES, func(h windows.Handle) error {
		return entry(newdirfd, newname, func(ndir windows.Handle, nbase string, _ bool) error {
			if nbase == "" {
				return windows.ERROR_ALREADY_EXISTS
			}
			return LinkAt(h, ndir, nbase)
		})
	})
}

// DirSymlink makes name beneath dirfd a symbolic link to target (with
// backslashes or slashes), a directory link if target is a directory
// beneath dirfd now.
func DirSymlink(target string, dirfd Handle, name string) error {
	target = strings.ReplaceAll(target, "/", `\`)
	isDir := targetIsDir(dirfd, name, target)
	return entry(dirfd, name, func(dir windows.Handle, base string, _ bool) error {
		if base == "" {
			return windows.ERROR_ALREADY_EXISTS
		}
		return SymlinkAt(dir, base, target, isDir)
	})
}

// targetIsDir reports whether target, read from the directory of the link
// name, is a directory beneath dirfd now. A target outside, or missing,
// makes a file link, as CreateSymbolicLinkW's callers do.
func targetIsDir(dirfd Handle, name, target string) bool {
	if IsAbs(target) {
		return false // not looked at: a Dir never leaves its directory
	}
	parent := ""
	if i := strings.LastIndexAny(strings.TrimRight(name, `\/`), `\/`); i >= 0 {
		parent = name[:i+1]
	}
	h, err := DirOpenSub(dirfd, parent+target)
	if err != nil {
		return false
	}
	windows.CloseHandle(h)
	return true
}

// at runs fn on name beneath dirfd opened with access: following a link in
// the last component if follow, the entry itself otherwise.
func at(dirfd Handle, name string, follow bool, access uint32, fn func(h windows.Handle) error) error {
	if follow {
		return WithFollow(dirfd, name, access, fn)
	}
	return Lookup(dirfd, name, access, fn)
}

// DirReadlink reads the symbolic link name beneath dirfd.
func DirReadlink(dirfd Handle, name string) (target string, err error) {
	err = Lookup(dirfd, name, windows.FILE_READ_ATTRIBUTES, func(h windows.Handle) (err error) {
		target, err = ReadlinkHandle(h)
		return err
	})
	return target, err
}

// DirStat describes name beneath dirfd for extfs.Stat (FileStat.Info),
// following a final link if follow.
func DirStat(dirfd Handle, name string, follow bool) (st fsstat.Stat, err error) {
	err = at(dirfd, name, follow, windows.FILE_READ_ATTRIBUTES, func(h windows.Handle) (err error) {
		st, err = info(Fstat(h))
		return err
	})
	return st, err
}

// DirSetReadOnly sets or clears the read-only attribute of name beneath
// dirfd, following a final link.
func DirSetReadOnly(dirfd Handle, name string, readOnly bool) error {
	return WithFollow(dirfd, name, windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES,
		func(h windows.Handle) error { return SetReadOnly(h, readOnly) })
}

// DirSetTimes sets the times (a zero Time: unchanged) of name beneath
// dirfd, following a final link if follow. A time out of range is refused
// before name is looked up.
func DirSetTimes(dirfd Handle, name string, atime, mtime time.Time, follow bool) error {
	a, m, err := Filetimes(atime, mtime)
	if err != nil {
		return err
	}
	return at(dirfd, name, follow, windows.FILE_READ_ATTRIBUTES|windows.FILE_WRITE_ATTRIBUTES,
		func(h windows.Handle) error { return setFiletimes(h, a, m) })
}
