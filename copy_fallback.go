package extfs

import (
	"errors"
	"syscall"

	"github.com/extfs/extfs/internal/posix"
)

// copyFallback is copyOS on a system without a mechanism of its own
// (FreeBSD, OpenBSD, NetBSD, ...): it answers what copying needs to know
// with the calls every Unix has (internal/posix, fstat, F_GETFL,
// SEEK_DATA where there is one), and leaves the copy to the portable read
// and write pipeline and CopyFile's named temporary file. Clones fail with
// an error matching ErrNotSupported, never a silent success. The
// no-backend copySys embeds it; on Linux the tests force it (see
// portableCopies). Every copySys embeds it: macOS's and Windows' take
// the answers their systems have no mechanism for (internal/posix is not
// built there: its calls answer ErrUnsupported, as these did before).
type copyFallback struct{ noDedupe }

func (copyFallback) sourceBlocking(uintptr) error { return nil }

func (copyFallback) openMode(fd uintptr) (openMode, bool) {
	m, ok := posix.GetOpenMode(int(fd))
	return openMode{read: m.Read, write: m.Write, append: m.Append}, ok
}

func (copyFallback) fileInfo(fd uintptr) (fileInfo, error) {
	return fileInfoOf(posixStat(posix.Fstat(int(fd))))
}

// fsInfo: no portable call names the filesystem; its block size is what
// fstat gives as the preferred I/O size (nothing is cloned here to align).
func (copyFallback) fsInfo(fd uintptr) (string, int64, error) {
	st, err := posixStat(posix.Fstat(int(fd)))
	return "", st.Blksize, err
}

func (copyFallback) fsKey(string) (fsKey, error) {
	return fsKey{}, notSupportedErr("filesystem identity")
}
func (copyFallback) clone(uintptr, uintptr) error              { return notSupportedErr("clone") }
func (copyFallback) cloneFallback(err error) bool              { return errors.Is(err, ErrNotSupported) }
func (copyFallback) cloneNeverHere(error) bool                 { return false }
func (copyFallback) probeClone(uintptr, uintptr, string) error { return notSupportedErr("clone") }
func (copyFallback) sparseDest(uintptr, uintptr, bool) error   { return nil }

func (copyFallback) truncate(fd uintptr, size int64) error {
	return posixErr("ftruncate", posix.Ftruncate(int(fd), size))
}

func (copyFallback) unnamedTemp(string, *Stat) *File { return nil }
func (copyFallback) linkUnnamed(*File, string) error {
	return notSupportedErr("naming an unnamed file")
}

// noXattr: ENOATTR, which the BSDs and macOS give for a missing attribute
// (Linux: ENODATA, its alias).
func (copyFallback) noXattr(err error) bool { return posix.NoAttr(err) }

func (copyFallback) cloneRange(uintptr, uintptr, int64, int64, int64) error {
	return notSupportedErr("clone range")
}

// offload: copy_file_range where the system has it (FreeBSD 13+). What it
// refuses (ENOSYS before FreeBSD 13; EXDEV, EINVAL, EOPNOTSUPP for a pair
// it cannot copy) is left to the pipeline, from where it stopped.
func (copyFallback) offload(j *copyJob, how copyHow, acct *copyAcct) (int64, bool, error) {
	if !how.fileRange {
		return 0, false, nil
	}
	srcOff, dstOff := j.srcOff, j.dstOff
	var w int64
	for w < j.n {
		k, err := posix.CopyFileRange(int(j.sfd), &srcOff, int(j.dfd), &dstOff, int(min(j.n-w, j.ctl.round())))
		if err != nil {
			acct.by[MethodCopyFileRange] += w
			if rangeFallback(err) {
				return w, false, nil
			}
			return w, true, err
		}
		if k == 0 {
			break // the end of the source
		}
		w += int64(k)
		if err := j.ctl.add(int64(k)); err != nil {
			acct.by[MethodCopyFileRange] += w
			return w, true, err
		}
	}
	acct.by[MethodCopyFileRange] += w
	return w, true, nil
}

// rangeFallback reports whether copy_file_range's err leaves the copy to
// the pipeline rather than failing it.
func rangeFallback(err error) bool {
	return errors.Is(err, posix.ErrUnsupported) || errors.Is(err, syscall.ENOSYS) ||
		errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.EOPNOTSUPP)
}

// seekData: SEEK_DATA where lseek has it (FreeBSD); elsewhere the error
// matching ErrNotSupported makes copyData copy every byte.
func (copyFallback) seekData(fd uintptr, off int64) (int64, int64, bool, error) {
	data, hole, ok, err := posix.SeekData(int(fd), off)
	return data, hole, ok, posixErr("SEEK_DATA", err)
}

func (copyFallback) saveOffset(fd uintptr) func() { return posix.KeepOffset(int(fd)) }

func (copyFallback) copyByName(*byNameReq) (copyTemp, error)      { return copyTemp{}, nil }
func (copyFallback) renameNoReplace(string, string) (bool, error) { return false, nil }

// portableCopies makes CopyFile, CopyRange and CopyTree take the portable
// fallbacks (copyFallback, treeFallback) even where the system has
// mechanisms of its own, so that the tests on Linux exercise what FreeBSD,
// OpenBSD and NetBSD run. Only tests set it (export_portable_test.go). A call
// reads it once, as it starts (copyHow.portable, CopyOptions.portable):
// what it chooses then holds for the whole call.
var portableCopies bool

// noDedupe is the dedupeRange of a system without FIDEDUPERANGE (Linux's).
type noDedupe struct{}

func (noDedupe) dedupeRange(uintptr, uintptr, int64, int64, int64) (int64, bool, error) {
	return 0, false, notSupportedErr("sharing identical blocks (FIDEDUPERANGE is Linux's)")
}
