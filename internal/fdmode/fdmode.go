//go:build unix

// Package fdmode answers, for a Unix file descriptor, how it was opened,
// makes one opened non-blocking block again, and keeps its offset: what the
// copy functions ask of Linux and macOS alike (fcntl, lseek).
package fdmode

import (
	"io"

	"golang.org/x/sys/unix"
)

// Of reports whether fd was opened for reading, for writing, and with
// O_APPEND; ok is false when fcntl fails.
func Of(fd uintptr) (read, write, append, ok bool) {
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return false, false, false, false
	}
	acc := fl & unix.O_ACCMODE
	return acc != unix.O_WRONLY, acc != unix.O_RDONLY, fl&unix.O_APPEND != 0, true
}

// Blocking clears the file status flags of fd (F_SETFL to 0), O_NONBLOCK
// among them. Only for a descriptor opened with no other flag F_SETFL
// changes (O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME).
func Blocking(fd uintptr) error {
	_, err := unix.FcntlInt(fd, unix.F_SETFL, 0)
	return err
}

// KeepOffset returns what puts fd's file offset back where it is now:
// SEEK_DATA and SEEK_HOLE move it, and the copy functions promise not to.
func KeepOffset(fd uintptr) (restore func()) {
	cur, err := unix.Seek(int(fd), 0, io.SeekCurrent)
	if err != nil {
		return func() {}
	}
	return func() { unix.Seek(int(fd), cur, io.SeekStart) }
}
