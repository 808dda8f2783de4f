package extfs_test

// CopyTree's clones on macOS, for a Mac: built with GOOS=darwin, run only
// there (see copy_darwin_test.go for the helpers).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
)

// dwTree makes a source tree of n files under dir/src, in two directories,
// and returns its root and the files' paths from it.
func dwTree(t *testing.T, dir string, n int) (string, []string) {
	t.Helper()
	src := filepath.Join(dir, "src")
	var rels []string
	for i := range n {
		rel := filepath.Join(fmt.Sprint("d", i%2), fmt.Sprint("f", i))
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		dwWrite(t, filepath.Join(src, rel), randBytes(64<<10*(i+1)+i, 1), 0o644)
		rels = append(rels, rel)
	}
	return src, rels
}

// dwNoTemp fails if a temporary name of CopyTree is left under root.
func dwNoTemp(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".extfs-") {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
}

// CoWAlways on APFS: every file of the tree is a clone, made by
// fclonefileat, in a new tree (at the files' names) and merged into an
// existing one (Replace: under temporary names, then renamed), and passes
// for a new file.
func TestCopyTreeDarwinClones(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	dwNoLeak(t)
	const n = 6
	src, rels := dwTree(t, dir, n)
	perm := dwNewMode(t, dir, 0o644)
	calls := dwCountClones(t)

	dst := filepath.Join(dir, "dst")
	for _, existing := range []extfs.ExistingMode{extfs.ExistingError, extfs.ExistingReplace} {
		*calls = 0
		stats, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWAlways, Existing: existing})
		if err != nil {
			t.Fatalf("CopyTree (Existing %v): %v", existing, err)
		}
		if *calls != n || stats.Files != n || stats.ByMethod[extfs.MethodClone] != n || stats.ClonedBytes != stats.Bytes || stats.CopiedBytes != 0 {
			t.Errorf("Existing %v: %d clonefile calls, stats %+v; want %d files cloned", existing, *calls, stats, n)
		}
		for _, rel := range rels {
			dwSame(t, filepath.Join(src, rel), filepath.Join(dst, rel))
			if fi, err := os.Lstat(filepath.Join(dst, rel)); err != nil || fi.Mode() != perm {
				t.Errorf("%s: mode %v, %v; want %v (a new file's)", rel, fi.Mode(), err, perm)
			}
		}
		dwNoTemp(t, dir)
	}

	// A clone is a file of its own.
	if err := os.WriteFile(filepath.Join(dst, rels[0]), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(src, rels[0])); err != nil || !bytes.Equal(got, randBytes(64<<10, 1)) {
		t.Errorf("writing the clone changed the source (%v)", err)
	}
}

// Where clonefile refuses, CoWAuto copies, and CoWAlways fails with an
// error matching ErrNotSupported that says why, leaving nothing behind.
func TestCopyTreeDarwinCloneRefused(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	src, rels := dwTree(t, dir, 3)
	calls := dwFailClones(t, syscall.ENOTSUP)

	dst := filepath.Join(dir, "auto")
	stats, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWAuto})
	if err != nil {
		t.Fatalf("CopyTree CoWAuto: %v", err)
	}
	if *calls != 3 || stats.ClonedBytes != 0 || stats.CopiedBytes != stats.Bytes {
		t.Errorf("CoWAuto: %d clonefile calls, stats %+v; want 3 tries, every byte copied", *calls, stats)
	}
	for _, rel := range rels {
		dwSame(t, filepath.Join(src, rel), filepath.Join(dst, rel))
	}

	dst = filepath.Join(dir, "always")
	_, err = extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWAlways})
	if !errors.Is(err, extfs.ErrNotSupported) || !errors.Is(err, syscall.ENOTSUP) || strings.Contains(err.Error(), "reflink") || !strings.Contains(err.Error(), "fclonefileat") {
		t.Errorf("CoWAlways: %v; want an fclonefileat error matching ErrNotSupported and ENOTSUP", err)
	}
	if _, err := os.Lstat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CoWAlways left %s: %v", dst, err)
	}
	dwNoTemp(t, dir)
}
