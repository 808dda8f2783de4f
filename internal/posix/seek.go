//go:build linux || freebsd

package posix

import (
	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// SeekData finds the first data range of fd at or after off with
// lseek(2)'s SEEK_DATA and SEEK_HOLE; ok is false when there is none. It
// moves fd's offset.
func SeekData(fd int, off int64) (data, hole int64, ok bool, err error) {
	data, err = eintr.Retry1(func() (int64, error) { return unix.Seek(fd, off, unix.SEEK_DATA) })
	if err == unix.ENXIO {
		return 0, 0, false, nil // only a hole from off to the end
	}
	if err != nil {
		return 0, 0, false, err
	}
	hole, err = eintr.Retry1(func() (int64, error) { return unix.Seek(fd, data, unix.SEEK_HOLE) })
	if err != nil {
		return 0, 0, false, err
	}
	return data, hole, true, nil
}
