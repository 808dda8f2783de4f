//go:build darwin

package extfs

// The macOS file hooks translate extfs types for sys/darwin (x/sys/unix, no
// cgo), where the decisions are. No io_uring and no data engine: a Batch
// runs each operation's single call on the worker pool.

import (
	"io/fs"
	"time"

	"github.com/extfs/extfs/internal/batchop"
	"github.com/extfs/extfs/internal/fsenum"
	"github.com/extfs/extfs/sys/darwin"
	"golang.org/x/sys/unix"
)

type fileSys struct {
	noRing
	noData
	funcOps
}

var _ fileOS = fileSys{}

type sysOp = *funcOp

const atCWD = unix.AT_FDCWD

func (fileSys) supports(f Feature) bool {
	switch f {
	case FeatureRing, // no io_uring
		FeatureOpenat2, // no RESOLVE_BENEATH: Dir walks names itself
		FeatureFallocateZeroRange, FeatureFallocateCollapseRange,
		FeatureFallocateInsertRange, FeatureFallocateUnshareRange: // no fcntl for these
		return false
	}
	// statx: fstat64 with st_birthtimespec; fadvise: F_RDADVISE, F_RDAHEAD,
	// F_NOCACHE (not AdviceDontNeed); fallocate: F_PREALLOCATE; punch hole:
	// F_PUNCHHOLE (APFS; HFS+ says ENOTTY); xattr, link, symlink, chown,
	// mknod: the system calls of the same names.
	return true
}

// fsync is F_FULLFSYNC for Sync and Datasync alike: see darwin.Fsync.
func (fileSys) fsync(fd uintptr, _ bool) error { return darwin.Fsync(int(fd)) }

// fadvise: see darwin.AdvicePlan; fsenum.Advice has Advice's values.
func (fileSys) fadvise(fd uintptr, off, n int64, a Advice) error {
	if _, _, ok := darwin.AdvicePlan(fsenum.Advice(a)); !ok {
		return notSupportedErr("fadvise " + a.String() + " on macOS")
	}
	return darwin.Fadvise(int(fd), off, n, fsenum.Advice(a))
}

// fallocate: see darwin.Fallocate; fsenum.AllocMode has AllocMode's values.
func (fileSys) fallocate(fd uintptr, mode AllocMode, off, n int64) error {
	if !darwin.AllocModeOK(fsenum.AllocMode(mode)) {
		return notSupportedErr(mode.String() + " on macOS")
	}
	return darwin.Fallocate(int(fd), fsenum.AllocMode(mode), off, n)
}

func (fileSys) xattrNameProblem(name string) string { return darwin.CheckXattrName(name) }
func (fileSys) xattrHint(string, error) string      { return "" } // macOS's errnos say what they mean

func (fileSys) getxattr(at xattrAt, name string) ([]byte, error) { return darwin.Getxattr(at, name) }
func (fileSys) setxattr(at xattrAt, name string, v []byte, f XattrFlag) error {
	return darwin.Setxattr(at, name, v, fsenum.XattrFlag(f))
}
func (fileSys) listxattr(at xattrAt) ([]string, error)    { return darwin.Listxattr(at) }
func (fileSys) removexattr(at xattrAt, name string) error { return darwin.Removexattr(at, name) }

func (fileSys) fstat(fd uintptr) (*Stat, error) { return statOf(darwin.FstatInfo(int(fd))) }
func (fileSys) statat(dir int, path string, follow bool) (*Stat, error) {
	return statOf(darwin.Statat(dir, path, follow))
}

// futimes has microsecond precision: see darwin.Futimes.
func (fileSys) futimes(fd uintptr, atime, mtime time.Time) error {
	return darwin.Futimes(int(fd), darwin.Timespecs(atime, mtime))
}
func (fileSys) fchmod(fd uintptr, mode fs.FileMode) error {
	return darwin.Fchmod(int(fd), darwin.PermBits(mode))
}
func (fileSys) fchown(fd uintptr, uid, gid int) error { return darwin.Fchown(int(fd), uid, gid) }
func (fileSys) linkat(olddir int, oldname string, newdir int, newname string) error {
	return darwin.Linkat(olddir, oldname, newdir, newname, 0)
}
func (fileSys) symlinkat(target string, dir int, name string) error {
	return darwin.Symlinkat(target, dir, name)
}
func (fileSys) readlinkat(dir int, name string) (string, error) { return darwin.Readlinkat(dir, name) }
func (fileSys) unlinkat(dir int, name string, isDir bool) error {
	return darwin.RemoveAt(dir, name, isDir)
}

// op makes Mkdir, Rename and OpenFile with sys/darwin's calls, and the
// other operations as funcOps does.
func (fileSys) op(d *batchop.Desc) sysOp {
	switch d.Kind {
	case batchop.Mkdir:
		return errOp(func() error { return darwin.Mkdirat(atCWD, d.Name, darwin.PermBits(d.Perm)) })
	case batchop.Rename:
		return errOp(func() error { return darwin.Renameat(atCWD, d.Name, atCWD, d.Name2) })
	case batchop.OpenFile:
		return &funcOp{run: func() opResult {
			fd, err := darwin.Openat(atCWD, d.Name, d.Flags|unix.O_CLOEXEC, darwin.PermBits(d.Perm))
			return opResult{n: fd, err: err}
		}}
	}
	return funcOps{}.op(d)
}
