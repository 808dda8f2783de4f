//go:build linux

package extfs

// The answers of fileFallback and dirFallback, what FreeBSD, OpenBSD and
// NetBSD run, checked on Linux against Linux's own adapters.

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/extfs/extfs/internal/batchop"
)

func TestFallbackFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := f.Fd()
	var fb fileFallback

	got, err := fb.fstat(fd)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sysFile.fstat(fd)
	if err != nil {
		t.Fatal(err)
	}
	if got.Dev != want.Dev || got.Ino != want.Ino || got.Mode != want.Mode || got.Size != want.Size ||
		got.Nlink != want.Nlink || !got.Mtime.Equal(want.Mtime) || !got.Ctime.Equal(want.Ctime) {
		t.Errorf("fileFallback.fstat = %+v\nsysFile.fstat = %+v", got, want)
	}
	for a := AdviceNormal; a <= AdviceNoReuse; a++ {
		if err := fb.fadvise(fd, 0, 0, a); err != nil {
			t.Errorf("fileFallback.fadvise(%v): %v", a, err)
		}
	}
	if !fb.supports(FeatureFadvise) {
		t.Error("fileFallback.supports(FeatureFadvise) = false where posix_fadvise exists")
	}
	if err := fb.fallocate(fd, 0, 0, 1<<20); err != nil {
		t.Errorf("fallocate mode 0: %v", err)
	} else if st, _ := fb.fstat(fd); st.Size != 1<<20 {
		t.Errorf("after fallocate: %d bytes", st.Size)
	}
	if err := fb.fallocate(fd, AllocPunchHole|AllocKeepSize, 0, 4096); !errors.Is(err, ErrNotSupported) {
		t.Errorf("fallocate punch hole = %v, want ErrNotSupported", err)
	}
	if _, err := fb.getxattr(xattrAt{Fd: int(fd)}, "user.x"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("getxattr = %v, want ErrNotSupported (Linux's xattrs are not the fallback's)", err)
	}
	if err := fb.fsync(fd, true); err != nil {
		t.Errorf("fsync: %v", err)
	}

	op := fb.op(&batchop.Desc{Kind: batchop.OpenFile, Name: name, Flags: os.O_RDONLY})
	op.res = op.run()
	if r := op.result(); r.err != nil || r.n < 0 {
		t.Errorf("op(OpenFile): %+v", r)
	} else {
		os.NewFile(uintptr(r.n), name).Close()
	}
}

func TestFallbackDir(t *testing.T) {
	root := t.TempDir()
	if err := os.Symlink("..", filepath.Join(root, "up")); err != nil {
		t.Fatal(err)
	}
	var fb dirFallback
	dfd, err := fb.openDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer os.NewFile(dfd, root).Close()
	d := int(dfd)
	if err := fb.mkdir(d, "a", 0o750); err != nil {
		t.Fatal(err)
	}
	fd, err := fb.openFile(d, "a/f", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	os.NewFile(fd, "a/f").Close()
	if _, err := fb.openFile(d, "up/x", os.O_RDONLY, 0); !errors.Is(err, ErrEscapes) {
		t.Errorf("openFile through a link to .. = %v, want ErrEscapes", err)
	}
	st, err := fb.stat(d, "a/f", true)
	if err != nil || !st.Mode.IsRegular() || st.Mode.Perm() != 0o600 {
		t.Errorf("stat a/f = %+v, %v", st, err)
	}
	if err := fb.rename(d, "a/f", d, "g"); err != nil {
		t.Errorf("rename: %v", err)
	}
	if err := fb.remove(d, "a"); err != nil {
		t.Errorf("remove a: %v", err)
	}
}
