package extfs_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/extfs/extfs"
	winsys "github.com/extfs/extfs/sys/windows"
)

func TestWindowsFallocateGrows(t *testing.T) {
	data := randBytes(10000, 1)
	f, _ := newFile(t, data)
	if err := f.Fallocate(0, 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got := size(t, f); got != 1<<20 {
		t.Fatalf("size after Fallocate(0, 0, 1 MiB) = %d, want %d", got, 1<<20)
	}
	// A range inside the file changes nothing; one past the end grows it.
	if err := f.Fallocate(0, 100, 1000); err != nil {
		t.Fatal(err)
	}
	if err := f.Fallocate(0, 2<<20, 4096); err != nil {
		t.Fatal(err)
	}
	got := fileBytes(t, f)
	if len(got) != 2<<20+4096 {
		t.Fatalf("size = %d, want %d", len(got), 2<<20+4096)
	}
	checkZeroed(t, got, append(data, make([]byte, len(got)-len(data))...), len(data), len(got)-len(data))
	st, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	if winsys.WineVersion() == "" && st.Blocks*512 < st.Size {
		// Under Wine the allocation is the Linux file's, which ftruncate
		// made sparse.
		t.Errorf("Blocks = %d (%d bytes), want at least the size %d: a file that is not sparse has no holes", st.Blocks, st.Blocks*512, st.Size)
	}
}

func TestWindowsFallocateKeepSize(t *testing.T) {
	f, _ := newFile(t, randBytes(4096, 1))
	err := f.Fallocate(extfs.AllocKeepSize, 0, 8<<20)
	if got := size(t, f); got != 4096 {
		t.Errorf("size after a keep-size Fallocate = %d, want 4096 (err %v)", got, err)
	}
	wineLacks(t, err, "FileAllocationInformation")
	st, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 < 8<<20 {
		t.Errorf("Blocks = %d (%d bytes), want at least 8 MiB allocated while the file is open", st.Blocks, st.Blocks*512)
	}
	// Within what is allocated: nothing to do.
	if err := f.Fallocate(extfs.AllocKeepSize, 0, 4096); err != nil {
		t.Errorf("keep-size Fallocate inside the allocation: %v", err)
	}
}

func TestWindowsPunchHole(t *testing.T) {
	const n = 256 << 10
	data := randBytes(n, 1)
	f, _ := newFile(t, data)

	// Past the end: nothing to free, nothing changes, as on Linux.
	if err := f.PunchHole(n, 4096); err != nil {
		t.Errorf("PunchHole past the end: %v", err)
	}
	if got := size(t, f); got != n {
		t.Fatalf("size after PunchHole past the end = %d, want %d", got, n)
	}

	err := f.PunchHole(64<<10, 128<<10)
	if got := size(t, f); got != n {
		t.Errorf("size after PunchHole = %d, want %d (err %v)", got, n, err)
	}
	wineLacks(t, err, "FSCTL_SET_ZERO_DATA")
	checkZeroed(t, fileBytes(t, f), data, 64<<10, 128<<10)

	// A range running past the end is cut at the end.
	if err := f.PunchHole(n-1000, 1<<20); err != nil {
		t.Fatal(err)
	}
	got := fileBytes(t, f)
	if len(got) != n {
		t.Fatalf("size = %d, want %d", len(got), n)
	}
	want := append([]byte(nil), data...)
	clear(want[64<<10 : 192<<10])
	checkZeroed(t, got, want, n-1000, 1000)
}

func TestWindowsZeroRange(t *testing.T) {
	const n = 64 << 10
	data := randBytes(n, 1)
	f, _ := newFile(t, data)

	// Only past the end: the file grows, nothing is zeroed in place.
	if err := f.ZeroRange(n, 4096); err != nil {
		t.Fatal(err)
	}
	data = append(data, make([]byte, 4096)...)
	checkZeroed(t, fileBytes(t, f), data, n, 4096)

	err := f.ZeroRange(1000, 5000)
	wineLacks(t, err, "FSCTL_SET_ZERO_DATA")
	checkZeroed(t, fileBytes(t, f), data, 1000, 5000)
	clear(data[1000:6000])

	// Across the end: zeroed, and grown.
	if err := f.ZeroRange(int64(len(data))-100, 1000); err != nil {
		t.Fatal(err)
	}
	data = append(data, make([]byte, 900)...)
	checkZeroed(t, fileBytes(t, f), data, len(data)-1000, 1000)

	// With keep-size, the size does not change.
	if err := f.Fallocate(extfs.AllocZeroRange|extfs.AllocKeepSize, 0, int64(len(data))+4096); err != nil {
		t.Fatal(err)
	}
	checkZeroed(t, fileBytes(t, f), data, 0, len(data))
}

func TestWindowsFallocateUnsupportedModes(t *testing.T) {
	data := randBytes(1<<20, 1)
	f, _ := newFile(t, data)
	for _, mode := range []extfs.AllocMode{extfs.AllocCollapseRange, extfs.AllocInsertRange, extfs.AllocUnshareRange} {
		wantUnsupported(t, f.Fallocate(mode, 0, 64<<10), "fallocate", mode.String())
	}
	if got := fileBytes(t, f); len(got) != len(data) {
		t.Errorf("size %d after refused modes, want %d", len(got), len(data))
	}
}

func TestWindowsFallocateBadInput(t *testing.T) {
	f, path := newFile(t, randBytes(4096, 1))
	for _, c := range []struct {
		off, n int64
		mode   extfs.AllocMode
	}{
		{-1, 10, 0}, {0, -1, 0}, {0, 0, 0}, {1, 1<<63 - 1, 0},
		{0, 10, extfs.AllocPunchHole}, // punch without keep-size
		{0, 10, 1 << 20},              // unknown bit
	} {
		if err := f.Fallocate(c.mode, c.off, c.n); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Fallocate(%v, %d, %d) = %v, want fs.ErrInvalid", c.mode, c.off, c.n, err)
		}
	}
	var nilFile *extfs.File
	if err := nilFile.Fallocate(0, 0, 10); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("nil File: %v, want fs.ErrInvalid", err)
	}
	g, err := extfs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	for name, err := range map[string]error{
		"Fallocate": g.Fallocate(0, 0, 10),
		"PunchHole": g.PunchHole(0, 10),
		"Fadvise":   g.Fadvise(0, 0, extfs.AdviceSequential),
		"Sync":      g.Sync(),
		"SetTimes":  g.SetTimes(fixedTime, fixedTime),
		"Chmod":     g.Chmod(0o644),
	} {
		if !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s on a closed File = %v, want fs.ErrClosed", name, err)
		}
	}
	if _, err := g.Statx(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Statx on a closed File = %v, want fs.ErrClosed", err)
	}
}

