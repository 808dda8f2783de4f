package extfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs"
)

// The behaviour of Dir, on every system: the same tests run on Linux (under
// both engines, through both resolvers and on every filesystem: subtests
// engine/resolver/fs, e.g. "ring/walk/xfs"), on Windows and under Wine, and
// on macOS. What differs between systems is stated in dirWant (dir_<os>_test.go)
// and in the tables below, not in copies of the tests. Outcomes are checked
// with package os, never through extfs. Where the system cannot make
// symbolic links (Wine), the cases that need one are left out.

// dirExpect is what differs between systems.
type dirExpect struct {
	maxLinks int   // symbolic links one lookup follows (MAXSYMLINKS)
	perms    bool  // permission bits are kept (Windows keeps the owner's write bit only)
	nodes    bool  // FIFOs exist (Mkfifo, Mknod(ModeNamedPipe))
	belowF   error // a name beneath a file ("f/x")
	writeDir error // opening a directory for writing
	// removeDots is what Remove("e/..") says: the Dir it names is not
	// empty (Linux, macOS), or the name is no entry (Windows).
	removeDots error
	notLink    error           // Readlink of a file that is no symbolic link
	noOps      map[string]bool // dirOps methods that answer ErrNotSupported to a relative name
}

// dirTree is the tree every Dir test starts from:
//
//	base/               a directory on the filesystem under test
//	  outside           sentinel file: no Dir operation may touch it
//	  outdir/           sentinel directory: must stay empty
//	  other/            a second Dir, for Rename and Link across Dirs
//	  root/             the Dir under test
//	    f               "hello"
//	    a/              empty
//	    sub/g           "g"
//
// and, where the system makes symbolic links (links is set):
//
//	sub/hop2    ->  ../../outdir       escapes
//	lf          ->  f
//	lsub        ->  sub
//	up          ->  ..                 escapes
//	slash       ->  /                  escapes (only read through in tests)
//	abs         ->  <base>/outdir      absolute: escapes
//	absin       ->  <base>/root/sub    absolute into the tree: refused too
//	hop1        ->  sub/hop2           escapes on its second hop
//	dangle      ->  ../outdir/new      dangling, escapes
//	loop1       ->  loop2, loop2 -> loop1
type dirTree struct {
	base, root string
	d, other   *extfs.Dir
	links      bool
	outside    outsideState
}

// eachDir runs fn on a fresh dirTree in every environment of this system
// (eachDirEnv) and checks afterwards that nothing outside root changed.
func eachDir(t *testing.T, fn func(t *testing.T, tr *dirTree)) {
	t.Helper()
	eachDirEnv(t, func(t *testing.T, base string) {
		tr := newDirTree(t, base)
		fn(t, tr)
		tr.checkOutside(t)
	})
}

// canSymlink reports whether os.Symlink makes a link in dir: not under Wine,
// whose CreateSymbolicLinkW reports success and makes nothing.
func canSymlink(dir string) bool {
	p := filepath.Join(dir, "symlink-probe")
	if os.Symlink("x", p) != nil {
		return false
	}
	defer os.Remove(p)
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().Type() == fs.ModeSymlink
}

func newDirTree(t *testing.T, base string) *dirTree {
	t.Helper()
	tr := &dirTree{base: base, root: join(base, "root"), links: canSymlink(base)}
	for _, dir := range []string{"outdir", "other", "root", "root/a", "root/sub"} {
		noErr(t, "mkdir", os.Mkdir(join(base, dir), 0o755))
	}
	for name, data := range map[string]string{"outside": "secret", "root/f": "hello", "root/sub/g": "g"} {
		noErr(t, "write", os.WriteFile(join(base, name), []byte(data), 0o644))
	}
	if tr.links {
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
	}
	tr.outside = snapshotOutside(t, base)
	tr.d = openDir(t, tr.root)
	tr.other = openDir(t, join(base, "other"))
	return tr
}

// needLinks skips what follows on a system that makes no symbolic links.
func (tr *dirTree) needLinks(t *testing.T) {
	t.Helper()
	if !tr.links {
		t.Skip("no symbolic links here (Wine): the rest of this test needs them")
	}
}

func openDir(t *testing.T, path string) *extfs.Dir {
	t.Helper()
	d, err := extfs.OpenDir(path)
	if err != nil {
		t.Fatalf("OpenDir(%s): %v", path, err)
	}
	t.Cleanup(func() { d.Close() }) // before the directory's removal: Windows keeps an open one
	return d
}

