package darwin

import "github.com/extfs/extfs/internal/fsenum"

// Decisions of Fadvise. Pure: their tests run on every OS.

// Fcntl is one fcntl(fd, Cmd, Arg) call with an integer argument.
type Fcntl struct{ Cmd, Arg int }

// AdvicePlan says how macOS takes advice a. calls are fcntls to make, in
// order; rdadvise means F_RDADVISE over the range instead (RdadviseRange,
// RdadviseCount); ok is false for advice macOS has no call for.
//
// F_RDAHEAD and F_NOCACHE set flags of the open file, shared by every
// descriptor dup'ed from it, for all later I/O — like Linux, where
// POSIX_FADV_RANDOM, SEQUENTIAL and (since 6.3) NOREUSE also set flags of
// the open file and ignore the range:
//
//   - fsenum.AdviceNormal: read-ahead on (F_RDAHEAD 1) and caching on
//     (F_NOCACHE 0) — it undoes Random and NoReuse, as Linux's
//     POSIX_FADV_NORMAL clears FMODE_RANDOM and FMODE_NOREUSE.
//   - fsenum.AdviceSequential: read-ahead on. macOS has no larger read-ahead window
//     to ask for, as Linux doubles it.
//   - fsenum.AdviceRandom: read-ahead off (F_RDAHEAD 0).
//   - fsenum.AdviceWillNeed: F_RDADVISE, an asynchronous read of the range into the
//     cache — the one advice that takes the range.
//   - fsenum.AdviceDontNeed: none. F_NOCACHE would not drop the cached pages of the
//     range (it changes how later I/O through the descriptor is cached), so
//     macOS has no equivalent: ok is false.
//   - fsenum.AdviceNoReuse ("read once"): caching off for this open file
//     (F_NOCACHE 1) until fsenum.AdviceNormal. Later reads and writes through it
//     keep nothing in the cache, and page-aligned ones go straight to the
//     disk: that is the price for small writes.
func AdvicePlan(a fsenum.Advice) (calls []Fcntl, rdadvise, ok bool) {
	switch a {
	case fsenum.AdviceNormal:
		return []Fcntl{{F_RDAHEAD, 1}, {F_NOCACHE, 0}}, false, true
	case fsenum.AdviceSequential:
		return []Fcntl{{F_RDAHEAD, 1}}, false, true
	case fsenum.AdviceRandom:
		return []Fcntl{{F_RDAHEAD, 0}}, false, true
	case fsenum.AdviceWillNeed:
		return nil, true, true
	case fsenum.AdviceNoReuse:
		return []Fcntl{{F_NOCACHE, 1}}, false, true
	}
	return nil, false, false // fsenum.AdviceDontNeed, or unknown
}

// maxRdadvise bounds one F_RDADVISE: ra_count is a C int. 1 GiB keeps the
// next chunk page-aligned.
const maxRdadvise = 1 << 30

// RdadviseRange clips the advice range [off, off+n) (n == 0: to the end of
// the file) to a file of size bytes, returning [start, end); start >= end
// means nothing to read. F_RDADVISE fails with EFBIG for an offset at or past
// the end of file on HFS+ (hfs_vnop_ioctl), where Linux's WILLNEED does
// nothing — and the clipping also bounds the loop over RdadviseCount.
func RdadviseRange(size, off, n int64) (start, end int64) {
	end = size
	if n != 0 && n < size-off { // off+n < size, without overflow
		end = off + n
	}
	return off, end
}

// RdadviseCount is the ra_count of the F_RDADVISE at off of the range ending
// at end (off < end): all of it, up to maxRdadvise. The caller loops.
func RdadviseCount(off, end int64) int32 {
	return int32(min(end-off, maxRdadvise))
}

// RdadviseIgnore says whether an F_RDADVISE error means there was nothing to
// read ahead: EFBIG, an offset at or past the end of file, when the file
// shrank after RdadviseRange was given its size.
func RdadviseIgnore(err error) bool { return err == EFBIG }
