package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/extfs/extfs/internal/testfs"
)

// The same command run with GNU cp and with extcp, on the same source tree,
// into a fresh destination and into one holding older and newer files,
// must give the same tree and the same exit status.

// cpCase is one command line, with SRC and OUT standing for the source
// tree and the destination directory.
type cpCase struct {
	name string
	args []string
}

var cpCases = []cpCase{
	// Single files.
	{name: "file", args: []string{"SRC/a.txt", "SRC/exec.sh", "OUT"}},
	{name: "file to name", args: []string{"SRC/a.txt", "OUT/a.txt"}},
	{name: "file -n", args: []string{"-n", "SRC/a.txt", "SRC/exec.sh", "OUT"}},
	{name: "file -u", args: []string{"-u", "SRC/a.txt", "SRC/exec.sh", "OUT"}},
	{name: "file -p", args: []string{"-p", "SRC/a.txt", "SRC/exec.sh", "OUT"}},
	{name: "file -n onto itself", args: []string{"-n", "SRC/a.txt", "SRC/a.txt"}},
	{name: "file -u onto itself", args: []string{"-u", "SRC/a.txt", "SRC/a.txt"}},
	{name: "file onto itself", args: []string{"SRC/a.txt", "SRC/a.txt"}},
	{name: "file -un -p", args: []string{"-un", "-p", "SRC/a.txt", "SRC/exec.sh", "OUT"}},
	{name: "file -v", args: []string{"-v", "SRC/a.txt", "OUT"}},
	{name: "file -l", args: []string{"-l", "SRC/a.txt", "SRC/exec.sh", "OUT"}},
	{name: "file -s", args: []string{"-s", "SRC/a.txt", "OUT"}},
	{name: "file -t", args: []string{"-t", "OUT", "SRC/a.txt", "SRC/exec.sh"}},
	{name: "file -T", args: []string{"-T", "SRC/a.txt", "OUT/a.txt"}},
	{name: "file -T onto dir", args: []string{"-T", "SRC/a.txt", "OUT"}},
	{name: "files onto a file", args: []string{"SRC/a.txt", "SRC/exec.sh", "OUT/a.txt"}},
	{name: "missing source", args: []string{"SRC/a.txt", "SRC/nothing", "SRC/exec.sh", "OUT"}},
	{name: "dir without -r", args: []string{"SRC/dir", "SRC/a.txt", "OUT"}},
	{name: "file --sparse=always", args: []string{"--sparse=always", "SRC/sparse", "OUT"}},
	{name: "file --reflink=never", args: []string{"--reflink=never", "SRC/sparse", "SRC/a.txt", "OUT"}},

	// Symbolic link operands.
	{name: "link followed", args: []string{"SRC/link", "SRC/dirlink/b.txt", "OUT"}},
	{name: "link -P", args: []string{"-P", "SRC/link", "SRC/dangling", "OUT"}},
	{name: "link -l", args: []string{"-l", "SRC/link", "OUT"}},
	{name: "link -lP", args: []string{"-lP", "SRC/link", "OUT"}},
	{name: "link -s", args: []string{"-s", "SRC/link", "OUT"}},
	{name: "link -d", args: []string{"-d", "SRC/link", "OUT"}},
	{name: "link -L", args: []string{"-L", "SRC/link", "OUT"}},
	{name: "link -PL", args: []string{"-PL", "SRC/link", "OUT"}},
	{name: "link -LP", args: []string{"-LP", "SRC/link", "OUT"}},
	{name: "link -rL operand", args: []string{"-rL", "SRC/dirlink", "OUT"}},
	{name: "link -rLv operand", args: []string{"-rLv", "SRC/dirlink", "OUT"}},
	{name: "link -rP operand", args: []string{"-rP", "SRC/dirlink", "OUT"}},

	// Trees.
	{name: "tree -r", args: []string{"-r", "SRC", "OUT"}},
	{name: "tree -R -v", args: []string{"-R", "-v", "SRC", "OUT"}},
	{name: "tree -a", args: []string{"-a", "SRC", "OUT"}},
	{name: "tree -p -r", args: []string{"-pr", "SRC", "OUT"}},
	{name: "tree --preserve", args: []string{"-r", "--preserve=mode,timestamps,links", "SRC", "OUT"}},
	{name: "tree -a --no-preserve", args: []string{"-a", "--no-preserve=timestamps,links", "SRC", "OUT"}},
	{name: "tree -r --sparse=never", args: []string{"-r", "--sparse=never", "SRC", "OUT"}},
	{name: "tree -r --reflink=never", args: []string{"-r", "--reflink=never", "SRC", "OUT"}},
	{name: "tree -rT", args: []string{"-rT", "SRC", "OUT/src"}},
	{name: "tree -t", args: []string{"-r", "-t", "OUT", "SRC"}},
	{name: "tree contents", args: []string{"-a", "SRC/.", "OUT"}},
	{name: "tree -rn", args: []string{"-rn", "SRC", "OUT"}},
	{name: "tree -ru", args: []string{"-ru", "SRC", "OUT"}},
	{name: "tree -rL", args: []string{"-rL", "SRC", "OUT"}}, // a dangling link: reported, the rest copied, exit 1
	{name: "tree -rnv", args: []string{"-rnv", "SRC", "OUT"}},
	{name: "tree -ruv", args: []string{"-ruv", "SRC", "OUT"}},
	{name: "tree -rLv", args: []string{"-rLv", "SRC", "OUT"}},
	{name: "tree -rv contents", args: []string{"-rv", "SRC/dir/.", "OUT/"}},
	{name: "tree -rl", args: []string{"-rl", "SRC", "OUT"}},
	{name: "tree -rlP", args: []string{"-rlP", "SRC", "OUT"}},
	{name: "tree -al", args: []string{"-al", "SRC", "OUT"}},
	{name: "tree -rs", args: []string{"-rs", "SRC", "OUT"}},
	{name: "tree -rn, fresh", args: []string{"-rn", "SRC/dir", "OUT"}},
	{name: "tree into file", args: []string{"-r", "SRC", "OUT/a.txt"}},
}

