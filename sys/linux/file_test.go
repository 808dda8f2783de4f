//go:build linux

package linux

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/extfs/extfs/internal/fsenum"
	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/unix"
)

// TestEnumTables checks the tables that give extfs's Advice, AllocMode and
// XattrFlag their kernel values, in extfs's order.
func TestEnumTables(t *testing.T) {
	for a, want := range []int{unix.FADV_NORMAL, unix.FADV_SEQUENTIAL, unix.FADV_RANDOM,
		unix.FADV_WILLNEED, unix.FADV_DONTNEED, unix.FADV_NOREUSE} {
		if got := Advice(a); got != want {
			t.Errorf("Advice(%d) = %d, want %d", a, got, want)
		}
	}
	if got, want := AllocFlags(1|2), uint32(unix.FALLOC_FL_KEEP_SIZE|unix.FALLOC_FL_PUNCH_HOLE); got != want {
		t.Errorf("AllocFlags(KeepSize|PunchHole) = %#x, want %#x", got, want)
	}
	if got := AllocFlags(1 << 5); got != unix.FALLOC_FL_UNSHARE_RANGE {
		t.Errorf("AllocFlags(UnshareRange) = %#x", got)
	}
	for f, want := range []int{0, unix.XATTR_CREATE, unix.XATTR_REPLACE, unix.XATTR_CREATE | unix.XATTR_REPLACE} {
		if got := setxattrFlags(fsenum.XattrFlag(f)); got != want {
			t.Errorf("setxattrFlags(%d) = %#x, want %#x", f, got, want)
		}
	}
}

// TestStat compares Fstat, Statat and their Ops with fstat(2).
func TestStat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, make([]byte, 5000), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	want := fstat(t, fd)
	check := func(what string, s fsstat.Stat, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s.Ino != want.Ino || s.Size != 5000 || s.Mode != 0o640 || s.Nlink != 1 || s.Dev != want.Dev {
			t.Errorf("%s = %+v, want ino %d size 5000 mode 0640 dev %d", what, s, want.Ino, want.Dev)
		}
		if s.Mtime.Unix() != want.Mtim.Sec {
			t.Errorf("%s: mtime %v, want %d", what, s.Mtime, want.Mtim.Sec)
		}
	}
	s, err := Fstat(fd)
	check("Fstat", s, err)
	s, err = Statat(unix.AT_FDCWD, filepath.Join(dir, "l"), true)
	check("Statat(follow)", s, err)
	if s, err = Statat(unix.AT_FDCWD, filepath.Join(dir, "l"), false); err != nil || s.Mode&os.ModeSymlink == 0 {
		t.Errorf("Statat(nofollow) of a link: mode %v, %v", s.Mode, err)
	}
	if _, err := Statat(unix.AT_FDCWD, "", true); err != unix.ENOENT {
		t.Errorf("Statat of an empty path: %v, want ENOENT", err)
	}
	dirfd, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	s, err = DirStat(dirfd, "l", true)
	check("DirStat", s, err)

	ops := []*Op{FstatOp(fd), StatatOp(unix.AT_FDCWD, filepath.Join(dir, "l"), true), FsyncOp(fd, false)}
	if err := Run(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	for i, op := range ops[:2] {
		s, ok := op.Stat()
		if !ok {
			t.Fatalf("op %d: no Stat (%v)", i, op.Err())
		}
		check("StatOp", s, nil)
	}
	if _, ok := ops[2].Stat(); ok {
		t.Error("an fsync Op has a Stat")
	}
}
