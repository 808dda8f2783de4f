//go:build linux

package extfs_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

func TestAllocModeString(t *testing.T) {
	for m, want := range map[extfs.AllocMode]string{
		0:                   "allocate",
		extfs.AllocKeepSize: "keep-size",
		extfs.AllocPunchHole | extfs.AllocKeepSize:   "keep-size|punch-hole",
		extfs.AllocZeroRange:                         "zero-range",
		extfs.AllocCollapseRange:                     "collapse-range",
		extfs.AllocInsertRange:                       "insert-range",
		extfs.AllocUnshareRange:                      "unshare-range",
		extfs.AllocKeepSize | extfs.AllocMode(1<<10): "keep-size|0x400",
	} {
		if got := m.String(); got != want {
			t.Errorf("AllocMode(%#x).String() = %q, want %q", uint32(m), got, want)
		}
	}
}

// newFile writes data to a new file in dir, fsyncs it and opens it for
// reading and writing through extfs.
func newFile(t *testing.T, dir, name string, data []byte) (*extfs.File, string) {
	t.Helper()
	path := join(dir, name)
	writeSynced(t, path, data)
	return openFile(t, path, os.O_RDWR), path
}

func TestFallocatePreallocate(t *testing.T) {
	const mib = 1 << 20
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		f, path := newFile(t, fsys.TempDir(t), "f", nil)
		noErr(t, "Fallocate(0, 0, 1 MiB)", f.Fallocate(0, 0, mib))
		st := fstat(t, f)
		if st.Size != mib {
			t.Errorf("size %d after preallocating 1 MiB, want %d", st.Size, mib)
		}
		if st.Blocks < mib/512 {
			t.Errorf("st_blocks %d after preallocating 1 MiB, want >= %d", st.Blocks, mib/512)
		}
		if got := readAll(t, path); sum(got) != sum(zeros(mib)) {
			t.Errorf("preallocated range does not read as zeros: %s", diffBytes(got, zeros(mib)))
		}

		// A range ending past EOF grows the file; one inside leaves the size.
		noErr(t, "Fallocate(0, 512 KiB, 1 MiB)", f.Fallocate(0, mib/2, mib))
		if st := fstat(t, f); st.Size != mib+mib/2 || st.Blocks < (mib+mib/2)/512 {
			t.Errorf("after growing to 1.5 MiB: size %d blocks %d", st.Size, st.Blocks)
		}
		noErr(t, "Fallocate(0, 0, 4 KiB)", f.Fallocate(0, 0, 4096))
		if st := fstat(t, f); st.Size != mib+mib/2 {
			t.Errorf("allocating inside the file changed its size to %d", st.Size)
		}
	})
}

func TestFallocateKeepSize(t *testing.T) {
	const mib = 1 << 20
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		data := randBytes(8192, 3)
		f, path := newFile(t, fsys.TempDir(t), "f", data)
		before := fstat(t, f).Blocks
		noErr(t, "Fallocate(KeepSize, 0, 1 MiB)", f.Fallocate(extfs.AllocKeepSize, 0, mib))
		st := fstat(t, f)
		if st.Size != int64(len(data)) {
			t.Errorf("size %d after KeepSize allocation, want %d", st.Size, len(data))
		}
		if st.Blocks < mib/512 || st.Blocks <= before {
			t.Errorf("st_blocks %d (was %d) after KeepSize allocation of 1 MiB, want >= %d", st.Blocks, before, mib/512)
		}
		if got := readAll(t, path); sum(got) != sum(data) {
			t.Errorf("content changed: %s", diffBytes(got, data))
		}
	})
}

