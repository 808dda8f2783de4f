package extfs_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/extfs/extfs"
)

// dirfsTree makes a small tree in a new directory and opens it as a Dir.
func dirfsTree(t *testing.T) (*extfs.Dir, string) {
	t.Helper()
	root := tempDir(t)
	for _, p := range []string{"a", "a/b", "empty"} {
		if err := os.Mkdir(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range map[string]string{"f": "top", "a/g": "in a", "a/b/h": "deep", "a/b/z": ""} {
		if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := extfs.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, root
}

func TestDirFSTestFS(t *testing.T) {
	d, _ := dirfsTree(t)
	if err := fstest.TestFS(d.FS(), "f", "a/g", "a/b/h", "a/b/z", "empty"); err != nil {
		t.Fatal(err)
	}
}

func TestDirFSRefusesInvalidNames(t *testing.T) {
	d, _ := dirfsTree(t)
	fsys := d.FS().(interface {
		fs.ReadDirFS
		fs.ReadFileFS
		fs.StatFS
	})
	for _, name := range []string{"", "/f", "../f", "a/../f", "./f", "a//g", `a\g`} {
		if runtime.GOOS != "windows" && name == `a\g` {
			continue // a backslash is an ordinary character of a Unix name
		}
		_, err := fsys.Open(name)
		if !errors.Is(err, fs.ErrInvalid) && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q): %v; want fs.ErrInvalid", name, err)
		}
		if _, err := fsys.ReadFile(name); err == nil {
			t.Errorf("ReadFile(%q) succeeded", name)
		}
		if _, err := fsys.Stat(name); err == nil {
			t.Errorf("Stat(%q) succeeded", name)
		}
	}
}

func TestDirReadDir(t *testing.T) {
	d, _ := dirfsTree(t)
	ents, err := d.ReadDir(".")
	noErr(t, "ReadDir(.)", err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"a", "empty", "f"}; !slices.Equal(names, want) {
		t.Fatalf("ReadDir(.) = %v, want %v", names, want)
	}
	if !ents[0].IsDir() || ents[2].IsDir() || ents[2].Type() != 0 {
		t.Errorf("entry types: a dir=%v, f dir=%v type=%v", ents[0].IsDir(), ents[2].IsDir(), ents[2].Type())
	}
	fi, err := ents[2].Info()
	noErr(t, "Info(f)", err)
	if fi.Name() != "f" || fi.Size() != 3 || !fi.Mode().IsRegular() {
		t.Errorf("Info(f) = %s size %d mode %v", fi.Name(), fi.Size(), fi.Mode())
	}
	ents, err = d.ReadDir("a/b")
	noErr(t, "ReadDir(a/b)", err)
	if len(ents) != 2 || ents[0].Name() != "h" || ents[1].Name() != "z" {
		t.Errorf("ReadDir(a/b) = %v", ents)
	}
	_, err = d.ReadDir("missing")
	wantErr(t, "ReadDir(missing)", err, fs.ErrNotExist)
	_, err = d.ReadDir("../x")
	wantErr(t, "ReadDir(../x)", err, extfs.ErrEscapes)
}

func TestDirStatLstat(t *testing.T) {
	d, _ := dirfsTree(t)
	fi, err := d.Stat("a/g")
	noErr(t, "Stat(a/g)", err)
	if fi.Name() != "g" || fi.Size() != 4 || fi.IsDir() {
		t.Errorf("Stat(a/g) = %s size %d dir %v", fi.Name(), fi.Size(), fi.IsDir())
	}
	if st, ok := fi.Sys().(*extfs.Stat); !ok || st.Size != 4 {
		t.Errorf("Stat(a/g).Sys() = %#v, want *extfs.Stat of size 4", fi.Sys())
	}
	fi, err = d.Lstat("a/b")
	noErr(t, "Lstat(a/b)", err)
	if !fi.IsDir() || fi.Name() != "b" {
		t.Errorf("Lstat(a/b) = %s dir %v", fi.Name(), fi.IsDir())
	}
	_, err = d.Stat("nope")
	wantErr(t, "Stat(nope)", err, fs.ErrNotExist)
}

func TestDirReadWriteFile(t *testing.T) {
	d, root := dirfsTree(t)
	b, err := d.ReadFile("a/b/h")
	noErr(t, "ReadFile", err)
	if string(b) != "deep" {
		t.Errorf("ReadFile(a/b/h) = %q", b)
	}

	// A new file gets perm (less the umask); the data is all there.
	data := randBytes(1<<20+3, 7)
	noErr(t, "WriteFile(new)", d.WriteFile("a/new", data, 0o600))
	if got := readAll(t, filepath.Join(root, "a", "new")); !bytes.Equal(got, data) {
		t.Errorf("a/new: %s", diffBytes(got, data))
	}

	// Replacing keeps the old file's permission bits, and leaves no
	// temporary file beside it.
	p := filepath.Join(root, "f")
	if runtime.GOOS != "windows" {
		noErr(t, "chmod", os.Chmod(p, 0o640))
	}
	before, _ := os.Stat(p)
	noErr(t, "WriteFile(replace)", d.WriteFile("f", []byte("replaced"), 0o666))
	after, err := os.Stat(p)
	noErr(t, "stat", err)
	if after.Mode() != before.Mode() {
		t.Errorf("mode after WriteFile %v, want the old %v", after.Mode(), before.Mode())
	}
	if got := readAll(t, p); string(got) != "replaced" {
		t.Errorf("f = %q after WriteFile", got)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 3 {
		t.Errorf("root holds %d entries after WriteFile, want 3 (no temporary file left): %v", len(ents), ents)
	}

	// Refused: a directory, a name outside, an invalid permission.
	wantErr(t, "WriteFile(dir)", d.WriteFile("a", nil, 0o644), fs.ErrInvalid)
	wantErr(t, "WriteFile(../x)", d.WriteFile("../x", nil, 0o644), extfs.ErrEscapes)
	wantErr(t, "WriteFile(bad perm)", d.WriteFile("x", nil, fs.ModeDir|0o644), fs.ErrInvalid)
	if _, err := os.Stat(filepath.Join(root, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused WriteFile left x: %v", err)
	}
}

func TestDirMkdirAll(t *testing.T) {
	d, root := dirfsTree(t)
	noErr(t, "MkdirAll(new/deep/er)", d.MkdirAll("n/deep/er", 0o755))
	if fi, err := os.Stat(filepath.Join(root, "n", "deep", "er")); err != nil || !fi.IsDir() {
		t.Fatalf("n/deep/er: %v", err)
	}
	noErr(t, "MkdirAll(existing)", d.MkdirAll("a/b", 0o755))
	noErr(t, "MkdirAll(.)", d.MkdirAll(".", 0o755))
	wantErr(t, "MkdirAll(through a file)", d.MkdirAll("f/sub", 0o755), syscall.ENOTDIR)
	wantErr(t, "MkdirAll(../out)", d.MkdirAll("../out", 0o755), extfs.ErrEscapes)
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "out")); err == nil {
		t.Errorf("MkdirAll(../out) created a directory outside the Dir")
	}
}

func TestDirRemoveAll(t *testing.T) {
	d, root := dirfsTree(t)
	outside := filepath.Join(tempDir(t), "keep")
	noErr(t, "write outside", os.WriteFile(outside, []byte("keep"), 0o644))
	linked := false
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(root, "a", "b", "out")); err == nil {
		linked = true
	} else if runtime.GOOS != "windows" {
		t.Fatal(err)
	}

	noErr(t, "RemoveAll(a)", d.RemoveAll("a"))
	if _, err := os.Lstat(filepath.Join(root, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a still there: %v", err)
	}
	if linked {
		if got := readAll(t, outside); string(got) != "keep" {
			t.Errorf("RemoveAll followed a symbolic link out of the tree")
		}
	}
	noErr(t, "RemoveAll(missing)", d.RemoveAll("a"))
	noErr(t, "RemoveAll(file)", d.RemoveAll("f"))
	wantErr(t, "RemoveAll(.)", d.RemoveAll("."), fs.ErrInvalid)
	wantErr(t, "RemoveAll(../x)", d.RemoveAll("../x"), extfs.ErrEscapes)
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 || ents[0].Name() != "empty" {
		t.Errorf("left in root: %v", ents)
	}
}

// TestOpenDirRoot: the Dir of an os.Root is the Root's directory, even
// after its path names another, and resolves beneath it.
func TestOpenDirRoot(t *testing.T) {
	_, root := dirfsTree(t)
	r, err := os.OpenRoot(root)
	noErr(t, "OpenRoot", err)
	defer r.Close()
	d, err := extfs.OpenDirRoot(r)
	noErr(t, "OpenDirRoot", err)
	defer d.Close()
	if d.Name() != r.Name() {
		t.Errorf("Name() = %q, want the Root's %q", d.Name(), r.Name())
	}
	// The path now names another directory: the Dir keeps the first.
	// (Windows does not rename a directory that has open handles.)
	if runtime.GOOS != "windows" {
		moved := root + ".moved"
		noErr(t, "rename", os.Rename(root, moved))
		noErr(t, "mkdir", os.Mkdir(root, 0o755))
		t.Cleanup(func() { os.RemoveAll(moved) })
	}
	b, err := d.ReadFile("a/g")
	noErr(t, "ReadFile through the Dir", err)
	if string(b) != "in a" {
		t.Errorf("ReadFile(a/g) = %q", b)
	}
	_, err = d.ReadFile("../x")
	wantErr(t, "ReadFile(../x)", err, extfs.ErrEscapes)
	noErr(t, "Close of the Root", r.Close())
	if _, err := d.Stat("f"); err != nil {
		t.Errorf("the Dir needs the Root open: %v", err)
	}
	_, err = extfs.OpenDirRoot(nil)
	wantErr(t, "OpenDirRoot(nil)", err, fs.ErrInvalid)
}
