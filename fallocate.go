package extfs

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/extfs/extfs/internal/fsenum"
)

// AllocMode selects what Fallocate does; the zero mode preallocates.
type AllocMode uint32

const (
	// AllocKeepSize allocates or frees blocks without changing the file size.
	AllocKeepSize = AllocMode(fsenum.AllocKeepSize)
	// AllocPunchHole deallocates the range, which then reads as zeros.
	// Needs AllocKeepSize (PunchHole adds it).
	AllocPunchHole = AllocMode(fsenum.AllocPunchHole)
	// AllocZeroRange makes the range read as zeros, allocated (ZeroRange).
	AllocZeroRange = AllocMode(fsenum.AllocZeroRange)
	// AllocCollapseRange removes the range and shifts the rest of the file
	// down. Offset and length must be multiples of the filesystem block size
	// (a misaligned range is an error matching fs.ErrInvalid that gives it),
	// and the range must end before the end of the file.
	AllocCollapseRange = AllocMode(fsenum.AllocCollapseRange)
	// AllocInsertRange inserts a hole at offset, shifting the rest up.
	// Offset and length must be multiples of the filesystem block size, as
	// for AllocCollapseRange, and offset must be before the end of the file.
	AllocInsertRange = AllocMode(fsenum.AllocInsertRange)
	// AllocUnshareRange gives shared (copy-on-write) blocks in the range
	// their own copy, so later writes cannot fail for lack of space.
	AllocUnshareRange = AllocMode(fsenum.AllocUnshareRange)

	allocAll = AllocKeepSize | AllocPunchHole | AllocZeroRange | AllocCollapseRange |
		AllocInsertRange | AllocUnshareRange
)

var allocNames = []string{"keep-size", "punch-hole", "zero-range", "collapse-range", "insert-range", "unshare-range"}