func TestPunchHole(t *testing.T) {
	const size, off, n = 1 << 20, 256 << 10, 256 << 10
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		data := randBytes(size, 4)
		f, path := newFile(t, fsys.TempDir(t), "f", data)
		before := fstat(t, f).Blocks

		noErr(t, "PunchHole", f.PunchHole(off, n))

		st := fstat(t, f)
		if st.Size != size {
			t.Errorf("size %d after PunchHole, want %d (unchanged)", st.Size, size)
		}
		if freed := before - st.Blocks; freed < n/512 {
			t.Errorf("st_blocks %d -> %d: freed %d sectors, want >= %d", before, st.Blocks, freed, n/512)
		}
		got := readAll(t, path)
		if len(got) != size {
			t.Fatalf("read %d bytes, want %d", len(got), size)
		}
		if sum(got[off:off+n]) != sum(zeros(n)) {
			t.Errorf("punched range does not read as zeros")
		}
		if sum(got[:off]) != sum(data[:off]) || sum(got[off+n:]) != sum(data[off+n:]) {
			t.Errorf("bytes outside the hole changed")
		}
		if h := seek(t, path, 0, unix.SEEK_HOLE); h != off {
			t.Errorf("SEEK_HOLE from 0 = %d, want %d", h, off)
		}
		if d := seek(t, path, off, unix.SEEK_DATA); d != off+n {
			t.Errorf("SEEK_DATA from %d = %d, want %d", off, d, off+n)
		}

		// The same through Fallocate with the explicit mode.
		noErr(t, "Fallocate(PunchHole|KeepSize)", f.Fallocate(extfs.AllocPunchHole|extfs.AllocKeepSize, 0, 4096))
		if got := readAll(t, path); !bytes.Equal(got[:4096], zeros(4096)) || sum(got[4096:off]) != sum(data[4096:off]) {
			t.Errorf("Fallocate(PunchHole|KeepSize, 0, 4096) did not zero exactly the first 4 KiB")
		}

		// Past EOF: nothing to free, size unchanged.
		noErr(t, "PunchHole past EOF", f.PunchHole(2*size, 4096))
		if st := fstat(t, f); st.Size != size {
			t.Errorf("PunchHole past EOF changed the size to %d", st.Size)
		}
	})
}

func TestZeroRange(t *testing.T) {
	const size, off, n = 1 << 20, 256 << 10, 256 << 10
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		data := randBytes(size, 5)
		f, path := newFile(t, fsys.TempDir(t), "f", data)
		err := f.ZeroRange(off, n)
		if fsys.Kind == testfs.Tmpfs {
			// mm/shmem.c shmem_fallocate: only KEEP_SIZE and PUNCH_HOLE.
			wantNotSupported(t, "ZeroRange on tmpfs", err)
			wantPathErr(t, err, "fallocate", path)
			if err != nil && !contains(err.Error(), "zero-range") {
				t.Errorf("error %q does not name the mode", err)
			}
			if got := readAll(t, path); sum(got) != sum(data) {
				t.Errorf("failed ZeroRange changed the content")
			}
			return
		}
		noErr(t, "ZeroRange", err)
		st := fstat(t, f)
		if st.Size != size {
			t.Errorf("size %d after ZeroRange inside the file, want %d", st.Size, size)
		}
		if st.Blocks < size/512 {
			t.Errorf("st_blocks %d after ZeroRange, want >= %d (the range stays allocated)", st.Blocks, size/512)
		}
		got := readAll(t, path)
		want := append(append(append([]byte{}, data[:off]...), zeros(n)...), data[off+n:]...)
		if sum(got) != sum(want) {
			t.Errorf("content after ZeroRange: %s", diffBytes(got, want))
		}

		// Past EOF it grows the file, like mode 0.
		noErr(t, "ZeroRange past EOF", f.ZeroRange(size, 64<<10))
		if st := fstat(t, f); st.Size != size+64<<10 {
			t.Errorf("size %d after ZeroRange past EOF, want %d", st.Size, size+64<<10)
		}
		if got := readAll(t, path); sum(got[size:]) != sum(zeros(64<<10)) {
			t.Errorf("ZeroRange past EOF does not read as zeros")
		}
	})
}

