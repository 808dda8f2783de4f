//go:build openbsd || netbsd || (freebsd && !(amd64 || arm64 || riscv64))

package posix

const HasFallocate = false

// Fallocate: x/sys/unix offers no posix_fallocate here (OpenBSD has none;
// NetBSD's is not in x/sys/unix).
func Fallocate(int, int64, int64) error { return ErrUnsupported }
