//go:build windows

package extfs

// Dir on Windows: types translated around sys/windows/dir_windows.go. d is
// the Dir's handle, n a name (od, on, nd, nn: old and new Dir and name).
// Permissions count only as the owner's write bit, as in package os.

import (
	"io/fs"
	"time"

	winsys "github.com/extfs/extfs/sys/windows"
)

type dirSys struct{}

var _ dirOS = dirSys{}

func (dirSys) openDir(path string) (uintptr, error) { return fdResult(winsys.OpenDir(path)) }

func (dirSys) openFile(d int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	return fdResult(winsys.DirOpen(uintptr(d), name, flag, perm&0o200 == 0))
}

func (dirSys) mkdir(d int, n string, _ fs.FileMode) error { return winsys.DirMkdir(uintptr(d), n) }
func (dirSys) remove(d int, n string) error               { return winsys.DirRemove(uintptr(d), n) }
func (dirSys) readlink(d int, n string) (string, error)   { return winsys.DirReadlink(uintptr(d), n) }
func (dirSys) lchown(int, string, int, int) error         { return notSupportedErr("lchown on Windows") }

func (dirSys) openSub(d int, n string) (uintptr, error) {
	return fdResult(winsys.DirOpenSub(uintptr(d), n))
}

func (dirSys) symlink(target string, d int, name string) error {
	return winsys.DirSymlink(target, uintptr(d), name)
}

func (dirSys) rename(od int, on string, nd int, nn string) error {
	return winsys.DirRename(uintptr(od), on, uintptr(nd), nn)
}

func (dirSys) link(od int, on string, nd int, nn string) error {
	return winsys.DirLink(uintptr(od), on, uintptr(nd), nn)
}

func (dirSys) stat(d int, name string, follow bool) (*Stat, error) {
	return statOf(winsys.DirStat(uintptr(d), name, follow))
}

func (dirSys) chmod(d int, name string, mode fs.FileMode) error {
	return winsys.DirSetReadOnly(uintptr(d), name, mode&0o200 == 0)
}

func (dirSys) setTimes(d int, name string, atime, mtime time.Time, follow bool) error {
	return winsys.DirSetTimes(uintptr(d), name, atime, mtime, follow)
}

// mknod makes an empty regular file; Windows has no device files or FIFOs
// in its file systems (named pipes live in their own namespace).
func (dirSys) mknod(d int, name string, mode fs.FileMode, _ uint64) error {
	if mode.Type() != 0 {
		return notSupportedErr("mknod of a device or FIFO on Windows")
	}
	return winsys.DirMkfile(uintptr(d), name, mode&0o200 == 0)
}
