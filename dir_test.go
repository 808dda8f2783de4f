//go:build linux

package extfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
	"golang.org/x/sys/unix"
)

// Every Dir test runs under both engines, through both resolvers (openat2
// and the component walk) and on every filesystem: subtests are named
// engine/resolver/fs, e.g. "ring/walk/xfs". Outcomes are checked with
// golang.org/x/sys/unix and package os, never through extfs.

// eachResolver runs fn with Dirs resolving names by openat2, then by the
// walk. Where the kernel has no openat2 the first is skipped (or fails under
// testfs.Required()).
func eachResolver(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, r := range []string{"openat2", "walk"} {
		t.Run(r, func(t *testing.T) {
			if r == "openat2" && !extfs.Supports(extfs.FeatureOpenat2) {
				testfs.SkipOrFail(t, "openat2 unavailable (Linux before 5.6, or seccomp): only the walk can be tested")
			}
			prev := extfs.SetDirWalk(r == "walk")
			t.Cleanup(func() { extfs.SetDirWalk(prev) })
			fn(t)
		})
	}
}

// dirTree is the tree every Dir test starts from:
//
//	base/               a TempDir on the filesystem under test
//	  outside           sentinel file: no Dir operation may touch it
//	  outdir/           sentinel directory: must stay empty
//	  other/            a second Dir, for Rename and Link across Dirs
//	  root/             the Dir under test
//	    f               "hello"
//	    a/              empty
//	    sub/g           "g"
//	    sub/hop2    ->  ../../outdir       escapes
//	    lf          ->  f
//	    lsub        ->  sub
//	    up          ->  ..                 escapes
//	    slash       ->  /                  escapes (only read through in tests)
//	    abs         ->  <base>/outdir      absolute: escapes
//	    absin       ->  <base>/root/sub    absolute into the tree: refused too
//	    hop1        ->  sub/hop2           escapes on its second hop
//	    dangle      ->  ../outdir/new      dangling, escapes
//	    loop1       ->  loop2, loop2 -> loop1
type dirTree struct {
	base, root string
	d, other   *extfs.Dir
	outside    outsideState
}

// eachDir runs fn on a fresh dirTree for every engine, resolver and
// filesystem, and checks afterwards that nothing outside root changed.
func eachDir(t *testing.T, fn func(t *testing.T, tr *dirTree)) {
	t.Helper()
	eachEngine(t, func(t *testing.T) {
		eachResolver(t, func(t *testing.T) {
			testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
				tr := newDirTree(t, fsys.TempDir(t))
				fn(t, tr)
				tr.checkOutside(t)
			})
		})
	})
}

func newDirTree(t *testing.T, base string) *dirTree {
	t.Helper()
	tr := &dirTree{base: base, root: join(base, "root")}
	for _, dir := range []string{"outdir", "other", "root", "root/a", "root/sub"} {
		noErr(t, "mkdir", os.Mkdir(join(base, dir), 0o755))
	}
	for name, data := range map[string]string{"outside": "secret", "root/f": "hello", "root/sub/g": "g"} {
		noErr(t, "write", os.WriteFile(join(base, name), []byte(data), 0o644))
	}
	for name, target := range map[string]string{
		"sub/hop2": "../../outdir",
		"lf":       "f",
		"lsub":     "sub",
		"up":       "..",
		"slash":    "/",
		"abs":      join(base, "outdir"),
		"absin":    join(base, "root/sub"),
		"hop1":     "sub/hop2",
		"dangle":   "../outdir/new",
		"loop1":    "loop2",
		"loop2":    "loop1",
	} {
		noErr(t, "symlink", os.Symlink(target, join(tr.root, name)))
	}
	tr.outside = snapshotOutside(t, base)
	tr.d = openDir(t, tr.root)
	tr.other = openDir(t, join(base, "other"))
	return tr
}

