package posix

import "golang.org/x/sys/unix"

// mknodat is mknodat(2) (FreeBSD's dev_t has 64 bits).
func mknodat(dir int, name string, mode uint32, dev uint64) error {
	return unix.Mknodat(dir, name, mode, dev)
}
