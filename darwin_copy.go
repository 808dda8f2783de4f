package extfs

// The macOS decisions of copying and cloning (copy_darwin.go) in extfs's
// own terms: CoWMode, errors. This file has no build constraint, so that
// darwin_copy_test.go runs on Linux too; the decisions in macOS's terms are
// in sys/darwin (clone.go).

import (
	"errors"
	"fmt"

	"github.com/extfs/extfs/sys/darwin"
)

// darwinCloneWanted reports whether CopyFile clones on macOS: as
// copyContents tries FICLONE on Linux — never under CoWNever, and an empty
// file only under CoWAlways, which must say whether the volume can clone.
func darwinCloneWanted(cow CoWMode, size int64) bool {
	return cow != CoWNever && (size > 0 || cow == CoWAlways)
}

// darwinNoClone is what CopyFile does when it makes no clone.
type darwinNoClone int

const (
	darwinCopy        darwinNoClone = iota + 1 // copy instead (CoWAuto)
	darwinUnsupported                          // fail with an error matching ErrNotSupported that says why (CoWAlways)
	darwinFail                                 // fail with the error as it is
)

// darwinNoCloneVerdict says what CopyFile does when clonefile failed with
// err, or, for a nil err, when extfs chose not to clone (darwinCloneRefusal).
// Only the errnos of darwin.CloneFallback mean "no clone here"; of those,
// EPERM and EACCES under CoWAlways are reported as they are, as EPERM is on
// Linux: more likely a real permission problem, or the sandbox, than a
// filesystem's inability.
func darwinNoCloneVerdict(cow CoWMode, err error) darwinNoClone {
	switch {
	case err != nil && !darwin.CloneFallback(err):
		return darwinFail
	case cow != CoWAlways:
		return darwinCopy
	case errors.Is(err, darwin.EPERM), errors.Is(err, darwin.EACCES):
		return darwinFail
	}
	return darwinUnsupported
}

// darwinCloneRefusal says why a file with st_flags flags and st_mode mode is
// not to be cloned for a copy whose permission bits are want, or "" if it
// may be.
func darwinCloneRefusal(flags, mode, want uint32) string {
	switch {
	case flags&darwin.CloneStuck != 0:
		return "clone: the source is immutable, append-only or undeletable (schg, sappnd, sunlnk), flags its clone would inherit and only the superuser could clear"
	case darwin.CloneWidens(mode, want):
		return fmt.Sprintf("clone: a clone would have the source's permission bits %#o, which grant more than the copy's %#o (the umask applied), until changed; use PreserveMode to clone", mode&0o777, want)
	}
	return ""
}

// darwinCloneWhat says why clonefile cannot clone (err, one of
// darwin.CloneFallback's) between the volumes named sname and dname (""
// where statfs failed).
func darwinCloneWhat(err error, sname, dname string) string {
	switch {
	case sname == "" || dname == "":
		return "clone"
	case errors.Is(err, darwin.EXDEV):
		return "clone: the source (" + sname + ") and the destination (" + dname + ") are on different volumes"
	case sname != dname:
		return "clone: the source is on " + sname + " and the destination on " + dname
	}
	return "clone: the " + dname + " filesystem cannot clone files (clonefile needs APFS)"
}

var (
	// errCloneOpen is sysClone's answer: clonefile makes a new file and
	// cannot fill an open one, so copyContents copies, and CoWAlways on an
	// open file (CopyTree) fails with an error matching ErrNotSupported.
	errCloneOpen = notSupportedErr("clone into an open file: macOS clones only to a new name (clonefile)")
	// errCloneRange is sysCloneRange's answer, and CloneRange's on macOS.
	errCloneRange = notSupportedErr("clone range: macOS has no call to clone part of a file (APFS clones whole files, with clonefile)")
)

// darwinCloneFallback is sysCloneFallback on macOS: clonefile's errnos that
// mean "no clone here", and errCloneOpen. errCloneRange is not one, so that
// CloneRange reports it as it is rather than blame the filesystem.
func darwinCloneFallback(err error) bool {
	return err == errCloneOpen || darwin.CloneFallback(err)
}
