package darwin

import (
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
)

func TestPreallocPlan(t *testing.T) {
	const MiB = 1 << 20
	tests := []struct {
		name                  string
		size, allocated       int64
		off, n                int64
		keepSize              bool
		wantLength, wantTrunc int64
	}{
		{"empty file", 0, 0, 0, 4096, false, 4096, 4096},
		{"empty file, keep size", 0, 0, 0, 4096, true, 4096, 0},
		// The physical end is 8192: only what is missing above it is asked for.
		{"partly allocated", 5000, 8192, 0, 10000, false, 10000 - 8192, 10000},
		{"already allocated, grow", 9000, 12288, 0, 10000, false, 0, 10000},
		{"already allocated, inside", MiB, MiB, 4096, 4096, false, 0, 0},
		{"range inside, keep size", MiB, MiB, 0, MiB, true, 0, 0},
		// A second keep-size call over the same range asks for nothing more:
		// the first one's storage past the end counts.
		{"keep size again", 0, MiB, 0, MiB, true, 0, 0},
		// Sparse: the hole below the end cannot be filled; storage for it is
		// asked for again, at the end.
		{"sparse", MiB, 0, 0, 4096, false, 4096, 0},
		{"far past the end", 100, 4096, MiB, 1, false, MiB + 1 - 4096, MiB + 1},
		{"far past the end, keep size", 100, 4096, MiB, 1, true, MiB + 1 - 4096, 0},
		{"up to the largest offset", 0, 0, math.MaxInt64 - 1, 1, false, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		length, trunc := PreallocPlan(tt.size, tt.allocated, tt.off, tt.n, tt.keepSize)
		if length != tt.wantLength || trunc != tt.wantTrunc {
			t.Errorf("%s: PreallocPlan(size %d, allocated %d, off %d, n %d, keep %v) = %d, %d; want %d, %d",
				tt.name, tt.size, tt.allocated, tt.off, tt.n, tt.keepSize, length, trunc, tt.wantLength, tt.wantTrunc)
		}
		// Whatever the plan, the storage asked for reaches off+n, and the
		// size set never shrinks the file.
		if tt.allocated+length < tt.off+tt.n {
			t.Errorf("%s: storage ends at %d, short of %d", tt.name, tt.allocated+length, tt.off+tt.n)
		}
		if trunc != 0 && trunc <= tt.size {
			t.Errorf("%s: truncate to %d would not grow size %d", tt.name, trunc, tt.size)
		}
	}
}

func TestFstoreAttempts(t *testing.T) {
	for _, keep := range []bool{false, true} {
		got := FstoreAttempts(keep)
		if len(got) != 2 {
			t.Fatalf("FstoreAttempts(%v) = %#x; want 2 attempts", keep, got)
		}
		if got[0]&F_ALLOCATECONTIG == 0 || got[1]&F_ALLOCATECONTIG != 0 {
			t.Errorf("FstoreAttempts(%v) = %#x; want contiguous first, then not", keep, got)
		}
		for _, fl := range got {
			if fl&F_ALLOCATEALL == 0 {
				t.Errorf("FstoreAttempts(%v): %#x lacks F_ALLOCATEALL (a partial allocation would pass)", keep, fl)
			}
			if (fl&F_ALLOCATEPERSIST != 0) != keep {
				t.Errorf("FstoreAttempts(%v): %#x; want F_ALLOCATEPERSIST exactly with keep-size", keep, fl)
			}
		}
	}
}

func TestFstoreRetry(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{EBADF, false},
		{EFBIG, false},
		{ENOSPC, true}, // no contiguous run: try without F_ALLOCATECONTIG
		{EINVAL, true},
		{ENOTSUP, true},
	}
	for _, tt := range tests {
		if got := FstoreRetry(tt.err); got != tt.want {
			t.Errorf("FstoreRetry(%v) = %v; want %v", tt.err, got, tt.want)
		}
	}
}

func TestPunchPlan(t *testing.T) {
	const bs = 4096
	none := Span{}
	tests := []struct {
		name                string
		off, n, size, bsize int64
		want                Punch
	}{
		{"aligned", 0, 2 * bs, 4 * bs, bs, Punch{Hole: Span{0, 2 * bs}}},
		{"partial ends", 1000, 10000, 1 << 20, bs,
			Punch{Hole: Span{bs, bs}, Zero: [2]Span{{1000, bs - 1000}, {2 * bs, 11000 - 2*bs}}}},
		{"inside one block", 100, 200, 1 << 20, bs, Punch{Zero: [2]Span{{100, 200}, none}}},
		{"across a boundary, no whole block", 4000, 200, 1 << 20, bs, Punch{Zero: [2]Span{{4000, 200}, none}}},
		{"two partial blocks, no whole one", 100, 2*bs - 200, 1 << 20, bs, Punch{Zero: [2]Span{{100, 2*bs - 200}, none}}},
		{"exactly one block, unaligned head", bs - 1, bs + 1, 1 << 20, bs,
			Punch{Hole: Span{bs, bs}, Zero: [2]Span{{bs - 1, 1}, none}}},
		// Nothing at or past the size: the last partial block is written.
		{"past the end", 0, 1 << 20, 10000, bs, Punch{Hole: Span{0, 2 * bs}, Zero: [2]Span{none, {2 * bs, 10000 - 2*bs}}}},
		{"past an aligned end", 0, 1 << 20, 2 * bs, bs, Punch{Hole: Span{0, 2 * bs}}},
		{"at the end", 10000, 5, 10000, bs, Punch{}},
		{"beyond the end", 1 << 20, 5, 10000, bs, Punch{}},
		{"empty file", 0, bs, 0, bs, Punch{}},
		{"largest n", 10, math.MaxInt64 - 10, 3 * bs, bs, Punch{Hole: Span{bs, 2 * bs}, Zero: [2]Span{{10, bs - 10}, none}}},
		{"block size 1", 3, 5, 100, 1, Punch{Hole: Span{3, 5}}},
		{"64 KiB blocks", 1, 200 << 10, 1 << 20, 64 << 10,
			Punch{Hole: Span{64 << 10, 128 << 10}, Zero: [2]Span{{1, 64<<10 - 1}, {192 << 10, 8<<10 + 1}}}},
	}
	for _, tt := range tests {
		got := PunchPlan(tt.off, tt.n, tt.size, tt.bsize)
		if got != tt.want {
			t.Errorf("%s: PunchPlan(%d, %d, size %d, bsize %d) = %+v; want %+v", tt.name, tt.off, tt.n, tt.size, tt.bsize, got, tt.want)
		}
		checkPunch(t, tt.off, tt.n, tt.size, tt.bsize, got)
	}
}

