package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/extfs/extfs"
)

// extcp runs the command with args and returns its exit status, stdout and
// stderr.
func extcp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	t.Logf("extcp %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantFile(t *testing.T, name, data string) {
	t.Helper()
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != data {
		t.Fatalf("%s: %q, want %q", name, got, data)
	}
}

func wantNotExist(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: exists (%v), should not", name, err)
	}
}

// summaryLine matches the summary extcp prints at the end.
var summaryLine = regexp.MustCompile(`^\d+ files?, \d+ dirs?, \d+ symlinks?: [\d.]+ [KMGTPE]?i?B \([\d.]+ [KMGTPE]?i?B cloned, [\d.]+ [KMGTPE]?i?B copied, [\d.]+ [KMGTPE]?i?B holes\) in [\d.]+ m?s(, [\d.]+ [KMGTPE]?i?B/s)?`)

func TestFileToFile(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writeFile(t, src, "hello")
	code, stdout, stderr := extcp(t, "--summary", src, dst)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	wantFile(t, dst, "hello")
	if !summaryLine.MatchString(stdout) || !strings.HasPrefix(stdout, "1 file, 0 dirs, 0 symlinks: 5 B") {
		t.Errorf("summary %q", stdout)
	}

	// An existing destination is replaced, as cp overwrites it.
	writeFile(t, src, "hello again")
	if code, _, _ := extcp(t, "-q", src, dst); code != 0 {
		t.Fatalf("replacing: exit %d", code)
	}
	wantFile(t, dst, "hello again")

	// Not onto itself.
	code, _, stderr = extcp(t, src, src)
	if code != 1 || stderr != "extcp: "+src+": same file as "+src+"\n" {
		t.Errorf("onto itself: exit %d, stderr %q", code, stderr)
	}
	wantFile(t, src, "hello again")
}

func TestFileToDir(t *testing.T) {
	dir := t.TempDir()
	a, b, out := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "out")
	writeFile(t, a, "A")
	writeFile(t, b, "B")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := extcp(t, a, out); code != 0 {
		t.Fatalf("one file: exit %d", code)
	}
	wantFile(t, filepath.Join(out, "a"), "A")
	if code, _, _ := extcp(t, a, b, out+"/"); code != 0 {
		t.Fatalf("two files: exit %d", code)
	}
	wantFile(t, filepath.Join(out, "b"), "B")

	// A SRC given twice is copied once, with a warning.
	code, _, stderr := extcp(t, a, a, out)
	if code != 0 || stderr != "extcp: "+a+": warning: given more than once; copied once\n" {
		t.Errorf("twice: exit %d, stderr %q", code, stderr)
	}

	// Several SRCs need a directory.
	code, _, stderr = extcp(t, a, b, filepath.Join(dir, "c"))
	if code != 1 || !strings.Contains(stderr, "extcp: "+filepath.Join(dir, "c")+": target is not a directory") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	wantNotExist(t, filepath.Join(dir, "c"))
}

