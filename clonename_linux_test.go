package extfs

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/extfs/extfs/internal/byname"
	"golang.org/x/sys/unix"
)

// Clones made by name (clonename.go) are macOS's; their algorithm is
// portable, and runs here with a cloner that makes the "clone" as a copy
// under the temporary name, as clonefile would, so that what is asked of
// it, how it is counted, and how its failures read and are cleaned up are
// tested where tests run.

// fakeCloner records what it is asked and answers as told: fail, if set,
// is clone's error; copyInstead makes it answer "copy instead".
type fakeCloner struct {
	t           *testing.T
	fail        error
	copyInstead bool
	renameErr   error
	reqs        []byname.Req
	removed     []string
}

func (fc *fakeCloner) cloner() nameCloner {
	return nameCloner{clone: fc.clone, remove: fc.remove, rename: fc.rename}
}

func (fc *fakeCloner) clone(r *byname.Req) (int, string, error) {
	fc.reqs = append(fc.reqs, *r)
	switch {
	case fc.fail != nil:
		return -1, "", fc.fail
	case fc.copyInstead:
		return -1, "", nil
	}
	mode := r.Want
	if r.KeepMode {
		mode = r.Mode
	}
	for {
		name := filepath.Join(r.Dir, r.TempName(r.Base))
		fd, err := unix.Openat(r.Dirfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, mode)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return -1, "", &byname.Error{Op: "open", Name: name, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(r.Src, &st); err != nil {
			fc.t.Fatal(err)
		}
		buf := make([]byte, st.Size)
		if _, err := unix.Pread(r.Src, buf, 0); err != nil {
			fc.t.Fatal(err)
		}
		if _, err := unix.Pwrite(fd, buf, 0); err != nil {
			fc.t.Fatal(err)
		}
		return fd, name, nil
	}
}

func (fc *fakeCloner) remove(dirfd int, name string) error {
	fc.removed = append(fc.removed, name)
	return unix.Unlinkat(dirfd, name, 0)
}

func (fc *fakeCloner) rename(dirfd int, old, new string) error {
	if fc.renameErr != nil {
		return fc.renameErr
	}
	return unix.Renameat(dirfd, old, dirfd, new)
}

// byNameSetup writes a source file of n bytes in a new directory and opens
// it as CopyFile would.
func byNameSetup(t *testing.T, n int, o *CopyOptions) (*byNameReq, []byte, string) {
	t.Helper()
	dir := t.TempDir()
	data := bytes.Repeat([]byte("by name "), n/8)
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o640); err != nil {
		t.Fatal(err)
	}
	sf, err := Open(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sf.Close() })
	st, err := sf.Statx()
	if err != nil {
		t.Fatal(err)
	}
	return &byNameReq{ctx: context.Background(), src: sf, st: st, dst: filepath.Join(dir, "dst"), o: o}, data, dir
}

func TestCloneByName(t *testing.T) {
	var progress []int64
	o := &CopyOptions{CoW: CoWAuto, Progress: func(done, _ int64) { progress = append(progress, done) }}
	r, data, dir := byNameSetup(t, 100<<10, o)
	fc := &fakeCloner{t: t}
	tmp, err := cloneByName(r, fc.cloner())
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.f.Close()
	if !tmp.done || tmp.stats.Files != 1 || tmp.stats.ClonedBytes != int64(len(data)) || tmp.stats.CopiedBytes != 0 {
		t.Errorf("clone: done %v, stats %+v; want done, one file of %d cloned bytes", tmp.done, tmp.stats, len(data))
	}
	if len(progress) == 0 || progress[len(progress)-1] != int64(len(data)) {
		t.Errorf("progress %v; want it to end at %d", progress, len(data))
	}
	got, err := os.ReadFile(tmp.name)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the clone %s holds %d bytes (%v); want the source's %d", tmp.name, len(got), err, len(data))
	}
	// The spare file, made to learn the copy's permission bits, is gone;
	// the clone was asked for them.
	if names := entryNames(t, dir); !slices.Equal(names, []string{filepath.Base(tmp.name), "src"}) {
		t.Errorf("directory holds %v; want the source and the clone", names)
	}
	umask := unix.Umask(0)
	unix.Umask(umask)
	if len(fc.reqs) != 1 || fc.reqs[0].Want != 0o640&^uint32(umask) || fc.reqs[0].KeepMode || fc.reqs[0].Base != "dst" {
		t.Errorf("asked %+v; want one clone of dst with mode %#o", fc.reqs, 0o640&^umask)
	}
}

