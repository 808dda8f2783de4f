//go:build linux

package extfs_test

import (
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

var allAdvice = []extfs.Advice{
	extfs.AdviceNormal, extfs.AdviceSequential, extfs.AdviceRandom,
	extfs.AdviceWillNeed, extfs.AdviceDontNeed, extfs.AdviceNoReuse,
}

func TestAdviceString(t *testing.T) {
	want := []string{"normal", "sequential", "random", "willneed", "dontneed", "noreuse"}
	for i, a := range allAdvice {
		if a.String() != want[i] {
			t.Errorf("Advice(%d).String() = %q, want %q", int(a), a.String(), want[i])
		}
	}
	if s := extfs.Advice(9).String(); s != "Advice(9)" {
		t.Errorf("Advice(9).String() = %q", s)
	}
}

// TestFadviseAccepted: every advice, over the whole file, a range, a range
// past the end and "to the end" (n == 0), is accepted and leaves the bytes
// alone.
func TestFadviseAccepted(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		path := join(fsys.TempDir(t), "f")
		data := randBytes(256<<10, 1)
		writeSynced(t, path, data)
		f := openFile(t, path, os.O_RDONLY)
		for _, a := range allAdvice {
			for _, r := range [][2]int64{{0, 0}, {4096, 8192}, {100, 1}, {1 << 20, 4096}, {0, 1 << 40}} {
				if err := f.Fadvise(r[0], r[1], a); err != nil {
					t.Errorf("Fadvise(%d, %d, %v): %v", r[0], r[1], a, err)
				}
			}
		}
		if got := readAll(t, path); sum(got) != sum(data) {
			t.Errorf("content changed by fadvise: %s", diffBytes(got, data))
		}
	})
}

// TestFadviseResidency checks what the advice does to the page cache,
// measured with mincore(2) on a mapping of the file that is never touched
// (so no page is mapped, and mincore reports the page cache itself).
//
// DontNeed drops clean pages on ext4, XFS and btrfs. tmpfs has no backing
// store: its pages are the file, and fadvise on it is accepted but does
// nothing (mm/fadvise.c: noop_backing_dev_info), so they stay resident.
// WillNeed reads the range into the cache (asynchronously: poll).
func TestFadviseResidency(t *testing.T) {
	const size = 256 << 10 // within one readahead window of every device here
	pageSize := int64(os.Getpagesize())
	pages := int(size / pageSize)
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		path := join(fsys.TempDir(t), "f")
		data := randBytes(size, 2)
		writeSynced(t, path, data) // fsync: the pages are clean, so they can be dropped
		f := openFile(t, path, os.O_RDONLY)
		mem, err := unix.Mmap(int(f.OSFile().Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Munmap(mem)
		resident := func() int {
			vec := make([]byte, pages)
			if err := mincore(mem, vec); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, v := range vec {
				n += int(v & 1)
			}
			return n
		}

		if got := resident(); got != pages {
			t.Fatalf("precondition: %d of %d pages resident right after writing", got, pages)
		}
		if err := f.Fadvise(0, 0, extfs.AdviceDontNeed); err != nil {
			t.Fatalf("Fadvise(DontNeed): %v", err)
		}
		got := resident()
		if fsys.Kind == testfs.Tmpfs {
			if got != pages {
				t.Errorf("tmpfs: %d of %d pages resident after DontNeed, want all (tmpfs pages are the file)", got, pages)
			}
		} else if got != 0 {
			t.Errorf("%d of %d clean pages still resident after DontNeed, want 0", got, pages)
		}

		if err := f.Fadvise(0, 0, extfs.AdviceWillNeed); err != nil {
			t.Fatalf("Fadvise(WillNeed): %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for got = resident(); got != pages && time.Now().Before(deadline); got = resident() {
			time.Sleep(5 * time.Millisecond)
		}
		if got != pages {
			t.Errorf("%d of %d pages resident 5s after WillNeed, want all", got, pages)
		}
		if b := readAll(t, path); sum(b) != sum(data) {
			t.Errorf("content after DontNeed/WillNeed: %s", diffBytes(b, data))
		}
	})
}

// mincore is mincore(2); golang.org/x/sys/unix has no wrapper on Linux.
func mincore(mem, vec []byte) error {
	_, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		return e
	}
	return nil
}
