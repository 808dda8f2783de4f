//go:build freebsd && (amd64 || arm64 || riscv64)

package posix

import (
	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// HasFallocate says Fallocate is posix_fallocate here.
const HasFallocate = true

// Fallocate is posix_fallocate(2) (FreeBSD 9+; EINVAL on ZFS, which cannot
// reserve blocks). x/sys/unix has only its number. Like every POSIX_*
// call it returns its error, not -1 and errno. (One register per off_t:
// 64-bit systems only.)
func Fallocate(fd int, off, n int64) error {
	return eintr.Retry(func() error {
		r, _, e := unix.Syscall(unix.SYS_POSIX_FALLOCATE, uintptr(fd), uintptr(off), uintptr(n))
		if e != 0 {
			return e
		}
		if r != 0 {
			return unix.Errno(r)
		}
		return nil
	})
}
