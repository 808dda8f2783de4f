//go:build darwin

package extfs

// Dir on macOS: types translated around sys/darwin/dir_darwin.go. d is the
// Dir's descriptor, n a name (od, on, nd, nn: old and new Dir and name).

import (
	"io/fs"
	"time"

	"github.com/extfs/extfs/sys/darwin"
	"golang.org/x/sys/unix"
)

type dirSys struct{}

var _ dirOS = dirSys{}

func (dirSys) openDir(path string) (uintptr, error) { return fdResult(darwin.OpenDir(path)) }

func (dirSys) openFile(d int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	return fdResult(darwin.OpenBeneath(d, name, flag, darwin.PermBits(perm)))
}

func (dirSys) openSub(d int, name string) (uintptr, error) {
	return fdResult(darwin.OpenBeneath(d, name, unix.O_SEARCH, 0))
}

// unixDirs makes the *at calls beneath a descriptor.
var unixDirs = darwin.Dirs

func (dirSys) mkdir(d int, n string, perm fs.FileMode) error {
	return unixDirs.Mkdir(d, n, darwin.PermBits(perm))
}
func (dirSys) remove(d int, n string) error { return unixDirs.Remove(d, n) }
func (dirSys) rename(od int, on string, nd int, nn string) error {
	return unixDirs.Rename(od, on, nd, nn)
}
func (dirSys) link(od int, on string, nd int, nn string) error { return unixDirs.Link(od, on, nd, nn) }
func (dirSys) symlink(target string, d int, n string) error    { return unixDirs.Symlink(target, d, n) }
func (dirSys) readlink(d int, n string) (string, error)        { return unixDirs.Readlink(d, n) }
func (dirSys) lchown(d int, n string, uid, gid int) error      { return unixDirs.Lchown(d, n, uid, gid) }
func (dirSys) chmod(d int, name string, mode fs.FileMode) error {
	return darwin.DirChmod(d, name, darwin.PermBits(mode))
}

func (dirSys) stat(d int, n string, follow bool) (*Stat, error) {
	return statOf(darwin.DirStat(d, n, follow))
}

func (dirSys) setTimes(d int, name string, atime, mtime time.Time, follow bool) error {
	return darwin.DirUtimens(d, name, darwin.Timespecs(atime, mtime), follow)
}

func (dirSys) mknod(d int, name string, mode fs.FileMode, dev uint64) error {
	return darwin.Mknod(d, name, mode, dev)
}
