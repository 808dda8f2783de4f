//go:build windows

package windows

import (
	"errors"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// shareAll lets other handles read, write, rename and delete the file, as
// POSIX systems do.
const shareAll = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE

// ntCreate is NtCreateFile of the single component name ("" for dir
// itself) relative to the directory handle dir. Windows does no Win32 name
// translation there: "CON" or "a." are ordinary names, and ".." is not
// understood (STATUS_OBJECT_NAME_INVALID). With noReparse, OBJ_DONT_REPARSE
// stops the system from following a reparse point: that is errReparse. The
// handle is for synchronous I/O.
func ntCreate(dir windows.Handle, name string, access, disposition, options, attrs uint32, noReparse bool) (windows.Handle, error) {
	objName, err := windows.NewNTUnicodeString(name)
	if err != nil {
		return windows.InvalidHandle, err // a NUL byte, or too long
	}
	oa := windows.OBJECT_ATTRIBUTES{
		RootDirectory: dir,
		ObjectName:    objName,
		Attributes:    windows.OBJ_CASE_INSENSITIVE, // as Win32 names are
	}
	oa.Length = uint32(unsafe.Sizeof(oa))
	if noReparse {
		oa.Attributes |= windows.OBJ_DONT_REPARSE
	}
	var h windows.Handle
	var iosb windows.IO_STATUS_BLOCK
	err = windows.NtCreateFile(&h, access|windows.SYNCHRONIZE, &oa, &iosb, nil, attrs, shareAll, disposition,
		options|windows.FILE_SYNCHRONOUS_IO_NONALERT|windows.FILE_OPEN_FOR_BACKUP_INTENT, 0, 0)
	if err != nil {
		return windows.InvalidHandle, statusErr(err)
	}
	return h, nil
}

// lookupTries bounds Open's retries when the entry changes between its
// opens.
const lookupTries = 8

// errChanged: the entry Open looked at was replaced before it opened it.
var errChanged = errors.New("entry changed during the lookup")

// Open opens the single component name of dir ("" for dir itself) with
// NtCreateFile's access, disposition (FILE_OPEN, FILE_CREATE, FILE_OPEN_IF),
// create options and file attributes, and does not let the system follow a
// reparse point there.
//
// For a symbolic link or a junction it returns the Link and no handle, for
// the caller to follow or refuse. Any other reparse point (a cloud file, a
// deduplicated or WOF-compressed file) is opened as the file it stands for:
// opened again without OBJ_DONT_REPARSE, after which Open checks that the
// file is the one it looked at, so that a link put in its place in between
// is never followed.
//
// With FILE_OPEN_REPARSE_POINT in options, Open opens the entry itself,
// whatever it is, and never returns a Link.
func Open(dir windows.Handle, name string, access, disposition, options, attrs uint32) (windows.Handle, *Link, error) {
	if options&windows.FILE_OPEN_REPARSE_POINT != 0 {
		h, err := ntCreate(dir, name, access, disposition, options, attrs, false)
		return h, nil, err
	}
	for range lookupTries {
		h, err := ntCreate(dir, name, access, disposition, options, attrs, true)
		if err != errReparse {
			return h, nil, err
		}
		e, err := ntCreate(dir, name, windows.FILE_READ_ATTRIBUTES, windows.FILE_OPEN, windows.FILE_OPEN_REPARSE_POINT, 0, false)
		if err != nil {
			return windows.InvalidHandle, nil, err
		}
		h, link, err := openReparse(e, dir, name, access, disposition, options, attrs)
		windows.CloseHandle(e)
		if err != errChanged {
			return h, link, err
		}
	}
	return windows.InvalidHandle, nil, syscall.EAGAIN
}

// openReparse is Open's second step, e being the reparse point itself.
func openReparse(e, dir windows.Handle, name string, access, disposition, options, attrs uint32) (windows.Handle, *Link, error) {
	tag, err := ReparseTag(e)
	switch {
	case err != nil:
		return windows.InvalidHandle, nil, err
	case tag == 0:
		return windows.InvalidHandle, nil, errChanged // no reparse point any more
	case IsNameSurrogate(tag):
		_, link, err := ReadLink(e)
		if err == nil && link == nil {
			// A name surrogate that is neither a symbolic link nor a
			// junction: it leads somewhere extfs cannot tell. Refuse.
			err = &UnsupportedError{What: "following this kind of reparse point", Err: windows.ERROR_CANT_RESOLVE_FILENAME}
		}
		return windows.InvalidHandle, link, err
	}
	want, err := FileID(e)
	if err != nil {
		return windows.InvalidHandle, nil, err
	}
	h, err := ntCreate(dir, name, access, disposition, options, attrs, false)
	if err != nil {
		return windows.InvalidHandle, nil, err
	}
	if got, err := FileID(h); err != nil || got != want {
		windows.CloseHandle(h)
		if err == nil {
			err = errChanged
		}
		return windows.InvalidHandle, nil, err
	}
	return h, nil, nil
}

// ReadLink reads the reparse point of h, which was opened with
// FILE_OPEN_REPARSE_POINT: its tag and, for a symbolic link or a junction,
// its Link. A file that is no reparse point is ERROR_NOT_A_REPARSE_POINT.
func ReadLink(h windows.Handle) (uint32, *Link, error) {
	buf := make([]byte, windows.MAXIMUM_REPARSE_DATA_BUFFER_SIZE)
	n, err := fsctl("FSCTL_GET_REPARSE_POINT", h, windows.FSCTL_GET_REPARSE_POINT, nil, 0, unsafe.Pointer(&buf[0]), uint32(len(buf)))
	if err != nil {
		return 0, nil, err
	}
	return ParseReparse(buf[:n])
}

// Reopen opens the file h refers to again, with other access rights and
// options (NtCreateFile relative to h with an empty name, as ReOpenFile).
func Reopen(h windows.Handle, access, options uint32) (windows.Handle, error) {
	return ntCreate(h, "", access, windows.FILE_OPEN, options|windows.FILE_OPEN_REPARSE_POINT, 0, false)
}

// Delete deletes the file or empty directory h, which was opened with
// DELETE access (and FILE_OPEN_REPARSE_POINT, to delete a link itself). The
// name goes at once, POSIX-style, even if the file is open elsewhere, and a
// read-only file is deleted like any other, as unlink(2) would.
func Delete(h windows.Handle) error {
	// FileDispositionInformationEx: Windows 10 1607; the read-only flag 1809.
	flags := uint32(windows.FILE_DISPOSITION_DELETE | windows.FILE_DISPOSITION_POSIX_SEMANTICS | fileDispositionIgnoreReadonly)
	err := setInfo(h, classDispositionEx, unsafe.Pointer(&flags), unsafe.Sizeof(flags))
	if err == nil || !(unsupportedStatus(err) || err == windows.STATUS_INVALID_PARAMETER) {
		return statusErrOrNil(err)
	}
	// Older Windows, FAT, Wine 8: the classic disposition, which refuses a
	// read-only file (STATUS_CANNOT_DELETE). Clear the attribute first.
	if attrs, err := Attributes(h); err == nil && attrs&windows.FILE_ATTRIBUTE_READONLY != 0 {
		wh, err := Reopen(h, windows.FILE_WRITE_ATTRIBUTES, 0)
		if err != nil {
			return err
		}
		err = setAttributes(wh, attrs&^windows.FILE_ATTRIBUTE_READONLY)
		windows.CloseHandle(wh)
		if err != nil {
			return err
		}
	}
	del := uint8(1) // FILE_DISPOSITION_INFORMATION{DeleteFile: TRUE}
	return statusErrOrNil(setInfo(h, classDisposition, unsafe.Pointer(&del), unsafe.Sizeof(del)))
}

func statusErrOrNil(err error) error {
	if err == nil {
		return nil
	}
	return statusErr(err)
}

// fileNameInformation is the header of FILE_RENAME_INFORMATION(_EX) and
// FILE_LINK_INFORMATION: Flags is ReplaceIfExists in the classic classes.
type fileNameInformation struct {
	Flags          uint32
	RootDirectory  windows.Handle
	FileNameLength uint32
	FileName       [1]uint16
}

// nameInfo builds a fileNameInformation naming name in dir, in a buffer of
// the right length and alignment.
func nameInfo(flags uint32, dir windows.Handle, name string) (unsafe.Pointer, uintptr, error) {
	u, err := windows.UTF16FromString(name)
	if err != nil {
		return nil, 0, err
	}
	u = u[:len(u)-1]
	// At least the size of the struct, whose FileName has room for one
	// character: Wine refuses less (STATUS_INVALID_PARAMETER) for a
	// one-character name.
	size := max(unsafe.Offsetof(fileNameInformation{}.FileName)+2*uintptr(len(u)), unsafe.Sizeof(fileNameInformation{}))
	buf := make([]uint64, (size+7)/8)
	fi := (*fileNameInformation)(unsafe.Pointer(&buf[0]))
	fi.Flags = flags
	fi.RootDirectory = dir
	fi.FileNameLength = uint32(2 * len(u))
	copy(unsafe.Slice(&fi.FileName[0], len(u)), u)
	return unsafe.Pointer(&buf[0]), size, nil
}

// RenameAt moves the file h (opened with DELETE access) to newname in the
// directory newdir, replacing what is there, as rename(2) does: with POSIX
// semantics (a replaced file may be open) and over a read-only file, where
// the file system has them.
func RenameAt(h, newdir windows.Handle, newname string) error {
	flags := uint32(windows.FILE_RENAME_REPLACE_IF_EXISTS | windows.FILE_RENAME_POSIX_SEMANTICS | fileRenameIgnoreReadonly)
	info, size, err := nameInfo(flags, newdir, newname)
	if err != nil {
		return err
	}
	err = setInfo(h, classRenameEx, info, size)
	if err == nil || !(unsupportedStatus(err) || err == windows.STATUS_INVALID_PARAMETER) {
		return statusErrOrNil(err)
	}
	// FileRenameInformationEx is Windows 10 1709; FAT and Wine 8 lack it.
	info, size, _ = nameInfo(1, newdir, newname) // ReplaceIfExists: TRUE
	return statusErrOrNil(setInfo(h, classRename, info, size))
}

// LinkAt makes newname in the directory newdir a hard link to the file h. An
// existing newname is not replaced (ERROR_ALREADY_EXISTS).
func LinkAt(h, newdir windows.Handle, newname string) error {
	info, size, err := nameInfo(0, newdir, newname)
	if err != nil {
		return err
	}
	err = setInfo(h, classLink, info, size)
	if err != nil && unsupportedStatus(err) {
		return &UnsupportedError{What: "hard links", Err: statusErr(err)} // FAT, exFAT
	}
	return statusErrOrNil(err)
}

// SymlinkAt creates name in dir as a symbolic link to target (with
// backslashes), a directory link if isDir: the entry is made with
// NtCreateFile and turned into a link with FSCTL_SET_REPARSE_POINT, so it is
// created in dir whatever happens to the names above it.
//
// That control needs SeCreateSymbolicLinkPrivilege (administrators have it;
// SymlinkAt enables it for the call when the process holds it, as
// CreateSymbolicLinkW does). Developer Mode's unprivileged symbolic links
// exist only through CreateSymbolicLinkW, which takes a full path: without
// the privilege SymlinkAt fails with ERROR_PRIVILEGE_NOT_HELD.
func SymlinkAt(dir windows.Handle, name, target string, isDir bool) error {
	data, err := SymlinkReparse(target)
	if err != nil {
		return err
	}
	options := uint32(windows.FILE_OPEN_REPARSE_POINT | windows.FILE_NON_DIRECTORY_FILE)
	if isDir {
		options = windows.FILE_OPEN_REPARSE_POINT | windows.FILE_DIRECTORY_FILE
	}
	h, err := ntCreate(dir, name, windows.FILE_WRITE_ATTRIBUTES|windows.DELETE, windows.FILE_CREATE, options, windows.FILE_ATTRIBUTE_NORMAL, false)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	err = withPrivilege("SeCreateSymbolicLinkPrivilege", func() error {
		_, err := fsctl("FSCTL_SET_REPARSE_POINT", h, windows.FSCTL_SET_REPARSE_POINT, unsafe.Pointer(&data[0]), uint32(len(data)), nil, 0)
		return err
	})
	if err != nil {
		// Take back the entry made for the link.
		del := uint8(1)
		setInfo(h, classDisposition, unsafe.Pointer(&del), unsafe.Sizeof(del))
		if WineVersion() != "" && errors.Is(err, errors.ErrUnsupported) {
			return &UnsupportedError{What: "symbolic links under Wine " + WineVersion(), Err: err}
		}
	}
	return err
}

// withPrivilege runs fn with the named privilege enabled on the calling
// thread, when the process holds it; otherwise it runs fn as is, which then
// fails as it should.
func withPrivilege(name string, fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if windows.ImpersonateSelf(windows.SecurityImpersonation) != nil {
		return fn()
	}
	defer windows.RevertToSelf()
	var tok windows.Token
	if windows.OpenThreadToken(windows.CurrentThread(), windows.TOKEN_QUERY|windows.TOKEN_ADJUST_PRIVILEGES, false, &tok) != nil {
		return fn()
	}
	defer tok.Close()
	tp := windows.Tokenprivileges{PrivilegeCount: 1}
	tp.Privileges[0].Attributes = windows.SE_PRIVILEGE_ENABLED
	p, err := windows.UTF16PtrFromString(name)
	if err != nil || windows.LookupPrivilegeValue(nil, p, &tp.Privileges[0].Luid) != nil {
		return fn()
	}
	windows.AdjustTokenPrivileges(tok, false, &tp, 0, nil, nil) // ERROR_NOT_ALL_ASSIGNED: not held; fn will say so
	return fn()
}
