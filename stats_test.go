package extfs_test

import (
	"maps"
	"reflect"
	"testing"

	"github.com/extfs/extfs"
)

func TestCopyStatsAdd(t *testing.T) {
	var sum extfs.CopyStats
	sum.Add(&extfs.CopyStats{Files: 1, Bytes: 10, ClonedBytes: 10, ByMethod: map[extfs.Method]int64{extfs.MethodClone: 1}})
	sum.Add(&extfs.CopyStats{Files: 2, Dirs: 1, Symlinks: 3, Bytes: 7, CopiedBytes: 4, HoleBytes: 3,
		ByMethod: map[extfs.Method]int64{extfs.MethodClone: 1, extfs.MethodReadWrite: 1}})
	sum.Add(&extfs.CopyStats{}) // nothing, and no ByMethod map
	want := extfs.CopyStats{Files: 3, Dirs: 1, Symlinks: 3, Bytes: 17, ClonedBytes: 10, CopiedBytes: 4, HoleBytes: 3}
	got := sum
	got.ByMethod = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sum = %+v, want %+v", got, want)
	}
	if wantM := map[extfs.Method]int64{extfs.MethodClone: 2, extfs.MethodReadWrite: 1}; !maps.Equal(sum.ByMethod, wantM) {
		t.Errorf("ByMethod = %v, want %v", sum.ByMethod, wantM)
	}
}
