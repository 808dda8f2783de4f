package extfs_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// Tests of CopyTree on real filesystems. The copy is checked entry by entry
// against `cp -a` of the same source and against the source itself, with
// golang.org/x/sys/unix (lstat, llistxattr, readlink, sha256 of the bytes),
// never through extfs.

// ctNeedRoot skips (or fails under EXTFS_REQUIRE_FS) a test that makes
// device files, chowns to other users or sets trusted.* xattrs.
func ctNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testfs.SkipOrFail(t, "CopyTree tests make device files and other users' files: they need root")
	}
}

// ctTime is the n-th distinct timestamp, with nanoseconds.
func ctTime(n int) time.Time {
	return time.Date(2010+n%10, time.Month(1+n%12), 1+n%28, n%24, n%60, n%60, 100_000_007*(n%9+1)+n, time.UTC)
}

// ctBuild makes the source tree at root: nested directories, files of
// several sizes, a sparse file, xattrs, symbolic links of every kind, a
// group of three hard links, a FIFO, a socket, a character device, a
// read-only directory with content, setgid and sticky directories, other
// owners, and nanosecond times on everything.
func ctBuild(t *testing.T, root string) {
	t.Helper()
	mkdir := func(rel string, perm os.FileMode) {
		noErr(t, "mkdir", os.Mkdir(join(root, rel), 0o755))
		noErr(t, "chmod", os.Chmod(join(root, rel), perm))
	}
	file := func(rel string, data []byte, perm os.FileMode) {
		writeSynced(t, join(root, rel), data)
		noErr(t, "chmod", os.Chmod(join(root, rel), perm))
	}
	noErr(t, "mkdir", os.MkdirAll(root, 0o755))
	mkdir("a", 0o755)
	mkdir("a/b", 0o750)
	mkdir("a/b/c", 0o700)
	mkdir("empty", 0o755)
	mkdir("sgid", 0o2775)
	mkdir("sticky", 0o1777)
	file("f0", nil, 0o644)
	file("f1", []byte("x"), 0o600)
	file("f4097", randBytes(4097, 1), 0o640)
	file("exe", randBytes(100, 2), 0o755)
	file("suid", randBytes(10, 3), 0o4755)
	file("a/big", randBytes(MiB+1, 4), 0o644)
	file("a/b/c/deep", randBytes(4097, 5), 0o444)
	file("sgid/in", []byte("in a setgid directory"), 0o664)
	file("sticky/in", []byte("in a sticky directory"), 0o666)

	// A sparse file: 8 MiB with two extents, the second ending mid-block.
	sp, err := os.Create(join(root, "sparse"))
	noErr(t, "create", err)
	noErr(t, "truncate", sp.Truncate(8*MiB))
	_, err = sp.WriteAt(randBytes(64<<10, 6), MiB)
	noErr(t, "write", err)
	_, err = sp.WriteAt(randBytes(5000, 7), 5*MiB)
	noErr(t, "write", err)
	noErr(t, "fsync", sp.Sync())
	noErr(t, "close", sp.Close())

	// Hard links: a group of three, across directories.
	file("h1", randBytes(4097, 8), 0o644)
	noErr(t, "link", os.Link(join(root, "h1"), join(root, "a/h2")))
	noErr(t, "link", os.Link(join(root, "h1"), join(root, "a/b/h3")))

	// Symbolic links: copied as they are, never followed.
	for name, target := range map[string]string{
		"l-rel":      "f1",
		"a/l-dir":    "b",
		"a/b/l-up":   "../../f4097",
		"l-abs":      "/etc/passwd",
		"l-dangling": "nowhere/at/all",
		"l-outside":  "../../../outside",
		"l-root":     "/",
	} {
		noErr(t, "symlink", os.Symlink(target, join(root, name)))
	}

	// Special files.
	noErr(t, "mkfifo", unix.Mkfifo(join(root, "fifo"), 0o620))
	noErr(t, "mknod", unix.Mknod(join(root, "a/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	ctSocket(t, join(root, "sock"))

	// Read-only directory with content.
	mkdir("ro", 0o755)
	file("ro/inside", []byte("in a read-only directory"), 0o644)
	mkdir("ro/sub", 0o755)
	noErr(t, "chmod", os.Chmod(join(root, "ro"), 0o555))

	// xattrs (user.* on files and directories; trusted.* on anything).
	for rel, attrs := range map[string]map[string]string{
		"f4097":  {"user.color": "blue", "user.empty": ""},
		"a/big":  {"user.big": strings.Repeat("v", 3000)},
		"a":      {"user.dir": "yes"},
		"l-rel":  {"trusted.link": "on a link"},
		"fifo":   {"trusted.fifo": "on a fifo"},
		"h1":     {"user.linked": "3"},
		"sparse": {"trusted.t": "\x00\x01"},
	} {
		for name, v := range attrs {
			if err := unix.Lsetxattr(join(root, rel), name, []byte(v), 0); err != nil {
				t.Fatalf("lsetxattr %s %s: %v", rel, name, err)
			}
		}
	}

	// Other owners.
	for rel, id := range map[string]int{"f1": 1234, "a/b": 2345, "l-abs": 3456, "fifo": 4567, "a/null": 5678} {
		noErr(t, "lchown", os.Lchown(join(root, rel), id, id+1))
	}

	// Times last, deepest first, so that making entries does not change them.
	var rels []string
	noErr(t, "walk", filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		rels = append(rels, rel)
		return err
	}))
	depth := func(rel string) int {
		if rel == "." {
			return -1
		}
		return strings.Count(rel, "/")
	}
	sort.SliceStable(rels, func(i, j int) bool { return depth(rels[i]) > depth(rels[j]) })
	for i, rel := range rels {
		ts := []unix.Timespec{unix.NsecToTimespec(ctTime(i).UnixNano() - 3600e9), unix.NsecToTimespec(ctTime(i).UnixNano())}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, join(root, rel), ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatalf("utimensat %s: %v", rel, err)
		}
	}
}

