//go:build linux

package extfs_test

// The portable fallbacks (copy_fallback.go, tree_fallback.go), which
// are all that FreeBSD, OpenBSD and NetBSD have, tested on Linux: with
// ForcePortableCopies, CopyFile, CopyRange and CopyTree use no clone, no
// copy_file_range or splice, no O_TMPFILE and no renameat2, only fstat,
// SEEK_DATA, ftruncate, pread/pwrite, link and rename. The behaviour tests
// of those functions run again that way on each of the four filesystems,
// and the tests below check what only the fallbacks do.

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// TestPortableCopies runs the behaviour tests of CopyFile, CopyTree and
// CopyRange through the portable fallbacks, each on ext4, tmpfs, XFS and
// btrfs.
func TestPortableCopies(t *testing.T) {
	defer extfs.ForcePortableCopies()()
	// TestCopyRange and TestCopyRangeSameFile go through every filesystem
	// themselves.
	t.Run("CopyRange", TestCopyRange)
	t.Run("CopyRangeSameFile", TestCopyRangeSameFile)
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		// The tests make their directories on fsys: cpEach, and
		// t.TempDir through TMPDIR (tempDir).
		oldEach := cpEach
		cpEach = func(t *testing.T, fn func(t *testing.T, dir string), _ ...string) { fn(t, fsys.TempDir(t)) }
		defer func() { cpEach = oldEach }()
		t.Setenv("TMPDIR", fsys.TempDir(t))
		for _, tc := range []struct {
			name string
			fn   func(*testing.T)
		}{
			{"CopyFileReplace", TestCopyFileReplace},
			{"CopyFileErrors", TestCopyFileErrors},
			{"CopyFileCancel", TestCopyFileCancel},
			{"CopyFileProgress", TestCopyFileProgress},
			{"CopyFileSymlinkSource", TestCopyFileSymlinkSource},
			{"CopyFileSourceChanges", TestCopyFileSourceChanges},
			{"CopyFileReplaceDirectory", TestCopyFileReplaceDirectory},
			{"CopyFileFallback", testPortableCopyFile},
			{"CopyRangeEOF", TestCopyRangeEOF},
			{"CopyRangeErrors", TestCopyRangeErrors},
			{"CopyRangeFallback", testPortableCopyRange},
			{"CopyTreeContents", TestCopyTreeContents},
			{"CopyTreeMerge", TestCopyTreeMerge},
			{"CopyTreeCancelled", TestCopyTreeCancelled},
			{"CopyTreeErrors", TestCopyTreeErrors},
			{"CopyTreeFallback", testPortableCopyTree},
		} {
			t.Run(tc.name, tc.fn)
		}
	}, testfs.Ext4, testfs.Tmpfs, testfs.XFS, testfs.Btrfs)
}

// testPortableCopyFile: a sparse file is copied by reading and writing,
// its holes kept (SEEK_DATA), its mode and size exact; CoWAlways is
// ErrNotSupported; a named temporary file is committed by link and unlink,
// so an existing dst is fs.ErrExist.
func testPortableCopyFile(t *testing.T) {
	dir := tempDir(t)
	src, dst := join(dir, "src"), join(dir, "dst")
	data := randBytes(3*MiB, 7)
	f, err := os.OpenFile(src, os.O_CREATE|os.O_WRONLY, 0o640)
	noErr(t, "create", err)
	for _, off := range []int64{0, 2 * MiB, 8 * MiB} { // holes between, and one at the end
		_, err := f.WriteAt(data[off/4:off/4+MiB], off)
		noErr(t, "write", err)
	}
	const size = 12 * MiB
	noErr(t, "truncate", f.Truncate(size))
	noErr(t, "close", f.Close())

	st, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Preserve: extfs.PreserveMode})
	noErr(t, "CopyFile", err)
	if got, want := readAll(t, dst), readAll(t, src); !bytes.Equal(got, want) {
		t.Errorf("dst differs from src (%d and %d bytes)", len(got), len(want))
	}
	fi, err := os.Stat(dst)
	noErr(t, "stat", err)
	if fi.Size() != size || fi.Mode().Perm() != 0o640 {
		t.Errorf("dst: %d bytes, mode %v; want %d, -rw-r-----", fi.Size(), fi.Mode(), size)
	}
	if st.Bytes != size || st.ClonedBytes != 0 || st.CopiedBytes != 3*MiB || st.HoleBytes != size-3*MiB {
		t.Errorf("stats %+v: want %d bytes, 3 MiB read and written, the rest holes", st, size)
	}
	if len(st.ByMethod) != 1 || st.ByMethod[extfs.MethodReadWrite] != 1 {
		t.Errorf("ByMethod %v, want one file read and written", st.ByMethod)
	}

	_, err = extfs.CopyFile(context.Background(), src, dst, nil)
	wantErr(t, "CopyFile over an existing dst", err, fs.ErrExist)
	_, err = extfs.CopyFile(context.Background(), src, join(dir, "clone"), &extfs.CopyOptions{CoW: extfs.CoWAlways})
	wantErr(t, "CopyFile CoWAlways", err, extfs.ErrNotSupported)
	cpWantNames(t, dir, "src", "dst")
}

// testPortableCopyRange: the bytes land at the offsets asked, neither
// offset moves, and the open modes are read with fcntl (a destination
// open for reading only is EBADF).
func testPortableCopyRange(t *testing.T) {
	dir := tempDir(t)
	data := randBytes(MiB+3, 9)
	src, dst := crFiles(t, dir, data)
	n, err := src.CopyRange(dst, 5, MiB, MiB-2)
	noErr(t, "CopyRange", err)
	if n != MiB-2 {
		t.Errorf("copied %d bytes, want %d", n, MiB-2)
	}
	want := make([]byte, 2*MiB-2)
	copy(want[MiB:], data[5:])
	crWantContent(t, join(dir, "dst"), want)
	crWantOffsets(t, src, dst)

	ro := openFile(t, join(dir, "dst"), os.O_RDONLY)
	_, err = src.CopyRange(ro, 0, 0, 10)
	wantErr(t, "CopyRange to a read-only file", err, syscall.EBADF)
}

// testPortableCopyTree: files are made under temporary names and renamed
// by link and unlink; the copy has the source's bytes and modes.
func testPortableCopyTree(t *testing.T) {
	dir := tempDir(t)
	src, dst := join(dir, "src"), join(dir, "dst")
	noErr(t, "mkdir", os.MkdirAll(join(src, "d"), 0o750))
	writeSynced(t, join(src, "d", "f"), randBytes(100000, 3))
	noErr(t, "chmod", os.Chmod(join(src, "d", "f"), 0o604))
	st, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Preserve: extfs.PreserveMode})
	noErr(t, "CopyTree", err)
	if st.Files != 1 || st.ClonedBytes != 0 || st.CopiedBytes != 100000 {
		t.Errorf("stats %+v, want one file of 100000 bytes read and written", st)
	}
	if !bytes.Equal(readAll(t, join(dst, "d", "f")), readAll(t, join(src, "d", "f"))) {
		t.Errorf("d/f differs")
	}
	for name, mode := range map[string]fs.FileMode{"d": fs.ModeDir | 0o750, "d/f": 0o604} {
		fi, err := os.Lstat(join(dst, name))
		noErr(t, "lstat", err)
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), mode)
		}
	}
	if temps := ctTemps(t, dst); len(temps) > 0 {
		t.Errorf("temporary files left: %q", temps)
	}
}
