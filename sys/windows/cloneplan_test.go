package windows

import (
	"errors"
	"reflect"
	"testing"
)

func TestPlanClone(t *testing.T) {
	const (
		k4  = 4 << 10
		k64 = 64 << 10
		m1  = 1 << 20
		g1  = 1 << 30
		g4  = 4 << 30
	)
	type c = CloneChunk
	for _, tt := range []struct {
		name                                string
		srcOff, dstOff, n, srcSize, dstSize int64
		cluster, maxChunk                   int64
		want                                ClonePlan
	}{
		{"nothing", 0, 0, 0, 100, 7, k4, 0, ClonePlan{Size: 7}},
		{"whole file, aligned", 0, 0, m1, m1, 0, k4, 0,
			ClonePlan{Chunks: []c{{0, 0, m1}}, GrowTo: m1, Size: m1}},
		{"whole file, partial tail rounded up then cut back", 0, 0, 10000, 10000, 0, k4, 0,
			ClonePlan{Chunks: []c{{0, 0, 12288}}, GrowTo: 12288, Size: 10000}},
		{"one byte", 0, 0, 1, 1, 0, k64, 0,
			ClonePlan{Chunks: []c{{0, 0, k64}}, GrowTo: k64, Size: 1}},
		{"inside the destination: no growth", k4, 2 * k4, k4, m1, m1, k4, 0,
			ClonePlan{Chunks: []c{{k4, 2 * k4, k4}}, Size: m1}},
		{"grows a destination, with a gap", 0, m1, k4, k4, k4, k4, 0,
			ClonePlan{Chunks: []c{{0, m1, k4}}, GrowTo: m1 + k4, Size: m1 + k4}},
		{"partial tail onto the destination's end", 0, k4, 100, 100, k4 + 50, k4, 0,
			ClonePlan{Chunks: []c{{0, k4, k4}}, GrowTo: 2 * k4, Size: k4 + 100}},
		{"default chunks of 2 GiB", 0, 0, 5 * g1, 5 * g1, 0, k64, 0,
			ClonePlan{Chunks: []c{{0, 0, 2 * g1}, {2 * g1, 2 * g1, 2 * g1}, {4 * g1, 4 * g1, g1}}, GrowTo: 5 * g1, Size: 5 * g1}},
		{"chunk limit capped under 4 GiB, a cluster below", 0, 0, 9 * g1, 9 * g1, 0, k64, 1 << 40,
			ClonePlan{Chunks: []c{{0, 0, g4 - k64}, {g4 - k64, g4 - k64, g4 - k64}, {2 * (g4 - k64), 2 * (g4 - k64), g1 + 2*k64}}, GrowTo: 9 * g1, Size: 9 * g1}},
		{"chunk limit rounded down to the cluster", 0, 0, 3 * k4, 3 * k4, 0, k4, k4 + 100,
			ClonePlan{Chunks: []c{{0, 0, k4}, {k4, k4, k4}, {2 * k4, 2 * k4, k4}}, GrowTo: 3 * k4, Size: 3 * k4}},
		{"partial tail in the last chunk", 0, 0, 2*k4 + 1, 2*k4 + 1, 0, k4, 2 * k4,
			ClonePlan{Chunks: []c{{0, 0, 2 * k4}, {2 * k4, 2 * k4, k4}}, GrowTo: 3 * k4, Size: 2*k4 + 1}},
	} {
		got, err := PlanClone(tt.srcOff, tt.dstOff, tt.n, tt.srcSize, tt.dstSize, tt.cluster, tt.maxChunk)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
		checkPlan(t, tt.name, got, tt.srcOff, tt.dstOff, tt.n, tt.srcSize, tt.dstSize, tt.cluster)
	}
}

