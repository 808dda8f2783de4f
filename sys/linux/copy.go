//go:build linux

package linux

// What copying and cloning need: the facts of a file and its filesystem,
// copy_file_range and splice loops, FICLONE and FICLONERANGE, the data map
// (SEEK_DATA/SEEK_HOLE), O_TMPFILE files and renameat2(RENAME_NOREPLACE),
// with the errno rules that say "this mechanism cannot copy these files:
// fall back". Single blocking calls, made directly:
// none of them gains from the ring.

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/unix"
)

// The system calls the copy functions make; tests replace them (through
// package extfs's export_linux_test.go) to force the fallbacks.
var (
	CopyFileRangeCall = unix.CopyFileRange
	SpliceCall        = unix.Splice
	FicloneCall       = unix.IoctlFileClone
	FiclonerangeCall  = unix.IoctlFileCloneRange
)

// MaxRW is the most one read/write-like system call moves: MAX_RW_COUNT,
// INT_MAX rounded down to a page.
const MaxRW = 0x7ffff000

// SrcOpenFlags open a file to copy (CopyFile, Clone). O_NONBLOCK: a FIFO
// put at the name since the caller looked at it must not block the open,
// waiting for a writer (the type is checked on the descriptor after);
// O_NOCTTY: nor may a terminal become the process's controlling one. Once
// the file is known to be regular, the caller clears O_NONBLOCK (F_SETFL to
// 0: these flags set no other it changes): io_uring fails a read of an
// O_NONBLOCK regular file with EAGAIN instead of waiting for the disk.
const SrcOpenFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY

// FileInfoOf describes the open file fd for copying, with fstat(2), which
// every kernel has (Fstat's statx needs Linux 4.11): it fills Dev, Ino,
// Mode, Size and Blocks (st_blocks, 512-byte units) only.
func FileInfoOf(fd int) (fsstat.Stat, error) {
	var st unix.Stat_t
	if err := eintr.Retry(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return fsstat.Stat{}, err
	}
	return fsstat.Stat{Dev: st.Dev, Ino: st.Ino, Mode: FileMode(st.Mode), Size: st.Size, Blocks: st.Blocks}, nil
}

// FsInfo names the filesystem holding fd (FsName) and gives its block size.
func FsInfo(fd int) (name string, bsize int64, err error) {
	var st unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Fstatfs(fd, &st) }); err != nil {
		return "", 0, err
	}
	return FsName(st.Type), st.Bsize, nil
}

// FsKey identifies the filesystem holding path by its device and its mount
// (0 before Linux 5.8), so that a device number reused by a later mount of
// another filesystem (a loop device) is told apart.
func FsKey(path string) (dev, mnt uint64, err error) {
	var st unix.Statx_t
	const mask = unix.STATX_MNT_ID_UNIQUE | unix.STATX_MNT_ID
	err = eintr.Retry(func() error { return unix.Statx(unix.AT_FDCWD, path, unix.AT_STATX_DONT_SYNC, mask, &st) })
	if err != nil {
		return 0, 0, err
	}
	if st.Mask&mask != 0 {
		mnt = st.Mnt_id
	}
	return unix.Mkdev(st.Dev_major, st.Dev_minor), mnt, nil
}

// Ftruncate is ftruncate(2).
func Ftruncate(fd int, size int64) error {
	return eintr.Retry(func() error { return unix.Ftruncate(fd, size) })
}

// NoXattr reports whether err says an extended attribute does not exist.
func NoXattr(err error) bool { return errors.Is(err, syscall.ENODATA) }

// CopyFileRangeSupported: copy_file_range(2) exists since 4.5, but before
// 5.3 it could not cross filesystems and silently copied nothing from some
// special files (go.dev/issue/42400); package os draws the same line.
var CopyFileRangeSupported = sync.OnceValue(func() bool { return KernelAtLeast(5, 3) })

