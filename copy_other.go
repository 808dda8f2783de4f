//go:build !linux && !darwin && !windows

package extfs

// Copy hooks for systems without a backend yet: every mechanism answers "not
// handled" and every question ErrNotSupported, so CopyRange, CopyFile, Clone
// and Probe fail with an error matching ErrNotSupported — never a silent
// success. The macOS (clonefile, pipeline) and Windows (block cloning,
// CopyFileExW) backends replace this file.

import (
	"errors"
	"os"
)

const maxCopyRound = 1 << 30

// srcOpenFlags open a file to copy. Without a backend there is no portable
// O_NONBLOCK here: a FIFO is refused by its name only, and one put there
// between that look and the open would block the open.
const srcOpenFlags = os.O_RDONLY

func sysSourceBlocking(uintptr) error { return nil }

func sysCopyFileRangeSupported() bool { return false }

func sysCopyFileRange(srcfd, dstfd uintptr, srcOff, dstOff *int64, n int64) (int64, error) {
	return 0, notSupportedErr("copy_file_range")
}

func sysCopyFileRangeFallback(error) bool { return true }

func sysSplice(dstfd, srcfd uintptr, srcOff, dstOff, n int64, ctl *copyCtl) (int64, bool, error) {
	return 0, false, nil
}

func sysClone(dstfd, srcfd uintptr) error { return notSupportedErr("clone") }

func sysCloneRange(dstfd, srcfd uintptr, srcOff, dstOff, n int64) error {
	return notSupportedErr("clone range")
}

func sysCloneFallback(err error) bool { return errors.Is(err, ErrNotSupported) }

func sysFileInfo(uintptr) (fileInfo, error) { return fileInfo{}, notSupportedErr("fstat") }

func sysOpenMode(uintptr) (openMode, bool) { return openMode{}, false }

func sysFsInfo(uintptr) (string, int64, error) { return "", 0, notSupportedErr("fstatfs") }

func sysFsKey(string) (fsKey, error) { return fsKey{}, notSupportedErr("filesystem identity") }

func sysSeekData(uintptr, int64) (int64, int64, bool, error) {
	return 0, 0, false, notSupportedErr("SEEK_DATA")
}

func sysSeekRestore(uintptr, int64) {}

func sysSeekCurrent(uintptr) (int64, error) { return 0, notSupportedErr("lseek") }

func sysFtruncate(uintptr, int64) error { return notSupportedErr("ftruncate") }

func sysNoXattr(error) bool { return false }

func sysRenameNoReplace(oldpath, newpath string) (bool, error) { return false, nil }

func sysReadWriteCopy(dfd, sfd uintptr, srcOff, dstOff, n int64, ctl *copyCtl) (int64, bool, error) {
	return 0, false, nil
}

func sysSparseDest(dfd, sfd uintptr, always bool) error { return nil }

// sysCloneNeverHere: CopyTree remembers no refused clone here; each file
// tries again.
func sysCloneNeverHere(error) bool { return false }
