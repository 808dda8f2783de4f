package extfs_test

// CopyTree's behaviour on every system: the same tests run on Linux and
// under Wine, and compile for macOS; what differs by system is in ctOS.
// The tests that need Linux (cp -a, devices, owners, xattrs, several
// filesystems) are in copytree_linux_test.go.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
)

// ctOS is what CopyTree answers on this system where systems differ.
var ctOS = map[string]struct {
	dirByFile error // src has a file where dst has a directory (Replace)
	fileSrc   error // src is a regular file
}{
	"linux":  {dirByFile: syscall.EISDIR, fileSrc: syscall.ENOTDIR},
	"darwin": {dirByFile: syscall.EISDIR, fileSrc: syscall.ENOTDIR},
	// MoveFile over a directory: ERROR_ACCESS_DENIED.
	"windows": {dirByFile: fs.ErrPermission, fileSrc: syscall.ENOTDIR},
}[runtime.GOOS]

// ctFile is an entry of a tree as every system can see it.
type ctFile struct {
	typ    string // "dir", "file", "symlink"
	sum    string // a file's content
	target string // a symbolic link's
}

// ctFiles snapshots the tree at root: its entries by slash-separated path
// from it, the root left out.
func ctFiles(t testing.TB, root string) map[string]ctFile {
	t.Helper()
	files := map[string]ctFile{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		var f ctFile
		switch {
		case d.IsDir():
			f.typ = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			f.typ = "symlink"
			if f.target, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			f.typ, f.sum = "file", sum(readAll(t, p))
		}
		files[filepath.ToSlash(rel)] = f
		return nil
	})
	noErr(t, "walk "+root, err)
	return files
}

// ctWantFiles reports every entry that differs between want and got.
func ctWantFiles(t testing.TB, what string, want, got map[string]ctFile) {
	t.Helper()
	var diffs []string
	for rel, w := range want {
		if g, ok := got[rel]; !ok || g != w {
			diffs = append(diffs, fmt.Sprintf("%s: got %+v (present %v), want %+v", rel, g, ok, w))
		}
	}
	for rel, g := range got {
		if _, ok := want[rel]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: unexpected %+v", rel, g))
		}
	}
	slices.Sort(diffs)
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

// ctPortableTree makes at src a tree every system can hold: nested and
// empty directories, files of several sizes, and two hard links of one
// file. With symlinks, a relative symbolic link too (which Windows may not
// allow an unprivileged process). It returns the number of bytes of its
// files, the hard link counted once.
func ctPortableTree(t *testing.T, src string) (bytes int64, symlinks bool) {
	t.Helper()
	noErr(t, "mkdir", os.MkdirAll(join(src, "a", "b"), 0o755))
	noErr(t, "mkdir", os.MkdirAll(join(src, "empty"), 0o755))
	for i, size := range []int{0, 1, 4096 + 7, 1<<20 + 3} {
		rel := join([]string{".", "a", join("a", "b"), "."}[i], fmt.Sprint("f", i))
		writeSynced(t, join(src, rel), randBytes(size, uint64(i)))
		bytes += int64(size)
	}
	for i := range 40 { // more than one chunk of a directory
		writeSynced(t, join(src, "a", fmt.Sprint("many", i)), randBytes(i*100, uint64(i)))
		bytes += int64(i * 100)
	}
	writeSynced(t, join(src, "h1"), []byte("linked"))
	bytes += 6
	noErr(t, "link", os.Link(join(src, "h1"), join(src, "a", "h2")))
	if os.Symlink(filepath.FromSlash("a/b/f2"), join(src, "l")) == nil {
		fi, err := os.Lstat(join(src, "l"))
		symlinks = err == nil && fi.Mode()&fs.ModeSymlink != 0 // Wine makes none
	}
	return bytes, symlinks
}

// TestCopyTreeContents copies a tree with Hardlinks and Progress, with one
// worker and with sixteen: the same entries, hard links kept, the stats and
// progress calls as documented, and no temporary name left.
func TestCopyTreeContents(t *testing.T) {
	dir := tempDir(t)
	src := join(dir, "src")
	bytes, symlinks := ctPortableTree(t, src)
	want := ctFiles(t, src)
	for _, workers := range []int{1, 16} {
		dst := join(dir, fmt.Sprint("dst", workers))
		p := &ctProgress{t: t}
		st, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{
			Hardlinks: true, Workers: workers, Progress: p.fn,
		})
		noErr(t, fmt.Sprint("CopyTree Workers=", workers), err)
		ctWantFiles(t, fmt.Sprint("Workers=", workers), want, ctFiles(t, dst))
		if temps := ctTemps(t, dst); len(temps) > 0 {
			t.Errorf("temporary files left: %q", temps)
		}
		h1, err1 := os.Stat(join(dst, "h1"))
		h2, err2 := os.Stat(join(dst, "a", "h2"))
		if err1 != nil || err2 != nil || !os.SameFile(h1, h2) {
			t.Errorf("h1 and a/h2 are not one file in the copy (%v, %v)", err1, err2)
		}
		wantLinks := int64(0)
		if symlinks {
			wantLinks = 1
		}
		if st.Files != 46 || st.Dirs != 4 || st.Symlinks != wantLinks || st.Bytes != bytes || st.ByMethod[extfs.MethodHardlink] != 1 {
			t.Errorf("stats %+v, want 46 files, 4 dirs, %d symlinks, %d bytes, 1 hard link", st, wantLinks, bytes)
		}
		p.check(bytes)
	}
}

