package darwin

// A clone made by name for a copy. clonefile(2) creates a new file and
// cannot fill an open one, so a copy's clone is made under a temporary name
// and then given what a new file would have; what to give it is decided in
// clone.go.

import (
	"errors"
	"path/filepath"
	"time"

	"github.com/extfs/extfs/internal/byname"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// Clonefile is fclonefileat(2) as CloneAsNew and ProbeClone call it; tests
// replace it (through extfs's export_darwin_test.go) to force the fallbacks.
var Clonefile = Fclonefileat

// cloneFlags: the clone is the caller's whoever owns the source (the copy's
// owner is set afterwards, as for a copy), and a symbolic link put at its
// name is not followed.
const cloneFlags = CLONE_NOFOLLOW | CLONE_NOOWNERCOPY

// ProbeClone clones the file open as src to path, which it removes first
// (clonefile makes new files only).
func ProbeClone(src int, path string) error {
	if err := Unlinkat(unix.AT_FDCWD, path, 0); err != nil {
		return err
	}
	return Clonefile(src, unix.AT_FDCWD, path, cloneFlags)
}

// CloneAsNew clones r.Src under a temporary name in r.Dir, relative to
// r.Dirfd, and makes the clone pass for the new file a copy would have
// made (byname.Req). It returns the clone open for reading and writing and its
// name; fd -1 with a nil error means "copy instead". Errors are
// *byname.Error.
//
// No clone is made of a file that would be immutable or give away more
// permission than the copy may have (CloneRefusal), nor where clonefile
// refuses (CloneFallback): NoCloneVerdict says whether to copy or fail. A
// clone that cannot be made to pass for a new file (an extended attribute
// that cannot be removed, an owner that cannot be given) is removed, and
// then copied unless r.Always.
func CloneAsNew(r *byname.Req) (fd int, name string, err error) {
	sst, err := Fstat(r.Src)
	if err != nil {
		return -1, "", &byname.Error{Op: "fstat", Err: err}
	}
	want := r.Want
	if r.KeepMode {
		want = sst.Mode & 0o777
	}
	if why := CloneRefusal(sst.Flags, sst.Mode, want); why != "" {
		return -1, "", noClone(r.Always, "clone", nil, func() string { return why })
	}
	for range 100 {
		name = filepath.Join(r.Dir, r.TempName(r.Base))
		if err = Clonefile(r.Src, r.Dirfd, name, cloneFlags); err != EEXIST {
			break
		}
	}
	if err != nil {
		return -1, "", noClone(r.Always, "fclonefileat", err, func() string {
			sname, dname := fsNames(r)
			return CloneWhat(err, sname, dname)
		})
	}
	fd, cerr := fix(r, name)
	if cerr != nil {
		cerr.Name, cerr.Cleanup = name, RemoveClone(r.Dirfd, name)
		if cerr.Cleanup == nil && !r.Always {
			return -1, "", nil // a copy needs none of what failed
		}
		return -1, "", cerr
	}
	return fd, name, nil
}

// RemoveClone removes the clone name in dirfd after a failure; one that is
// gone already is no error.
func RemoveClone(dirfd int, name string) error {
	if err := Unlinkat(dirfd, name, 0); err != nil && err != ENOENT {
		return err
	}
	return nil
}

// fsNames names the source's filesystem and the clone directory's, or ""
// where statfs fails, for CloneWhat.
func fsNames(r *byname.Req) (src, dst string) {
	if fi, err := Fstatfs(r.Src); err == nil {
		src = fi.Name
	}
	var fi FsInfo
	var err error
	if r.Dirfd != unix.AT_FDCWD {
		fi, err = Fstatfs(r.Dirfd)
	} else {
		fi, err = Statfs(filepath.Join(r.Dir, "."))
	}
	if err == nil {
		dst = fi.Name
	}
	return src, dst
}

// fix makes the fresh clone at name pass for a new file: it clears the
// flags a new file does not have (CloneFlags), removes the extended
// attributes (unless KeepXattrs: the clone has the source's), gives it the
// copy's owner and permission bits (CloneChmod), and sets its birth time to
// now and its access and modification times as CloneTimes says, to the
// nanosecond. It returns the clone open for reading and writing; an error's
// Name is the caller's to set.
//
// The calls on the name come first, while the clone may be immutable or
// unreadable to its owner; the name is one the caller made, in the
// destination's directory, and setattrlist and fchmodat follow no symbolic
// link there. setattrlist has no *at form: it runs in r.Dirfd (InDir).
func fix(r *byname.Req, name string) (int, *byname.Error) {
	cst, err := Fstatat(r.Dirfd, name, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return -1, &byname.Error{Op: "lstat", Err: err}
	}
	if flags, change := CloneFlags(cst.Flags); change {
		if err := InDir(r.Dirfd, func() error { return SetFlags(name, flags) }); err != nil {
			return -1, &byname.Error{Op: "setattrlist", Err: err}
		}
	}
	mode := cst.Mode & 0o7777
	if work, change := CloneWorkMode(mode); change {
		if err := Fchmodat(r.Dirfd, name, work, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return -1, &byname.Error{Op: "chmod", Err: err}
		}
		mode = work
	}
	fd, err := Openat(r.Dirfd, name, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &byname.Error{Op: "open", Err: err}
	}
	cerr := fixOpen(r, fd, mode)
	if cerr == nil {
		crtime, mtime, atime := CloneTimes(time.Now(), r.KeepTimes, r.Atime, r.Mtime)
		if err := InDir(r.Dirfd, func() error { return SetTimes(name, &crtime, &mtime, &atime) }); err != nil {
			cerr = &byname.Error{Op: "setattrlist", Err: err}
		}
	}
	if cerr != nil {
		Close(fd)
		return -1, cerr
	}
	return fd, nil
}

// fixOpen is fix's part on the open clone fd, whose permission bits are
// mode: the extended attributes, then the owner and the mode, in the order
// and with the checks of extfs's preserve.
func fixOpen(r *byname.Req, fd int, mode uint32) *byname.Error {
	if !r.KeepXattrs {
		if op, err := dropXattrs(fd); err != nil {
			return &byname.Error{Op: op, Err: err}
		}
	}
	chowned := false
	if r.KeepOwner || r.KeepMode {
		dt, err := Fstat(fd)
		if err != nil {
			return &byname.Error{Op: "statx", Err: err}
		}
		if r.KeepOwner && (dt.Uid != r.Uid || dt.Gid != r.Gid) {
			if err := Fchown(fd, int(r.Uid), int(r.Gid)); err != nil {
				return &byname.Error{Op: "chown", Err: err}
			}
			chowned = true
		}
		if r.KeepMode {
			mode = dt.Mode & 0o7777
		}
	}
	if set, change := CloneChmod(r, mode, chowned); change {
		if err := Fchmod(fd, set); err != nil {
			return &byname.Error{Op: "chmod", Err: err}
		}
	}
	return nil
}

// dropXattrs removes the extended attributes a clone took from its source,
// but those the system keeps (KeepXattr); op names the call that failed.
func dropXattrs(fd int) (op string, err error) {
	at := fsenum.XattrAt{Fd: fd}
	names, err := Listxattr(at)
	if err != nil {
		return "flistxattr", err
	}
	for _, name := range names {
		if err := Removexattr(at, name); err != nil && !errors.Is(err, ENOATTR) && !KeepXattr(name, err) {
			return "fremovexattr", err
		}
	}
	return "", nil
}
