package extfs_test

// The behaviour of CopyFile on every OS: the same tests run on Linux (on
// each filesystem testfs makes), under Wine, and on macOS. What differs by
// OS is stated in cpEach and cpTempDir, set by the OS's own test file.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

const MiB = 1 << 20

// cpData is the random content shared by every source: a source of size n
// holds cpData()[:n]; the sparse source holds cpData()[off:end] at each of
// its extents.
var cpData = sync.OnceValue(func() []byte { return randBytes(64*MiB, 0xc0ffee) })

// cpTempDir returns a new directory, removed after the test: t.TempDir, but
// where its cleanup cannot work (Wine: copy_windows_test.go).
var cpTempDir = func(t testing.TB) string { return t.TempDir() }

// cpEach runs fn in a new directory on each filesystem the OS's tests
// cover: on Linux each of kinds (default: all) that testfs can make
// (copy_linux_test.go); elsewhere the system's own temporary directory.
var cpEach = func(t *testing.T, fn func(t *testing.T, dir string), kinds ...string) {
	fn(t, cpTempDir(t))
}

// cpSystem is what the system under test offers that the tests rely on;
// an OS's own test file says where it differs (copy_windows_test.go).
var cpSystem = struct {
	fileIDs  bool // os.SameFile tells a file renamed over another from the old one
	symlinks bool // a symbolic link to a file can be made and followed
}{fileIDs: true, symlinks: true}

func cpWantNames(t testing.TB, dir string, want ...string) {
	t.Helper()
	got := dirNames(t, dir)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q (a temporary file left behind?)", dir, got, want)
	}
}

// cpCheckProgress checks the progress calls: done never decreases, the gap
// between calls is at most 64 MiB if every byte was copied (holes and clones
// take no time, and are done in one step), and the last call is (total,
// total).
func cpCheckProgress(t *testing.T, calls [][2]int64, total int64, copied bool) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatalf("Progress never called")
	}
	var prev int64
	for i, c := range calls {
		if c[1] != total || c[0] < prev || c[0] > total || copied && c[0]-prev > 64*MiB {
			t.Fatalf("progress call %d: (%d, %d) after done=%d; total %d", i, c[0], c[1], prev, total)
		}
		prev = c[0]
	}
	if last := calls[len(calls)-1]; last[0] != total {
		t.Errorf("last progress call (%d, %d), want done == total", last[0], last[1])
	}
}

// TestCopyFileReplace: without Replace an existing dst is an error and is
// left alone; with Replace it is replaced by a new file, atomically.
func TestCopyFileReplace(t *testing.T) {
	cpEach(t, func(t *testing.T, dir string) {
		src, dst := join(dir, "src"), join(dir, "dst")
		data := randBytes(100_000, 3)
		writeSynced(t, src, data)
		writeSynced(t, dst, []byte("old"))
		old, err := os.Stat(dst)
		noErr(t, "stat", err)

		_, err = extfs.CopyFile(context.Background(), src, dst, nil)
		wantErr(t, "CopyFile onto an existing file", err, fs.ErrExist)
		if string(readAll(t, dst)) != "old" {
			t.Fatal("dst changed")
		}

		_, err = extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
		noErr(t, "CopyFile Replace", err)
		if diff := diffBytes(readAll(t, dst), data); diff != "" {
			t.Fatal(diff)
		}
		if now, err := os.Stat(dst); err == nil && cpSystem.fileIDs && os.SameFile(now, old) {
			t.Error("Replace wrote into the old file instead of replacing it")
		}
		cpWantNames(t, dir, "src", "dst")

		// A directory is not replaced, nor copied into.
		noErr(t, "mkdir", os.Mkdir(join(dir, "d"), 0o755))
		_, err = extfs.CopyFile(context.Background(), src, join(dir, "d"), &extfs.CopyOptions{Existing: extfs.ExistingReplace})
		if err == nil {
			t.Error("CopyFile replaced a directory")
		}
		_, err = extfs.CopyFile(context.Background(), join(dir, "d"), join(dir, "x"), nil)
		wantErr(t, "CopyFile of a directory", err, syscall.EISDIR)
		cpWantNames(t, dir, "src", "dst", "d")
	}, testfs.Ext4, testfs.XFS)
}

