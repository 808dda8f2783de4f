//go:build linux

package extfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// crFiles makes a source holding data and an empty destination in dir,
// opened through extfs (read-only, read-write), with their offsets moved
// away from 0 so that a test can see they do not move.
func crFiles(t testing.TB, dir string, data []byte) (src, dst *extfs.File) {
	t.Helper()
	writeSynced(t, join(dir, "src"), data)
	src = openFile(t, join(dir, "src"), os.O_RDONLY)
	dst = openFile(t, join(dir, "dst"), os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	_, err := src.Seek(17, io.SeekStart)
	noErr(t, "seek", err)
	_, err = dst.Seek(29, io.SeekStart)
	noErr(t, "seek", err)
	return src, dst
}

// crWantOffsets fails unless src and dst are at the offsets crFiles set.
func crWantOffsets(t testing.TB, src, dst *extfs.File) {
	t.Helper()
	for _, c := range []struct {
		f    *extfs.File
		want int64
	}{{src, 17}, {dst, 29}} {
		if off, err := c.f.Seek(0, io.SeekCurrent); err != nil || off != c.want {
			t.Errorf("%s: offset %d (%v), want %d unchanged", c.f.Name(), off, err, c.want)
		}
	}
}

// crWantContent fails unless the file at path is want.
func crWantContent(t testing.TB, path string, want []byte) {
	t.Helper()
	if diff := diffBytes(readAll(t, path), want); diff != "" {
		t.Errorf("%s: %s", path, diff)
	}
}

// TestCopyRange copies ranges at odd offsets on every filesystem.
func TestCopyRange(t *testing.T) {
	data := randBytes(3*MiB+5, 1)
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		for _, c := range []struct{ srcOff, dstOff, n int64 }{
			{0, 0, int64(len(data))},
			{1, 0, 4095},
			{4096, 8192, 4096},
			{12345, 777, 2*MiB + 3},
			{0, 5 * MiB, 100}, // past the destination's end: a hole before
		} {
			t.Run(fmt.Sprintf("%d-%d-%d", c.srcOff, c.dstOff, c.n), func(t *testing.T) {
				dir := fsys.TempDir(t)
				src, dst := crFiles(t, dir, data)
				n, err := src.CopyRange(dst, c.srcOff, c.dstOff, c.n)
				noErr(t, "CopyRange", err)
				if n != c.n {
					t.Errorf("copied %d bytes, want %d", n, c.n)
				}
				want := make([]byte, c.dstOff+c.n)
				copy(want[c.dstOff:], data[c.srcOff:c.srcOff+c.n])
				crWantContent(t, join(dir, "dst"), want)
				crWantOffsets(t, src, dst)
			})
		}
	})
}

// TestCopyRangeEOF: a range past the source's end copies what there is.
func TestCopyRangeEOF(t *testing.T) {
	dir := t.TempDir()
	data := randBytes(10000, 2)
	src, dst := crFiles(t, dir, data)
	n, err := src.CopyRange(dst, 9000, 0, 5000)
	if err != nil || n != 1000 {
		t.Errorf("CopyRange over the end: %d, %v; want 1000, nil", n, err)
	}
	crWantContent(t, join(dir, "dst"), data[9000:])
	for _, off := range []int64{10000, 20000} {
		n, err = src.CopyRange(dst, off, 0, 10)
		if err != nil || n != 0 {
			t.Errorf("CopyRange from %d, at or after the end: %d, %v; want 0, nil", off, n, err)
		}
	}
	n, err = src.CopyRange(dst, 0, 0, 0)
	if err != nil || n != 0 {
		t.Errorf("CopyRange of 0 bytes: %d, %v", n, err)
	}
	crWantOffsets(t, src, dst)
}

// TestCopyRangeSameFile: inside one file, disjoint ranges copy and
// overlapping ones are refused.
func TestCopyRangeSameFile(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		data := randBytes(64<<10, 3)
		writeSynced(t, join(dir, "f"), data)
		f := openFile(t, join(dir, "f"), os.O_RDWR)
		g := openFile(t, join(dir, "f"), os.O_RDWR) // same inode, other descriptor

		for _, pair := range [][2]*extfs.File{{f, f}, {f, g}} {
			_, err := pair[0].CopyRange(pair[1], 0, 4096, 8192)
			wantErr(t, "overlapping CopyRange", err, fs.ErrInvalid, syscall.EINVAL)
			_, err = pair[0].CopyRange(pair[1], 8192, 0, 8193)
			wantErr(t, "overlapping CopyRange", err, fs.ErrInvalid)
		}
		crWantContent(t, join(dir, "f"), data)

		n, err := f.CopyRange(f, 0, 32<<10, 16<<10)
		if err != nil || n != 16<<10 {
			t.Fatalf("disjoint CopyRange in one file: %d, %v", n, err)
		}
		copy(data[32<<10:], data[:16<<10])
		crWantContent(t, join(dir, "f"), data)
	}, testfs.Ext4, testfs.XFS, testfs.Tmpfs)
}

