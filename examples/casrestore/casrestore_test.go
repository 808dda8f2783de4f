package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/extfs/extfs/internal/testfs"
)

func TestMain(m *testing.M) { os.Exit(testfs.Main(m)) }

// treeSpec is a source tree for the tests: directories (with modes applied
// after their contents, so read-only ones can be filled), files and links.
type treeSpec struct {
	dirs  []dirSpec
	files []fileSpec
	links [][2]string // path, target
}

type dirSpec struct {
	path string
	mode fs.FileMode
}

type fileSpec struct {
	path string
	mode fs.FileMode
	data []byte
}

func randBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	r.Read(b)
	return b
}

// sampleTree has duplicates (stored once), read-only files (immutable),
// an executable, an empty file, a multi-block file, a private file in a
// private directory, a read-only directory, and links relative, absolute,
// dangling and to a directory.
func sampleTree() treeSpec {
	tool := randBytes(100_000, 1)
	lib := randBytes(50_000, 2)
	return treeSpec{
		dirs: []dirSpec{
			{"bin", 0o755}, {"lib", 0o755}, {"share", 0o755}, {"share/doc", 0o750},
			{"private", 0o700}, {"ro", 0o555},
		},
		files: []fileSpec{
			{"bin/tool", 0o755, tool},
			{"bin/tool-again", 0o755, tool}, // same content: one object
			{"lib/libx.so.1", 0o444, lib},   // read-only: immutable
			{"ro/libx-copy", 0o444, lib},    // same object, immutable too
			{"lib/data", 0o644, randBytes(3<<20+123, 3)},
			{"share/doc/README", 0o644, []byte("hello, store\n")},
			{"private/secret", 0o600, []byte("s3cret\n")},
			{"empty", 0o644, nil},
			{"bin/ro-tool", 0o555, randBytes(4096, 4)},
		},
		links: [][2]string{
			{"lib/libx.so", "libx.so.1"},
			{"abs", "/etc/passwd"},
			{"dangling", "does/not/exist"},
			{"share/bin", "../bin"},
		},
	}
}

func (ts treeSpec) uniqueContents() int {
	seen := map[string]bool{}
	for _, f := range ts.files {
		seen[sha(f.data)] = true
	}
	return len(seen)
}

