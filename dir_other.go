//go:build !linux && !darwin && !windows

package extfs

// Dir has no backend here yet: OpenDir returns an error matching
// ErrNotSupported, so no Dir method reaches these hooks with a valid Dir;
// they answer ErrNotSupported all the same, never a silent nil.

import (
	"io/fs"
	"time"
)

func dirUnsupported(what string) error { return notSupportedErr("Dir: " + what) }

func sysOpenDir(string) (uintptr, error) { return 0, dirUnsupported("open") }
func sysDirOpenFile(int, string, int, fs.FileMode) (uintptr, error) {
	return 0, dirUnsupported("open")
}
func sysDirOpenDir(int, string) (uintptr, error)         { return 0, dirUnsupported("open") }
func sysDirMkdir(int, string, fs.FileMode) error         { return dirUnsupported("mkdir") }
func sysDirRemove(int, string) error                     { return dirUnsupported("remove") }
func sysDirRename(int, string, int, string) error        { return dirUnsupported("rename") }
func sysDirLink(int, string, int, string) error          { return dirUnsupported("link") }
func sysDirSymlink(string, int, string) error            { return dirUnsupported("symlink") }
func sysDirReadlink(int, string) (string, error)         { return "", dirUnsupported("readlink") }
func sysDirStat(int, string, bool) (*Stat, error)        { return nil, dirUnsupported("statx") }
func sysDirChmod(int, string, fs.FileMode) error         { return dirUnsupported("chmod") }
func sysDirLchown(int, string, int, int) error           { return dirUnsupported("lchown") }
func sysDirMknod(int, string, fs.FileMode, uint64) error { return dirUnsupported("mknod") }
func sysDirSetTimes(int, string, time.Time, time.Time, bool) error {
	return dirUnsupported("utimensat")
}
