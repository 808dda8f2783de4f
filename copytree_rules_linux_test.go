//go:build linux

package extfs_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
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

// The rules of CopyOptions for CopyTree (Skip, Symlinks, Existing, OnError,
// OnEntry, Sync) and CopyFile (Existing, Sync), on every filesystem.

// rlTree makes the source tree of these tests at src.
func rlTree(t *testing.T, src string) {
	t.Helper()
	for _, d := range []string{"a", "a/deep", "skip", "skip/inner", "sub"} {
		noErr(t, "mkdir", os.MkdirAll(join(src, d), 0o755))
	}
	for p, n := range map[string]int{"f": 5000, "a/g": 70000, "a/deep/h": 1, "skip/x": 10, "skip/inner/y": 20, "sub/z": 3000, "empty": 0, "a/log.log": 9} {
		writeSynced(t, join(src, p), randBytes(n, uint64(n)))
	}
}

// rlEntries records what OnEntry reported, by path.
type rlEntries struct {
	mu  sync.Mutex
	got map[string]extfs.CopyEntry
	dup []string
}

func (r *rlEntries) on(e extfs.CopyEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string]extfs.CopyEntry{}
	}
	if _, ok := r.got[e.Rel]; ok {
		r.dup = append(r.dup, e.Rel)
	}
	r.got[e.Rel] = e
}

func (r *rlEntries) methods() map[string]extfs.Method {
	m := map[string]extfs.Method{}
	for rel, e := range r.got {
		m[rel] = e.Method
	}
	return m
}

// TestCopyTreeSkip: Skip is asked about every entry once, never about what
// is inside a skipped directory, and what it skips is not copied.
func TestCopyTreeSkip(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := join(dir, "src"), join(dir, "dst")
		rlTree(t, src)
		var mu sync.Mutex
		var asked []string
		var entries rlEntries
		st, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{
			Skip: func(rel string, d fs.DirEntry) (bool, error) {
				mu.Lock()
				asked = append(asked, rel)
				mu.Unlock()
				if d.Name() != rel[strings.LastIndexByte(rel, '/')+1:] {
					t.Errorf("Skip(%q): entry named %q", rel, d.Name())
				}
				if rel == "skip" && !d.IsDir() {
					t.Errorf("Skip(skip): IsDir false")
				}
				if rel == "f" {
					fi, err := d.Info()
					if err != nil || fi.Size() != 5000 {
						t.Errorf("Skip(f): Info() = %v, %v; want size 5000", fi, err)
					}
				}
				return rel == "skip" || strings.HasSuffix(rel, ".log"), nil
			},
			OnEntry: entries.on,
		})
		noErr(t, "CopyTree", err)
		slices.Sort(asked)
		want := []string{"a", "a/deep", "a/deep/h", "a/g", "a/log.log", "empty", "f", "skip", "sub", "sub/z"}
		if !slices.Equal(asked, want) {
			t.Errorf("Skip asked about %v, want %v (never inside skip/)", asked, want)
		}
		got := ctFiles(t, dst)
		wantFiles := ctFiles(t, src)
		for rel := range wantFiles {
			if rel == "skip" || strings.HasPrefix(rel, "skip/") || rel == "a/log.log" {
				delete(wantFiles, rel)
			}
		}
		ctWantFiles(t, "dst", wantFiles, got)
		if n := st.ByMethod[extfs.MethodSkipped]; n != 2 {
			t.Errorf("ByMethod[skipped] = %d, want 2", n)
		}
		if m := entries.methods(); m["skip"] != extfs.MethodSkipped || m["a/log.log"] != extfs.MethodSkipped {
			t.Errorf("OnEntry: skip %v, a/log.log %v; want skipped", m["skip"], m["a/log.log"])
		}

		// An error from Skip is an error of that entry.
		boom := errors.New("no")
		_, err = extfs.CopyTree(context.Background(), src, join(dir, "dst2"), &extfs.CopyOptions{
			Skip: func(rel string, _ fs.DirEntry) (bool, error) {
				if rel == "sub/z" {
					return false, boom
				}
				return false, nil
			},
		})
		wantErr(t, "CopyTree with a failing Skip", err, boom)
		if _, err := os.Lstat(join(dir, "dst2")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a failed CopyTree left dst2: %v", err)
		}
	})
}

