package extfs_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/extfs/extfs"
)

// Helpers shared by the tests of this package. They check outcomes with
// golang.org/x/sys/unix and package os directly, never through extfs.

// randBytes returns n pseudo-random bytes, the same for the same seed.
func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// writeFile writes data to the file at path with package os.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSynced writes data to a new file at path and fsyncs it, so that its
// pages are clean and its blocks allocated.
func writeSynced(t testing.TB, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads path with package os.
func readAll(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openFile opens path through extfs and closes it at cleanup.
func openFile(t testing.TB, path string, flag int) *extfs.File {
	t.Helper()
	f, err := extfs.OpenFile(path, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// wantErr fails unless err matches every target with errors.Is.
func wantErr(t testing.TB, what string, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got nil error, want one matching %v", what, targets)
		return
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: error %q (%T) does not match %v (%T)", what, err, err, target, target)
		}
	}
}

// wantPathErr fails unless err is an *fs.PathError with the given Op and Path
// matching every target.
func wantPathErr(t testing.TB, err error, op, path string, targets ...error) {
	t.Helper()
	wantErr(t, op, err, targets...)
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Errorf("%s: error %q is a %T, want *fs.PathError", op, err, err)
		return
	}
	if pe.Op != op || pe.Path != path {
		t.Errorf("PathError Op=%q Path=%q, want Op=%q Path=%q", pe.Op, pe.Path, op, path)
	}
}
func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func zeros(n int64) []byte { return make([]byte, n) }

func diffBytes(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	if len(got) != len(want) {
		return "length " + strconv.Itoa(len(got)) + ", want " + strconv.Itoa(len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return "first difference at byte " + strconv.Itoa(i)
		}
	}
	return ""
}

// join is filepath.Join, short.
func join(elem ...string) string { return filepath.Join(elem...) }

// mustPanicFree runs fn and turns a panic into a test failure.
func mustPanicFree(t testing.TB, what string, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", what, r)
		}
	}()
	fn()
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// tempDir is t.TempDir, but on Windows it removes the tree itself:
// os.RemoveAll (t.TempDir's cleanup) deletes with
// FileDispositionInformationEx and falls back to older calls on
// STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER and
// STATUS_NOT_SUPPORTED only; Wine 8 answers STATUS_NOT_IMPLEMENTED ("Invalid
// function"). os.Remove (DeleteFileW, RemoveDirectoryW) works on both.
// Handles in the tree must be closed first: register their Close after
// calling tempDir.
func tempDir(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", strings.NewReplacer("/", "_", `\`, "_").Replace(t.Name()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// \\?\: no Win32 name translation, for the names such as CON or
		// COM1.txt that a Dir may make.
		if err := removeTree(`\\?\` + dir); err != nil {
			t.Errorf("removing the test's directory: %v", err)
		}
	})
	return dir
}

func removeTree(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := removeTree(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	if fi.Mode().Perm()&0o200 == 0 {
		os.Chmod(path, 0o666) // DeleteFileW refuses a read-only file
	}
	return os.Remove(path)
}

// dirNames lists dir's entries by name, so that a test can see leftover
// temporary files.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	noErr(t, "readdir "+dir, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// wantNames fails unless dir holds exactly the entries names.
func wantNames(t testing.TB, dir string, names ...string) {
	t.Helper()
	got := dirNames(t, dir)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q; want %q", dir, got, names)
	}
}