func openDir(t *testing.T, path string) *extfs.Dir {
	t.Helper()
	d, err := extfs.OpenDir(path)
	if err != nil {
		t.Fatalf("OpenDir(%s): %v", path, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// path is the absolute path of name beneath root.
func (tr *dirTree) path(name string) string { return join(tr.root, name) }

// outsideState is what must not change outside root: the sentinel file
// (content and every stat field, ctime included, which any chmod, chown,
// link or utimes moves), and the entries and times of base and outdir.
type outsideState struct {
	data               []byte
	outside            unix.Stat_t
	base, outdir       unix.Stat_t
	baseNames, outdirs []string
}

func snapshotOutside(t *testing.T, base string) outsideState {
	t.Helper()
	names := func(dir string) []string {
		ents, err := os.ReadDir(dir)
		noErr(t, "ReadDir", err)
		var ns []string
		for _, e := range ents {
			ns = append(ns, e.Name())
		}
		return ns
	}
	return outsideState{
		data:      readAll(t, join(base, "outside")),
		outside:   lstat(t, join(base, "outside")),
		base:      lstat(t, base),
		outdir:    lstat(t, join(base, "outdir")),
		baseNames: names(base),
		outdirs:   names(join(base, "outdir")),
	}
}

func (tr *dirTree) checkOutside(t *testing.T) {
	t.Helper()
	now := snapshotOutside(t, tr.base)
	was := tr.outside
	// Reading a directory may move its atime; nothing else may change.
	now.base.Atim, was.base.Atim = unix.Timespec{}, unix.Timespec{}
	now.outdir.Atim, was.outdir.Atim = unix.Timespec{}, unix.Timespec{}
	now.outside.Atim, was.outside.Atim = unix.Timespec{}, unix.Timespec{}
	switch {
	case !bytes.Equal(now.data, was.data):
		t.Errorf("the sentinel file outside the Dir now holds %q", now.data)
	case now.outside != was.outside:
		t.Errorf("the sentinel file outside the Dir changed:\n was %+v\n now %+v", was.outside, now.outside)
	case now.base != was.base || now.outdir != was.outdir:
		t.Errorf("a directory outside the Dir changed (base %v, outdir %v)", now.base != was.base, now.outdir != was.outdir)
	case !slices.Equal(now.baseNames, was.baseNames) || !slices.Equal(now.outdirs, was.outdirs):
		t.Errorf("entries outside the Dir changed: base %q -> %q, outdir %q -> %q",
			was.baseNames, now.baseNames, was.outdirs, now.outdirs)
	}
}

var umask = func() uint32 {
	m := unix.Umask(0)
	unix.Umask(m)
	return uint32(m)
}()

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// wantDirLinkErr fails unless err is an *os.LinkError with the given Op,
// Old and New matching every target.
func wantDirLinkErr(t testing.TB, err error, op, oldname, newname string, targets ...error) {
	t.Helper()
	wantErr(t, op, err, targets...)
	var le *os.LinkError
	if !errors.As(err, &le) {
		t.Errorf("%s: error %q is a %T, want *os.LinkError", op, err, err)
		return
	}
	if le.Op != op || le.Old != oldname || le.New != newname {
		t.Errorf("LinkError Op=%q Old=%q New=%q, want Op=%q Old=%q New=%q", le.Op, le.Old, le.New, op, oldname, newname)
	}
}

// dirOp is one Dir method applied to one name.
type dirOp struct {
	method string
	op     string // the error's Op
	// link: the error is an *os.LinkError; the name is its Old (oldArg) or New.
	link, oldArg bool
	mutates      bool // changes something: never pointed at "/" in tests
	run          func(tr *dirTree, name string) error
}

var (
	tA = time.Unix(1_000_000_000, 123_456_789)
	tM = time.Unix(1_100_000_000, 987_654_321)
)

// dirOps calls every Dir method that takes a name.
var dirOps = []dirOp{
	{method: "OpenFile(O_RDONLY)", op: "open", run: func(tr *dirTree, name string) error {
		f, err := tr.d.OpenFile(name, os.O_RDONLY, 0)
		if err == nil {
			f.Close()
		}
		return err
	}},
	{method: "OpenFile(O_CREATE)", op: "open", mutates: true, run: func(tr *dirTree, name string) error {
		f, err := tr.d.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			f.Close()
		}
		return err
	}},
	{method: "OpenDir", op: "open", run: func(tr *dirTree, name string) error {
		d, err := tr.d.OpenDir(name)
		if err == nil {
			d.Close()
		}
		return err
	}},
	{method: "Mkdir", op: "mkdir", mutates: true, run: func(tr *dirTree, name string) error { return tr.d.Mkdir(name, 0o755) }},
	{method: "Remove", op: "unlinkat", mutates: true, run: func(tr *dirTree, name string) error { return tr.d.Remove(name) }},
	{method: "Rename(old)", op: "rename", link: true, oldArg: true, mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.Rename(name, nil, "renamed")
	}},
	{method: "Rename(new)", op: "rename", link: true, mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.Rename("a", nil, name)
	}},
	{method: "Link(old)", op: "link", link: true, oldArg: true, mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.Link(name, nil, "linked")
	}},
	{method: "Link(new)", op: "link", link: true, mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.Link("f", nil, name)
	}},
	{method: "Symlink", op: "symlink", link: true, mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.Symlink("f", name)
	}},
	{method: "Readlink", op: "readlink", run: func(tr *dirTree, name string) error {
		_, err := tr.d.Readlink(name)
		return err
	}},
	{method: "Statx", op: "statx", run: func(tr *dirTree, name string) error {
		_, err := tr.d.Statx(name)
		return err
	}},
	{method: "Lstatx", op: "statx", run: func(tr *dirTree, name string) error {
		_, err := tr.d.Lstatx(name)
		return err
	}},
	{method: "Chmod", op: "chmod", mutates: true, run: func(tr *dirTree, name string) error { return tr.d.Chmod(name, 0o700) }},
	{method: "Lchown", op: "lchown", mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.Lchown(name, 4321, 4321)
	}},
	{method: "SetTimes", op: "utimensat", mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.SetTimes(name, tA, tM)
	}},
	{method: "LSetTimes", op: "utimensat", mutates: true, run: func(tr *dirTree, name string) error {
		return tr.d.LSetTimes(name, tA, tM)
	}},
	{method: "Mknod", op: "mknod", mutates: true, run: func(tr *dirTree, name string) error { return tr.d.Mknod(name, 0o644, 0) }},
	{method: "Mkfifo", op: "mknod", mutates: true, run: func(tr *dirTree, name string) error { return tr.d.Mkfifo(name, 0o644) }},
}

// follows reports whether the method follows a symbolic link in the last
// component.
func (o dirOp) follows() bool {
	switch o.method {
	case "OpenFile(O_RDONLY)", "OpenFile(O_CREATE)", "OpenDir", "Statx", "Chmod", "SetTimes":
		return true
	}
	return false
}

// lookup reports whether the method looks up an existing last component
// without following it (and so follows it when the name has a trailing slash).
func (o dirOp) lookup() bool {
	switch o.method {
	case "Readlink", "Lstatx", "Lchown", "LSetTimes", "Link(old)":
		return true
	}
	return false
}

// check checks err's type, Op and names, and that it matches every target.
func (o dirOp) check(t *testing.T, err error, name string, targets ...error) {
	t.Helper()
	if !o.link {
		wantPathErr(t, err, o.op, name, targets...)
		return
	}
	oldname, newname := name, "renamed"
	switch {
	case o.method == "Link(old)":
		newname = "linked"
	case o.method == "Symlink":
		oldname, newname = "f", name
	case !o.oldArg:
		oldname, newname = "a", name
		if o.op == "link" {
			oldname = "f"
		}
	}
	wantDirLinkErr(t, err, o.op, oldname, newname, targets...)
}

// TestDirEscapes: every name that leads outside is refused by every method
// with ErrEscapes, and nothing outside changes.
func TestDirEscapes(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		// Leading outside before the last component: refused by every method.
		names := []string{
			"..",
			"../outside",
			"../outdir/x",
			"a/../../outside",
			"sub/../..",
			"sub/../../outdir/x",
			"up/outside", // up -> ..
			"up/outdir/x",
			"abs/x",       // abs -> <base>/outdir
			"absin/g",     // absolute, even into the tree
			"hop1/x",      // hop1 -> sub/hop2 -> ../../outdir
			"lsub/hop2/x", // through lsub -> sub
			"lsub/../../outside",
			join(tr.base, "outside"), // absolute names
			join(tr.root, "f"),
		}
		// Leading outside only through a last-component link: refused by
		// the methods that follow it.
		followNames := []string{"up", "abs", "absin", "hop1", "dangle", "lsub/hop2"}
		// A trailing slash makes the kernel follow the last component, so
		// the lookup methods resolve those names beneath too.
		slashNames := []string{"up/", "abs/", "hop1/", "absin/", "lsub/hop2/"}
		// Through "/": only for the methods that change nothing, so that a
		// bug cannot damage the machine.
		readNames := []string{"/etc/passwd", "slash/etc/passwd", "slash/"}

		for _, o := range dirOps {
			try := func(name string) {
				t.Helper()
				err := o.run(tr, name)
				if err == nil {
					t.Errorf("%s(%q) succeeded, want ErrEscapes", o.method, name)
					return
				}
				if !errors.Is(err, extfs.ErrEscapes) {
					t.Errorf("%s(%q): %v, want ErrEscapes", o.method, name, err)
					return
				}
				o.check(t, err, name, extfs.ErrEscapes)
			}
			for _, name := range names {
				try(name)
			}
			if o.follows() {
				for _, name := range followNames {
					try(name)
				}
				if o.method != "OpenFile(O_CREATE)" { // "name/" with O_CREAT is EISDIR first
					try("up/")
					try("hop1/")
				}
			}
			if o.lookup() {
				for _, name := range slashNames {
					try(name)
				}
			}
			if !o.mutates {
				for _, name := range readNames {
					if name == "slash/" && !(o.follows() || o.lookup()) {
						continue
					}
					try(name)
				}
			}
			tr.checkOutside(t)
		}
		if exists(join(tr.base, "outdir/new")) || exists(tr.path("renamed")) || exists(tr.path("linked")) {
			t.Error("a refused operation created something")
		}
		if got := readAll(t, tr.path("f")); string(got) != "hello" {
			t.Errorf("f now holds %q", got)
		}
	})
}

