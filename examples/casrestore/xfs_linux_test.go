package main

import (
	"path/filepath"
	"testing"

	"github.com/extfs/extfs/internal/testfs"
)

// TestXFSClone restores on XFS made with reflink=1, mounted for this test
// (root only; skipped with the reason otherwise, failed under
// EXTFS_REQUIRE_FS=1): clones share every extent with the store and take
// no space, copies share none and take the data's size.
func TestXFSClone(t *testing.T) {
	fsys := testfs.Mount(t, testfs.XFS, testfs.MinSize(testfs.XFS))
	f := newFixture(t, fsys.TempDir(t))
	compareOnXFS(t, f)
}

func compareOnXFS(t *testing.T, f *fixture) {
	var objectBytes, fileBytes int64
	var nonEmpty int
	seen := map[string]bool{}
	for _, e := range f.m.Entries {
		if e.Type != TypeFile || e.Size == 0 {
			continue
		}
		nonEmpty++
		fileBytes += e.Size
		if !seen[e.Hash] {
			seen[e.Hash] = true
			objectBytes += e.Size
		}
	}
	if f.ist.ClonedBytes != objectBytes || f.ist.CopiedBytes != 0 {
		t.Errorf("ingest cloned %d bytes and copied %d; want every object (%d bytes) cloned",
			f.ist.ClonedBytes, f.ist.CopiedBytes, objectBytes)
	}

	for _, mode := range []string{ModeClone, ModeCopy} {
		t.Run(mode, func(t *testing.T) {
			before := freeBytes(t, f.out)
			dst, st, err := f.restore(t, mode, restoreOptions{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			used := before - freeBytes(t, f.out)
			compareTrees(t, f.src, dst)

			for _, e := range f.m.Entries {
				if e.Type != TypeFile || e.Size == 0 {
					continue
				}
				total, shared := extents(t, filepath.Join(dst, e.Path))
				switch {
				case total == 0:
					t.Errorf("%s: no extents", e.Path)
				case mode == ModeClone && shared != total:
					t.Errorf("%s: %d of %d extents shared, want all (a clone)", e.Path, shared, total)
				case mode == ModeCopy && shared != 0:
					t.Errorf("%s: %d of %d extents shared, want none (a copy)", e.Path, shared, total)
				}
			}
			t.Logf("%s: %d files, %d bytes of data; free space went down by %d bytes; %+v", mode, nonEmpty, fileBytes, used, st)
			switch mode {
			case ModeClone:
				if st.Cloned != int64(nonEmpty) || st.CopiedBytes != 0 {
					t.Errorf("stats %+v, want %d files cloned, nothing copied", st, nonEmpty)
				}
				if used > fileBytes/4 {
					t.Errorf("a clone restore of %d bytes used %d bytes", fileBytes, used)
				}
			case ModeCopy:
				if st.Copied != int64(nonEmpty) || st.ClonedBytes != 0 {
					t.Errorf("stats %+v, want %d files copied, nothing cloned", st, nonEmpty)
				}
				if used < fileBytes {
					t.Errorf("a copy restore of %d bytes used only %d bytes", fileBytes, used)
				}
			}
		})
	}
}