// ctSocket makes a socket inode at path (bound, then closed: the inode stays).
func ctSocket(t *testing.T, path string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	noErr(t, "socket", err)
	defer unix.Close(fd)
	noErr(t, "bind", unix.Bind(fd, &unix.SockaddrUnix{Name: path}))
}

// ctEntry is what the comparison looks at for one entry.
type ctEntry struct {
	typ    string
	mode   uint32 // permission, setuid, setgid and sticky bits
	size   int64
	sum    string
	mtime  int64
	target string
	rdev   uint64
	uid    uint32
	gid    uint32
	xattrs string
	ino    uint64
	nlink  uint64
	blocks int64
}

func (e ctEntry) String() string {
	return fmt.Sprintf("%s mode=%o size=%d sha=%.10s mtime=%d target=%q rdev=%d owner=%d:%d xattrs={%s}",
		e.typ, e.mode, e.size, e.sum, e.mtime, e.target, e.rdev, e.uid, e.gid, e.xattrs)
}

// ctTree is a snapshot of a tree: its entries by relative path ("." the
// root), and its hard-link groups as sorted lists of paths.
type ctTree struct {
	entries map[string]ctEntry
	groups  []string
}

func ctSnapshot(t testing.TB, root string) ctTree {
	t.Helper()
	tr := ctTree{entries: map[string]ctEntry{}}
	byIno := map[uint64][]string{}
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		e := ctEntry{
			mode:   st.Mode & 0o7777,
			size:   st.Size,
			mtime:  st.Mtim.Nano(),
			uid:    st.Uid,
			gid:    st.Gid,
			ino:    st.Ino,
			nlink:  uint64(st.Nlink),
			blocks: st.Blocks,
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			e.typ = "file"
			e.sum, _ = cpSum(t, p)
		case unix.S_IFDIR:
			e.typ, e.size = "dir", 0
		case unix.S_IFLNK:
			e.typ, e.mode = "symlink", 0
			e.target, err = os.Readlink(p)
			if err != nil {
				return err
			}
		case unix.S_IFIFO:
			e.typ = "fifo"
		case unix.S_IFSOCK:
			e.typ = "socket"
		case unix.S_IFCHR:
			e.typ, e.rdev = "chardev", st.Rdev
		case unix.S_IFBLK:
			e.typ, e.rdev = "blockdev", st.Rdev
		}
		e.xattrs = ctXattrs(t, p)
		tr.entries[rel] = e
		if e.typ != "dir" && e.nlink > 1 {
			byIno[e.ino] = append(byIno[e.ino], rel)
		}
		return nil
	})
	noErr(t, "walk "+root, err)
	for _, g := range byIno {
		slices.Sort(g)
		tr.groups = append(tr.groups, strings.Join(g, " "))
	}
	slices.Sort(tr.groups)
	return tr
}

