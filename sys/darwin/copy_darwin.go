package darwin

// The calls of copying and cloning: clonefile, setattrlist on a name, the
// data map, statfs, rename without replacing. What to do with their answers
// is decided in clone.go.

import (
	"os"
	"unsafe"

	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// SrcOpenFlags open a file to copy (CopyFile, Clone). O_NONBLOCK: a FIFO put
// at the name since the caller looked does not block the open; O_NOCTTY: nor
// may a terminal become the controlling one.
const SrcOpenFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY

// TimesAttrlist packs each time as a 16-byte struct timespec.
var _ [unsafe.Sizeof(unix.Timespec{}) - 16]byte
var _ [16 - unsafe.Sizeof(unix.Timespec{})]byte

// Fclonefileat clones the regular file open as srcfd (for reading) to path,
// relative to dirfd, which must not exist (EEXIST): a new file sharing
// srcfd's blocks, with its attributes and extended attributes (see
// CloneFlags for the flags). flags: CLONE_NOFOLLOW (a symbolic link at
// path is not followed), CLONE_NOOWNERCOPY (the caller owns the clone, even
// as root).
func Fclonefileat(srcfd, dirfd int, path string, flags int) error {
	return eintr.Retry(func() error { return unix.Fclonefileat(srcfd, dirfd, path, flags) })
}

// SetTimes sets the birth, modification and access times of path (nil:
// leave that time alone) with setattrlist(2), to the nanosecond, without
// following a symbolic link at path (TimesAttrlist).
func SetTimes(path string, crtime, mtime, atime *Timespec) error {
	common, buf := TimesAttrlist(crtime, mtime, atime)
	if common == 0 {
		return nil
	}
	return setattrlist(path, common, buf)
}

// SetFlags sets the st_flags of path, without following a symbolic link
// there (FlagsAttrlist).
func SetFlags(path string, flags uint32) error {
	common, buf := FlagsAttrlist(flags)
	return setattrlist(path, common, buf)
}

func setattrlist(path string, common uint32, buf []byte) error {
	al := unix.Attrlist{Bitmapcount: ATTR_BIT_MAP_COUNT, Commonattr: common}
	return eintr.Retry(func() error { return unix.Setattrlist(path, &al, buf, FSOPT_NOFOLLOW) })
}

// Ftruncate is ftruncate(2).
func Ftruncate(fd int, size int64) error {
	return eintr.Retry(func() error { return unix.Ftruncate(fd, size) })
}

// SeekData returns the start of the first data range of fd at or after off
// (lseek SEEK_DATA) and its end (SEEK_HOLE); ok is false when there is only
// a hole from off to the end of the file (ENXIO). It moves fd's offset. A
// filesystem without the calls answers ENOTTY, ENOTSUP or EINVAL
// (VNOP_IOCTL FSIOC_FIOSEEKDATA).
func SeekData(fd int, off int64) (data, hole int64, ok bool, err error) {
	data, err = unix.Seek(fd, off, SEEK_DATA)
	if err == ENXIO {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	hole, err = unix.Seek(fd, data, SEEK_HOLE)
	if err != nil {
		return 0, 0, false, err
	}
	return data, hole, true, nil
}

// DataRange is SeekData for a copy: a file with a block for every 512
// bytes of its size has no holes, found without SEEK_DATA (MayBeSparse).
// Errors are *os.SyscallErrors.
func DataRange(fd int, off int64) (data, hole int64, ok bool, err error) {
	if off == 0 {
		st, err := Fstat(fd)
		if err != nil {
			return 0, 0, false, os.NewSyscallError("fstat", err)
		}
		if !MayBeSparse(st.Blocks, st.Size) {
			return 0, st.Size, st.Size > 0, nil
		}
	}
	data, hole, ok, err = SeekData(fd, off)
	if err != nil {
		return 0, 0, false, os.NewSyscallError("lseek", err)
	}
	return data, hole, ok, nil
}

// FsInfo is what statfs(2) says of a volume.
type FsInfo struct {
	Name  string   // f_fstypename (FsName)
	Bsize int64    // f_bsize, the block size: the unit of holes and of allocation
	Fsid  [2]int32 // f_fsid (FsidKey)
}

// Fstatfs is fstatfs(2).
func Fstatfs(fd int) (FsInfo, error) {
	var st unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Fstatfs(fd, &st) }); err != nil {
		return FsInfo{}, err
	}
	return fsInfo(&st), nil
}

// Statfs is statfs(2).
func Statfs(path string) (FsInfo, error) {
	var st unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Statfs(path, &st) }); err != nil {
		return FsInfo{}, err
	}
	return fsInfo(&st), nil
}

func fsInfo(st *unix.Statfs_t) FsInfo {
	return FsInfo{Name: FsName(st.Fstypename), Bsize: int64(st.Bsize), Fsid: st.Fsid.Val}
}

// RenameNoReplace renames oldpath to newpath unless newpath exists
// (EEXIST): with renameatx_np(RENAME_EXCL) (APFS, HFS+); where the
// filesystem cannot (RenameExclFallback), by link(2) and unlink(2); where
// it has no hard links either (LinkFallback: FAT, exFAT), by looking for
// newpath and renaming if it is free — a check another process could race.
func RenameNoReplace(oldpath, newpath string) error {
	err := eintr.Retry(func() error {
		return unix.RenameatxNp(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, RENAME_EXCL)
	})
	if !RenameExclFallback(err) {
		return err
	}
	err = Linkat(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, 0)
	if err == nil {
		return Unlinkat(unix.AT_FDCWD, oldpath, 0)
	}
	if !LinkFallback(err) {
		return err
	}
	switch _, err := Fstatat(unix.AT_FDCWD, newpath, unix.AT_SYMLINK_NOFOLLOW); err {
	case nil:
		return EEXIST
	case ENOENT:
	default:
		return err
	}
	return Renameat(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath)
}
