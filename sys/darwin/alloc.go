package darwin

import (
	"io/fs"

	"github.com/extfs/extfs/internal/fsenum"
)

// Decisions of Preallocate and PunchHole. Pure: their tests run on every OS.

// AllocModeOK reports whether macOS can carry out mode, one extfs accepts:
// preallocate (0 or fsenum.AllocKeepSize) and punch a hole
// (fsenum.AllocPunchHole|fsenum.AllocKeepSize). macOS has no call for zero-range,
// collapse-range, insert-range or unshare-range.
func AllocModeOK(mode fsenum.AllocMode) bool {
	switch mode {
	case 0, fsenum.AllocKeepSize, fsenum.AllocPunchHole | fsenum.AllocKeepSize:
		return true
	}
	return false
}

// PreallocPlan says how to give the range [off, off+n) storage, and the file
// a size of at least off+n unless keepSize, on a file of size bytes that has
// allocated bytes of storage (st_blocks × 512). off ≥ 0, n > 0 and
// off+n ≤ math.MaxInt64 are the caller's to check.
//
// F_PREALLOCATE can only add storage at the file's physical end of file: in
// F_PEOFPOSMODE (the one position mode that addresses the file; the kernel
// then requires fst_offset 0) fst_length is "the number of newly allocated
// bytes desired" after it (fcntl(2)). So fstLength is off+n minus the
// physical end, or 0 when the storage already reaches off+n and no
// F_PREALLOCATE is needed. allocated stands for the physical end. Where the
// two differ, allocated is the smaller — a hole below the physical end is
// not allocated — so for a sparse file fstLength is more than needed (the
// holes' worth is asked for again, at the end), not less. The one known
// exception is HFS+ (macOS's filesystem before APFS), whose st_blocks counts
// a resource fork's blocks too: for a file with a resource fork, fstLength
// falls short by the fork's size.
//
// F_PREALLOCATE never changes the size. truncateTo is the size to set with
// ftruncate afterwards — off+n when that grows the file and !keepSize — or 0
// for none. The caller must only ever grow the file with it: a concurrent
// writer may have grown it since size was read.
func PreallocPlan(size, allocated, off, n int64, keepSize bool) (fstLength, truncateTo int64) {
	end := off + n
	if end > allocated {
		fstLength = end - allocated
	}
	if !keepSize && end > size {
		truncateTo = end
	}
	return fstLength, truncateTo
}

// FstoreAttempts lists the fst_flags of the F_PREALLOCATE calls to make, in
// order, until one succeeds: contiguous storage if the filesystem has it,
// then any storage. Both ask for F_ALLOCATEALL: without it F_PREALLOCATE
// may succeed having allocated less than asked (fcntl(2)), which would break
// Fallocate's promise that the next writes cannot fail for lack of space.
//
// keepSize adds F_ALLOCATEPERSIST: storage past the end of file is otherwise
// given back when the file is closed, where Linux keeps what
// FALLOC_FL_KEEP_SIZE allocated. (Without keepSize the storage ends up
// below the end of file, which ftruncate moves to off+n.)
func FstoreAttempts(keepSize bool) []uint32 {
	var persist uint32
	if keepSize {
		persist = F_ALLOCATEPERSIST
	}
	return []uint32{
		F_ALLOCATECONTIG | F_ALLOCATEALL | persist,
		F_ALLOCATEALL | persist,
	}
}

// FstoreRetry says whether a failed F_PREALLOCATE attempt is worth the next
// one of FstoreAttempts. F_ALLOCATECONTIG is a preference: its failure
// (ENOSPC: no free run that long; or a filesystem refusing the flag) says
// nothing about the next attempt, which then gives the answer. Only errors
// that the next attempt would repeat stop early.
func FstoreRetry(err error) bool {
	switch err {
	case nil,
		EBADF, // not open for writing
		EFBIG: // off+n past the largest file size
		return false
	}
	return true
}

// Span is the byte range [Off, Off+Len).
type Span struct{ Off, Len int64 }

// Punch is how PunchHole does [off, off+n): F_PUNCHHOLE over Hole, and
// zeros written over each Zero span. An unused span is the zero Span.
type Punch struct {
	Hole Span
	Zero [2]Span
}

// PunchPlan splits the range [off, off+n) of a file of size bytes, on a
// filesystem of block size bsize (> 0, statfs f_bsize), into what
// F_PUNCHHOLE can deallocate — the whole blocks, as "holes must be aligned
// to file system block boundaries" (fcntl(2), EINVAL otherwise) — and the
// partial blocks at either end, which are overwritten with zeros, as Linux
// does for FALLOC_FL_PUNCH_HOLE.
//
// Nothing at or past size is touched: like Linux's PUNCH_HOLE (which needs
// KEEP_SIZE), punching never changes the size, and bytes past the end
// already read as zeros. A partial last block is written, not punched, even
// when the range runs past the end.
func PunchPlan(off, n, size, bsize int64) Punch {
	var p Punch
	end := size
	if n < size-off { // off+n < size, without overflow
		end = off + n
	}
	if off >= end {
		return p
	}
	head := (bsize - off%bsize) % bsize // bytes from off to the next block boundary
	tail := end % bsize                 // bytes from the last block boundary to end
	if head >= end-off || end-off-head-tail < bsize {
		// No whole block in the range.
		p.Zero[0] = Span{off, end - off}
		return p
	}
	p.Hole = Span{off + head, end - tail - (off + head)}
	if head > 0 {
		p.Zero[0] = Span{off, head}
	}
	if tail > 0 {
		p.Zero[1] = Span{end - tail, tail}
	}
	return p
}

// WritesZeros reports whether p writes zeros somewhere.
func (p Punch) WritesZeros() bool { return p.Zero[0].Len > 0 || p.Zero[1].Len > 0 }

// PunchCheck refuses a punch the descriptor's open flags (F_GETFL) cannot
// carry out, before anything is changed: EBADF if the file is not open for
// writing — what Linux's fallocate(2) says, where F_PUNCHHOLE would say
// EPERM — and ErrAppendZeros when p writes zeros and the descriptor is in
// append mode, where every write, pwrite(2) included, goes to the end of the
// file.
func PunchCheck(openFlags int, p Punch) error {
	if openFlags&O_ACCMODE == O_RDONLY {
		return EBADF
	}
	if openFlags&O_APPEND != 0 && p.WritesZeros() {
		return ErrAppendZeros
	}
	return nil
}

// ErrAppendZeros is PunchHole's error for a range with partial blocks on a
// descriptor in append mode (see PunchCheck). It wraps EINVAL and matches
// fs.ErrInvalid.
var ErrAppendZeros error = appendZeros{}

type appendZeros struct{}

func (appendZeros) Error() string {
	return "punch hole on macOS writes zeros over the range's partial blocks, and writes to an O_APPEND descriptor go to the end of the file"
}

func (appendZeros) Unwrap() error        { return EINVAL }
func (appendZeros) Is(target error) bool { return target == fs.ErrInvalid }