// path is the absolute path of name beneath root.
func (tr *dirTree) path(name string) string { return join(tr.root, name) }

// outsideState is what must not change outside root: the sentinel file
// (content and metadata, dirStatKey), and the entries and metadata of base
// and outdir.
type outsideState struct {
	data                []byte
	outside, base, outd any
	baseNames, outdirs  []string
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
		outside:   dirStatKey(t, join(base, "outside")),
		base:      dirStatKey(t, base),
		outd:      dirStatKey(t, join(base, "outdir")),
		baseNames: names(base),
		outdirs:   names(join(base, "outdir")),
	}
}

func (tr *dirTree) checkOutside(t *testing.T) {
	t.Helper()
	now, was := snapshotOutside(t, tr.base), tr.outside
	switch {
	case !bytes.Equal(now.data, was.data):
		t.Errorf("the sentinel file outside the Dir now holds %q", now.data)
	case now.outside != was.outside:
		t.Errorf("the sentinel file outside the Dir changed:\n was %+v\n now %+v", was.outside, now.outside)
	case now.base != was.base || now.outd != was.outd:
		t.Errorf("a directory outside the Dir changed (base %v, outdir %v)", now.base != was.base, now.outd != was.outd)
	case !slices.Equal(now.baseNames, was.baseNames) || !slices.Equal(now.outdirs, was.outdirs):
		t.Errorf("entries outside the Dir changed: base %q -> %q, outdir %q -> %q",
			was.baseNames, now.baseNames, was.outdirs, now.outdirs)
	}
}

