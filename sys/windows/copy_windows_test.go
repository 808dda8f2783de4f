package windows

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// testDir is a fresh directory, emptied and removed with os.Remove, which
// works under Wine too (os.RemoveAll, t.TempDir's cleanup, does not).
func testDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sysw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			os.Chmod(p, 0o666)
			if err := os.Remove(p); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		if err := os.Remove(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return dir
}

func testFile(t *testing.T, path string, data []byte, flag int) *os.File {
	t.Helper()
	if data != nil {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func handle(f *os.File) windows.Handle { return windows.Handle(f.Fd()) }

func TestVolumeInfo(t *testing.T) {
	dir := testDir(t)
	f := testFile(t, filepath.Join(dir, "f"), []byte("x"), os.O_RDONLY)
	v, err := VolumeInfo(handle(f))
	if err != nil {
		t.Fatal(err)
	}
	serial, err := VolumeSerial(handle(f))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v (block cloning %v)", v, v.BlockCloning())
	if v.Serial != serial || v.Filesystem == "" || v.Cluster <= 0 || v.Cluster&(v.Cluster-1) != 0 {
		t.Errorf("VolumeInfo = %+v; VolumeSerial = %#x", v, serial)
	}
	if WineVersion() != "" && (v.Filesystem != "NTFS" || v.BlockCloning()) {
		t.Errorf("under Wine: %+v, want NTFS without block cloning", v)
	}
}

func TestAccessMask(t *testing.T) {
	dir := testDir(t)
	p := filepath.Join(dir, "f")
	for _, c := range []struct {
		flag          int
		want, wantNot uint32
	}{
		{os.O_RDONLY, windows.FILE_READ_DATA, windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA},
		{os.O_WRONLY, windows.FILE_WRITE_DATA, windows.FILE_READ_DATA},
		{os.O_RDWR, windows.FILE_READ_DATA | windows.FILE_WRITE_DATA, 0},
		{os.O_WRONLY | os.O_APPEND, windows.FILE_APPEND_DATA, windows.FILE_WRITE_DATA},
	} {
		f := testFile(t, p, []byte("x"), c.flag)
		m, err := AccessMask(handle(f))
		if err != nil || m&c.want != c.want || m&c.wantNot != 0 {
			t.Errorf("flag %#x: AccessMask = %#x, %v; want %#x set, %#x clear", c.flag, m, err, c.want, c.wantNot)
		}
		f.Close()
	}
}

func TestMoveNoReplace(t *testing.T) {
	dir := testDir(t)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("a"), 0o644)
	os.WriteFile(b, []byte("b"), 0o644)
	if err := MoveNoReplace(a, b); !errors.Is(err, fs.ErrExist) {
		t.Errorf("MoveNoReplace over a file: %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(b); string(got) != "b" {
		t.Errorf("b holds %q after a refused move", got)
	}
	c := filepath.Join(dir, "c")
	if err := MoveNoReplace(a, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(c); string(got) != "a" {
		t.Errorf("c holds %q, want a", got)
	}
}

// The controls Wine lacks answer with an UnsupportedError that keeps the
// Windows error; on Windows NTFS they answer for themselves.
func TestFsctlsUnsupported(t *testing.T) {
	dir := testDir(t)
	src := testFile(t, filepath.Join(dir, "src"), make([]byte, 64<<10), os.O_RDONLY)
	dst := testFile(t, filepath.Join(dir, "dst"), make([]byte, 64<<10), os.O_RDWR)
	v, err := VolumeInfo(handle(dst))
	if err != nil {
		t.Fatal(err)
	}
	if v.BlockCloning() {
		t.Skipf("%s clones blocks", v.Filesystem)
	}
	err = DuplicateExtents(handle(dst), handle(src), CloneChunk{Len: 64 << 10})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("DuplicateExtents on %s: %v, want an UnsupportedError", v.Filesystem, err)
	}
	if WineVersion() == "" {
		return
	}
	if !errors.Is(err, windows.ERROR_NOT_SUPPORTED) {
		t.Errorf("DuplicateExtents under Wine: %v, want ERROR_NOT_SUPPORTED", err)
	}
	if _, err := GetIntegrity(handle(src)); !errors.As(err, &ue) {
		t.Errorf("GetIntegrity under Wine: %v, want an UnsupportedError", err)
	}
	if _, _, _, err := AllocatedRange(handle(src), 0, 64<<10); !errors.As(err, &ue) {
		t.Errorf("AllocatedRange under Wine: %v, want an UnsupportedError", err)
	}
}

// On Windows, a sparse file with a hole in the middle has two allocated
// ranges around it.
func TestAllocatedRange(t *testing.T) {
	if v := WineVersion(); v != "" {
		t.Skipf("Wine %s has no sparse files (TestFsctlsUnsupported checks it says so)", v)
	}
	dir := testDir(t)
	const m = 1 << 20
	f := testFile(t, filepath.Join(dir, "f"), make([]byte, 3*m), os.O_RDWR)
	h := handle(f)
	if err := SetSparse(h); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	if err := ZeroData(h, m, 2*m); err != nil {
		t.Fatal(err)
	}
	data, hole, ok, err := AllocatedRange(h, 0, 3*m)
	if err != nil || !ok || data != 0 || hole > m {
		t.Errorf("AllocatedRange(0) = %d, %d, %v, %v; want data from 0 to at most 1 MiB", data, hole, ok, err)
	}
	data, hole, ok, err = AllocatedRange(h, m, 3*m)
	if err != nil || !ok || data < m || hole != 3*m {
		t.Errorf("AllocatedRange(1 MiB) = %d, %d, %v, %v; want data ending at 3 MiB", data, hole, ok, err)
	}
	if _, _, ok, err := AllocatedRange(h, 3*m, 3*m); ok || err != nil {
		t.Errorf("AllocatedRange at the end = %v, %v; want nothing", ok, err)
	}
}

// CopyFile copies, refuses an existing destination with
// COPY_FILE_FAIL_IF_EXISTS, and on Windows reports progress, cancels, and
// raises a panic of the progress function again once CopyFileExW is done.
func TestCopyFile(t *testing.T) {
	dir := testDir(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	data := make([]byte, 3<<20+1)
	for i := range data {
		data[i] = byte(i)
	}
	os.WriteFile(src, data, 0o644)
	var calls int
	var last CopyProgress
	err := CopyFile(src, dst, CopyFileFailIfExists, func(p *CopyProgress) bool {
		calls++
		if p.StreamDone < last.StreamDone && p.Stream == last.Stream {
			t.Errorf("progress went back: %+v after %+v", *p, last)
		}
		last = *p
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != string(data) {
		t.Errorf("the copy differs")
	}
	if err := CopyFile(src, dst, CopyFileFailIfExists, nil); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CopyFile over a file with CopyFileFailIfExists: %v, want fs.ErrExist", err)
	}
	if calls == 0 {
		if v := WineVersion(); v != "" {
			t.Skipf("Wine %s's CopyFileExW calls no progress routine", v)
		}
		t.Fatal("the progress routine was never called")
	}
	if last.TotalDone != int64(len(data)) || last.StreamDone != last.StreamSize || last.Dst == 0 {
		t.Errorf("last progress %+v, want all %d bytes done", last, len(data))
	}

	cancelled := filepath.Join(dir, "cancelled")
	err = CopyFile(src, cancelled, 0, func(p *CopyProgress) bool { return p.StreamDone == 0 })
	if !errors.Is(err, windows.ERROR_REQUEST_ABORTED) {
		t.Errorf("cancelled CopyFile: %v, want ERROR_REQUEST_ABORTED", err)
	}
	if _, err := os.Lstat(cancelled); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled copy left its file: %v", err)
	}

	panicked := filepath.Join(dir, "panicked")
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the progress function's panic", v)
			}
		}()
		CopyFile(src, panicked, 0, func(p *CopyProgress) bool {
			if p.StreamDone > 0 {
				panic("boom")
			}
			return true
		})
	}()
	if _, err := os.Lstat(panicked); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a copy stopped by a panic left its file: %v", err)
	}
}