// TestDirEscapeMessage: the error says what happened.
func TestDirEscapeMessage(t *testing.T) {
	if got := extfs.ErrEscapes.Error(); !strings.Contains(got, "escapes") {
		t.Errorf("ErrEscapes says %q", got)
	}
	eachResolver(t, func(t *testing.T) {
		testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
			tr := newDirTree(t, fsys.TempDir(t))
			_, err := tr.d.Statx("up/outside")
			if want := "statx up/outside: path escapes the directory"; err == nil || err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
		}, testfs.Tmpfs)
	})
}

// TestDirLinksToOutsideThemselves: the methods that act on a directory
// entry work on an escaping symbolic link itself, without following it.
func TestDirLinksToOutsideThemselves(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		st, err := tr.d.Lstatx("up")
		noErr(t, "Lstatx(up)", err)
		if st.Mode.Type() != fs.ModeSymlink || st.Ino != lstat(t, tr.path("up")).Ino {
			t.Errorf("Lstatx(up): mode %v ino %d, want the link itself", st.Mode, st.Ino)
		}
		if got, err := tr.d.Readlink("abs"); err != nil || got != join(tr.base, "outdir") {
			t.Errorf("Readlink(abs) = %q, %v", got, err)
		}
		if got, err := tr.d.Readlink("slash"); err != nil || got != "/" {
			t.Errorf("Readlink(slash) = %q, %v", got, err)
		}
		noErr(t, "LSetTimes(abs)", tr.d.LSetTimes("abs", tA, tM))
		if st := lstat(t, tr.path("abs")); st.Mtim != unix.NsecToTimespec(tM.UnixNano()) {
			t.Errorf("LSetTimes(abs): the link's mtime is %v", st.Mtim)
		}
		if os.Geteuid() == 0 {
			noErr(t, "Lchown(up)", tr.d.Lchown("up", 1111, 2222))
			if st := lstat(t, tr.path("up")); st.Uid != 1111 || st.Gid != 2222 {
				t.Errorf("Lchown(up): the link is owned by %d:%d", st.Uid, st.Gid)
			}
		}
		noErr(t, "Link(up)", tr.d.Link("up", nil, "up-link"))
		if st := lstat(t, tr.path("up-link")); st.Mode&unix.S_IFMT != unix.S_IFLNK || st.Nlink != 2 {
			t.Errorf("Link(up): the new name has mode %#o nlink %d, want the link itself, nlink 2", st.Mode, st.Nlink)
		}
		noErr(t, "Rename(up)", tr.d.Rename("up", nil, "up2"))
		if target, err := os.Readlink(tr.path("up2")); err != nil || target != ".." {
			t.Errorf("after Rename(up, up2): readlink = %q, %v", target, err)
		}
		noErr(t, "Remove(dangle)", tr.d.Remove("dangle"))
		if exists(tr.path("dangle")) {
			t.Error("Remove(dangle): the link is still there")
		}
		// Creating over an escaping link: the entry exists; nothing is followed.
		for name, err := range map[string]error{
			"Mkdir(abs)":        tr.d.Mkdir("abs", 0o755),
			"Mknod(abs)":        tr.d.Mknod("abs", 0o644, 0),
			"Symlink(x, abs)":   tr.d.Symlink("x", "abs"),
			"Link(f, abs)":      tr.d.Link("f", nil, "abs"),
			"OpenFile(abs, EX)": openClose(tr.d, "abs", os.O_RDWR|os.O_CREATE|os.O_EXCL),
		} {
			wantErr(t, name, err, fs.ErrExist)
		}
		// A trailing slash on an entry operation: "must be a directory"; the
		// link is not followed.
		wantErr(t, "Remove(abs/)", tr.d.Remove("abs/"), syscall.ENOTDIR)
		wantErr(t, "Rename(abs/)", tr.d.Rename("abs/", nil, "x"), syscall.ENOTDIR)
		if !exists(tr.path("abs")) {
			t.Error("abs is gone")
		}
	})
}

func openClose(d *extfs.Dir, name string, flag int) error {
	f, err := d.OpenFile(name, flag, 0o644)
	if err == nil {
		f.Close()
	}
	return err
}

// TestDirInTree: "..", "." and symbolic links that stay beneath work.
func TestDirInTree(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		fIno := lstat(t, tr.path("f")).Ino
		gIno := lstat(t, tr.path("sub/g")).Ino
		for name, ino := range map[string]uint64{
			"f":           fIno,
			"./f":         fIno,
			"a/../f":      fIno,
			"sub/../f":    fIno,
			"sub//g":      gIno,
			"sub/./g":     gIno,
			"lf":          fIno, // lf -> f
			"lsub/g":      gIno, // lsub -> sub
			"lsub/../f":   fIno, // ".." after a link: the link target's parent
			"lsub/../lf":  fIno,
			".":           lstat(t, tr.root).Ino,
			"sub/..":      lstat(t, tr.root).Ino,
			"lsub/":       lstat(t, tr.path("sub")).Ino,
			"a/../sub/g":  gIno,
			"sub/../sub/": lstat(t, tr.path("sub")).Ino,
		} {
			st, err := tr.d.Statx(name)
			if err != nil {
				t.Errorf("Statx(%q): %v", name, err)
				continue
			}
			if st.Ino != ino {
				t.Errorf("Statx(%q) found inode %d, want %d", name, st.Ino, ino)
			}
		}
		// A chain of links inside the tree, down and back up.
		noErr(t, "symlink", os.Symlink("../lsub/../lf", tr.path("a/chain")))
		if st, err := tr.d.Statx("a/chain"); err != nil || st.Ino != fIno {
			t.Errorf("Statx(a/chain): %v, %v", st, err)
		}
		if f, err := tr.d.OpenFile("lsub/../lf", os.O_RDONLY, 0); err != nil {
			t.Errorf("OpenFile(lsub/../lf): %v", err)
		} else {
			b, _ := io.ReadAll(f.OSFile())
			f.Close()
			if string(b) != "hello" {
				t.Errorf("OpenFile(lsub/../lf) read %q", b)
			}
		}
		noErr(t, "Mkdir(lsub/../a/new)", tr.d.Mkdir("lsub/../a/new", 0o755))
		if !exists(tr.path("a/new")) {
			t.Error("Mkdir(lsub/../a/new) did not create a/new")
		}
		// Where the name is wrong inside the tree, the errno says so.
		wantPathErr(t, openClose(tr.d, "f/", os.O_RDONLY), "open", "f/", syscall.ENOTDIR)
		wantPathErr(t, openClose(tr.d, "f/x", os.O_RDONLY), "open", "f/x", syscall.ENOTDIR)
		wantPathErr(t, openClose(tr.d, "lf/x", os.O_RDONLY), "open", "lf/x", syscall.ENOTDIR)
		wantPathErr(t, openClose(tr.d, "missing/x", os.O_RDONLY), "open", "missing/x", fs.ErrNotExist)
		_, err := tr.d.Statx("nothing")
		wantPathErr(t, err, "statx", "nothing", fs.ErrNotExist)
	})
}

