//go:build openbsd || (netbsd && !(amd64 || arm64)) || (freebsd && !(amd64 || arm64 || riscv64))

package posix

const HasFallocate = false

// Fallocate: no posix_fallocate here (OpenBSD has none; FreeBSD and NetBSD
// are called by number on their 64-bit systems only).
func Fallocate(int, int64, int64) error { return ErrUnsupported }
