package extfs

// Link creates newname as a hard link to oldname.
//
// In Link, Symlink and Readlink, a name with a NUL byte is refused with an
// error matching fs.ErrInvalid.
func Link(oldname, newname string) error {
	if err := checkPaths("old name", oldname, "new name", newname); err != nil {
		return linkErr("link", oldname, newname, err)
	}
	return linkErr("link", oldname, newname, sysFile.linkat(atCWD, oldname, atCWD, newname))
}

// Symlink creates linkname as a symbolic link to target. target is stored as
// given: it is not checked and need not exist.
//
// # Windows notes
//
// CreateSymbolicLinkW, with SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE:
// creating a link needs Developer Mode or SeCreateSymbolicLinkPrivilege
// (administrators have it). As os.Symlink does, '/' in target is stored as
// '\' (Windows follows only '\'), and the link is a directory link when
// target, read from linkname's directory, is a directory now. Wine 8 has no
// symbolic links (its CreateSymbolicLinkW reports success and makes
// nothing): Symlink checks, and returns an error matching ErrNotSupported.
func Symlink(target, linkname string) error {
	if err := checkSymlink(target, linkname); err != nil {
		return linkErr("symlink", target, linkname, err)
	}
	return linkErr("symlink", target, linkname, sysFile.symlinkat(target, atCWD, linkname))
}

// Readlink returns the target of the symbolic link name.
//
// # Windows notes
//
// Also of a junction. A relative target is returned as stored; an absolute
// one in its Win32 form (C:\x, \\server\share), as os.Readlink does.
// Anything else, other reparse points included, is not a link
// (ERROR_NOT_A_REPARSE_POINT).
func Readlink(name string) (string, error) {
	if err := checkPath("path", name); err != nil {
		return "", pathErr("readlink", name, err)
	}
	s, err := sysFile.readlinkat(atCWD, name)
	return s, pathErr("readlink", name, err)
}

// checkSymlink refuses an empty target, which names nothing, and names with
// a NUL byte.
func checkSymlink(target, linkname string) error {
	if target == "" {
		return errInvalid("empty symlink target")
	}
	return checkPaths("symlink target", target, "link name", linkname)
}