// ctXattrs lists the xattrs of path (not followed) as sorted name=value.
func ctXattrs(t testing.TB, path string) string {
	t.Helper()
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(path, buf)
	if err != nil {
		if err == unix.EOPNOTSUPP {
			return ""
		}
		t.Fatalf("llistxattr %s: %v", path, err)
	}
	var out []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "" || strings.HasPrefix(name, "security.") {
			continue // set by the security module of the machine, not by the copy
		}
		v := make([]byte, 64<<10)
		m, err := unix.Lgetxattr(path, name, v)
		if err != nil {
			t.Fatalf("lgetxattr %s %s: %v", path, name, err)
		}
		out = append(out, name+"="+hex.EncodeToString(v[:m]))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// ctCompare reports every entry that differs between want and got.
func ctCompare(t testing.TB, what string, want, got ctTree) {
	t.Helper()
	var diffs []string
	for rel, w := range want.entries {
		g, ok := got.entries[rel]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: missing (want %v)", rel, w))
		case w.String() != g.String():
			diffs = append(diffs, fmt.Sprintf("%s:\n\tgot  %v\n\twant %v", rel, g, w))
		}
	}
	for rel, g := range got.entries {
		if _, ok := want.entries[rel]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: unexpected %v", rel, g))
		}
	}
	if !slices.Equal(want.groups, got.groups) {
		diffs = append(diffs, fmt.Sprintf("hard-link groups %q, want %q", got.groups, want.groups))
	}
	slices.Sort(diffs)
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

// ctCount counts what a snapshot holds, as CopyStats count it.
func ctCount(tr ctTree) (files, dirs, symlinks, bytes int64) {
	inos := map[uint64]bool{}
	for _, e := range tr.entries {
		switch e.typ {
		case "dir":
			dirs++
		case "symlink":
			symlinks++
		default:
			files++
		}
		if e.typ == "file" && !inos[e.ino] {
			inos[e.ino] = true
			bytes += e.size
		}
	}
	return files, dirs, symlinks, bytes
}

var ctAll = &extfs.CopyOptions{Preserve: extfs.PreserveAll, Hardlinks: true}

