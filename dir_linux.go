//go:build linux

package extfs

// Dir on Linux: types translated around sys/linux/dir.go. d is the Dir's
// descriptor, n a name (od, on, nd, nn: old and new Dir and name).

import (
	"io/fs"
	"math"
	"time"

	"github.com/extfs/extfs/sys/linux"
)

type dirSys struct{}

var _ dirOS = dirSys{}

func (dirSys) openDir(path string) (uintptr, error) { return fdResult(linux.OpenDir(path)) }

func (dirSys) openFile(d int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	return fdResult(linux.OpenBeneath(d, name, flag, linux.PermBits(perm)))
}

func (dirSys) openSub(d int, name string) (uintptr, error) {
	return fdResult(linux.OpenBeneath(d, name, linux.DirSearchFlags, 0))
}

func (dirSys) mkdir(d int, n string, perm fs.FileMode) error {
	return linux.Dirs.Mkdir(d, n, linux.PermBits(perm))
}
func (dirSys) remove(d int, n string) error { return linux.Dirs.Remove(d, n) }
func (dirSys) rename(od int, on string, nd int, nn string) error {
	return linux.Dirs.Rename(od, on, nd, nn)
}
func (dirSys) link(od int, on string, nd int, nn string) error {
	return linux.Dirs.Link(od, on, nd, nn)
}
func (dirSys) symlink(target string, d int, n string) error { return linux.Dirs.Symlink(target, d, n) }
func (dirSys) readlink(d int, n string) (string, error)     { return linux.Dirs.Readlink(d, n) }
func (dirSys) lchown(d int, n string, uid, gid int) error   { return linux.Dirs.Lchown(d, n, uid, gid) }
func (dirSys) chmod(d int, n string, mode fs.FileMode) error {
	return linux.DirChmod(d, n, linux.PermBits(mode))
}

func (dirSys) stat(d int, n string, follow bool) (*Stat, error) {
	return statOf(linux.DirStat(d, n, follow))
}

func (dirSys) setTimes(d int, n string, atime, mtime time.Time, follow bool) error {
	return linux.DirUtimens(d, n, linux.Timespecs(atime, mtime), follow)
}

func (dirSys) mknod(d int, n string, mode fs.FileMode, dev uint64) error {
	if dev > math.MaxUint32 {
		// mknodat(2) takes a 32-bit dev_t (12-bit major, 20-bit minor).
		return errInvalid("mknod: device number %#x does not fit Linux's 32-bit dev_t", dev)
	}
	return linux.Dirs.Mknod(d, n, linux.NodeType(mode.Type())|linux.PermBits(mode), dev)
}
