package extfs

// Link creates newname as a hard link to oldname.
func Link(oldname, newname string) error {
	return linkErr("link", oldname, newname, sysLinkat(atCWD, oldname, atCWD, newname))
}

// Symlink creates linkname as a symbolic link to target. target is stored as
// given: it is not checked and need not exist.
func Symlink(target, linkname string) error {
	if target == "" {
		return linkErr("symlink", target, linkname, errInvalid("empty symlink target"))
	}
	return linkErr("symlink", target, linkname, sysSymlinkat(target, atCWD, linkname))
}

// Readlink returns the target of the symbolic link name.
func Readlink(name string) (string, error) {
	s, err := sysReadlinkat(atCWD, name)
	return s, pathErr("readlink", name, err)
}