// TestCopyTreeSymlinks: copied as they are, left out, or followed (cp -L),
// where a loop is an error, never a hang.
func TestCopyTreeSymlinks(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		rlTree(t, src)
		outside := join(dir, "outside")
		writeSynced(t, outside, []byte("from outside"))
		noErr(t, "symlink", os.Symlink("f", join(src, "lf")))
		noErr(t, "symlink", os.Symlink("sub", join(src, "ldir")))
		noErr(t, "symlink", os.Symlink(outside, join(src, "a", "lout")))

		// SymlinkCopy: the links as they are.
		d1 := join(dir, "copy")
		_, err := extfs.CopyTree(context.Background(), src, d1, nil)
		noErr(t, "CopyTree SymlinkCopy", err)
		ctWantFiles(t, "SymlinkCopy", ctFiles(t, src), ctFiles(t, d1))

		// SymlinkSkip: no links, each reported as skipped.
		var entries rlEntries
		d2 := join(dir, "skip")
		st, err := extfs.CopyTree(context.Background(), src, d2, &extfs.CopyOptions{Symlinks: extfs.SymlinkSkip, OnEntry: entries.on})
		noErr(t, "CopyTree SymlinkSkip", err)
		want := ctFiles(t, src)
		delete(want, "lf")
		delete(want, "ldir")
		delete(want, "a/lout")
		ctWantFiles(t, "SymlinkSkip", want, ctFiles(t, d2))
		if st.Symlinks != 0 || st.ByMethod[extfs.MethodSkipped] != 3 || entries.got["a/lout"].Method != extfs.MethodSkipped {
			t.Errorf("SymlinkSkip: stats %+v, OnEntry a/lout %+v", st, entries.got["a/lout"])
		}

		// SymlinkFollow: what the links point to, inside the tree or out.
		d3 := join(dir, "follow")
		st, err = extfs.CopyTree(context.Background(), src, d3, &extfs.CopyOptions{Symlinks: extfs.SymlinkFollow})
		noErr(t, "CopyTree SymlinkFollow", err)
		got := ctFiles(t, d3)
		for rel, w := range map[string]ctFile{
			"lf":     {typ: "file", sum: sum(readAll(t, join(src, "f")))},
			"ldir":   {typ: "dir"},
			"ldir/z": {typ: "file", sum: sum(readAll(t, join(src, "sub", "z")))},
			"a/lout": {typ: "file", sum: sum([]byte("from outside"))},
		} {
			if got[rel] != w {
				t.Errorf("SymlinkFollow: %s is %+v, want %+v", rel, got[rel], w)
			}
		}
		if st.Symlinks != 0 {
			t.Errorf("SymlinkFollow made %d links", st.Symlinks)
		}

		// A loop: an error of the entry, found, not followed forever.
		noErr(t, "symlink", os.Symlink("..", join(src, "a", "up")))
		done := make(chan error, 1)
		go func() {
			_, err := extfs.CopyTree(context.Background(), src, join(dir, "loop"), &extfs.CopyOptions{Symlinks: extfs.SymlinkFollow})
			done <- err
		}()
		select {
		case err := <-done:
			wantErr(t, "SymlinkFollow through a loop", err, syscall.ELOOP)
		case <-time.After(time.Minute):
			t.Fatal("SymlinkFollow through a loop did not return in a minute")
		}
		if _, err := os.Lstat(join(dir, "loop")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a failed CopyTree left its destination: %v", err)
		}
		// With OnError going on, everything else is copied.
		var failed []string
		_, err = extfs.CopyTree(context.Background(), src, join(dir, "loop2"), &extfs.CopyOptions{
			Symlinks: extfs.SymlinkFollow,
			OnError:  func(rel string, err error) error { failed = append(failed, rel); return nil },
		})
		wantErr(t, "SymlinkFollow through a loop, OnError", err, syscall.ELOOP)
		if !slices.Equal(failed, []string{"a/up"}) {
			t.Errorf("OnError called for %v, want [a/up]", failed)
		}
		if g := ctFiles(t, join(dir, "loop2")); g["ldir/z"] != got["ldir/z"] || g["a/g"] != got["a/g"] {
			t.Errorf("loop2 lacks what could be copied: %v", slices.Sorted(maps.Keys(g)))
		}
	})
}

