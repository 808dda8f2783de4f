package extfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// The copy engine on Windows: overlapped I/O on a completion port and the
// portable pipeline for ranges, CopyFileExW for whole files, block cloning
// (FSCTL_DUPLICATE_EXTENTS_TO_FILE) where the volume has it. Under Wine
// (NTFS without block refcounting) cloning falls back, or fails with
// ErrNotSupported under CoWAlways.

// wcSizes are the sizes every copy path is checked with: empty, a byte,
// around a cluster, past one pipeline buffer, and many buffers.
var wcSizes = []int{0, 1, 4095, 4096, 4097, MiB + 1, 64 * MiB}

// wcEngine is a way of reading and writing (or of copying whole files) a
// test runs with.
type wcEngine struct {
	name string
	set  func() (restore func())
}

var wcEngines = []wcEngine{
	{"overlapped", func() func() {
		r1, r2 := extfs.SetReadWrite(true, 0, 0), extfs.SetCopyFileEx(false)
		return func() { r2(); r1() }
	}},
	{"pipeline", func() func() {
		r1, r2 := extfs.SetReadWrite(false, 0, 0), extfs.SetCopyFileEx(false)
		return func() { r2(); r1() }
	}},
	{"CopyFileExW", func() func() {
		r1, r2 := extfs.SetReadWrite(true, 0, 0), extfs.SetCopyFileEx(true)
		return func() { r2(); r1() }
	}},
}

// wcCount wraps the mechanisms to count their calls, until the test ends.
type wcCount struct {
	mu                             sync.Mutex
	overlapped, handled, dup, cfex int
}

func wcCounting(t *testing.T) *wcCount {
	c := &wcCount{}
	ov, dup, cf := *extfs.OverlappedCopyP, *extfs.DuplicateExtentsP, *extfs.CopyFileExP
	*extfs.OverlappedCopyP = func(rc winsys.RangeCopy) (int64, bool, error) {
		w, handled, err := ov(rc)
		c.mu.Lock()
		c.overlapped++
		if handled {
			c.handled++
		}
		c.mu.Unlock()
		return w, handled, err
	}
	*extfs.DuplicateExtentsP = func(dst, src windows.Handle, ch winsys.CloneChunk) error {
		c.mu.Lock()
		c.dup++
		c.mu.Unlock()
		return dup(dst, src, ch)
	}
	*extfs.CopyFileExP = func(src, dst string, flags uint32, p func(*winsys.CopyProgress) bool) error {
		c.mu.Lock()
		c.cfex++
		c.mu.Unlock()
		return cf(src, dst, flags, p)
	}
	t.Cleanup(func() { *extfs.OverlappedCopyP, *extfs.DuplicateExtentsP, *extfs.CopyFileExP = ov, dup, cf })
	return c
}

