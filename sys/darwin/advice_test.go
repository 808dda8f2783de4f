package darwin

import (
	"math"
	"slices"
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
)

func TestAdvicePlan(t *testing.T) {
	tests := []struct {
		a        fsenum.Advice
		calls    []Fcntl
		rdadvise bool
		ok       bool
	}{
		{fsenum.AdviceNormal, []Fcntl{{F_RDAHEAD, 1}, {F_NOCACHE, 0}}, false, true},
		{fsenum.AdviceSequential, []Fcntl{{F_RDAHEAD, 1}}, false, true},
		{fsenum.AdviceRandom, []Fcntl{{F_RDAHEAD, 0}}, false, true},
		{fsenum.AdviceWillNeed, nil, true, true},
		{fsenum.AdviceDontNeed, nil, false, false}, // nothing drops a range from the cache
		{fsenum.AdviceNoReuse, []Fcntl{{F_NOCACHE, 1}}, false, true},
		{fsenum.Advice(-1), nil, false, false},
		{fsenum.AdviceNoReuse + 1, nil, false, false},
	}
	for _, tt := range tests {
		calls, rd, ok := AdvicePlan(tt.a)
		if !slices.Equal(calls, tt.calls) || rd != tt.rdadvise || ok != tt.ok {
			t.Errorf("AdvicePlan(%d) = %v, %v, %v; want %v, %v, %v", tt.a, calls, rd, ok, tt.calls, tt.rdadvise, tt.ok)
		}
	}
}

// TestAdviceNormalUndoes checks that fsenum.AdviceNormal resets every flag another
// advice sets, as Linux's POSIX_FADV_NORMAL does.
func TestAdviceNormalUndoes(t *testing.T) {
	normal, _, _ := AdvicePlan(fsenum.AdviceNormal)
	set := map[int]int{}
	for _, c := range normal {
		set[c.Cmd] = c.Arg
	}
	for a := fsenum.AdviceNormal; a <= fsenum.AdviceNoReuse; a++ {
		calls, _, _ := AdvicePlan(a)
		for _, c := range calls {
			if _, ok := set[c.Cmd]; !ok {
				t.Errorf("advice %d sets fcntl %d, which fsenum.AdviceNormal does not reset", a, c.Cmd)
			}
		}
	}
}

func TestRdadviseRange(t *testing.T) {
	tests := []struct {
		size, off, n int64
		start, end   int64
	}{
		{100, 0, 0, 0, 100},   // n == 0: to the end
		{100, 50, 10, 50, 60}, // inside
		{100, 50, 100, 50, 100},
		{100, 50, math.MaxInt64 - 50, 50, 100}, // no overflow
		{100, 100, 0, 100, 100},                // at the end: nothing (F_RDADVISE would fail EFBIG)
		{100, 200, 10, 200, 100},               // past the end: nothing
		{0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		start, end := RdadviseRange(tt.size, tt.off, tt.n)
		if start != tt.start || end != tt.end {
			t.Errorf("RdadviseRange(%d, %d, %d) = %d, %d; want %d, %d", tt.size, tt.off, tt.n, start, end, tt.start, tt.end)
		}
	}
}

// TestRdadviseChunks runs the F_RDADVISE loop over ranges larger than a C
// int can count and checks that it covers them exactly.
func TestRdadviseChunks(t *testing.T) {
	for _, tt := range []struct {
		size, off, n int64
		calls        int
	}{
		{5 << 30, 0, 0, 5},
		{5<<30 + 1, 0, 0, 6},
		{1 << 40, 1, 3 << 30, 3},
		{4096, 0, 0, 1},
		{math.MaxInt64, math.MaxInt64 - 10, 0, 1},
	} {
		start, end := RdadviseRange(tt.size, tt.off, tt.n)
		calls := 0
		for at := start; at < end; {
			c := RdadviseCount(at, end)
			if c <= 0 || int64(c) > math.MaxInt32 {
				t.Fatalf("RdadviseCount(%d, %d) = %d", at, end, c)
			}
			at += int64(c)
			calls++
			if at > end {
				t.Fatalf("size %d off %d n %d: advised past the end (%d > %d)", tt.size, tt.off, tt.n, at, end)
			}
		}
		if calls != tt.calls {
			t.Errorf("size %d off %d n %d: %d F_RDADVISE calls; want %d", tt.size, tt.off, tt.n, calls, tt.calls)
		}
	}
}

func TestRdadviseIgnore(t *testing.T) {
	for err, want := range map[error]bool{nil: false, EFBIG: true, EINVAL: false, EBADF: false} {
		if got := RdadviseIgnore(err); got != want {
			t.Errorf("RdadviseIgnore(%v) = %v; want %v", err, got, want)
		}
	}
}