func TestWindowsFallocateReadOnlyFile(t *testing.T) {
	_, path := newFile(t, randBytes(4096, 1))
	r, err := extfs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Fallocate(0, 0, 1<<20); err == nil && winsys.WineVersion() == "" {
		t.Errorf("Fallocate on a file open for reading only succeeded")
	}
}

func TestWindowsFadvise(t *testing.T) {
	f, _ := newFile(t, randBytes(4096, 1))
	for _, a := range []extfs.Advice{extfs.AdviceNormal, extfs.AdviceRandom, extfs.AdviceNoReuse} {
		if err := f.Fadvise(0, 0, a); err != nil {
			t.Errorf("Fadvise(%v) = %v", a, err)
		}
	}
	for _, a := range []extfs.Advice{extfs.AdviceWillNeed, extfs.AdviceDontNeed} {
		wantUnsupported(t, f.Fadvise(0, 4096, a), "fadvise", a.String())
	}
	if err := f.Fadvise(-1, 0, extfs.AdviceNormal); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("negative offset: %v, want fs.ErrInvalid", err)
	}
	if err := f.Fadvise(0, 0, extfs.Advice(42)); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("unknown advice: %v, want fs.ErrInvalid", err)
	}
	err := f.Fadvise(0, 0, extfs.AdviceSequential)
	wineLacks(t, err, "FileModeInformation for FILE_SEQUENTIAL_ONLY")
	// And back: the hint is the handle's, whatever the range.
	if err := f.Fadvise(0, 0, extfs.AdviceNormal); err != nil {
		t.Errorf("Fadvise(normal) after sequential: %v", err)
	}
}

func TestWindowsSync(t *testing.T) {
	f, path := newFile(t, randBytes(4096, 1))
	if err := f.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}
	if err := f.Datasync(); err != nil {
		t.Errorf("Datasync: %v", err)
	}
	// Windows flushes only what a handle may write: FlushFileBuffers on a
	// read-only handle is ERROR_ACCESS_DENIED, whatever Linux says.
	r, err := extfs.Open(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Sync(); err != nil && !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Sync of a read-only handle: %v, want nil or a permission error", err)
	}
}