func TestCloneByNameCopyInstead(t *testing.T) {
	r, _, dir := byNameSetup(t, 4096, &CopyOptions{CoW: CoWAuto})
	fc := &fakeCloner{t: t, copyInstead: true}
	tmp, err := cloneByName(r, fc.cloner())
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.f.Close()
	if tmp.done || tmp.f == nil {
		t.Fatalf("copy instead: done %v, file %v; want the spare file to copy into", tmp.done, tmp.f)
	}
	if st, err := tmp.f.Statx(); err != nil || st.Size != 0 {
		t.Errorf("spare file: %+v, %v; want empty", st, err)
	}
	if names := entryNames(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v; want the source and the spare file", names)
	}

	// With PreserveMode there is no spare file to learn the mode from:
	// "copy instead" leaves nothing behind.
	r, _, dir = byNameSetup(t, 4096, &CopyOptions{CoW: CoWAuto, Preserve: PreserveMode})
	tmp, err = cloneByName(r, fc.cloner())
	if err != nil || tmp.f != nil || tmp.done {
		t.Errorf("copy instead with PreserveMode: %+v, %v; want nothing made", tmp, err)
	}
	if !fc.reqs[len(fc.reqs)-1].KeepMode || fc.reqs[len(fc.reqs)-1].Mode != 0o640 {
		t.Errorf("asked %+v; want the source's mode kept", fc.reqs[len(fc.reqs)-1])
	}
	if names := entryNames(t, dir); !slices.Equal(names, []string{"src"}) {
		t.Errorf("directory holds %v; want the source alone", names)
	}

	// No clone wanted: the cloner is not asked.
	for _, o := range []*CopyOptions{{CoW: CoWNever}, {CoW: CoWAuto}} {
		size := 4096
		if o.CoW == CoWAuto {
			size = 0 // an empty file is made, not cloned
		}
		r, _, _ := byNameSetup(t, size, o)
		fc := &fakeCloner{t: t}
		if tmp, err := cloneByName(r, fc.cloner()); err != nil || tmp.f != nil || len(fc.reqs) != 0 {
			t.Errorf("CoW %v, %d bytes: %+v, %v, %d requests; want nothing asked", o.CoW, size, tmp, err, len(fc.reqs))
		}
	}
}

