package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/extfs/extfs"
	"github.com/extfs/extfs/internal/testfs"
)

// TestDebug: --debug says, per file, what cp 9.2's --debug says (and
// implies -v), in a tree too.
func TestDebug(t *testing.T) {
	testfs.Each(t, func(t *testing.T, fsys *testfs.FS) { debugOn(t, fsys.TempDir(t)) })
}

func debugOn(t *testing.T, dir string) {
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "f"), strings.Repeat("debug me ", 1000))
	code, stdout, stderr := extcp(t, "--debug", filepath.Join(src, "f"), filepath.Join(dir, "f1"))
	stdout0 := stdout
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := "'" + filepath.Join(src, "f") + "' -> '" + filepath.Join(dir, "f1") + "'\n"
	switch {
	case caps.Clone == extfs.Yes:
		want += "copy offload: unknown, reflink: yes, sparse detection: unknown\n"
	case caps.CopyFileRange == extfs.Yes:
		want += "copy offload: yes, reflink: unsupported, sparse detection: no\n"
	default:
		want += "copy offload: unsupported, reflink: unsupported, sparse detection: no, method: "
	}
	if !strings.HasPrefix(stdout, want) {
		t.Errorf("--debug on %s said\n%s\nwant\n%s", caps.Filesystem, stdout, want)
	}

	// A clone's summary has no rate; a copy's has.
	code, stdout, _ = extcp(t, "--summary", filepath.Join(src, "f"), filepath.Join(dir, "f3"))
	if code != 0 || !summaryLine.MatchString(stdout) || strings.Contains(stdout, "/s") != (caps.Clone != extfs.Yes) {
		t.Errorf("--summary, clone %v: %q", caps.Clone, stdout)
	}

	code, stdout, _ = extcp(t, "--debug", "--reflink=never", "--sparse=always", filepath.Join(src, "f"), filepath.Join(dir, "f2"))
	if code != 0 || !strings.Contains(stdout, "\ncopy offload: avoided, reflink: avoided, sparse detection: SEEK_HOLE + zeros") {
		t.Errorf("--reflink=never --sparse=always: exit %d, %q", code, stdout)
	}

	// A tree: the file's line as above, a sparse file's, an empty file's;
	// the directories and the link with no debug line.
	fileLine := strings.SplitN(stdout0, "\n", 3)[1]
	sparse := filepath.Join(src, "sub", "sparse")
	writeFile(t, sparse, "")
	if err := os.Truncate(sparse, 1<<20); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(src, "empty"), "")
	if err := os.Symlink("f", filepath.Join(src, "l")); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "tree")
	code, stdout, stderr = extcp(t, "--debug", "-r", src, tree)
	sparseLine := "copy offload: unknown, reflink: yes, sparse detection: unknown"
	if caps.Clone != extfs.Yes {
		sparseLine = "SEEK_HOLE"
	}
	said := func(rel string) string {
		return "'" + filepath.Join(src, rel) + "' -> '" + filepath.Join(tree, rel) + "'\n"
	}
	for _, want := range []string{
		said("f") + fileLine + "\n",
		said("sub/sparse") + "copy offload: ",
		said("empty") + "copy offload: unknown, reflink: unsupported, sparse detection: no\n",
		said("l") + "'",
		said("sub") + "'",
		"'" + src + "' -> '" + tree + "'\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("a tree: no %q", want)
		}
	}
	if _, after, _ := strings.Cut(stdout, said("sub/sparse")); !strings.Contains(strings.SplitN(after, "\n", 2)[0], sparseLine) {
		t.Errorf("a tree's sparse file: %q, want %q", after, sparseLine)
	}
	if code != 0 || stderr != "" || strings.Count(stdout, "\n") != 9 {
		t.Errorf("a tree: exit %d, stderr %q, %d lines, want 9:\n%s", code, stderr, strings.Count(stdout, "\n"), stdout)
	}
}