func TestRecursive(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "tree")
	writeFile(t, filepath.Join(src, "top.txt"), "top")
	writeFile(t, filepath.Join(src, "sub", "deeper", "f.txt"), "deep")
	if err := os.Mkdir(filepath.Join(src, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlinks := extfs.Symlink("sub/deeper/f.txt", filepath.Join(src, "link")) == nil
	file := filepath.Join(dir, "file")
	writeFile(t, file, "F")

	// Without -r the directory is refused, the file still copied.
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := extcp(t, src, file, out)
	if code != 1 || stderr != "extcp: "+src+": -r not specified; omitting directory\n" {
		t.Fatalf("without -r: exit %d, stderr %q", code, stderr)
	}
	wantFile(t, filepath.Join(out, "file"), "F")
	wantNotExist(t, filepath.Join(out, "tree"))

	// -r to a new name, then into an existing directory.
	for _, tc := range []struct{ dst, at string }{
		{filepath.Join(dir, "copy"), filepath.Join(dir, "copy")},
		{out, filepath.Join(out, "tree")},
	} {
		code, stdout, _ := extcp(t, "-r", "--summary", src, tc.dst)
		if code != 0 {
			t.Fatalf("-r %s: exit %d", tc.dst, code)
		}
		wantFile(t, filepath.Join(tc.at, "top.txt"), "top")
		wantFile(t, filepath.Join(tc.at, "sub", "deeper", "f.txt"), "deep")
		if fi, err := os.Stat(filepath.Join(tc.at, "empty")); err != nil || !fi.IsDir() {
			t.Errorf("empty dir: %v", err)
		}
		if symlinks {
			if target, err := os.Readlink(filepath.Join(tc.at, "link")); err != nil || target != "sub/deeper/f.txt" {
				t.Errorf("link: %q, %v", target, err)
			}
		}
		if !strings.HasPrefix(stdout, "2 files, 4 dirs, ") {
			t.Errorf("summary %q", stdout)
		}
	}

	// Copying again merges into the copy, replacing files.
	writeFile(t, filepath.Join(src, "top.txt"), "top, changed")
	if code, _, _ := extcp(t, "-r", src, out); code != 0 {
		t.Fatalf("merge: exit %d", code)
	}
	wantFile(t, filepath.Join(out, "tree", "top.txt"), "top, changed")

	// A directory does not replace a file.
	code, _, stderr = extcp(t, "-r", src, file)
	if code != 1 || !strings.Contains(stderr, "cannot overwrite non-directory with directory") {
		t.Errorf("dir onto file: exit %d, stderr %q", code, stderr)
	}
}

func TestArchive(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := buildDemo(src, caps.Xattr == extfs.Yes)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := extcp(t, "-a", src, dst)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// Every file, mode, time (to the nanosecond), owner, xattr, link and
	// hard-link group.
	checked, problems := verifyCopy(src, dst, tree)
	t.Logf("checked: %s", strings.Join(checked, "; "))
	for _, p := range problems {
		t.Error(p)
	}

	// And a few by hand, so that the check above is not taken on trust.
	f := "docs/file001.dat"
	ss, err := extfs.Statx(filepath.Join(src, f))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := extfs.Statx(filepath.Join(dst, f))
	if err != nil {
		t.Fatal(err)
	}
	if ds.Mode != ss.Mode || !ds.Mtime.Equal(ss.Mtime) || ds.Mtime.Nanosecond() == 0 {
		t.Errorf("%s: mode %v mtime %v, source %v %v", f, ds.Mode, ds.Mtime, ss.Mode, ss.Mtime)
	}
	if caps.Xattr == extfs.Yes {
		if v, err := extfs.GetXattr(filepath.Join(dst, f), "user.demo.n0"); err != nil || string(v) != "value 0 of docs/file001.dat" {
			t.Errorf("xattr: %q, %v", v, err)
		}
	}
	if tree.linkGroup > 0 {
		a, _ := extfs.Statx(filepath.Join(dst, "data/blobs/blob"))
		b, _ := extfs.Statx(filepath.Join(dst, "docs/blob-link"))
		if a == nil || b == nil || a.Ino != b.Ino || a.Nlink != 3 {
			t.Errorf("hard links not kept: %+v %+v", a, b)
		}
	}
}

// TestArchiveOperands: -a copies a symbolic link SRC as a link, and keeps
// hard links among the SRC files.
func TestArchiveOperands(t *testing.T) {
	dir := t.TempDir()
	f, g, l, out := filepath.Join(dir, "f"), filepath.Join(dir, "g"), filepath.Join(dir, "l"), filepath.Join(dir, "out")
	writeFile(t, f, "data")
	if err := extfs.Link(f, g); err != nil {
		t.Skip("no hard links:", err)
	}
	if err := extfs.Symlink("f", l); err != nil {
		t.Skip("no symbolic links:", err)
	}
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
	if err := os.Chtimes(f, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := extcp(t, "-a", "--summary=always", f, g, l, out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if target, err := os.Readlink(filepath.Join(out, "l")); err != nil || target != "f" {
		t.Errorf("l: %q, %v", target, err)
	}
	a, err := extfs.Statx(filepath.Join(out, "f"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := extfs.Statx(filepath.Join(out, "g"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Ino != b.Ino || !a.Mtime.Equal(mtime) {
		t.Errorf("f and g: inodes %d %d, mtime %v", a.Ino, b.Ino, a.Mtime)
	}
	if !strings.Contains(stdout, "hardlink 1") || !strings.Contains(stdout, "1 symlink") {
		t.Errorf("summary %q", stdout)
	}

	// Without -a (or -P) a link SRC is followed.
	if code, _, _ := extcp(t, l, filepath.Join(dir, "followed")); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "followed")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("followed: %v, %v", fi, err)
	}
}

// TestReflinkAlways: --reflink=always clones where the filesystem of the
// temporary directory can (set TMPDIR to an XFS or btrfs mount to see it),
// and otherwise fails cleanly, with the reason, leaving nothing behind.
func TestReflinkAlways(t *testing.T) {
	dir := t.TempDir()
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	src, dst, other := filepath.Join(dir, "src"), filepath.Join(dir, "dst"), filepath.Join(dir, "other")
	writeFile(t, src, strings.Repeat("clone me ", 10000))
	writeFile(t, other, "x")
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := extcp(t, "--reflink=always", "--json", src, other, out)
	var st jsonStats
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("--json: %v", err)
	}
	if caps.Clone == extfs.Yes {
		t.Logf("%s clones", caps.Filesystem)
		if code != 0 || st.ClonedBytes != 90001 || st.ByMethod[extfs.MethodClone] != 2 {
			t.Errorf("exit %d, stats %+v", code, st)
		}
		wantFile(t, filepath.Join(out, "src"), strings.Repeat("clone me ", 10000))
		return
	}
	t.Logf("%s does not clone", caps.Filesystem)
	if code != 1 || st.Errors != 2 || st.Files != 0 {
		t.Errorf("exit %d, stats %+v", code, st)
	}
	for _, name := range []string{src, other} {
		if !strings.Contains(stderr, "extcp: "+name+": clone: ") || !strings.Contains(stderr, "operation not supported") {
			t.Errorf("stderr %q does not say why %s was not cloned", stderr, name)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 0 {
		t.Errorf("left behind in %s: %v (%v)", out, entries, err)
	}

	// The file alone, to a new name: the same.
	code, _, stderr = extcp(t, "--reflink", src, dst)
	if code != 1 || !strings.HasPrefix(stderr, "extcp: "+src+": clone: the "+caps.Filesystem+" filesystem cannot share blocks") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	wantNotExist(t, dst)
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus", "a", "b"},
		{"-z", "a", "b"},
		{"--reflink=sometimes", "a", "b"},
		{"--sparse=maybe", "a", "b"},
		{"--preserve=colour", "a", "b"},
		{"--progress=often", "a", "b"},
		{"-j", "-1", "a", "b"},
		{"a"},
		{"-r"},
		{"--demo", "a"},
	} {
		code, stdout, stderr := extcp(t, args...)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "extcp: ") ||
			!strings.Contains(stderr, "\nUsage: extcp [OPTION]... [-T] SRC DST\n") ||
			!strings.HasSuffix(stderr, "Try 'extcp --help' for more information.\n") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	for _, help := range []string{"--help", "-h", "help"} {
		code, stdout, stderr := extcp(t, help)
		if code != 0 || !strings.HasPrefix(stdout, "Usage: extcp") || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", help, code, stdout, stderr)
		}
	}
}

func TestMissingSource(t *testing.T) {
	dir := t.TempDir()
	a, missing, b, out := filepath.Join(dir, "a"), filepath.Join(dir, "missing"), filepath.Join(dir, "b"), filepath.Join(dir, "out")
	writeFile(t, a, "A")
	writeFile(t, b, "B")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := extcp(t, "--summary", a, missing, b, out)
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	if want := "extcp: " + missing + ": no such file or directory\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	wantFile(t, filepath.Join(out, "a"), "A")
	wantFile(t, filepath.Join(out, "b"), "B")
	if !strings.HasPrefix(stdout, "2 files, ") || !strings.HasSuffix(stdout, "; 1 error\n") {
		t.Errorf("summary %q", stdout)
	}
}

func TestJSON(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "a"), "12345")
	writeFile(t, filepath.Join(src, "d", "b"), "123")
	writeFile(t, filepath.Join(src, "d", "empty"), "")
	code, stdout, stderr := extcp(t, "-r", "--json", src, filepath.Join(dir, "dst"))
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var st jsonStats
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatal(err)
	}
	var methods int64
	for _, n := range st.ByMethod {
		methods += n
	}
	if st.Files != 3 || st.Dirs != 2 || st.Bytes != 8 || st.ClonedBytes+st.CopiedBytes+st.HoleBytes != 8 ||
		methods != 2 || st.Errors != 0 || st.ElapsedSeconds <= 0 {
		t.Errorf("%+v", st)
	}
}

// TestProgress: --progress=always draws a bar on stderr, --progress only on
// a terminal (a buffer is none), and the summary is the same.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "big")
	writeFile(t, src, strings.Repeat("x", 20<<20))
	code, stdout, stderr := extcp(t, "--progress=always", "--summary", "--reflink=never", src, filepath.Join(dir, "1"))
	if code != 0 || !strings.Contains(stderr, "%") || !strings.Contains(stderr, "/20 MiB)") || !summaryLine.MatchString(stdout) {
		t.Errorf("--progress=always: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = extcp(t, "--progress", "--summary", src, filepath.Join(dir, "2"))
	if code != 0 || stderr != "" || !summaryLine.MatchString(stdout) {
		t.Errorf("--progress, not a terminal: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestDemo(t *testing.T) {
	for _, args := range [][]string{{"--demo"}, nil} {
		start := time.Now()
		code, stdout, stderr := extcp(t, args...)
		if code != 0 || stderr != "" {
			t.Fatalf("%q: exit %d, stderr %q", args, code, stderr)
		}
		for _, want := range []string{"\nfilesystem ", "\nverify       ok: ", "\nmechanisms ", "\ncleanup      removed ", "\nPASS ("} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q: no %q in the output", args, want)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q took %v", args, d)
		}
	}
}

// TestVerifyCopy: the demo's check finds what is wrong with a copy.
func TestVerifyCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	caps, err := extfs.Probe(dir)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := buildDemo(src, caps.Xattr == extfs.Yes)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := extcp(t, "-a", "-q", src, dst); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, problems := verifyCopy(src, dst, tree); len(problems) > 0 {
		t.Fatalf("a good copy: %q", problems)
	}

	// Damage the copy in as many ways as the filesystem allows.
	damage := map[string]func() error{
		"contents differ": func() error {
			return os.WriteFile(filepath.Join(dst, "src/file003.dat"), []byte("changed"), 0o644)
		},
		"mode -rw-r--r--, copy -rwxrwxrwx": func() error { return os.Chmod(filepath.Join(dst, "docs/file001.dat"), 0o777) },
		"modified": func() error {
			return os.Chtimes(filepath.Join(dst, "data/file006.dat"), demoEpoch, demoEpoch.Add(time.Nanosecond))
		},
		"missing in the copy":            func() error { return os.Remove(filepath.Join(dst, "docs/file011.dat")) },
		"in the copy, not in the source": func() error { return os.WriteFile(filepath.Join(dst, ".tmp"), nil, 0o644) },
	}
	if tree.linkGroup > 0 {
		damage["links, copy"] = func() error {
			name := filepath.Join(dst, "docs/blob-link")
			if err := os.Remove(name); err != nil {
				return err
			}
			return os.WriteFile(name, []byte(strings.Repeat("hard-linked content\n", 1000)), 0o644)
		}
	}
	if tree.symlinks > 0 {
		damage["link to"] = func() error {
			name := filepath.Join(dst, "dangling")
			if err := os.Remove(name); err != nil {
				return err
			}
			return extfs.Symlink("elsewhere", name)
		}
	}
	if tree.xattrs > 0 {
		damage["xattr user.demo.n1"] = func() error {
			return extfs.SetXattr(filepath.Join(dst, "src/file003.dat"), "user.demo.n1", []byte("other"), 0)
		}
	}
	if tree.sparse != "" {
		damage["holes filled"] = func() error {
			f, err := os.OpenFile(filepath.Join(dst, "data/sparse.img"), os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt(make([]byte, 4<<20), 1<<20)
			return err
		}
	}
	for what, f := range damage {
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, problems := verifyCopy(src, dst, tree)
	all := strings.Join(problems, "\n")
	for what := range damage {
		if !strings.Contains(all, what) {
			t.Errorf("not found: %q", what)
		}
	}
	if t.Failed() {
		t.Logf("problems found:\n%s", all)
	}
}

// TestSpecial: with -r a FIFO SRC is made anew, not read.
func TestSpecial(t *testing.T) {
	dir := t.TempDir()
	d, err := extfs.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Mkfifo("fifo", 0o640); err != nil {
		t.Skip("no FIFOs:", err)
	}
	fifo := filepath.Join(dir, "fifo")
	code, _, stderr := extcp(t, fifo, filepath.Join(dir, "read"))
	if code != 1 || !strings.Contains(stderr, "extcp: "+fifo+": not a regular file") {
		t.Errorf("without -r: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := extcp(t, "-a", fifo, filepath.Join(dir, "made")); code != 0 {
		t.Fatalf("-a: exit %d", code)
	}
	st, err := extfs.Lstatx(filepath.Join(dir, "made"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != fs.ModeNamedPipe|0o640 {
		t.Errorf("mode %v", st.Mode)
	}
}

// TestReportJSON: --json names the methods (extfs.Method's text form) and
// prints an empty by_method, not null, when no file was copied.
func TestReportJSON(t *testing.T) {
	for _, tt := range []struct {
		by   map[extfs.Method]int64
		want string
	}{
		{map[extfs.Method]int64{extfs.MethodHardlink: 1, extfs.MethodClone: 2, extfs.MethodReadWrite: 3},
			`"by_method": {
    "clone": 2,
    "hardlink": 1,
    "read/write": 3
  },`},
		{nil, `"by_method": {},`},
	} {
		var b strings.Builder
		r := result{stats: extfs.CopyStats{Files: 6, ByMethod: tt.by}, elapsed: time.Second}
		if err := report(&b, config{json: true}, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("ByMethod %v: --json printed\n%s\nwant it to contain\n%s", tt.by, b.String(), tt.want)
		}
	}
}

// TestTreeEntryErrors: an entry of a tree that fails is reported on stderr,
// one line, the rest of the tree is copied (and named by -v), and the exit
// status is 1, as with cp.
func TestTreeEntryErrors(t *testing.T) {
	dir := t.TempDir()
	src, out := filepath.Join(dir, "src"), filepath.Join(dir, "out")
	writeFile(t, filepath.Join(src, "a.txt"), "a")
	writeFile(t, filepath.Join(src, "x"), "a file here")
	writeFile(t, filepath.Join(src, "sub", "c.txt"), "c")
	if err := os.Symlink("nowhere", filepath.Join(src, "sub", "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(src, "sub", "up")); err != nil { // a loop, with -L
		t.Fatal(err)
	}
	// In the destination, a directory where the source has the file x.
	writeFile(t, filepath.Join(out, "src", "x", "y"), "keep me")

	code, stdout, stderr := extcp(t, "-rLv", src, out)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	at := filepath.Join(out, "src")
	wantFile(t, filepath.Join(at, "a.txt"), "a")
	wantFile(t, filepath.Join(at, "sub", "c.txt"), "c")
	wantFile(t, filepath.Join(at, "x", "y"), "keep me")
	wantNotExist(t, filepath.Join(at, "sub", "dangling"))
	wantNotExist(t, filepath.Join(at, "sub", "up"))

	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 3 {
		t.Fatalf("stderr: %d lines, want 3 (x, dangling, up):\n%s", len(lines), stderr)
	}
	for _, name := range []string{"x", "sub/dangling", "sub/up"} {
		prefix := "extcp: " + filepath.Join(src, filepath.FromSlash(name)) + ": "
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) }) {
			t.Errorf("stderr names no %s:\n%s", name, stderr)
		}
	}
	said := func(rel string) string {
		return "'" + filepath.Join(src, rel) + "' -> '" + filepath.Join(at, rel) + "'\n"
	}
	for _, rel := range []string{"a.txt", "sub/c.txt", "sub"} {
		if !strings.Contains(stdout, said(rel)) {
			t.Errorf("-v does not name %s:\n%s", rel, stdout)
		}
	}
	for _, rel := range []string{"x", "sub/dangling", "sub/up", "."} { // out/src existed: merged into, not named
		if strings.Contains(stdout, said(rel)) {
			t.Errorf("-v names %s:\n%s", rel, stdout)
		}
	}
}

func TestUnreported(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	for _, tt := range []struct {
		err      error
		reported []error
		want     []error
	}{
		{nil, nil, nil},
		{a, nil, []error{a}},
		{errors.Join(a, b), []error{a, b}, nil},
		{a, []error{a}, nil},
		{c, []error{a, b}, []error{c}},
		{errors.Join(a, c), []error{a}, []error{c}},
	} {
		got := unreported(tt.err, tt.reported)
		if (got == nil) != (tt.want == nil) {
			t.Errorf("unreported(%v, %v) = %v, want %v", tt.err, tt.reported, got, tt.want)
		}
		for _, w := range tt.want {
			if !errors.Is(got, w) {
				t.Errorf("unreported(%v, %v) = %v, want %v in it", tt.err, tt.reported, got, w)
			}
		}
	}
}
