//go:build linux || openbsd || netbsd

package posix

import "golang.org/x/sys/unix"

// mknodat is mknodat(2); dev_t is an int in x/sys/unix here.
func mknodat(dir int, name string, mode uint32, dev uint64) error {
	return unix.Mknodat(dir, name, mode, int(dev))
}