// CopyFileRangeFallback reports whether err from copy_file_range means
// "this pair of files cannot be copied this way, nothing was copied": the
// caller then tries the next mechanism, for this call only.
func CopyFileRangeFallback(err error) bool {
	switch err {
	case syscall.EXDEV: // different filesystems: before 5.3 always, since 5.19 unless the same fs type supports it (NFS, CIFS)
		return true
	case syscall.EINVAL: // a file that is not regular (pipe, procfs), or an fs without .copy_file_range/.splice_read
		return true
	case syscall.EOPNOTSUPP: // NFS without server-side copy (go.dev/issue/40731)
		return true
	case syscall.ENOSYS: // kernel before 4.5, or a seccomp filter that does not know the call
		return true
	case syscall.EIO: // CIFS/SMB servers without server-side copy (go.dev/issue/42334); a real I/O error recurs in the fallback
		return true
	case syscall.EPERM: // Docker's seccomp profile before 20.10 (go.dev/issue/40893); a real EPERM recurs in the fallback
		return true
	}
	return false
}

// Range is one range to copy: n bytes from Src at SrcOff to Dst at DstOff.
// Round bounds what one call moves before Add is told; Add (nil: nothing to
// tell) counts the bytes done and may stop the copy with an error.
type Range struct {
	Src, Dst       int
	SrcOff, DstOff int64
	N              int64
	Round          int64
	Add            func(n int64) error
}

func (r *Range) add(n int64) error {
	if r.Add == nil {
		return nil
	}
	return r.Add(n)
}

// CopyFileRange copies r with copy_file_range, looping on short copies.
// handled is false when copy_file_range cannot copy these files; written
// then says how much it had copied. Errors are wrapped *os.SyscallErrors,
// or Add's.
func CopyFileRange(r Range) (written int64, handled bool, err error) {
	if !CopyFileRangeSupported() {
		return 0, false, nil
	}
	round := min(r.Round, MaxRW)
	srcOff, dstOff, remain := r.SrcOff, r.DstOff, r.N
	for remain > 0 {
		so, do := srcOff, dstOff // the kernel advances these; we advance our own
		n, err := eintr.Retry1(func() (int, error) {
			return CopyFileRangeCall(r.Src, &so, r.Dst, &do, int(min(remain, round)), 0)
		})
		if err != nil {
			if CopyFileRangeFallback(err) {
				return written, false, nil
			}
			return written, true, os.NewSyscallError("copy_file_range", err)
		}
		if n <= 0 {
			if written == 0 {
				// Before Linux 5.19 copy_file_range reported success and
				// copied nothing from files whose size is not their length
				// (procfs, sysfs): let a fallback read them.
				return 0, false, nil
			}
			return written, true, nil // end of the source
		}
		srcOff += int64(n)
		dstOff += int64(n)
		written += int64(n)
		remain -= int64(n)
		if err := r.add(int64(n)); err != nil {
			return written, true, err
		}
	}
	return written, true, nil
}

// spliceFallback reports whether err from splice means "cannot splice these
// files": fall back to reading and writing.
func spliceFallback(err error) bool {
	switch err {
	case syscall.EINVAL: // a filesystem without splice_read/splice_write, or an O_APPEND destination
		return true
	case syscall.ENOSYS, syscall.EPERM: // kernel or seccomp filter without splice
		return true
	case syscall.EOPNOTSUPP: // some FUSE and network filesystems
		return true
	}
	return false
}

// spliceStep is the most one splice moves through the pipe. Pipes are 64 KiB
// unless F_SETPIPE_SZ grows them; 1 MiB is the unprivileged maximum
// (/proc/sys/fs/pipe-max-size) and halves the system calls of a 256 KiB pipe.
const spliceStep = 1 << 20

