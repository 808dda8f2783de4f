package extfs

import (
	"io/fs"
	"time"
)

// dirFallback is dirOS on a system without a backend: OpenDir returns an
// error matching ErrNotSupported, and so does every other method, never a
// silent nil. The no-backend dirSys embeds it.
type dirFallback struct{}

func (dirFallback) openDir(string) (uintptr, error) { return 0, notSupportedErr("Dir: open") }
func (dirFallback) openFile(int, string, int, fs.FileMode) (uintptr, error) {
	return 0, notSupportedErr("Dir: open")
}
func (dirFallback) openSub(int, string) (uintptr, error)  { return 0, notSupportedErr("Dir: open") }
func (dirFallback) mkdir(int, string, fs.FileMode) error  { return notSupportedErr("Dir: mkdir") }
func (dirFallback) remove(int, string) error              { return notSupportedErr("Dir: remove") }
func (dirFallback) rename(int, string, int, string) error { return notSupportedErr("Dir: rename") }
func (dirFallback) link(int, string, int, string) error   { return notSupportedErr("Dir: link") }
func (dirFallback) symlink(string, int, string) error     { return notSupportedErr("Dir: symlink") }
func (dirFallback) readlink(int, string) (string, error) {
	return "", notSupportedErr("Dir: readlink")
}
func (dirFallback) stat(int, string, bool) (*Stat, error) { return nil, notSupportedErr("Dir: statx") }
func (dirFallback) chmod(int, string, fs.FileMode) error  { return notSupportedErr("Dir: chmod") }
func (dirFallback) lchown(int, string, int, int) error    { return notSupportedErr("Dir: lchown") }
func (dirFallback) mknod(int, string, fs.FileMode, uint64) error {
	return notSupportedErr("Dir: mknod")
}
func (dirFallback) setTimes(int, string, time.Time, time.Time, bool) error {
	return notSupportedErr("Dir: utimensat")
}