func TestCloneByNameErrors(t *testing.T) {
	for _, tt := range []struct {
		name        string
		fail        error
		unsupported bool
		path        string // the *fs.PathError's, if any
		cleanup     bool
	}{
		{"cannot clone here", &byname.Error{Op: "fclonefileat", Err: unix.EXDEV, Why: "clone: different volumes"}, true, "", false},
		{"refused", &byname.Error{Op: "clone", Why: "clone: would widen"}, true, "", false},
		{"on the source", &byname.Error{Op: "fstat", Err: unix.EIO}, false, "", false},
		{"on the clone", &byname.Error{Op: "chown", Name: "c.tmp", Err: unix.EPERM}, false, "c.tmp", false},
		{"not cleaned up", &byname.Error{Op: "chown", Name: "c.tmp", Err: unix.EPERM, Cleanup: unix.EACCES}, false, "c.tmp", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _, dir := byNameSetup(t, 4096, &CopyOptions{CoW: CoWAlways})
			_, err := cloneByName(r, (&fakeCloner{t: t, fail: tt.fail}).cloner())
			var be *byname.Error
			errors.As(tt.fail, &be)
			if err == nil || errors.Is(err, ErrNotSupported) != tt.unsupported || be.Err != nil && !errors.Is(err, be.Err) {
				t.Fatalf("err = %v; want one wrapping %v, matching ErrNotSupported: %v", err, be.Err, tt.unsupported)
			}
			var pe *fs.PathError
			if tt.path != "" && (!errors.As(err, &pe) || pe.Path != tt.path || pe.Op != be.Op) {
				t.Errorf("err = %v; want a *fs.PathError %s on %s", err, be.Op, tt.path)
			}
			if tt.cleanup != errors.Is(err, unix.EACCES) {
				t.Errorf("err = %v; want the failed cleanup said: %v", err, tt.cleanup)
			}
			if names := entryNames(t, dir); !slices.Equal(names, []string{"src"}) {
				t.Errorf("directory holds %v; want the source alone", names)
			}
		})
	}

	// Stopped once made: the clone is removed, and the error is the context's.
	r, _, dir := byNameSetup(t, 4096, &CopyOptions{CoW: CoWAuto})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.ctx = ctx
	fc := &fakeCloner{t: t}
	if _, err := cloneByName(r, fc.cloner()); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v; want context.Canceled", err)
	}
	if names := entryNames(t, dir); !slices.Equal(names, []string{"src"}) || len(fc.removed) != 1 {
		t.Errorf("canceled: directory holds %v, removed %v; want the source alone, the clone removed", names, fc.removed)
	}

	// A closed source is said to be one.
	r, _, _ = byNameSetup(t, 4096, &CopyOptions{CoW: CoWAuto, Preserve: PreserveMode})
	r.src.Close()
	if _, err := cloneByName(r, (&fakeCloner{t: t}).cloner()); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("closed source: err = %v; want fs.ErrClosed", err)
	}
}

func TestCloneIntoTree(t *testing.T) {
	r, data, _ := byNameSetup(t, 64<<10, &CopyOptions{CoW: CoWAuto})
	dst := t.TempDir()
	d, err := OpenDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	nf, err := newTreeFile(d, "f", 0o644, true, false)
	if err != nil {
		t.Fatal(err)
	}
	stats, cloned, err := cloneIntoTree(context.Background(), (&fakeCloner{t: t}).cloner(), r.src, r.st, nf, r.o)
	if err != nil || !cloned || stats.ClonedBytes != int64(len(data)) {
		t.Fatalf("cloneIntoTree = %+v, %v, %v; want the clone", stats, cloned, err)
	}
	nf.f.Close()
	if got, err := os.ReadFile(filepath.Join(dst, "f")); err != nil || !bytes.Equal(got, data) {
		t.Errorf("f holds %d bytes (%v); want the source's %d", len(got), err, len(data))
	}
	if names := entryNames(t, dst); !slices.Equal(names, []string{"f"}) {
		t.Errorf("directory holds %v; want the clone at f alone", names)
	}

	// A clone that cannot be renamed into place is removed; the empty file stays.
	nf, err = newTreeFile(d, "g", 0o644, true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer nf.f.Close()
	fc := &fakeCloner{t: t, renameErr: syscall.EIO}
	_, cloned, err = cloneIntoTree(context.Background(), fc.cloner(), r.src, r.st, nf, r.o)
	var le *os.LinkError
	if cloned || !errors.As(err, &le) || le.Op != "renameat" || !errors.Is(err, syscall.EIO) {
		t.Errorf("rename fails: cloned %v, err %v; want a *os.LinkError renameat wrapping EIO", cloned, err)
	}
	if names := entryNames(t, dst); !slices.Equal(names, []string{"f", "g"}) || len(fc.removed) != 1 {
		t.Errorf("directory holds %v, removed %v; want f and the empty g, the clone removed", names, fc.removed)
	}
}

// entryNames lists dir's entries by name, sorted.
func entryNames(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}
