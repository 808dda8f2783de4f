//go:build freebsd && (amd64 || arm64 || riscv64)

package posix

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysCopyFileRange is copy_file_range's number in FreeBSD's syscalls.master
// (FreeBSD 13+); x/sys/unix has neither the call nor its number.
const sysCopyFileRange = 569

// CopyFileRange is copy_file_range(2): up to n bytes from src at *srcOff to
// dst at *dstOff, both offsets advanced by what it copied; 0 at the end of
// the source. ENOSYS before FreeBSD 13. (One register per off_t: 64-bit
// systems only.)
func CopyFileRange(src int, srcOff *int64, dst int, dstOff *int64, n int) (int, error) {
	for {
		r, _, e := unix.Syscall6(sysCopyFileRange, uintptr(src), uintptr(unsafe.Pointer(srcOff)),
			uintptr(dst), uintptr(unsafe.Pointer(dstOff)), uintptr(n), 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		}
		return 0, e
	}
}