func (ts treeSpec) make(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range ts.dirs {
		if err := os.MkdirAll(filepath.Join(dir, d.path), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range ts.files {
		p := filepath.Join(dir, f.path)
		if err := os.WriteFile(p, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range ts.links {
		if err := os.Symlink(l[1], filepath.Join(dir, l[0])); err != nil {
			if runtime.GOOS == "windows" {
				t.Skipf("no symbolic links: %v", err)
			}
			t.Fatal(err)
		}
	}
	for i := len(ts.dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(filepath.Join(dir, ts.dirs[i].path), ts.dirs[i].mode); err != nil {
			t.Fatal(err)
		}
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func fileSHA(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha(b)
}

// compareTrees checks that dst has exactly src's entries, with the same
// type, mode bits, content (SHA-256) and link targets. It reads both trees
// itself, trusting nothing the code under test reports.
func compareTrees(t testing.TB, src, dst string) {
	t.Helper()
	list := func(root string) []string {
		var names []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatalf("walking %s: %v", root, err)
			}
			rel, _ := filepath.Rel(root, p)
			names = append(names, filepath.ToSlash(rel))
			return nil
		})
		return names
	}
	sn, dn := list(src), list(dst)
	if !slices.Equal(sn, dn) {
		t.Fatalf("restored tree has entries %q\nsource has %q", dn, sn)
	}
	for _, rel := range sn {
		sp, dp := filepath.Join(src, rel), filepath.Join(dst, rel)
		si, err1 := os.Lstat(sp)
		di, err2 := os.Lstat(dp)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", rel, err1, err2)
		}
		if si.Mode().Type() != di.Mode().Type() {
			t.Errorf("%s: type %v, source %v", rel, di.Mode().Type(), si.Mode().Type())
			continue
		}
		switch {
		case si.Mode()&fs.ModeSymlink != 0:
			st, _ := os.Readlink(sp)
			dt, _ := os.Readlink(dp)
			if st != dt {
				t.Errorf("%s: link to %q, source to %q", rel, dt, st)
			}
			continue
		case si.Mode().IsRegular():
			if fileSHA(t, sp) != fileSHA(t, dp) {
				t.Errorf("%s: content differs", rel)
			}
		}
		if sm, dm := si.Mode()&modeBits, di.Mode()&modeBits; sm != dm {
			t.Errorf("%s: mode %v, source %v", rel, dm, sm)
		}
	}
}

type fixture struct {
	src, store, manifest, out string
	spec                      treeSpec
	m                         *Manifest
	ist                       ingestStats
}

// newFixture makes the sample tree in base and ingests it.
func newFixture(t testing.TB, base string) *fixture {
	t.Helper()
	f := &fixture{
		src:      filepath.Join(base, "src"),
		store:    filepath.Join(base, "store"),
		manifest: filepath.Join(base, "manifest.json"),
		out:      filepath.Join(base, "out"),
		spec:     sampleTree(),
	}
	if err := os.Mkdir(f.out, 0o755); err != nil {
		t.Fatal(err)
	}
	// Read-only directories (ro/, 0555) stop the removal of base by
	// anyone but root: make them writable first.
	t.Cleanup(func() { removeTree(base) })
	f.spec.make(t, f.src)
	var err error
	f.ist, err = ingest(context.Background(), f.src, f.store, f.manifest, ingestOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if f.m, err = readManifest(f.manifest); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) restore(t testing.TB, name string, o restoreOptions) (string, restoreStats, error) {
	dst := filepath.Join(f.out, name)
	st, err := restore(context.Background(), f.m, f.store, dst, o)
	return dst, st, err
}

func TestIngest(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ts := f.spec
	if f.ist.Files != int64(len(ts.files)) || f.ist.Objects != int64(ts.uniqueContents()) ||
		f.ist.Deduped != int64(len(ts.files)-ts.uniqueContents()) || f.ist.Symlinks != int64(len(ts.links)) {
		t.Errorf("ingest stats %+v; want %d files, %d objects", f.ist, len(ts.files), ts.uniqueContents())
	}
	// Every object is named by its content and read-only.
	n := 0
	filepath.WalkDir(f.store, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(f.store, p)
		if strings.HasPrefix(rel, incomingDir) {
			t.Errorf("left in the store: %s", rel)
			return nil
		}
		n++
		if got := fileSHA(t, p); filepath.ToSlash(rel) != objectName(got) {
			t.Errorf("object %s holds content %s", rel, got)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm()&0o222 != 0 && runtime.GOOS != "windows" {
			t.Errorf("object %s is writable: %v", rel, fi.Mode())
		}
		return nil
	})
	if n != ts.uniqueContents() {
		t.Errorf("%d objects in the store, want %d", n, ts.uniqueContents())
	}
	// The manifest: sorted, root first, immutable where read-only.
	if f.m.Entries[0].Path != "." || f.m.Entries[0].Type != TypeDir {
		t.Errorf("first entry %+v, want the root", f.m.Entries[0])
	}
	for _, e := range f.m.Entries {
		if e.Type != TypeFile {
			continue
		}
		want := e.Mode.FileMode()&0o222 == 0
		if e.Immutable != want {
			t.Errorf("%s (mode %v): immutable %v", e.Path, e.Mode.FileMode(), e.Immutable)
		}
	}

	// Ingesting again stores nothing new; -immutable patterns flag files.
	m2 := filepath.Join(t.TempDir(), "m2.json")
	st, err := ingest(context.Background(), f.src, f.store, m2, ingestOptions{Immutable: []string{"bin/*"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects != 0 || st.Deduped != int64(len(ts.files)) {
		t.Errorf("second ingest: %+v, want everything deduplicated", st)
	}
	m, err := readManifest(m2)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Entries {
		if strings.HasPrefix(e.Path, "bin/") && !e.Immutable {
			t.Errorf("%s not flagged by -immutable bin/*", e.Path)
		}
	}
}

func TestRestoreModes(t *testing.T) {
	f := newFixture(t, t.TempDir())
	for _, mode := range []string{ModeClone, ModeCopy, ModeHardlinkImmutable} {
		for _, verify := range []bool{false, true} {
			name := mode
			if verify {
				name += "-verify"
			}
			t.Run(name, func(t *testing.T) {
				dst, st, err := f.restore(t, name, restoreOptions{Mode: mode, Verify: verify, Sync: verify, Workers: 4})
				if err != nil {
					t.Fatal(err)
				}
				compareTrees(t, f.src, dst)
				if st.Files != int64(len(f.spec.files)) || st.Symlinks != int64(len(f.spec.links)) {
					t.Errorf("stats %+v", st)
				}
				if verify && st.VerifiedObjects != int64(f.spec.uniqueContents()) {
					t.Errorf("verified %d objects, want each of the %d once", st.VerifiedObjects, f.spec.uniqueContents())
				}
				// Hard links to objects exactly for the immutable files whose
				// object has their mode.
				for _, e := range f.m.Entries {
					if e.Type != TypeFile {
						continue
					}
					fi, _ := os.Stat(filepath.Join(dst, e.Path))
					oi, _ := os.Stat(objectPath(f.store, e.Hash))
					linked := os.SameFile(fi, oi)
					want := mode == ModeHardlinkImmutable && e.Immutable && oi.Mode()&modeBits == e.Mode.FileMode()
					if linked != want {
						t.Errorf("%s: hard link to its object %v, want %v", e.Path, linked, want)
					}
				}
				if mode == ModeHardlinkImmutable && st.Hardlinked != 3 { // lib/libx.so.1, ro/libx-copy, bin/ro-tool
					t.Errorf("%d hard links, want 3", st.Hardlinked)
				}
				entries, _ := os.ReadDir(f.out)
				for _, e := range entries {
					if strings.Contains(e.Name(), ".casrestore-") {
						t.Errorf("staging directory left: %s", e.Name())
					}
				}
			})
		}
	}
}

// TestRestoreDamagedStore: a corrupt, truncated or missing object fails the
// restore with the path of a file that needs it, and leaves nothing: no
// dst, no staging directory, no file.
func TestRestoreDamagedStore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, obj string)
		verify bool
		want   string
	}{
		{"corrupt", flipByte, true, "is corrupt"},
		{"truncated", func(t *testing.T, obj string) { chmodW(t, obj); os.Truncate(obj, 10) }, false, "is damaged"},
		{"missing", func(t *testing.T, obj string) { os.Remove(obj) }, false, "store object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, t.TempDir())
			data := f.spec.files[4] // lib/data, 3 MiB
			tc.damage(t, objectPath(f.store, sha(data.data)))
			dst, _, err := f.restore(t, "dst", restoreOptions{Mode: ModeClone, Verify: tc.verify})
			if err == nil {
				t.Fatal("restore from a damaged store succeeded")
			}
			if !strings.Contains(err.Error(), "restore "+data.path+":") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s and say %q", err, data.path, tc.want)
			}
			if _, err := os.Lstat(dst); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("dst exists after a failed restore: %v", err)
			}
			if entries, _ := os.ReadDir(f.out); len(entries) != 0 {
				t.Errorf("left next to dst: %v", entries)
			}
		})
	}
	// A corrupt object of the same size passes the size check: only
	// -verify sees it.
	f := newFixture(t, t.TempDir())
	flipByte(t, objectPath(f.store, sha(f.spec.files[4].data)))
	if _, _, err := f.restore(t, "dst", restoreOptions{}); err != nil {
		t.Errorf("restore without -verify read the object: %v", err)
	}
}

