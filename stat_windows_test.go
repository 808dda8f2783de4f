package extfs_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/extfs/extfs"
	winsys "github.com/extfs/extfs/sys/windows"
)

// fixedTime has nanoseconds below Windows' 100 ns resolution.
var fixedTime = time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)

// checkStatLikeOS compares what Statx says of path with os.Stat.
func checkStatLikeOS(t *testing.T, st *extfs.Stat, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != fi.Mode() {
		t.Errorf("%s: Mode %v, os.Stat says %v", path, st.Mode, fi.Mode())
	}
	if !fi.IsDir() && st.Size != fi.Size() {
		t.Errorf("%s: Size %d, os.Stat says %d", path, st.Size, fi.Size())
	}
	if !st.Mtime.Equal(fi.ModTime()) {
		t.Errorf("%s: Mtime %v, os.Stat says %v", path, st.Mtime, fi.ModTime())
	}
	if st.Btime.IsZero() || st.Ctime.IsZero() || st.Atime.IsZero() {
		t.Errorf("%s: a zero time: Btime %v, Ctime %v, Atime %v", path, st.Btime, st.Ctime, st.Atime)
	}
	if st.Ino == 0 || st.Nlink == 0 || st.Blksize <= 0 {
		t.Errorf("%s: Ino %d, Nlink %d, Blksize %d: want them all > 0", path, st.Ino, st.Nlink, st.Blksize)
	}
	if st.Uid != 0 || st.Gid != 0 || st.Rdev != 0 {
		t.Errorf("%s: Uid %d Gid %d Rdev %d, want 0: Windows has none", path, st.Uid, st.Gid, st.Rdev)
	}
}