func TestCollapseInsertRange(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		bs := fsBlockSize(t, dir)
		data := randBytes(int(16*bs), 6)
		f, path := newFile(t, dir, "f", data)

		if fsys.Kind == testfs.Btrfs || fsys.Kind == testfs.Tmpfs {
			for _, m := range []extfs.AllocMode{extfs.AllocCollapseRange, extfs.AllocInsertRange} {
				err := f.Fallocate(m, 4*bs, 4*bs)
				wantNotSupported(t, m.String()+" on "+fsys.Kind, err)
				wantPathErr(t, err, "fallocate", path)
				if err != nil && !contains(err.Error(), m.String()) {
					t.Errorf("error %q does not name the mode %v", err, m)
				}
			}
			if got := readAll(t, path); sum(got) != sum(data) {
				t.Errorf("failed collapse/insert changed the content")
			}
			return
		}

		// Collapse blocks 4..7: the file loses them and the rest moves down.
		noErr(t, "CollapseRange", f.Fallocate(extfs.AllocCollapseRange, 4*bs, 4*bs))
		want := append(append([]byte{}, data[:4*bs]...), data[8*bs:]...)
		got := readAll(t, path)
		if sum(got) != sum(want) {
			t.Fatalf("after CollapseRange: %s", diffBytes(got, want))
		}
		if st := fstat(t, f); st.Size != 12*bs {
			t.Errorf("size %d after collapsing 4 of 16 blocks, want %d", st.Size, 12*bs)
		}

		// Insert 4 blocks at block 4: a hole appears and the rest moves up.
		noErr(t, "InsertRange", f.Fallocate(extfs.AllocInsertRange, 4*bs, 4*bs))
		want = append(append(append([]byte{}, data[:4*bs]...), zeros(4*bs)...), data[8*bs:]...)
		if got := readAll(t, path); sum(got) != sum(want) {
			t.Fatalf("after InsertRange: %s", diffBytes(got, want))
		}
		if st := fstat(t, f); st.Size != 16*bs {
			t.Errorf("size %d after inserting 4 blocks, want %d", st.Size, 16*bs)
		}

		// What the kernel refuses: unaligned ranges, a collapse reaching EOF,
		// an insert at or past EOF. The content is left alone.
		for _, c := range []struct {
			mode   extfs.AllocMode
			off, n int64
		}{
			{extfs.AllocCollapseRange, 4*bs + 512, bs},
			{extfs.AllocCollapseRange, 4 * bs, bs + 1},
			{extfs.AllocCollapseRange, 12 * bs, 4 * bs},
			{extfs.AllocInsertRange, bs / 2, bs},
			{extfs.AllocInsertRange, 16 * bs, bs},
		} {
			err := f.Fallocate(c.mode, c.off, c.n)
			// The kernel's EINVAL: a syscall.Errno does not match fs.ErrInvalid.
			wantPathErr(t, err, "fallocate", path, syscall.EINVAL)
		}
		if got := readAll(t, path); sum(got) != sum(want) {
			t.Errorf("refused collapse/insert changed the content")
		}
	})
}

// TestUnshareRange reflinks a file on XFS, checks with FIEMAP that the
// extents are shared, unshares them and checks they are not, with the bytes
// unchanged. Elsewhere the mode is not supported.
func TestUnshareRange(t *testing.T) {
	const size = 1 << 20
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		data := randBytes(size, 7)
		writeSynced(t, join(dir, "src"), data)
		f, path := newFile(t, dir, "dst", nil)

		if fsys.Kind != testfs.XFS {
			err := f.Fallocate(extfs.AllocUnshareRange, 0, size)
			wantNotSupported(t, "UnshareRange on "+fsys.Kind, err)
			wantPathErr(t, err, "fallocate", path)
			return
		}

		src, err := os.Open(join(dir, "src"))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		noErr(t, "FICLONE", unix.IoctlFileClone(int(f.OSFile().Fd()), int(src.Fd())))
		if s := sharedBytes(t, path); s != size {
			t.Fatalf("precondition: %d bytes shared after FICLONE, want %d", s, size)
		}

		noErr(t, "UnshareRange", f.Fallocate(extfs.AllocUnshareRange, 0, size))

		if s := sharedBytes(t, path); s != 0 {
			t.Errorf("%d bytes still shared after UnshareRange", s)
		}
		if s := sharedBytes(t, join(dir, "src")); s != 0 {
			t.Errorf("source still has %d shared bytes after the clone was unshared", s)
		}
		if got := readAll(t, path); sum(got) != sum(data) {
			t.Errorf("content after UnshareRange: %s", diffBytes(got, data))
		}
		if st := fstat(t, f); st.Size != size {
			t.Errorf("size %d after UnshareRange, want %d", st.Size, size)
		}
	})
}

// sharedBytes returns how many bytes of path FIEMAP reports as shared
// (FIEMAP_EXTENT_SHARED), after syncing it.
func sharedBytes(t *testing.T, path string) int64 {
	_, shared := extentBytes(t, path)
	return shared
}

