//go:build openbsd || netbsd

package posix

// SeekData: this system's lseek(2) has no SEEK_DATA (OpenBSD, NetBSD).
func SeekData(int, int64) (data, hole int64, ok bool, err error) {
	return 0, 0, false, ErrUnsupported
}
