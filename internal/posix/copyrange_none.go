//go:build !(freebsd && (amd64 || arm64 || riscv64))

package posix

// CopyFileRange: this system has no copy_file_range for the fallbacks
// (Linux has its own backend; OpenBSD and NetBSD have none).
func CopyFileRange(int, *int64, int, *int64, int) (int, error) { return 0, ErrUnsupported }
