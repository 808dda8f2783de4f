//go:build linux

package extfs_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"golang.org/x/sys/unix"
)

// Fuzz targets. `go test` runs each on its seeds; CI fuzzes each briefly
// (scripts/test.sh), and longer runs are for a person:
//
//	go test -run '^$' -fuzz FuzzDirResolve -fuzztime 10m .

// FuzzDirResolve: whatever the name, a Dir opens only files beneath its
// root, and the two resolvers (openat2 RESOLVE_BENEATH and the component
// walk) agree on what a name opens, or both refuse it.
func FuzzDirResolve(f *testing.F) {
	for _, s := range []string{
		"a", "sub/b", "sub/../a", "./sub/./b", "sub//b/", "", ".", "..", "../outside",
		"up/outside", "/etc/passwd", "abs/passwd", "in", "loop", "sub/up2/outside",
		"sub/../../outside", "a/", "a\x00b", strings.Repeat("sub/../", 50) + "a",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	outside := filepath.Join(root, "outside")
	tree := filepath.Join(root, "tree")
	must := func(err error) {
		if err != nil {
			f.Fatal(err)
		}
	}
	must(os.WriteFile(outside, []byte("outside"), 0o644))
	must(os.MkdirAll(filepath.Join(tree, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(tree, "a"), []byte("a"), 0o644))
	must(os.WriteFile(filepath.Join(tree, "sub", "b"), []byte("b"), 0o644))
	must(os.Symlink("..", filepath.Join(tree, "up")))
	must(os.Symlink("../..", filepath.Join(tree, "sub", "up2")))
	must(os.Symlink("/etc", filepath.Join(tree, "abs")))
	must(os.Symlink("sub/b", filepath.Join(tree, "in")))
	must(os.Symlink("loop", filepath.Join(tree, "loop")))
	// Everything beneath the root, by (device, inode).
	inside := map[[2]uint64]bool{}
	filepath.WalkDir(tree, func(p string, _ fs.DirEntry, err error) error {
		var st unix.Stat_t
		if err == nil && unix.Stat(p, &st) == nil {
			inside[[2]uint64{st.Dev, st.Ino}] = true
		}
		return nil
	})
	d, err := extfs.OpenDir(tree)
	must(err)
	f.Cleanup(func() { d.Close() })

	open := func(t *testing.T, walk bool, name string) ([2]uint64, error) {
		prev := extfs.SetDirWalk(walk)
		defer extfs.SetDirWalk(prev)
		g, err := d.OpenFile(name, os.O_RDONLY, 0)
		if err != nil {
			return [2]uint64{}, err
		}
		defer g.Close()
		var st unix.Stat_t
		if err := unix.Fstat(int(g.OSFile().Fd()), &st); err != nil {
			t.Fatal(err)
		}
		return [2]uint64{st.Dev, st.Ino}, nil
	}
	f.Fuzz(func(t *testing.T, name string) {
		id2, err2 := open(t, false, name)
		idw, errw := open(t, true, name)
		for _, r := range []struct {
			how string
			id  [2]uint64
			err error
		}{{"openat2", id2, err2}, {"walk", idw, errw}} {
			if r.err == nil && !inside[r.id] {
				t.Fatalf("%s: OpenFile(%q) opened something outside the Dir", r.how, name)
			}
			if r.err != nil && strings.ContainsRune(name, 0) && !errors.Is(r.err, fs.ErrInvalid) {
				t.Errorf("%s: OpenFile(%q) = %v, want fs.ErrInvalid for a NUL byte", r.how, name, r.err)
			}
		}
		if (err2 == nil) != (errw == nil) || id2 != idw {
			t.Fatalf("OpenFile(%q): openat2 %v, %v; walk %v, %v", name, id2, err2, idw, errw)
		}
	})
}

// FuzzFallocate: every mode and range either does what the mode says, or
// fails and leaves the file as it was; bad arguments match fs.ErrInvalid.
func FuzzFallocate(f *testing.F) {
	const size = 64 << 10
	for _, s := range []struct {
		mode   uint8
		off, n int64
	}{
		{0, 0, 4096}, {1, 100, 5000}, {3, 4096, 8192}, {4, 0, 1}, {5, 60000, 20000},
		{8, 4096, 4096}, {16, 8192, 4096}, {32, 0, size}, {33, 0, 4096}, {255, 0, 1},
		{0, -1, 10}, {0, 10, -1}, {0, 1<<62 + 1, 1 << 62}, {2, 0, 4096},
	} {
		f.Add(s.mode, s.off, s.n)
	}
	data := randBytes(size, 42)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, mode uint8, off, n int64) {
		// Keep ranges small (a fuzzed 1 TiB preallocation would fill the
		// disk), but keep negative and overflowing values as they are.
		if off >= 0 && n >= 0 && off <= 1<<62 {
			off, n = off%(4*size), n%(2*size)
		}
		name := filepath.Join(dir, "f")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := extfs.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		m := extfs.AllocMode(mode)
		err = g.Fallocate(m, off, n)
		got, rerr := os.ReadFile(name)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if !bytes.Equal(got, data) {
				t.Fatalf("Fallocate(%v, %d, %d) failed (%v) and changed the file", m, off, n, err)
			}
			if (off < 0 || n <= 0) && !errors.Is(err, fs.ErrInvalid) {
				t.Fatalf("Fallocate(%v, %d, %d) = %v, want fs.ErrInvalid", m, off, n, err)
			}
			return
		}
		want := bytes.Clone(data)
		grow := func(end int64) {
			if end > int64(len(want)) {
				want = append(want, make([]byte, end-int64(len(want)))...)
			}
		}
		zero := func() {
			if off < int64(len(want)) {
				clear(want[off:min(off+n, int64(len(want)))])
			}
		}
		keep := m&extfs.AllocKeepSize != 0
		switch m &^ extfs.AllocKeepSize {
		case 0, extfs.AllocUnshareRange:
			if !keep {
				grow(off + n)
			}
		case extfs.AllocPunchHole:
			zero()
		case extfs.AllocZeroRange:
			zero()
			if !keep {
				grow(off + n)
			}
		case extfs.AllocCollapseRange:
			want = append(want[:off], want[off+n:]...)
		case extfs.AllocInsertRange:
			want = append(want[:off], append(make([]byte, n), want[off:]...)...)
		default:
			t.Fatalf("Fallocate(%v, %d, %d) succeeded with a mode fallocate(2) has no meaning for", m, off, n)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Fallocate(%v, %d, %d): %d bytes, want %d, or content differs", m, off, n, len(got), len(want))
		}
	})
}

