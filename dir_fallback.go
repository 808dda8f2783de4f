package extfs

import (
	"io/fs"
	"time"

	"github.com/extfs/extfs/internal/posix"
	"github.com/extfs/extfs/internal/unixmode"
)

// dirFallback is dirOS on a system without a backend: the component walk
// of internal/beneath with the *at calls every Unix has (internal/posix),
// as on macOS. Where even those are missing (not Unix), every method
// returns an error matching ErrNotSupported, never a silent nil. The
// no-backend dirSys embeds it.
type dirFallback struct{}

func (dirFallback) openDir(path string) (uintptr, error) {
	fd, err := posix.OpenDir(path)
	return fdResult(fd, dirErr(err))
}
func (dirFallback) openFile(d int, name string, flag int, perm fs.FileMode) (uintptr, error) {
	fd, err := posix.OpenBeneath(d, name, flag, unixmode.PermBits(perm))
	return fdResult(fd, dirErr(err))
}
func (dirFallback) openSub(d int, name string) (uintptr, error) {
	fd, err := posix.OpenSub(d, name)
	return fdResult(fd, dirErr(err))
}
func (dirFallback) mkdir(d int, n string, perm fs.FileMode) error {
	return dirErr(posix.DirMkdir(d, n, unixmode.PermBits(perm)))
}
func (dirFallback) remove(d int, n string) error { return dirErr(posix.DirRemove(d, n)) }
func (dirFallback) rename(od int, on string, nd int, nn string) error {
	return dirErr(posix.DirRename(od, on, nd, nn))
}
func (dirFallback) link(od int, on string, nd int, nn string) error {
	return dirErr(posix.DirLink(od, on, nd, nn))
}
func (dirFallback) symlink(target string, d int, n string) error {
	return dirErr(posix.DirSymlink(target, d, n))
}
func (dirFallback) readlink(d int, n string) (string, error) {
	target, err := posix.DirReadlink(d, n)
	return target, dirErr(err)
}
func (dirFallback) stat(d int, n string, follow bool) (*Stat, error) {
	return statOf(posixStat(posix.DirStat(d, n, follow)))
}
func (dirFallback) chmod(d int, n string, mode fs.FileMode) error {
	return dirErr(posix.DirChmod(d, n, unixmode.PermBits(mode)))
}
func (dirFallback) lchown(d int, n string, uid, gid int) error {
	return dirErr(posix.DirLchown(d, n, uid, gid))
}
func (dirFallback) mknod(d int, n string, mode fs.FileMode, dev uint64) error {
	return dirErr(posix.DirMknod(d, n, unixmode.NodeType(mode.Type())|unixmode.PermBits(mode), dev))
}
func (dirFallback) setTimes(d int, n string, atime, mtime time.Time, follow bool) error {
	return dirErr(posix.DirSetTimes(d, n, atime, mtime, follow))
}

// dirErr: a Dir on a system without the *at calls (posix.ErrUnsupported)
// is ErrNotSupported.
func dirErr(err error) error { return posixErr("Dir", err) }