// infoKey is what os.Lstat says of path that a change would move: the
// dirStatKey of systems without a finer one.
func infoKey(t testing.TB, path string) any {
	fi := lfi(t, path)
	type key struct {
		mode  fs.FileMode
		size  int64
		mtime time.Time
	}
	return key{fi.Mode(), fi.Size(), fi.ModTime()}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// lfi is os.Lstat of path.
func lfi(t testing.TB, path string) fs.FileInfo {
	t.Helper()
	fi, err := os.Lstat(path)
	noErr(t, "lstat", err)
	return fi
}

// sameAs reports whether st, from Statx or Lstatx, describes the file at
// path (not following a link there).
func sameAs(t testing.TB, st *extfs.Stat, path string) bool {
	t.Helper()
	want, err := extfs.Lstatx(path)
	noErr(t, "Lstatx", err)
	return st != nil && st.Ino == want.Ino && st.Dev == want.Dev
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
	tA = time.Unix(1_000_000_000, 123_456_700) // in 100 ns units, as Windows keeps times
	tM = time.Unix(1_100_000_000, 987_654_300)
)

// dirOps calls every Dir method that takes a name.
var dirOps = []dirOp{
	{method: "OpenFile(O_RDONLY)", op: "open", run: func(tr *dirTree, name string) error {
		return openClose(tr.d, name, os.O_RDONLY)
	}},
	{method: "OpenFile(O_CREATE)", op: "open", mutates: true, run: func(tr *dirTree, name string) error {
		return openClose(tr.d, name, os.O_RDWR|os.O_CREATE)
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

func openClose(d *extfs.Dir, name string, flag int) error {
	f, err := d.OpenFile(name, flag, 0o644)
	if err == nil {
		f.Close()
	}
	return err
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
			"../root/f",              // out and back in: refused too, as by openat2's RESOLVE_BENEATH
			join(tr.base, "outside"), // absolute names
			join(tr.root, "f"),
		}
		names = append(names, dirAbsNames...)
		var followNames, slashNames, readNames []string
		if tr.links {
			names = append(names,
				"up/outside", // up -> ..
				"up/outdir/x",
				"abs/x",       // abs -> <base>/outdir
				"absin/g",     // absolute, even into the tree
				"hop1/x",      // hop1 -> sub/hop2 -> ../../outdir
				"lsub/hop2/x", // through lsub -> sub
				"lsub/../../outside",
			)
			// Leading outside only through a last-component link: refused
			// by the methods that follow it.
			followNames = []string{"up", "abs", "absin", "hop1", "dangle", "lsub/hop2"}
			// A trailing slash makes the kernel follow the last component,
			// so the lookup methods resolve those names beneath too.
			slashNames = []string{"up/", "abs/", "hop1/", "absin/", "lsub/hop2/"}
			// Through "/": only for the methods that change nothing, so that
			// a bug cannot damage the machine.
			readNames = []string{"slash/etc/passwd", "slash/"}
		}

		for _, o := range dirOps {
			try := func(name string) {
				t.Helper()
				err := o.run(tr, name)
				if err == nil {
					t.Errorf("%s(%q) succeeded, want ErrEscapes", o.method, name)
					return
				}
				if dirWant.noOps[o.method] && errors.Is(err, extfs.ErrNotSupported) {
					o.check(t, err, name, extfs.ErrNotSupported) // refused too, before the walk
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
				if o.method != "OpenFile(O_CREATE)" && tr.links { // "name/" with O_CREAT is EISDIR first
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
	eachDir(t, func(t *testing.T, tr *dirTree) {
		_, err := tr.d.Statx("a/../../outside")
		if want := "statx a/../../outside: path escapes the directory"; err == nil || err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	})
}

// TestDirLinksToOutsideThemselves: the methods that act on a directory
// entry work on an escaping symbolic link itself, without following it.
func TestDirLinksToOutsideThemselves(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		tr.needLinks(t)
		st, err := tr.d.Lstatx("up")
		noErr(t, "Lstatx(up)", err)
		if st.Mode.Type() != fs.ModeSymlink || !sameAs(t, st, tr.path("up")) {
			t.Errorf("Lstatx(up): mode %v ino %d, want the link itself", st.Mode, st.Ino)
		}
		if got, err := tr.d.Readlink("abs"); err != nil || got != join(tr.base, "outdir") {
			t.Errorf("Readlink(abs) = %q, %v", got, err)
		}
		noErr(t, "LSetTimes(abs)", tr.d.LSetTimes("abs", tA, tM))
		if mt := lfi(t, tr.path("abs")).ModTime(); !mt.Equal(tM) {
			t.Errorf("LSetTimes(abs): the link's mtime is %v", mt)
		}
		noErr(t, "Link(up)", tr.d.Link("up", nil, "up-link"))
		if fi := lfi(t, tr.path("up-link")); fi.Mode().Type() != fs.ModeSymlink || !os.SameFile(fi, lfi(t, tr.path("up"))) {
			t.Errorf("Link(up): the new name has mode %v, want the link itself", fi.Mode())
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

// TestDirInTree: "..", "." and symbolic links that stay beneath work.
func TestDirInTree(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		cases := map[string]string{ // name -> what it names
			"f":           "f",
			"./f":         "f",
			"a/../f":      "f",
			"sub/../f":    "f",
			"sub//g":      "sub/g",
			"sub/./g":     "sub/g",
			".":           ".",
			"sub/..":      ".",
			"a/../sub/g":  "sub/g",
			"sub/../sub/": "sub",
		}
		if tr.links {
			for name, is := range map[string]string{
				"lf":         "f",     // lf -> f
				"lsub/g":     "sub/g", // lsub -> sub
				"lsub/../f":  "f",     // ".." after a link: the link target's parent
				"lsub/../lf": "f",
				"lsub/":      "sub",
			} {
				cases[name] = is
			}
		}
		for name, is := range cases {
			st, err := tr.d.Statx(name)
			if err != nil {
				t.Errorf("Statx(%q): %v", name, err)
				continue
			}
			if !sameAs(t, st, tr.path(is)) {
				t.Errorf("Statx(%q) found inode %d, want %s", name, st.Ino, is)
			}
		}
		noErr(t, "Mkdir(sub/../a/new)", tr.d.Mkdir("sub/../a/new", 0o755))
		if !exists(tr.path("a/new")) {
			t.Error("Mkdir(sub/../a/new) did not create a/new")
		}
		// Where the name is wrong inside the tree, the error says so.
		wantPathErr(t, openClose(tr.d, "f/", os.O_RDONLY), "open", "f/", syscall.ENOTDIR)
		wantPathErr(t, openClose(tr.d, "f/x", os.O_RDONLY), "open", "f/x", dirWant.belowF)
		wantPathErr(t, openClose(tr.d, "missing/x", os.O_RDONLY), "open", "missing/x", fs.ErrNotExist)
		_, err := tr.d.Statx("nothing")
		wantPathErr(t, err, "statx", "nothing", fs.ErrNotExist)

		if !tr.links {
			return
		}
		// A chain of links inside the tree, down and back up.
		noErr(t, "symlink", os.Symlink("../lsub/../lf", tr.path("a/chain")))
		if st, err := tr.d.Statx("a/chain"); err != nil || !sameAs(t, st, tr.path("f")) {
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
		wantPathErr(t, openClose(tr.d, "lf/x", os.O_RDONLY), "open", "lf/x", dirWant.belowF)
	})
}

// TestDirSymlinkLoops: more links than the system follows in one lookup,
// and loops, are ELOOP, as in the kernel; that many are fine.
func TestDirSymlinkLoops(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		tr.needLinks(t)
		// l0 -> l1 -> ... -> lN -> f: from l1, N links; from l0, N+1.
		n := dirWant.maxLinks
		for i := range n + 1 {
			target := fmt.Sprintf("l%d", i+1)
			if i == n {
				target = "f"
			}
			noErr(t, "symlink", os.Symlink(target, tr.path(fmt.Sprintf("l%d", i))))
		}
		if _, err := tr.d.Statx("l1"); err != nil {
			t.Errorf("Statx through %d links: %v", n, err)
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
		checkCloexec(t, f)
		_, err = f.OSFile().Write([]byte("data"))
		noErr(t, "write", err)
		noErr(t, "close", f.Close())
		if got := readAll(t, tr.path("sub/new")); string(got) != "data" {
			t.Errorf("sub/new holds %q", got)
		}
		if got, want := lfi(t, tr.path("sub/new")).Mode(), dirMode(0o640); got != want {
			t.Errorf("sub/new has mode %v, want %v", got, want)
		}
		wantPathErr(t, openClose(tr.d, "sub/new", os.O_RDWR|os.O_CREATE|os.O_EXCL), "open", "sub/new", fs.ErrExist)

		// O_TRUNC and O_APPEND.
		noErr(t, "O_TRUNC", writeThrough(tr.d, "sub/new", os.O_WRONLY|os.O_TRUNC, "ab"))
		noErr(t, "O_APPEND", writeThrough(tr.d, "sub/new", os.O_WRONLY|os.O_APPEND, "cd"))
		if got := readAll(t, tr.path("sub/new")); string(got) != "abcd" {
			t.Errorf("after O_TRUNC and O_APPEND: %q, want abcd", got)
		}

		// The directory itself, and directories.
		f, err = tr.d.OpenFile(".", os.O_RDONLY, 0)
		noErr(t, "OpenFile(.)", err)
		ents, err := f.OSFile().ReadDir(-1)
		f.Close()
		if err != nil || len(ents) == 0 {
			t.Errorf("ReadDir of OpenFile(.): %d entries, %v", len(ents), err)
		}
		wantPathErr(t, openClose(tr.d, "sub", os.O_RDWR), "open", "sub", dirWant.writeDir)
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

		if !tr.links {
			return
		}
		// A link to an in-tree file is followed.
		f, err = tr.d.OpenFile("lf", os.O_RDONLY, 0)
		noErr(t, "OpenFile(lf)", err)
		b, _ := io.ReadAll(f.OSFile())
		f.Close()
		if string(b) != "ab"+"cd" && string(b) != "hello" {
			t.Errorf("OpenFile(lf) read %q", b)
		}
		// A dangling link inside the tree: O_CREATE creates its target
		// beneath the Dir; with O_EXCL it is not followed at all.
		noErr(t, "symlink", os.Symlink("sub/target", tr.path("dl")))
		wantPathErr(t, openClose(tr.d, "dl", os.O_RDWR|os.O_CREATE|os.O_EXCL), "open", "dl", fs.ErrExist)
		if exists(tr.path("sub/target")) {
			t.Error("O_EXCL followed the dangling link")
		}
		noErr(t, "OpenFile(dl, O_CREATE)", openClose(tr.d, "dl", os.O_RDWR|os.O_CREATE))
		if !lfi(t, tr.path("sub/target")).Mode().IsRegular() {
			t.Errorf("O_CREATE through dl made no regular file")
		}
	})
}

// writeThrough writes s to name beneath d, opened with flag.
func writeThrough(d *extfs.Dir, name string, flag int, s string) error {
	f, err := d.OpenFile(name, flag, 0)
	if err != nil {
		return err
	}
	_, err = f.OSFile().WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// dirMode is the mode a Dir gives a new file with perm: perm less the
// umask, or on Windows the read-only attribute as the owner's write bit.
func dirMode(perm fs.FileMode) fs.FileMode {
	if !dirWant.perms {
		if perm&0o200 == 0 {
			return 0o444
		}
		return 0o666
	}
	return perm &^ umask
}

func TestDirOpenDir(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		names := []string{"sub", "sub/", "a/../sub", "."}
		if tr.links {
			names = append(names, "lsub")
		}
		for _, name := range names {
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
		sd, err := tr.d.OpenDir("sub")
		noErr(t, "OpenDir(sub)", err)
		defer sd.Close()
		noErr(t, "sub Dir Mkdir(x)", sd.Mkdir("x", 0o755))
		if !exists(tr.path("sub/x")) {
			t.Error("Mkdir in the sub-Dir did not create sub/x")
		}
		// The sub-Dir is its own boundary: its ".." is refused even though
		// it is inside the parent Dir.
		_, err = sd.Statx("../f")
		wantPathErr(t, err, "statx", "../f", extfs.ErrEscapes)
		if tr.links {
			_, err = sd.Statx("hop2") // -> ../../outdir
			wantPathErr(t, err, "statx", "hop2", extfs.ErrEscapes)
			_, err = tr.d.OpenDir("lf")
			wantPathErr(t, err, "open", "lf", syscall.ENOTDIR)
		}
		_, err = tr.d.OpenDir("f")
		wantPathErr(t, err, "open", "f", syscall.ENOTDIR)
		_, err = tr.d.OpenDir("missing")
		wantPathErr(t, err, "open", "missing", fs.ErrNotExist)

		// The top-level OpenDir.
		_, err = extfs.OpenDir(tr.path("f"))
		wantPathErr(t, err, "open", tr.path("f"), syscall.ENOTDIR)
		_, err = extfs.OpenDir(tr.path("missing"))
		wantPathErr(t, err, "open", tr.path("missing"), fs.ErrNotExist)
		if tr.links {
			d2, err := extfs.OpenDir(tr.path("lsub")) // a link, followed like os.Open does
			noErr(t, "OpenDir(root/lsub)", err)
			if st, err := d2.Statx("g"); err != nil || st.Size != 1 {
				t.Errorf("Statx(g) in OpenDir(root/lsub): %v, %v", st, err)
			}
			noErr(t, "Close", d2.Close())
		}
	})
}

func TestDirMkdir(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Mkdir(n, 0750)", tr.d.Mkdir("n", 0o750))
		if fi := lfi(t, tr.path("n")); !fi.IsDir() || dirWant.perms && fi.Mode().Perm() != 0o750&^umask {
			t.Errorf("Mkdir(n, 0750) made mode %v", fi.Mode())
		}
		noErr(t, "Mkdir(n/m/)", tr.d.Mkdir("n/m/", 0o755))
		if tr.links {
			noErr(t, "Mkdir(lsub/m)", tr.d.Mkdir("lsub/m", 0o755))
			if !lfi(t, tr.path("sub/m")).IsDir() {
				t.Errorf("Mkdir(lsub/m) made no sub/m")
			}
			wantPathErr(t, tr.d.Mkdir("lf", 0o755), "mkdir", "lf", fs.ErrExist)
		}
		if dirWant.perms {
			noErr(t, "Mkdir(sticky)", tr.d.Mkdir("s", fs.ModeSticky|0o777))
			if m := lfi(t, tr.path("s")).Mode(); m&fs.ModeSticky == 0 {
				t.Errorf("Mkdir with ModeSticky made mode %v", m)
			}
		}
		wantPathErr(t, tr.d.Mkdir("n", 0o755), "mkdir", "n", fs.ErrExist)
		wantPathErr(t, tr.d.Mkdir(".", 0o755), "mkdir", ".", fs.ErrExist)
		wantPathErr(t, tr.d.Mkdir("a/..", 0o755), "mkdir", "a/..", fs.ErrExist)
		wantPathErr(t, tr.d.Mkdir("missing/x", 0o755), "mkdir", "missing/x", fs.ErrNotExist)
		wantPathErr(t, tr.d.Mkdir("f/x", 0o755), "mkdir", "f/x", dirWant.belowF)
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
		for _, name := range []string{"f", "a"} {
			if exists(tr.path(name)) {
				t.Errorf("%s still exists", name)
			}
		}
		if tr.links {
			noErr(t, "Remove(lsub)", tr.d.Remove("lsub")) // the link, not sub
			if exists(tr.path("lsub")) || !exists(tr.path("sub/g")) {
				t.Error("Remove(lsub) did not remove the link only")
			}
		}
		// ENOTEMPTY (ERROR_DIR_NOT_EMPTY on Windows) matches fs.ErrExist.
		wantPathErr(t, tr.d.Remove("sub"), "unlinkat", "sub", fs.ErrExist)
		wantPathErr(t, tr.d.Remove("f"), "unlinkat", "f", fs.ErrNotExist)
		wantPathErr(t, tr.d.Remove("sub/g/"), "unlinkat", "sub/g/", syscall.ENOTDIR)
		noErr(t, "Mkdir", os.Mkdir(tr.path("e"), 0o755))
		wantErr(t, "Remove(e/..)", tr.d.Remove("e/.."), dirWant.removeDots)
		wantErr(t, "Remove(.)", tr.d.Remove("."), syscall.EINVAL)
		noErr(t, "Remove(e/)", tr.d.Remove("e/"))
		if exists(tr.path("e")) {
			t.Error("Remove(e/) left e")
		}
		// A read-only file goes like any other, as with unlink(2).
		noErr(t, "write", os.WriteFile(tr.path("ro"), nil, 0o444))
		noErr(t, "Remove(ro)", tr.d.Remove("ro"))
		if !exists(tr.root) {
			t.Error("the Dir itself was removed")
		}
	})
}

func TestDirRename(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		st, err := tr.d.Lstatx("f")
		noErr(t, "Lstatx(f)", err)
		noErr(t, "Rename(f, a/f2)", tr.d.Rename("f", nil, "a/f2"))
		if exists(tr.path("f")) || !sameAs(t, st, tr.path("a/f2")) {
			t.Error("Rename(f, a/f2) did not move f")
		}
		noErr(t, "Rename(a/f2, sub/g)", tr.d.Rename("a/f2", tr.d, "sub/g")) // replaces
		if got := readAll(t, tr.path("sub/g")); string(got) != "hello" {
			t.Errorf("after replacing, sub/g holds %q", got)
		}
		if tr.links {
			// A link is renamed itself.
			noErr(t, "Rename(lsub, lsub2)", tr.d.Rename("lsub", nil, "lsub2"))
			if target, err := os.Readlink(tr.path("lsub2")); err != nil || target != "sub" {
				t.Errorf("readlink(lsub2) = %q, %v", target, err)
			}
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
		err = tr.d.Rename("missing", nil, "x")
		wantDirLinkErr(t, err, "rename", "missing", "x", fs.ErrNotExist)
		err = tr.d.Rename("back", tr.other, "../root/x")
		wantDirLinkErr(t, err, "rename", "back", "../root/x", extfs.ErrEscapes)
		if !exists(tr.path("back")) {
			t.Error("a refused Rename moved the file")
		}
	})
}

func TestDirLink(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Link(f, a/f2)", tr.d.Link("f", nil, "a/f2"))
		if !os.SameFile(lfi(t, tr.path("f")), lfi(t, tr.path("a/f2"))) {
			t.Errorf("after Link: a/f2 is not f")
		}
		if st, err := tr.d.Statx("f"); err != nil || st.Nlink != 2 {
			t.Errorf("after Link: %v, %v; want nlink 2", st, err)
		}
		// Across Dirs.
		noErr(t, "Link to other", tr.d.Link("sub/g", tr.other, "g"))
		if !os.SameFile(lfi(t, join(tr.base, "other/g")), lfi(t, tr.path("sub/g"))) {
			t.Errorf("Link to other: not the same file")
		}
		wantDirLinkErr(t, tr.d.Link("f", nil, "a/f2"), "link", "f", "a/f2", fs.ErrExist)
		wantDirLinkErr(t, tr.d.Link("missing", nil, "x"), "link", "missing", "x", fs.ErrNotExist)
		if tr.links {
			// A link is linked itself, not its target.
			noErr(t, "Link(lf, lf2)", tr.d.Link("lf", nil, "lf2"))
			if fi := lfi(t, tr.path("lf2")); fi.Mode().Type() != fs.ModeSymlink || !os.SameFile(fi, lfi(t, tr.path("lf"))) {
				t.Errorf("Link(lf, lf2) made mode %v", fi.Mode())
			}
			wantDirLinkErr(t, tr.d.Link("f", nil, "lf"), "link", "f", "lf", fs.ErrExist)
		}
	})
}

func TestDirSymlink(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		wantDirLinkErr(t, tr.d.Symlink("", "e"), "symlink", "", "e", fs.ErrInvalid)
		wantDirLinkErr(t, tr.d.Symlink("a\x00b", "e"), "symlink", "a\x00b", "e", fs.ErrInvalid)
		if exists(tr.path("e")) {
			t.Error("a refused Symlink created e")
		}
		tr.needLinks(t)
		// The target is data: stored as given, even one that leads outside.
		for name, target := range map[string]string{
			"s1":       "f",
			"sub/s2":   "../../../etc/passwd",
			"lsub/s3":  "/etc/shadow",
			"a/s4":     "does/not/exist",
			"a/s5/":    "f", // a trailing slash: must be a directory
			"spaces 6": " x y ",
		} {
			err := tr.d.Symlink(target, name)
			if strings.HasSuffix(name, "/") {
				wantDirLinkErr(t, err, "symlink", target, name, fs.ErrNotExist)
				continue
			}
			noErr(t, "Symlink", err)
			path := tr.path(strings.Replace(name, "lsub/", "sub/", 1))
			if got, err := os.Readlink(path); err != nil || filepath.ToSlash(got) != target {
				t.Errorf("readlink(%s) = %q, %v; want %q", name, got, err, target)
			}
			if got, err := tr.d.Readlink(name); err != nil || filepath.ToSlash(got) != target {
				t.Errorf("Readlink(%s) = %q, %v; want %q", name, got, err, target)
			}
		}
		// Following the stored escape is refused.
		_, err := tr.d.Statx("sub/s2")
		wantPathErr(t, err, "statx", "sub/s2", extfs.ErrEscapes)
		wantDirLinkErr(t, tr.d.Symlink("x", "f"), "symlink", "x", "f", fs.ErrExist)
	})
}

