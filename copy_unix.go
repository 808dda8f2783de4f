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

// srcOpenFlags open a file to copy (CopyFile, Clone). O_NONBLOCK: a FIFO put
// at the name since CopyFile looked at it must not block the open, waiting
// for a writer (the type is checked on the descriptor after); O_NOCTTY: nor
// may a terminal become the process's controlling one.
const srcOpenFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY

// sysSourceBlocking clears O_NONBLOCK from a source found to be a regular
// file: its reads then wait for the disk, wherever they are made (io_uring
// fails a read of an O_NONBLOCK regular file with EAGAIN instead). One
// F_SETFL to 0: of the flags it can change, srcOpenFlags set no other.
func sysSourceBlocking(fd uintptr) error {
	_, err := unix.FcntlInt(fd, unix.F_SETFL, 0)
	return err
}