// TestDirMagicLinks: /proc magic links jump to wherever their descriptor
// points. openat2 refuses them (ELOOP, RESOLVE_NO_MAGICLINKS); the walk
// never jumps, it reads their text, which is absolute (ErrEscapes) or names
// nothing ("pipe:[123]"). Either way nothing is reached through them.
func TestDirMagicLinks(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		d := openDir(t, "/proc/self")
		for _, name := range []string{"cwd", "exe", "root", "cwd/x", "fd/0", "fd/1"} {
			_, err := d.Statx(name)
			if err == nil || !(errors.Is(err, extfs.ErrEscapes) || errors.Is(err, syscall.ELOOP) || errors.Is(err, fs.ErrNotExist)) {
				t.Errorf("Statx(%q) in /proc/self: %v, want ErrEscapes, ELOOP or ENOENT", name, err)
			}
		}
		if st, err := d.Lstatx("cwd"); err != nil || st.Mode.Type() != fs.ModeSymlink {
			t.Errorf("Lstatx(cwd) in /proc/self: %v, %v", st, err)
		}
	})
}

// TestDirSymlinkLoops: more than 40 links, and loops, are ELOOP, as in the
// kernel; 40 are fine.
func TestDirSymlinkLoops(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		// l0 -> l1 -> ... -> l40 -> f: from l1, 40 links; from l0, 41.
		for i := range 41 {
			target := fmt.Sprintf("l%d", i+1)
			if i == 40 {
				target = "f"
			}
			noErr(t, "symlink", os.Symlink(target, tr.path(fmt.Sprintf("l%d", i))))
		}
		if _, err := tr.d.Statx("l1"); err != nil {
			t.Errorf("Statx through 40 links: %v", err)
		}
		_, err := tr.d.Statx("l0")
		wantPathErr(t, err, "statx", "l0", syscall.ELOOP)
		_, err = tr.d.Statx("loop1")
		wantPathErr(t, err, "statx", "loop1", syscall.ELOOP)
		_, err = tr.d.Statx("loop1/x")
		wantPathErr(t, err, "statx", "loop1/x", syscall.ELOOP)
		wantPathErr(t, openClose(tr.d, "loop2", os.O_RDWR|os.O_CREATE), "open", "loop2", syscall.ELOOP)
	})
}

func TestDirOpenFile(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		f, err := tr.d.OpenFile("sub/new", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
		noErr(t, "OpenFile(sub/new, O_CREATE|O_EXCL)", err)
		if want := tr.d.Name() + "/sub/new"; f.Name() != want {
			t.Errorf("File.Name() = %q, want %q", f.Name(), want)
		}
		flags, err := unix.FcntlInt(f.OSFile().Fd(), unix.F_GETFD, 0)
		noErr(t, "F_GETFD", err)
		if flags&unix.FD_CLOEXEC == 0 {
			t.Error("the File's descriptor lacks FD_CLOEXEC")
		}
		_, err = f.OSFile().Write([]byte("data"))
		noErr(t, "write", err)
		noErr(t, "close", f.Close())
		if got := readAll(t, tr.path("sub/new")); string(got) != "data" {
			t.Errorf("sub/new holds %q", got)
		}
		if st := lstat(t, tr.path("sub/new")); st.Mode != unix.S_IFREG|(0o640&^umask) {
			t.Errorf("sub/new has mode %#o, want %#o", st.Mode, unix.S_IFREG|(0o640&^umask))
		}
		wantPathErr(t, openClose(tr.d, "sub/new", os.O_RDWR|os.O_CREATE|os.O_EXCL), "open", "sub/new", fs.ErrExist)

		// A link to an in-tree file is followed, for reading and for O_TRUNC.
		f, err = tr.d.OpenFile("lf", os.O_RDONLY, 0)
		noErr(t, "OpenFile(lf)", err)
		b, _ := io.ReadAll(f.OSFile())
		f.Close()
		if string(b) != "hello" {
			t.Errorf("OpenFile(lf) read %q", b)
		}
		// O_NOFOLLOW: a last-component link is refused.
		wantPathErr(t, openClose(tr.d, "lf", os.O_RDONLY|syscall.O_NOFOLLOW), "open", "lf", syscall.ELOOP)

		// A dangling link inside the tree: O_CREATE creates its target
		// beneath the Dir; with O_EXCL it is not followed at all.
		noErr(t, "symlink", os.Symlink("sub/target", tr.path("dl")))
		wantPathErr(t, openClose(tr.d, "dl", os.O_RDWR|os.O_CREATE|os.O_EXCL), "open", "dl", fs.ErrExist)
		if exists(tr.path("sub/target")) {
			t.Error("O_EXCL followed the dangling link")
		}
		noErr(t, "OpenFile(dl, O_CREATE)", openClose(tr.d, "dl", os.O_RDWR|os.O_CREATE))
		if st := lstat(t, tr.path("sub/target")); st.Mode&unix.S_IFMT != unix.S_IFREG {
			t.Errorf("O_CREATE through dl made mode %#o", st.Mode)
		}

		// The directory itself, and directories.
		f, err = tr.d.OpenFile(".", os.O_RDONLY, 0)
		noErr(t, "OpenFile(.)", err)
		ents, err := f.OSFile().ReadDir(-1)
		f.Close()
		if err != nil || len(ents) == 0 {
			t.Errorf("ReadDir of OpenFile(.): %d entries, %v", len(ents), err)
		}
		wantPathErr(t, openClose(tr.d, "sub", os.O_RDWR), "open", "sub", syscall.EISDIR)
		wantPathErr(t, openClose(tr.d, "a/", os.O_RDWR|os.O_CREATE), "open", "a/", syscall.EISDIR)
		wantPathErr(t, openClose(tr.d, "newdir/", os.O_RDWR|os.O_CREATE), "open", "newdir/", syscall.EISDIR)
		if exists(tr.path("newdir")) {
			t.Error(`OpenFile("newdir/", O_CREATE) created something`)
		}

		// Bad permissions are refused before anything is created.
		_, err = tr.d.OpenFile("y", os.O_RDWR|os.O_CREATE, fs.ModeDir|0o644)
		wantPathErr(t, err, "open", "y", fs.ErrInvalid)
		if exists(tr.path("y")) {
			t.Error("OpenFile with a bad mode created the file")
		}
	})
}

