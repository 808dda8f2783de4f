//go:build linux

package extfs_test

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FIEMAP (Documentation/filesystems/fiemap.rst): the extent map of a file,
// with a flag on the extents whose blocks other files share. The tests use
// it to see whether a copy is a clone (every extent shared) or a physical
// copy (none shared), without trusting the code under test.

const (
	fiemapIoctl        = 0xC020660B // _IOWR('f', 11, struct fiemap)
	fiemapFlagSync     = 0x1        // write dirty pages back before mapping
	fiemapExtentLast   = 0x1
	fiemapExtentShared = 0x2000
	fiemapExtentInline = 0x200 // data stored in metadata (small btrfs files)
	fiemapBatch        = 64
)

// fiemapHeader is struct fiemap without its flexible extent array.
type fiemapHeader struct {
	Start         uint64
	Length        uint64
	Flags         uint32
	MappedExtents uint32
	ExtentCount   uint32
	Reserved      uint32
}

type fiemapExtent struct {
	Logical    uint64
	Physical   uint64
	Length     uint64
	Reserved64 [2]uint64
	Flags      uint32
	Reserved   [3]uint32
}

type fiemapBuf struct {
	hdr     fiemapHeader
	extents [fiemapBatch]fiemapExtent
}

// fiemapExtents lists path's extents, syncing its dirty pages first. A
// filesystem without FIEMAP (tmpfs) skips the test: every caller uses it on
// XFS or btrfs only.
func fiemapExtents(t testing.TB, path string) []fiemapExtent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all []fiemapExtent
	var start uint64
	for {
		buf := new(fiemapBuf)
		buf.hdr = fiemapHeader{Start: start, Length: ^uint64(0) - start, Flags: fiemapFlagSync, ExtentCount: fiemapBatch}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fiemapIoctl, uintptr(unsafe.Pointer(buf)))
		if errno != 0 {
			t.Fatalf("FS_IOC_FIEMAP %s: %v", path, errno)
		}
		n := int(buf.hdr.MappedExtents)
		if n == 0 {
			return all
		}
		all = append(all, buf.extents[:n]...)
		last := buf.extents[n-1]
		if last.Flags&fiemapExtentLast != 0 {
			return all
		}
		start = last.Logical + last.Length
	}
}

// fiemapShared returns how many bytes of path's extents are flagged shared,
// and how many bytes its extents map in all.
func fiemapShared(t testing.TB, path string) (shared, mapped int64) {
	t.Helper()
	for _, e := range fiemapExtents(t, path) {
		mapped += int64(e.Length)
		if e.Flags&fiemapExtentShared != 0 {
			shared += int64(e.Length)
		}
	}
	return shared, mapped
}

// fiemapInline reports whether path's data is stored inline (btrfs keeps
// small files in its metadata; a clone then copies them).
func fiemapInline(t testing.TB, path string) bool {
	t.Helper()
	for _, e := range fiemapExtents(t, path) {
		if e.Flags&fiemapExtentInline != 0 {
			return true
		}
	}
	return false
}

// fiemapWantShared fails unless every extent of path is shared with another file.
func fiemapWantShared(t testing.TB, path string) {
	t.Helper()
	if fiemapInline(t, path) {
		return
	}
	shared, mapped := fiemapShared(t, path)
	if mapped == 0 || shared != mapped {
		t.Errorf("%s: %d of %d mapped bytes shared, want all (a clone)", path, shared, mapped)
	}
}

// fiemapWantUnshared fails if any extent of path is shared.
func fiemapWantUnshared(t testing.TB, path string) {
	t.Helper()
	if shared, mapped := fiemapShared(t, path); shared != 0 {
		t.Errorf("%s: %d of %d mapped bytes shared, want none (a physical copy)", path, shared, mapped)
	}
}

func TestCloneFiemapLayout(t *testing.T) {
	var h fiemapHeader
	var e fiemapExtent
	if unsafe.Sizeof(h) != 32 || unsafe.Sizeof(e) != 56 {
		t.Fatalf("struct fiemap is %d bytes, fiemap_extent %d; the kernel's are 32 and 56", unsafe.Sizeof(h), unsafe.Sizeof(e))
	}
}
