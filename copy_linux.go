//go:build linux

package extfs

// Linux hooks for copying and cloning. The loops live in copyrange.go,
// clone.go, sparse.go and pipeline.go; these functions only make one system
// call, or answer a question about one. Single blocking calls go straight to
// golang.org/x/sys/unix: nothing here benefits from the ring.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

// System calls the tests replace (export_linux_test.go) to force fallbacks.
var (
	unixCopyFileRange = unix.CopyFileRange
	unixSplice        = unix.Splice
	unixFiclone       = unix.IoctlFileClone
	unixFiclonerange  = unix.IoctlFileCloneRange
)

// copy_file_range

// supportCopyFileRange: copy_file_range(2) exists since 4.5, but before 5.3
// it could not cross filesystems and silently copied nothing from some
// special files (go.dev/issue/42400); package os draws the same line.
var supportCopyFileRange = sync.OnceValue(func() bool { return kernelVersionGE(5, 3) })

func sysCopyFileRangeSupported() bool { return supportCopyFileRange() }

// maxCopyRound is the most one read/write-like system call moves: MAX_RW_COUNT,
// INT_MAX rounded down to a page.
const maxCopyRound = 0x7ffff000

func sysCopyFileRange(srcfd, dstfd uintptr, srcOff, dstOff *int64, n int64) (int64, error) {
	for {
		w, err := unixCopyFileRange(int(srcfd), srcOff, int(dstfd), dstOff, int(n), 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			w = 0
		}
		return int64(w), err
	}
}