func TestDirOpenDir(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		for _, name := range []string{"sub", "lsub", "sub/", "a/../sub", "."} {
			sd, err := tr.d.OpenDir(name)
			if err != nil {
				t.Errorf("OpenDir(%q): %v", name, err)
				continue
			}
			if want := tr.d.Name() + "/" + name; sd.Name() != want {
				t.Errorf("Name() = %q, want %q", sd.Name(), want)
			}
			noErr(t, "Close", sd.Close())
		}
		sd, err := tr.d.OpenDir("lsub")
		noErr(t, "OpenDir(lsub)", err)
		defer sd.Close()
		noErr(t, "sub Dir Mkdir(x)", sd.Mkdir("x", 0o755))
		if !exists(tr.path("sub/x")) {
			t.Error("Mkdir in the sub-Dir did not create sub/x")
		}
		// The sub-Dir is its own boundary: its ".." is refused even though
		// it is inside the parent Dir.
		_, err = sd.Statx("../f")
		wantPathErr(t, err, "statx", "../f", extfs.ErrEscapes)
		_, err = sd.Statx("hop2") // -> ../../outdir
		wantPathErr(t, err, "statx", "hop2", extfs.ErrEscapes)

		_, err = tr.d.OpenDir("f")
		wantPathErr(t, err, "open", "f", syscall.ENOTDIR)
		_, err = tr.d.OpenDir("lf")
		wantPathErr(t, err, "open", "lf", syscall.ENOTDIR)
		_, err = tr.d.OpenDir("missing")
		wantPathErr(t, err, "open", "missing", fs.ErrNotExist)

		// The top-level OpenDir.
		_, err = extfs.OpenDir(tr.path("f"))
		wantPathErr(t, err, "open", tr.path("f"), syscall.ENOTDIR)
		_, err = extfs.OpenDir(tr.path("missing"))
		wantPathErr(t, err, "open", tr.path("missing"), fs.ErrNotExist)
		d2, err := extfs.OpenDir(tr.path("lsub")) // a link, followed like os.Open does
		noErr(t, "OpenDir(root/lsub)", err)
		if st, err := d2.Statx("g"); err != nil || st.Size != 1 {
			t.Errorf("Statx(g) in OpenDir(root/lsub): %v, %v", st, err)
		}
		noErr(t, "Close", d2.Close())
	})
}

func TestDirMkdir(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Mkdir(n, 0750)", tr.d.Mkdir("n", 0o750))
		if st := lstat(t, tr.path("n")); st.Mode != unix.S_IFDIR|(0o750&^umask) {
			t.Errorf("Mkdir(n, 0750) made mode %#o", st.Mode)
		}
		noErr(t, "Mkdir(n/m/)", tr.d.Mkdir("n/m/", 0o755))
		noErr(t, "Mkdir(lsub/m)", tr.d.Mkdir("lsub/m", 0o755))
		if st := lstat(t, tr.path("sub/m")); st.Mode&unix.S_IFMT != unix.S_IFDIR {
			t.Errorf("Mkdir(lsub/m): sub/m has mode %#o", st.Mode)
		}
		noErr(t, "Mkdir(sticky)", tr.d.Mkdir("s", fs.ModeSticky|0o777))
		if st := lstat(t, tr.path("s")); st.Mode&unix.S_ISVTX == 0 {
			t.Errorf("Mkdir with ModeSticky made mode %#o", st.Mode)
		}
		wantPathErr(t, tr.d.Mkdir("n", 0o755), "mkdir", "n", fs.ErrExist)
		wantPathErr(t, tr.d.Mkdir(".", 0o755), "mkdir", ".", fs.ErrExist)
		wantPathErr(t, tr.d.Mkdir("a/..", 0o755), "mkdir", "a/..", fs.ErrExist)
		wantPathErr(t, tr.d.Mkdir("lf", 0o755), "mkdir", "lf", fs.ErrExist)
		wantPathErr(t, tr.d.Mkdir("missing/x", 0o755), "mkdir", "missing/x", fs.ErrNotExist)
		wantPathErr(t, tr.d.Mkdir("f/x", 0o755), "mkdir", "f/x", syscall.ENOTDIR)
		wantPathErr(t, tr.d.Mkdir("bad", fs.ModeDir|0o755), "mkdir", "bad", fs.ErrInvalid)
		if exists(tr.path("bad")) {
			t.Error("Mkdir with a bad mode created the directory")
		}
	})
}

func TestDirRemove(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Remove(f)", tr.d.Remove("f"))
		noErr(t, "Remove(a)", tr.d.Remove("a"))
		noErr(t, "Remove(lsub)", tr.d.Remove("lsub")) // the link, not sub
		for _, name := range []string{"f", "a", "lsub"} {
			if exists(tr.path(name)) {
				t.Errorf("%s still exists", name)
			}
		}
		if !exists(tr.path("sub/g")) {
			t.Error("Remove(lsub) removed the link's target")
		}
		wantPathErr(t, tr.d.Remove("sub"), "unlinkat", "sub", syscall.ENOTEMPTY)
		wantPathErr(t, tr.d.Remove("f"), "unlinkat", "f", fs.ErrNotExist)
		wantPathErr(t, tr.d.Remove("sub/g/"), "unlinkat", "sub/g/", syscall.ENOTDIR)
		noErr(t, "Mkdir", os.Mkdir(tr.path("e"), 0o755))
		wantErr(t, "Remove(e/..)", tr.d.Remove("e/.."), syscall.ENOTEMPTY)
		wantErr(t, "Remove(.)", tr.d.Remove("."), syscall.EINVAL)
		noErr(t, "Remove(e/)", tr.d.Remove("e/"))
		if exists(tr.path("e")) {
			t.Error("Remove(e/) left e")
		}
		if !exists(tr.root) {
			t.Error("the Dir itself was removed")
		}
	})
}

func TestDirRename(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		ino := lstat(t, tr.path("f")).Ino
		noErr(t, "Rename(f, a/f2)", tr.d.Rename("f", nil, "a/f2"))
		if exists(tr.path("f")) || lstat(t, tr.path("a/f2")).Ino != ino {
			t.Error("Rename(f, a/f2) did not move f")
		}
		noErr(t, "Rename(a/f2, sub/g)", tr.d.Rename("a/f2", tr.d, "sub/g")) // replaces
		if got := readAll(t, tr.path("sub/g")); string(got) != "hello" {
			t.Errorf("after replacing, sub/g holds %q", got)
		}
		// A link is renamed itself.
		noErr(t, "Rename(lsub, lsub2)", tr.d.Rename("lsub", nil, "lsub2"))
		if target, err := os.Readlink(tr.path("lsub2")); err != nil || target != "sub" {
			t.Errorf("readlink(lsub2) = %q, %v", target, err)
		}
		// Across two Dirs on one filesystem.
		noErr(t, "Rename to other", tr.d.Rename("sub/g", tr.other, "moved"))
		if got := readAll(t, join(tr.base, "other/moved")); string(got) != "hello" {
			t.Errorf("other/moved holds %q", got)
		}
		noErr(t, "Rename from other", tr.other.Rename("moved", tr.d, "back"))
		if got := readAll(t, tr.path("back")); string(got) != "hello" {
			t.Errorf("back holds %q", got)
		}
		err := tr.d.Rename("missing", nil, "x")
		wantDirLinkErr(t, err, "rename", "missing", "x", fs.ErrNotExist)
		err = tr.d.Rename("back", nil, "back/")
		wantDirLinkErr(t, err, "rename", "back", "back/", syscall.ENOTDIR)
		err = tr.d.Rename("back", tr.other, "../root/x")
		wantDirLinkErr(t, err, "rename", "back", "../root/x", extfs.ErrEscapes)
		if !exists(tr.path("back")) {
			t.Error("a refused Rename moved the file")
		}
	})
}

