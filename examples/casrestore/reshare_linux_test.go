package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// TestReshare: ingest makes files whose content the store has share the
// object's blocks, where the filesystem can (XFS with reflink, btrfs), as
// FIEMAP's shared flag and the free space show; where it cannot (ext4,
// tmpfs) it shares nothing and that is no error. With reshare off, files
// stay as they were.
func TestReshare(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		caps, err := extfs.Probe(fsys.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []bool{false, true} {
			name := "reshare"
			if off {
				name = "no-reshare"
			}
			t.Run(name, func(t *testing.T) { reshareOn(t, fsys.TempDir(t), caps.Clone == extfs.Yes, off) })
		}
	}, testfs.XFS, testfs.Btrfs, testfs.Ext4, testfs.Tmpfs)
}

func reshareOn(t *testing.T, dir string, canShare, off bool) {
	const size = 4 << 20
	data := randBytes(size, 7)
	src := filepath.Join(dir, "src")
	// Three copies of one content, each with blocks of its own (written,
	// not cloned), one file of other content, and an empty file.
	dups := []string{"a", "b", filepath.Join("sub", "c")}
	for _, n := range dups {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := randBytes(size, 8)
	if err := os.WriteFile(filepath.Join(src, "other"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "empty"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if canShare {
		for _, n := range dups {
			if _, shared := extents(t, filepath.Join(src, n)); shared != 0 {
				t.Fatalf("%s: %d extents shared before ingest", n, shared)
			}
		}
	}

	free := freeBytes(t, dir)
	store, manifest := filepath.Join(dir, "store"), filepath.Join(dir, "m.json")
	st, err := ingest(context.Background(), src, store, manifest, ingestOptions{Workers: 3, NoReshare: off})
	if err != nil {
		t.Fatal(err)
	}
	gained := freeBytes(t, dir) - free
	t.Logf("%+v; free space went up by %d bytes", st, gained)
	if st.Objects != 3 || st.Deduped != 2 { // the content of the three, other's, empty's
		t.Errorf("%d objects, %d deduplicated; want 3 and 2", st.Objects, st.Deduped)
	}
	want := int64(0)
	if canShare && !off {
		want = 2 * size // the two files of three that found the object there
	}
	if st.SharedBytes != want {
		t.Errorf("%d bytes re-shared, want %d", st.SharedBytes, want)
	}
	for _, n := range dups {
		if b, err := os.ReadFile(filepath.Join(src, n)); err != nil || !bytes.Equal(b, data) {
			t.Errorf("%s changed: %d bytes, %v", n, len(b), err)
		}
	}
	if !canShare {
		return
	}
	// One of the three was cloned into the store; the others now share
	// its blocks too, unless reshare is off.
	var sharing int
	for _, n := range dups {
		total, shared := extents(t, filepath.Join(src, n))
		switch {
		case total == 0:
			t.Errorf("%s: no extents", n)
		case shared == total:
			sharing++
		case shared != 0:
			t.Errorf("%s: %d of %d extents shared", n, shared, total)
		}
	}
	if wantSharing := map[bool]int{false: 3, true: 1}[off]; sharing != wantSharing {
		t.Errorf("%d of the 3 identical files share blocks with the store, want %d", sharing, wantSharing)
	}
	if !off && gained < 2*size*9/10 {
		t.Errorf("free space went up by %d bytes, want about %d (two files' blocks given back)", gained, 2*size)
	}
	if off && gained > size/10 {
		t.Errorf("free space went up by %d bytes with reshare off", gained)
	}
}
