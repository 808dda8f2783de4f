//go:build linux

package testfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

// state is what this test process has made. Everything lives under one
// per-process work directory in os.TempDir (see workdir_linux.go).
var state struct {
	mu     sync.Mutex
	main   bool                  // Main is running the tests
	shared map[string]*sharedFS  // Get's filesystems, by kind
	mounts map[*mounted]struct{} // mounted and not yet unmounted
}

// sharedFS is the outcome of Get's first call for one kind: a filesystem or
// the reason there is none. Either is kept for the life of the binary.
type sharedFS struct {
	mu     sync.Mutex
	done   bool
	fs     *FS
	reason string
}

// Get returns the filesystem of kind, shared by all tests in the binary. The
// first call makes it (see the package doc); it is removed when [Main]
// returns. When it cannot be made, the test is skipped with the reason, or
// fails when [Required]. The package's TestMain must call [Main].
func Get(t testing.TB, kind string) *FS {
	t.Helper()
	checkKind(t, kind)
	requireMain(t, "Get")
	state.mu.Lock()
	if state.shared == nil {
		state.shared = make(map[string]*sharedFS)
	}
	s := state.shared[kind]
	if s == nil {
		s = new(sharedFS)
		state.shared[kind] = s
	}
	state.mu.Unlock()

	s.mu.Lock()
	if !s.done {
		start := time.Now()
		fs, err := makeShared(kind)
		if err != nil {
			s.reason = err.Error()
		} else {
			s.fs = fs
			t.Logf("testfs: %s ready at %s (took %v)", kind, fs.Dir, time.Since(start).Round(time.Millisecond))
		}
		s.done = true
	}
	fs, reason := s.fs, s.reason
	s.mu.Unlock()
	if fs == nil {
		SkipOrFail(t, reason)
	}
	return fs
}

func makeShared(kind string) (*FS, error) {
	if kind == Ext4 {
		if typ, err := FsType(os.TempDir()); err == nil && typ == Ext4 {
			return ext4TempDir()
		}
	}
	m, err := mountNew(kind, DefaultSize)
	if err != nil {
		return nil, err
	}
	return m.fs(), nil
}

// ext4TempDir returns a directory in the work directory, for when os.TempDir
// is on ext4 (the common case): no mount, no root needed.
func ext4TempDir() (*FS, error) {
	wd, err := workdir()
	if err != nil {
		return nil, unavailable(Ext4, "%v", err)
	}
	dir := filepath.Join(wd, "ext4")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, unavailable(Ext4, "%v", err)
	}
	return &FS{Kind: Ext4, Dir: dir}, nil
}

// Mount makes a new filesystem of kind, size bytes large, for this test alone:
// use it for a tiny filesystem that fills up (ENOSPC), or one a test may
// damage. It is unmounted, its loop device released and its image removed at
// t.Cleanup. size must be at least [MinSize](kind); btrfs smaller than 1 GiB
// is made with --mixed (data and metadata share block groups). When no such
// filesystem can be made, the test is skipped with the reason, or fails when
// [Required]. The package's TestMain must call [Main].
func Mount(t testing.TB, kind string, size int64) *FS {
	t.Helper()
	checkKind(t, kind)
	requireMain(t, "Mount")
	if size < MinSize(kind) {
		t.Fatalf("testfs.Mount(%q, %d): the smallest %s testfs makes is %d bytes (%d MiB)",
			kind, size, kind, MinSize(kind), MinSize(kind)>>20)
	}
	start := time.Now()
	m, err := mountNew(kind, size)
	if err != nil {
		SkipOrFail(t, err.Error())
	}
	t.Cleanup(func() {
		if err := m.unmount(); err != nil {
			t.Errorf("testfs: %v", err)
		}
	})
	t.Logf("testfs: %s of %d MiB mounted at %s (took %v)", kind, size>>20, m.dir, time.Since(start).Round(time.Millisecond))
	return m.fs()
}

// Ramfs mounts a ramfs, a filesystem with neither fallocate nor extended
// attributes, on a new directory for this test alone, and returns the
// directory. It is unmounted at t.Cleanup, waiting while a file just closed
// keeps it busy (a descriptor io_uring released is put a moment later).
// Without root the test is skipped, or fails when [Required].
func Ramfs(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("extfs-test", dir, "ramfs", 0, "mode=0755"); err != nil {
		SkipOrFail(t, "mount ramfs: "+err.Error()+" (needs root)")
	}
	t.Cleanup(func() {
		if err := unmountDir(dir); err != nil {
			t.Errorf("testfs: %v", err)
		}
	})
	return dir
}

// requireMain fails the test unless Main is running the tests: Main removes
// what Get made, and makes the namespace that guarantees nothing is left.
func requireMain(t testing.TB, fn string) {
	t.Helper()
	state.mu.Lock()
	running := state.main
	state.mu.Unlock()
	if !running {
		t.Fatalf("testfs.%s: the package's TestMain must call testfs.Main:\n"+
			"\tfunc TestMain(m *testing.M) { os.Exit(testfs.Main(m)) }", fn)
	}
}

func checkKind(t testing.TB, kind string) {
	t.Helper()
	if !validKind(kind) {
		t.Fatalf("testfs: unknown filesystem kind %q (want one of %v)", kind, Kinds)
	}
}

// Main runs the tests, then unmounts every filesystem [Get] or a leftover
// [Mount] made, releases their loop devices and removes their images and
// directories. It returns the exit code for os.Exit, non-zero also when a
// mount or loop device could not be removed.
//
// As root, Main runs the tests in a child process in a private mount
// namespace (see the package doc). Set EXTFS_TESTFS_NO_NAMESPACE=1 to run
// them in this process instead, e.g. under a debugger.
func Main(m *testing.M) int {
	if code, ok := runInNamespace(); ok {
		return code
	}
	if !inNamespaceChild() {
		sweepStale()
	}
	state.mu.Lock()
	state.main = true
	state.mu.Unlock()

	code := m.Run()

	state.mu.Lock()
	state.main = false
	state.mu.Unlock()
	n, err := teardown()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testfs: cleanup failed: %v\n", err)
		if code == 0 {
			code = 1
		}
	} else if n > 0 && testing.Verbose() {
		fmt.Printf("testfs: unmounted %d filesystem(s); no mount or loop device left\n", n)
	}
	return code
}

// teardown unmounts everything still mounted, checks that nothing is left
// under the work directory (mounts, loop devices) and removes it. It returns
// how many filesystems it unmounted.
func teardown() (int, error) {
	state.mu.Lock()
	var ms []*mounted
	for m := range state.mounts {
		ms = append(ms, m)
	}
	state.mu.Unlock()

	var errs []error
	for _, m := range ms {
		if err := m.unmount(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := removeWorkdir(); err != nil {
		errs = append(errs, err)
	}
	return len(ms), errors.Join(errs...)
}

// Blocks returns st_blocks of path: its allocated size in 512-byte units.
func Blocks(t testing.TB, path string) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("testfs: stat %s: %v", path, err)
	}
	return st.Blocks
}

// FsType returns the name of the type of the filesystem holding path, from
// statfs f_type: "ext4" (also ext2/ext3, which share the magic), "xfs",
// "btrfs", "tmpfs", "overlay", ... or "0x<magic>" when the magic is not known
// here.
func FsType(path string) (string, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return "", &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	return linux.FsName(st.Type), nil
}
