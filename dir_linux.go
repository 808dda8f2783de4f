//go:build linux

package extfs

// Dir on Linux: types translated around sys/linux/dir.go. d is the Dir's
// descriptor, n a name (od, on, nd, nn: old and new Dir and name).

import (
	"io/fs"
	"math"
	"time"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

type dirSys struct{}

var _ dirOS = dirSys{}

func (dirSys) openDir(path string) (uintptr, error) { return fdResult(linux.OpenDir(path)) }

func (dirSys) openFile(d int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	return fdResult(linux.OpenBeneath(d, name, flag, permBits(perm)))
}

func (dirSys) openSub(d int, name string) (uintptr, error) {
	return fdResult(linux.OpenBeneath(d, name, linux.DirSearchFlags, 0))
}

// unixDirs makes the *at calls beneath a descriptor.
var unixDirs = linux.Dirs

func (dirSys) mkdir(d int, n string, perm fs.FileMode) error {
	return unixDirs.Mkdir(d, n, permBits(perm))
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
	return linux.DirChmod(d, name, permBits(mode))
}

func (dirSys) stat(d int, name string, follow bool) (*Stat, error) {
	var st unix.Statx_t
	return statFromStatx(&st, linux.DirStatx(d, name, follow, statxMask, &st))
}

func (dirSys) setTimes(d int, name string, atime, mtime time.Time, follow bool) error {
	return linux.DirUtimens(d, name, timespecs(atime, mtime), follow)
}

func (dirSys) mknod(d int, name string, mode fs.FileMode, dev uint64) error {
	if dev > math.MaxUint32 {
		// mknodat(2) takes a 32-bit dev_t (12-bit major, 20-bit minor).
		return errInvalid("mknod: device number %#x does not fit Linux's 32-bit dev_t", dev)
	}
	return unixDirs.Mknod(d, name, linux.NodeType(mode.Type())|permBits(mode), dev)
}
