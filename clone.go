package extfs

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// Clone makes dst a copy-on-write clone of the regular file src: a new file
// sharing src's blocks, made in an instant whatever the size, which takes
// space only as either file is later written. dst gets src's permission
// bits; no other metadata (use CopyFile with CoWAlways and Preserve).
//
// dst must not exist (the error then matches fs.ErrExist). Where no clone
// is possible (the filesystem cannot share blocks, or src and dst are on
// different filesystems) the error matches ErrNotSupported and says which
// filesystem. On any failure no dst is left behind.
//
// # Linux notes
//
// Clone uses the FICLONE ioctl: XFS made with reflink=1 (the default since
// xfsprogs 5.1), btrfs, bcachefs, OCFS2, and NFS 4.2 servers that offer
// CLONE can clone; ext4 and tmpfs cannot.
//
// # macOS notes
//
// Clone uses fclonefileat(2): APFS can clone; HFS+, FAT, exFAT and network
// volumes cannot, nor can two APFS volumes share blocks (each is a
// filesystem of its own). dst gets none of src's flags, times or extended
// attributes, which clonefile would copy (see CopyFile); a src with the
// superuser's immutable, append-only or undeletable flags is not cloned.
//
// # Windows notes
//
// Clone uses FSCTL_DUPLICATE_EXTENTS_TO_FILE (block cloning), which ReFS
// (on Windows Server 2016 and Windows 10 1703 and later) and Dev Drives
// offer, within one volume; NTFS, FAT and network shares do not. A cluster
// can be shared at most 8175 times: past that, the error matches
// ErrCloneLimit. Clones of one source file run one at a time, the first
// after a flush of the source (see ErrCloneLimit's Windows notes).
func Clone(src, dst string) error {
	_, err := CopyFile(context.Background(), src, dst, &CopyOptions{CoW: CoWAlways, Preserve: PreserveMode})
	return err
}

// CloneRange makes [dstOff, dstOff+n) of dst share the blocks of
// [srcOff, srcOff+n) of f (copy on write), growing dst if needed. A range
// reaching past the end of f stops there, and a range starting at or after
// it clones nothing.
//
// The offsets and n must be multiples of the filesystem's block size
// (Capabilities.CloneBlockSize), except that a range ending at the end of f
// may have any length, if it also ends at or after the end of dst. A
// misaligned range is refused with an error matching fs.ErrInvalid that
// gives the block size. Where the filesystem cannot clone, or the files are
// on different filesystems, the error matches ErrNotSupported. Ranges that
// overlap in the same file are refused (fs.ErrInvalid). Neither file offset
// moves.
//
// # Linux notes
//
// CloneRange is the FICLONERANGE ioctl.
//
// # macOS notes
//
// macOS has no call that clones part of a file: APFS clones whole files
// only, by name (Clone, CopyFile). A range that passes the checks above and
// is not empty fails with an error matching ErrNotSupported.
//
// # Windows notes
//
// CloneRange is FSCTL_DUPLICATE_EXTENTS_TO_FILE, in calls of at most 2 GiB;
// the block size is the volume's cluster (4 or 64 KiB). dst is made sparse
// if f is, as Windows requires; its integrity-stream setting must already
// match f's (ReFS sets it only on an empty file). A cluster shared too many
// times fails with ErrCloneLimit.
func (f *File) CloneRange(dst *File, srcOff, dstOff, n int64) error {
	c := rangeCall{op: "ficlonerange", what: "CloneRange", src: f, dst: dst, srcOff: srcOff, dstOff: dstOff, n: n}
	return c.run(func(sfd, dfd uintptr, si, di fileInfo) error {
		if !si.regular || !di.regular {
			return errInvalid("CloneRange: clones are made between regular files only")
		}
		c.n = max(0, min(c.n, si.size-srcOff)) // the kernel refuses to clone past the end
		if c.n == 0 {
			return nil
		}
		if err := checkBlocks(dfd, srcOff, dstOff, c.n, si.size, di.size); err != nil {
			return err
		}
		if err := c.overlap(si, di); err != nil {
			return err
		}
		if err := sysCopy.cloneRange(dfd, sfd, srcOff, dstOff, c.n); err != nil {
			return cloneError(c.op, sfd, dfd, err)
		}
		return nil
	})
}

// checkBlocks applies checkCloneAlignment with the block size of the
// filesystem holding dfd.
func checkBlocks(dfd uintptr, srcOff, dstOff, n, srcSize, dstSize int64) error {
	_, bs, err := sysCopy.fsInfo(dfd)
	if err != nil {
		return os.NewSyscallError("fstatfs", err)
	}
	return checkCloneAlignment(srcOff, dstOff, n, srcSize, dstSize, bs)
}

