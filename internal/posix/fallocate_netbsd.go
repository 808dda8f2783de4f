//go:build netbsd && (amd64 || arm64)

package posix

import (
	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// HasFallocate says Fallocate is posix_fallocate here.
const HasFallocate = true

// sysPosixFallocate is posix_fallocate's number in NetBSD's syscalls.master
// (NetBSD 7+): int posix_fallocate(int fd, int PAD, off_t pos, off_t len).
// x/sys/unix has neither the call nor its number.
const sysPosixFallocate = 479

// Fallocate is posix_fallocate(2); a filesystem that cannot reserve blocks
// says EOPNOTSUPP. Like every POSIX_* call it returns its error, not -1 and
// errno. The PAD argument takes a register, as in x/sys/unix's lseek.
func Fallocate(fd int, off, n int64) error {
	return eintr.Retry(func() error {
		r, _, e := unix.Syscall6(sysPosixFallocate, uintptr(fd), 0, uintptr(off), uintptr(n), 0, 0)
		if e != 0 {
			return e
		}
		if r != 0 {
			return unix.Errno(r)
		}
		return nil
	})
}
