//go:build windows

package windows

import (
	"strings"
	"syscall"

	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/windows"
)

// LongPath returns path in a form Win32 calls accept beyond MAX_PATH: an
// absolute `\\?\` path when it is long, path itself otherwise (as package
// os does for the calls it makes).
func LongPath(path string) string {
	const short = 248 // MAX_PATH less room for an 8.3 name, as CreateDirectory needs
	if len(path) < short || strings.HasPrefix(path, `\\?\`) || strings.HasPrefix(path, `\\.\`) {
		return path
	}
	full, err := syscall.FullPath(path)
	if err != nil {
		return path
	}
	if rest, ok := strings.CutPrefix(full, `\\`); ok {
		return `\\?\UNC\` + rest
	}
	return `\\?\` + full
}

// OpenPath opens the file at path for its metadata (CreateFileW with
// FILE_FLAG_BACKUP_SEMANTICS, so directories open too). With noFollow, a
// symbolic link or junction in the last component is opened itself
// (FILE_FLAG_OPEN_REPARSE_POINT); any other reparse point, which is the file
// it stands for, is opened as that file, as os.Lstat does.
func OpenPath(path string, access uint32, noFollow bool) (windows.Handle, error) {
	if path == "" {
		return windows.InvalidHandle, windows.ERROR_FILE_NOT_FOUND
	}
	p, err := windows.UTF16PtrFromString(LongPath(path))
	if err != nil {
		return windows.InvalidHandle, err
	}
	flags := uint32(windows.FILE_FLAG_BACKUP_SEMANTICS)
	if !noFollow {
		return windows.CreateFile(p, access, shareAll, nil, windows.OPEN_EXISTING, flags, 0)
	}
	h, err := windows.CreateFile(p, access, shareAll, nil, windows.OPEN_EXISTING, flags|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return h, err
	}
	if tag, err := ReparseTag(h); err == nil && tag != 0 && !IsNameSurrogate(tag) {
		if f, err := windows.CreateFile(p, access, shareAll, nil, windows.OPEN_EXISTING, flags, 0); err == nil {
			windows.CloseHandle(h)
			return f, nil
		}
	}
	return h, nil
}

// CreateSymbolicLink makes link a symbolic link to target (with
// backslashes), a directory link if isDir, with CreateSymbolicLinkW and
// SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE, so that Developer Mode
// needs no privilege; Windows before 10 1703 refuses the flag, and the call
// is made again without it.
//
// Wine 8's CreateSymbolicLinkW is a stub that reports success and creates
// nothing: under Wine the link is looked for, and its absence is an
// UnsupportedError.
func CreateSymbolicLink(link, target string, isDir bool) error {
	l, err := windows.UTF16PtrFromString(LongPath(link))
	if err != nil {
		return err
	}
	t, err := windows.UTF16PtrFromString(target)
	if err != nil {
		return err
	}
	var flags uint32
	if isDir {
		flags |= symbolicLinkFlagDirectory
	}
	err = windows.CreateSymbolicLink(l, t, flags|symbolicLinkFlagUnprivileged)
	if err == windows.ERROR_INVALID_PARAMETER {
		err = windows.CreateSymbolicLink(l, t, flags)
	}
	if err != nil {
		if unsupportedErrno(err) {
			return &UnsupportedError{What: "CreateSymbolicLinkW", Err: err}
		}
		return err
	}
	if v := WineVersion(); v != "" {
		attrs, err := windows.GetFileAttributes(l)
		if err != nil || attrs&windows.FILE_ATTRIBUTE_REPARSE_POINT == 0 {
			return &UnsupportedError{What: "symbolic links under Wine " + v + " (CreateSymbolicLinkW is a stub)", Err: windows.ERROR_NOT_SUPPORTED}
		}
	}
	return nil
}

// CreateHardLink makes newname a hard link to oldname (CreateHardLinkW).
func CreateHardLink(oldname, newname string) error {
	o, err := windows.UTF16PtrFromString(LongPath(oldname))
	if err != nil {
		return err
	}
	n, err := windows.UTF16PtrFromString(LongPath(newname))
	if err != nil {
		return err
	}
	err = windows.CreateHardLink(n, o, 0)
	if err != nil && unsupportedErrno(err) {
		return &UnsupportedError{What: "hard links", Err: err} // FAT, exFAT
	}
	return err
}

// OpenName opens name with os.OpenFile's flag and permission bits: what
// os.OpenFile calls, for a handle to make an *os.File of later.
func OpenName(name string, flag int, perm uint32) (windows.Handle, error) {
	h, err := syscall.Open(LongPath(name), flag|syscall.O_CLOEXEC, perm)
	return windows.Handle(h), err
}

// StatPath describes the file at path for extfs.Stat (FileStat.Info), or
// with follow false a final symbolic link itself.
func StatPath(path string, follow bool) (fsstat.Stat, error) {
	h, err := OpenPath(path, windows.FILE_READ_ATTRIBUTES, !follow)
	if err != nil {
		return fsstat.Stat{}, err
	}
	defer windows.CloseHandle(h)
	return info(Fstat(h))
}
