//go:build windows

package windows

// The call CopyTree needs beyond a directory's: a rename that never
// replaces, to give a directory or file made under a temporary name its own.

import "golang.org/x/sys/windows"

// RenameNoReplaceAt renames the entry old of the directory dir to name in
// it, unless name exists (ERROR_ALREADY_EXISTS). A symbolic link at old is
// renamed itself. FileRenameInformation with ReplaceIfExists FALSE is in
// every Windows and in Wine; unlike a hard link, it renames directories.
func RenameNoReplaceAt(dir windows.Handle, old, name string) error {
	h, _, err := Open(dir, old, windows.DELETE|windows.FILE_READ_ATTRIBUTES, windows.FILE_OPEN, windows.FILE_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	info, size, err := nameInfo(0, dir, name)
	if err != nil {
		return err
	}
	return statusErrOrNil(setInfo(h, classRename, info, size))
}