// TestCopyTreeMatchesCp copies the full source tree on every filesystem
// with PreserveAll and Hardlinks, and compares the result with `cp -a` of
// the same tree, and with the source, entry by entry.
func TestCopyTreeMatchesCp(t *testing.T) {
	ctNeedRoot(t)
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst, cpDst := join(dir, "src"), join(dir, "dst"), join(dir, "cp")
		ctBuild(t, src)
		want := ctSnapshot(t, src)
		if out, err := exec.Command("cp", "-a", src, cpDst).CombinedOutput(); err != nil {
			t.Fatalf("cp -a: %v\n%s", err, out)
		}

		p := &ctProgress{t: t}
		o := *ctAll
		o.Progress = p.fn
		st, err := extfs.CopyTree(context.Background(), src, dst, &o)
		noErr(t, "CopyTree", err)
		got := ctSnapshot(t, dst)
		ctCompare(t, "CopyTree vs cp -a", ctSnapshot(t, cpDst), got)
		ctCompare(t, "CopyTree vs source", want, got)
		if temps := ctTemps(t, dst); len(temps) > 0 {
			t.Errorf("temporary files left: %q", temps)
		}

		files, dirs, symlinks, bytes := ctCount(want)
		if st.Files != files || st.Dirs != dirs || st.Symlinks != symlinks || st.Bytes != bytes {
			t.Errorf("stats Files %d Dirs %d Symlinks %d Bytes %d, want %d %d %d %d",
				st.Files, st.Dirs, st.Symlinks, st.Bytes, files, dirs, symlinks, bytes)
		}
		if st.ClonedBytes+st.CopiedBytes+st.HoleBytes != st.Bytes {
			t.Errorf("stats: cloned %d + copied %d + holes %d != %d bytes", st.ClonedBytes, st.CopiedBytes, st.HoleBytes, st.Bytes)
		}
		if st.ByMethod[extfs.MethodHardlink] != 2 {
			t.Errorf("stats: ByMethod %v, want 2 hard links", st.ByMethod)
		}
		if canClone(fsys.Kind) {
			if st.ClonedBytes != st.Bytes || st.CopiedBytes != 0 {
				t.Errorf("stats on %s: %+v, want every byte cloned", fsys.Kind, st)
			}
			fiemapWantShared(t, join(dst, "a/big"))
		} else if st.ClonedBytes != 0 || st.HoleBytes < 7*MiB {
			t.Errorf("stats on %s: %+v, want no clone, and the sparse file's holes", fsys.Kind, st)
		}
		if b := got.entries["sparse"].blocks; b*512 > 2*MiB {
			t.Errorf("the sparse file's copy has %d blocks: holes filled", b)
		}
		p.check(bytes)
	})
}

// TestCopyTreeWorkers: one worker and sixteen make the same tree, and
// neither holds more descriptors than the documented bound.
func TestCopyTreeWorkers(t *testing.T) {
	ctNeedRoot(t)
	fsys := testfs.Get(t, testfs.XFS)
	dir := fsys.TempDir(t)
	src := join(dir, "src")
	ctBuild(t, src)
	// Many files in one directory, to keep every worker busy.
	for i := range 300 {
		writeSynced(t, join(src, "a", fmt.Sprintf("many%03d", i)), randBytes(i*37, uint64(i)))
	}
	want := ctSnapshot(t, src)
	var trees []ctTree
	for _, n := range []int{1, 16} {
		dst := join(dir, fmt.Sprint("dst", n))
		_, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{
			Preserve: extfs.PreserveAll, Hardlinks: true, Workers: n,
		})
		noErr(t, fmt.Sprintf("CopyTree Workers=%d", n), err)
		trees = append(trees, ctSnapshot(t, dst))
	}
	ctCompare(t, "Workers=1 vs source", want, trees[0])
	ctCompare(t, "Workers=16 vs Workers=1", trees[0], trees[1])
}

// ctOpenFDs counts this process's open descriptors.
func ctOpenFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents) - 1 // the listing's own
}

// TestCopyTreeDescriptors checks the bound of 6 descriptors per worker (+3)
// two ways while copying a tree of small and large files: by sampling
// /proc/self/fd, and by lowering RLIMIT_NOFILE so that any descriptor
// beyond the bound fails the copy with EMFILE.
func TestCopyTreeDescriptors(t *testing.T) {
	fsys := testfs.Get(t, testfs.Ext4)
	dir := fsys.TempDir(t)
	src := join(dir, "src")
	for d := range 8 {
		sub := join(src, fmt.Sprint("d", d))
		noErr(t, "mkdir", os.MkdirAll(join(sub, "x", "y"), 0o755))
		for i := range 40 {
			writeSynced(t, join(sub, fmt.Sprint("f", i)), randBytes(100+i, uint64(i)))
		}
		writeSynced(t, join(sub, "x", "y", "big"), randBytes(3*MiB, uint64(d)))
	}
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			bound := 6*workers + 3
			before := ctOpenFDs()
			ents, err := os.ReadDir("/proc/self/fd")
			noErr(t, "readdir", err)
			maxFD := 0
			for _, e := range ents {
				var n int
				fmt.Sscan(e.Name(), &n)
				maxFD = max(maxFD, n)
			}
			var old unix.Rlimit
			noErr(t, "getrlimit", unix.Getrlimit(unix.RLIMIT_NOFILE, &old))
			// New descriptors take the lowest free numbers: bound more of
			// them fit below this limit, whatever the holes.
			lim := old
			lim.Cur = uint64(maxFD + 1 + bound)
			noErr(t, "setrlimit", unix.Setrlimit(unix.RLIMIT_NOFILE, &lim))
			defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)

			var peak atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if n := int64(ctOpenFDs()); n > peak.Load() {
						peak.Store(n)
					}
				}
			})
			dst := join(dir, fmt.Sprint("dst", workers))
			_, err = extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{CoW: extfs.CoWNever, Workers: workers})
			close(stop)
			wg.Wait()
			unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
			noErr(t, "CopyTree under RLIMIT_NOFILE", err)
			// The sampler holds one descriptor itself while it counts.
			if extra := int(peak.Load()) - 1 - before; extra > bound {
				t.Errorf("%d descriptors open at once during the copy, bound %d", extra, bound)
			}
			ctCompare(t, "copy", ctSnapshot(t, src), ctSnapshotNoMeta(t, dst, src))
		})
	}
}

