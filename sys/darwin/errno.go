package darwin

import (
	"errors"
	"syscall"
)

// Which errno means what. Pure: the tests run on every OS.

// Classify wraps ENOTTY so that it also matches errors.ErrUnsupported, and
// returns any other error as it is. F_PUNCHHOLE, F_RDADVISE and
// F_FULLFSYNC reach the filesystem as VNOP_IOCTL, whose answer for a
// command the filesystem does not know is ENOTTY (HFS+ for F_PUNCHHOLE,
// for one); ENOTSUP and EOPNOTSUPP already match errors.ErrUnsupported on
// macOS. errors.Is(err, ENOTTY) stays true.
func Classify(err error) error {
	if err == ENOTTY {
		return unsupportedErrno{ENOTTY}
	}
	return err
}

type unsupportedErrno struct{ errno syscall.Errno }

func (e unsupportedErrno) Error() string        { return e.errno.Error() }
func (e unsupportedErrno) Unwrap() error        { return e.errno }
func (e unsupportedErrno) Is(target error) bool { return target == errors.ErrUnsupported }

// FullFsyncFallback says whether an F_FULLFSYNC error means the filesystem
// has no F_FULLFSYNC, so that fsync(2) is the most that can be done: the
// errnos by which kern_descrip.c itself decides that a filesystem lacks
// F_BARRIERFSYNC (ENOTTY, ENOTSUP, EINVAL). SMB answers ENOTSUP, which is
// where os.File.Sync falls back (golang/go#64215).
func FullFsyncFallback(err error) bool {
	switch err {
	case ENOTTY, ENOTSUP, EINVAL:
		return true
	}
	return false
}

// RemoveErr picks the error of a remove that tried unlinkat(name, 0), which
// failed with unlinkErr, and then unlinkat(name, AT_REMOVEDIR), which failed
// with rmdirErr. macOS's unlink(2) says EPERM, not Linux's EISDIR, for a
// directory, so both are tried, as os.Remove does; rmdir's error is the
// answer unless it says the name is not a directory.
func RemoveErr(unlinkErr, rmdirErr error) error {
	if unlinkErr == nil || rmdirErr == nil {
		return nil
	}
	if rmdirErr != ENOTDIR {
		return rmdirErr
	}
	return unlinkErr
}

// UnlinkMaybeDir says whether unlinkat(name, 0) failed in a way a directory
// makes it fail — EPERM on macOS, EISDIR on Linux — so that the caller
// should look whether name is one.
func UnlinkMaybeDir(err error) bool { return err == EPERM || err == EISDIR }

// WalkDirErr is the error of opening a component on the way to a name
// (O_DIRECTORY|O_NOFOLLOW) when it is not a directory: open(2) answers
// ENOTSUP or EOPNOTSUPP for a socket, where the lookup meant "not a
// directory" (os.Root translates it too).
func WalkDirErr(err error) error {
	if err == ENOTSUP || err == EOPNOTSUPP {
		return ENOTDIR
	}
	return err
}
