//go:build !linux && !darwin && !windows

package extfs

// Dir has no backend here: OpenDir returns an error matching
// ErrNotSupported, and so does every other method, never a silent nil.

import (
	"io/fs"
	"time"
)

type dirSys struct{}

var _ dirOS = dirSys{}

func (dirSys) openDir(string) (uintptr, error) { return 0, notSupportedErr("Dir: open") }
func (dirSys) openFile(int, string, int, fs.FileMode) (uintptr, error) {
	return 0, notSupportedErr("Dir: open")
}
func (dirSys) openSub(int, string) (uintptr, error)         { return 0, notSupportedErr("Dir: open") }
func (dirSys) mkdir(int, string, fs.FileMode) error         { return notSupportedErr("Dir: mkdir") }
func (dirSys) remove(int, string) error                     { return notSupportedErr("Dir: remove") }
func (dirSys) rename(int, string, int, string) error        { return notSupportedErr("Dir: rename") }
func (dirSys) link(int, string, int, string) error          { return notSupportedErr("Dir: link") }
func (dirSys) symlink(string, int, string) error            { return notSupportedErr("Dir: symlink") }
func (dirSys) readlink(int, string) (string, error)         { return "", notSupportedErr("Dir: readlink") }
func (dirSys) stat(int, string, bool) (*Stat, error)        { return nil, notSupportedErr("Dir: statx") }
func (dirSys) chmod(int, string, fs.FileMode) error         { return notSupportedErr("Dir: chmod") }
func (dirSys) lchown(int, string, int, int) error           { return notSupportedErr("Dir: lchown") }
func (dirSys) mknod(int, string, fs.FileMode, uint64) error { return notSupportedErr("Dir: mknod") }
func (dirSys) setTimes(int, string, time.Time, time.Time, bool) error {
	return notSupportedErr("Dir: utimensat")
}