// TestCopyTreeMerge: an existing dst is an error without Replace and is
// left alone; with Replace it is merged into: files replaced, entries src
// lacks kept, a file where src has a directory replaced, and a directory
// where src has a file refused (ctOS.dirByFile), naming it.
func TestCopyTreeMerge(t *testing.T) {
	dir := tempDir(t)
	src, dst := join(dir, "src"), join(dir, "dst")
	noErr(t, "mkdir", os.MkdirAll(join(src, "d"), 0o755))
	writeSynced(t, join(src, "f"), []byte("new f"))
	writeSynced(t, join(src, "d", "g"), []byte("new g"))
	noErr(t, "mkdir", os.Mkdir(dst, 0o755))
	writeSynced(t, join(dst, "f"), []byte("old f"))
	writeSynced(t, join(dst, "d"), []byte("a file where src has a directory"))
	writeSynced(t, join(dst, "keep"), []byte("only in dst"))
	before := ctFiles(t, dst)

	_, err := extfs.CopyTree(context.Background(), src, dst, nil)
	wantErr(t, "CopyTree onto an existing directory", err, fs.ErrExist)
	ctWantFiles(t, "dst after CopyTree without Replace", before, ctFiles(t, dst))

	st, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
	noErr(t, "CopyTree Replace", err)
	for path, want := range map[string]string{"f": "new f", "d/g": "new g", "keep": "only in dst"} {
		if got := string(readAll(t, join(dst, filepath.FromSlash(path)))); got != want {
			t.Errorf("%s holds %q, want %q", path, got, want)
		}
	}
	if st.Files != 2 || st.Dirs != 2 {
		t.Errorf("stats %+v, want 2 files, 2 dirs", st)
	}

	// A directory where src has a file: refused, never removed.
	noErr(t, "remove", os.Remove(join(src, "f")))
	noErr(t, "mkdir", os.Mkdir(join(src, "f"), 0o755))
	noErr(t, "remove", os.Remove(join(src, "d", "g")))
	noErr(t, "remove", os.Remove(join(src, "d")))
	writeSynced(t, join(src, "d"), []byte("a file where dst has a directory"))
	_, err = extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
	wantErr(t, "CopyTree Replace of a directory by a file", err, ctOS.dirByFile)
	var le *os.LinkError
	if !errors.As(err, &le) || filepath.Clean(le.Old) != join(src, "d") || filepath.Clean(le.New) != join(dst, "d") {
		t.Errorf("error %v does not name %s and %s", err, join(src, "d"), join(dst, "d"))
	}
	if got := string(readAll(t, join(dst, "d", "g"))); got != "new g" {
		t.Errorf("d/g holds %q", got)
	}
	if got := string(readAll(t, join(dst, "f"))); got != "new f" {
		t.Errorf("f holds %q", got)
	}
	if temps := ctTemps(t, dst); len(temps) > 0 {
		t.Errorf("temporary entries left: %q", temps)
	}
}

