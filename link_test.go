//go:build linux

package extfs_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// wantLinkError fails unless err is an *os.LinkError with op, old and new that
// matches every target.
func wantLinkError(t testing.TB, err error, op, oldname, newname string, targets ...error) {
	t.Helper()
	wantErr(t, op, err, targets...)
	var le *os.LinkError
	if !errors.As(err, &le) {
		t.Errorf("%s: %v is a %T, want *os.LinkError", op, err, err)
		return
	}
	if le.Op != op || le.Old != oldname || le.New != newname {
		t.Errorf("LinkError{%q %q %q}, want {%q %q %q}", le.Op, le.Old, le.New, op, oldname, newname)
	}
}

func TestLink(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		data := randBytes(5000, 40)
		_, path := newFile(t, dir, "f", data)
		hard := join(dir, "hard")

		noErr(t, "Link", extfs.Link(path, hard))
		s, h := stat(t, path), lstat(t, hard)
		if s.Ino != h.Ino || h.Nlink != 2 {
			t.Errorf("after Link: ino %d vs %d, nlink %d", s.Ino, h.Ino, h.Nlink)
		}
		if got := readAll(t, hard); sum(got) != sum(data) {
			t.Error("the link does not read the file's bytes")
		}

		err := extfs.Link(path, hard)
		wantLinkError(t, err, "link", path, hard, fs.ErrExist, syscall.EEXIST)
		missing := join(dir, "missing")
		err = extfs.Link(missing, join(dir, "x"))
		wantLinkError(t, err, "link", missing, join(dir, "x"), fs.ErrNotExist)
		if _, err := os.Lstat(join(dir, "x")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("failed Link created its new name")
		}
		sub := join(dir, "d")
		noErr(t, "mkdir", os.Mkdir(sub, 0o755))
		err = extfs.Link(sub, join(dir, "dirlink"))
		wantLinkError(t, err, "link", sub, join(dir, "dirlink"), syscall.EPERM)

		// Link does not follow a symbolic link: the new name is a link too.
		sym := join(dir, "sym")
		noErr(t, "symlink", os.Symlink("f", sym))
		noErr(t, "Link(symlink)", extfs.Link(sym, join(dir, "symhard")))
		if st := lstat(t, join(dir, "symhard")); st.Ino != lstat(t, sym).Ino {
			t.Error("Link followed the symbolic link")
		}
	})
}

func TestSymlinkReadlink(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		_, path := newFile(t, dir, "f", []byte("x"))
		for _, target := range []string{
			"f",
			path,
			"does/not/exist", // a dangling target is stored as given
			"../" + strings.Repeat("a", 255),
			strings.Repeat("d/", 450) + "x", // longer than the first buffer guesses
			"with space and ünïcode",
		} {
			link := join(dir, "l")
			os.Remove(link)
			noErr(t, "Symlink", extfs.Symlink(target, link))
			if got, err := os.Readlink(link); err != nil || got != target {
				t.Errorf("os.Readlink after Symlink(%.20q) = %.20q, %v", target, got, err)
			}
			if got, err := extfs.Readlink(link); err != nil || got != target {
				t.Errorf("Readlink = %.20q (%d bytes), %v; want %d bytes", got, len(got), err, len(target))
			}
		}

		// The longest target stored: PATH_MAX - 1 bytes, but XFS keeps at most
		// 1023 (XFS_SYMLINK_MAXLEN counts the NUL). One more is ENAMETOOLONG.
		max := 4095
		if fsys.Kind == testfs.XFS {
			max = 1023
		}
		long := strings.Repeat("z", max)
		noErr(t, "Symlink of the longest target", extfs.Symlink(long, join(dir, "long")))
		if got, err := extfs.Readlink(join(dir, "long")); err != nil || got != long {
			t.Errorf("Readlink of a %d-byte target: %d bytes, %v", max, len(got), err)
		}
		tooLong := long + "z"
		err := extfs.Symlink(tooLong, join(dir, "toolong"))
		wantLinkError(t, err, "symlink", tooLong, join(dir, "toolong"), syscall.ENAMETOOLONG)
		if _, err := os.Lstat(join(dir, "toolong")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("refused Symlink created the link")
		}

		existing := join(dir, "l")
		err = extfs.Symlink("other", existing)
		wantLinkError(t, err, "symlink", "other", existing, fs.ErrExist)
		err = extfs.Symlink("other", path)
		wantLinkError(t, err, "symlink", "other", path, fs.ErrExist)
		if got := readAll(t, path); string(got) != "x" {
			t.Error("Symlink over an existing file changed it")
		}

		_, err = extfs.Readlink(path)
		wantPathErr(t, err, "readlink", path, syscall.EINVAL)
		_, err = extfs.Readlink(dir)
		wantPathErr(t, err, "readlink", dir, syscall.EINVAL)
		missing := join(dir, "missing")
		_, err = extfs.Readlink(missing)
		wantPathErr(t, err, "readlink", missing, fs.ErrNotExist)
	})
}