// ctSnapshotNoMeta snapshots dst keeping from it only what a copy without
// Preserve promises (type, size, content, targets), the rest from src.
func ctSnapshotNoMeta(t testing.TB, dst, src string) ctTree {
	t.Helper()
	s, d := ctSnapshot(t, src), ctSnapshot(t, dst)
	for rel, e := range d.entries {
		if w, ok := s.entries[rel]; ok {
			e.mode, e.mtime, e.uid, e.gid, e.xattrs = w.mode, w.mtime, w.uid, w.gid, w.xattrs
			d.entries[rel] = e
		}
	}
	return d
}

// TestCopyTreeDestinationSymlink: a dst that is a symbolic link to a
// directory outside is never followed: without Replace the copy fails
// (fs.ErrExist), with it the link is replaced by a directory; and links
// inside an existing dst where the copy puts a directory or a file are
// replaced themselves. A sentinel directory outside stays as it was.
func TestCopyTreeDestinationSymlink(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst, outside := join(dir, "src"), join(dir, "dst"), join(dir, "outside")
		noErr(t, "mkdir", os.MkdirAll(join(src, "a", "b"), 0o755))
		writeSynced(t, join(src, "a", "b", "f"), []byte("new"))
		writeSynced(t, join(src, "top"), []byte("top"))
		noErr(t, "mkdir", os.MkdirAll(join(outside, "a", "b"), 0o755))
		writeSynced(t, join(outside, "a", "b", "f"), []byte("sentinel"))
		writeSynced(t, join(outside, "top"), []byte("sentinel"))
		sentinel := ctSnapshot(t, outside)

		noErr(t, "symlink", os.Symlink(outside, dst))
		_, err := extfs.CopyTree(context.Background(), src, dst, nil)
		wantErr(t, "CopyTree onto a symbolic link", err, fs.ErrExist)
		ctCompare(t, "outside after CopyTree without Replace", sentinel, ctSnapshot(t, outside))

		_, err = extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
		noErr(t, "CopyTree Replace onto a symbolic link", err)
		if fi, err := os.Lstat(dst); err != nil || !fi.IsDir() {
			t.Errorf("dst is %v, %v; want a directory", fi.Mode(), err)
		}
		ctCompare(t, "outside after CopyTree Replace", sentinel, ctSnapshot(t, outside))

		// Links inside dst, where the copy puts a directory and a file.
		noErr(t, "remove", os.RemoveAll(dst))
		noErr(t, "mkdir", os.Mkdir(dst, 0o755))
		noErr(t, "symlink", os.Symlink(join(outside, "a"), join(dst, "a")))
		noErr(t, "symlink", os.Symlink("../outside/top", join(dst, "top")))
		_, err = extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
		noErr(t, "CopyTree Replace over links", err)
		ctCompare(t, "outside after merging over links", sentinel, ctSnapshot(t, outside))
		ctCompare(t, "merged", ctSnapshotNoMeta(t, src, src), ctSnapshotNoMeta(t, dst, src))
	})
}

