//go:build linux || freebsd || openbsd || netbsd

package posix

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/beneath"
	"golang.org/x/sys/unix"
)

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestFileCalls(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	noErr(t, "write", os.WriteFile(name, []byte("hello"), 0o640))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
	noErr(t, "open", err)
	defer f.Close()
	fd := int(f.Fd())

	st, err := Fstat(fd)
	noErr(t, "Fstat", err)
	fi, _ := os.Stat(name)
	if st.Size != 5 || st.Mode != 0o640 || st.Nlink != 1 {
		t.Errorf("Fstat: %+v", st)
	}
	if !st.Mtime.Equal(fi.ModTime()) {
		t.Errorf("Fstat mtime %v, os.Stat %v", st.Mtime, fi.ModTime())
	}
	if m, ok := GetOpenMode(fd); !ok || m != (OpenMode{Read: true, Write: true, Append: true}) {
		t.Errorf("GetOpenMode = %+v, %v", m, ok)
	}

	mtime := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	noErr(t, "Futimes", Futimes(fd, time.Time{}, mtime))
	st2, _ := Fstat(fd)
	// futimes(2) keeps microseconds: the kept atime loses the rest.
	if !st2.Mtime.Equal(mtime) || !st2.Atime.Equal(st.Atime.Truncate(time.Microsecond)) {
		t.Errorf("after Futimes: atime %v (was %v), mtime %v (want %v)", st2.Atime, st.Atime, st2.Mtime, mtime)
	}
	noErr(t, "Fchmod", Fchmod(fd, 0o600))
	noErr(t, "Ftruncate", Ftruncate(fd, 3<<20))
	noErr(t, "Fsync", Fsync(fd))
	if st, _ := Fstat(fd); st.Mode.Perm() != 0o600 || st.Size != 3<<20 {
		t.Errorf("after Fchmod and Ftruncate: %+v", st)
	}
	if _, err := f.WriteAt([]byte("x"), 2<<20); err == nil {
		t.Fatalf("WriteAt with O_APPEND succeeded")
	}
}

func TestSeekData(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "sparse"))
	noErr(t, "create", err)
	defer f.Close()
	_, err = f.WriteAt(make([]byte, 4096), 1<<20)
	noErr(t, "write", err)
	noErr(t, "truncate", f.Truncate(4<<20))
	data, hole, ok, err := SeekData(int(f.Fd()), 0)
	if errors.Is(err, ErrUnsupported) {
		t.Skip("no SEEK_DATA here")
	}
	noErr(t, "SeekData", err)
	if !ok || data > 1<<20 || hole < 1<<20+4096 || hole == 4<<20 && data == 0 {
		t.Logf("SeekData = %d, %d, %v (a filesystem without holes answers 0, size)", data, hole, ok)
	}
	if _, _, ok, err := SeekData(int(f.Fd()), 3<<20); err == nil && ok && hole != 4<<20 {
		t.Errorf("SeekData past the last data: ok")
	}
}

func TestDir(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	noErr(t, "mkdir", os.MkdirAll(filepath.Join(root, "a"), 0o755))
	noErr(t, "write", os.WriteFile(filepath.Join(root, "a", "f"), []byte("data"), 0o644))
	noErr(t, "write", os.WriteFile(filepath.Join(base, "outside"), nil, 0o644))
	noErr(t, "symlink", os.Symlink("a/f", filepath.Join(root, "l")))
	noErr(t, "symlink", os.Symlink("../outside", filepath.Join(root, "out")))
	noErr(t, "symlink", os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "abs")))
	dfd, err := OpenDir(root)
	noErr(t, "OpenDir", err)
	defer unix.Close(dfd)

	for _, name := range []string{"..", "a/../..", "out", "abs/f", "/etc/passwd"} {
		if fd, err := OpenBeneath(dfd, name, unix.O_RDONLY, 0); !errors.Is(err, beneath.ErrEscapes) {
			unix.Close(fd)
			t.Errorf("OpenBeneath(%q) = %v, want ErrEscapes", name, err)
		}
	}
	fd, err := OpenBeneath(dfd, "l", unix.O_RDONLY, 0)
	noErr(t, "OpenBeneath through a link", err)
	st, _ := Fstat(fd)
	unix.Close(fd)
	if st.Size != 4 {
		t.Errorf("l opened a file of %d bytes, want a/f's 4", st.Size)
	}
	if _, err := OpenBeneath(dfd, "l", unix.O_RDONLY|unix.O_NOFOLLOW, 0); err != unix.ELOOP {
		t.Errorf("OpenBeneath(l, O_NOFOLLOW) = %v, want ELOOP", err)
	}

	if st, err := DirStat(dfd, "l", true); err != nil || st.Size != 4 {
		t.Errorf("DirStat(l, follow) = %+v, %v", st, err)
	}
	if st, err := DirStat(dfd, "l", false); err != nil || st.Mode.Type() != fs.ModeSymlink {
		t.Errorf("DirStat(l) = %+v, %v; want the link", st, err)
	}
	if _, err := DirStat(dfd, "out", true); !errors.Is(err, beneath.ErrEscapes) {
		t.Errorf("DirStat(out, follow) = %v, want ErrEscapes", err)
	}
	if st, err := DirStat(dfd, "a/", true); err != nil || !st.Mode.IsDir() {
		t.Errorf("DirStat(a/) = %+v, %v", st, err)
	}
	noErr(t, "DirChmod", DirChmod(dfd, "l", 0o600))
	if fi, _ := os.Stat(filepath.Join(root, "a", "f")); fi.Mode().Perm() != 0o600 {
		t.Errorf("DirChmod through l: a/f has mode %v", fi.Mode())
	}
	mtime := time.Unix(1e9, 123456789)
	noErr(t, "DirSetTimes", DirSetTimes(dfd, "l", time.Time{}, mtime, true))
	if fi, _ := os.Stat(filepath.Join(root, "a", "f")); !fi.ModTime().Equal(mtime) {
		t.Errorf("DirSetTimes: mtime %v, want %v", fi.ModTime(), mtime)
	}

	noErr(t, "DirMkdir", DirMkdir(dfd, "a/b", 0o750))
	noErr(t, "DirRename", DirRename(dfd, "a/f", dfd, "a/b/g"))
	noErr(t, "DirLink", DirLink(dfd, "a/b/g", dfd, "h"))
	noErr(t, "DirSymlink", DirSymlink("h", dfd, "a/s"))
	if target, err := DirReadlink(dfd, "a/s"); err != nil || target != "h" {
		t.Errorf("DirReadlink = %q, %v", target, err)
	}
	noErr(t, "DirMknod FIFO", DirMknod(dfd, "fifo", unix.S_IFIFO|0o600, 0))
	if err := DirRemove(dfd, "a/b"); err != unix.ENOTEMPTY && err != unix.EEXIST {
		t.Errorf("DirRemove of a full directory = %v", err)
	}
	for _, n := range []string{"a/b/g", "a/b", "fifo", "a/s"} {
		noErr(t, "DirRemove "+n, DirRemove(dfd, n))
	}
	if _, err := os.Lstat(filepath.Join(root, "a", "b")); !os.IsNotExist(err) {
		t.Errorf("a/b still there: %v", err)
	}
}
