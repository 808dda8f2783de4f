//go:build linux

package extfs_test

import (
	"errors"
	"os"
	"testing"

	"github.com/extfs/extfs"
	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

// Helpers of the Linux tests: they check outcomes with golang.org/x/sys/unix.

// fstat is unix.Fstat of an extfs File's descriptor.
func fstat(t testing.TB, f *extfs.File) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.OSFile().Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func stat(t testing.TB, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func lstat(t testing.TB, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// fsBlockSize is the filesystem's block size (statfs f_bsize).
func fsBlockSize(t testing.TB, path string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bsize
}

// wantNotSupported checks the three ways "not supported" must be
// recognizable, plus the errno the kernel gave.
func wantNotSupported(t testing.TB, what string, err error) {
	t.Helper()
	wantErr(t, what, err, extfs.ErrNotSupported, errors.ErrUnsupported, unix.EOPNOTSUPP)
}

// seek returns lseek(SEEK_DATA / SEEK_HOLE) from off.
func seek(t testing.TB, path string, off int64, whence int) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := unix.Seek(int(f.Fd()), off, whence)
	if err != nil {
		t.Fatalf("lseek(%s, %d, %d): %v", path, off, whence, err)
	}
	return n
}

// diffBytes reports a short description of the first difference.
// setXattrIndependently sets an xattr with github.com/pkg/xattr.
func setXattrIndependently(t testing.TB, path, name string, value []byte) {
	t.Helper()
	if err := xattr.Set(path, name, value); err != nil {
		t.Fatalf("pkg/xattr Set(%s, %s): %v", path, name, err)
	}
}