// TestCopyTreeReplace: an existing dst is an error without Replace and is
// left alone; with Replace it is merged into: files replaced (new inodes),
// entries src lacks kept, a file where src has a directory replaced, and a
// directory where src has a file refused (EISDIR, naming it).
func TestCopyTreeReplace(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := join(dir, "src"), join(dir, "dst")
		noErr(t, "mkdir", os.MkdirAll(join(src, "d"), 0o755))
		writeSynced(t, join(src, "f"), []byte("new f"))
		writeSynced(t, join(src, "d", "g"), []byte("new g"))
		noErr(t, "symlink", os.Symlink("f", join(src, "l")))
		noErr(t, "mkdir", os.Mkdir(dst, 0o555))
		writeSynced(t, join(dst, "f"), []byte("old f"))
		writeSynced(t, join(dst, "d"), []byte("a file where src has a directory"))
		writeSynced(t, join(dst, "keep"), []byte("only in dst"))
		noErr(t, "symlink", os.Symlink("keep", join(dst, "l")))
		oldIno := stat(t, join(dst, "f")).Ino
		before := ctSnapshot(t, dst)

		_, err := extfs.CopyTree(context.Background(), src, dst, nil)
		wantErr(t, "CopyTree onto an existing directory", err, fs.ErrExist)
		ctCompare(t, "dst after CopyTree without Replace", before, ctSnapshot(t, dst))

		st, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
		noErr(t, "CopyTree Replace", err)
		for path, want := range map[string]string{"f": "new f", "d/g": "new g", "keep": "only in dst"} {
			if got := string(readAll(t, join(dst, path))); got != want {
				t.Errorf("%s holds %q, want %q", path, got, want)
			}
		}
		if target, _ := os.Readlink(join(dst, "l")); target != "f" {
			t.Errorf("link l -> %q, want f", target)
		}
		if stat(t, join(dst, "f")).Ino == oldIno {
			t.Error("f was written in place, not replaced")
		}
		if m := stat(t, dst).Mode & 0o777; m != 0o555 {
			t.Errorf("merged dst has mode %o, want its old 555 back", m)
		}
		if st.Files != 2 || st.Dirs != 2 || st.Symlinks != 1 {
			t.Errorf("stats %+v", st)
		}
		if temps := ctTemps(t, dst); len(temps) > 0 {
			t.Errorf("temporary files left: %q", temps)
		}

		// A directory where src has a file: refused, never removed.
		noErr(t, "remove", os.Remove(join(src, "f")))
		noErr(t, "mkdir", os.Mkdir(join(src, "f"), 0o755))
		noErr(t, "remove", os.RemoveAll(join(src, "d")))
		writeSynced(t, join(src, "d"), []byte("a file where dst has a directory"))
		_, err = extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingReplace})
		wantErr(t, "CopyTree Replace of a directory by a file", err, syscall.EISDIR)
		var le *os.LinkError
		if !errors.As(err, &le) || le.Old != join(src, "d") || le.New != join(dst, "d") {
			t.Errorf("error %v does not name %s and %s", err, join(src, "d"), join(dst, "d"))
		}
		if got := string(readAll(t, join(dst, "d", "g"))); got != "new g" {
			t.Errorf("d/g holds %q", got)
		}
		// The directory made for f, under a temporary name, is gone; the
		// file f is still there.
		if got := string(readAll(t, join(dst, "f"))); got != "new f" {
			t.Errorf("f holds %q", got)
		}
		if temps := ctTemps(t, dst); len(temps) > 0 {
			t.Errorf("temporary entries left: %q", temps)
		}
		os.Chmod(dst, 0o755) // for the cleanup, as non-root
	}, testfs.Ext4, testfs.XFS)
}