// checkCloneAlignment applies the kernel's rules (generic_remap_checks) up
// front, to say what is wrong instead of a bare EINVAL: both offsets, and
// the length unless the range ends at the source's end, are multiples of
// the block size bs; and the partial last block of the source is cloned
// only to the end of the destination, never into its middle.
func checkCloneAlignment(srcOff, dstOff, n, srcSize, dstSize, bs int64) error {
	if bs <= 0 {
		return nil // unknown: let the kernel judge
	}
	toEOF := srcOff+n == srcSize
	if srcOff%bs != 0 || dstOff%bs != 0 || (!toEOF && n%bs != 0) {
		return errInvalid("clone range: source offset %d, destination offset %d and length %d must be multiples of the filesystem block size %d (the length may be unaligned only if the range ends at the end of the source)",
			srcOff, dstOff, n, bs)
	}
	if toEOF && n%bs != 0 && dstOff+n < dstSize {
		return errInvalid("clone range: the source's last block is partial (size %d, block size %d), so it can only be cloned to the end of the destination (size %d), not to offset %d",
			srcSize, bs, dstSize, dstOff)
	}
	return nil
}

// ErrCloneLimit is returned (wrapped) by Clone, CloneRange, and CopyFile and
// CopyTree with CoWAlways, when the filesystem refuses a clone because a
// block of the source is already shared as many times as it can be. The
// source can no longer be cloned; a copy of it can, so a cache that clones
// one file many times can copy it once and clone the copy. CoWAuto copies
// instead. It does not match ErrNotSupported: the filesystem can clone.
//
// # Windows notes
//
// ReFS shares a cluster at most 8175 times (ERROR_BLOCK_TOO_MANY_REFERENCES,
// 347). Microsoft documents a ReFS bug: parallel clones of one recently
// written source can come out as zeros. extfs therefore clones each source
// file one call at a time within the process (clones of different files
// still run in parallel), and flushes a source before cloning it unless
// this process flushed it since its size and times last changed, and the
// handle cloned from is not open for writing.
//
// # Other systems
//
// Only Windows reports this limit. XFS pins a block's count at its maximum
// (2³²−1) instead of refusing; btrfs and bcachefs count references in 64
// bits; APFS has no documented limit. EMLINK on btrfs is "too many hard
// links in one directory", not a clone limit.
var ErrCloneLimit = errors.New("clone limit reached: a block of the source is shared too many times")

// cloneLimitError is a clone the system refused at its reference limit:
// it matches ErrCloneLimit and keeps the system's error.
type cloneLimitError struct{ err error }

func (e *cloneLimitError) Error() string        { return ErrCloneLimit.Error() + ": " + e.err.Error() }
func (e *cloneLimitError) Unwrap() error        { return e.err }
func (e *cloneLimitError) Is(target error) bool { return target == ErrCloneLimit }

// cloneLimitErr marks err as a clone refused at the reference limit when
// limit says so (an OS adapter's errno rule).
func cloneLimitErr(err error, limit bool) error {
	if err != nil && limit {
		return &cloneLimitError{err: err}
	}
	return err
}

// cloneWanted reports whether a copy tries to clone a file of size bytes:
// never under CoWNever, and an empty file only under CoWAlways, which must
// say whether the filesystem can clone.
func cloneWanted(cow CoWMode, size int64) bool {
	return cow != CoWNever && (size > 0 || cow == CoWAlways)
}

// cloneFallback reports whether a clone error means "cannot share blocks
// here", or no more with this source (ErrCloneLimit): CoWAuto then copies.
func cloneFallback(err error) bool {
	return errors.Is(err, ErrCloneLimit) || sysCopy.cloneFallback(err)
}

// cloneError wraps a failed FICLONE/FICLONERANGE. When the kernel says these
// files cannot share blocks, the error matches ErrNotSupported and names the
// filesystems, so that "CoWAlways failed" explains itself.
func cloneError(op string, sfd, dfd uintptr, err error) error {
	if ue := (*unsupportedError)(nil); errors.As(err, &ue) && ue.err == nil {
		// extfs decided without a call (macOS clones into no open file):
		// no filesystem is to blame.
		return err
	}
	if !cloneNotSupported(err) {
		return os.NewSyscallError(op, err)
	}
	sname, _, serr := sysCopy.fsInfo(sfd)
	dname, _, derr := sysCopy.fsInfo(dfd)
	var what string
	switch {
	case serr != nil || derr != nil:
		what = "clone"
	case errors.Is(err, syscall.EXDEV):
		what = "clone: the source (" + sname + ") and the destination (" + dname + ") are on different filesystems"
	case sname != dname:
		what = "clone: the source is on " + sname + " and the destination on " + dname
	default:
		what = "clone: the " + dname + " filesystem cannot share blocks between these files (reflink)"
	}
	return os.NewSyscallError(op, &unsupportedError{what: what, err: err})
}

// cloneNotSupported: the errors of cloneFallback but EPERM, which under
// CoWAlways is more likely a real permission problem than a seccomp filter,
// and ErrCloneLimit: the filesystem can clone, this source no more.
func cloneNotSupported(err error) bool {
	return !errors.Is(err, syscall.EPERM) && !errors.Is(err, ErrCloneLimit) && sysCopy.cloneFallback(err)
}
