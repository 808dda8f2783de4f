package extfs_test

// A smoke test of Dir on macOS, for a Mac: it builds with GOOS=darwin and
// runs only there. dir_test.go holds the full suite (Linux-only for now).

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/extfs/extfs"
)

func TestDirDarwin(t *testing.T) {
	top := t.TempDir()
	tree := filepath.Join(top, "tree")
	for _, dir := range []string{tree, filepath.Join(tree, "sub")} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(top, "outside"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "sub", "file"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"in":     "sub/file",
		"indir":  "sub",
		"out":    "../outside",
		"abs":    filepath.Join(top, "outside"),
		"dotdot": "..",
	} {
		if err := os.Symlink(target, filepath.Join(tree, link)); err != nil {
			t.Fatal(err)
		}
	}

	d, err := extfs.OpenDir(tree)
	if err != nil {
		t.Fatalf("OpenDir: %v", err)
	}
	defer d.Close()

	// Names that lead outside are refused, whatever the operation.
	for _, name := range []string{"../outside", "out", "abs", "dotdot/outside", "sub/../../outside", "indir/../../outside"} {
		if f, err := d.OpenFile(name, os.O_RDONLY, 0); !errors.Is(err, extfs.ErrEscapes) {
			t.Errorf("OpenFile(%q) = %v; want ErrEscapes", name, err)
			if f != nil {
				f.Close()
			}
		}
		if _, err := d.Statx(name); !errors.Is(err, extfs.ErrEscapes) {
			t.Errorf("Statx(%q) = %v; want ErrEscapes", name, err)
		}
		if err := d.Chmod(name, 0o600); !errors.Is(err, extfs.ErrEscapes) {
			t.Errorf("Chmod(%q) = %v; want ErrEscapes", name, err)
		}
	}
	if st, err := os.Stat(filepath.Join(top, "outside")); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("outside: %v, %v; a refused Chmod changed it", st.Mode(), err)
	}
	// The links themselves are inside.
	if st, err := d.Lstatx("out"); err != nil || st.Mode.Type() != fs.ModeSymlink {
		t.Errorf("Lstatx(out) = %v, %v; want a symbolic link", st, err)
	}

	// Links that stay inside are followed.
	st, err := d.Statx("in")
	if err != nil || st.Size != 4 || !st.Mode.IsRegular() {
		t.Errorf("Statx(in) = %+v, %v; want sub/file", st, err)
	}
	if err := d.Chmod("in", 0o600); err != nil {
		t.Errorf("Chmod(in): %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(tree, "sub", "file")); fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("Chmod through a link did not reach sub/file")
	}
	for _, name := range []string{".", "sub/", "sub/..", "indir/"} {
		if st, err := d.Statx(name); err != nil || !st.Mode.IsDir() {
			t.Errorf("Statx(%q) = %v, %v; want a directory", name, st, err)
		}
	}
	if target, err := d.Readlink("in"); err != nil || target != "sub/file" {
		t.Errorf("Readlink(in) = %q, %v", target, err)
	}
	mtime := time.Unix(1600000000, 123456789)
	if err := d.SetTimes("in", time.Time{}, mtime); err != nil {
		t.Errorf("SetTimes(in): %v", err)
	} else if st, _ := d.Statx("sub/file"); st == nil || st.Mtime.Unix() != mtime.Unix() {
		t.Errorf("SetTimes through a link: mtime %v; want %v", st.Mtime, mtime)
	}

	// Entries: create, link, rename, remove.
	if err := d.Mkdir("new", 0o755); err != nil {
		t.Fatalf("Mkdir: %v", err)
	}
	f, err := d.OpenFile("new/f", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatalf("OpenFile create: %v", err)
	}
	f.Close()
	if err := d.Link("new/f", nil, "new/g"); err != nil {
		t.Errorf("Link: %v", err)
	}
	if err := d.Link("sub/", nil, "subLink"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Link of a directory = %v; want EPERM", err)
	}
	if err := d.Rename("new/g", nil, "new/h"); err != nil {
		t.Errorf("Rename: %v", err)
	}
	if err := d.Mkfifo("new/fifo", 0o600); err != nil {
		t.Errorf("Mkfifo: %v", err)
	} else if st, err := d.Lstatx("new/fifo"); err != nil || st.Mode.Type() != fs.ModeNamedPipe {
		t.Errorf("Lstatx(new/fifo) = %v, %v; want a FIFO", st, err)
	}
	if err := d.Remove("new"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Remove of a non-empty directory = %v; want ENOTEMPTY", err)
	}
	for _, name := range []string{"new/f", "new/h", "new/fifo", "new"} {
		if err := d.Remove(name); err != nil {
			t.Errorf("Remove(%q): %v", name, err)
		}
	}
	if err := d.Remove("new"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a removed directory = %v; want ENOENT", err)
	}

	sub, err := d.OpenDir("indir")
	if err != nil {
		t.Fatalf("OpenDir(indir): %v", err)
	}
	defer sub.Close()
	if _, err := sub.Statx("../in"); !errors.Is(err, extfs.ErrEscapes) {
		t.Errorf("sub.Statx(../in) = %v; want ErrEscapes (sub is its own root)", err)
	}
}