// TestCopyTreeExisting: each ExistingMode on a destination holding an
// older file, a newer one, one the source lacks, and a file where the
// source has a directory.
func TestCopyTreeExisting(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		rlTree(t, src)
		srcTime := time.Now().Add(-time.Hour).Truncate(time.Second)
		for _, p := range []string{"f", "a/g", "sub/z"} {
			noErr(t, "chtimes", os.Chtimes(join(src, p), srcTime, srcTime))
		}
		// prep makes dst: f older than the source, a/g newer, a/own only
		// there, everything else missing.
		prep := func(dst string) {
			noErr(t, "mkdir", os.MkdirAll(join(dst, "a"), 0o755))
			writeSynced(t, join(dst, "f"), []byte("old f"))
			writeSynced(t, join(dst, "a", "g"), []byte("new g"))
			writeSynced(t, join(dst, "a", "own"), []byte("own"))
			older, newer := srcTime.Add(-time.Minute), srcTime.Add(time.Minute)
			noErr(t, "chtimes", os.Chtimes(join(dst, "f"), older, older))
			noErr(t, "chtimes", os.Chtimes(join(dst, "a", "g"), newer, newer))
		}
		srcFiles := ctFiles(t, src)
		content := func(s string) ctFile { return ctFile{typ: "file", sum: sum([]byte(s))} }

		for _, tc := range []struct {
			mode    extfs.ExistingMode
			f, g    ctFile
			methods map[string]extfs.Method
		}{
			{extfs.ExistingReplace, srcFiles["f"], srcFiles["a/g"], nil},
			{extfs.ExistingSkip, content("old f"), content("new g"), map[string]extfs.Method{"f": extfs.MethodSkipped, "a/g": extfs.MethodSkipped, "a": extfs.MethodUnchanged}},
			{extfs.ExistingUpdate, srcFiles["f"], content("new g"), map[string]extfs.Method{"a/g": extfs.MethodUnchanged}},
		} {
			t.Run(tc.mode.String(), func(t *testing.T) {
				dst := join(dir, "dst-"+tc.mode.String())
				prep(dst)
				var entries rlEntries
				_, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: tc.mode, OnEntry: entries.on})
				noErr(t, "CopyTree", err)
				got := ctFiles(t, dst)
				want := maps.Clone(srcFiles)
				want["f"], want["a/g"], want["a/own"] = tc.f, tc.g, content("own")
				ctWantFiles(t, tc.mode.String(), want, got)
				for rel, m := range tc.methods {
					if e := entries.got[rel]; e.Method != m {
						t.Errorf("OnEntry(%s) = %v, want %v", rel, e.Method, m)
					}
				}
				if m := entries.got["sub/z"].Method; m == extfs.MethodSkipped || m == extfs.MethodUnchanged {
					t.Errorf("sub/z was missing and is reported %v", m)
				}
				if len(entries.dup) > 0 {
					t.Errorf("OnEntry called twice for %v", entries.dup)
				}
			})
		}

		// ExistingError: refused before anything is copied.
		dst := join(dir, "dst-error")
		prep(dst)
		before := ctFiles(t, dst)
		_, err := extfs.CopyTree(context.Background(), src, dst, nil)
		wantErr(t, "CopyTree onto an existing tree", err, fs.ErrExist)
		ctWantFiles(t, "dst after a refused CopyTree", before, ctFiles(t, dst))

		// A file where the source has a directory stays, and is an error.
		for _, mode := range []extfs.ExistingMode{extfs.ExistingSkip, extfs.ExistingUpdate} {
			dst := join(dir, "dst-file-"+mode.String())
			noErr(t, "mkdir", os.MkdirAll(dst, 0o755))
			writeSynced(t, join(dst, "sub"), []byte("a file"))
			_, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Existing: mode})
			wantErr(t, mode.String()+" with a file for a directory", err, syscall.ENOTDIR)
			if got := readAll(t, join(dst, "sub")); string(got) != "a file" {
				t.Errorf("%s replaced the file: %q", mode, got)
			}
		}
	})
}