// TestWindowsCopyFileSizes copies every size with every engine and CoW
// mode, by checksum, and checks the statistics, the mechanism used, and
// that no temporary file is left.
func TestWindowsCopyFileSizes(t *testing.T) {
	dir := tempDir(t)
	for _, size := range wcSizes {
		src := filepath.Join(dir, fmt.Sprintf("src-%d", size))
		writeFile(t, src, randBytes(size, 1))
	}
	for _, eng := range wcEngines {
		t.Run(eng.name, func(t *testing.T) {
			defer eng.set()()
			for _, size := range wcSizes {
				src := filepath.Join(dir, fmt.Sprintf("src-%d", size))
				want := sum(readAll(t, src))
				for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
					c := wcCounting(t)
					dst := filepath.Join(dir, fmt.Sprintf("dst-%s-%d-%v", eng.name, size, mode))
					st, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{CoW: mode})
					if err != nil {
						t.Fatalf("%d bytes, %v: %v", size, mode, err)
					}
					if got := sum(readAll(t, dst)); got != want {
						t.Errorf("%d bytes, %v: the copy differs from the source", size, mode)
					}
					if st.Files != 1 || st.Bytes != int64(size) || st.CopiedBytes != int64(size) || st.ClonedBytes != 0 || st.HoleBytes != 0 {
						t.Errorf("%d bytes, %v: stats %+v", size, mode, st)
					}
					byCopyFileEx := eng.name == "CopyFileExW" && mode == extfs.CoWAuto
					wantMethod := extfs.MethodReadWrite
					if byCopyFileEx {
						wantMethod = extfs.MethodCopyFileRange
						if c.cfex != 1 {
							t.Errorf("%d bytes, %v: CopyFileExW called %d times, want once", size, mode, c.cfex)
						}
					} else if c.cfex != 0 {
						t.Errorf("%d bytes, %v: CopyFileExW called", size, mode)
					}
					if size > 0 && (len(st.ByMethod) != 1 || st.ByMethod[wantMethod] != 1) {
						t.Errorf("%d bytes, %v: ByMethod %v, want one %v", size, mode, st.ByMethod, wantMethod)
					}
					if size == 0 && len(st.ByMethod) != 0 {
						t.Errorf("empty file, %v: ByMethod %v, want none", mode, st.ByMethod)
					}
					// Overlapped I/O takes the copies of more than a buffer.
					overlapped := eng.name != "pipeline" && !byCopyFileEx && size > MiB
					if overlapped && (c.overlapped != 1 || c.handled != 1) {
						t.Errorf("%d bytes, %v: overlapped copy called %d times, handled %d; want once", size, mode, c.overlapped, c.handled)
					}
					if !overlapped && c.handled != 0 {
						t.Errorf("%d bytes, %v: overlapped copy handled %d copies, want none", size, mode, c.handled)
					}
					if err := os.Remove(dst); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
	var names []string
	for _, size := range wcSizes {
		names = append(names, fmt.Sprintf("src-%d", size))
	}
	wantNames(t, dir, names...)
}

// TestWindowsCopyFileCoWAlways: where the volume cannot clone (Wine: NTFS
// without block refcounting) CoWAlways fails with ErrNotSupported, whatever
// the size, and leaves nothing behind.
func TestWindowsCopyFileCoWAlways(t *testing.T) {
	dir := tempDir(t)
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	if caps.Clone != extfs.No {
		t.Skipf("%s can clone: TestWindowsClone covers it", caps.Filesystem)
	}
	for _, size := range wcSizes {
		src := filepath.Join(dir, "src")
		writeFile(t, src, randBytes(size, 1))
		_, err := extfs.CopyFile(context.Background(), src, filepath.Join(dir, "dst"), &extfs.CopyOptions{CoW: extfs.CoWAlways})
		wantUnsupported(t, err, "ficlone", "block cloning")
		if !errors.Is(err, windows.ERROR_NOT_SUPPORTED) {
			t.Errorf("%d bytes: %v, want it to keep ERROR_NOT_SUPPORTED", size, err)
		}
		wantNames(t, dir, "src")

		err = extfs.Clone(src, filepath.Join(dir, "clone"))
		wantUnsupported(t, err, "ficlone", "")
		wantNames(t, dir, "src")
	}
}

// TestWindowsCloneFallback sends FSCTL_DUPLICATE_EXTENTS_TO_FILE although
// the volume says it cannot clone, to check the handling of the system's
// own answer (Wine: ERROR_NOT_SUPPORTED): CoWAuto copies, CoWAlways and
// CloneRange fail with ErrNotSupported keeping the Windows error.
func TestWindowsCloneFallback(t *testing.T) {
	dir := tempDir(t)
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	if caps.Clone != extfs.No {
		t.Skipf("%s can clone: nothing falls back", caps.Filesystem)
	}
	defer extfs.ForceCloneAttempt()()
	defer extfs.SetCopyFileEx(false)()
	src := filepath.Join(dir, "src")
	data := randBytes(3*MiB+5, 1)
	writeFile(t, src, data)

	c := wcCounting(t)
	st, err := extfs.CopyFile(context.Background(), src, filepath.Join(dir, "auto"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.dup == 0 {
		t.Errorf("CoWAuto did not try FSCTL_DUPLICATE_EXTENTS_TO_FILE")
	}
	if st.ClonedBytes != 0 || st.CopiedBytes != int64(len(data)) || st.ByMethod[extfs.MethodReadWrite] != 1 {
		t.Errorf("CoWAuto after a refused clone: stats %+v, want a copy", st)
	}
	if sum(readAll(t, filepath.Join(dir, "auto"))) != sum(data) {
		t.Errorf("CoWAuto after a refused clone: the copy differs")
	}

	c.dup = 0
	_, err = extfs.CopyFile(context.Background(), src, filepath.Join(dir, "always"), &extfs.CopyOptions{CoW: extfs.CoWAlways})
	if c.dup == 0 {
		t.Errorf("CoWAlways did not try FSCTL_DUPLICATE_EXTENTS_TO_FILE")
	}
	wantUnsupported(t, err, "ficlone", "")
	var errno syscall.Errno
	if !errors.As(err, &errno) || !slices.Contains([]syscall.Errno{windows.ERROR_NOT_SUPPORTED, windows.ERROR_INVALID_FUNCTION, windows.ERROR_INVALID_PARAMETER}, errno) {
		t.Errorf("CoWAlways: %v, want the system's Windows error inside", err)
	}
	wantNames(t, dir, "src", "auto")

	// CloneRange: cluster-aligned ranges reach the system and come back
	// as ErrNotSupported; misaligned ones are refused before, naming the
	// cluster size.
	sf := openFile(t, src, os.O_RDONLY)
	df := openFile(t, filepath.Join(dir, "auto"), os.O_RDWR)
	c.dup = 0
	err = sf.CloneRange(df, 0, 0, MiB)
	wantUnsupported(t, err, "ficlonerange", "")
	if c.dup == 0 {
		t.Errorf("CloneRange did not try FSCTL_DUPLICATE_EXTENTS_TO_FILE")
	}
	err = sf.CloneRange(df, 1, 0, MiB)
	if !errors.Is(err, fs.ErrInvalid) || !strings.Contains(err.Error(), "block size") {
		t.Errorf("misaligned CloneRange: %v, want fs.ErrInvalid naming the block size", err)
	}
	if got := size(t, df); got != int64(len(data)) {
		t.Errorf("a failed CloneRange left the destination %d bytes, want %d", got, len(data))
	}
}

// TestWindowsCloneRangeUnsupported: without the forcing, CloneRange asks
// the volume and says it cannot.
func TestWindowsCloneRangeUnsupported(t *testing.T) {
	dir := tempDir(t)
	if caps, err := extfs.Probe(dir); err != nil || caps.Clone != extfs.No {
		t.Skipf("Probe: %+v, %v", caps, err)
	}
	src := filepath.Join(dir, "src")
	writeFile(t, src, randBytes(64<<10, 1))
	sf := openFile(t, src, os.O_RDONLY)
	df := openFile(t, filepath.Join(dir, "dst"), os.O_RDWR|os.O_CREATE)
	wantUnsupported(t, sf.CloneRange(df, 0, 0, 64<<10), "ficlonerange", "FILE_SUPPORTS_BLOCK_REFCOUNTING")
	if got := size(t, df); got != 0 {
		t.Errorf("destination is %d bytes after a refused CloneRange, want 0", got)
	}
}

// TestWindowsProbe: Probe tells the truth about the volume: Wine's NTFS has
// no block refcounting, so no clones.
func TestWindowsProbe(t *testing.T) {
	dir := tempDir(t)
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := winsys.OpenPath(dir, windows.FILE_READ_ATTRIBUTES, false)
	if err != nil {
		t.Fatal(err)
	}
	v, err := winsys.VolumeInfo(d)
	windows.CloseHandle(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Probe(%s) = %+v; volume %+v", dir, caps, v)
	if caps.Filesystem != v.Filesystem {
		t.Errorf("Filesystem %q, want the volume's %q", caps.Filesystem, v.Filesystem)
	}
	clone := caps.Clone == extfs.Yes
	if caps.Clone == extfs.Unknown || clone != v.BlockCloning() {
		t.Errorf("Clone %v, but the volume's FILE_SUPPORTS_BLOCK_REFCOUNTING is %v", caps.Clone, v.BlockCloning())
	}
	if clone && caps.CloneBlockSize != v.Cluster || !clone && caps.CloneBlockSize != 0 {
		t.Errorf("CloneBlockSize %d with Clone %v; cluster %d", caps.CloneBlockSize, caps.Clone, v.Cluster)
	}
	// Everything is known from the volume's flags; what Windows lacks is No.
	for name, a := range map[string]extfs.Answer{"CopyFileRange": caps.CopyFileRange, "Xattr": caps.Xattr,
		"CollapseRange": caps.CollapseRange, "InsertRange": caps.InsertRange, "UnshareRange": caps.UnshareRange} {
		if a != extfs.No {
			t.Errorf("%s = %v: Windows has none", name, a)
		}
	}
	if caps.Allocate != extfs.Yes || caps.KeepSize != extfs.Yes {
		t.Errorf("Allocate %v, KeepSize %v; want yes", caps.Allocate, caps.KeepSize)
	}
	if winsys.WineVersion() != "" && (caps.Filesystem != "NTFS" || caps.Clone != extfs.No || caps.PunchHole != extfs.No) {
		t.Errorf("under Wine: %+v, want NTFS without clones or holes", caps)
	}
	// ProbePair needs a source that exists, and creates nothing.
	src := filepath.Join(dir, "a")
	writeFile(t, src, randBytes(4096, 1))
	want := extfs.MethodCopyFileRange // CopyFileExW
	switch {
	case clone:
		want = extfs.MethodClone
	case winsys.WineVersion() != "":
		want = extfs.MethodReadWrite // extfs copies by itself under Wine (progress, cancelling)
	}
	m, err := extfs.ProbePair(src, filepath.Join(dir, "b"))
	if err != nil || m != want {
		t.Errorf("ProbePair = %v, %v; want %v", m, err, want)
	}
	wantNames(t, dir, "a")
	st, err := extfs.CopyFile(context.Background(), src, filepath.Join(dir, "b"), nil)
	if err != nil || st.ByMethod[m] != 1 {
		t.Errorf("CopyFile: %+v, %v; ProbePair said %v", st, err, m)
	}
	extfs.ForgetProbes()
	if again, err := extfs.Probe(dir); err != nil || again != caps {
		t.Errorf("Probe after ForgetProbes = %+v, %v; want %+v", again, err, caps)
	}
	if err := os.Remove(filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	wantNames(t, dir)
}

// TestWindowsCopyRange copies ranges with each engine: offsets, the end of
// the source, growth of the destination, and file offsets left alone.
func TestWindowsCopyRange(t *testing.T) {
	for _, eng := range wcEngines[:2] {
		t.Run(eng.name, func(t *testing.T) {
			defer eng.set()()
			dir := tempDir(t)
			data := randBytes(5*MiB+3, 1)
			writeFile(t, filepath.Join(dir, "src"), data)
			src := openFile(t, filepath.Join(dir, "src"), os.O_RDONLY)
			dst := openFile(t, filepath.Join(dir, "dst"), os.O_RDWR|os.O_CREATE)
			if _, err := src.Seek(123, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if _, err := dst.Seek(456, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			want := []byte{}
			put := func(off int, p []byte) {
				if len(want) < off+len(p) {
					want = append(want, make([]byte, off+len(p)-len(want))...)
				}
				copy(want[off:], p)
			}
			c := wcCounting(t)
			for _, r := range []struct{ so, do, n, want int64 }{
				{0, 0, 100, 100},                       // small: the pipeline's single buffer
				{4096, 10, 3*MiB + 1, 3*MiB + 1},       // unaligned, several buffers
				{MiB, 7 * MiB, 2 * MiB, 2 * MiB},       // past the destination's end
				{5 * MiB, 100, MiB, 3},                 // the source ends first
				{int64(len(data)), 0, MiB, 0},          // at the end: nothing
				{int64(len(data)) + 10, 0, 5 * MiB, 0}, // past the end: nothing
				{0, 9*MiB + 1, int64(len(data)), int64(len(data))},
			} {
				n, err := src.CopyRange(dst, r.so, r.do, r.n)
				if err != nil || n != r.want {
					t.Fatalf("CopyRange(%d, %d, %d) = %d, %v; want %d", r.so, r.do, r.n, n, err, r.want)
				}
				if n > 0 {
					put(int(r.do), data[r.so:r.so+n])
				}
				if got := fileBytes(t, dst); !bytes.Equal(got, want) {
					t.Fatalf("after CopyRange(%d, %d, %d): destination differs (size %d, want %d)", r.so, r.do, r.n, len(got), len(want))
				}
			}
			for _, f := range []struct {
				f    *extfs.File
				want int64
			}{{src, 123}, {dst, 456}} {
				if off, err := f.f.Seek(0, io.SeekCurrent); err != nil || off != f.want {
					t.Errorf("%s: offset %d, %v after the copies; want %d", f.f.Name(), off, err, f.want)
				}
			}
			if eng.name == "overlapped" && c.handled != 3 {
				t.Errorf("overlapped copy handled %d copies, want the 3 of more than a buffer", c.handled)
			}
			if eng.name == "pipeline" && c.overlapped != 0 {
				t.Errorf("overlapped copy called %d times with the pipeline chosen", c.overlapped)
			}

			// Within one file, ranges that do not overlap.
			n, err := dst.CopyRange(dst, 0, 12*MiB, 2*MiB)
			if err != nil || n != 2*MiB {
				t.Fatalf("CopyRange within a file = %d, %v", n, err)
			}
			put(12*MiB, slices.Clone(want[:2*MiB]))
			if got := fileBytes(t, dst); !bytes.Equal(got, want) {
				t.Errorf("after a copy within the file: destination differs")
			}
		})
	}
}

// TestWindowsCopyRangeConcurrent runs several CopyRange calls at once, each
// on its own completion port, between the same two files.
func TestWindowsCopyRangeConcurrent(t *testing.T) {
	defer extfs.SetReadWrite(true, 0, 0)()
	dir := tempDir(t)
	const workers, part = 8, 3*MiB + 4096
	data := randBytes(workers*part, 1)
	writeFile(t, filepath.Join(dir, "src"), data)
	src := openFile(t, filepath.Join(dir, "src"), os.O_RDONLY)
	dst := openFile(t, filepath.Join(dir, "dst"), os.O_RDWR|os.O_CREATE)
	c := wcCounting(t)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Go(func() {
			// Reversed: each worker writes where another reads.
			off := int64(i * part)
			n, err := src.CopyRange(dst, off, int64((workers-1-i)*part), part)
			if err == nil && n != part {
				err = fmt.Errorf("copied %d bytes, want %d", n, part)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	got := fileBytes(t, dst)
	for i := range workers {
		j := workers - 1 - i
		if !bytes.Equal(got[j*part:(j+1)*part], data[i*part:(i+1)*part]) {
			t.Errorf("range %d of the destination differs", j)
		}
	}
	if c.handled != workers {
		t.Errorf("overlapped copy handled %d copies, want %d", c.handled, workers)
	}
}

// TestWindowsCopyRangeErrors: bad arguments and unusable files are refused
// before anything is copied.
func TestWindowsCopyRangeErrors(t *testing.T) {
	dir := tempDir(t)
	writeFile(t, filepath.Join(dir, "src"), []byte("hello"))
	src := openFile(t, filepath.Join(dir, "src"), os.O_RDONLY)
	dst := openFile(t, filepath.Join(dir, "dst"), os.O_RDWR|os.O_CREATE)
	ro := openFile(t, filepath.Join(dir, "dst"), os.O_RDONLY)
	wo := openFile(t, filepath.Join(dir, "src"), os.O_WRONLY)
	app := openFile(t, filepath.Join(dir, "dst"), os.O_WRONLY|os.O_APPEND)
	closed, err := extfs.Open(filepath.Join(dir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	for _, c := range []struct {
		name     string
		src, dst *extfs.File
		so, do   int64
		n        int64
		target   error
	}{
		{"negative source offset", src, dst, -1, 0, 1, fs.ErrInvalid},
		{"negative destination offset", src, dst, 0, -1, 1, fs.ErrInvalid},
		{"negative length", src, dst, 0, 0, -1, fs.ErrInvalid},
		{"overflowing source range", src, dst, math.MaxInt64 - 1, 0, 2, fs.ErrInvalid},
		{"overflowing destination range", src, dst, 0, math.MaxInt64, 1, fs.ErrInvalid},
		{"nil source", nil, dst, 0, 0, 1, fs.ErrInvalid},
		{"nil destination", src, nil, 0, 0, 1, fs.ErrInvalid},
		{"closed source", closed, dst, 0, 0, 1, fs.ErrClosed},
		{"closed destination", src, closed, 0, 0, 1, fs.ErrClosed},
		{"overlapping ranges in one file", dst, dst, 0, 2, 4, fs.ErrInvalid},
		{"read-only destination", src, ro, 0, 0, 1, syscall.EBADF},
		{"write-only source", wo, dst, 0, 0, 1, syscall.EBADF},
		{"O_APPEND destination", src, app, 0, 0, 1, syscall.EBADF},
	} {
		if c.name == "overlapping ranges in one file" {
			if _, err := dst.WriteAt([]byte("abcdefgh"), 0); err != nil {
				t.Fatal(err)
			}
		}
		n, err := c.src.CopyRange(c.dst, c.so, c.do, c.n)
		if n != 0 || !errors.Is(err, c.target) {
			t.Errorf("%s: %d, %v; want 0 and an error matching %v", c.name, n, err, c.target)
		}
		var le *os.LinkError
		if err != nil && !errors.As(err, &le) {
			t.Errorf("%s: %T, want *os.LinkError", c.name, err)
		}
		if c.target == fs.ErrInvalid && !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%s: %v does not match EINVAL", c.name, err)
		}
	}
	if got := fileBytes(t, dst); string(got) != "abcdefgh" {
		t.Errorf("destination %q after refused copies", got)
	}
}

// TestWindowsOverlappedCopy runs the completion-port copy alone, with
// buffer counts and sizes that exercise its bookkeeping: a depth of one,
// buffers of a few bytes, a source ending inside a buffer.
func TestWindowsOverlappedCopy(t *testing.T) {
	dir := tempDir(t)
	data := randBytes(2*MiB+12345, 1)
	writeFile(t, filepath.Join(dir, "src"), data)
	src := openFile(t, filepath.Join(dir, "src"), os.O_RDONLY)
	for _, c := range []struct{ bufSize, depth int }{{MiB, 4}, {MiB, 1}, {4096, 8}, {1000, 3}, {3 * MiB, 2}} {
		dst := openFile(t, filepath.Join(dir, fmt.Sprintf("dst-%d-%d", c.bufSize, c.depth)), os.O_RDWR|os.O_CREATE)
		w, handled, err := extfs.OverlappedCopy(context.Background(), src, dst, 5, 7, int64(len(data)), c.bufSize, c.depth)
		if err != nil || !handled || w != int64(len(data)-5) {
			t.Errorf("%+v: %d, %v, %v; want %d", c, w, handled, err, len(data)-5)
			continue
		}
		if got := fileBytes(t, dst); !bytes.Equal(got[7:], data[5:]) || !bytes.Equal(got[:7], make([]byte, 7)) {
			t.Errorf("%+v: destination differs", c)
		}
	}

	// Cancelled: stops early, says how much it copied, and leaves no I/O
	// behind (the buffers go back to the pool only after their packets).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dst := openFile(t, filepath.Join(dir, "cancelled"), os.O_RDWR|os.O_CREATE)
	w, handled, err := extfs.OverlappedCopy(ctx, src, dst, 0, 0, int64(len(data)), 4096, 8)
	if !handled || !errors.Is(err, context.Canceled) || w < 0 || w > 8*4096 {
		t.Errorf("cancelled: %d, %v, %v; want context.Canceled after at most 8 buffers", w, handled, err)
	}
	if got := fileBytes(t, dst); !bytes.Equal(got[:w], data[:w]) {
		t.Errorf("cancelled: the %d bytes reported copied differ", w)
	}

	// A destination that cannot be opened again for overlapped I/O (a pipe)
	// is not handled: the caller copies through its own handle.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	w, handled, err = extfs.OverlappedCopy(context.Background(), src, extfs.NewFile(pw), 0, 0, 100, 4096, 2)
	if handled || w != 0 || err != nil {
		t.Errorf("into a pipe: %d, %v, %v; want not handled", w, handled, err)
	}
}

// TestWindowsCopyFileCancel: a copy cancelled from Progress, by each engine,
// fails with context.Canceled, leaves the old destination intact (Replace)
// and no temporary file.
func TestWindowsCopyFileCancel(t *testing.T) {
	dir := tempDir(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	writeFile(t, src, randBytes(64*MiB, 1))
	for _, eng := range wcEngines {
		defer eng.set()()
		for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
			writeFile(t, dst, []byte("old"))
			ctx, cancel := context.WithCancel(context.Background())
			var calls []int64
			_, err := extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{
				CoW:      mode,
				Existing: extfs.ExistingReplace,
				Progress: func(done, total int64) {
					calls = append(calls, done)
					cancel()
				},
			})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s, %v: %v, want context.Canceled", eng.name, mode, err)
			}
			if got, err := os.ReadFile(dst); err != nil || string(got) != "old" {
				t.Errorf("%s, %v: destination %d bytes, %v; want the old 3", eng.name, mode, len(got), err)
			}
			wantNames(t, dir, "src", "dst")
			// The engines of extfs stop at the first progress call, 8 MiB
			// in; Wine's CopyFileExW calls no progress routine, so the
			// call at the end is the first.
			if len(calls) != 1 || calls[0] >= 64*MiB && !(eng.name == "CopyFileExW" && mode == extfs.CoWAuto && winsys.WineVersion() != "") {
				t.Errorf("%s, %v: progress calls %v, want one, mid-copy", eng.name, mode, calls)
			}
		}
		// Cancelled before it starts.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := extfs.CopyFile(ctx, src, filepath.Join(dir, "new"), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: CopyFile with a cancelled context: %v", eng.name, err)
		}
		wantNames(t, dir, "src", "dst")
	}
}

// TestWindowsCopyFileExCancel cancels CopyFileExW from its progress routine
// (on Windows; Wine 8 never calls it): the system deletes the file, and
// CopyFile says context.Canceled.
func TestWindowsCopyFileExCancel(t *testing.T) {
	defer extfs.SetCopyFileEx(true)()
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	writeFile(t, src, randBytes(64*MiB, 1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := wcCounting(t)
	cf := *extfs.CopyFileExP
	routineCalled := false
	*extfs.CopyFileExP = func(s, d string, flags uint32, p func(*winsys.CopyProgress) bool) error {
		return cf(s, d, flags, func(cp *winsys.CopyProgress) bool {
			routineCalled = true
			if cp.StreamDone > 0 {
				cancel()
			}
			return p(cp)
		})
	}
	_, err := extfs.CopyFile(ctx, src, filepath.Join(dir, "dst"), nil)
	if c.cfex != 1 {
		t.Fatalf("CopyFileExW called %d times", c.cfex)
	}
	if !routineCalled {
		if v := winsys.WineVersion(); v != "" {
			// The copy completed, then CopyFile found ctx alive: nothing
			// to cancel with.
			if err != nil {
				t.Errorf("CopyFile: %v", err)
			}
			t.Skipf("Wine %s's CopyFileExW never calls its progress routine", v)
		}
		t.Fatalf("CopyFileExW never called its progress routine")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled CopyFileExW: %v, want context.Canceled", err)
	}
	wantNames(t, dir, "src")
}

// TestWindowsCopyFileProgress: monotonic, at most 64 MiB apart, ending at
// the total, for each engine.
func TestWindowsCopyFileProgress(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	const total = 64*MiB + 1
	writeFile(t, src, randBytes(total, 1))
	for _, eng := range wcEngines {
		defer eng.set()()
		var calls [][2]int64
		dst := filepath.Join(dir, "dst-"+eng.name)
		_, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{
			Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) },
		})
		if err != nil {
			t.Fatal(err)
		}
		var prev int64
		for i, c := range calls {
			// Wine's CopyFileExW calls no progress routine: only the call
			// at the end comes.
			gapOK := c[0]-prev <= 64*MiB || eng.name == "CopyFileExW" && winsys.WineVersion() != ""
			if c[1] != total || c[0] < prev || c[0] > total || !gapOK {
				t.Errorf("%s: progress call %d: (%d, %d) after done=%d; total %d", eng.name, i, c[0], c[1], prev, total)
			}
			prev = c[0]
		}
		if len(calls) == 0 || calls[len(calls)-1][0] != total {
			t.Errorf("%s: progress calls %v, want the last at the total", eng.name, calls)
		}
		if eng.name != "CopyFileExW" && len(calls) < 4 {
			t.Errorf("%s: %d progress calls for a 64 MiB copy, want several", eng.name, len(calls))
		}
	}
}

// TestWindowsCopyFileReplace: Replace over an existing file, and without it
// fs.ErrExist, with each engine; a read-only source makes a read-only copy.
func TestWindowsCopyFileReplace(t *testing.T) {
	dir := tempDir(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	data := randBytes(3*MiB, 1)
	writeFile(t, src, data)
	for _, eng := range wcEngines {
		defer eng.set()()
		writeFile(t, dst, []byte("old"))
		if _, err := extfs.CopyFile(context.Background(), src, dst, nil); !errors.Is(err, fs.ErrExist) {
			t.Errorf("%s: CopyFile over a file without Replace: %v, want fs.ErrExist", eng.name, err)
		}
		if _, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace}); err != nil {
			t.Fatalf("%s: %v", eng.name, err)
		}
		if sum(readAll(t, dst)) != sum(data) {
			t.Errorf("%s: replaced destination differs", eng.name)
		}
		wantNames(t, dir, "src", "dst")
	}

	// A read-only source, copied with Replace (synced through a handle that
	// a read-only file does not grant by itself).
	ro := filepath.Join(dir, "ro")
	writeFile(t, ro, data[:100000])
	if err := os.Chmod(ro, 0o444); err != nil {
		t.Fatal(err)
	}
	for _, eng := range wcEngines {
		defer eng.set()()
		for _, p := range []extfs.Preserve{0, extfs.PreserveMode} {
			rdst := filepath.Join(dir, "rdst")
			if _, err := extfs.CopyFile(context.Background(), ro, rdst, &extfs.CopyOptions{Existing: extfs.ExistingReplace, Preserve: p}); err != nil {
				t.Fatalf("%s, preserve %v: read-only source: %v", eng.name, p, err)
			}
			fi, err := os.Stat(rdst)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm()&0o200 != 0 {
				t.Errorf("%s, preserve %v: copy of a read-only file has mode %v", eng.name, p, fi.Mode())
			}
			if sum(readAll(t, rdst)) != sum(data[:100000]) {
				t.Errorf("%s: copy of the read-only file differs", eng.name)
			}
			os.Chmod(rdst, 0o666)
			os.Remove(rdst)
		}
	}
	os.Chmod(ro, 0o666)
}

// TestWindowsCopyFileTimes: without PreserveTimes the copy is written now,
// with it it takes the source's times, whichever engine copies.
func TestWindowsCopyFileTimes(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	writeFile(t, src, randBytes(2*MiB, 1))
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(src, old, old); err != nil {
		t.Fatal(err)
	}
	for _, eng := range wcEngines {
		defer eng.set()()
		for _, p := range []extfs.Preserve{0, extfs.PreserveTimes} {
			dst := filepath.Join(dir, fmt.Sprintf("dst-%s-%v", eng.name, p))
			if _, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Preserve: p}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(dst)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.ModTime().Equal(old); got != (p != 0) {
				t.Errorf("%s, preserve %v: mtime %v (source's %v)", eng.name, p, fi.ModTime(), old)
			}
		}
	}
}

// TestWindowsCopyFileSparse: every SparseMode copies the bytes; SparseAlways
// finds the zero blocks (Wine has no sparse files: the source is all data).
func TestWindowsCopyFileSparse(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	data := randBytes(4*MiB, 1)
	clear(data[MiB : 3*MiB])
	writeFile(t, src, data)
	for _, eng := range wcEngines {
		defer eng.set()()
		for _, sm := range []extfs.SparseMode{extfs.SparseAuto, extfs.SparseAlways, extfs.SparseNever} {
			for _, cow := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
				dst := filepath.Join(dir, fmt.Sprintf("dst-%s-%v-%v", eng.name, sm, cow))
				st, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Sparse: sm, CoW: cow})
				if err != nil {
					t.Fatalf("%s, %v, %v: %v", eng.name, sm, cow, err)
				}
				if sum(readAll(t, dst)) != sum(data) {
					t.Errorf("%s, %v, %v: copy differs", eng.name, sm, cow)
				}
				if want := int64(0); sm == extfs.SparseAlways {
					if st.HoleBytes != 2*MiB || st.CopiedBytes != 2*MiB {
						t.Errorf("%s, %v, %v: stats %+v, want the 2 MiB of zeros as holes", eng.name, sm, cow, st)
					}
				} else if st.HoleBytes != want && winsys.WineVersion() != "" {
					t.Errorf("%s, %v, %v: %d hole bytes in a file that is not sparse", eng.name, sm, cow, st.HoleBytes)
				}
			}
		}
	}
}

// TestWindowsCopyLeaksNoHandles: overlapped copies close the handles and
// the port they open, on success and on cancellation.
func TestWindowsCopyLeaksNoHandles(t *testing.T) {
	defer extfs.SetReadWrite(true, 0, 0)()
	dir := tempDir(t)
	data := randBytes(2*MiB+1, 1)
	writeFile(t, filepath.Join(dir, "src"), data)
	src := openFile(t, filepath.Join(dir, "src"), os.O_RDONLY)
	dst := openFile(t, filepath.Join(dir, "dst"), os.O_RDWR|os.O_CREATE)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checkNoLeak(t, func() {
		if n, err := src.CopyRange(dst, 0, 0, int64(len(data))); err != nil || n != int64(len(data)) {
			t.Fatalf("CopyRange = %d, %v", n, err)
		}
		extfs.OverlappedCopy(ctx, src, dst, 0, 0, int64(len(data)), 4096, 4)
	})
}

// BenchmarkWindowsReadWrite compares the two ways of reading and writing,
// 64 MiB at a time between cached files: overlapped I/O with buffers of
// several sizes and counts, and the portable pipeline it must beat.
func BenchmarkWindowsReadWrite(b *testing.B) {
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer removeTree(dir)
	const n = 64 * MiB
	writeFile(b, filepath.Join(dir, "src"), randBytes(n, 1))
	src := openFile(b, filepath.Join(dir, "src"), os.O_RDONLY)
	dst := openFile(b, filepath.Join(dir, "dst"), os.O_RDWR|os.O_CREATE)
	b.Run("pipeline", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			if _, err := extfs.PipelineCopy(context.Background(), src, dst, 0, 0, n); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct{ bufSize, depth int }{{MiB, 2}, {MiB, 4}, {MiB, 8}, {256 << 10, 4}, {256 << 10, 16}, {4 * MiB, 4}} {
		b.Run(fmt.Sprintf("overlapped-%dKiBx%d", c.bufSize>>10, c.depth), func(b *testing.B) {
			b.SetBytes(n)
			for b.Loop() {
				if _, _, err := extfs.OverlappedCopy(context.Background(), src, dst, 0, 0, n, c.bufSize, c.depth); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("CopyFileExW", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			d := filepath.Join(dir, "cf")
			if err := winsys.CopyFile(filepath.Join(dir, "src"), d, 0, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	dst.Close()
	src.Close()
}

// TestWindowsCopyFileExFallback: where CopyFileExW cannot open the source
// (a sharing violation: another process holds it open for writing) CopyFile
// copies through its own handle; any other failure is CopyFile's.
func TestWindowsCopyFileExFallback(t *testing.T) {
	defer extfs.SetCopyFileEx(true)()
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	data := randBytes(2*MiB+7, 1)
	writeFile(t, src, data)
	cf := *extfs.CopyFileExP
	defer func() { *extfs.CopyFileExP = cf }()
	for _, errno := range []syscall.Errno{windows.ERROR_SHARING_VIOLATION, windows.ERROR_ACCESS_DENIED} {
		calls := 0
		*extfs.CopyFileExP = func(string, string, uint32, func(*winsys.CopyProgress) bool) error {
			calls++
			return errno
		}
		dst := filepath.Join(dir, "dst")
		st, err := extfs.CopyFile(context.Background(), src, dst, nil)
		if calls != 1 {
			t.Errorf("%v: CopyFileExW called %d times, want once", errno, calls)
		}
		if errno == windows.ERROR_SHARING_VIOLATION {
			if err != nil || st.ByMethod[extfs.MethodReadWrite] != 1 {
				t.Errorf("%v: %+v, %v; want a copy by reading and writing", errno, st, err)
			} else if sum(readAll(t, dst)) != sum(data) {
				t.Errorf("%v: the copy differs", errno)
			}
			os.Remove(dst)
		} else {
			if !errors.Is(err, errno) {
				t.Errorf("%v: CopyFile: %v, want that error", errno, err)
			}
			var le *os.LinkError
			if !errors.As(err, &le) || le.Op != "CopyFileExW" {
				t.Errorf("%v: %#v, want an *os.LinkError for CopyFileExW", errno, err)
			}
		}
		wantNames(t, dir, "src")
	}
}

// The portable CopyFile tests (copy_test.go) run in tempDir: t.TempDir's
// cleanup fails under Wine. Under Wine 8, os.SameFile does not tell a
// file renamed over another from the old one, and a symbolic link made by
// os.Symlink cannot be followed (GetFileAttributesEx: file not found).
func init() {
	cpTempDir = tempDir
	if winsys.WineVersion() != "" {
		cpSystem.fileIDs, cpSystem.symlinks = false, false
	}
}

// TestWindowsCloneLimit: a clone refused because a cluster is shared too
// many times (ERROR_BLOCK_TOO_MANY_REFERENCES, faked here: Wine cannot
// clone) matches ErrCloneLimit and not ErrNotSupported; CoWAuto copies
// instead, CoWAlways, Clone and CloneRange return it and leave nothing.
func TestWindowsCloneLimit(t *testing.T) {
	dir := tempDir(t)
	defer extfs.ForceCloneAttempt()()
	defer extfs.SetCopyFileEx(false)()
	dup := *extfs.DuplicateExtentsP
	defer func() { *extfs.DuplicateExtentsP = dup }()
	var calls int
	*extfs.DuplicateExtentsP = func(windows.Handle, windows.Handle, winsys.CloneChunk) error {
		calls++
		return windows.ERROR_BLOCK_TOO_MANY_REFERENCES
	}
	src := filepath.Join(dir, "src")
	data := randBytes(MiB+5, 1)
	writeFile(t, src, data)

	st, err := extfs.CopyFile(context.Background(), src, filepath.Join(dir, "auto"), nil)
	if err != nil {
		t.Fatalf("CoWAuto at the clone limit: %v, want a copy", err)
	}
	if calls == 0 || st.ClonedBytes != 0 || st.CopiedBytes != int64(len(data)) {
		t.Errorf("CoWAuto at the clone limit: %d clone calls, stats %+v; want a tried clone, then a copy", calls, st)
	}
	if sum(readAll(t, filepath.Join(dir, "auto"))) != sum(data) {
		t.Errorf("CoWAuto at the clone limit: the copy differs")
	}
	wantLimit := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, extfs.ErrCloneLimit) || !errors.Is(err, windows.ERROR_BLOCK_TOO_MANY_REFERENCES) {
			t.Errorf("%s: %v, want ErrCloneLimit keeping ERROR_BLOCK_TOO_MANY_REFERENCES", what, err)
		}
		if errors.Is(err, extfs.ErrNotSupported) {
			t.Errorf("%s: %v matches ErrNotSupported", what, err)
		}
	}
	_, err = extfs.CopyFile(context.Background(), src, filepath.Join(dir, "always"), &extfs.CopyOptions{CoW: extfs.CoWAlways})
	wantLimit("CoWAlways", err)
	wantLimit("Clone", extfs.Clone(src, filepath.Join(dir, "clone")))
	wantNames(t, dir, "auto", "src")

	sf := openFile(t, src, os.O_RDONLY)
	df := openFile(t, filepath.Join(dir, "auto"), os.O_RDWR)
	wantLimit("CloneRange", sf.CloneRange(df, 0, 0, MiB))
	if got := size(t, df); got != int64(len(data)) {
		t.Errorf("a refused CloneRange left the destination %d bytes, want %d", got, len(data))
	}
}

// TestWindowsCloneFlushesSource: a source is flushed before its first
// clone, not again while unchanged, and again once written (the ReFS
// workaround; Wine's answer to the clone itself is ERROR_NOT_SUPPORTED).
// The flush goes through a handle opened again for writing: CopyFile
// opens the source read-only.
func TestWindowsCloneFlushesSource(t *testing.T) {
	dir := tempDir(t)
	defer extfs.ForceCloneAttempt()()
	defer extfs.SetCopyFileEx(false)()
	flush := *extfs.FlushSourceP
	defer func() { *extfs.FlushSourceP = flush }()
	var flushes int
	var flushErr error
	*extfs.FlushSourceP = func(h windows.Handle) error {
		flushes++
		flushErr = flush(h)
		return flushErr
	}
	src := filepath.Join(dir, "src")
	writeFile(t, src, randBytes(64<<10, 1))
	copyAuto := func(want int) {
		t.Helper()
		dst := filepath.Join(dir, "dst")
		if _, err := extfs.CopyFile(context.Background(), src, dst, nil); err != nil {
			t.Fatal(err)
		}
		os.Remove(dst)
		if flushes != want || flushErr != nil {
			t.Errorf("%d flushes (last: %v), want %d", flushes, flushErr, want)
		}
	}
	copyAuto(1)
	copyAuto(1)
	time.Sleep(20 * time.Millisecond) // a write time that differs
	writeFile(t, src, randBytes(64<<10, 2))
	copyAuto(2)
	copyAuto(2)
}