// TestHandleSource: what the ReFS workaround asks of a clone's source. Two
// handles on one file (one through a hard link) have one key, another file
// another; the stamp follows a write; a read-only handle is flushed through
// a handle opened again for writing.
func TestHandleSource(t *testing.T) {
	dir := testDir(t)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	fa := testFile(t, a, []byte("hello"), os.O_RDONLY)
	if err := os.Link(a, filepath.Join(dir, "a2")); err != nil {
		t.Fatal(err)
	}
	fa2 := testFile(t, filepath.Join(dir, "a2"), nil, os.O_RDWR)
	fb := testFile(t, b, []byte("other"), os.O_RDONLY)
	ka, err := handleSource{handle(fa)}.Key()
	if err != nil {
		t.Fatal(err)
	}
	ka2, err2 := handleSource{handle(fa2)}.Key()
	kb, err3 := handleSource{handle(fb)}.Key()
	if err2 != nil || err3 != nil || ka != ka2 || ka == kb || ka == (FileKey{}) {
		t.Errorf("keys: a %v, a2 %v (%v), b %v (%v): want a == a2 != b", ka, ka2, err2, kb, err3)
	}

	st, writable, err := handleSource{handle(fa)}.State()
	if err != nil || writable || st.Size != 5 {
		t.Errorf("State of a read-only handle = %+v, %v, %v; want size 5, not writable", st, writable, err)
	}
	if _, w, err := (handleSource{handle(fa2)}).State(); err != nil || !w {
		t.Errorf("State of a read-write handle: writable %v, %v", w, err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := fa2.WriteAt([]byte("HELLO!"), 0); err != nil {
		t.Fatal(err)
	}
	if err := fa2.Close(); err != nil { // NTFS may show a handle's writes in the times when it closes
		t.Fatal(err)
	}
	st2, _, err := handleSource{handle(fa)}.State()
	if err != nil || st2 == st || st2.Size != 6 {
		t.Errorf("State after a write = %+v, %v; before %+v", st2, err, st)
	}
	if err := (handleSource{handle(fa)}).Flush(); err != nil {
		t.Errorf("Flush through a read-only handle: %v", err)
	}
}