func TestDirReadlink(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		_, err := tr.d.Readlink("f")
		wantPathErr(t, err, "readlink", "f", dirWant.notLink)
		_, err = tr.d.Readlink("missing")
		wantPathErr(t, err, "readlink", "missing", fs.ErrNotExist)
		tr.needLinks(t)
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
		_, err = tr.d.Readlink("lsub/")
		wantPathErr(t, err, "readlink", "lsub/", dirWant.notLink)
	})
}

func TestDirStatx(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Chtimes", os.Chtimes(tr.path("f"), tA, tM))
		want := lfi(t, tr.path("f"))
		names := []string{"f"}
		if tr.links {
			names = append(names, "lf")
		}
		for _, name := range names {
			st, err := tr.d.Statx(name)
			noErr(t, "Statx("+name+")", err)
			if !sameAs(t, st, tr.path("f")) || st.Size != want.Size() || st.Mode != want.Mode() ||
				!st.Mtime.Equal(tM) || !st.Atime.Equal(tA) {
				t.Errorf("Statx(%s) = %+v, want %v %v", name, st, want.Mode(), want.ModTime())
			}
		}
		for _, name := range []string{".", "sub/..", "a/../"} {
			st, err := tr.d.Lstatx(name)
			if err != nil || !sameAs(t, st, tr.root) {
				t.Errorf("Lstatx(%q) = %v, %v; want the Dir itself", name, st, err)
			}
		}
		_, err := tr.d.Lstatx("f/")
		wantPathErr(t, err, "statx", "f/", syscall.ENOTDIR)
		tr.needLinks(t)
		st, err := tr.d.Lstatx("lf")
		noErr(t, "Lstatx(lf)", err)
		if st.Mode.Type() != fs.ModeSymlink || !sameAs(t, st, tr.path("lf")) || st.Size != 1 {
			t.Errorf("Lstatx(lf) = mode %v ino %d size %d", st.Mode, st.Ino, st.Size)
		}
		// A trailing slash follows the link, as in the kernel.
		st, err = tr.d.Lstatx("lsub/")
		noErr(t, "Lstatx(lsub/)", err)
		if !st.Mode.IsDir() || !sameAs(t, st, tr.path("sub")) {
			t.Errorf("Lstatx(lsub/) = mode %v ino %d, want sub", st.Mode, st.Ino)
		}
	})
}

