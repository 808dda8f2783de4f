//go:build !linux

package testfs

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
)

// Get returns the shared filesystem of kind. On this system none is available:
// the test is skipped, or fails when [Required].
func Get(t testing.TB, kind string) *FS {
	t.Helper()
	unavailable(t, kind)
	return nil
}

// Mount makes a private filesystem of kind and size for one test. On this
// system none is available: the test is skipped, or fails when [Required].
func Mount(t testing.TB, kind string, size int64) *FS {
	t.Helper()
	unavailable(t, kind)
	return nil
}

func unavailable(t testing.TB, kind string) {
	t.Helper()
	if !validKind(kind) {
		t.Fatalf("testfs: unknown filesystem kind %q (want one of %v)", kind, Kinds)
	}
	SkipOrFail(t, fmt.Sprintf("testfs: %s unavailable: testfs makes filesystems on Linux only (GOOS=%s)", kind, runtime.GOOS))
}

// Main runs the tests and returns their exit code.
func Main(m *testing.M) int { return m.Run() }

// Blocks returns st_blocks of path. It is implemented on Linux only: here the
// test is skipped, or fails when [Required].
func Blocks(t testing.TB, path string) int64 {
	t.Helper()
	SkipOrFail(t, "testfs: Blocks is implemented on Linux only (GOOS="+runtime.GOOS+")")
	return 0
}

// FsType returns the type of the filesystem holding path. It is implemented
// on Linux only.
func FsType(path string) (string, error) {
	return "", fmt.Errorf("testfs: FsType %s: %w", path, errors.ErrUnsupported)
}