// FuzzXattr: any name and value is set and read back, or refused with an
// error (fs.ErrInvalid for names no filesystem takes), never a panic.
func FuzzXattr(f *testing.F) {
	for _, s := range []string{"user.a", "user.", "user", "", "user.a\x00b", "trusted.x", "user." + strings.Repeat("n", 300), "nope.x"} {
		f.Add(s, []byte("v"))
	}
	name := filepath.Join(f.TempDir(), "f")
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		f.Fatal(err)
	}
	g, err := extfs.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { g.Close() })
	f.Fuzz(func(t *testing.T, attr string, value []byte) {
		err := g.SetXattr(attr, value, 0)
		if err != nil {
			bad := !strings.HasPrefix(attr, "user.") && !strings.HasPrefix(attr, "trusted.") &&
				!strings.HasPrefix(attr, "security.") && !strings.HasPrefix(attr, "system.")
			if (bad || strings.ContainsRune(attr, 0)) && !errors.Is(err, fs.ErrInvalid) {
				t.Fatalf("SetXattr(%q) = %v, want fs.ErrInvalid", attr, err)
			}
			return
		}
		got, err := g.GetXattr(attr)
		if err != nil || !bytes.Equal(got, value) {
			t.Fatalf("GetXattr(%q) = %q, %v; want %q", attr, got, err, value)
		}
		if err := g.RemoveXattr(attr); err != nil && !errors.Is(err, syscall.ENODATA) {
			t.Fatalf("RemoveXattr(%q): %v", attr, err)
		}
	})
}

// rangeModel is what a ranged copy or clone of k bytes does to dst.
func rangeModel(dst, src []byte, srcOff, dstOff, k int64) []byte {
	out := bytes.Clone(dst)
	if k <= 0 {
		return out
	}
	if end := dstOff + k; end > int64(len(out)) {
		out = append(out, make([]byte, end-int64(len(out)))...)
	}
	copy(out[dstOff:], src[srcOff:srcOff+k])
	return out
}

const fuzzSrcSize, fuzzDstSize = 96 << 10, 40 << 10

