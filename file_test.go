//go:build linux

package extfs_test

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

func TestOpenCreate(t *testing.T) {
	eachEngineFS(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		path := join(dir, "f")
		writeSynced(t, path, []byte("old content"))

		f, err := extfs.Create(path)
		noErr(t, "Create", err)
		if f.Name() != path {
			t.Errorf("Name = %q, want %q", f.Name(), path)
		}
		if st := fstat(t, f); st.Size != 0 {
			t.Errorf("Create did not truncate: size %d", st.Size)
		}
		if _, err := f.OSFile().Write([]byte("new")); err != nil {
			t.Errorf("write through OSFile: %v", err)
		}
		noErr(t, "Sync", f.Sync())
		noErr(t, "Datasync", f.Datasync())
		noErr(t, "Close", f.Close())
		if got := readAll(t, path); string(got) != "new" {
			t.Errorf("content %q", got)
		}

		r, err := extfs.Open(path)
		noErr(t, "Open", err)
		if _, err := r.OSFile().Write([]byte("x")); !errors.Is(err, syscall.EBADF) {
			t.Errorf("Open is not read-only: write gave %v", err)
		}
		noErr(t, "Close", r.Close())

		missing := join(dir, "missing")
		_, err = extfs.Open(missing)
		wantPathErr(t, err, "open", missing, fs.ErrNotExist)
		_, err = extfs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		wantPathErr(t, err, "open", path, fs.ErrExist)

		// NewFile shares the descriptor: closing the File closes the *os.File.
		of, err := os.Open(path)
		noErr(t, "os.Open", err)
		nf := extfs.NewFile(of)
		if nf.OSFile() != of || nf.Name() != path {
			t.Errorf("NewFile: OSFile %p (want %p), Name %q", nf.OSFile(), of, nf.Name())
		}
		noErr(t, "Close", nf.Close())
		if _, err := of.Stat(); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("after File.Close, the *os.File answers %v", err)
		}
	})
}