// TestCopyTreeUpdateNoop: a second ExistingUpdate copy of an unchanged tree
// changes nothing and reports every file unchanged.
func TestCopyTreeUpdateNoop(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := join(dir, "src"), join(dir, "dst")
		rlTree(t, src)
		opt := &extfs.CopyOptions{Existing: extfs.ExistingUpdate, Preserve: extfs.PreserveTimes}
		_, err := extfs.CopyTree(context.Background(), src, dst, opt)
		noErr(t, "first CopyTree", err)
		ino := lstat(t, join(dst, "a", "g")).Ino
		var entries rlEntries
		opt.OnEntry = entries.on
		st, err := extfs.CopyTree(context.Background(), src, dst, opt)
		noErr(t, "second CopyTree", err)
		if st.CopiedBytes+st.ClonedBytes != 0 || st.ByMethod[extfs.MethodUnchanged] != 8 {
			t.Errorf("no-op update: %+v; want nothing copied, 8 files unchanged", st)
		}
		if got := lstat(t, join(dst, "a", "g")).Ino; got != ino {
			t.Errorf("a/g was replaced (inode %d, was %d)", got, ino)
		}
		for rel, e := range entries.got {
			if e.Method != extfs.MethodUnchanged {
				t.Errorf("%s: %v, want unchanged", rel, e.Method)
			}
		}
		ctWantFiles(t, "dst", ctFiles(t, src), ctFiles(t, dst))
	})
}

// TestCopyTreeUpdateDirs: an ExistingUpdate re-run writes nothing to the
// directories that are up to date (their ctimes stay), and still gives its
// metadata to a directory whose source changed: its mode, its xattrs, or
// its entries (its times restored after the copy wrote in it).
func TestCopyTreeUpdateDirs(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := join(dir, "src"), join(dir, "dst")
		rlTree(t, src)
		dirs := []string{".", "a", "a/deep", "skip", "skip/inner", "sub"}
		opt := &extfs.CopyOptions{Existing: extfs.ExistingUpdate, Preserve: extfs.PreserveAll, Hardlinks: true}
		run := func(what string) {
			t.Helper()
			_, err := extfs.CopyTree(context.Background(), src, dst, opt)
			noErr(t, what, err)
		}
		ctimes := func() map[string]unix.Timespec {
			m := make(map[string]unix.Timespec)
			for _, d := range dirs {
				m[d] = lstat(t, join(dst, d)).Ctim
			}
			return m
		}
		run("first CopyTree")
		// The first reading of a source directory may move its atime
		// (relatime): the next run copies that; from then on nothing moves.
		run("second CopyTree")
		before := ctimes()
		time.Sleep(20 * time.Millisecond) // a ctime written now would differ
		run("no-op CopyTree")
		for d, c := range ctimes() {
			if c != before[d] {
				t.Errorf("no-op update wrote to the directory %s (ctime %v, was %v)", d, c, before[d])
			}
		}

		noErr(t, "chmod", os.Chmod(join(src, "a", "deep"), 0o750))
		writeSynced(t, join(src, "sub", "new"), []byte("new"))
		// A newer a/g replaces the copy's: a's entries change in dst only.
		aTime := lstat(t, join(src, "a")).Mtim
		writeSynced(t, join(src, "a", "g"), []byte("newer g"))
		later := time.Now().Add(time.Minute)
		noErr(t, "chtimes", os.Chtimes(join(src, "a", "g"), later, later))
		if lstat(t, join(src, "a")).Mtim != aTime {
			t.Fatal("rewriting a/g changed a's mtime")
		}
		// tmpfs has user.* xattrs since Linux 6.6.
		err := unix.Setxattr(join(src, "skip"), "user.test", []byte("v"), 0)
		xattrs := err != unix.EOPNOTSUPP
		if xattrs {
			noErr(t, "setxattr", err)
		}
		run("CopyTree after changes")
		if got := lstat(t, join(dst, "a", "deep")).Mode & 0o7777; got != 0o750 {
			t.Errorf("a/deep mode %#o, want 0750", got)
		}
		if got := readAll(t, join(dst, "sub", "new")); string(got) != "new" {
			t.Errorf("sub/new = %q", got)
		}
		for _, d := range []string{"sub", "a"} {
			if sm, dm := lstat(t, join(src, d)).Mtim, lstat(t, join(dst, d)).Mtim; sm != dm {
				t.Errorf("%s mtime %v, want the source's %v", d, dm, sm)
			}
		}
		if got := readAll(t, join(dst, "a", "g")); string(got) != "newer g" {
			t.Errorf("a/g = %q", got)
		}
		if xattrs {
			buf := make([]byte, 16)
			n, err := unix.Getxattr(join(dst, "skip"), "user.test", buf)
			if err != nil || string(buf[:n]) != "v" {
				t.Errorf("skip's xattr: %q, %v; want \"v\"", buf[:n], err)
			}
		}
	})
}