func chmodW(t *testing.T, p string) {
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, obj string) {
	chmodW(t, obj)
	b, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(obj, b, 0o444); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreDst(t *testing.T) {
	f := newFixture(t, t.TempDir())
	// An empty directory is replaced.
	empty := filepath.Join(f.out, "empty")
	os.Mkdir(empty, 0o755)
	if dst, _, err := f.restore(t, "empty", restoreOptions{}); err != nil {
		t.Fatal(err)
	} else {
		compareTrees(t, f.src, dst)
	}
	// Anything else is refused, untouched.
	full := filepath.Join(f.out, "full")
	os.Mkdir(full, 0o755)
	os.WriteFile(filepath.Join(full, "keep"), []byte("x"), 0o644)
	if _, _, err := f.restore(t, "full", restoreOptions{}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("restore onto a non-empty directory: %v, want fs.ErrExist", err)
	}
	if b, err := os.ReadFile(filepath.Join(full, "keep")); err != nil || string(b) != "x" {
		t.Errorf("existing dst changed: %q, %v", b, err)
	}
	if _, _, err := f.restore(t, "x", restoreOptions{Mode: "symlink"}); err == nil {
		t.Error("unknown mode accepted")
	}
}

// TestManifestValidation: manifests that would write outside dst, or
// through a link they make, are refused before anything is written.
func TestManifestValidation(t *testing.T) {
	base := t.TempDir()
	f := newFixture(t, base)
	outside := filepath.Join(base, "outside")
	os.Mkdir(outside, 0o755)
	h := f.m.Entries[len(f.m.Entries)-1].Hash // any object
	for _, e := range f.m.Entries {
		if e.Type == TypeFile {
			h = e.Hash
		}
	}
	file := func(p string) Entry { return Entry{Path: p, Type: TypeFile, Hash: h, Size: sizeOf(f, h), Mode: 0o644} }
	for _, tc := range []struct {
		name    string
		entries []Entry
	}{
		{"dotdot", []Entry{file("../outside/x")}},
		{"inner dotdot", []Entry{file("a/../../outside/x")}},
		{"absolute", []Entry{file(filepath.ToSlash(outside) + "/x")}},
		{"unclean", []Entry{file("a//x")}},
		{"empty path", []Entry{file("")}},
		{"through a symlink", []Entry{{Path: "l", Type: TypeSymlink, Target: outside}, file("l/x")}},
		{"through a relative symlink", []Entry{{Path: "l", Type: TypeSymlink, Target: "../outside"}, file("l/x")}},
		{"beneath a file", []Entry{file("f"), file("f/x")}},
		{"duplicate", []Entry{file("x"), file("x")}},
		{"bad hash", []Entry{{Path: "x", Type: TypeFile, Hash: "ABC", Mode: 0o644}}},
		{"file root", []Entry{{Path: ".", Type: TypeFile, Hash: h}}},
		{"unknown type", []Entry{{Path: "x", Type: "fifo"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Manifest{Version: 1, Entries: tc.entries}
			dst := filepath.Join(f.out, "dst")
			if _, err := restore(context.Background(), m, f.store, dst, restoreOptions{}); err == nil {
				t.Fatal("restored")
			}
			if entries, _ := os.ReadDir(f.out); len(entries) != 0 {
				t.Errorf("written next to dst: %v", entries)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("written outside: %v", entries)
			}
		})
	}
	// The same checks apply to a manifest read from disk.
	bad := filepath.Join(base, "bad.json")
	os.WriteFile(bad, []byte(`{"version":1,"entries":[{"path":"../x","type":"dir","mode":"0755"}]}`), 0o644)
	if _, err := readManifest(bad); err == nil {
		t.Error("readManifest accepted ../x")
	}
}

func sizeOf(f *fixture, hash string) int64 {
	for _, e := range f.m.Entries {
		if e.Hash == hash {
			return e.Size
		}
	}
	return 0
}

func TestModeJSON(t *testing.T) {
	for s, want := range map[string]fs.FileMode{
		`"0755"`: 0o755, `"0444"`: 0o444, `"04755"`: fs.ModeSetuid | 0o755,
		`"02750"`: fs.ModeSetgid | 0o750, `"01777"`: fs.ModeSticky | 0o777, `"0000"`: 0,
	} {
		var m Mode
		if err := json.Unmarshal([]byte(s), &m); err != nil || m.FileMode() != want {
			t.Errorf("unmarshal %s = %v, %v; want %v", s, m.FileMode(), err, want)
			continue
		}
		if b, _ := json.Marshal(m); !bytes.Equal(b, []byte(s)) {
			t.Errorf("marshal %v = %s, want %s", want, b, s)
		}
	}
	for _, s := range []string{`"0888"`, `"017777"`, `493`, `"rwx"`} {
		var m Mode
		if err := json.Unmarshal([]byte(s), &m); err == nil {
			t.Errorf("unmarshal %s accepted: %v", s, m.FileMode())
		}
	}
}