// TestCopyTreeAcrossFilesystems copies from XFS to ext4 and back: no clone
// is possible, everything else is as on one filesystem.
func TestCopyTreeAcrossFilesystems(t *testing.T) {
	ctNeedRoot(t)
	for _, p := range [][2]string{{testfs.XFS, testfs.Ext4}, {testfs.Ext4, testfs.Btrfs}} {
		t.Run(p[0]+"-to-"+p[1], func(t *testing.T) {
			src := join(testfs.Get(t, p[0]).TempDir(t), "src")
			dst := join(testfs.Get(t, p[1]).TempDir(t), "dst")
			ctBuild(t, src)
			want := ctSnapshot(t, src)
			st, err := extfs.CopyTree(context.Background(), src, dst, ctAll)
			noErr(t, "CopyTree", err)
			ctCompare(t, "copy vs source", want, ctSnapshot(t, dst))
			if st.ClonedBytes != 0 || st.CopiedBytes == 0 || st.ByMethod[extfs.MethodClone] != 0 {
				t.Errorf("stats %+v: want no clone", st)
			}
		})
	}
}

// TestCopyTreeClone: on XFS and btrfs every file of CoWAuto's copy shares
// its blocks with the source; with CoWNever none does.
func TestCopyTreeClone(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		var files []string
		for i := range 10 {
			rel := join(fmt.Sprint("d", i%3), fmt.Sprint("f", i))
			noErr(t, "mkdir", os.MkdirAll(join(src, filepath.Dir(rel)), 0o755))
			writeSynced(t, join(src, rel), randBytes(64<<10*(i+1), uint64(i)))
			files = append(files, rel)
		}
		for _, mode := range []extfs.CoWMode{extfs.CoWAuto, extfs.CoWNever} {
			dst := join(dir, "dst-"+mode.String())
			st, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{CoW: mode})
			noErr(t, "CopyTree "+mode.String(), err)
			if mode == extfs.CoWAuto {
				if st.ClonedBytes != st.Bytes || st.ByMethod[extfs.MethodClone] != 10 {
					t.Errorf("CoWAuto stats %+v, want 10 files cloned", st)
				}
			} else if st.ClonedBytes != 0 || st.ByMethod[extfs.MethodCopyFileRange] != 0 || st.CopiedBytes != st.Bytes {
				t.Errorf("CoWNever stats %+v, want every byte copied, without copy_file_range", st)
			}
			for _, rel := range files {
				if mode == extfs.CoWAuto {
					fiemapWantShared(t, join(dst, rel))
				} else {
					fiemapWantUnshared(t, join(dst, rel))
				}
			}
		}
	}, testfs.XFS, testfs.Btrfs)
}

// TestCopyTreeCancel cancels from the first Progress call, mid-file: the
// copy stops with context.Canceled, promptly, and leaves no temporary file;
// what it copied is complete.
func TestCopyTreeCancel(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		for d := range 4 {
			sub := join(src, fmt.Sprint("d", d))
			noErr(t, "mkdir", os.MkdirAll(sub, 0o755))
			for i := range 50 {
				writeSynced(t, join(sub, fmt.Sprint("small", i)), randBytes(5000, uint64(i)))
			}
			writeSynced(t, join(sub, "big"), cpData()[:32*MiB])
		}
		for _, workers := range []int{1, 8} {
			dst := join(dir, fmt.Sprint("dst", workers))
			ctx, cancel := context.WithCancel(context.Background())
			var calls atomic.Int32
			start := time.Now()
			_, err := extfs.CopyTree(ctx, src, dst, &extfs.CopyOptions{
				CoW:     extfs.CoWNever,
				Workers: workers,
				Progress: func(done, total int64) {
					calls.Add(1)
					if _, err := os.Lstat(dst); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("dst exists before the copy is complete: %v", err)
					}
					cancel()
				},
			})
			elapsed := time.Since(start)
			cancel()
			wantErr(t, "cancelled CopyTree", err, context.Canceled)
			if calls.Load() != 1 {
				t.Errorf("%d progress calls after the cancel", calls.Load())
			}
			// Nothing is left: neither dst nor the temporary directory.
			cpWantNames(t, dir, "src")
			t.Logf("workers=%d: stopped after %v", workers, elapsed)
		}

		// Cancelled before it starts: nothing is made.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := extfs.CopyTree(ctx, src, join(dir, "never"), nil)
		wantErr(t, "CopyTree with a cancelled context", err, context.Canceled)
		if _, err := os.Lstat(join(dir, "never")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cancelled CopyTree made its destination: %v", err)
		}
	}, testfs.Ext4, testfs.XFS)
}