// SpliceCopy copies r through a pipe, in the kernel, without moving either
// file offset. It stops at the end of the source. handled is false when
// splice cannot copy these files; written then says how much it did copy
// before it found out.
func SpliceCopy(r Range) (written int64, handled bool, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		// EMFILE/ENFILE: out of descriptors. A copy still works without one.
		return 0, false, nil
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	step := int64(spliceStep)
	if sz, err := unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, spliceStep); err != nil {
		step = 64 << 10 // the default size; EPERM past the per-user pipe limit
	} else {
		step = int64(sz)
	}
	srcOff, dstOff := r.SrcOff, r.DstOff
	for written < r.N {
		m := min(r.N-written, r.Round)
		var done int64
		for done < m {
			in, err := splice(r.Src, &srcOff, p[1], nil, min(m-done, step))
			if err != nil {
				if written == 0 && done == 0 && spliceFallback(err) {
					return 0, false, nil
				}
				// The pipe is dropped with its contents; nothing read past
				// dstOff counts.
				return written + done, true, os.NewSyscallError("splice", err)
			}
			if in == 0 {
				break // end of the source
			}
			for in > 0 {
				out, err := splice(p[0], nil, r.Dst, &dstOff, in)
				if err != nil {
					if written == 0 && done == 0 && spliceFallback(err) {
						return 0, false, nil
					}
					return written + done, true, os.NewSyscallError("splice", err)
				}
				in -= out
				done += out
			}
		}
		written += done
		if err := r.add(done); err != nil {
			return written, true, err
		}
		if done < m {
			break // end of the source
		}
	}
	return written, true, nil
}

func splice(rfd int, roff *int64, wfd int, woff *int64, n int64) (int64, error) {
	w, err := eintr.Retry1(func() (int64, error) {
		return SpliceCall(rfd, roff, wfd, woff, int(n), unix.SPLICE_F_MOVE)
	})
	if err == nil && w < 0 {
		w = 0
	}
	return w, err
}

// Offload copies r with copy_file_range if useRange, then what that left
// with splice if useSplice, and returns the bytes each moved. handled is
// false when neither finished the range: the caller copies the rest, from
// r.SrcOff+byRange+bySplice on.
func Offload(r Range, useRange, useSplice bool) (byRange, bySplice int64, handled bool, err error) {
	if useRange {
		w, done, err := CopyFileRange(r)
		if done || err != nil {
			return w, 0, true, err
		}
		byRange = w
		r.SrcOff, r.DstOff, r.N = r.SrcOff+w, r.DstOff+w, r.N-w
	}
	if useSplice {
		w, done, err := SpliceCopy(r)
		return byRange, w, done || err != nil, err
	}
	return byRange, 0, false, nil
}

// Clone makes dst share all of src's blocks (FICLONE). It returns the errno.
func Clone(dst, src int) error {
	return eintr.Retry(func() error { return FicloneCall(dst, src) })
}

// CloneRange makes [dstOff, dstOff+n) of dst share the blocks of
// [srcOff, srcOff+n) of src (FICLONERANGE). It returns the errno.
func CloneRange(dst, src int, srcOff, dstOff, n int64) error {
	r := &unix.FileCloneRange{
		Src_fd:      int64(src),
		Src_offset:  uint64(srcOff),
		Src_length:  uint64(n),
		Dest_offset: uint64(dstOff),
	}
	return eintr.Retry(func() error { return FiclonerangeCall(dst, r) })
}

// CloneFallback reports whether err from FICLONE/FICLONERANGE means "these
// files cannot share blocks" (rather than a failure of the copy).
func CloneFallback(err error) bool {
	switch err {
	case syscall.EOPNOTSUPP: // no reflink: ext4, tmpfs, XFS made with reflink=0, NFS without CLONE
		return true
	case syscall.EXDEV: // source and destination on different filesystems (or mounts, before 5.18)
		return true
	case syscall.EINVAL: // btrfs: one file nodatacow/nodatasum and the other not; a file that is not regular
		return true
	case syscall.ENOTTY, syscall.ENOSYS: // filesystems or seccomp filters without the ioctl
		return true
	case syscall.EPERM: // seccomp filters that answer EPERM; a real permission error recurs in the copy
		return true
	}
	return false
}

// CloneNeverHere reports whether err from FICLONE holds for every file of
// this source filesystem and destination directory. Only errnos the kernel
// decides from the two superblocks (or the missing ioctl) qualify: btrfs's
// EINVAL (nodatacow on one side) and EPERM (seccomp, or a file's own
// permission) are per file.
func CloneNeverHere(err error) bool {
	switch err {
	case syscall.EOPNOTSUPP, // the filesystem has no reflink (ext4, tmpfs, XFS reflink=0): vfs_clone_file_range checks the superblock
		syscall.EXDEV,                  // two superblocks
		syscall.ENOTTY, syscall.ENOSYS: // no such ioctl on this filesystem, or a seccomp filter for the whole process
		return true
	}
	return false
}