// TestDirRenameAcrossFilesystems: EXDEV from rename(2) is the errno, not
// ErrEscapes, which only an escaping name gives.
func TestDirRenameAcrossFilesystems(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		a := testfs.Get(t, testfs.Tmpfs).TempDir(t)
		b := testfs.Get(t, testfs.Ext4).TempDir(t)
		if lstat(t, a).Dev == lstat(t, b).Dev {
			t.Skip("tmpfs and ext4 directories on one device?")
		}
		noErr(t, "write", os.WriteFile(join(a, "f"), []byte("x"), 0o644))
		da, db := openDir(t, a), openDir(t, b)
		err := da.Rename("f", db, "f")
		wantDirLinkErr(t, err, "rename", "f", "f", syscall.EXDEV)
		if errors.Is(err, extfs.ErrEscapes) {
			t.Errorf("EXDEV from rename reported as ErrEscapes: %v", err)
		}
		err = da.Link("f", db, "f")
		wantDirLinkErr(t, err, "link", "f", "f", syscall.EXDEV)
	})
}

func TestDirLink(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Link(f, a/f2)", tr.d.Link("f", nil, "a/f2"))
		st, st2 := lstat(t, tr.path("f")), lstat(t, tr.path("a/f2"))
		if st.Ino != st2.Ino || st.Nlink != 2 {
			t.Errorf("after Link: inodes %d, %d, nlink %d", st.Ino, st2.Ino, st.Nlink)
		}
		// A link is linked itself, not its target.
		noErr(t, "Link(lf, lf2)", tr.d.Link("lf", nil, "lf2"))
		if st := lstat(t, tr.path("lf2")); st.Mode&unix.S_IFMT != unix.S_IFLNK || st.Ino != lstat(t, tr.path("lf")).Ino {
			t.Errorf("Link(lf, lf2) made mode %#o", st.Mode)
		}
		// Across Dirs.
		noErr(t, "Link to other", tr.d.Link("sub/g", tr.other, "g"))
		if st := lstat(t, join(tr.base, "other/g")); st.Ino != lstat(t, tr.path("sub/g")).Ino || st.Nlink != 2 {
			t.Errorf("Link to other: nlink %d", st.Nlink)
		}
		wantDirLinkErr(t, tr.d.Link("f", nil, "lf"), "link", "f", "lf", fs.ErrExist)
		wantDirLinkErr(t, tr.d.Link("sub", nil, "sub2"), "link", "sub", "sub2", syscall.EPERM)
		wantDirLinkErr(t, tr.d.Link("sub/", nil, "sub2"), "link", "sub/", "sub2", syscall.EPERM)
		wantDirLinkErr(t, tr.d.Link("f/", nil, "f3"), "link", "f/", "f3", syscall.ENOTDIR)
		wantDirLinkErr(t, tr.d.Link("missing", nil, "x"), "link", "missing", "x", fs.ErrNotExist)
	})
}

func TestDirSymlink(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		// The target is data: stored as given, even one that leads outside.
		for name, target := range map[string]string{
			"s1":       "f",
			"sub/s2":   "../../../etc/passwd",
			"lsub/s3":  "/etc/shadow",
			"a/s4":     "does/not/exist",
			"a/s5/":    "f", // a trailing slash: must be a directory
			"spaces 6": " x\ny ",
		} {
			err := tr.d.Symlink(target, name)
			if strings.HasSuffix(name, "/") {
				wantDirLinkErr(t, err, "symlink", target, name, fs.ErrNotExist)
				continue
			}
			noErr(t, "Symlink", err)
			path := tr.path(strings.Replace(name, "lsub/", "sub/", 1))
			if got, err := os.Readlink(path); err != nil || got != target {
				t.Errorf("readlink(%s) = %q, %v; want %q", name, got, err, target)
			}
			if got, err := tr.d.Readlink(name); err != nil || got != target {
				t.Errorf("Readlink(%s) = %q, %v; want %q", name, got, err, target)
			}
		}
		// Following the stored escape is refused.
		_, err := tr.d.Statx("sub/s2")
		wantPathErr(t, err, "statx", "sub/s2", extfs.ErrEscapes)
		wantDirLinkErr(t, tr.d.Symlink("x", "f"), "symlink", "x", "f", fs.ErrExist)
		wantDirLinkErr(t, tr.d.Symlink("", "e"), "symlink", "", "e", fs.ErrInvalid)
		wantDirLinkErr(t, tr.d.Symlink("a\x00b", "e"), "symlink", "a\x00b", "e", fs.ErrInvalid)
		if exists(tr.path("e")) {
			t.Error("a refused Symlink created e")
		}
	})
}

func TestDirReadlink(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		for name, want := range map[string]string{
			"lf":        "f",
			"lsub/hop2": "../../outdir", // through a link to a directory
			"up":        "..",
			"abs":       join(tr.base, "outdir"),
		} {
			if got, err := tr.d.Readlink(name); err != nil || got != want {
				t.Errorf("Readlink(%q) = %q, %v; want %q", name, got, err, want)
			}
		}
		_, err := tr.d.Readlink("f")
		wantPathErr(t, err, "readlink", "f", syscall.EINVAL)
		_, err = tr.d.Readlink("lsub/")
		wantPathErr(t, err, "readlink", "lsub/", syscall.EINVAL)
		_, err = tr.d.Readlink("missing")
		wantPathErr(t, err, "readlink", "missing", fs.ErrNotExist)
	})
}

func TestDirStatx(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "utimes", unix.UtimesNano(tr.path("f"), []unix.Timespec{
			unix.NsecToTimespec(tA.UnixNano()), unix.NsecToTimespec(tM.UnixNano()),
		}))
		want := lstat(t, tr.path("f"))
		for _, name := range []string{"f", "lf"} {
			st, err := tr.d.Statx(name)
			noErr(t, "Statx("+name+")", err)
			if st.Ino != want.Ino || st.Size != want.Size || st.Nlink != uint64(want.Nlink) ||
				uint32(st.Mode.Perm()) != want.Mode&0o777 || !st.Mode.IsRegular() ||
				!st.Mtime.Equal(tM) || !st.Atime.Equal(tA) || st.Dev != want.Dev {
				t.Errorf("Statx(%s) = %+v, want %+v", name, st, want)
			}
		}
		st, err := tr.d.Lstatx("lf")
		noErr(t, "Lstatx(lf)", err)
		if st.Mode.Type() != fs.ModeSymlink || st.Ino != lstat(t, tr.path("lf")).Ino || st.Size != 1 {
			t.Errorf("Lstatx(lf) = mode %v ino %d size %d", st.Mode, st.Ino, st.Size)
		}
		// A trailing slash follows the link, as in the kernel.
		st, err = tr.d.Lstatx("lsub/")
		noErr(t, "Lstatx(lsub/)", err)
		if !st.Mode.IsDir() || st.Ino != lstat(t, tr.path("sub")).Ino {
			t.Errorf("Lstatx(lsub/) = mode %v ino %d, want sub", st.Mode, st.Ino)
		}
		for _, name := range []string{".", "sub/..", "a/../"} {
			st, err = tr.d.Lstatx(name)
			if err != nil || st.Ino != lstat(t, tr.root).Ino {
				t.Errorf("Lstatx(%q) = %v, %v; want the Dir itself", name, st, err)
			}
		}
		_, err = tr.d.Lstatx("f/")
		wantPathErr(t, err, "statx", "f/", syscall.ENOTDIR)
	})
}