// TestCopyTreeOnError: errors recorded by OnError let the rest be copied
// and are returned at the end; an error OnError returns stops the copy.
func TestCopyTreeOnError(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		rlTree(t, src)
		errA, errB := errors.New("a/g refused"), errors.New("sub refused")
		skip := func(rel string, _ fs.DirEntry) (bool, error) {
			switch rel {
			case "a/g":
				return false, errA
			case "sub":
				return false, errB
			}
			return false, nil
		}
		var mu sync.Mutex
		var failed []string
		var entries rlEntries
		dst := join(dir, "dst")
		_, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{
			Skip: skip,
			OnError: func(rel string, err error) error {
				mu.Lock()
				defer mu.Unlock()
				failed = append(failed, rel)
				return nil
			},
			OnEntry: entries.on,
		})
		wantErr(t, "CopyTree with recorded errors", err, errA, errB)
		slices.Sort(failed)
		if !slices.Equal(failed, []string{"a/g", "sub"}) {
			t.Errorf("OnError called for %v, want [a/g sub]", failed)
		}
		if e := entries.got["a/g"]; !errors.Is(e.Err, errA) {
			t.Errorf("OnEntry(a/g) = %+v, want its error", e)
		}
		want := ctFiles(t, src)
		for rel := range want {
			if rel == "a/g" || rel == "sub" || strings.HasPrefix(rel, "sub/") {
				delete(want, rel)
			}
		}
		ctWantFiles(t, "dst", want, ctFiles(t, dst))
		if temps := ctTemps(t, dst); len(temps) > 0 {
			t.Errorf("temporary names left: %v", temps)
		}

		// OnError returning an error stops the copy with it.
		stop := errors.New("stop")
		_, err = extfs.CopyTree(context.Background(), src, join(dir, "dst2"), &extfs.CopyOptions{
			Skip:    skip,
			OnError: func(string, error) error { return stop },
		})
		wantErr(t, "CopyTree stopped by OnError", err, stop)
		if _, err := os.Lstat(join(dir, "dst2")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a stopped CopyTree left dst2: %v", err)
		}
	})
}

// TestCopyTreeOnEntry: every entry is reported once, with the method that
// put it there: clones on XFS and btrfs, copy_file_range elsewhere.
func TestCopyTreeOnEntry(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := join(dir, "src"), join(dir, "dst")
		rlTree(t, src)
		noErr(t, "symlink", os.Symlink("f", join(src, "lf")))
		noErr(t, "link", os.Link(join(src, "f"), join(src, "a", "hf")))
		var entries rlEntries
		_, err := extfs.CopyTree(context.Background(), src, dst, &extfs.CopyOptions{Hardlinks: true, OnEntry: entries.on, Sync: true})
		noErr(t, "CopyTree", err)
		ctWantFiles(t, "dst", ctFiles(t, src), ctFiles(t, dst))
		if len(entries.dup) > 0 {
			t.Errorf("OnEntry called twice for %v", entries.dup)
		}
		if got, want := slices.Sorted(maps.Keys(entries.got)), slices.Sorted(maps.Keys(ctFiles(t, src))); !slices.Equal(got, want) {
			t.Errorf("OnEntry reported %v, want %v", got, want)
		}
		data := extfs.MethodCopyFileRange
		if canClone(fsys.Kind) {
			data = extfs.MethodClone
		}
		// Which of f and a/hf is copied and which linked depends on the
		// workers' order.
		fm, hm := entries.got["f"].Method, entries.got["a/hf"].Method
		if !(fm == data && hm == extfs.MethodHardlink || fm == extfs.MethodHardlink && hm == data) {
			t.Errorf("f %v, a/hf %v: want one %v and one hardlink", fm, hm, data)
		}
		for rel, want := range map[string]extfs.Method{
			"a/g": data, "sub/z": data, "empty": extfs.MethodCreated,
			"lf": extfs.MethodCreated, "a": extfs.MethodCreated, "a/deep": extfs.MethodCreated,
		} {
			if e := entries.got[rel]; e.Method != want || e.Err != nil {
				t.Errorf("OnEntry(%s) = %+v, want method %v", rel, e, want)
			}
		}
		if e := entries.got["a/g"]; e.Bytes != 70000 {
			t.Errorf("OnEntry(a/g).Bytes = %d, want 70000", e.Bytes)
		}
		if canClone(fsys.Kind) {
			fiemapWantShared(t, join(dst, "a", "g"))
		}
	})
}