func TestDirSetTimes(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "SetTimes(f)", tr.d.SetTimes("f", tA, tM))
		if mt := lfi(t, tr.path("f")).ModTime(); !mt.Equal(tM) {
			t.Errorf("SetTimes(f): mtime %v, want %v", mt, tM)
		}
		t2 := tM.Add(time.Hour + 100)
		noErr(t, "SetTimes(sub/.., zero, t2)", tr.d.SetTimes("sub/..", time.Time{}, t2))
		if mt := lfi(t, tr.root).ModTime(); !mt.Equal(t2) {
			t.Errorf("SetTimes(sub/..): the Dir's mtime %v, want %v", mt, t2)
		}
		noErr(t, "LSetTimes(sub)", tr.d.LSetTimes("sub", tA, tM))
		if mt := lfi(t, tr.path("sub")).ModTime(); !mt.Equal(tM) {
			t.Errorf("LSetTimes(sub): mtime %v", mt)
		}
		old := time.Unix(-1_000_000_000, 0) // before 1970
		noErr(t, "SetTimes(f, old)", tr.d.SetTimes("f", old, old))
		if mt := lfi(t, tr.path("f")).ModTime(); !mt.Equal(old) {
			t.Errorf("SetTimes(f, 1938): mtime %v, want %v", mt, old)
		}
		wantPathErr(t, tr.d.SetTimes("missing", tA, tM), "utimensat", "missing", fs.ErrNotExist)

		tr.needLinks(t)
		link := lfi(t, tr.path("lf")).ModTime()
		noErr(t, "SetTimes(lf)", tr.d.SetTimes("lf", tA, tM))
		if mt := lfi(t, tr.path("lf")).ModTime(); !mt.Equal(link) {
			t.Errorf("SetTimes(lf) changed the link itself")
		}
		noErr(t, "LSetTimes(lf)", tr.d.LSetTimes("lf", time.Time{}, t2))
		if mt := lfi(t, tr.path("lf")).ModTime(); !mt.Equal(t2) {
			t.Errorf("LSetTimes(lf, zero, t2): link mtime %v", mt)
		}
		if mt := lfi(t, tr.path("f")).ModTime(); !mt.Equal(tM) {
			t.Errorf("LSetTimes(lf) changed the target")
		}
		noErr(t, "LSetTimes(lsub/)", tr.d.LSetTimes("lsub/", tA, t2)) // the directory
		if mt := lfi(t, tr.path("sub")).ModTime(); !mt.Equal(t2) {
			t.Errorf("LSetTimes(lsub/): sub has mtime %v", mt)
		}
	})
}

