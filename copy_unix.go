//go:build linux || darwin

package extfs

import "golang.org/x/sys/unix"

// sysOpenMode says how fd was opened.
func sysOpenMode(fd uintptr) (m openMode, known bool) {
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return openMode{}, false
	}
	acc := fl & unix.O_ACCMODE
	return openMode{
		read:   acc == unix.O_RDONLY || acc == unix.O_RDWR,
		write:  acc == unix.O_WRONLY || acc == unix.O_RDWR,
		append: fl&unix.O_APPEND != 0,
	}, true
}