// cpEpoch is the modification time of the source's entries; the older and
// newer files of an existing destination are an hour before and after.
var cpEpoch = time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)

// TestLikeCp runs every cpCase on ext4, tmpfs, XFS (reflink=1) and btrfs,
// as root (skipping, or failing under EXTFS_REQUIRE_FS=1, the filesystems
// that cannot be mounted).
func TestLikeCp(t *testing.T) {
	out, err := exec.Command("cp", "--version").Output()
	if err != nil || !bytes.Contains(out, []byte("GNU coreutils")) {
		t.Skipf("no GNU cp: %v %q", err, out)
	}
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) {
		likeCp(t, fsys.TempDir(t))
	})
}

func likeCp(t *testing.T, work string) {
	for _, tc := range cpCases {
		for _, scenario := range []string{"fresh", "existing"} {
			t.Run(tc.name+"/"+scenario, func(t *testing.T) {
				args := make([]string, len(tc.args))
				for i, a := range tc.args {
					a = strings.Replace(a, "SRC", filepath.Join(work, "src"), 1)
					args[i] = strings.Replace(a, "OUT", filepath.Join(work, "out"), 1)
				}

				// cp first, then extcp, on the same paths: -s makes links
				// to them.
				setUpCp(t, work, scenario)
				var cpErr bytes.Buffer
				cmd := exec.Command("cp", args...)
				cmd.Dir, cmd.Stderr = work, &cpErr
				cpOut, err := cmd.Output()
				cpCode := 0
				if ee, ok := err.(*exec.ExitError); ok {
					cpCode = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				want := snapshot(t, filepath.Join(work, "out"))

				setUpCp(t, work, scenario)
				code, stdout, stderr := extcp(t, args...)
				got := snapshot(t, filepath.Join(work, "out"))
				t.Logf("cp %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), cpCode, cpOut, cpErr.String())

				if code != cpCode {
					t.Errorf("exit %d, cp's %d", code, cpCode)
				}
				if diff := compareTrees(want, got, preservesTimes(args)); diff != "" {
					t.Errorf("trees differ (cp, extcp):\n%s", diff)
				}
				if diff := compareErrors(cpErr.String(), stderr); diff != "" {
					t.Errorf("stderr (cp's, extcp's): %s", diff)
				}
				if slices.ContainsFunc(args, func(a string) bool { return a == "-v" || strings.HasPrefix(a, "-r") && strings.Contains(a, "v") }) {
					if lines(stdout) != lines(string(cpOut)) {
						t.Errorf("-v says\n%s\ncp says\n%s", stdout, cpOut)
					}
				}
			})
		}
	}
}

// compareErrors says how extcp's messages on stderr differ from cp's:
// one line per failure, each naming a path cp's names.
func compareErrors(cp, extcp string) string {
	split := func(s string) []string { return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' }) }
	cpLines, extcpLines := split(cp), split(extcp)
	if len(cpLines) != len(extcpLines) {
		return fmt.Sprintf("%d lines, %d:\n%s\n%s", len(cpLines), len(extcpLines), cp, extcp)
	}
	quoted := regexp.MustCompile(`'([^']+)'`)
	for _, l := range cpLines {
		named := false
		for _, m := range quoted.FindAllStringSubmatch(l, -1) {
			named = named || strings.Contains(extcp, m[1]+":")
		}
		if !named {
			return fmt.Sprintf("%q is not in\n%s", l, extcp)
		}
	}
	return ""
}

// lines is s's lines, sorted: extcp and cp walk trees in different orders.
func lines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

func preservesTimes(args []string) bool {
	for _, a := range args {
		if a == "-a" || a == "-al" || strings.HasPrefix(a, "-p") || a == "-pr" ||
			strings.HasPrefix(a, "--preserve=") && strings.Contains(a, "timestamps") {
			return !slices.Contains(args, "--no-preserve=timestamps,links")
		}
	}
	return false
}

// setUpCp makes work/src, the same every time, and work/out for the
// scenario: empty ("fresh"), or holding a copy of the source made before,
// with files older and newer than the source's, and files of its own
// ("existing"). It returns a snapshot of out.
func setUpCp(t *testing.T, work, scenario string) map[string]entry {
	t.Helper()
	for _, d := range []string{"src", "out"} {
		if err := os.RemoveAll(filepath.Join(work, d)); err != nil {
			t.Fatal(err)
		}
	}
	src, out := filepath.Join(work, "src"), filepath.Join(work, "out")
	mk := func(name, data string, mode fs.FileMode, mtime time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(name, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(name, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	mk(filepath.Join(src, "a.txt"), "a, new", 0o644, cpEpoch)
	mk(filepath.Join(src, "exec.sh"), "#!/bin/sh\necho new\n", 0o755, cpEpoch)
	mk(filepath.Join(src, "ro.txt"), "read only", 0o444, cpEpoch)
	mk(filepath.Join(src, "dir", "b.txt"), "b, new", 0o600, cpEpoch)
	mk(filepath.Join(src, "dir", "sub", "c.txt"), strings.Repeat("c", 100000), 0o640, cpEpoch)
	if err := os.Mkdir(filepath.Join(src, "dir", "empty"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(src, "a.txt"), filepath.Join(src, "dir", "hard.txt")); err != nil {
		t.Fatal(err)
	}
	link("a.txt", filepath.Join(src, "link"))
	link("dir", filepath.Join(src, "dirlink"))
	link("nowhere", filepath.Join(src, "dangling"))
	f, err := os.Create(filepath.Join(src, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("end"), 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 8192), 8192); err != nil { // zeros, written
		t.Fatal(err)
	}
	f.Close()
	for _, d := range []string{"sparse", "dir/sub", "dir/empty", "dir", "."} {
		name := filepath.Join(src, d)
		if err := os.Chtimes(name, cpEpoch, cpEpoch); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if scenario == "existing" {
		older, newer := cpEpoch.Add(-time.Hour), cpEpoch.Add(time.Hour)
		// Beside the source's files copied into OUT, and in OUT/src, a
		// copy of the tree merged into.
		mk(filepath.Join(out, "a.txt"), "a, older", 0o600, older)
		mk(filepath.Join(out, "exec.sh"), "echo newer", 0o700, newer)
		mk(filepath.Join(out, "mine.txt"), "not the source's", 0o644, older)
		mk(filepath.Join(out, "src", "a.txt"), "a, older", 0o600, older)
		mk(filepath.Join(out, "src", "exec.sh"), "echo newer", 0o755, newer)
		mk(filepath.Join(out, "src", "dir", "b.txt"), "b, older", 0o600, older)
		mk(filepath.Join(out, "src", "dir", "sub", "c.txt"), "c, newer", 0o640, newer)
		mk(filepath.Join(out, "src", "dir", "mine.txt"), "not the source's", 0o644, older)
		mk(filepath.Join(out, "b.txt"), "b, newer", 0o600, newer)
		mk(filepath.Join(out, "sub", "c.txt"), "c, older", 0o640, older)
		for _, d := range []string{"src/dir/sub", "src/dir", "src", "sub"} {
			if err := os.Chtimes(filepath.Join(out, d), older, older); err != nil {
				t.Fatal(err)
			}
		}
	}
	return snapshot(t, out)
}

// entry is what is compared of one entry of a tree.
type entry struct {
	mode   fs.FileMode // type and permission bits
	data   string      // a regular file's SHA-256, a link's target
	mtime  time.Time
	ino    uint64 // for hard-link groups
	nlink  uint64
	blocks int64
}

// snapshot describes the tree at root, by slash-separated path relative to
// it ("." not included).
func snapshot(t *testing.T, root string) map[string]entry {
	t.Helper()
	m := make(map[string]entry)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := entry{mode: fi.Mode(), mtime: fi.ModTime(), ino: st.Ino, nlink: uint64(st.Nlink), blocks: st.Blocks}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			e.data, err = os.Readlink(p)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = os.ReadFile(p)
			e.data = fmt.Sprintf("%x (%d bytes)", sha256.Sum256(b), len(b))
		}
		m[filepath.ToSlash(rel)] = e
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// compareTrees says how got differs from want: names, types, permission
// bits (not of symbolic links), contents, link targets, hard-link groups,
// and modification times where times says (for all entries but symbolic
// links), or where either is older than the test (kept, or preserved).
func compareTrees(want, got map[string]entry, times bool) string {
	var diffs []string
	names := make([]string, 0, len(want)+len(got))
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	recent := time.Now().Add(-time.Hour / 2) // cpEpoch is years ago
	for _, n := range names {
		w, inW := want[n]
		g, inG := got[n]
		switch {
		case !inG:
			diffs = append(diffs, fmt.Sprintf("%s: missing (want %v)", n, w.mode))
			continue
		case !inW:
			diffs = append(diffs, fmt.Sprintf("%s: extra (%v)", n, g.mode))
			continue
		}
		wm, gm := w.mode, g.mode
		if wm&fs.ModeSymlink != 0 && gm&fs.ModeSymlink != 0 {
			wm, gm = fs.ModeSymlink, fs.ModeSymlink
		}
		if wm != gm {
			diffs = append(diffs, fmt.Sprintf("%s: mode %v, %v", n, w.mode, g.mode))
		}
		if w.data != g.data {
			diffs = append(diffs, fmt.Sprintf("%s: %q, %q", n, w.data, g.data))
		}
		if w.mode&fs.ModeSymlink == 0 && w.mode.IsDir() == false && w.nlink != g.nlink {
			diffs = append(diffs, fmt.Sprintf("%s: %d links, %d", n, w.nlink, g.nlink))
		}
		old := w.mtime.Before(recent) || g.mtime.Before(recent)
		if w.mode&fs.ModeSymlink == 0 && (times && !w.mode.IsDir() || old && !w.mode.IsDir()) && !w.mtime.Equal(g.mtime) {
			diffs = append(diffs, fmt.Sprintf("%s: modified %v, %v", n, w.mtime, g.mtime))
		}
		if times && w.mode.IsDir() && !w.mtime.Equal(g.mtime) {
			diffs = append(diffs, fmt.Sprintf("%s: directory modified %v, %v", n, w.mtime, g.mtime))
		}
	}
	// Hard-link groups: entries sharing an inode in one tree share one in
	// the other.
	group := func(m map[string]entry) map[string]string {
		byIno := make(map[uint64][]string)
		for n, e := range m {
			if !e.mode.IsDir() {
				byIno[e.ino] = append(byIno[e.ino], n)
			}
		}
		g := make(map[string]string)
		for _, ns := range byIno {
			slices.Sort(ns)
			for _, n := range ns {
				g[n] = strings.Join(ns, " ")
			}
		}
		return g
	}
	wg, gg := group(want), group(got)
	for _, n := range names {
		if wg[n] != gg[n] && strings.Contains(wg[n]+gg[n], " ") {
			diffs = append(diffs, fmt.Sprintf("%s: hard links [%s], [%s]", n, wg[n], gg[n]))
		}
	}
	return strings.Join(diffs, "\n")
}
