package extfs_test

// Tests of the copy engine on macOS, for a Mac: they build with
// GOOS=darwin and run only there. The decisions they rest on are tested on
// every OS by darwin_copy_test.go and sys/darwin/clone_test.go.
//
// t.TempDir is on the startup volume, APFS on every Mac that Go supports;
// the tests that need clones skip, saying so, on another filesystem.

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"golang.org/x/sys/unix"
)

func dwWrite(t *testing.T, path string, data []byte, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // not less the umask
		t.Fatal(err)
	}
}

func dwSame(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ (%d and %d bytes)", a, b, len(x), len(y))
	}
}

func dwLstat(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// dwFDs counts the open descriptors, to catch leaks.
func dwFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/dev/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func dwNoLeak(t *testing.T) {
	t.Helper()
	before := dwFDs(t)
	t.Cleanup(func() {
		if after := dwFDs(t); after > before {
			t.Errorf("%d descriptors leaked", after-before)
		}
	})
}

// dwAPFS skips the test unless dir is on APFS, where clones are made.
func dwAPFS(t *testing.T, dir string) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if name := unix.ByteSliceToString(st.Fstypename[:]); name != "apfs" {
		t.Skipf("%s is on %s, not APFS: no clones", dir, name)
	}
}

// dwNewMode is the permission bits a new file made with perm gets in dir
// (perm less the umask).
func dwNewMode(t *testing.T, dir string, perm fs.FileMode) fs.FileMode {
	t.Helper()
	p := filepath.Join(dir, "newmode")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	f.Close()
	os.Remove(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// dwCountClones counts CopyFile's and Probe's calls of fclonefileat, which
// still clone, until the test ends.
func dwCountClones(t *testing.T) *int {
	t.Helper()
	n := new(int)
	orig := *extfs.ClonefileP
	*extfs.ClonefileP = func(srcfd, dirfd int, path string, flags int) error {
		*n++
		return orig(srcfd, dirfd, path, flags)
	}
	t.Cleanup(func() { *extfs.ClonefileP = orig })
	return n
}

// dwFailClones makes every fclonefileat fail with errno until the test ends.
func dwFailClones(t *testing.T, errno syscall.Errno) *int {
	t.Helper()
	n := new(int)
	orig := *extfs.ClonefileP
	*extfs.ClonefileP = func(int, int, string, int) error {
		*n++
		return errno
	}
	t.Cleanup(func() { *extfs.ClonefileP = orig })
	return n
}

func TestCopyFileDarwinClones(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	dwNoLeak(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	data := randBytes(3<<20+123, 1)
	dwWrite(t, src, data, 0o644)
	calls := dwCountClones(t)

	var progress [][2]int64
	stats, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{
		Progress: func(done, total int64) { progress = append(progress, [2]int64{done, total}) },
	})
	if err != nil {
		t.Fatalf("CopyFile: %v", err)
	}
	n := int64(len(data))
	if *calls != 1 || stats.ByMethod[extfs.MethodClone] != 1 || stats.ClonedBytes != n || stats.CopiedBytes != 0 || stats.Bytes != n || stats.Files != 1 {
		t.Errorf("%d clonefile calls, stats %+v; want 1 call and a clone of %d bytes", *calls, stats, n)
	}
	if len(progress) == 0 || progress[len(progress)-1] != [2]int64{n, n} {
		t.Errorf("progress %v; want it to end at (%d, %d)", progress, n, n)
	}
	dwSame(t, src, dst)
	wantNames(t, dir, "src", "dst")

	// The copy is a file of its own: writing it leaves the source alone.
	if err := os.WriteFile(dst, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(src); !bytes.Equal(got, data) {
		t.Error("writing the clone changed the source")
	}
}

// A clone made with the default options passes for a new file: the
// permission bits less the umask, no flags, no extended attributes, times
// of now.
func TestCopyFileDarwinCloneIsNew(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	dwNoLeak(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, src, randBytes(1<<20, 1), 0o640)
	if err := extfs.SetXattr(src, "user.extfs", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	if err := os.Chtimes(src, old, old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chflags(src, unix.UF_NODUMP|unix.UF_HIDDEN); err != nil {
		t.Fatal(err)
	}
	want := dwNewMode(t, dir, 0o640)
	calls := dwCountClones(t)

	start := time.Now().Add(-2 * time.Second)
	stats, err := extfs.CopyFile(context.Background(), src, dst, nil)
	if err != nil {
		t.Fatalf("CopyFile: %v", err)
	}
	if 0o640&^want != 0 {
		// A umask that takes bits the source has: the clone would give
		// them away for an instant, so the file is copied.
		if *calls != 0 || stats.ByMethod[extfs.MethodReadWrite] != 1 {
			t.Errorf("umask leaves %#o of 0640: %d clonefile calls, stats %+v; want a copy", want, *calls, stats)
		}
	} else if *calls != 1 || stats.ByMethod[extfs.MethodClone] != 1 {
		t.Errorf("%d clonefile calls, stats %+v; want a clone", *calls, stats)
	}
	st, err := extfs.Lstatx(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode.Perm() != want || st.Mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		t.Errorf("mode %v; want %v", st.Mode, want)
	}
	if names, err := extfs.ListXattr(dst); err != nil || slices.Contains(names, "user.extfs") {
		t.Errorf("xattrs %q, %v; want the source's gone", names, err)
	}
	if raw := dwLstat(t, dst); raw.Flags&(unix.UF_NODUMP|unix.UF_HIDDEN) != 0 {
		t.Errorf("flags %#x; want the source's gone", raw.Flags)
	}
	if st.Mtime.Before(start) || st.Atime.Before(start) {
		t.Errorf("mtime %v, atime %v; want now", st.Mtime, st.Atime)
	}
	if !st.Btime.IsZero() && st.Btime.Before(start) {
		t.Errorf("birth time %v; want now", st.Btime)
	}
	dwSame(t, src, dst)
	wantNames(t, dir, "src", "dst")
}

// With PreserveAll the clone keeps what the source has, setuid bit and
// nanoseconds included.
func TestCopyFileDarwinClonePreserveAll(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	dwNoLeak(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, src, randBytes(1<<20, 1), 0o750)
	if err := unix.Chmod(src, 0o4750); err != nil {
		t.Fatal(err)
	}
	if err := extfs.SetXattr(src, "user.extfs", []byte("kept"), 0); err != nil {
		t.Fatal(err)
	}
	atime := time.Date(2001, 2, 3, 4, 5, 6, 123456789, time.UTC)
	mtime := time.Date(2002, 3, 4, 5, 6, 7, 987654321, time.UTC)
	if err := os.Chtimes(src, atime, mtime); err != nil {
		t.Fatal(err)
	}
	sst, err := extfs.Lstatx(src)
	if err != nil {
		t.Fatal(err)
	}
	calls := dwCountClones(t)

	stats, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Preserve: extfs.PreserveAll})
	if err != nil {
		t.Fatalf("CopyFile: %v", err)
	}
	if *calls != 1 || stats.ByMethod[extfs.MethodClone] != 1 {
		t.Errorf("%d clonefile calls, stats %+v; want a clone", *calls, stats)
	}
	st, err := extfs.Lstatx(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != sst.Mode {
		t.Errorf("mode %v; want %v", st.Mode, sst.Mode)
	}
	if v, err := extfs.GetXattr(dst, "user.extfs"); err != nil || string(v) != "kept" {
		t.Errorf("xattr %q, %v; want %q", v, err, "kept")
	}
	if !st.Mtime.Equal(sst.Mtime) || !st.Atime.Equal(sst.Atime) {
		t.Errorf("times %v, %v; want the source's %v, %v", st.Atime, st.Mtime, sst.Atime, sst.Mtime)
	}
	if st.Uid != sst.Uid || st.Gid != sst.Gid {
		t.Errorf("owner %d:%d; want %d:%d", st.Uid, st.Gid, sst.Uid, sst.Gid)
	}
}

// A source the umask would narrow is not cloned without PreserveMode.
func TestCopyFileDarwinWideSource(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	dwNoLeak(t)
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	src := filepath.Join(dir, "src")
	dwWrite(t, src, randBytes(1<<20, 1), 0o664)
	calls := dwCountClones(t)
	ctx := context.Background()

	dst := filepath.Join(dir, "auto")
	stats, err := extfs.CopyFile(ctx, src, dst, nil)
	if err != nil {
		t.Fatalf("CoWAuto: %v", err)
	}
	if *calls != 0 || stats.ByMethod[extfs.MethodReadWrite] != 1 {
		t.Errorf("CoWAuto: %d clonefile calls, stats %+v; want a copy", *calls, stats)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("CoWAuto: mode %v, %v; want 0644", fi.Mode(), err)
	}

	_, err = extfs.CopyFile(ctx, src, filepath.Join(dir, "always"), &extfs.CopyOptions{CoW: extfs.CoWAlways})
	if !errors.Is(err, extfs.ErrNotSupported) || !strings.Contains(err.Error(), "PreserveMode") {
		t.Errorf("CoWAlways: %v; want ErrNotSupported, suggesting PreserveMode", err)
	}

	dst = filepath.Join(dir, "mode")
	stats, err = extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{CoW: extfs.CoWAlways, Preserve: extfs.PreserveMode})
	if err != nil || stats.ByMethod[extfs.MethodClone] != 1 {
		t.Fatalf("CoWAlways, PreserveMode: %+v, %v; want a clone", stats, err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o664 {
		t.Errorf("PreserveMode: mode %v, %v; want 0664", fi.Mode(), err)
	}
	wantNames(t, dir, "src", "auto", "mode")
}

// Where clonefile refuses, CoWAuto copies and CoWAlways says why.
func TestCopyFileDarwinCloneRefused(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	src := filepath.Join(dir, "src")
	dwWrite(t, src, randBytes(1<<20+5, 1), 0o644)
	ctx := context.Background()
	for _, tt := range []struct {
		errno       syscall.Errno
		auto        bool   // CoWAuto copies
		unsupported bool   // CoWAlways fails with ErrNotSupported
		says        string // ... saying
	}{
		{unix.ENOTSUP, true, true, "cannot clone"},
		{unix.EXDEV, true, true, "different volumes"},
		{unix.EOPNOTSUPP, true, true, "clone"},
		{unix.EPERM, true, false, ""},  // the sandbox: CoWAlways reports EPERM
		{unix.EACCES, true, false, ""}, // rights clonefile wants beyond read(2)
		{unix.EIO, false, false, ""},   // a failure
	} {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			calls := dwFailClones(t, tt.errno)
			dst := filepath.Join(dir, "auto")
			stats, err := extfs.CopyFile(ctx, src, dst, nil)
			switch {
			case tt.auto && (err != nil || stats.ByMethod[extfs.MethodReadWrite] != 1):
				t.Errorf("CoWAuto: %+v, %v; want a copy", stats, err)
			case !tt.auto && !errors.Is(err, tt.errno):
				t.Errorf("CoWAuto: %v; want %v", err, tt.errno)
			}
			if *calls != 1 {
				t.Errorf("CoWAuto: %d clonefile calls; want 1", *calls)
			}
			if tt.auto {
				dwSame(t, src, dst)
				os.Remove(dst)
			}
			wantNames(t, dir, "src")

			_, err = extfs.CopyFile(ctx, src, filepath.Join(dir, "always"), &extfs.CopyOptions{CoW: extfs.CoWAlways})
			var le *os.LinkError
			if !errors.As(err, &le) || le.Op != "fclonefileat" || !errors.Is(err, tt.errno) {
				t.Errorf("CoWAlways: %v; want an *os.LinkError for fclonefileat matching %v", err, tt.errno)
			}
			if errors.Is(err, extfs.ErrNotSupported) != tt.unsupported || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("CoWAlways: %v; want ErrNotSupported %v, saying %q", err, tt.unsupported, tt.says)
			}
			wantNames(t, dir, "src")
		})
	}
}

func TestCopyFileDarwinReplace(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, src, randBytes(1<<20, 1), 0o644)
	dwWrite(t, dst, []byte("old"), 0o644)
	ctx := context.Background()

	if _, err := extfs.CopyFile(ctx, src, dst, nil); !errors.Is(err, fs.ErrExist) {
		t.Errorf("without Replace: %v; want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "old" {
		t.Error("without Replace, dst changed")
	}
	if _, err := extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace}); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	dwSame(t, src, dst)
	// A symbolic link at dst is replaced, not followed.
	link := filepath.Join(dir, "link")
	if err := os.Symlink("dst", link); err != nil {
		t.Fatal(err)
	}
	if _, err := extfs.CopyFile(ctx, src, link, &extfs.CopyOptions{Existing: extfs.ExistingReplace, CoW: extfs.CoWNever}); err != nil {
		t.Fatalf("Replace a link: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("link: %v, %v; want a regular file", fi.Mode(), err)
	}
	wantNames(t, dir, "src", "dst", "link")
}

func TestCloneDarwin(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	dwNoLeak(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, src, randBytes(1<<20, 1), 0o604)
	if err := extfs.Clone(src, dst); err != nil {
		t.Fatalf("Clone: %v", err)
	}
	dwSame(t, src, dst)
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o604 {
		t.Errorf("mode %v, %v; want the source's 0604", fi.Mode(), err)
	}
	if err := extfs.Clone(src, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Clone over an existing file: %v; want fs.ErrExist", err)
	}
	// An empty file is cloned too (CoWAlways asks the volume).
	empty := filepath.Join(dir, "empty")
	dwWrite(t, empty, nil, 0o644)
	if err := extfs.Clone(empty, filepath.Join(dir, "empty2")); err != nil {
		t.Errorf("Clone of an empty file: %v", err)
	}
	wantNames(t, dir, "src", "dst", "empty", "empty2")
}

func TestCloneRangeDarwin(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, src, randBytes(1<<20, 1), 0o644)
	sf, err := extfs.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	df, err := extfs.OpenFile(dst, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	err = sf.CloneRange(df, 0, 0, 1<<16)
	if !errors.Is(err, extfs.ErrNotSupported) || !strings.Contains(err.Error(), "part of a file") {
		t.Errorf("CloneRange: %v; want ErrNotSupported saying macOS cannot clone part of a file", err)
	}
}

func TestCopyRangeDarwin(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	data := randBytes(3<<20, 1)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, src, data, 0o644)
	sf, err := extfs.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	df, err := extfs.OpenFile(dst, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	if _, err := sf.Seek(10, 0); err != nil {
		t.Fatal(err)
	}

	const srcOff, dstOff, n = 100, 5000, 2<<20 + 7
	w, methods, err := extfs.CopyRangeMethods(sf, df, srcOff, dstOff, n)
	if err != nil || w != n {
		t.Fatalf("CopyRange = %d, %v; want %d", w, err, n)
	}
	if len(methods) != 1 || methods[extfs.MethodReadWrite] != n {
		t.Errorf("methods %v; want read/write only (no copy_file_range on macOS)", methods)
	}
	got := make([]byte, n)
	if _, err := df.ReadAt(got, dstOff); err != nil || !bytes.Equal(got, data[srcOff:srcOff+n]) {
		t.Errorf("copied data differ (%v)", err)
	}
	if off, _ := sf.Seek(0, 1); off != 10 {
		t.Errorf("source offset %d; want 10, unmoved", off)
	}
	if off, _ := df.Seek(0, 1); off != 0 {
		t.Errorf("destination offset %d; want 0, unmoved", off)
	}
	// Past the end of the source: what there is.
	if w, err := sf.CopyRange(df, int64(len(data))-10, 0, 100); err != nil || w != 10 {
		t.Errorf("CopyRange past the end = %d, %v; want 10, nil", w, err)
	}
}

func TestCopyFileDarwinSparse(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	const size, at = 64 << 20, 32 << 20
	data := randBytes(1<<20, 1)
	src := filepath.Join(dir, "src")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, at); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil { // F_FULLFSYNC: the extents are on disk
		t.Fatal(err)
	}
	f.Close()
	if st := dwLstat(t, src); st.Blocks*512 >= size {
		t.Skipf("%s does not keep holes (%d bytes allocated)", dir, st.Blocks*512)
	}
	ctx := context.Background()

	dst := filepath.Join(dir, "auto")
	stats, err := extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever})
	if err != nil {
		t.Fatalf("SparseAuto: %v", err)
	}
	if stats.HoleBytes < size-2<<20 || stats.CopiedBytes+stats.HoleBytes != size {
		t.Errorf("SparseAuto: stats %+v; want about %d bytes of holes", stats, size-len(data))
	}
	if st := dwLstat(t, dst); st.Blocks*512 > 4<<20 {
		t.Errorf("SparseAuto: copy has %d bytes allocated; want about %d", st.Blocks*512, len(data))
	}
	dwSame(t, src, dst)

	dst = filepath.Join(dir, "never")
	stats, err = extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever, Sparse: extfs.SparseNever})
	if err != nil || stats.HoleBytes != 0 || stats.CopiedBytes != size {
		t.Errorf("SparseNever: %+v, %v; want every byte written", stats, err)
	}
	dwSame(t, src, dst)

	dst = filepath.Join(dir, "always")
	stats, err = extfs.CopyFile(ctx, src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever, Sparse: extfs.SparseAlways})
	if err != nil || stats.HoleBytes < size-2<<20 {
		t.Errorf("SparseAlways: %+v, %v; want the zeros left as holes", stats, err)
	}
	dwSame(t, src, dst)
}

