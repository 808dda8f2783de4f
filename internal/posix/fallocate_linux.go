package posix

import (
	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// HasFallocate says Fallocate is posix_fallocate here.
const HasFallocate = true

// Fallocate is fallocate(2) mode 0, posix_fallocate's call on Linux (built
// so that the fallbacks are tested there).
func Fallocate(fd int, off, n int64) error {
	return eintr.Retry(func() error { return unix.Fallocate(fd, 0, off, n) })
}
