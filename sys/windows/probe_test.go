package windows

import (
	"testing"

	"github.com/extfs/extfs/internal/fscaps"
)

// TestProbeCaps: the volume flags say Clone and PunchHole; what Windows
// never does is No.
func TestProbeCaps(t *testing.T) {
	refs := ProbeCaps("ReFS", fileSupportsRefcounting|fileSupportsSparseFiles, 65536)
	if refs.Clone != fscaps.Yes || refs.PunchHole != fscaps.Yes || refs.BlockSize != 65536 {
		t.Errorf("ReFS: %+v", refs)
	}
	ntfs := ProbeCaps("NTFS", fileSupportsSparseFiles, 4096)
	if ntfs.Clone != fscaps.No || ntfs.PunchHole != fscaps.Yes {
		t.Errorf("NTFS: %+v", ntfs)
	}
	fat := ProbeCaps("FAT32", 0, 4096)
	if fat.Clone != fscaps.No || fat.PunchHole != fscaps.No || fat.Allocate != fscaps.Yes {
		t.Errorf("FAT32: %+v", fat)
	}
	for _, a := range []fscaps.Answer{fat.CopyRange, fat.Xattr, fat.CollapseRange, fat.InsertRange, fat.UnshareRange} {
		if a != fscaps.No {
			t.Errorf("FAT32 claims what Windows lacks: %+v", fat)
		}
	}

	v := func(serial uint64, c fscaps.Caps) *fscaps.Volume { return &fscaps.Volume{FS: serial, Caps: c} }
	for _, c := range []struct {
		src, dst *fscaps.Volume
		copyEx   bool
		want     fscaps.Method
	}{
		{v(1, refs), v(1, refs), true, fscaps.Clone},
		{v(1, refs), v(2, refs), true, fscaps.CopyRange}, // two volumes: CopyFileExW
		{v(1, ntfs), v(1, ntfs), true, fscaps.CopyRange},
		{v(1, ntfs), v(1, ntfs), false, fscaps.ReadWrite}, // Wine: no CopyFileExW
	} {
		if m, known := PairMethod(c.src, c.dst, c.copyEx); m != c.want || !known {
			t.Errorf("PairMethod(%d %s, %d %s) = %v, %v; want %v", c.src.FS, c.src.Filesystem, c.dst.FS, c.dst.Filesystem, m, known, c.want)
		}
	}
}
