//go:build linux

package extfs

// The Linux answers to copyOS (sys.go): translations around sys/linux,
// where the mechanisms and their errno rules are (copy.go there).

import (
	"errors"
	"path/filepath"
	"syscall"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fdmode"
	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

type copySys struct{}

var _ copyOS = copySys{}

// srcOpenFlags open a file to copy (CopyFile, Clone). O_NONBLOCK: a FIFO put
// at the name since CopyFile looked at it must not block the open, waiting
// for a writer (the type is checked on the descriptor after); O_NOCTTY: nor
// may a terminal become the process's controlling one.
const srcOpenFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY

// sourceBlocking clears O_NONBLOCK (F_SETFL to 0: srcOpenFlags set no other
// flag it changes): io_uring fails a read of an O_NONBLOCK regular file with
// EAGAIN instead of waiting for the disk.
func (copySys) sourceBlocking(fd uintptr) error { return fdmode.Blocking(fd) }

func (copySys) openMode(fd uintptr) (openMode, bool) {
	r, w, a, ok := fdmode.Of(fd)
	return openMode{read: r, write: w, append: a}, ok
}

func (copySys) fileInfo(fd uintptr) (fileInfo, error) {
	var st unix.Stat_t
	if err := eintr.Retry(func() error { return unix.Fstat(int(fd), &st) }); err != nil {
		return fileInfo{}, err
	}
	typ := st.Mode & unix.S_IFMT
	return fileInfo{dev: st.Dev, ino: st.Ino, size: st.Size, blocks: st.Blocks, regular: typ == unix.S_IFREG, dir: typ == unix.S_IFDIR}, nil
}

func (copySys) fsInfo(fd uintptr) (string, int64, error) {
	var st unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Fstatfs(int(fd), &st) }); err != nil {
		return "", 0, err
	}
	return linux.FsName(st.Type), st.Bsize, nil
}

// fsKey is the device and the mount, so that a device number reused by a
// later mount of another filesystem (a loop device) finds no old answer.
func (copySys) fsKey(path string) (fsKey, error) {
	var st unix.Statx_t
	const mask = unix.STATX_MNT_ID_UNIQUE | unix.STATX_MNT_ID
	err := eintr.Retry(func() error { return unix.Statx(unix.AT_FDCWD, path, unix.AT_STATX_DONT_SYNC, mask, &st) })
	if err != nil {
		return fsKey{}, err
	}
	k := fsKey{dev: unix.Mkdev(st.Dev_major, st.Dev_minor)}
	if st.Mask&mask != 0 {
		k.mnt = st.Mnt_id
	}
	return k, nil
}

func (copySys) offload(j *copyJob, how copyHow, acct *copyAcct) (written int64, handled bool, err error) {
	r := linux.Range{Src: int(j.sfd), Dst: int(j.dfd), SrcOff: j.srcOff, DstOff: j.dstOff, N: j.n, Round: j.ctl.round()}
	if j.ctl != nil {
		r.Add = j.ctl.add
	}
	for _, m := range [...]struct {
		ok     bool
		method Method
		copy   func(linux.Range) (int64, bool, error)
	}{{how.fileRange, MethodCopyFileRange, linux.CopyFileRange}, {how.splice, MethodSplice, linux.SpliceCopy}} {
		if !m.ok {
			continue
		}
		w, handled, err := m.copy(r)
		written += w
		acct.by[m.method] += w
		if handled || err != nil {
			return written, true, err
		}
		r.SrcOff, r.DstOff, r.N = r.SrcOff+w, r.DstOff+w, r.N-w
	}
	return written, false, nil
}

func (copySys) clone(dst, src uintptr) error { return linux.Clone(int(dst), int(src)) }

func (copySys) cloneRange(dst, src uintptr, srcOff, dstOff, n int64) error {
	return linux.CloneRange(int(dst), int(src), srcOff, dstOff, n)
}

func (copySys) cloneFallback(err error) bool  { return linux.CloneFallback(err) }
func (copySys) cloneNeverHere(err error) bool { return linux.CloneNeverHere(err) }

func (copySys) probeClone(a, b uintptr, _ string) error { return linux.Clone(int(b), int(a)) }

func (copySys) seekData(fd uintptr, off int64) (int64, int64, bool, error) {
	return linux.SeekData(int(fd), off)
}

func (copySys) saveOffset(fd uintptr) func() { return fdmode.KeepOffset(fd) }

func (copySys) sparseDest(dst, src uintptr, always bool) error { return nil } // every file can have holes

func (copySys) truncate(fd uintptr, size int64) error {
	return eintr.Retry(func() error { return unix.Ftruncate(int(fd), size) })
}

func (copySys) copyByName(*byNameReq) (copyTemp, error) { return copyTemp{}, nil } // FICLONE fills an open file

// unnamedTemp: O_TMPFILE (ext4, XFS, btrfs, tmpfs), so that a process killed
// while copying leaves nothing behind. The filesystem's answer is asked
// again for each copy, never remembered.
func (copySys) unnamedTemp(dst string, st *Stat) *File {
	dir, base := filepath.Split(dst)
	if base == "" || base == "." || base == ".." {
		return nil // createTemp refuses it
	}
	if dir == "" {
		dir = "."
	}
	if fd := linux.OpenUnnamed(dir, uint32(st.Mode.Perm())); fd >= 0 {
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

func (copySys) noXattr(err error) bool { return errors.Is(err, syscall.ENODATA) }
