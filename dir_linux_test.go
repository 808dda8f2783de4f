//go:build linux

package extfs

// Internal tests of the Linux Dir mechanism, and the switch that lets the
// tests in package extfs_test run every Dir case through both resolvers.

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

// SetDirWalk makes every Dir resolve names with the component walk (true)
// or with openat2 where the kernel has it (false), and returns the previous
// setting. Tests only; not safe to call while Dir operations run.
func SetDirWalk(walk bool) (prev bool) {
	prev, dirWalk = dirWalk, walk
	return prev
}

func TestDirSplitPath(t *testing.T) {
	for _, c := range []struct {
		name    string
		parts   []string
		dirOnly bool
	}{
		{"a", []string{"a"}, false},
		{"a/b", []string{"a", "b"}, false},
		{"a//b/", []string{"a", "b"}, true},
		{"./a/./b", []string{"a", "b"}, false},
		{"a/.", []string{"a"}, true},
		{"a/..", []string{"a", ".."}, true},
		{".", nil, true},
		{"..", []string{".."}, true},
		{"../x", []string{"..", "x"}, false},
	} {
		parts, dirOnly := splitPath(c.name)
		if !slices.Equal(parts, c.parts) || dirOnly != c.dirOnly {
			t.Errorf("splitPath(%q) = %q, %v; want %q, %v", c.name, parts, dirOnly, c.parts, c.dirOnly)
		}
	}
}

func TestDirSplitLast(t *testing.T) {
	for _, c := range []struct {
		name, parent, base string
		slash              bool
	}{
		{"a", "", "a", false},
		{"a/", "", "a", true},
		{"a/b", "a/", "b", false},
		{"a//b//", "a//", "b", true},
		{"a/..", "a/", "..", false},
		{".", "", ".", false},
	} {
		parent, base, slash := splitLast(c.name)
		if parent != c.parent || base != c.base || slash != c.slash {
			t.Errorf("splitLast(%q) = %q, %q, %v; want %q, %q, %v", c.name, parent, base, slash, c.parent, c.base, c.slash)
		}
	}
}

// TestDirProcFallbacks runs the /proc/self/fd paths that chmod and
// utimensat take on kernels older than this one, on an O_PATH descriptor as
// Dir uses them.
func TestDirProcFallbacks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, 0o600); err != unix.EBADF {
		t.Errorf("fchmod on an O_PATH descriptor: %v, want EBADF (the reason for chmodFd)", err)
	}

	if err := chmodProc(fd, 0o4640); err != nil {
		t.Fatalf("chmodProc: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	if got := st.Mode & 0o7777; got != 0o4640 {
		t.Errorf("mode after chmodProc(04640) = %#o", got)
	}

	ts := &[2]unix.Timespec{{Sec: 1_000_000_000, Nsec: 123_456_789}, {Sec: 1_100_000_000, Nsec: 987_654_321}}
	if err := linux.UtimensAt(unix.AT_FDCWD, procFdPath(fd), ts, 0); err != nil {
		t.Fatalf("utimensat on %s: %v", procFdPath(fd), err)
	}
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Atim != ts[0] || st.Mtim != ts[1] {
		t.Errorf("times after utimensat through /proc: %v %v, want %v %v", st.Atim, st.Mtim, ts[0], ts[1])
	}
}

// TestDirWalkSymlinkLimit: the walk follows at most maxSymlinks links, as the
// kernel does, and refuses an absolute target before opening anything.
func TestDirWalkSymlinkLimit(t *testing.T) {
	links := 0
	var err error
	for range maxSymlinks {
		if _, _, err = expandLink("x", nil, false, &links); err != nil {
			t.Fatalf("link %d: %v", links, err)
		}
	}
	if _, _, err = expandLink("x", nil, false, &links); err != unix.ELOOP {
		t.Errorf("link %d: %v, want ELOOP", links, err)
	}
	links = 0
	if _, _, err = expandLink("/x", nil, false, &links); err != ErrEscapes {
		t.Errorf("absolute target: %v, want ErrEscapes", err)
	}
	parts, dirOnly, err := expandLink("a/b/", nil, false, &links)
	if err != nil || !slices.Equal(parts, []string{"a", "b"}) || !dirOnly {
		t.Errorf(`expandLink("a/b/") = %q, %v, %v`, parts, dirOnly, err)
	}
	parts, dirOnly, _ = expandLink("a/", []string{"c"}, false, &links)
	if !slices.Equal(parts, []string{"a", "c"}) || dirOnly {
		t.Errorf(`expandLink("a/", [c]) = %q, %v`, parts, dirOnly)
	}
}
