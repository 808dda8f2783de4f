//go:build linux

package extfs

import (
	"sync/atomic"

	"github.com/extfs/extfs/sys/linux"
	"golang.org/x/sys/unix"
)

// The data path runs on the sys/linux engine: reads first take what the
// page cache holds without blocking; what must wait for the disk waits on
// io_uring as a parked goroutine (linux.ReadAt).
const sysDataEngine = true

func sysRegular(fd uintptr) bool {
	var st unix.Stat_t
	return unix.Fstat(int(fd), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}

func sysReadAt(fd uintptr, p []byte, off int64, nowaitOff *atomic.Bool) (int, error) {
	return linux.ReadAt(int(fd), p, off, nowaitOff)
}
func sysWriteAt(fd uintptr, p []byte, off int64) (int, error) { return linux.WriteAt(int(fd), p, off) }
func sysRead(fd uintptr, p []byte, nowaitOff *atomic.Bool) (int, error) {
	return linux.Read(int(fd), p, nowaitOff)
}
func sysWrite(fd uintptr, p []byte) (int, error) { return linux.Write(int(fd), p) }
