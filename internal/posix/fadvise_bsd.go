//go:build (freebsd || netbsd) && (amd64 || arm64)

package posix

import (
	"runtime"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// HasFadvise says Fadvise is posix_fadvise here.
const HasFadvise = true

// posixAdvice is POSIX_FADV_* for each fsenum.Advice, from <fcntl.h>, the
// same numbers on FreeBSD and NetBSD (and Linux).
var posixAdvice = [...]uintptr{
	fsenum.AdviceNormal: 0, fsenum.AdviceRandom: 1, fsenum.AdviceSequential: 2,
	fsenum.AdviceWillNeed: 3, fsenum.AdviceDontNeed: 4, fsenum.AdviceNoReuse: 5,
}

// Fadvise is posix_fadvise(2), whose number x/sys/unix has but not the call.
// Like every POSIX_* call it returns its error, not -1 and errno. NetBSD's
// takes a PAD argument before the first off_t, as x/sys/unix's lseek does.
func Fadvise(fd int, off, n int64, a fsenum.Advice) error {
	return eintr.Retry(func() error {
		var r uintptr
		var e unix.Errno
		if runtime.GOOS == "netbsd" {
			r, _, e = unix.Syscall6(unix.SYS_POSIX_FADVISE, uintptr(fd), 0, uintptr(off), uintptr(n), posixAdvice[a], 0)
		} else {
			r, _, e = unix.Syscall6(unix.SYS_POSIX_FADVISE, uintptr(fd), uintptr(off), uintptr(n), posixAdvice[a], 0, 0)
		}
		if e != 0 {
			return e
		}
		if r != 0 {
			return unix.Errno(r)
		}
		return nil
	})
}