func TestProbeDarwin(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		t.Fatal(err)
	}
	name := unix.ByteSliceToString(sfs.Fstypename[:])
	c, err := extfs.Probe(dir)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	t.Logf("Probe(%s) = %+v", dir, c)
	if c.Filesystem != name {
		t.Errorf("Filesystem %q; want %q", c.Filesystem, name)
	}
	wantClone := extfs.No // the volume says: VOL_CAP_INT_CLONE
	if name == "apfs" {
		wantClone = extfs.Yes
	}
	if c.Clone != wantClone {
		t.Errorf("Clone %v on %s, want %v", c.Clone, name, wantClone)
	}
	if c.CopyFileRange != extfs.No {
		t.Errorf("CopyFileRange %v: macOS has none", c.CopyFileRange)
	}
	wantNames(t, dir)

	src := filepath.Join(dir, "src")
	dwWrite(t, src, []byte("x"), 0o644)
	want := extfs.MethodReadWrite
	if c.Clone == extfs.Yes {
		want = extfs.MethodClone
	}
	if m, err := extfs.ProbePair(src, filepath.Join(dir, "dst")); err != nil || m != want {
		t.Errorf("ProbePair = %v, %v; want %v", m, err, want)
	}
	wantNames(t, dir, "src")
}

// The owner's flags of the source are not the copy's, even immutable.
func TestCopyFileDarwinImmutableSource(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	dwNoLeak(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, src, randBytes(1<<20, 1), 0o444)
	if err := unix.Chflags(src, unix.UF_IMMUTABLE); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Chflags(src, 0) })
	calls := dwCountClones(t)
	stats, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Preserve: extfs.PreserveMode})
	if err != nil {
		t.Fatalf("CopyFile: %v", err)
	}
	if *calls != 1 || stats.ByMethod[extfs.MethodClone] != 1 {
		t.Errorf("%d clonefile calls, stats %+v; want a clone", *calls, stats)
	}
	if st := dwLstat(t, dst); st.Flags&unix.UF_IMMUTABLE != 0 || st.Mode&0o777 != 0o444 {
		t.Errorf("flags %#x, mode %#o; want no flags, 0444", st.Flags, st.Mode&0o777)
	}
	if err := os.Remove(dst); err != nil {
		t.Errorf("the copy cannot be removed: %v", err)
	}
}