// TestCopyRangeErrors: bad arguments are refused before any system call.
func TestCopyRangeErrors(t *testing.T) {
	dir := t.TempDir()
	src, dst := crFiles(t, dir, []byte("hello"))
	ro := openFile(t, join(dir, "dst"), os.O_RDONLY)
	wo := openFile(t, join(dir, "src"), os.O_WRONLY)
	app := openFile(t, join(dir, "dst"), os.O_WRONLY|os.O_APPEND)
	d := openFile(t, dir, os.O_RDONLY)
	closed, err := extfs.Open(join(dir, "src"))
	noErr(t, "open", err)
	closed.Close()

	for _, c := range []struct {
		name     string
		src, dst *extfs.File
		so, do   int64
		n        int64
		targets  []error
	}{
		{"negative source offset", src, dst, -1, 0, 1, []error{fs.ErrInvalid}},
		{"negative destination offset", src, dst, 0, -1, 1, []error{fs.ErrInvalid}},
		{"negative length", src, dst, 0, 0, -1, []error{fs.ErrInvalid}},
		{"overflowing source range", src, dst, math.MaxInt64 - 1, 0, 2, []error{fs.ErrInvalid}},
		{"overflowing destination range", src, dst, 0, math.MaxInt64, 1, []error{fs.ErrInvalid}},
		{"nil source", nil, dst, 0, 0, 1, []error{fs.ErrInvalid}},
		{"nil destination", src, nil, 0, 0, 1, []error{fs.ErrInvalid}},
		{"closed source", closed, dst, 0, 0, 1, []error{fs.ErrClosed}},
		{"closed destination", src, closed, 0, 0, 1, []error{fs.ErrClosed}},
		{"read-only destination", src, ro, 0, 0, 1, []error{syscall.EBADF}},
		{"write-only source", wo, dst, 0, 0, 1, []error{syscall.EBADF}},
		{"O_APPEND destination", src, app, 0, 0, 1, []error{syscall.EBADF}},
		{"directory source", d, dst, 0, 0, 1, []error{syscall.EISDIR}},
		{"directory destination", src, d, 0, 0, 1, []error{syscall.EISDIR}},
	} {
		n, err := c.src.CopyRange(c.dst, c.so, c.do, c.n)
		if n != 0 {
			t.Errorf("%s: copied %d bytes", c.name, n)
		}
		wantErr(t, c.name, err, c.targets...)
		var le *os.LinkError
		if err != nil && !errors.As(err, &le) {
			t.Errorf("%s: %T, want *os.LinkError", c.name, err)
		}
	}
	crWantContent(t, join(dir, "dst"), nil)
}

// crFallbacks are the errnos of copy_file_range that mean "use something
// else", with the filesystem or kernel that returns each.
var crFallbacks = []struct {
	errno syscall.Errno
	why   string
}{
	{unix.EXDEV, "across filesystems"},
	{unix.EINVAL, "special files"},
	{unix.EOPNOTSUPP, "NFS"},
	{unix.ENOSYS, "old kernels"},
	{unix.EIO, "CIFS"},
	{unix.EPERM, "old Docker seccomp"},
}

// crSwap replaces *p with v until the test ends.
func crSwap[T any](t *testing.T, p *T, v T) {
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}

