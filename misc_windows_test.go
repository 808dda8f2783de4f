package extfs_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
	winsys "github.com/extfs/extfs/sys/windows"
)

func TestWindowsUnsupported(t *testing.T) {
	f, path := newFile(t, randBytes(100, 1))
	_, err := f.GetXattr("user.x")
	wantUnsupported(t, err, "fgetxattr", "extended attributes")
	wantUnsupported(t, f.SetXattr("user.x", []byte("v"), 0), "fsetxattr", "extended attributes")
	_, err = f.ListXattr()
	wantUnsupported(t, err, "flistxattr", "extended attributes")
	wantUnsupported(t, f.RemoveXattr("user.x"), "fremovexattr", "extended attributes")
	_, err = extfs.GetXattr(path, "user.x")
	wantUnsupported(t, err, "getxattr", "extended attributes")
	wantUnsupported(t, extfs.LSetXattr(path, "user.x", nil, 0), "lsetxattr", "extended attributes")
	_, err = extfs.ListXattr(path)
	wantUnsupported(t, err, "listxattr", "extended attributes")
	wantUnsupported(t, extfs.RemoveXattr(path, "user.x"), "removexattr", "extended attributes")
	_, err = extfs.GetXattr("", "user.x") // no file, but first no xattrs
	wantUnsupported(t, err, "getxattr", "extended attributes")
	wantUnsupported(t, f.Chown(0, 0), "chown", "chown")

	// Bad input is still bad input first.
	if err := f.SetXattr("", nil, 0); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("SetXattr with an empty name: %v, want fs.ErrInvalid", err)
	}
	if err := f.Chown(-2, 0); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Chown(-2, 0): %v, want fs.ErrInvalid", err)
	}
}

func TestWindowsReadlinkNotALink(t *testing.T) {
	_, path := newFile(t, randBytes(10, 1))
	_, err := extfs.Readlink(path)
	var pe *fs.PathError
	if err == nil || !errors.As(err, &pe) || pe.Op != "readlink" {
		t.Errorf("Readlink of a regular file = %v, want an *fs.PathError from readlink", err)
	}
	if _, err := extfs.Readlink(path + ".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Readlink of a missing file = %v, want fs.ErrNotExist", err)
	}
}

func TestWindowsSupports(t *testing.T) {
	wine := winsys.WineVersion() != ""
	want := map[extfs.Feature]bool{
		extfs.FeatureRing:                   false,
		extfs.FeatureStatx:                  true,
		extfs.FeatureOpenat2:                false,
		extfs.FeatureFadvise:                true,
		extfs.FeatureFallocate:              true,
		extfs.FeatureFallocatePunchHole:     !wine,
		extfs.FeatureFallocateZeroRange:     !wine,
		extfs.FeatureFallocateCollapseRange: false,
		extfs.FeatureFallocateInsertRange:   false,
		extfs.FeatureFallocateUnshareRange:  false,
		extfs.FeatureXattr:                  false,
		extfs.FeatureLink:                   true,
		extfs.FeatureSymlink:                !wine,
		extfs.FeatureChown:                  false,
		extfs.FeatureMknod:                  false,
	}
	for _, f := range extfs.Features() {
		w, ok := want[f]
		if !ok {
			t.Errorf("feature %v: no expectation for Windows in this test", f)
			continue
		}
		if got := extfs.Supports(f); got != w {
			t.Errorf("Supports(%v) = %v, want %v (under Wine: %v)", f, got, w, wine)
		}
	}
	if ops := extfs.RingOps(); ops != nil {
		t.Errorf("RingOps() = %v, want nil (no io_uring)", ops)
	}
}

func TestWindowsEngine(t *testing.T) {
	prev := extfs.CurrentEngine()
	t.Cleanup(func() { extfs.SetEngine(prev) })
	before, err := extfs.SetEngine(extfs.EngineRing)
	if err == nil || !errors.Is(err, extfs.ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SetEngine(EngineRing) = %v, want an error matching ErrNotSupported", err)
	}
	if before != prev || extfs.CurrentEngine() != prev {
		t.Errorf("a refused SetEngine changed the engine: %v -> %v", prev, extfs.CurrentEngine())
	}
	for _, e := range []extfs.Engine{extfs.EngineSyscall, extfs.EngineAuto} {
		if _, err := extfs.SetEngine(e); err != nil || extfs.CurrentEngine() != e {
			t.Errorf("SetEngine(%v) = %v; CurrentEngine %v", e, err, extfs.CurrentEngine())
		}
	}
}