// TestCopyTreeVanished: a file removed after the walk found it is an error
// naming it, in src and dst, and nothing is left half-made. With one worker
// the entries of a directory are copied in name order, so "a-big" (whose
// copy calls Progress) is copied before "z-victim".
func TestCopyTreeVanished(t *testing.T) {
	dir := testfs.Get(t, testfs.Ext4).TempDir(t)
	src, dst := join(dir, "src"), join(dir, "dst")
	noErr(t, "mkdir", os.Mkdir(src, 0o755))
	writeSynced(t, join(src, "a-big"), cpData()[:16*MiB])
	writeSynced(t, join(src, "z-victim"), []byte("here during the walk"))
	_, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{
		CoW:     extfs.CoWNever,
		Workers: 1,
		Progress: func(done, total int64) {
			os.Remove(join(src, "z-victim"))
		},
	})
	wantErr(t, "CopyTree of a vanished file", err, fs.ErrNotExist)
	var le *os.LinkError
	if !errors.As(err, &le) || le.Old != join(src, "z-victim") || le.New != join(dst, "z-victim") {
		t.Errorf("error %q (%T) does not name the vanished file", err, err)
	}
	cpWantNames(t, dir, "src") // dst is made whole or not at all
}

// TestCopyTreeXattrError: an attribute the destination refuses (60 000
// bytes, which ext4 without ea_inode cannot store) fails the copy with an
// error that names the file and the attribute.
func TestCopyTreeXattrError(t *testing.T) {
	src := join(testfs.Get(t, testfs.XFS).TempDir(t), "src")
	dst := join(testfs.Get(t, testfs.Ext4).TempDir(t), "dst")
	noErr(t, "mkdir", os.MkdirAll(join(src, "d"), 0o755))
	writeSynced(t, join(src, "d", "f"), []byte("x"))
	setXattrIndependently(t, join(src, "d", "f"), "user.big", make([]byte, 60000))
	_, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Preserve: extfs.PreserveXattrs})
	wantErr(t, "CopyTree with a big xattr to ext4", err, syscall.ENOSPC)
	if err != nil && (!strings.Contains(err.Error(), join(src, "d", "f")) || !strings.Contains(err.Error(), "user.big")) {
		t.Errorf("error %q does not name the file and the attribute", err)
	}
	cpWantNames(t, filepath.Dir(dst))
}

// TestCopyTreeDevice: making a device file needs CAP_MKNOD; without it the
// entry is an error naming it. Run in a child without the capability.
func TestCopyTreeDevice(t *testing.T) {
	if os.Getenv("EXTFS_CT_NOMKNOD") == "1" {
		dir := os.Getenv("EXTFS_CT_DIR")
		_, err := extfs.CopyTree(context.Background(), join(dir, "src"), join(dir, "dst"), nil)
		wantErr(t, "CopyTree of a device without CAP_MKNOD", err, syscall.EPERM)
		var le *os.LinkError
		if !errors.As(err, &le) || le.Old != join(dir, "src", "null") {
			t.Errorf("error %q does not name the device", err)
		}
		return
	}
	ctNeedRoot(t)
	capsh, err := exec.LookPath("capsh")
	if err != nil {
		testfs.SkipOrFail(t, "capsh (package libcap2-bin) is needed to drop CAP_MKNOD")
	}
	dir := t.TempDir()
	noErr(t, "mkdir", os.Mkdir(join(dir, "src"), 0o755))
	noErr(t, "mknod", unix.Mknod(join(dir, "src", "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	cmd := exec.Command(capsh, "--drop=cap_mknod", "--", "-c", `exec "$0" -test.run '^TestCopyTreeDevice$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "EXTFS_CT_NOMKNOD=1", "EXTFS_CT_DIR="+dir, "EXTFS_TESTFS_NO_NAMESPACE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child without CAP_MKNOD: %v\n%s", err, out)
	}
}
