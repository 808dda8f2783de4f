package extfs

import (
	"io/fs"
	"strings"
	"time"

	"github.com/extfs/extfs/internal/batchop"
	"github.com/extfs/extfs/internal/fsenum"
	"github.com/extfs/extfs/internal/fsstat"
	"github.com/extfs/extfs/internal/posix"
	"github.com/extfs/extfs/internal/unixmode"
)

// fileFallback is fileOS on a system without a backend: no io_uring, no
// data engine, Batch on the worker pool; stat, times, modes, owners,
// links, fsync, posix_fallocate and extattr (FreeBSD, NetBSD) through the
// calls every Unix has (internal/posix), and an error matching
// ErrNotSupported for the rest (never a silent nil). The no-backend
// fileSys embeds it.
type fileFallback struct {
	noRing
	noData
	funcOps
}

// supports: no io_uring, statx or openat2 here, nor Linux's fallocate
// modes.
func (fileFallback) supports(f Feature) bool {
	switch f {
	case FeatureFallocate:
		return posix.HasFallocate
	case FeatureFadvise:
		return posix.HasFadvise
	case FeatureXattr:
		return posix.XattrNames != ""
	case FeatureLink, FeatureSymlink, FeatureChown, FeatureMknod:
		return posix.Available
	}
	return false
}

func (fileFallback) fsync(fd uintptr, _ bool) error { return posixErr("fsync", posix.Fsync(int(fd))) }

// fadvise: posix_fadvise where the system has it (FreeBSD, NetBSD).
func (fileFallback) fadvise(fd uintptr, off, n int64, a Advice) error {
	return posixErr("posix_fadvise", posix.Fadvise(int(fd), off, n, fsenum.Advice(a)))
}

// fallocate: mode 0 is posix_fallocate where the system has it (FreeBSD);
// the other modes are Linux's and macOS's.
func (fileFallback) fallocate(fd uintptr, mode AllocMode, off, n int64) error {
	if mode != 0 {
		return notSupportedErr("fallocate mode " + mode.String())
	}
	return posixErr("posix_fallocate", posix.Fallocate(int(fd), off, n))
}

func (fileFallback) fstat(fd uintptr) (*Stat, error) { return statOf(posixStat(posix.Fstat(int(fd)))) }
func (fileFallback) statat(dir int, path string, follow bool) (*Stat, error) {
	return statOf(posixStat(posix.Fstatat(dir, path, follow)))
}

// futimes: to the microsecond, the precision of futimes(2).
func (fileFallback) futimes(fd uintptr, atime, mtime time.Time) error {
	return posixErr("futimes", posix.Futimes(int(fd), atime, mtime))
}
func (fileFallback) fchmod(fd uintptr, mode fs.FileMode) error {
	return posixErr("fchmod", posix.Fchmod(int(fd), unixmode.PermBits(mode)))
}
func (fileFallback) fchown(fd uintptr, uid, gid int) error {
	return posixErr("fchown", posix.Fchown(int(fd), uid, gid))
}
func (fileFallback) linkat(olddir int, oldname string, newdir int, newname string) error {
	return posixErr("link", posix.Linkat(olddir, oldname, newdir, newname))
}
func (fileFallback) symlinkat(target string, dir int, name string) error {
	return posixErr("symlink", posix.Symlinkat(target, dir, name))
}
func (fileFallback) readlinkat(dir int, name string) (string, error) {
	target, err := posix.Readlinkat(dir, name)
	return target, posixErr("readlink", err)
}
func (fileFallback) unlinkat(dir int, name string, isDir bool) error {
	return posixErr("unlinkat", posix.Unlinkat(dir, name, isDir))
}

// Extended attributes: extattr's user and system namespaces (FreeBSD,
// NetBSD); errNoXattr where there are none (OpenBSD).

func (fileFallback) xattrNameProblem(name string) string {
	if posix.XattrNames != "" && !strings.HasPrefix(name, "user.") && !strings.HasPrefix(name, "system.") {
		return "names on " + systemName() + " are " + posix.XattrNames
	}
	return ""
}
func (fileFallback) xattrHint(string, error) string { return "" }
func (fileFallback) getxattr(at xattrAt, name string) ([]byte, error) {
	return xattrResult(posix.Getxattr(at, name))
}
func (fileFallback) setxattr(at xattrAt, name string, v []byte, f XattrFlag) error {
	return xattrFallbackErr(posix.Setxattr(at, name, v, fsenum.XattrFlag(f)))
}
func (fileFallback) listxattr(at xattrAt) ([]string, error) { return xattrResult(posix.Listxattr(at)) }
func (fileFallback) removexattr(at xattrAt, name string) error {
	return xattrFallbackErr(posix.Removexattr(at, name))
}

func xattrResult[T any](v T, err error) (T, error) { return v, xattrFallbackErr(err) }

func xattrFallbackErr(err error) error {
	if err == posix.ErrUnsupported {
		return errNoXattr
	}
	return err
}

// posixStat passes fstat's answer on, with posixErr's error.
func posixStat(st fsstat.Stat, err error) (fsstat.Stat, error) { return st, posixErr("fstat", err) }

// posixErr makes a call the system lacks (posix.ErrUnsupported) an error
// matching ErrNotSupported, naming it; errnos pass through.
func posixErr(call string, err error) error {
	if err == posix.ErrUnsupported {
		return notSupportedErr(call)
	}
	return err
}

// op makes Mkdir, Rename and OpenFile with internal/posix's calls, and the
// other operations as funcOps does.
func (fileFallback) op(d *batchop.Desc) *funcOp {
	switch d.Kind {
	case batchop.Mkdir:
		return errOp(func() error { return posixErr("mkdir", posix.Mkdirat(atCWD, d.Name, unixmode.PermBits(d.Perm))) })
	case batchop.Rename:
		return errOp(func() error { return posixErr("rename", posix.Renameat(atCWD, d.Name, atCWD, d.Name2)) })
	case batchop.OpenFile:
		return &funcOp{run: func() opResult {
			fd, err := posix.Openat(atCWD, d.Name, d.Flags, unixmode.PermBits(d.Perm))
			return opResult{n: fd, err: posixErr("open", err)}
		}}
	}
	return funcOps{}.op(d)
}