// SeekData returns the start of the first data region of fd at or after
// off and its end (the next hole); ok is false when there is no data from
// off on. It moves fd's offset.
func SeekData(fd int, off int64) (data, hole int64, ok bool, err error) {
	data, err = unix.Seek(fd, off, unix.SEEK_DATA)
	if err == syscall.ENXIO {
		return 0, 0, false, nil // only a hole from off to the end
	}
	if err != nil {
		return 0, 0, false, os.NewSyscallError("lseek", err)
	}
	hole, err = unix.Seek(fd, data, unix.SEEK_HOLE)
	if err != nil {
		return 0, 0, false, os.NewSyscallError("lseek", err)
	}
	return data, hole, true, nil
}

// RenameNoReplace renames oldpath to newpath unless newpath exists (EEXIST).
// handled is false when the filesystem cannot do that in one step.
func RenameNoReplace(oldpath, newpath string) (handled bool, err error) {
	err = unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	switch err {
	case syscall.EINVAL, syscall.ENOSYS, syscall.EOPNOTSUPP:
		// EINVAL: a filesystem without RENAME_NOREPLACE (before 4.x on some:
		// NFS, FUSE, vfat); ENOSYS: kernel before 3.15 or seccomp.
		return false, nil
	}
	return true, err
}

// OpenUnnamed opens a new unnamed file (O_TMPFILE) in the directory of
// the path dst, with mode perm (less the umask), and returns its
// descriptor, or -1 where none can be made: dst ends in "", "." or ".."
// (which a named file refuses too), a filesystem without O_TMPFILE
// (EOPNOTSUPP: vfat, NFS, FUSE, overlayfs before 4.20), a kernel before
// 3.11 (EISDIR: it takes O_TMPFILE for O_DIRECTORY) or one that rejects the
// flag (EINVAL), or no /proc to name it through later (LinkUnnamed: without
// /proc it could only be named with AT_EMPTY_PATH, which needs
// CAP_DAC_READ_SEARCH; checked each time, as /proc can be mounted later).
// Anything else a named file meets too, and its creation reports. The
// filesystem's answer is asked again for each file, never remembered.
func OpenUnnamed(dst string, perm uint32) int {
	dir, base := filepath.Split(dst)
	if base == "" || base == "." || base == ".." {
		return -1
	}
	if dir == "" {
		dir = "."
	}
	if unix.Access("/proc/self/fd", unix.X_OK) != nil {
		return -1
	}
	fd, err := eintr.Retry1(func() (int, error) {
		return unix.Open(dir, unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, perm)
	})
	if err != nil {
		return -1
	}
	return fd
}

// LinkUnnamed gives the open unnamed file fd the name newpath, with
// linkat(2) of /proc/self/fd/N, following that link to the file
// (AT_SYMLINK_FOLLOW); without /proc, by the descriptor itself
// (AT_EMPTY_PATH), which only a process with CAP_DAC_READ_SEARCH may do. It
// returns the errno.
func LinkUnnamed(fd int, newpath string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, newpath, unix.AT_SYMLINK_FOLLOW)
	if err == syscall.ENOENT && unix.Access("/proc/self/fd", unix.X_OK) != nil {
		// /proc unmounted since the file was made.
		err = unix.Linkat(fd, "", unix.AT_FDCWD, newpath, unix.AT_EMPTY_PATH)
	}
	return err
}

// KernelAtLeast reports whether the running kernel is major.minor or later.
func KernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	rel := unix.ByteSliceToString(u.Release[:])
	parts := strings.SplitN(rel, ".", 3)
	if len(parts) < 2 {
		return false
	}
	digits := func(s string) int {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(s[:i])
		return n
	}
	ma, mi := digits(parts[0]), digits(parts[1])
	return ma > major || ma == major && mi >= minor
}