// checkPlan checks the invariants of any plan: aligned chunks under 4 GiB
// that tile the rounded range in order, inside both files during the calls.
func checkPlan(t *testing.T, name string, p ClonePlan, srcOff, dstOff, n, srcSize, dstSize, cluster int64) {
	t.Helper()
	size := dstSize
	if p.GrowTo != 0 {
		if p.GrowTo <= dstSize {
			t.Errorf("%s: GrowTo %d does not grow a destination of %d", name, p.GrowTo, dstSize)
		}
		size = p.GrowTo
	}
	so, do := srcOff, dstOff
	for _, ch := range p.Chunks {
		if ch.SrcOff != so || ch.DstOff != do {
			t.Errorf("%s: chunk %+v does not follow on at %d, %d", name, ch, so, do)
		}
		if ch.SrcOff%cluster != 0 || ch.DstOff%cluster != 0 || ch.Len%cluster != 0 || ch.Len <= 0 || ch.Len >= 1<<32 {
			t.Errorf("%s: chunk %+v is not cluster-aligned and under 4 GiB", name, ch)
		}
		if ch.DstOff+ch.Len > size {
			t.Errorf("%s: chunk %+v reaches past the destination's size %d during the call", name, ch, size)
		}
		if ch.SrcOff+ch.Len > roundUp(srcSize, cluster) {
			t.Errorf("%s: chunk %+v reaches past the source's last cluster", name, ch)
		}
		so += ch.Len
		do += ch.Len
	}
	if so-srcOff != roundUp(n, cluster) {
		t.Errorf("%s: chunks cover %d bytes, want %d", name, so-srcOff, roundUp(n, cluster))
	}
	if want := max(dstSize, dstOff+n); p.Size != want {
		t.Errorf("%s: Size %d, want %d", name, p.Size, want)
	}
}

func TestPlanCloneRefuses(t *testing.T) {
	const k4 = 4 << 10
	for _, tt := range []struct {
		name                                string
		srcOff, dstOff, n, srcSize, dstSize int64
		cluster, maxChunk                   int64
	}{
		{"misaligned source offset", 100, 0, k4, 2 * k4, 0, k4, 0},
		{"misaligned destination offset", 0, 100, k4, 2 * k4, 0, k4, 0},
		{"misaligned length short of the source's end", 0, 0, 100, 2 * k4, 0, k4, 0},
		{"partial tail into the middle of the destination", 0, 0, 100, 100, 2 * k4, k4, 0},
		{"partial tail short of the destination's end in the same cluster", 0, 0, 100, 100, 200, k4, 0},
		{"past the end of the source", 0, 0, 2 * k4, k4, 0, k4, 0},
		{"starting past the end of the source", 2 * k4, 0, k4, k4, 0, k4, 0},
		{"negative offset", -k4, 0, k4, k4, 0, k4, 0},
		{"negative length", 0, 0, -1, k4, 0, k4, 0},
		{"cluster not a power of two", 0, 0, 3000, 3000, 0, 3000, 0},
		{"no cluster size", 0, 0, k4, k4, 0, 0, 0},
		{"chunk limit below a cluster", 0, 0, k4, k4, 0, k4, 100},
		{"destination end overflows", 0, 1<<63 - k4, 2 * k4, 2 * k4, 0, k4, 0},
	} {
		p, err := PlanClone(tt.srcOff, tt.dstOff, tt.n, tt.srcSize, tt.dstSize, tt.cluster, tt.maxChunk)
		if !errors.Is(err, ErrCloneRange) {
			t.Errorf("%s: PlanClone = %+v, %v; want an error wrapping ErrCloneRange", tt.name, p, err)
		}
	}
}

// Every aligned or tail-partial range of small files plans within the rules.
func TestPlanCloneExhaustive(t *testing.T) {
	const cl = 16
	for srcSize := int64(0); srcSize <= 5*cl; srcSize += 5 {
		for dstSize := int64(0); dstSize <= 5*cl; dstSize += 7 {
			for srcOff := int64(0); srcOff <= srcSize; srcOff += cl {
				for dstOff := int64(0); dstOff <= 6*cl; dstOff += cl {
					for n := int64(0); srcOff+n <= srcSize; n++ {
						p, err := PlanClone(srcOff, dstOff, n, srcSize, dstSize, cl, 2*cl)
						ok := n%cl == 0 || srcOff+n == srcSize && dstOff+n >= dstSize
						if ok != (err == nil) {
							t.Fatalf("PlanClone(%d, %d, %d, %d, %d) = %v; want ok %v", srcOff, dstOff, n, srcSize, dstSize, err, ok)
						}
						if err == nil && n > 0 {
							checkPlan(t, "exhaustive", p, srcOff, dstOff, n, srcSize, dstSize, cl)
						}
					}
				}
			}
		}
	}
}