// TestCopyRangeFallback makes copy_file_range fail with each fallback errno,
// then splice too: CopyRange must attempt each, land on the next mechanism,
// copy the right bytes to the right place, and try copy_file_range again on
// the next call (a per-call failure is not remembered).
func TestCopyRangeFallback(t *testing.T) {
	data := randBytes(3*MiB+77, 4)
	const srcOff, dstOff = 1000, 5000
	n := int64(len(data) - srcOff)
	want := make([]byte, dstOff+n)
	copy(want[dstOff:], data[srcOff:])
	for _, fb := range crFallbacks {
		for _, spliceToo := range []bool{false, true} {
			name := fb.errno.Error()
			if spliceToo {
				name += "/splice-EINVAL"
			}
			t.Run(name, func(t *testing.T) {
				var cfrCalls, spliceCalls int
				crSwap(t, extfs.CopyFileRangeP, func(int, *int64, int, *int64, int, int) (int, error) {
					cfrCalls++
					return 0, fb.errno
				})
				realSplice := *extfs.SpliceP
				crSwap(t, extfs.SpliceP, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int64, error) {
					spliceCalls++
					if spliceToo {
						return 0, unix.EINVAL
					}
					return realSplice(rfd, roff, wfd, woff, n, flags)
				})
				dir := t.TempDir()
				src, dst := crFiles(t, dir, data)
				for call := 1; call <= 2; call++ {
					got, by, err := extfs.CopyRangeMethods(src, dst, srcOff, dstOff, n)
					noErr(t, "CopyRange", err)
					if got != n {
						t.Errorf("copied %d, want %d", got, n)
					}
					wantBy := map[extfs.Method]int64{extfs.MethodSplice: n}
					if spliceToo {
						wantBy = map[extfs.Method]int64{extfs.MethodReadWrite: n}
					}
					if fmt.Sprint(by) != fmt.Sprint(wantBy) {
						t.Errorf("bytes by method %v, want %v", by, wantBy)
					}
					if cfrCalls != call {
						t.Errorf("call %d: copy_file_range attempted %d times in all, want %d", call, cfrCalls, call)
					}
					if spliceCalls == 0 {
						t.Errorf("splice not attempted")
					}
					crWantContent(t, join(dir, "dst"), want)
					crWantOffsets(t, src, dst)
					noErr(t, "truncate", dst.OSFile().Truncate(0))
				}
			})
		}
	}
}

// TestCopyRangeShort: copy_file_range copying less than asked is looped on,
// and one that fails after copying some hands the rest to splice.
func TestCopyRangeShort(t *testing.T) {
	data := randBytes(MiB+3, 5)
	realCFR := *extfs.CopyFileRangeP
	t.Run("short", func(t *testing.T) {
		calls := 0
		crSwap(t, extfs.CopyFileRangeP, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int, error) {
			calls++
			return realCFR(rfd, roff, wfd, woff, min(n, 10000), flags)
		})
		dir := t.TempDir()
		src, dst := crFiles(t, dir, data)
		got, by, err := extfs.CopyRangeMethods(src, dst, 0, 0, int64(len(data)))
		if err != nil || got != int64(len(data)) || by[extfs.MethodCopyFileRange] != got {
			t.Fatalf("CopyRange: %d, %v, %v", got, by, err)
		}
		if wantCalls := (len(data) + 9999) / 10000; calls != wantCalls {
			t.Errorf("%d copy_file_range calls, want %d", calls, wantCalls)
		}
		crWantContent(t, join(dir, "dst"), data)
		crWantOffsets(t, src, dst)
	})
	t.Run("then-EXDEV", func(t *testing.T) {
		calls := 0
		crSwap(t, extfs.CopyFileRangeP, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int, error) {
			calls++
			if calls > 3 {
				return 0, unix.EXDEV
			}
			return realCFR(rfd, roff, wfd, woff, min(n, 12345), flags)
		})
		dir := t.TempDir()
		src, dst := crFiles(t, dir, data)
		got, by, err := extfs.CopyRangeMethods(src, dst, 7, 9, int64(len(data))-7)
		if err != nil || got != int64(len(data))-7 {
			t.Fatalf("CopyRange: %d, %v", got, err)
		}
		if by[extfs.MethodCopyFileRange] != 3*12345 || by[extfs.MethodSplice] != got-3*12345 {
			t.Errorf("bytes by method %v, want 3×12345 by copy_file_range, the rest by splice", by)
		}
		crWantContent(t, join(dir, "dst"), append(make([]byte, 9), data[7:]...))
	})
	t.Run("zero", func(t *testing.T) {
		// Before 5.19, copy_file_range "copied" 0 bytes from procfs files.
		crSwap(t, extfs.CopyFileRangeP, func(int, *int64, int, *int64, int, int) (int, error) { return 0, nil })
		dir := t.TempDir()
		src, dst := crFiles(t, dir, data)
		got, by, err := extfs.CopyRangeMethods(src, dst, 0, 0, int64(len(data)))
		if err != nil || got != int64(len(data)) || by[extfs.MethodSplice] != got {
			t.Fatalf("CopyRange: %d, %v, %v", got, by, err)
		}
		crWantContent(t, join(dir, "dst"), data)
	})
}

// TestCopyRangeRealError: an errno that is not a fallback is the error.
func TestCopyRangeRealError(t *testing.T) {
	crSwap(t, extfs.CopyFileRangeP, func(int, *int64, int, *int64, int, int) (int, error) { return 0, unix.ENOSPC })
	dir := t.TempDir()
	src, dst := crFiles(t, dir, []byte("data"))
	_, err := src.CopyRange(dst, 0, 0, 4)
	wantErr(t, "CopyRange", err, syscall.ENOSPC)
	var le *os.LinkError
	if !errors.As(err, &le) || le.Op != "copy_file_range" || le.Old != src.Name() || le.New != dst.Name() {
		t.Errorf("error %#v, want an *os.LinkError for copy_file_range naming both files", err)
	}
}

