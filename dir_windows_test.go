package extfs_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	winsys "github.com/extfs/extfs/sys/windows"
	"golang.org/x/sys/windows"
)

// The Windows side of the Dir tests (dir_test.go): what differs here, and
// what only Windows has (device names, drive and UNC names, the read-only
// attribute, handles).

var dirWant = dirExpect{
	maxLinks:   winsys.MaxLinks,
	belowF:     fs.ErrNotExist, // ERROR_PATH_NOT_FOUND, as os.Open says for "f\x"
	writeDir:   syscall.EISDIR,
	removeDots: syscall.EINVAL, // "e/.." names the Dir itself: no entry to remove
	notLink:    windows.ERROR_NOT_A_REPARSE_POINT,
	noOps:      map[string]bool{"Lchown": true, "Mkfifo": true}, // refused before the name is looked at
}

// dirAbsNames are Windows' absolute names: drives, rooted, UNC, device and
// NT paths.
var dirAbsNames = []string{`C:\x`, "C:x", `c:outside`, `\outside`, "/outside",
	`\\?\C:\`, `\\.\C:`, `\??\C:\x`, `\\localhost\C$\x`, `..\outside`, `sub\..\..\outside`}

// eachDirEnv runs fn once, in a directory Wine can remove too.
func eachDirEnv(t *testing.T, fn func(t *testing.T, base string)) {
	t.Helper()
	fn(t, tempDir(t))
}

var dirStatKey = infoKey

func dirCalls(testing.TB) uint32 { return 0 }

const umask = 0

// checkCloexec: handles are not inherited unless asked for.
func checkCloexec(*testing.T, *extfs.File) {}

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

// TestWindowsDirFiles: what only Windows has, beyond dir_test.go: backslash
// names, the read-only attribute, device names that are not devices beneath
// a Dir, and flags Windows cannot honour.
func TestWindowsDirFiles(t *testing.T) {
	dir, d := openTree(t)
	f, err := dir.OpenFile(`sub\new`, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if want := d + `/sub\new`; f.Name() != want {
		t.Errorf("Name() = %q, want %q", f.Name(), want)
	}
	f.Close()
	// A read-only file, as os.OpenFile makes one with mode 0444.
	f, err = dir.OpenFile("ro", os.O_WRONLY|os.O_CREATE, 0o444)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, err := os.Stat(filepath.Join(d, "ro")); err != nil || fi.Mode() != 0o444 {
		t.Errorf("file made with 0444: %v, %v", fi, err)
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

// TestWindowsDirOps: Statx as os.Stat sees it, and the read-only attribute
// as Chmod sets it and Rename and Remove pass over it.
func TestWindowsDirOps(t *testing.T) {
	dir, d := openTree(t)
	st, err := dir.Statx("f")
	if err != nil {
		t.Fatal(err)
	}
	checkStatLikeOS(t, st, filepath.Join(d, "f"))
	self, err := dir.Statx(".")
	if err != nil {
		t.Fatal(err)
	}
	checkStatLikeOS(t, self, d)
	if err := dir.Chmod("f", 0o444); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(d, "f")); fi.Mode() != 0o444 {
		t.Errorf("after Dir.Chmod(0444): %v", fi.Mode())
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
	if got, want := dirNames(t, d), []string{"sub"}; !slices.Equal(got, want) {
		t.Errorf("the Dir's directory holds %q, want %q", got, want)
	}
}

func TestWindowsDirUnsupported(t *testing.T) {
	dir, _ := openTree(t)
	wantUnsupported(t, dir.Lchown("f", 0, 0), "lchown", "lchown")
	wantUnsupported(t, dir.Mkfifo("fifo", 0o644), "mknod", "FIFO")
	wantUnsupported(t, dir.Mknod("dev", fs.ModeDevice|0o644, 1), "mknod", "device")
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