// TestDirMknod: regular files everywhere, FIFOs where the system has them
// (Windows: an error matching ErrNotSupported), and bad modes refused first.
func TestDirMknod(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
		noErr(t, "Mknod(regular)", tr.d.Mknod("sub/r", 0o600, 0))
		if fi := lfi(t, tr.path("sub/r")); fi.Mode() != dirMode(0o600) || fi.Size() != 0 {
			t.Errorf("Mknod(regular) made mode %v size %d", fi.Mode(), fi.Size())
		}
		err := tr.d.Mkfifo("sub/p", 0o640)
		if !dirWant.nodes {
			wantPathErr(t, err, "mknod", "sub/p", extfs.ErrNotSupported)
		} else {
			noErr(t, "Mkfifo", err)
			if fi := lfi(t, tr.path("sub/p")); fi.Mode() != fs.ModeNamedPipe|dirMode(0o640) {
				t.Errorf("Mkfifo made mode %v", fi.Mode())
			}
			wantPathErr(t, tr.d.Mkfifo("sub/p", 0o640), "mknod", "sub/p", fs.ErrExist)
		}
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
	eachDir(t, func(t *testing.T, tr *dirTree) {
		before := dirCalls(t)
		for _, o := range dirOps {
			for _, name := range []string{"", "a\x00b", "sub/\x00"} {
				var err error
				mustPanicFree(t, o.method, func() { err = o.run(tr, name) })
				o.check(t, err, name, fs.ErrInvalid)
			}
		}
		if d := dirCalls(t) - before; d != 0 {
			t.Errorf("refused calls reached the system (%d calls): validation must come first", d)
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
	})
}

// TestDirConcurrentClose: Close while other goroutines use the Dir: each
// operation either completes or reports fs.ErrClosed; none uses a
// descriptor that Close released (the race detector and the descriptor
// leak check in TestMain watch).
func TestDirConcurrentClose(t *testing.T) {
	eachDir(t, func(t *testing.T, tr *dirTree) {
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
						_, err = d.Statx("sub/g")
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