// TestCopyTreeCancelled: cancelled from its first Progress call, or before
// it starts, CopyTree stops with context.Canceled and leaves nothing: dst
// is made whole or not at all.
func TestCopyTreeCancelled(t *testing.T) {
	dir := tempDir(t)
	src := join(dir, "src")
	noErr(t, "mkdir", os.Mkdir(src, 0o755))
	for i := range 6 { // 18 MiB: Progress is called every 8 MiB
		writeSynced(t, join(src, fmt.Sprint("f", i)), randBytes(3<<20, uint64(i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	_, err := extfs.CopyTree(ctx, src, join(dir, "dst"), &extfs.CopyOptions{
		Workers:  1,
		Progress: func(done, total int64) { calls.Add(1); cancel() },
	})
	wantErr(t, "cancelled CopyTree", err, context.Canceled)
	if calls.Load() != 1 {
		t.Errorf("%d progress calls, want 1: none after the cancel", calls.Load())
	}
	_, err = extfs.CopyTree(ctx, src, join(dir, "never"), nil)
	wantErr(t, "CopyTree with a cancelled context", err, context.Canceled)
	ctWantNames(t, dir, "src")
}

// ctWantNames fails unless dir holds exactly the names want.
func ctWantNames(t testing.TB, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	noErr(t, "readdir", err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

// ctProgress records Progress calls and checks them.
type ctProgress struct {
	mu    sync.Mutex
	calls [][2]int64
	busy  atomic.Int32
	t     testing.TB
}

func (p *ctProgress) fn(done, total int64) {
	if p.busy.Add(1) != 1 {
		p.t.Errorf("Progress called concurrently")
	}
	defer p.busy.Add(-1)
	p.mu.Lock()
	p.calls = append(p.calls, [2]int64{done, total})
	p.mu.Unlock()
}

func (p *ctProgress) check(total int64) {
	p.t.Helper()
	if len(p.calls) == 0 {
		p.t.Fatalf("Progress never called")
	}
	var prev int64
	for i, c := range p.calls {
		if c[1] != total || c[0] < prev || c[0] > total {
			p.t.Fatalf("progress call %d: (%d, %d) after done=%d; total %d; all %v", i, c[0], c[1], prev, total, p.calls)
		}
		prev = c[0]
	}
	if last := p.calls[len(p.calls)-1]; last[0] != total {
		p.t.Errorf("last progress call (%d, %d), want done == total", last[0], last[1])
	}
}

// ctTemps lists the temporary files left under root.
func ctTemps(t testing.TB, root string) []string {
	t.Helper()
	var temps []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".extfs-") {
			temps = append(temps, p)
		}
		return nil
	})
	return temps
}

// TestCopyTreeErrors: bad arguments, a source that is not a directory, and
// trees that overlap.
func TestCopyTreeErrors(t *testing.T) {
	dir := tempDir(t)
	src := join(dir, "src")
	noErr(t, "mkdir", os.MkdirAll(join(src, "sub"), 0o755))
	writeSynced(t, join(src, "f"), []byte("x"))
	ctx := context.Background()
	for _, o := range []*extfs.CopyOptions{{CoW: 3}, {Sparse: -1}, {Preserve: 1 << 9}, {Workers: -1}} {
		_, err := extfs.CopyTree(ctx, src, join(dir, "dst"), o)
		wantErr(t, fmt.Sprintf("CopyTree %+v", *o), err, fs.ErrInvalid)
	}
	//lint:ignore SA1012 testing the nil check
	_, err := extfs.CopyTree(nil, src, join(dir, "dst"), nil) //nolint:staticcheck
	wantErr(t, "CopyTree nil ctx", err, fs.ErrInvalid)
	_, err = extfs.CopyTree(ctx, "", join(dir, "dst"), nil)
	wantErr(t, "CopyTree empty src", err, fs.ErrInvalid)
	_, err = extfs.CopyTree(ctx, join(dir, "missing"), join(dir, "dst"), nil)
	wantErr(t, "CopyTree missing source", err, fs.ErrNotExist)
	_, err = extfs.CopyTree(ctx, join(src, "f"), join(dir, "dst"), nil)
	wantErr(t, "CopyTree of a file", err, ctOS.fileSrc)
	_, err = extfs.CopyTree(ctx, src, join(dir, "no", "dst"), nil)
	wantErr(t, "CopyTree into a missing directory", err, fs.ErrNotExist)
	_, err = extfs.CopyTree(ctx, src, join(src, "sub", "dst"), nil)
	wantErr(t, "CopyTree into itself", err, fs.ErrInvalid)
	_, err = extfs.CopyTree(ctx, src, src, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
	wantErr(t, "CopyTree onto itself", err, fs.ErrInvalid)
	_, err = extfs.CopyTree(ctx, join(src, "sub"), src, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
	wantErr(t, "CopyTree into its own parent", err, fs.ErrInvalid)
	_, err = extfs.CopyTree(ctx, src, "/", &extfs.CopyOptions{Existing: extfs.ExistingReplace})
	wantErr(t, "CopyTree to /", err, fs.ErrInvalid)
	ctWantNames(t, dir, "src")
	ctWantNames(t, join(src, "sub"))
}

// A backup of a tree, with its metadata and hard links, merged into the
// previous one.
func ExampleCopyTree() {
	stats, err := extfs.CopyTree(context.Background(), "/srv/data", "/backup/data", &extfs.CopyOptions{
		Preserve:  extfs.PreserveAll,
		Hardlinks: true,
		Existing:  extfs.ExistingReplace,
	})
	if err != nil {
		fmt.Println("copy failed:", err)
		return
	}
	fmt.Printf("%d files, %d directories, %d links: %d bytes cloned, %d copied\n",
		stats.Files, stats.Dirs, stats.Symlinks, stats.ClonedBytes, stats.CopiedBytes)
}

// A huge Workers on a small tree starts only the workers the tree needs
// (it used to start them all: a million goroutines, 2.6 GiB).
func TestCopyTreeHugeWorkers(t *testing.T) {
	src, dst := tempDir(t), join(tempDir(t), "dst")
	for i := range 6 {
		writeSynced(t, join(src, fmt.Sprint(i)), []byte("data"))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Workers: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("CopyTree of 6 files with Workers 1e6 allocated %d MiB", got>>20)
	}
	for i := range 6 {
		if got := readAll(t, join(dst, fmt.Sprint(i))); string(got) != "data" {
			t.Errorf("file %d: %q", i, got)
		}
	}
}