func (m AllocMode) String() string {
	if m == 0 {
		return "allocate"
	}
	var parts []string
	for i, name := range allocNames {
		if m&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if rest := m &^ allocAll; rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// check refuses combinations no kernel accepts, so the caller gets a clear
// message instead of a bare EINVAL.
func (m AllocMode) check() error {
	if m&^allocAll != 0 {
		return errInvalid("unknown fallocate mode bits %#x", uint32(m&^allocAll))
	}
	if m&AllocPunchHole != 0 && m&AllocKeepSize == 0 {
		return errInvalid("fallocate: punch-hole needs keep-size (or use PunchHole)")
	}
	if m&AllocPunchHole != 0 && m&AllocZeroRange != 0 {
		return errInvalid("fallocate: punch-hole and zero-range are exclusive")
	}
	for _, alone := range []AllocMode{AllocCollapseRange, AllocInsertRange} {
		if m&alone != 0 && m != alone {
			return errInvalid("fallocate: %v must be used alone", alone)
		}
	}
	return nil
}

// Fallocate manipulates the space of the range [off, off+n) as mode says.
// With mode 0 it allocates the range (reads as zeros where it was a hole) and
// grows the file if the range ends past its end; the next writes there cannot
// fail for lack of space.
//
// Modes a filesystem lacks return an error matching ErrNotSupported (for
// example AllocCollapseRange on btrfs or tmpfs). The file must be open for
// writing.
//
// # Windows notes
//
//   - Mode 0 grows the file (FileEndOfFileInformation) when the range ends
//     past its end. A file that is not sparse has no holes, and growing it
//     allocates the new clusters (NTFS, ReFS, FAT), so the range is then
//     allocated. Windows allocates a hole of a sparse file (one PunchHole
//     has touched) or a compressed file only when it is written: there mode
//     0 and AllocKeepSize return an error matching ErrNotSupported.
//   - AllocKeepSize sets the allocation size (FileAllocationInformation),
//     which Windows keeps past the end of file only until the last handle
//     of the file is closed.
//   - AllocPunchHole marks the file sparse (FSCTL_SET_SPARSE), as Windows
//     requires before it frees space, and zeroes the range
//     (FSCTL_SET_ZERO_DATA): the file system frees the whole allocation
//     units the range covers (64 KiB on NTFS with 4 KiB clusters) and writes
//     zeros in the rest. The file stays sparse.
//   - AllocZeroRange zeroes the range with FSCTL_SET_ZERO_DATA without making
//     the file sparse: in a file that is not sparse the range stays
//     allocated (the file system writes the zeros); in a sparse file, the
//     allocation units it covers are freed, as by PunchHole.
//   - AllocCollapseRange, AllocInsertRange, AllocUnshareRange: Windows has
//     none; an error matching ErrNotSupported names the mode.
//
// FAT and exFAT have no sparse files (punch and zero ranges return an error
// matching ErrNotSupported). Wine 8 has neither FSCTL_SET_ZERO_DATA nor
// FileAllocationInformation.
//
// # macOS notes
//
//   - Mode 0 and AllocKeepSize use fcntl F_PREALLOCATE (contiguous storage
//     first, then any; always all of it or nothing), which adds storage
//     after the file's physical end of file only. It cannot fill holes
//     below it: in a sparse file, a range over a hole is not allocated
//     there, and the storage asked for goes after the end instead. Mode 0
//     then grows the file to off+n with ftruncate, a second call: the size
//     is read again just before, so that a concurrent writer's growth is
//     never cut off, but the two calls are not one atomic step as
//     fallocate(2) is. AllocKeepSize keeps the storage past the end of file
//     after the file is closed (F_ALLOCATEPERSIST), as Linux does.
//   - AllocPunchHole (with AllocKeepSize) deallocates the whole filesystem
//     blocks of the range with F_PUNCHHOLE (APFS; HFS+ has none: an error
//     matching ErrNotSupported) and writes zeros over the partial blocks at
//     either end, within the file's size, which does not change. On a file
//     opened with O_APPEND, where every write goes to the end, a range with
//     partial blocks is refused (fs.ErrInvalid).
//   - AllocZeroRange, AllocCollapseRange, AllocInsertRange and
//     AllocUnshareRange: macOS has none; an error matching ErrNotSupported
//     names the mode.
func (f *File) Fallocate(mode AllocMode, off, n int64) error {
	if err := checkRange(off, n, false); err != nil {
		return pathErr("fallocate", f.Name(), err)
	}
	if err := mode.check(); err != nil {
		return pathErr("fallocate", f.Name(), err)
	}
	return f.control("fallocate", func(fd uintptr) error {
		return classify(mode.String(), allocError(fd, mode, off, n, sysFile.fallocate(fd, mode, off, n)))
	})
}

// allocError explains the bare EINVAL the kernel gives a collapse or insert
// whose range breaks one of its rules (ext4 and XFS alike): offset and
// length must be multiples of the filesystem block size; a collapse must
// end before the end of the file, an insert start before it. A misaligned
// range is bad input, an error matching fs.ErrInvalid as CloneRange's is.
// Other errors are returned as they are. fd must still be held.
func allocError(fd uintptr, mode AllocMode, off, n int64, err error) error {
	if mode&(AllocCollapseRange|AllocInsertRange) == 0 || !errors.Is(err, syscall.EINVAL) {
		return err
	}
	if _, bs, ferr := sysCopy.fsInfo(fd); ferr == nil && bs > 0 && (off%bs != 0 || n%bs != 0) {
		return errInvalid("fallocate: %v: offset %d and length %d must be multiples of the filesystem block size %d",
			mode, off, n, bs)
	}
	st, serr := sysFile.fstat(fd)
	switch {
	case serr != nil:
	case mode == AllocCollapseRange && off+n >= st.Size:
		return &hintError{err: err, hint: fmt.Sprintf("collapse-range: the range [%d, %d) must end before the end of the file, at %d", off, off+n, st.Size)}
	case mode == AllocInsertRange && off >= st.Size:
		return &hintError{err: err, hint: fmt.Sprintf("insert-range: offset %d must be before the end of the file, at %d", off, st.Size)}
	}
	return err
}

// PunchHole deallocates [off, off+n): the range reads as zeros and stops
// using disk space. The file size does not change.
func (f *File) PunchHole(off, n int64) error {
	return f.Fallocate(AllocPunchHole|AllocKeepSize, off, n)
}

// ZeroRange makes [off, off+n) read as zeros, keeping it allocated, and grows
// the file if the range ends past its end.
func (f *File) ZeroRange(off, n int64) error {
	return f.Fallocate(AllocZeroRange, off, n)
}