// TestCopyRangeReflinks documents the fact CoWNever is built around:
// copy_file_range on XFS and btrfs shares blocks instead of copying them.
func TestCopyRangeReflinks(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := crFiles(t, dir, cpData()[:4*MiB])
		_, err := src.CopyRange(dst, 0, 0, 4*MiB)
		noErr(t, "CopyRange", err)
		fiemapWantShared(t, join(dir, "dst"))
	}, testfs.XFS, testfs.Btrfs)
}

// TestCopyReadFromWriteTo: io.Copy between Files takes the kernel's path
// and moves the offsets as io.ReaderFrom and io.WriterTo say.
func TestCopyReadFromWriteTo(t *testing.T) {
	dir := t.TempDir()
	data := randBytes(MiB+9, 6)
	src, dst := crFiles(t, dir, data) // src at 17, dst at 29

	n, err := io.Copy(dst, src) // src.WriteTo(dst)
	if err != nil || n != int64(len(data)-17) {
		t.Fatalf("io.Copy: %d, %v", n, err)
	}
	if off, _ := src.Seek(0, io.SeekCurrent); off != int64(len(data)) {
		t.Errorf("source offset %d after io.Copy, want its size %d", off, len(data))
	}
	if off, _ := dst.Seek(0, io.SeekCurrent); off != 29+n {
		t.Errorf("destination offset %d after io.Copy, want %d", off, 29+n)
	}
	crWantContent(t, join(dir, "dst"), append(make([]byte, 29), data[17:]...))

	// ReadFrom with a LimitedReader of a File updates N.
	_, err = src.Seek(0, io.SeekStart)
	noErr(t, "seek", err)
	_, err = dst.Seek(0, io.SeekStart)
	noErr(t, "seek", err)
	lr := &io.LimitedReader{R: src, N: 1000}
	n, err = dst.ReadFrom(lr)
	if err != nil || n != 1000 || lr.N != 0 {
		t.Errorf("ReadFrom(LimitedReader): %d, %v, N=%d; want 1000, nil, 0", n, err, lr.N)
	}
	if off, _ := src.Seek(0, io.SeekCurrent); off != 1000 {
		t.Errorf("source offset %d, want 1000", off)
	}

	// To and from things that are not files.
	var buf bytes.Buffer
	_, err = src.Seek(0, io.SeekStart)
	noErr(t, "seek", err)
	n, err = src.WriteTo(&buf)
	if err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Errorf("WriteTo(bytes.Buffer): %d, %v", n, err)
	}
	other := openFile(t, join(dir, "other"), os.O_RDWR|os.O_CREATE)
	n, err = other.ReadFrom(strings.NewReader("from a string"))
	if err != nil || n != 13 {
		t.Errorf("ReadFrom(strings.Reader): %d, %v", n, err)
	}
	crWantContent(t, join(dir, "other"), []byte("from a string"))

	var nilFile *extfs.File
	if _, err := nilFile.ReadFrom(src); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("nil File ReadFrom: %v", err)
	}
	if _, err := nilFile.WriteTo(dst); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("nil File WriteTo: %v", err)
	}
}

// plainWriter and plainReader hide ReadFrom and WriteTo: what io.Copy did
// with a File before File had them.
type plainWriter struct{ io.Writer }
type plainReader struct{ io.Reader }

// BenchmarkCopyIOCopy compares io.Copy between two Files with the generic
// loop io.Copy used before File implemented io.ReaderFrom and io.WriterTo.
func BenchmarkCopyIOCopy(b *testing.B) {
	const size = 64 * MiB
	for _, kind := range []string{testfs.Ext4, testfs.XFS, testfs.Tmpfs} {
		fsys := testfs.Get(b, kind)
		dir := fsys.TempDir(b)
		writeSynced(b, join(dir, "src"), cpData()[:size])
		src := openFile(b, join(dir, "src"), os.O_RDONLY)
		dst := openFile(b, join(dir, "dst"), os.O_RDWR|os.O_CREATE)
		for _, impl := range []string{"extfs", "generic"} {
			b.Run(kind+"/"+impl, func(b *testing.B) {
				b.SetBytes(size)
				for b.Loop() {
					src.Seek(0, io.SeekStart)
					dst.Seek(0, io.SeekStart)
					dst.OSFile().Truncate(0)
					var err error
					if impl == "extfs" {
						_, err = io.Copy(dst, src)
					} else {
						_, err = io.Copy(plainWriter{dst}, plainReader{src})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