func TestDirChmod(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		for name, c := range map[string]struct {
			mode fs.FileMode
			want uint32
		}{
			"f":    {0o600, 0o600},
			"lf":   {0o640, 0o640}, // follows: changes f
			"sub/": {fs.ModeSticky | fs.ModeSetgid | 0o750, unix.S_ISVTX | unix.S_ISGID | 0o750},
			"a":    {fs.ModeSetuid | 0o4, unix.S_ISUID | 0o4},
			"f_0":  {0, 0},
		} {
			path := strings.TrimSuffix(strings.Replace(name, "lf", "f", 1), "/")
			if name == "f_0" {
				name, path = "f", "f"
			}
			noErr(t, "Chmod("+name+")", tr.d.Chmod(name, c.mode))
			if got := lstat(t, tr.path(path)).Mode & 0o7777; got != c.want {
				t.Errorf("Chmod(%s, %v): mode %#o, want %#o", name, c.mode, got, c.want)
			}
		}
		if st := lstat(t, tr.path("lf")); st.Mode&0o777 != 0o777 {
			t.Errorf("Chmod(lf) changed the link's own mode to %#o", st.Mode)
		}
		// A FIFO: chmod must not open it (that would block).
		noErr(t, "mkfifo", unix.Mkfifo(tr.path("p"), 0o644))
		noErr(t, "Chmod(fifo)", tr.d.Chmod("p", 0o600))
		if got := lstat(t, tr.path("p")).Mode & 0o777; got != 0o600 {
			t.Errorf("Chmod(p): mode %#o", got)
		}
		for _, mode := range []fs.FileMode{fs.ModeDir | 0o644, fs.ModeSymlink, fs.ModeAppend | 0o600, 1 << 12} {
			wantPathErr(t, tr.d.Chmod("p", mode), "chmod", "p", fs.ErrInvalid)
		}
		if got := lstat(t, tr.path("p")).Mode & 0o777; got != 0o600 {
			t.Errorf("refused Chmods changed the mode to %#o", got)
		}
		wantPathErr(t, tr.d.Chmod("missing", 0o600), "chmod", "missing", fs.ErrNotExist)
	})
}

func TestDirLchown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	eachDir(t, func(t *testing.T, tr *dirTree) {
		fst := lstat(t, tr.path("f"))
		noErr(t, "Lchown(lf)", tr.d.Lchown("lf", 1234, 5678))
		if st := lstat(t, tr.path("lf")); st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("Lchown(lf): link owned by %d:%d", st.Uid, st.Gid)
		}
		if st := lstat(t, tr.path("f")); st.Uid != fst.Uid || st.Gid != fst.Gid {
			t.Errorf("Lchown(lf) changed its target to %d:%d", st.Uid, st.Gid)
		}
		noErr(t, "Lchown(f, -1, 42)", tr.d.Lchown("f", -1, 42))
		if st := lstat(t, tr.path("f")); st.Uid != fst.Uid || st.Gid != 42 {
			t.Errorf("Lchown(f, -1, 42): %d:%d", st.Uid, st.Gid)
		}
		noErr(t, "Lchown(lsub/, 7, -1)", tr.d.Lchown("lsub/", 7, -1)) // trailing slash: the directory
		if st := lstat(t, tr.path("sub")); st.Uid != 7 {
			t.Errorf("Lchown(lsub/): sub owned by %d", st.Uid)
		}
		wantPathErr(t, tr.d.Lchown("f", -2, 0), "lchown", "f", fs.ErrInvalid)
		wantPathErr(t, tr.d.Lchown("f", 0, 1<<32-1), "lchown", "f", fs.ErrInvalid)
	})
}

func TestDirSetTimes(t *testing.T) {
	ts := func(tm time.Time) unix.Timespec { return unix.NsecToTimespec(tm.UnixNano()) }
	eachDir(t, func(t *testing.T, tr *dirTree) {
		link := lstat(t, tr.path("lf"))
		noErr(t, "SetTimes(lf)", tr.d.SetTimes("lf", tA, tM))
		if st := lstat(t, tr.path("f")); st.Atim != ts(tA) || st.Mtim != ts(tM) {
			t.Errorf("SetTimes(lf): f has atime %v mtime %v", st.Atim, st.Mtim)
		}
		if st := lstat(t, tr.path("lf")); st.Mtim != link.Mtim {
			t.Errorf("SetTimes(lf) changed the link itself")
		}
		t2 := tM.Add(time.Hour + 1)
		link = lstat(t, tr.path("lf")) // following the link may have moved its atime
		noErr(t, "LSetTimes(lf)", tr.d.LSetTimes("lf", time.Time{}, t2))
		if st := lstat(t, tr.path("lf")); st.Mtim != ts(t2) || st.Atim != link.Atim {
			t.Errorf("LSetTimes(lf, zero, t2): link atime %v mtime %v", st.Atim, st.Mtim)
		}
		if st := lstat(t, tr.path("f")); st.Mtim != ts(tM) {
			t.Errorf("LSetTimes(lf) changed the target")
		}
		noErr(t, "SetTimes(sub/.., zero, t2)", tr.d.SetTimes("sub/..", time.Time{}, t2))
		noErr(t, "LSetTimes(lsub/)", tr.d.LSetTimes("lsub/", tA, tM)) // the directory
		if st := lstat(t, tr.path("sub")); st.Mtim != ts(tM) || st.Atim != ts(tA) {
			t.Errorf("LSetTimes(lsub/): sub has %v %v", st.Atim, st.Mtim)
		}
		old := time.Unix(-1_000_000_000, 5) // before 1970
		noErr(t, "SetTimes(f, old)", tr.d.SetTimes("f", old, old))
		if st := lstat(t, tr.path("f")); st.Mtim != ts(old) {
			t.Errorf("SetTimes(f, 1938): mtime %v, want %v", st.Mtim, ts(old))
		}
		wantPathErr(t, tr.d.SetTimes("missing", tA, tM), "utimensat", "missing", fs.ErrNotExist)
	})
}