// A transparently compressed file (UF_COMPRESSED, its data in a hidden
// xattr) is cloned compressed, and reads the same.
func TestCopyFileDarwinCompressed(t *testing.T) {
	dir := t.TempDir()
	dwAPFS(t, dir)
	ditto, err := exec.LookPath("ditto")
	if err != nil {
		t.Skip("no ditto to compress a file with")
	}
	plain, src, dst := filepath.Join(dir, "plain"), filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	dwWrite(t, plain, bytes.Repeat([]byte("compressible "), 1<<16), 0o644)
	if out, err := exec.Command(ditto, "--hfsCompression", plain, src).CombinedOutput(); err != nil {
		t.Fatalf("ditto: %v: %s", err, out)
	}
	if dwLstat(t, src).Flags&unix.UF_COMPRESSED == 0 {
		t.Skip("ditto did not compress the file")
	}
	dwNoLeak(t)
	calls := dwCountClones(t)
	if _, err := extfs.CopyFile(context.Background(), src, dst, nil); err != nil {
		t.Fatalf("CopyFile: %v", err)
	}
	if *calls != 1 {
		t.Errorf("%d clonefile calls; want 1", *calls)
	}
	if dwLstat(t, dst).Flags&unix.UF_COMPRESSED == 0 {
		t.Error("the clone lost UF_COMPRESSED")
	}
	dwSame(t, plain, dst)
}

func TestCopyFileDarwinCancelled(t *testing.T) {
	dir := t.TempDir()
	dwNoLeak(t)
	src := filepath.Join(dir, "src")
	dwWrite(t, src, randBytes(1<<20, 1), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := extfs.CopyFile(ctx, src, filepath.Join(dir, "dst"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("CopyFile with a cancelled context: %v", err)
	}
	// Cancelled from Progress, after the clone is made.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	_, err := extfs.CopyFile(ctx, src, filepath.Join(dir, "dst"), &extfs.CopyOptions{
		Progress: func(done, total int64) { cancel() },
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CopyFile cancelled by Progress: %v", err)
	}
	wantNames(t, dir, "src")
}