// TestDebugLine: what each method and option gives.
func TestDebugLine(t *testing.T) {
	for _, tt := range []struct {
		m     extfs.Method
		holes bool
		opt   extfs.CopyOptions
		want  string
	}{
		{extfs.MethodClone, true, extfs.CopyOptions{}, "copy offload: unknown, reflink: yes, sparse detection: unknown"},
		{extfs.MethodCopyFileRange, true, extfs.CopyOptions{}, "copy offload: yes, reflink: unsupported, sparse detection: SEEK_HOLE"},
		{extfs.MethodSplice, false, extfs.CopyOptions{}, "copy offload: unsupported, reflink: unsupported, sparse detection: no, method: splice"},
		{extfs.MethodReadWrite, false, extfs.CopyOptions{CoW: extfs.CoWNever, Sparse: extfs.SparseNever},
			"copy offload: avoided, reflink: avoided, sparse detection: no, method: read/write"},
		{extfs.MethodCreated, false, extfs.CopyOptions{}, "copy offload: unknown, reflink: unsupported, sparse detection: no"},
	} {
		if got := debugLine(tt.m, tt.holes, &tt.opt); got != tt.want {
			t.Errorf("%v holes %v %+v: %q, want %q", tt.m, tt.holes, tt.opt, got, tt.want)
		}
	}
	if m := mainMethod(&extfs.CopyStats{}); m != extfs.MethodCreated {
		t.Errorf("no data: %v, want created", m)
	}
}

// TestSummary: off for a quick copy unless asked; no rate for clones.
func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		summary string
		elapsed time.Duration
		printed bool
	}{
		{"auto", 10 * time.Millisecond, false},
		{"auto", 2 * time.Second, true},
		{"always", time.Millisecond, true},
		{"never", time.Minute, false},
	} {
		var b strings.Builder
		r := result{stats: extfs.CopyStats{Files: 1, Bytes: 1 << 20, CopiedBytes: 1 << 20}, elapsed: tt.elapsed}
		if err := report(&b, config{summary: tt.summary}, r); err != nil {
			t.Fatal(err)
		}
		if (b.Len() > 0) != tt.printed {
			t.Errorf("--summary=%s after %v: %q", tt.summary, tt.elapsed, b.String())
		}
	}
	cloned := result{stats: extfs.CopyStats{Files: 1, Bytes: 1 << 30, ClonedBytes: 1 << 30, ByMethod: map[extfs.Method]int64{extfs.MethodClone: 1}}, elapsed: 3 * time.Millisecond}
	if s := summary(cloned); strings.Contains(s, "/s") || s != "1 file, 0 dirs, 0 symlinks: 1.0 GiB (1.0 GiB cloned, 0 B copied, 0 B holes) in 3 ms; clone 1" {
		t.Errorf("a clone: %q", s)
	}
	mixed := result{stats: extfs.CopyStats{Files: 2, Bytes: 3 << 20, ClonedBytes: 2 << 20, CopiedBytes: 1 << 20}, elapsed: 500 * time.Millisecond}
	if s := summary(mixed); !strings.Contains(s, " in 500 ms, 2.0 MiB/s") {
		t.Errorf("rate of the bytes copied: %q", s)
	}
	if j := toJSON(cloned); j.BytesPerSecond != 0 {
		t.Errorf("--json of a clone: %v bytes/s", j.BytesPerSecond)
	}
}

// TestFlagErrors: combinations cp refuses, and values extcp does not know.
func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	writeFile(t, a, "A")
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-t", dir, "-T", a}, "cannot combine --target-directory (-t) and --no-target-directory (-T)"},
		{[]string{"-T", a, a, dir}, "extra operand '" + dir + "'"},
		{[]string{"-t", dir}, "missing file operand"},
		{[]string{"--summary=sometimes", a, dir}, "invalid argument 'sometimes' for '--summary'"},
		{[]string{"--update=newer", a, dir}, "invalid argument 'newer' for '--update'"},
	} {
		code, stdout, stderr := extcp(t, tt.args...)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "extcp: "+tt.msg) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tt.args, code, stdout, stderr)
		}
	}
	code, _, stderr := extcp(t, "-t", a, a)
	if code != 1 || stderr != "extcp: "+a+": target is not a directory\n" {
		t.Errorf("-t FILE: exit %d, stderr %q", code, stderr)
	}
}

// TestKeepMode: a file replaced without -p keeps the mode of the file it
// replaces, as cp (which writes into it) leaves it; with -p it takes the
// source's.
func TestKeepMode(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	writeFile(t, src, "new")
	writeFile(t, dst, "old")
	if err := os.Chmod(dst, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := extcp(t, src, dst); code != 0 {
		t.Fatalf("exit %d", code)
	}
	wantFile(t, dst, "new")
	if fi, err := os.Stat(dst); err != nil || fi.Mode() != 0o600 {
		t.Errorf("mode %v, %v; want -rw-------", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
	if code, _, _ := extcp(t, "-p", src, dst); code != 0 {
		t.Fatalf("-p: exit %d", code)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode() != 0o644 {
		t.Errorf("-p: mode %v, %v; want -rw-r--r--", fi.Mode(), err)
	}
}
