//go:build linux

package extfs

import (
	"io/fs"
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

// sysOpen is open(2) on the engine: a direct call while the process is
// quiet, the ring when crowded or under EngineRing.
func sysOpen(name string, flag int, perm fs.FileMode) (uintptr, bool, error) {
	fd, err := linux.Openat(unix.AT_FDCWD, name, flag|unix.O_CLOEXEC, permBits(perm))
	if err != nil {
		return 0, true, err
	}
	return uintptr(fd), true, nil
}

// sysPrepareFd sets O_NONBLOCK on a descriptor that the runtime's poller
// can wait on (what os.OpenFile does; for regular files and directories
// epoll refuses, and os leaves them blocking).
func sysPrepareFd(fd uintptr) {
	var st unix.Stat_t
	if unix.Fstat(int(fd), &st) != nil {
		return
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFCHR:
		unix.SetNonblock(int(fd), true)
	}
}
