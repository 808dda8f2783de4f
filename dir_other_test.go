//go:build !linux && !windows

package extfs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/extfs/extfs"
)

// The macOS side of the Dir tests (dir_test.go), and of the BSDs, where Dir
// is dirFallback's walk (internal/posix); other systems skip them.

var dirWant = dirExpect{
	maxLinks:   32, // MAXSYMLINKS
	perms:      true,
	nodes:      true,
	belowF:     syscall.ENOTDIR,
	writeDir:   syscall.EISDIR,
	notLink:    syscall.EINVAL,
	removeDots: fs.ErrExist,
}

var dirAbsNames = []string{"/etc/passwd"}

func eachDirEnv(t *testing.T, fn func(t *testing.T, base string)) {
	t.Helper()
	switch runtime.GOOS {
	case "darwin", "freebsd", "openbsd", "netbsd":
	default:
		t.Skipf("Dir has no backend on %s", runtime.GOOS)
	}
	fn(t, t.TempDir())
}

var dirStatKey = infoKey

func dirCalls(testing.TB) uint32 { return 0 }

func checkCloexec(*testing.T, *extfs.File) {}

// umask is found by making a file with every permission bit.
var umask = func() fs.FileMode {
	dir, err := os.MkdirTemp("", "umask")
	if err != nil {
		return 0
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, nil, 0o777); err != nil {
		return 0
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return 0o777 &^ fi.Mode().Perm()
}()