// boundRange keeps fuzzed ranges near the files (bad values stay bad).
func boundRange(srcOff, dstOff, n int64) (int64, int64, int64) {
	if srcOff >= 0 && dstOff >= 0 && n >= 0 && srcOff <= 1<<62 && dstOff <= 1<<62 {
		return srcOff % (2 * fuzzSrcSize), dstOff % (2 * fuzzSrcSize), n % (2 * fuzzSrcSize)
	}
	return srcOff, dstOff, n
}

// fuzzRange runs op on fresh copies of two files in dir and checks the
// outcome against the model: k bytes of src at srcOff land at dstOff of
// dst, k = min(n, what src has past srcOff); a refusal changes nothing;
// bad arguments match fs.ErrInvalid.
func fuzzRange(t *testing.T, dir string, srcOff, dstOff, n int64,
	op func(src, dst *extfs.File) (int64, error), counts bool, refusable func(error) bool) {
	const srcSize, dstSize = fuzzSrcSize, fuzzDstSize
	srcData, dstData := randBytes(srcSize, 7), randBytes(dstSize, 8)
	sname, dname := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.WriteFile(sname, srcData, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dname, dstData, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := extfs.Open(sname)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := extfs.OpenFile(dname, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, err := op(src, dst)
	after, rerr := os.ReadFile(dname)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		if !bytes.Equal(after, dstData) {
			t.Fatalf("(%d, %d, %d) failed (%v) and changed dst", srcOff, dstOff, n, err)
		}
		bad := srcOff < 0 || dstOff < 0 || n < 0 || srcOff > 1<<62 || dstOff > 1<<62
		if bad && !errors.Is(err, fs.ErrInvalid) {
			t.Fatalf("(%d, %d, %d) = %v, want fs.ErrInvalid", srcOff, dstOff, n, err)
		}
		if !bad && !refusable(err) {
			t.Fatalf("(%d, %d, %d): %v", srcOff, dstOff, n, err)
		}
		return
	}
	k := max(0, min(n, srcSize-srcOff))
	if counts && got != k {
		t.Fatalf("(%d, %d, %d) moved %d bytes, want %d", srcOff, dstOff, n, got, k)
	}
	if want := rangeModel(dstData, srcData, srcOff, dstOff, k); !bytes.Equal(after, want) {
		t.Fatalf("(%d, %d, %d): dst is %d bytes, want %d, or content differs", srcOff, dstOff, n, len(after), len(want))
	}
}

// FuzzCopyRange: CopyRange against the model, on the test's filesystem.
func FuzzCopyRange(f *testing.F) {
	for _, s := range [][3]int64{{0, 0, 4096}, {100, 50000, 70000}, {90000, 0, 1 << 20}, {0, 1 << 20, 10}, {-1, 0, 1}, {0, 0, 0}, {1<<62 + 5, 0, 1 << 62}} {
		f.Add(s[0], s[1], s[2])
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, srcOff, dstOff, n int64) {
		srcOff, dstOff, n = boundRange(srcOff, dstOff, n)
		fuzzRange(t, dir, srcOff, dstOff, n, func(s, d *extfs.File) (int64, error) {
			return s.CopyRange(d, srcOff, dstOff, n)
		}, true, func(error) bool { return false })
	})
}

// FuzzCloneRange: CloneRange against the model on the test's filesystem,
// where a misaligned range may be refused (fs.ErrInvalid) and a filesystem
// that cannot clone says ErrNotSupported. Point EXTFS_FUZZ_DIR at an XFS or
// btrfs mount to fuzz real clones.
func FuzzCloneRange(f *testing.F) {
	for _, s := range [][3]int64{{0, 0, 4096}, {4096, 8192, 8192}, {90112, 0, 8192}, {90112, 40960, 1 << 20}, {1, 0, 4096}, {0, 0, 0}} {
		f.Add(s[0], s[1], s[2])
	}
	dir := f.TempDir()
	if d := os.Getenv("EXTFS_FUZZ_DIR"); d != "" {
		// A directory of this process's own: fuzzing runs several.
		var err error
		if dir, err = os.MkdirTemp(d, "fuzz-"); err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { os.RemoveAll(dir) })
	}
	f.Fuzz(func(t *testing.T, srcOff, dstOff, n int64) {
		srcOff, dstOff, n = boundRange(srcOff, dstOff, n)
		fuzzRange(t, dir, srcOff, dstOff, n, func(s, d *extfs.File) (int64, error) {
			return 0, s.CloneRange(d, srcOff, dstOff, n)
		}, false, func(err error) bool {
			return errors.Is(err, fs.ErrInvalid) || errors.Is(err, extfs.ErrNotSupported)
		})
	})
}