func TestWindowsStatx(t *testing.T) {
	data := randBytes(10000, 1)
	f, path := newFile(t, data)
	fst, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	checkStatLikeOS(t, fst, path)
	if fst.Size != int64(len(data)) || fst.Mode != 0o666 || fst.Nlink != 1 {
		t.Errorf("File.Statx: Size %d Mode %v Nlink %d, want %d, -rw-rw-rw-, 1", fst.Size, fst.Mode, fst.Nlink, len(data))
	}
	if fst.Blocks*512 < fst.Size && fst.Blocks*512 < 4096 {
		t.Errorf("Blocks = %d for %d bytes", fst.Blocks, fst.Size)
	}
	for name, stat := range map[string]func(string) (*extfs.Stat, error){"Statx": extfs.Statx, "Lstatx": extfs.Lstatx} {
		st, err := stat(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Ino != fst.Ino || st.Dev != fst.Dev || st.Size != fst.Size || !st.Btime.Equal(fst.Btime) {
			t.Errorf("%s(path) = %+v, File.Statx = %+v: not the same file", name, st, fst)
		}
	}

	dir := filepath.Dir(path)
	dst, err := extfs.Statx(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkStatLikeOS(t, dst, dir)
	if !dst.Mode.IsDir() || dst.Mode.Perm() != 0o777 {
		t.Errorf("directory mode %v, want drwxrwxrwx", dst.Mode)
	}

	if _, err := extfs.Statx(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Statx(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := extfs.Statx(""); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(`Statx("") = %v, want fs.ErrNotExist`, err)
	}
}

func TestWindowsSetTimes(t *testing.T) {
	f, path := newFile(t, randBytes(100, 1))
	atime := fixedTime.Add(-time.Hour)
	if err := f.SetTimes(atime, fixedTime); err != nil {
		t.Fatal(err)
	}
	st, err := extfs.Statx(path)
	if err != nil {
		t.Fatal(err)
	}
	// 100 ns resolution: nanoseconds are dropped, never rounded up.
	if want := fixedTime.Truncate(100); !st.Mtime.Equal(want) {
		t.Errorf("Mtime = %v, want %v", st.Mtime, want)
	}
	if want := atime.Truncate(100); !st.Atime.Equal(want) {
		t.Errorf("Atime = %v, want %v", st.Atime, want)
	}
	// A zero time leaves that time as it is. (Compared with the access time
	// just before: under Wine, GetFileType — which Statx calls after
	// reading the times — sets the access time of the Linux file to now.)
	before, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	later := fixedTime.Add(24 * time.Hour)
	if err := f.SetTimes(time.Time{}, later); err != nil {
		t.Fatal(err)
	}
	if st, err = f.Statx(); err != nil {
		t.Fatal(err)
	}
	if !st.Atime.Equal(before.Atime) || !st.Mtime.Equal(later.Truncate(100)) {
		t.Errorf("after SetTimes(zero, %v): Atime %v, Mtime %v; want Atime %v kept", later, st.Atime, st.Mtime, before.Atime)
	}
	// Before 1601 or after 30827: refused, nothing changed.
	for _, bad := range []time.Time{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(40000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if err := f.SetTimes(bad, time.Time{}); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("SetTimes(%v) = %v, want fs.ErrInvalid", bad, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(later.Truncate(100)) {
		t.Errorf("os.Stat ModTime = %v, want %v", fi.ModTime(), later.Truncate(100))
	}
}

func TestWindowsChmod(t *testing.T) {
	f, path := newFile(t, randBytes(100, 1))
	if err := f.Chmod(0o444); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o444 {
		t.Errorf("mode after Chmod(0444) = %v, want -r--r--r--", fi.Mode())
	}
	// Wine keeps the attribute as the Unix mode, which root ignores.
	if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		w.Close()
		if winsys.WineVersion() == "" {
			t.Errorf("opened a read-only file for writing")
		}
	} else if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("opening a read-only file for writing: %v, want fs.ErrPermission", err)
	}
	// The owner's write bit is the attribute; the other bits are ignored,
	// as by os.Chmod.
	if err := f.Chmod(0o600); err != nil {
		t.Fatal(err)
	}
	st, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != 0o666 {
		t.Errorf("mode after Chmod(0600) = %v, want -rw-rw-rw-", st.Mode)
	}
	if err := f.Chmod(fs.ModeDir | 0o755); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Chmod with a type bit: %v, want fs.ErrInvalid", err)
	}
}

func TestWindowsHardLink(t *testing.T) {
	f, path := newFile(t, randBytes(100, 1))
	link := path + ".link"
	if err := extfs.Link(path, link); err != nil {
		t.Fatal(err)
	}
	a, err := f.Statx()
	if err != nil {
		t.Fatal(err)
	}
	b, err := extfs.Statx(link)
	if err != nil {
		t.Fatal(err)
	}
	if a.Nlink != 2 || b.Nlink != 2 || a.Ino != b.Ino || a.Dev != b.Dev {
		t.Errorf("after Link: Nlink %d/%d, Ino %d/%d, Dev %d/%d; want 2, one file", a.Nlink, b.Nlink, a.Ino, b.Ino, a.Dev, b.Dev)
	}
	err = extfs.Link(path, link)
	var le *os.LinkError
	if !errors.Is(err, fs.ErrExist) || !errors.As(err, &le) || le.Op != "link" {
		t.Errorf("Link onto an existing name = %v, want an *os.LinkError matching fs.ErrExist", err)
	}
	if err := extfs.Link(path+".missing", path+".x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Link of a missing file = %v, want fs.ErrNotExist", err)
	}
}

func TestWindowsSymlink(t *testing.T) {
	dir := tempDir(t)
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := extfs.Symlink("", link); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Symlink with an empty target = %v, want fs.ErrInvalid", err)
	}
	err := extfs.Symlink("target", link)
	if err != nil {
		if _, serr := os.Lstat(link); serr == nil {
			t.Errorf("Symlink failed (%v) but %s exists", err, link)
		}
		var le *os.LinkError
		if !errors.As(err, &le) || le.Op != "symlink" {
			t.Errorf("Symlink error %v: not an *os.LinkError with Op symlink", err)
		}
	}
	wineLacks(t, err, "symbolic links")

	got, err := extfs.Readlink(link)
	if err != nil || got != "target" {
		t.Errorf("Readlink = %q, %v; want target", got, err)
	}
	lst, err := extfs.Lstatx(link)
	if err != nil || lst.Mode.Type() != fs.ModeSymlink {
		t.Errorf("Lstatx(link) = %v, %v; want a symbolic link", lst, err)
	}
	st, err := extfs.Statx(link)
	if err != nil || st.Size != 5 || !st.Mode.IsRegular() {
		t.Errorf("Statx(link) = %+v, %v; want the 5-byte target", st, err)
	}
	// A link to a directory is a directory link; '/' is stored as '\'.
	dlink := filepath.Join(dir, "dlink")
	if err := extfs.Symlink("./sub", dlink); err != nil {
		t.Fatal(err)
	}
	if got, err := extfs.Readlink(dlink); err != nil || got != `.\sub` {
		t.Errorf(`Readlink(dlink) = %q, %v; want .\sub`, got, err)
	}
	if st, err := extfs.Statx(dlink); err != nil || !st.Mode.IsDir() {
		t.Errorf("Statx(dlink) = %v, %v; want the directory", st, err)
	}
	if _, err := extfs.Readlink(target); err == nil {
		t.Errorf("Readlink of a regular file succeeded")
	}
}
