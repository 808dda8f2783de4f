//go:build darwin

package extfs

// The macOS answers to copyOS (sys.go), around sys/darwin. macOS has no
// copy_file_range or splice: a copy that is not a clone is the read/write
// pipeline. A clone is made by clonefile(2), which creates a new file by
// name and cannot fill an open file as FICLONE does: CopyFile's temporary
// file is itself the clone (copyByName), CopyTree's new file is replaced by
// one (treeSys.clone), Probe's trial clone takes the trial file's name, and
// clones into open files answer errCloneOpen.

import (
	"errors"

	"github.com/extfs/extfs/internal/fdmode"
	"github.com/extfs/extfs/sys/darwin"
)

// copySys takes copyFallback's answers where macOS has nothing to do: no
// offload, no unnamed files, no refused clone for CopyTree to remember, no
// sparse flag (every file can have holes).
type copySys struct{ copyFallback }

var _ copyOS = copySys{}

const srcOpenFlags = darwin.SrcOpenFlags

var (
	// errCloneOpen is clone's answer: clonefile makes a new file and
	// cannot fill an open one, so copyContents copies, and CoWAlways on an
	// open file (CopyTree) fails with an error matching ErrNotSupported.
	errCloneOpen = notSupportedErr("clone into an open file: macOS clones only to a new name (clonefile)")
	// errCloneRange is cloneRange's answer, and CloneRange's on macOS.
	errCloneRange = notSupportedErr("clone range: macOS has no call to clone part of a file (APFS clones whole files, with clonefile)")
)

func (copySys) sourceBlocking(fd uintptr) error                            { return fdmode.Blocking(fd) }
func (copySys) saveOffset(fd uintptr) func()                               { return fdmode.KeepOffset(fd) }
func (copySys) clone(dst, src uintptr) error                               { return errCloneOpen }
func (copySys) cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error { return errCloneRange }
func (copySys) truncate(fd uintptr, size int64) error                      { return darwin.Ftruncate(int(fd), size) }
func (copySys) noXattr(err error) bool                                     { return errors.Is(err, darwin.ENOATTR) }

func (copySys) openMode(fd uintptr) (openMode, bool) {
	r, w, a, ok := fdmode.Of(fd)
	return openMode{read: r, write: w, append: a}, ok
}

func (copySys) fileInfo(fd uintptr) (fileInfo, error) { return fileInfoOf(darwin.FstatInfo(int(fd))) }

// fsInfo: statfs's f_fstypename ("apfs", "hfs", ...) and block size.
func (copySys) fsInfo(fd uintptr) (string, int64, error) {
	fi, err := darwin.Fstatfs(int(fd))
	return fi.Name, fi.Bsize, err
}

// fsKey: the volume's f_fsid (darwin.FsidKey).
func (copySys) fsKey(path string) (fsKey, error) {
	fi, err := darwin.Statfs(path)
	dev, typ := darwin.FsidKey(fi.Fsid)
	return fsKey{dev: dev, mnt: typ}, err
}

// cloneFallback: clonefile's errnos that mean "no clone here", and
// errCloneOpen; not errCloneRange, which CloneRange reports as it is.
func (copySys) cloneFallback(err error) bool {
	return err == errCloneOpen || darwin.CloneFallback(err)
}

// probeClone clones a to the name of b (clonefile makes new files only);
// Probe's cleanup removes the clone by name.
func (copySys) probeClone(a, _ uintptr, bname string) error { return darwin.ProbeClone(int(a), bname) }

// seekData: see darwin.DataRange.
func (copySys) seekData(fd uintptr, off int64) (int64, int64, bool, error) {
	return darwin.DataRange(int(fd), off)
}

// renameNoReplace is always handled: darwin.RenameNoReplace falls back by
// itself.
func (copySys) renameNoReplace(oldpath, newpath string) (bool, error) {
	return true, darwin.RenameNoReplace(oldpath, newpath)
}

// copyByName: a clone (clonename.go), or the empty file to copy into.
func (copySys) copyByName(r *byNameReq) (copyTemp, error) { return cloneByName(r, byName) }

// byName is clonefile(2) as clonename.go asks for it (darwin.CloneAsNew).
var byName = nameCloner{
	clone:  darwin.CloneAsNew,
	remove: darwin.RemoveClone,
	rename: func(dirfd int, old, new string) error { return darwin.Renameat(dirfd, old, dirfd, new) },
}
