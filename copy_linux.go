//go:build linux

package extfs

// The Linux answers to copyOS (sys.go): translations around sys/linux,
// where the mechanisms and their errno rules are (copy.go there).

import (
	"github.com/extfs/extfs/internal/fdmode"
	"github.com/extfs/extfs/sys/linux"
)

type copySys struct{}

var _ copyOS = copySys{}

const srcOpenFlags = linux.SrcOpenFlags

func (copySys) sourceBlocking(fd uintptr) error { return fdmode.Blocking(fd) }

func (copySys) openMode(fd uintptr) (openMode, bool) {
	r, w, a, ok := fdmode.Of(fd)
	return openMode{read: r, write: w, append: a}, ok
}

func (copySys) fileInfo(fd uintptr) (fileInfo, error) { return fileInfoOf(linux.FileInfoOf(int(fd))) }

func (copySys) fsInfo(fd uintptr) (string, int64, error) { return linux.FsInfo(int(fd)) }

func (copySys) fsKey(path string) (fsKey, error) {
	dev, mnt, err := linux.FsKey(path)
	return fsKey{dev: dev, mnt: mnt}, err
}

func (copySys) offload(j *copyJob, how copyHow, acct *copyAcct) (int64, bool, error) {
	r := linux.Range{Src: int(j.sfd), Dst: int(j.dfd), SrcOff: j.srcOff, DstOff: j.dstOff, N: j.n, Round: j.ctl.round()}
	if j.ctl != nil {
		r.Add = j.ctl.add
	}
	byRange, bySplice, handled, err := linux.Offload(r, how.fileRange, how.splice)
	acct.by[MethodCopyFileRange] += byRange
	acct.by[MethodSplice] += bySplice
	return byRange + bySplice, handled, err
}

func (copySys) clone(dst, src uintptr) error { return linux.Clone(int(dst), int(src)) }
func (copySys) cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error {
	return linux.CloneRange(int(dst), int(src), srcOff, dstOff, n)
}
func (copySys) dedupeRange(dst, src uintptr, srcOff, dstOff, n int64) (int64, bool, error) {
	return linux.DedupeRange(int(src), srcOff, int(dst), dstOff, n)
}
func (copySys) cloneFallback(err error) bool            { return linux.CloneFallback(err) }
func (copySys) cloneNeverHere(err error) bool           { return linux.CloneNeverHere(err) }
func (copySys) probeClone(a, b uintptr, _ string) error { return linux.Clone(int(b), int(a)) }

func (copySys) seekData(fd uintptr, off int64) (int64, int64, bool, error) {
	return linux.SeekData(int(fd), off)
}
func (copySys) saveOffset(fd uintptr) func()                   { return fdmode.KeepOffset(fd) }
func (copySys) sparseDest(dst, src uintptr, always bool) error { return nil } // every file can have holes
func (copySys) truncate(fd uintptr, size int64) error          { return linux.Ftruncate(int(fd), size) }

func (copySys) copyByName(*byNameReq) (copyTemp, error) { return copyTemp{}, nil } // FICLONE fills an open file

// unnamedTemp: O_TMPFILE, so that a killed copy leaves nothing behind.
func (copySys) unnamedTemp(dst string, st *Stat) *File {
	if fd := linux.OpenUnnamed(dst, uint32(st.Mode.Perm())); fd >= 0 {
		return NewFile(newOSFile(uintptr(fd), dst))
	}
	return nil
}

func (copySys) linkUnnamed(tmp *File, name string) (lerr error) {
	if err := tmp.withFd(func(fd uintptr) { lerr = linux.LinkUnnamed(int(fd), name) }); err != nil {
		return err
	}
	return lerr
}

func (copySys) renameNoReplace(oldpath, newpath string) (bool, error) {
	return linux.RenameNoReplace(oldpath, newpath)
}

func (copySys) noXattr(err error) bool { return linux.NoXattr(err) }