// sysCopyFileRangeFallback reports whether err from copy_file_range means
// "this pair of files cannot be copied this way, nothing was copied": the
// caller then tries the next mechanism, for this call only.
func sysCopyFileRangeFallback(err error) bool {
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

// splice

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

// sysSplice copies up to n bytes from srcfd at srcOff to dstfd at dstOff
// through a pipe, in the kernel, without moving either file offset. It stops
// at the end of the source. handled is false when splice cannot copy these
// files; written then says how much it did copy before it found out.
func sysSplice(dstfd, srcfd uintptr, srcOff, dstOff, n int64, ctl *copyCtl) (written int64, handled bool, err error) {
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
	round := ctl.round()
	for written < n {
		m := min(n-written, round)
		var done int64
		for done < m {
			in, err := splice(int(srcfd), &srcOff, p[1], nil, min(m-done, step))
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
				out, err := splice(p[0], nil, int(dstfd), &dstOff, in)
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
		if err := ctl.add(done); err != nil {
			return written, true, err
		}
		if done < m {
			break // end of the source
		}
	}
	return written, true, nil
}

func splice(rfd int, roff *int64, wfd int, woff *int64, n int64) (int64, error) {
	for {
		w, err := unixSplice(rfd, roff, wfd, woff, int(n), unix.SPLICE_F_MOVE)
		if err == syscall.EINTR {
			continue
		}
		if err == nil && w < 0 {
			w = 0
		}
		return w, err
	}
}

// cloning

func sysClone(dstfd, srcfd uintptr) error {
	return eintr.Retry(func() error { return unixFiclone(int(dstfd), int(srcfd)) })
}

func sysCloneRange(dstfd, srcfd uintptr, srcOff, dstOff, n int64) error {
	r := &unix.FileCloneRange{
		Src_fd:      int64(srcfd),
		Src_offset:  uint64(srcOff),
		Src_length:  uint64(n),
		Dest_offset: uint64(dstOff),
	}
	return eintr.Retry(func() error { return unixFiclonerange(int(dstfd), r) })
}

// sysCloneFallback reports whether err from FICLONE/FICLONERANGE means
// "these files cannot share blocks" (rather than a failure of the copy):
// CoWAuto then copies instead, CoWAlways reports ErrNotSupported.
func sysCloneFallback(err error) bool {
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

// sysCloneNeverHere reports whether err from FICLONE holds for every file
// of this source filesystem and destination directory, so that CopyTree
// stops trying for the rest of its files there (copyHints). Only errnos the
// kernel decides from the two superblocks (or the missing ioctl) qualify:
// btrfs's EINVAL (nodatacow on one side) and EPERM (seccomp, or a file's
// own permission) are per file and are tried again every time. On ext4 the
// refused FICLONE was one ioctl per file, ~1.5 µs of 30 (strace -c, 4 KiB
// files).
func sysCloneNeverHere(err error) bool {
	switch err {
	case syscall.EOPNOTSUPP, // the filesystem has no reflink (ext4, tmpfs, XFS reflink=0): vfs_clone_file_range checks the superblock
		syscall.EXDEV,                  // two superblocks
		syscall.ENOTTY, syscall.ENOSYS: // no such ioctl on this filesystem, or a seccomp filter for the whole process
		return true
	}
	return false
}

// file and filesystem facts

func sysFileInfo(fd uintptr) (fileInfo, error) {
	var st unix.Stat_t
	if err := eintr.Retry(func() error { return unix.Fstat(int(fd), &st) }); err != nil {
		return fileInfo{}, err
	}
	return fileInfo{
		dev:     st.Dev,
		ino:     st.Ino,
		size:    st.Size,
		blocks:  st.Blocks,
		regular: st.Mode&unix.S_IFMT == unix.S_IFREG,
		dir:     st.Mode&unix.S_IFMT == unix.S_IFDIR,
	}, nil
}

// sysFsInfo names the filesystem holding fd and gives its block size, the
// unit of clone alignment and of holes.
func sysFsInfo(fd uintptr) (name string, bsize int64, err error) {
	var st unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Fstatfs(int(fd), &st) }); err != nil {
		return "", 0, err
	}
	return linux.FsName(st.Type), st.Bsize, nil
}

// sysFsKey identifies the filesystem holding path for Probe's cache: the
// device, and the mount, so that a device number reused by a later mount of
// another filesystem (a loop device) does not find the old answer.
func sysFsKey(path string) (fsKey, error) {
	var st unix.Statx_t
	mask := unix.STATX_MNT_ID_UNIQUE | unix.STATX_MNT_ID
	err := eintr.Retry(func() error { return unix.Statx(unix.AT_FDCWD, path, unix.AT_STATX_DONT_SYNC, mask, &st) })
	if err != nil {
		return fsKey{}, err
	}
	k := fsKey{dev: unix.Mkdev(st.Dev_major, st.Dev_minor)}
	if st.Mask&(unix.STATX_MNT_ID_UNIQUE|unix.STATX_MNT_ID) != 0 {
		k.mnt = st.Mnt_id
	}
	return k, nil
}

// sysSeekData returns the start of the first data region at or after off and
// its end (the next hole); ok is false when there is no data from off on.
// Filesystems without SEEK_DATA report the whole file as data.
func sysSeekData(fd uintptr, off int64) (data, hole int64, ok bool, err error) {
	data, err = unix.Seek(int(fd), off, unix.SEEK_DATA)
	if err == syscall.ENXIO {
		return 0, 0, false, nil // only a hole from off to the end
	}
	if err != nil {
		return 0, 0, false, os.NewSyscallError("lseek", err)
	}
	hole, err = unix.Seek(int(fd), data, unix.SEEK_HOLE)
	if err != nil {
		return 0, 0, false, os.NewSyscallError("lseek", err)
	}
	return data, hole, true, nil
}

// sysSeekRestore puts fd's offset back: SEEK_DATA/SEEK_HOLE move it, and the
// copy functions promise not to.
func sysSeekRestore(fd uintptr, off int64) {
	unix.Seek(int(fd), off, unix.SEEK_SET)
}

func sysSeekCurrent(fd uintptr) (int64, error) {
	return unix.Seek(int(fd), 0, unix.SEEK_CUR)
}

func sysFtruncate(fd uintptr, size int64) error {
	return eintr.Retry(func() error { return unix.Ftruncate(int(fd), size) })
}

// sysRenameNoReplace renames oldpath to newpath unless newpath exists
// (fs.ErrExist). handled is false when the filesystem cannot do that in one
// step; the caller then links and unlinks.
func sysRenameNoReplace(oldpath, newpath string) (handled bool, err error) {
	err = unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	switch err {
	case syscall.EINVAL, syscall.ENOSYS, syscall.EOPNOTSUPP:
		// EINVAL: a filesystem without RENAME_NOREPLACE (before 4.x on some:
		// NFS, FUSE, vfat); ENOSYS: kernel before 3.15 or seccomp.
		return false, nil
	}
	return true, err
}

// sysNoXattr reports whether err says the attribute does not exist.
func sysNoXattr(err error) bool { return errors.Is(err, syscall.ENODATA) }

func kernelVersionGE(major, minor int) bool {
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

// sysReadWriteCopy: reading and writing is the portable pipeline here.
func sysReadWriteCopy(dfd, sfd uintptr, srcOff, dstOff, n int64, ctl *copyCtl) (int64, bool, error) {
	return 0, false, nil
}

// sysSparseDest: every file can have holes; nothing to ask for.
func sysSparseDest(dfd, sfd uintptr, always bool) error { return nil }

// CopyFile's unnamed temporary file (O_TMPFILE)

// sysCloneTemp makes CopyFile's temporary file, in dst's directory, an
// unnamed one where the filesystem can (O_TMPFILE: ext4, XFS, btrfs, tmpfs
// since 3.11-3.15): a process killed while copying then leaves nothing
// behind. The file is empty, and copyOpenFile fills it (cloning with
// FICLONE where it can) and fixes its mode, owner and attributes through the
// descriptor; commitUnnamed names it. Where no unnamed file is made, tmp is
// nil and CopyFile creates a named one, as elsewhere: the filesystem's
// answer is asked again for each copy, never remembered.
func sysCloneTemp(_ context.Context, _ *File, st *Stat, dst string, _ *CopyOptions) (tmp *File, tmpName string, stats CopyStats, cloned bool, err error) {
	return createUnnamed(dst, st.Mode.Perm()), "", CopyStats{}, false, nil
}

// sysProbeClone clones Probe's trial file a, holding data, to the empty
// trial file b.
func sysProbeClone(afd, bfd uintptr, _ string) error { return sysClone(bfd, afd) }

// createUnnamed opens a new unnamed file in dst's directory, with mode perm
// (less the umask), or returns nil. Any failure returns nil: the named
// temporary file is then tried, and its creation reports what is wrong with
// the directory (createTemp).
func createUnnamed(dst string, perm fs.FileMode) *File {
	dir, base := filepath.Split(dst)
	if base == "" || base == "." || base == ".." {
		return nil // createTemp refuses it
	}
	if dir == "" {
		dir = "."
	}
	// The file is named through /proc/self/fd (linkUnnamed): without /proc
	// it could only be named with AT_EMPTY_PATH, which needs
	// CAP_DAC_READ_SEARCH. Checked each time: /proc can be mounted later.
	if unix.Access("/proc/self/fd", unix.X_OK) != nil {
		return nil
	}
	var fd int
	err := eintr.Retry(func() (err error) {
		fd, err = unix.Open(dir, unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, uint32(perm))
		return err
	})
	if err != nil {
		// EOPNOTSUPP: a filesystem without O_TMPFILE (vfat, NFS, FUSE,
		// overlayfs before 4.20); EISDIR: a kernel before 3.11, which takes
		// O_TMPFILE for O_DIRECTORY; EINVAL: one that rejects the flag.
		// Anything else (EACCES, ENOENT, ...) the named file meets too.
		return nil
	}
	return NewFile(newOSFile(uintptr(fd), dst))
}

func init() { commitUnnamed = commitUnnamedLinux }

// commitUnnamedLinux names the unnamed file tmp (see commitUnnamed). Without
// replace it is linked at dst, which fails with EEXIST if dst exists: the
// no-replace rename's semantics, and its error. With replace it is linked
// at a hidden temporary name in dst's directory and renamed over dst, as a
// named temporary file is (commitTemp).
func commitUnnamedLinux(tmp *File, dst string, replace bool) error {
	if !replace {
		if err := linkUnnamed(tmp, dst); err != nil {
			return os.NewSyscallError("linkat", err) // EEXIST: as commitTemp's renameat2
		}
		return nil
	}
	dir, base := filepath.Split(dst)
	for range 1000 {
		name := filepath.Join(dir, tempName(base))
		err := linkUnnamed(tmp, name)
		if err == syscall.EEXIST {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "linkat", Old: tmp.Name(), New: name, Err: err}
		}
		if err := commitTemp(name, dst, true); err != nil {
			if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = errors.Join(err, rerr)
			}
			return err
		}
		return nil
	}
	return fmt.Errorf("extfs: no unused temporary name for %s", dst)
}

// linkUnnamed gives the open unnamed file f the name newpath, with linkat(2)
// of /proc/self/fd/N, following that link to the file (AT_SYMLINK_FOLLOW);
// without /proc, by the descriptor itself (AT_EMPTY_PATH), which only a
// process with CAP_DAC_READ_SEARCH may do. It returns the errno.
func linkUnnamed(f *File, newpath string) error {
	var lerr error
	if err := f.withFd(func(fd uintptr) {
		lerr = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(fd)), unix.AT_FDCWD, newpath, unix.AT_SYMLINK_FOLLOW)
		if lerr == syscall.ENOENT && unix.Access("/proc/self/fd", unix.X_OK) != nil {
			// /proc unmounted since the file was made.
			lerr = unix.Linkat(int(fd), "", unix.AT_FDCWD, newpath, unix.AT_EMPTY_PATH)
		}
	}); err != nil {
		return err
	}
	return lerr
}
