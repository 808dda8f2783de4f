//go:build linux

package linux

import (
	"context"
	"io/fs"
	"reflect"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/batchop"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// TestBatchOp checks that each batched operation becomes the Op its single
// call would build, with extfs's values converted to the kernel's.
func TestBatchOp(t *testing.T) {
	const cwd = unix.AT_FDCWD
	buf, at := []byte("data"), time.Unix(1e9, 5)
	cases := []struct {
		d    batchop.Desc
		want *Op
	}{
		{batchop.Desc{Kind: batchop.Fadvise, Fd: 3, Off: 1, N: 2, Flags: 3}, FadviseOp(3, 1, 2, unix.FADV_WILLNEED)},
		{batchop.Desc{Kind: batchop.Fallocate, Fd: 3, Off: 1, N: 2, Flags: 1 | 2},
			FallocateOp(3, unix.FALLOC_FL_KEEP_SIZE|unix.FALLOC_FL_PUNCH_HOLE, 1, 2)},
		{batchop.Desc{Kind: batchop.Sync, Fd: 3}, FsyncOp(3, false)},
		{batchop.Desc{Kind: batchop.GetXattr, Fd: 3, Name: "user.a"}, GetxattrOp(fsenum.XattrAt{Fd: 3}, "user.a")},
		{batchop.Desc{Kind: batchop.SetXattr, Fd: 3, Name: "user.a", Value: buf, Flags: 2},
			SetxattrOp(fsenum.XattrAt{Fd: 3}, "user.a", buf, unix.XATTR_REPLACE)},
		{batchop.Desc{Kind: batchop.RemoveXattr, Fd: 3, Name: "user.a"}, RemovexattrOp(fsenum.XattrAt{Fd: 3}, "user.a")},
		{batchop.Desc{Kind: batchop.ListXattr, Fd: 3}, ListxattrOp(fsenum.XattrAt{Fd: 3})},
		{batchop.Desc{Kind: batchop.Fstatx, Fd: 3}, FstatOp(3)},
		{batchop.Desc{Kind: batchop.Statx, Name: "p"}, StatatOp(cwd, "p", true)},
		{batchop.Desc{Kind: batchop.Lstatx, Name: "p"}, StatatOp(cwd, "p", false)},
		{batchop.Desc{Kind: batchop.SetTimes, Fd: 3, Times: &[2]time.Time{at, {}}}, FutimensOp(3, Timespecs(at, time.Time{}))},
		{batchop.Desc{Kind: batchop.Chmod, Fd: 3, Perm: 0o755 | fs.ModeSetuid}, FchmodOp(3, 0o4755)},
		{batchop.Desc{Kind: batchop.Chown, Fd: 3, Uid: 5, Gid: -1}, FchownOp(3, 5, -1)},
		{batchop.Desc{Kind: batchop.Link, Name: "a", Name2: "b"}, LinkatOp(cwd, "a", cwd, "b", 0)},
		{batchop.Desc{Kind: batchop.Symlink, Name: "t", Name2: "l"}, SymlinkatOp("t", cwd, "l")},
		{batchop.Desc{Kind: batchop.Readlink, Name: "l"}, ReadlinkatOp(cwd, "l")},
		{batchop.Desc{Kind: batchop.Mkdir, Name: "d", Perm: 0o750}, MkdiratOp(cwd, "d", 0o750)},
		{batchop.Desc{Kind: batchop.Remove, Name: "p"}, UnlinkatOp(cwd, "p", 0)},
		{batchop.Desc{Kind: batchop.Rename, Name: "a", Name2: "b"}, Renameat2Op(cwd, "a", cwd, "b", 0)},
		{batchop.Desc{Kind: batchop.OpenFile, Name: "p", Flags: unix.O_RDWR | unix.O_CREAT, Perm: 0o644},
			OpenatOp(cwd, "p", unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)},
		{batchop.Desc{Kind: batchop.ReadAt, Fd: 3, Value: buf, Off: 7}, ReadFullOp(3, buf, 7)},
		{batchop.Desc{Kind: batchop.WriteAt, Fd: 3, Value: buf, Off: 7}, WriteFullOp(3, buf, 7)},
	}
	if len(cases) != int(batchop.WriteAt) {
		t.Fatalf("%d cases for %d kinds", len(cases), batchop.WriteAt)
	}
	for _, c := range cases {
		if got := BatchOp(&c.d); !reflect.DeepEqual(&got, c.want) {
			t.Errorf("BatchOp(%+v) = %+v, want %+v", c.d, got, *c.want)
		}
	}

	// Not a Kind: the Op fails, as an unknown operation, without a call.
	op := BatchOp(&batchop.Desc{Fd: 3})
	if Run(context.Background(), []*Op{&op}); op.Err() != unix.EINVAL {
		t.Errorf("BatchOp of no kind: %v, want EINVAL", op.Err())
	}
}
