package extfs_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/extfs/extfs"
)

// openTree makes root/outside (a file next to the Dir's directory, which
// nothing may reach) and root/d, with d/sub/f and d/f, and opens d.
func openTree(t *testing.T) (*extfs.Dir, string) {
	t.Helper()
	root := tempDir(t)
	d := filepath.Join(root, "d")
	for _, p := range []string{d, filepath.Join(d, "sub")} {
		if err := os.Mkdir(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(root, "outside"), filepath.Join(d, "f"), filepath.Join(d, "sub", "f")} {
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := extfs.OpenDir(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() }) // before TempDir's cleanup: Wine will not remove an open directory
	return dir, d
}

func listDir(t *testing.T, path string) []string {
	t.Helper()
	ents, err := os.ReadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWindowsDirFiles(t *testing.T) {
	dir, d := openTree(t)
	f, err := dir.OpenFile(`sub\new`, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if want := d + `/sub\new`; f.Name() != want {
		t.Errorf("Name() = %q, want %q", f.Name(), want)
	}
	st, err := f.Statx()
	f.Close()
	if err != nil || st.Size != 5 {
		t.Fatalf("Statx of the new file: %v, %v", st, err)
	}
	b, err := os.ReadFile(filepath.Join(d, "sub", "new"))
	if err != nil || string(b) != "hello" {
		t.Fatalf("the file, read by os: %q, %v", b, err)
	}
	// O_EXCL on an existing name; no O_CREATE on a missing one.
	if _, err := dir.OpenFile("sub/new", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("O_EXCL on an existing file: %v, want fs.ErrExist", err)
	}
	if _, err := dir.OpenFile("sub/missing", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := dir.OpenFile("missing/x", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open beneath a missing directory: %v, want fs.ErrNotExist", err)
	}
	if _, err := dir.OpenFile("f/x", os.O_RDONLY, 0); err == nil {
		t.Errorf("open beneath a file succeeded")
	}
	// O_TRUNC, O_APPEND.
	f, err = dir.OpenFile("sub/new", os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("ab"))
	f.Close()
	f, err = dir.OpenFile("sub/new", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("cd"))
	f.Close()
	if b, _ := os.ReadFile(filepath.Join(d, "sub", "new")); string(b) != "abcd" {
		t.Errorf("after O_TRUNC and O_APPEND: %q, want abcd", b)
	}
	// A read-only file, as os.OpenFile makes one with mode 0444.
	f, err = dir.OpenFile("ro", os.O_WRONLY|os.O_CREATE, 0o444)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, err := os.Stat(filepath.Join(d, "ro")); err != nil || fi.Mode() != 0o444 {
		t.Errorf("file made with 0444: %v, %v", fi, err)
	}
	// Writing a directory is EISDIR; reading one gives its entries.
	if _, err := dir.OpenFile("sub", os.O_RDWR, 0); err == nil {
		t.Errorf("opened a directory for writing")
	}
	df, err := dir.OpenFile("sub", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	names, err := df.OSFile().Readdirnames(-1)
	df.Close()
	slices.Sort(names)
	if err != nil || !slices.Equal(names, []string{"f", "new"}) {
		t.Errorf("entries of sub through Dir.OpenFile: %q, %v", names, err)
	}
	// Names Win32 would take for devices are ordinary names beneath a Dir.
	for _, name := range []string{"CON", "nul", "COM1.txt"} {
		f, err := dir.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Errorf("create %q: %v", name, err)
			continue
		}
		st, err := f.Statx()
		f.Close()
		if err != nil || !st.Mode.IsRegular() {
			t.Errorf("%q beneath a Dir: %v, %v; want a regular file", name, st, err)
		}
	}
	if _, err := dir.OpenFile("x", os.O_RDONLY|0x40000000, 0); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("an unknown open flag: %v, want fs.ErrInvalid", err)
	}
}

func TestWindowsDirOps(t *testing.T) {
	dir, d := openTree(t)
	if err := dir.Mkdir("new", 0o777); err != nil {
		t.Fatal(err)
	}
	if err := dir.Mkdir(`new\deeper`, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := dir.Mkdir("new", 0o777); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir of an existing directory: %v, want fs.ErrExist", err)
	}
	if err := dir.Mkdir(".", 0o777); !errors.Is(err, fs.ErrExist) {
		t.Errorf(`Mkdir("."): %v, want fs.ErrExist`, err)
	}
	sub, err := dir.OpenDir("new")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if sub.Name() != d+"/new" {
		t.Errorf("sub Dir Name() = %q", sub.Name())
	}
	if _, err := sub.Statx("deeper"); err != nil {
		t.Errorf("Statx through a Dir from OpenDir: %v", err)
	}
	if _, err := dir.OpenDir("f"); err == nil {
		t.Errorf("OpenDir of a file succeeded")
	}

	// Statx and Lstatx describe what os.Stat does.
	st, err := dir.Statx("f")
	if err != nil {
		t.Fatal(err)
	}
	checkStatLikeOS(t, st, filepath.Join(d, "f"))
	lst, err := dir.Lstatx("f")
	if err != nil || lst.Ino != st.Ino {
		t.Errorf("Lstatx(f) = %v, %v; want the file Statx saw", lst, err)
	}
	self, err := dir.Statx(".")
	if err != nil {
		t.Fatal(err)
	}
	checkStatLikeOS(t, self, d)
	if up, err := dir.Statx("sub/.."); err != nil || up.Ino != self.Ino {
		t.Errorf(`Statx("sub/..") = %v, %v; want the Dir itself`, up, err)
	}

	// Chmod, SetTimes, LSetTimes.
	if err := dir.Chmod("f", 0o444); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(d, "f")); fi.Mode() != 0o444 {
		t.Errorf("after Dir.Chmod(0444): %v", fi.Mode())
	}
	if err := dir.SetTimes("f", fixedTime, fixedTime); err != nil {
		t.Fatal(err)
	}
	if err := dir.LSetTimes("sub", time.Time{}, fixedTime.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(d, "f")); !fi.ModTime().Equal(fixedTime.Truncate(100)) {
		t.Errorf("after Dir.SetTimes: ModTime %v", fi.ModTime())
	}
	if fi, _ := os.Stat(filepath.Join(d, "sub")); !fi.ModTime().Equal(fixedTime.Add(time.Hour).Truncate(100)) {
		t.Errorf("after Dir.LSetTimes: ModTime %v", fi.ModTime())
	}

	// Link, Rename (within and across Dirs), Remove — a read-only file too.
	if err := dir.Link("f", nil, "f2"); err != nil {
		t.Fatal(err)
	}
	if st2, err := dir.Statx("f2"); err != nil || st2.Ino != st.Ino || st2.Nlink != 2 {
		t.Errorf("after Link: %v, %v", st2, err)
	}
	if err := dir.Link("f", nil, "f2"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Link onto an existing name: %v, want fs.ErrExist", err)
	}
	if err := dir.Rename("f2", sub, "moved"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "new", "moved")); err != nil {
		t.Errorf("after Rename across Dirs: %v", err)
	}
	if err := dir.Rename("sub/f", nil, "f"); err != nil { // replaces the read-only f
		t.Errorf("Rename over a read-only file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(d, "f")); string(b) != filepath.Join(d, "sub", "f") {
		t.Errorf("after Rename over f: f holds %q", b)
	}
	if err := dir.Chmod("f", 0o444); err != nil {
		t.Fatal(err)
	}
	if err := dir.Remove("f"); err != nil {
		t.Errorf("Remove of a read-only file: %v", err)
	}
	if err := dir.Remove("new"); err == nil || !errors.Is(err, fs.ErrExist) {
		t.Errorf("Remove of a non-empty directory: %v, want an error matching fs.ErrExist (ERROR_DIR_NOT_EMPTY)", err)
	}
	if err := dir.Remove(`new\deeper\`); err != nil {
		t.Errorf("Remove of an empty directory: %v", err)
	}
	if err := dir.Remove("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a missing name: %v, want fs.ErrNotExist", err)
	}
	if err := dir.Remove("."); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf(`Remove("."): %v, want fs.ErrInvalid`, err)
	}
	if err := dir.Mknod("empty", 0o644, 0); err != nil {
		t.Errorf("Mknod of a regular file: %v", err)
	} else if fi, err := os.Stat(filepath.Join(d, "empty")); err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		t.Errorf("after Mknod: %v, %v", fi, err)
	}
	if _, err := dir.Readlink("sub"); err == nil {
		t.Errorf("Readlink of a directory succeeded")
	}
	want := []string{"empty", "new", "ro", "sub"}
	if _, err := os.Stat(filepath.Join(d, "ro")); err != nil {
		want = slices.DeleteFunc(want, func(s string) bool { return s == "ro" })
	}
	if got := listDir(t, d); !slices.Equal(got, want) {
		t.Errorf("the Dir's directory holds %q, want %q", got, want)
	}
}

func TestWindowsDirUnsupported(t *testing.T) {
	dir, _ := openTree(t)
	wantUnsupported(t, dir.Lchown("f", 0, 0), "lchown", "lchown")
	wantUnsupported(t, dir.Mkfifo("fifo", 0o644), "mknod", "FIFO")
	wantUnsupported(t, dir.Mknod("dev", fs.ModeDevice|0o644, 1), "mknod", "device")
}

// TestWindowsDirEscapes: every name that leads outside is refused with
// ErrEscapes, by every method, and nothing outside changes.
func TestWindowsDirEscapes(t *testing.T) {
	dir, d := openTree(t)
	root := filepath.Dir(d)
	outside := filepath.Join(root, "outside")
	escapes := []string{
		"..", `..\outside`, "../outside", `sub\..\..\outside`, "sub/../../outside",
		`..\d\f`, // out and back in: refused too, as by openat2's RESOLVE_BENEATH
		outside, `C:\x`, "C:x", `c:outside`, `\outside`, "/outside",
		`\\?\` + outside, `\\?\C:\`, `\\.\C:`, `\??\C:\x`, `\\localhost\C$\x`,
	}
	for _, name := range escapes {
		check := func(method string, err error) {
			t.Helper()
			if !errors.Is(err, extfs.ErrEscapes) {
				t.Errorf("%s(%q) = %v, want ErrEscapes", method, name, err)
			}
		}
		f, err := dir.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			f.Close()
		}
		check("OpenFile", err)
		sub, err := dir.OpenDir(name)
		if err == nil {
			sub.Close()
		}
		check("OpenDir", err)
		check("Mkdir", dir.Mkdir(name, 0o777))
		check("Remove", dir.Remove(name))
		_, err = dir.Statx(name)
		check("Statx", err)
		_, err = dir.Lstatx(name)
		check("Lstatx", err)
		check("Chmod", dir.Chmod(name, 0o444))
		check("SetTimes", dir.SetTimes(name, fixedTime, fixedTime))
		check("Rename(old)", dir.Rename(name, nil, "x"))
		check("Rename(new)", dir.Rename("sub/f", nil, name))
		check("Link(old)", dir.Link(name, nil, "x"))
		check("Link(new)", dir.Link("sub/f", nil, name))
		check("Symlink", dir.Symlink("f", name))
		_, err = dir.Readlink(name)
		check("Readlink", err)
		check("Mknod", dir.Mknod(name, 0o644, 0))
	}
	b, err := os.ReadFile(outside)
	if err != nil || string(b) != outside {
		t.Errorf("the file outside changed: %q, %v", b, err)
	}
	if fi, err := os.Stat(outside); err != nil || fi.Mode() != 0o666 {
		t.Errorf("the file outside: %v, %v", fi, err)
	}
	if got, want := listDir(t, root), []string{"d", "outside"}; !slices.Equal(got, want) {
		t.Errorf("the directory above holds %q, want %q", got, want)
	}
	if got, want := listDir(t, d), []string{"f", "sub"}; !slices.Equal(got, want) {
		t.Errorf("the Dir's directory holds %q, want %q", got, want)
	}
	// ".." that stays inside is fine.
	if _, err := dir.Statx(`sub\..\f`); err != nil {
		t.Errorf(`Statx("sub\..\f") = %v`, err)
	}
}

// TestWindowsDirSymlinks follows symbolic links through a Dir: only on
// Windows, since Wine has none.
func TestWindowsDirSymlinks(t *testing.T) {
	dir, d := openTree(t)
	wineLacks(t, dir.Symlink(`sub\f`, "in"), "symbolic links")
	for target, name := range map[string]string{`..\outside`: "esc", `C:\Windows`: "abs", `\Windows`: "rooted", "sub": "dirlink", "../d/f": "back"} {
		if err := dir.Symlink(target, name); err != nil {
			t.Fatalf("Symlink(%q, %q): %v", target, name, err)
		}
	}
	if got, err := dir.Readlink("in"); err != nil || got != `sub\f` {
		t.Errorf("Readlink(in) = %q, %v", got, err)
	}
	if got, err := dir.Readlink("abs"); err != nil || got != `C:\Windows` {
		t.Errorf("Readlink(abs) = %q, %v", got, err)
	}
	if st, err := dir.Statx("in"); err != nil || !st.Mode.IsRegular() {
		t.Errorf("Statx(in) = %v, %v; want the file", st, err)
	}
	if st, err := dir.Lstatx("in"); err != nil || st.Mode.Type() != fs.ModeSymlink {
		t.Errorf("Lstatx(in) = %v, %v; want the link", st, err)
	}
	if _, err := dir.Statx(`dirlink\f`); err != nil {
		t.Errorf(`Statx(dirlink\f): %v`, err)
	}
	for _, name := range []string{"esc", "abs", "rooted", "back", `abs\System32`} {
		if _, err := dir.Statx(name); !errors.Is(err, extfs.ErrEscapes) {
			t.Errorf("Statx(%q) = %v, want ErrEscapes", name, err)
		}
		f, err := dir.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			f.Close()
		}
		if !errors.Is(err, extfs.ErrEscapes) {
			t.Errorf("OpenFile(%q) = %v, want ErrEscapes", name, err)
		}
		// A link itself is only a name: Lstatx, Remove act on it.
		if _, err := dir.Lstatx(name); err != nil && name != `abs\System32` {
			t.Errorf("Lstatx(%q) = %v", name, err)
		}
	}
	if err := dir.Remove("esc"); err != nil {
		t.Errorf("Remove of a link leading outside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(d), "outside")); err != nil {
		t.Errorf("removing the link removed its target: %v", err)
	}
}

func TestWindowsDirBadInput(t *testing.T) {
	dir, d := openTree(t)
	for _, name := range []string{"", "a\x00b"} {
		if _, err := dir.Statx(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Statx(%q) = %v, want fs.ErrInvalid", name, err)
		}
		if err := dir.Mkdir(name, 0o777); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Mkdir(%q) = %v, want fs.ErrInvalid", name, err)
		}
	}
	if err := dir.Symlink("", "l"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Symlink with an empty target = %v, want fs.ErrInvalid", err)
	}
	if _, err := extfs.OpenDir(filepath.Join(d, "f")); err == nil {
		t.Errorf("OpenDir of a file succeeded")
	}
	if _, err := extfs.OpenDir(filepath.Join(d, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenDir of a missing directory = %v, want fs.ErrNotExist", err)
	}
	var nilDir *extfs.Dir
	if _, err := nilDir.Statx("f"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("nil Dir: %v, want fs.ErrInvalid", err)
	}
	closed, err := extfs.OpenDir(d)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if _, err := closed.Statx("f"); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("closed Dir: %v, want fs.ErrClosed", err)
	}
	if err := closed.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close: %v, want fs.ErrClosed", err)
	}
}

// TestWindowsDirNoHandleLeak runs the Dir's operations, those that fail
// half-way included, many times, and checks that no handle stays open.
func TestWindowsDirNoHandleLeak(t *testing.T) {
	dir, _ := openTree(t)
	if err := dir.Mkdir(`sub\a`, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := dir.Mkdir(`sub\a\b`, 0o777); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, func() {
		dir.Statx(`sub\a\b`)
		dir.Statx(`sub\a\b\..\..\f`)
		dir.Lstatx(`sub/a/missing/x`)
		dir.Statx(`sub\a\..\..\..\outside`) // escapes after opening two directories
		f, err := dir.OpenFile(`sub\a\b\x`, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			f.Close()
		}
		dir.Rename(`sub\a\b\x`, nil, `sub\a\y`)
		dir.Link(`sub\a\y`, nil, `sub\a\b\z`)
		dir.Link(`sub\a\y`, nil, `sub\a\b\z`) // exists
		dir.Remove(`sub\a\b\z`)
		dir.Remove(`sub\a\y`)
		dir.Remove(`sub\a`)         // not empty
		dir.Mkdir(`sub\a\b`, 0o777) // exists
		dir.SetTimes(`sub\a`, fixedTime, fixedTime)
		dir.Chmod(`sub\a\b`, 0o777)
		dir.Readlink(`sub\a`)
		dir.Symlink("f", `sub\a\l`)
		dir.Mknod(`sub\a\n`, 0o644, 0)
		dir.Remove(`sub\a\n`)
		if s, err := dir.OpenDir("sub"); err == nil {
			s.Close()
		}
	})
}