// TestPunchPlanCovers checks, over many ranges, that a plan covers exactly
// the part of the range inside the file, with an aligned hole and partial
// zero spans.
func TestPunchPlanCovers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		bsize := int64(1) << r.IntN(17)
		size := r.Int64N(1 << 20)
		off := r.Int64N(1 << 20)
		n := 1 + r.Int64N(1<<20)
		checkPunch(t, off, n, size, bsize, PunchPlan(off, n, size, bsize))
	}
}

func checkPunch(t *testing.T, off, n, size, bsize int64, p Punch) {
	t.Helper()
	end := min(off+n, size)
	if off >= end {
		if p != (Punch{}) {
			t.Errorf("PunchPlan(%d, %d, %d, %d) = %+v; want nothing past the end", off, n, size, bsize, p)
		}
		return
	}
	if p.Hole.Len > 0 && (p.Hole.Off%bsize != 0 || p.Hole.Len%bsize != 0) {
		t.Errorf("PunchPlan(%d, %d, %d, %d): hole %+v not aligned", off, n, size, bsize, p.Hole)
	}
	// The spans, in order head, hole, tail, tile [off, end).
	at := off
	for _, s := range []Span{p.Zero[0], p.Hole, p.Zero[1]} {
		if s.Len == 0 {
			continue
		}
		if s.Off != at || s.Len < 0 {
			t.Errorf("PunchPlan(%d, %d, %d, %d) = %+v: span %+v does not start at %d", off, n, size, bsize, p, s, at)
			return
		}
		at += s.Len
	}
	if at != end {
		t.Errorf("PunchPlan(%d, %d, %d, %d) = %+v: covers up to %d; want %d", off, n, size, bsize, p, at, end)
	}
	if p.Hole.Len > 0 {
		for _, z := range p.Zero {
			if z.Len >= bsize {
				t.Errorf("PunchPlan(%d, %d, %d, %d) = %+v: zero span %+v holds a whole block", off, n, size, bsize, p, z)
			}
		}
	}
}

func TestPunchCheck(t *testing.T) {
	const O_WRONLY, O_RDWR = 0x1, 0x2
	zeros := Punch{Zero: [2]Span{{1, 10}}}
	hole := Punch{Hole: Span{0, 4096}}
	tests := []struct {
		flags int
		p     Punch
		want  error
	}{
		{O_RDONLY, hole, EBADF},
		{O_RDONLY | O_APPEND, zeros, EBADF},
		{O_WRONLY, zeros, nil},
		{O_RDWR, hole, nil},
		{O_RDWR | O_APPEND, hole, nil}, // F_PUNCHHOLE alone is fine in append mode
		{O_RDWR | O_APPEND, zeros, ErrAppendZeros},
		{O_WRONLY | O_APPEND, Punch{Hole: hole.Hole, Zero: [2]Span{{}, {4096, 5}}}, ErrAppendZeros},
	}
	for _, tt := range tests {
		if got := PunchCheck(tt.flags, tt.p); got != tt.want {
			t.Errorf("PunchCheck(%#x, %+v) = %v; want %v", tt.flags, tt.p, got, tt.want)
		}
	}
	if !errors.Is(ErrAppendZeros, EINVAL) || !errors.Is(ErrAppendZeros, fs.ErrInvalid) {
		t.Error("ErrAppendZeros does not match EINVAL and fs.ErrInvalid")
	}
}

func TestAllocModeOK(t *testing.T) {
	const (
		zero     fsenum.AllocMode = 1 << 2 // extfs.AllocZeroRange
		collapse fsenum.AllocMode = 1 << 3
		insert   fsenum.AllocMode = 1 << 4
		unshare  fsenum.AllocMode = 1 << 5
	)
	for mode, want := range map[fsenum.AllocMode]bool{
		0:                    true,
		fsenum.AllocKeepSize: true,
		fsenum.AllocPunchHole | fsenum.AllocKeepSize: true,
		zero:                           false,
		zero | fsenum.AllocKeepSize:    false,
		collapse:                       false,
		insert:                         false,
		unshare:                        false,
		unshare | fsenum.AllocKeepSize: false,
	} {
		if got := AllocModeOK(mode); got != want {
			t.Errorf("AllocModeOK(%#x) = %v; want %v", mode, got, want)
		}
	}
}