// TestCopyFileExisting: CopyFile's ExistingSkip and ExistingUpdate, and Sync.
func TestCopyFileExisting(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src, dst := join(dir, "src"), join(dir, "dst")
		data := randBytes(100000, 9)
		writeSynced(t, src, data)
		srcTime := time.Now().Add(-time.Hour)
		noErr(t, "chtimes", os.Chtimes(src, srcTime, srcTime))

		writeSynced(t, dst, []byte("kept"))
		st, err := extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingSkip})
		noErr(t, "CopyFile ExistingSkip", err)
		if got := readAll(t, dst); string(got) != "kept" || st.ByMethod[extfs.MethodSkipped] != 1 || st.Bytes != 0 {
			t.Errorf("ExistingSkip: dst %q, stats %+v; want it kept and reported skipped", got, st)
		}
		// dst (just written) is newer: kept.
		st, err = extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingUpdate})
		noErr(t, "CopyFile ExistingUpdate, newer dst", err)
		if got := readAll(t, dst); string(got) != "kept" || st.ByMethod[extfs.MethodUnchanged] != 1 {
			t.Errorf("ExistingUpdate onto a newer dst: dst %q, stats %+v", got, st)
		}
		// dst older: replaced.
		old := srcTime.Add(-time.Minute)
		noErr(t, "chtimes", os.Chtimes(dst, old, old))
		_, err = extfs.CopyFile(context.Background(), src, dst, &extfs.CopyOptions{Existing: extfs.ExistingUpdate, Sync: true})
		noErr(t, "CopyFile ExistingUpdate, older dst", err)
		crWantContent(t, dst, data)
		// Missing: copied, whatever the mode.
		_, err = extfs.CopyFile(context.Background(), src, join(dir, "new"), &extfs.CopyOptions{Existing: extfs.ExistingSkip, Sync: true})
		noErr(t, "CopyFile ExistingSkip to a new name", err)
		crWantContent(t, join(dir, "new"), data)
	})
}

// TestCopyReplaceKeepsMode: without PreserveMode a replaced regular file
// keeps its permission bits (cp writes into it); with it, it takes the
// source's. New files get the source's bits less the umask either way.
func TestCopyReplaceKeepsMode(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		dir := fsys.TempDir(t)
		src := join(dir, "src")
		noErr(t, "mkdir", os.Mkdir(src, 0o755))
		writeSynced(t, join(src, "f"), []byte("new"))
		noErr(t, "chmod", os.Chmod(join(src, "f"), 0o644))
		for _, tc := range []struct {
			name     string
			preserve extfs.Preserve
			existing extfs.ExistingMode
			want     fs.FileMode
		}{
			{"replace", 0, extfs.ExistingReplace, 0o600},
			{"update", 0, extfs.ExistingUpdate, 0o600},
			{"replace-preserve", extfs.PreserveMode, extfs.ExistingReplace, 0o644},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dst := join(dir, "dst-"+tc.name)
				noErr(t, "mkdir", os.Mkdir(dst, 0o755))
				writeSynced(t, join(dst, "f"), []byte("old"))
				noErr(t, "chmod", os.Chmod(join(dst, "f"), 0o600))
				old := time.Now().Add(-time.Hour)
				noErr(t, "chtimes", os.Chtimes(join(dst, "f"), old, old))
				opt := &extfs.CopyOptions{Existing: tc.existing, Preserve: tc.preserve}
				_, err := extfs.CopyTree(context.Background(), src, dst, opt)
				noErr(t, "CopyTree", err)
				if got := readAll(t, join(dst, "f")); string(got) != "new" {
					t.Fatalf("f = %q, want it replaced", got)
				}
				if m := fs.FileMode(lstat(t, join(dst, "f")).Mode & 0o7777); m != tc.want {
					t.Errorf("CopyTree: mode %o, want %o", m, tc.want)
				}
				// CopyFile the same way.
				file := join(dst, "g")
				writeSynced(t, file, []byte("old"))
				noErr(t, "chmod", os.Chmod(file, 0o600))
				noErr(t, "chtimes", os.Chtimes(file, old, old))
				_, err = extfs.CopyFile(context.Background(), join(src, "f"), file, opt)
				noErr(t, "CopyFile", err)
				if m := fs.FileMode(lstat(t, file).Mode & 0o7777); m != tc.want {
					t.Errorf("CopyFile: mode %o, want %o", m, tc.want)
				}
			})
		}
	})
}
