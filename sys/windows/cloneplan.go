package windows

import (
	"fmt"
)

// Block cloning (FSCTL_DUPLICATE_EXTENTS_TO_FILE: ReFS, Dev Drives) has
// rules a caller must meet before the call, which PlanClone applies, as a
// pure function, so that they are tested on every system:
//
//   - offsets and byte counts are multiples of the volume's cluster size;
//     a range ending at the source's end of file may round its partial last
//     cluster up, which the system accepts as long as the destination's end
//     of file is at or after the rounded end during the call: the
//     destination is grown to it first, and its true size set after;
//   - the range to clone lies inside both files' ends of file (the
//     destination is grown before the call when it is shorter);
//   - one call moves less than 4 GiB: a longer range is cut into chunks.

// MaxCloneChunk is the most one FSCTL_DUPLICATE_EXTENTS_TO_FILE is asked to
// clone: the call takes less than 4 GiB, and 2 GiB is what Microsoft's own
// CopyOnWrite library uses (reflink-copy uses 4 GiB less a cluster, git-lfs
// 1 GiB).
const MaxCloneChunk = 1 << 31

// maxCloneCall is the limit of the system call itself: less than 4 GiB.
const maxCloneCall = 1<<32 - 1

// ErrCloneRange is the error PlanClone wraps when a range cannot be cloned
// as given (misaligned, past the end of the source); it matches
// fs.ErrInvalid.
var ErrCloneRange error = &InvalidError{Msg: "invalid clone range"}

// CloneChunk is one FSCTL_DUPLICATE_EXTENTS_TO_FILE call: Len bytes, a
// multiple of the cluster size, from SrcOff of the source to DstOff of the
// destination.
type CloneChunk struct {
	SrcOff, DstOff, Len int64
}

// ClonePlan says how to clone a range.
type ClonePlan struct {
	Chunks []CloneChunk
	// GrowTo, when not 0, is the size to give the destination before the
	// first chunk: the cluster-rounded end of the range, past the
	// destination's end of file.
	GrowTo int64
	// Size is the destination's size once the range is cloned: its old
	// size, or the true end of the range if that is further. When GrowTo
	// is not 0 the destination is set to Size after the last chunk.
	Size int64
}

// PlanClone plans the cloning of n bytes from srcOff of a source of size
// srcSize to dstOff of a destination of size dstSize, on a volume whose
// cluster is cluster bytes (a power of two), in chunks of at most maxChunk
// bytes (rounded down to a multiple of the cluster; 0 means
// MaxCloneChunk).
//
// Both offsets must be multiples of the cluster, and so must n, unless the
// range ends at the end of the source: its partial last cluster is then
// cloned whole, and may only land at the end of the destination (dstOff+n
// at or after dstSize), since the bytes past the source's end would
// otherwise overwrite the destination's. The range must not reach past the
// end of the source. Anything else is an error wrapping ErrCloneRange.
func PlanClone(srcOff, dstOff, n, srcSize, dstSize, cluster, maxChunk int64) (ClonePlan, error) {
	if cluster <= 0 || cluster&(cluster-1) != 0 || cluster > 1<<30 {
		return ClonePlan{}, fmt.Errorf("%w: cluster size %d is not a power of two", ErrCloneRange, cluster)
	}
	if maxChunk <= 0 {
		maxChunk = MaxCloneChunk
	}
	maxChunk = min(maxChunk, maxCloneCall) &^ (cluster - 1)
	if maxChunk == 0 {
		return ClonePlan{}, fmt.Errorf("%w: chunk limit below the cluster size %d", ErrCloneRange, cluster)
	}
	switch {
	case srcOff < 0 || dstOff < 0 || n < 0 || srcSize < 0 || dstSize < 0:
		return ClonePlan{}, fmt.Errorf("%w: negative offset, length or size", ErrCloneRange)
	case n == 0:
		return ClonePlan{Size: dstSize}, nil
	case srcOff > srcSize-n:
		return ClonePlan{}, fmt.Errorf("%w: [%d, %d) reaches past the end of the source (%d)", ErrCloneRange, srcOff, srcOff+n, srcSize)
	case srcOff%cluster != 0 || dstOff%cluster != 0:
		return ClonePlan{}, fmt.Errorf("%w: offsets %d and %d must be multiples of the cluster size %d", ErrCloneRange, srcOff, dstOff, cluster)
	}
	partial := n%cluster != 0
	if partial && srcOff+n != srcSize {
		return ClonePlan{}, fmt.Errorf("%w: length %d must be a multiple of the cluster size %d unless the range ends at the end of the source", ErrCloneRange, n, cluster)
	}
	rounded := roundUp(n, cluster)
	if rounded < 0 || dstOff > 1<<63-1-rounded {
		return ClonePlan{}, fmt.Errorf("%w: destination offset %d + length %d overflows", ErrCloneRange, dstOff, rounded)
	}
	if partial && dstOff+n < dstSize {
		return ClonePlan{}, fmt.Errorf("%w: the source's partial last cluster can only be cloned to the end of the destination (size %d), not to offset %d", ErrCloneRange, dstSize, dstOff+n-n%cluster)
	}

	p := ClonePlan{Size: max(dstSize, dstOff+n)}
	if dstOff+rounded > dstSize {
		p.GrowTo = dstOff + rounded
	}
	p.Chunks = make([]CloneChunk, 0, (rounded+maxChunk-1)/maxChunk)
	for done := int64(0); done < rounded; {
		l := min(rounded-done, maxChunk)
		p.Chunks = append(p.Chunks, CloneChunk{SrcOff: srcOff + done, DstOff: dstOff + done, Len: l})
		done += l
	}
	return p, nil
}

// roundUp rounds n up to a multiple of the power of two unit (negative on
// overflow).
func roundUp(n, unit int64) int64 { return (n + unit - 1) &^ (unit - 1) }