func TestWindowsBatch(t *testing.T) {
	dir := tempDir(t)
	var files []*extfs.File
	for i := range 20 {
		f, err := extfs.Create(filepath.Join(dir, "f"+string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	t.Cleanup(func() {
		for _, f := range files {
			f.Close()
		}
	})
	b := extfs.NewBatch()
	var allocs []*extfs.Pending[struct{}]
	var stats []*extfs.Pending[*extfs.Stat]
	for _, f := range files {
		allocs = append(allocs, b.Fallocate(f, 0, 0, 8192))
		stats = append(stats, b.Fstatx(f)) // may run before or after the Fallocate
	}
	times := b.SetTimes(files[0], fixedTime, fixedTime)
	chmod := b.Chmod(files[1], 0o444)
	mkdir := b.Mkdir(filepath.Join(dir, "d"), 0o777)
	pstat := b.Statx(dir)
	link := b.Link(filepath.Join(dir, "fa"), filepath.Join(dir, "fa.link"))
	xattr := b.GetXattr(files[2], "user.x")
	chown := b.Chown(files[3], 1, 1)
	bad := b.Fallocate(files[4], 0, -1, 10)
	var nilFile *extfs.File
	nilOp := b.Sync(nilFile)
	open := b.OpenFile(filepath.Join(dir, "new"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err := b.Submit(context.Background()); err == nil {
		t.Errorf("Submit = nil, want the first error (the xattr's)")
	}
	for i, p := range allocs {
		if err := p.Err(); err != nil {
			t.Errorf("Fallocate %d: %v", i, err)
		}
	}
	for i, p := range stats {
		if st, err := p.Result(); err != nil || st == nil {
			t.Errorf("Fstatx %d: %v, %v", i, st, err)
		}
	}
	for name, p := range map[string]*extfs.Pending[struct{}]{"SetTimes": times, "Chmod": chmod, "Mkdir": mkdir, "Link": link} {
		if err := p.Err(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if st, err := pstat.Result(); err != nil || !st.Mode.IsDir() {
		t.Errorf("Statx(dir) = %v, %v", st, err)
	}
	_, err := xattr.Result()
	wantUnsupported(t, err, "fgetxattr", "")
	wantUnsupported(t, chown.Err(), "chown", "")
	if !errors.Is(bad.Err(), fs.ErrInvalid) {
		t.Errorf("negative offset in a batch: %v, want fs.ErrInvalid", bad.Err())
	}
	if !errors.Is(nilOp.Err(), fs.ErrInvalid) {
		t.Errorf("nil File in a batch: %v, want fs.ErrInvalid", nilOp.Err())
	}
	nf, err := open.Result()
	if err != nil {
		t.Fatalf("OpenFile in a batch: %v", err)
	}
	if _, err := nf.Write([]byte("x")); err != nil {
		t.Errorf("write to the File a batch opened: %v", err)
	}
	nf.Close()
	for i, f := range files {
		if st, err := f.Statx(); err != nil || st.Size != 8192 {
			t.Errorf("file %d after the batch: %v, %v", i, st, err)
		}
	}
	if st, _ := files[0].Statx(); st != nil && !st.Mtime.Equal(fixedTime.Truncate(100)) {
		t.Errorf("Mtime after the batch's SetTimes = %v", st.Mtime)
	}
	if fi, err := os.Stat(filepath.Join(dir, "fb")); err != nil || fi.Mode() != 0o444 {
		t.Errorf("after the batch's Chmod: %v, %v", fi, err)
	}

	// Cancelled before it runs: every operation says so, none runs.
	b = extfs.NewBatch()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := b.Mkdir(filepath.Join(dir, "never"), 0o777)
	if err := b.Submit(ctx); !errors.Is(err, context.Canceled) || !errors.Is(p.Err(), context.Canceled) {
		t.Errorf("cancelled Submit = %v, op %v; want context.Canceled", err, p.Err())
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled batch made its directory: %v", err)
	}
}

// TestWindowsFileNoHandleLeak runs File and path operations, failing ones
// included, many times, and checks that no handle stays open.
func TestWindowsFileNoHandleLeak(t *testing.T) {
	f, path := newFile(t, randBytes(8192, 1))
	missing := filepath.Join(filepath.Dir(path), "missing")
	checkNoLeak(t, func() {
		f.Statx()
		extfs.Statx(path)
		extfs.Lstatx(missing)
		extfs.Readlink(path) // not a link
		extfs.Readlink(missing)
		f.Fallocate(0, 0, 16384)
		f.PunchHole(0, 4096)
		f.Fadvise(0, 0, extfs.AdviceRandom)
		f.SetTimes(fixedTime, fixedTime)
		f.Chmod(0o644)
		f.Datasync()
		extfs.Link(path, path+".l")
		os.Remove(path + ".l")
		extfs.Symlink("f", path+".s")
		b := extfs.NewBatch()
		b.Fstatx(f)
		b.Statx(missing)
		b.Submit(context.Background())
	})
}

// TestWindowsOverlappedFile runs the operations on a File opened for
// overlapped I/O (whose handle the Go runtime puts on its completion port):
// file-system controls must wait for their completion themselves, and post
// no completion packet to the runtime's port.
func TestWindowsOverlappedFile(t *testing.T) {
	path := filepath.Join(tempDir(t), "f")
	osf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.FILE_FLAG_OVERLAPPED, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f := extfs.NewFile(osf)
	t.Cleanup(func() { f.Close() })
	data := randBytes(256<<10, 1)
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Fallocate(0, 0, 512<<10); err != nil {
		t.Fatal(err)
	}
	data = append(data, make([]byte, 256<<10)...)
	if err := f.SetTimes(fixedTime, fixedTime); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	punched := true
	for range 20 {
		err := f.PunchHole(64<<10, 64<<10) // FSCTL_SET_SPARSE, then FSCTL_SET_ZERO_DATA
		if err != nil && winsys.WineVersion() != "" && errors.Is(err, extfs.ErrNotSupported) {
			punched = false // Wine: no FSCTL_SET_ZERO_DATA; FSCTL_SET_SPARSE ran, overlapped
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, len(data))
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if punched {
		checkZeroed(t, got, data, 64<<10, 64<<10)
	} else if !bytes.Equal(got, data) {
		t.Errorf("the data changed, though nothing was punched")
	}
	st, err := f.Statx()
	if err != nil || st.Size != int64(len(data)) || !st.Mtime.Equal(fixedTime.Truncate(100)) {
		t.Errorf("Statx = %+v, %v", st, err)
	}
}
