package main

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FIEMAP (Documentation/filesystems/fiemap.rst) lists a file's extents and
// flags those whose blocks other files share: the tests see whether a
// restored file is a clone without trusting what restore reports.

const (
	fsIocFiemap        = 0xC020660B // _IOWR('f', 11, struct fiemap)
	fiemapFlagSync     = 0x1        // write dirty pages back first
	fiemapExtentLast   = 0x1
	fiemapExtentShared = 0x2000
	fiemapBatch        = 32
)

type fiemapExtent struct {
	Logical, Physical, Length uint64
	_                         [2]uint64
	Flags                     uint32
	_                         [3]uint32
}

// fiemap is struct fiemap with room for fiemapBatch extents.
type fiemap struct {
	Start, Length                        uint64
	Flags, MappedExtents, ExtentCount, _ uint32
	Extents                              [fiemapBatch]fiemapExtent
}

// extents returns the number of extents of the file at path and how many of
// them are shared.
func extents(t testing.TB, path string) (total, shared int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var start uint64
	for {
		fm := &fiemap{Start: start, Length: ^uint64(0) - start, Flags: fiemapFlagSync, ExtentCount: fiemapBatch}
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(fm))); errno != 0 {
			t.Fatalf("FS_IOC_FIEMAP %s: %v", path, errno)
		}
		n := int(fm.MappedExtents)
		for _, e := range fm.Extents[:n] {
			total++
			if e.Flags&fiemapExtentShared != 0 {
				shared++
			}
		}
		if n == 0 || fm.Extents[n-1].Flags&fiemapExtentLast != 0 {
			return total, shared
		}
		start = fm.Extents[n-1].Logical + fm.Extents[n-1].Length
	}
}

// freeBytes syncs the filesystem holding path and returns its free space.
func freeBytes(t testing.TB, path string) int64 {
	t.Helper()
	syncFS(t, path)
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bfree) * st.Bsize
}

func syncFS(t testing.TB, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		t.Fatal(err)
	}
}