// extentBytes returns how many bytes of path's data FIEMAP reports as
// allocated (written or not), and how many of them as shared. Unlike
// st_blocks it leaves out metadata such as xattr blocks.
func extentBytes(t *testing.T, path string) (allocated, shared int64) {
	t.Helper()
	const (
		fsIocFiemap  = 0xc020660b // FS_IOC_FIEMAP
		flagSync     = 0x1        // FIEMAP_FLAG_SYNC
		extentLast   = 0x1        // FIEMAP_EXTENT_LAST
		extentShared = 0x2000     // FIEMAP_EXTENT_SHARED
	)
	type extent struct {
		logical, physical, length uint64
		_                         [2]uint64
		flags                     uint32
		_                         [3]uint32
	}
	type fiemap struct {
		start, length                        uint64
		flags, mappedExtents, extentCount, _ uint32
		extents                              [64]extent
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var start uint64
	for {
		m := &fiemap{start: start, length: ^uint64(0) - start, flags: flagSync, extentCount: 64}
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(m))); e != 0 {
			t.Fatalf("FIEMAP %s: %v", path, e)
		}
		if m.mappedExtents == 0 {
			return allocated, shared
		}
		for _, x := range m.extents[:m.mappedExtents] {
			allocated += int64(x.length)
			if x.flags&extentShared != 0 {
				shared += int64(x.length)
			}
			if x.flags&extentLast != 0 {
				return allocated, shared
			}
			start = x.logical + x.length
		}
	}
}

// TestFallocateUnsupportedFS runs fallocate on ramfs, a real filesystem whose
// files have no fallocate at all (vfs_fallocate: EOPNOTSUPP): none of ext4,
// tmpfs, XFS and btrfs lacks punch-hole.
func TestFallocateUnsupportedFS(t *testing.T) {
	dir := testfs.Ramfs(t)
	eachEngine(t, func(t *testing.T) {
		data := randBytes(64<<10, 8)
		f, path := newFile(t, dir, "f-"+extfs.CurrentEngine().String(), data)
		for _, c := range []struct {
			name string
			call func() error
		}{
			{"PunchHole", func() error { return f.PunchHole(0, 4096) }},
			{"Fallocate(0)", func() error { return f.Fallocate(0, 0, 1<<20) }},
			{"ZeroRange", func() error { return f.ZeroRange(0, 4096) }},
			{"Fallocate(KeepSize)", func() error { return f.Fallocate(extfs.AllocKeepSize, 0, 1<<20) }},
		} {
			err := c.call()
			wantNotSupported(t, c.name+" on ramfs", err)
			wantPathErr(t, err, "fallocate", path)
		}
		if got := readAll(t, path); sum(got) != sum(data) {
			t.Errorf("content changed")
		}
		if st := fstat(t, f); st.Size != int64(len(data)) {
			t.Errorf("size %d, want %d", st.Size, len(data))
		}
	})
}

// TestCollapseInsertAlignment: a collapse or insert the kernel refuses for
// its alignment is an error matching fs.ErrInvalid (and EINVAL) that gives
// the filesystem block size, as CloneRange's does; one refused for reaching
// the end of the file says that.
func TestCollapseInsertAlignment(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		bs := fsBlockSize(t, dir)
		data := randBytes(int(16*bs), 16)
		f, path := newFile(t, dir, "f", data)
		bsText := strconv.FormatInt(bs, 10)
		for _, c := range []struct {
			mode       extfs.AllocMode
			off, n     int64
			misaligned bool     // bad input: must match fs.ErrInvalid
			want       []string // in the message
		}{
			{extfs.AllocCollapseRange, 4*bs + 512, bs, true, []string{"offset", "length", "multiples of the filesystem block size " + bsText}},
			{extfs.AllocCollapseRange, 4 * bs, bs + 1, true, []string{"multiples of the filesystem block size " + bsText}},
			{extfs.AllocInsertRange, bs / 2, bs, true, []string{"multiples of the filesystem block size " + bsText}},
			{extfs.AllocCollapseRange, 12 * bs, 4 * bs, false, []string{"end of the file"}},
			{extfs.AllocInsertRange, 16 * bs, bs, false, []string{"end of the file"}},
		} {
			what := fmt.Sprintf("%v at %d, %d", c.mode, c.off, c.n)
			b := extfs.NewBatch()
			p := b.Fallocate(f, c.mode, c.off, c.n)
			b.Submit(context.Background())
			for _, err := range []error{f.Fallocate(c.mode, c.off, c.n), p.Err()} {
				wantPathErr(t, err, "fallocate", path, syscall.EINVAL)
				if c.misaligned {
					wantErr(t, what, err, fs.ErrInvalid)
				}
				for _, s := range c.want {
					if err != nil && !strings.Contains(err.Error(), s) {
						t.Errorf("%s: error %q does not say %q", what, err, s)
					}
				}
			}
		}
		if got := readAll(t, path); sum(got) != sum(data) {
			t.Errorf("refused collapse/insert changed the content")
		}
	}, testfs.Ext4, testfs.XFS)
}