func TestDirMknod(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Mkfifo", tr.d.Mkfifo("sub/p", 0o640))
		if st := lstat(t, tr.path("sub/p")); st.Mode != unix.S_IFIFO|(0o640&^umask) {
			t.Errorf("Mkfifo made mode %#o", st.Mode)
		}
		noErr(t, "Mknod(regular)", tr.d.Mknod("lsub/r", 0o600, 0))
		if st := lstat(t, tr.path("sub/r")); st.Mode != unix.S_IFREG|(0o600&^umask) || st.Size != 0 {
			t.Errorf("Mknod(regular) made mode %#o size %d", st.Mode, st.Size)
		}
		noErr(t, "Mknod(fifo)", tr.d.Mknod("p2", fs.ModeNamedPipe|0o600, 0))
		if st := lstat(t, tr.path("p2")); st.Mode&unix.S_IFMT != unix.S_IFIFO {
			t.Errorf("Mknod(fifo) made mode %#o", st.Mode)
		}
		if os.Geteuid() == 0 {
			null := unix.Mkdev(1, 3)
			noErr(t, "Mknod(char)", tr.d.Mknod("null", fs.ModeDevice|fs.ModeCharDevice|0o666, null))
			if st := lstat(t, tr.path("null")); st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != null {
				t.Errorf("Mknod(char 1:3) made mode %#o rdev %d:%d", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
			}
			loop := unix.Mkdev(7, 200)
			noErr(t, "Mknod(block)", tr.d.Mknod("blk", fs.ModeDevice|0o600, loop))
			if st := lstat(t, tr.path("blk")); st.Mode&unix.S_IFMT != unix.S_IFBLK || st.Rdev != loop {
				t.Errorf("Mknod(block 7:200) made mode %#o rdev %d:%d", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
			}
			if st, err := tr.d.Lstatx("null"); err != nil || st.Rdev != null || st.Mode.Type() != fs.ModeDevice|fs.ModeCharDevice {
				t.Errorf("Lstatx(null) = %+v, %v", st, err)
			}
		}
		wantPathErr(t, tr.d.Mkfifo("sub/p", 0o640), "mknod", "sub/p", fs.ErrExist)
		for _, c := range []struct {
			mode fs.FileMode
			dev  uint64
		}{
			{fs.ModeDir | 0o755, 0},
			{fs.ModeSymlink | 0o777, 0},
			{fs.ModeSocket | 0o777, 0},
			{fs.ModeCharDevice | 0o600, 1}, // without ModeDevice
			{fs.ModeNamedPipe | 0o600, 1},  // a device number for a FIFO
			{0o600, 1},
			{fs.ModeDevice | fs.ModeAppend | 0o600, 1},
			{fs.ModeDevice | 0o600, 1 << 32}, // beyond Linux's 32-bit dev_t
		} {
			wantPathErr(t, tr.d.Mknod("bad", c.mode, c.dev), "mknod", "bad", fs.ErrInvalid)
		}
		wantPathErr(t, tr.d.Mkfifo("bad", fs.ModeDir|0o600), "mknod", "bad", fs.ErrInvalid)
		if exists(tr.path("bad")) {
			t.Error("a refused Mknod created bad")
		}
	})
}

// TestDirBadInput: bad names, a nil Dir and a closed Dir are refused by
// every method, before any system call, without a panic.
func TestDirBadInput(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
			tr := newDirTree(t, fsys.TempDir(t))
			before := ringCompletions(t)
			for _, o := range dirOps {
				for _, name := range []string{"", "a\x00b", "sub/\x00"} {
					var err error
					mustPanicFree(t, o.method, func() { err = o.run(tr, name) })
					o.check(t, err, name, fs.ErrInvalid)
				}
			}
			if d := ringCompletions(t) - before; d != 0 {
				t.Errorf("refused calls reached the ring (%d completions): validation must come first", d)
			}

			var nilDir *extfs.Dir
			zero := &extfs.Dir{}
			closed := openDir(t, tr.root)
			noErr(t, "Close", closed.Close())
			for _, c := range []struct {
				what string
				d    *extfs.Dir
				want error
			}{{"nil Dir", nilDir, fs.ErrInvalid}, {"zero Dir", zero, fs.ErrInvalid}, {"closed Dir", closed, fs.ErrClosed}} {
				bad := &dirTree{d: c.d, other: tr.other}
				for _, o := range dirOps {
					var err error
					mustPanicFree(t, c.what+" "+o.method, func() { err = o.run(bad, "f") })
					if !errors.Is(err, c.want) {
						t.Errorf("%s %s: %v, want %v", c.what, o.method, err, c.want)
					}
				}
				var err error
				mustPanicFree(t, c.what+" Close", func() { err = c.d.Close() })
				wantErr(t, c.what+" Close", err, c.want)
				if c.d != closed && c.d.Name() != "" {
					t.Errorf("%s: Name() = %q", c.what, c.d.Name())
				}
			}
			if closed.Name() != tr.root {
				t.Errorf("closed Dir: Name() = %q, want %q", closed.Name(), tr.root)
			}
			// A closed newdir.
			err := tr.d.Rename("f", closed, "x")
			wantDirLinkErr(t, err, "rename", "f", "x", fs.ErrClosed)
			err = tr.d.Link("f", closed, "x")
			wantDirLinkErr(t, err, "link", "f", "x", fs.ErrClosed)

			_, err = extfs.OpenDir("")
			wantPathErr(t, err, "open", "", fs.ErrInvalid)
			_, err = extfs.OpenDir("a\x00b")
			wantPathErr(t, err, "open", "a\x00b", fs.ErrInvalid)
			tr.checkOutside(t)
		})
	})
}

// TestDirConcurrentClose: Close while other goroutines use the Dir: each
// operation either completes or reports fs.ErrClosed; none uses a
// descriptor number that Close released (the race detector and the fd leak
// check in TestMain watch).
func TestDirConcurrentClose(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
			tr := newDirTree(t, fsys.TempDir(t))
			d, err := extfs.OpenDir(tr.root)
			noErr(t, "OpenDir", err)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; ; j++ {
						var err error
						if j%2 == 0 {
							_, err = d.Statx("lsub/g")
						} else {
							name := fmt.Sprintf("a/d%d-%d", i, j)
							if err = d.Mkdir(name, 0o755); err == nil {
								err = d.Remove(name)
							}
						}
						if errors.Is(err, fs.ErrClosed) {
							return
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			time.Sleep(20 * time.Millisecond)
			noErr(t, "Close", d.Close())
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("during Close: %v", err)
			}
			_, err = d.Statx("f")
			wantPathErr(t, err, "statx", "f", fs.ErrClosed)
			wantErr(t, "second Close", d.Close(), fs.ErrClosed)
		})
	})
}

// ExampleDir serves files named by untrusted input from one directory tree:
// names that lead outside — "../../etc/passwd", "/etc/passwd", or a symbolic
// link someone planted in the tree — are refused with ErrEscapes.
func ExampleDir() {
	uploads, err := extfs.OpenDir("/srv/uploads")
	if err != nil {
		log.Fatal(err)
	}
	defer uploads.Close()

	name := "alice/avatar.png" // from a request
	f, err := uploads.OpenFile(name, os.O_RDONLY, 0)
	switch {
	case errors.Is(err, extfs.ErrEscapes):
		log.Printf("refused %q: %v", name, err)
		return
	case err != nil:
		log.Fatal(err)
	}
	defer f.Close()
	io.Copy(os.Stdout, f.OSFile())
}