// TestCopyFileErrors: bad arguments and sources that are not regular files.
func TestCopyFileErrors(t *testing.T) {
	dir := cpTempDir(t)
	src := join(dir, "src")
	writeSynced(t, src, []byte("x"))
	ctx := context.Background()
	for _, o := range []*extfs.CopyOptions{
		{CoW: 3}, {CoW: -1}, {Sparse: 3}, {Preserve: 1 << 10}, {Workers: -1},
	} {
		_, err := extfs.CopyFile(ctx, src, join(dir, "dst"), o)
		wantErr(t, fmt.Sprintf("CopyFile %+v", *o), err, fs.ErrInvalid)
	}
	//lint:ignore SA1012 testing the nil check
	_, err := extfs.CopyFile(nil, src, join(dir, "dst"), nil) //nolint:staticcheck
	wantErr(t, "CopyFile nil ctx", err, fs.ErrInvalid)
	_, err = extfs.CopyFile(ctx, join(dir, "missing"), join(dir, "dst"), nil)
	wantErr(t, "CopyFile missing source", err, fs.ErrNotExist)
	_, err = extfs.CopyFile(ctx, src, join(dir, "no", "dst"), nil)
	wantErr(t, "CopyFile into a missing directory", err, fs.ErrNotExist)
	_, err = extfs.CopyFile(ctx, src, dir+"/", nil)
	if err == nil {
		t.Error("CopyFile to a directory name succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = extfs.CopyFile(cancelled, src, join(dir, "dst"), nil)
	wantErr(t, "CopyFile with a cancelled context", err, context.Canceled)
	cpWantNames(t, dir, "src")
}

// TestCopyFileCancel cancels from the Progress callback: the copy stops
// with context.Canceled, leaves the old destination and no temporary file.
func TestCopyFileCancel(t *testing.T) {
	cpEach(t, func(t *testing.T, dir string) {
		src, dst := join(dir, "src"), join(dir, "dst")
		writeSynced(t, src, cpData()[:64*MiB])
		for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
			writeSynced(t, dst, []byte("old"))
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
			wantErr(t, "cancelled CopyFile", err, context.Canceled)
			if got := string(readAll(t, dst)); got != "old" {
				t.Errorf("%v: destination holds %d bytes, want the old 3", mode, len(got))
			}
			cpWantNames(t, dir, "src", "dst")
			if mode == extfs.CoWNever && (len(calls) != 1 || calls[0] >= 64*MiB) {
				t.Errorf("%v: progress calls %v, want one, mid-copy", mode, calls)
			}
		}
	})
}

// TestCopyFileProgress: monotonic, at most 64 MiB apart, ending at total.
func TestCopyFileProgress(t *testing.T) {
	cpEach(t, func(t *testing.T, dir string) {
		src := join(dir, "src")
		writeSynced(t, src, cpData()[:64*MiB])
		for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
			var calls [][2]int64
			dst := join(dir, "dst-"+mode.String())
			_, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{
				CoW:      mode,
				Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) },
			})
			noErr(t, "CopyFile", err)
			cpCheckProgress(t, calls, 64*MiB, mode == extfs.CoWNever)
			if mode == extfs.CoWNever && len(calls) < 4 {
				t.Errorf("%d progress calls for a 64 MiB copy, want several", len(calls))
			}
		}
	}, testfs.Ext4, testfs.XFS)
}

// TestCopyFileSymlinkSource follows a symbolic link, like cp.
func TestCopyFileSymlinkSource(t *testing.T) {
	dir := cpTempDir(t)
	writeSynced(t, join(dir, "target"), []byte("via link"))
	if !cpSystem.symlinks {
		t.Skip("no symbolic links to follow here")
	}
	noErr(t, "symlink", os.Symlink("target", join(dir, "link")))
	_, err := extfs.CopyFile(context.Background(), join(dir, "link"), join(dir, "dst"), nil)
	noErr(t, "CopyFile", err)
	if got := string(readAll(t, join(dir, "dst"))); got != "via link" {
		t.Errorf("copy holds %q", got)
	}
	if fi, err := os.Lstat(join(dir, "dst")); err != nil || !fi.Mode().IsRegular() {
		t.Error("copy is not a regular file")
	}
}

// TestCopyFileSourceChanges: a source that shrinks (or grows) while it is
// copied fails the copy with ErrSourceChanged, for every mechanism, and
// the destination it was to replace keeps its old content; no copy padded
// with zeros, or cut short, takes its place.
func TestCopyFileSourceChanges(t *testing.T) {
	const size = 64 * MiB
	cpEach(t, func(t *testing.T, dir string) {
		src, dst := join(dir, "src"), join(dir, "dst")
		old := randBytes(MiB+17, 12)
		writeSynced(t, dst, old)
		for _, o := range []extfs.CopyOptions{
			{CoW: extfs.CoWAuto},
			{CoW: extfs.CoWAuto, Sparse: extfs.SparseNever},
			{CoW: extfs.CoWNever},
			{CoW: extfs.CoWNever, Sparse: extfs.SparseNever},
			{CoW: extfs.CoWNever, Sparse: extfs.SparseAlways},
		} {
			for _, newSize := range []int64{10 * MiB, 0, size + MiB} {
				name := fmt.Sprintf("%v/%v/to%d", o.CoW, o.Sparse, newSize)
				writeSynced(t, src, cpData()[:size])
				calls := 0
				o.Existing = extfs.ExistingReplace
				o.Progress = func(done, total int64) {
					if calls++; calls == 1 {
						noErr(t, "truncate", os.Truncate(src, newSize))
					}
				}
				_, err := extfs.CopyFile(context.Background(), src, dst, &o)
				wantErr(t, name, err, extfs.ErrSourceChanged)
				if diff := diffBytes(readAll(t, dst), old); diff != "" {
					t.Errorf("%s: the old destination was replaced: %s", name, diff)
				}
				cpWantNames(t, dir, "src", "dst")
			}
		}
	})
}

// TestCopyFileReplaceDirectory: with Replace, a directory at dst is refused
// before anything is copied, with EISDIR naming dst.
func TestCopyFileReplaceDirectory(t *testing.T) {
	cpEach(t, func(t *testing.T, dir string) {
		src, dst := join(dir, "src"), join(dir, "d")
		writeSynced(t, src, cpData()[:32*MiB])
		noErr(t, "mkdir", os.Mkdir(dst, 0o755))
		writeSynced(t, join(dst, "inside"), []byte("kept"))
		for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
			var calls int
			_, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{
				CoW:      mode,
				Existing: extfs.ExistingReplace,
				Progress: func(int64, int64) { calls++ },
			})
			wantPathErr(t, err, "rename", dst, syscall.EISDIR)
			if calls != 0 {
				t.Errorf("%v: %d progress calls: the data was copied before the refusal", mode, calls)
			}
			cpWantNames(t, dir, "src", "d")
			cpWantNames(t, dst, "inside")
		}
	}, testfs.Ext4, testfs.XFS)
}
