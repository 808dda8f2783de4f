package darwin

// Path and metadata calls: the *at family, stat, times, modes, owners, nodes.
// Each retries EINTR (eintr.Retry) and returns the errno.

import (
	"runtime"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsstat"
	"golang.org/x/sys/unix"
)

// Openat is openat(2); it returns the new descriptor.
func Openat(dirfd int, path string, flags int, mode uint32) (fd int, err error) {
	err = eintr.Retry(func() (err error) {
		fd, err = unix.Openat(dirfd, path, flags, mode)
		return err
	})
	return fd, err
}

// Close is close(2). It is not retried: after EINTR the descriptor is gone.
func Close(fd int) error { return unix.Close(fd) }

// Mkdirat is mkdirat(2).
func Mkdirat(dirfd int, path string, mode uint32) error {
	return eintr.Retry(func() error { return unix.Mkdirat(dirfd, path, mode) })
}

// Unlinkat is unlinkat(2).
func Unlinkat(dirfd int, path string, flags int) error {
	return eintr.Retry(func() error { return unix.Unlinkat(dirfd, path, flags) })
}

// Renameat is renameat(2).
func Renameat(olddirfd int, oldpath string, newdirfd int, newpath string) error {
	return eintr.Retry(func() error { return unix.Renameat(olddirfd, oldpath, newdirfd, newpath) })
}

// Linkat is linkat(2). flags 0 links a symbolic link oldpath itself.
func Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	return eintr.Retry(func() error { return unix.Linkat(olddirfd, oldpath, newdirfd, newpath, flags) })
}

// Symlinkat is symlinkat(2).
func Symlinkat(target string, dirfd int, path string) error {
	return eintr.Retry(func() error { return unix.Symlinkat(target, dirfd, path) })
}

// Readlinkat is readlinkat(2); it sizes the buffer itself.
func Readlinkat(dirfd int, path string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := eintr.Retry1(func() (int, error) { return unix.Readlinkat(dirfd, path, buf) })
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// Fstat is fstat(2).
func Fstat(fd int) (Stat, error) {
	st, err := fstat(fd)
	if err != nil {
		return Stat{}, err
	}
	return statFrom(st), nil
}

// Fstatat is fstatat(2); flags may hold AT_SYMLINK_NOFOLLOW.
func Fstatat(dirfd int, path string, flags int) (Stat, error) {
	st := new(unix.Stat_t)
	if err := eintr.Retry(func() error { return unix.Fstatat(dirfd, path, st, flags) }); err != nil {
		return Stat{}, err
	}
	return statFrom(st), nil
}

// FstatInfo is Fstat for extfs.Stat (Stat.Info).
func FstatInfo(fd int) (fsstat.Stat, error) { return info(Fstat(fd)) }

// Statat is fstatat(2) of path in dir for extfs.Stat (Stat.Info),
// following a symbolic link there if follow. The empty path is ENOENT, as
// on Linux.
func Statat(dir int, path string, follow bool) (fsstat.Stat, error) {
	if path == "" {
		return fsstat.Stat{}, ENOENT
	}
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	return info(Fstatat(dir, path, flags))
}

func statFrom(st *unix.Stat_t) Stat {
	ts := func(t unix.Timespec) Timespec { return Timespec{Sec: t.Sec, Nsec: t.Nsec} }
	return Stat{
		Dev:     uint64(uint32(st.Dev)),
		Ino:     st.Ino,
		Mode:    uint32(st.Mode),
		Nlink:   uint64(st.Nlink),
		Uid:     st.Uid,
		Gid:     st.Gid,
		Rdev:    uint64(uint32(st.Rdev)),
		Size:    st.Size,
		Blocks:  st.Blocks,
		Blksize: int64(st.Blksize),
		Atime:   ts(st.Atim),
		Mtime:   ts(st.Mtim),
		Ctime:   ts(st.Ctim),
		Btime:   ts(st.Btim),
		Flags:   st.Flags,
	}
}

// Fchmod is fchmod(2).
func Fchmod(fd int, mode uint32) error {
	return eintr.Retry(func() error { return unix.Fchmod(fd, mode) })
}

// Fchmodat is fchmodat(2); flags may hold AT_SYMLINK_NOFOLLOW, which macOS
// honours (the mode of a symbolic link itself).
func Fchmodat(dirfd int, path string, mode uint32, flags int) error {
	return eintr.Retry(func() error { return unix.Fchmodat(dirfd, path, mode, flags) })
}

// Fchown is fchown(2).
func Fchown(fd, uid, gid int) error {
	return eintr.Retry(func() error { return unix.Fchown(fd, uid, gid) })
}

// Fchownat is fchownat(2).
func Fchownat(dirfd int, path string, uid, gid, flags int) error {
	return eintr.Retry(func() error { return unix.Fchownat(dirfd, path, uid, gid, flags) })
}

// UtimensAt is utimensat(2): nanoseconds, and UTIME_OMIT honoured.
func UtimensAt(dirfd int, path string, ts [2]Timespec, flags int) error {
	uts := []unix.Timespec{{Sec: ts[0].Sec, Nsec: ts[0].Nsec}, {Sec: ts[1].Sec, Nsec: ts[1].Nsec}}
	return eintr.Retry(func() error { return unix.UtimesNanoAt(dirfd, path, uts, flags) })
}

// Futimes sets the times of the open file fd with futimes(2): x/sys/unix has
// no futimens(2) for darwin, so the times are set to the microsecond, and a
// UTIME_OMIT time is first read with fstat (Timevals). Both UTIME_OMIT is
// nothing to do.
func Futimes(fd int, ts [2]Timespec) error {
	all, some := Omitted(ts)
	if all {
		return nil
	}
	var cur [2]Timespec
	if some {
		st, err := fstat(fd)
		if err != nil {
			return err
		}
		cur = [2]Timespec{{st.Atim.Sec, st.Atim.Nsec}, {st.Mtim.Sec, st.Mtim.Nsec}}
	}
	tv := Timevals(ts, cur)
	utv := []unix.Timeval{{Sec: tv[0].Sec, Usec: tv[0].Usec}, {Sec: tv[1].Sec, Usec: tv[1].Usec}}
	return eintr.Retry(func() error { return unix.Futimes(fd, utv) })
}

// Mknodat makes the node path in the directory dirfd as MknodPlan says:
// an empty regular file with openat(O_CREAT|O_EXCL), a FIFO with mkfifo(2),
// a device with mknod(2). mode holds the S_IF* type (or 0 for a regular
// file) and permission bits; the umask applies. x/sys/unix has no mknodat or
// mkfifoat for darwin: mkfifo and mknod run in dirfd (InDir).
func Mknodat(dirfd int, path string, mode uint32, dev uint64) error {
	node, m, ok := MknodPlan(mode&S_IFMT, mode&^S_IFMT, dev)
	if !ok {
		return EINVAL
	}
	switch node {
	case NodeRegular:
		fd, err := Openat(dirfd, path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, m)
		if err != nil {
			return err
		}
		return Close(fd)
	case NodeFIFO:
		return InDir(dirfd, func() error {
			return eintr.Retry(func() error { return unix.Mkfifo(path, m) })
		})
	}
	return InDir(dirfd, func() error {
		return eintr.Retry(func() error { return unix.Mknod(path, m, int(uint32(dev))) })
	})
}

// InDir runs fn with the calling thread's working directory set to the
// directory dirfd, for calls that have no *at form (in x/sys/unix): macOS
// gives threads a working directory of their own with pthread_fchdir_np,
// and -1 returns the thread to the process's. The goroutine is locked to the
// thread meanwhile. Should the thread's working directory fail to come
// back, the goroutine stays locked to the thread, and the runtime ends the
// thread when the goroutine exits, rather than let other goroutines resolve
// relative paths in the wrong directory.
func InDir(dirfd int, fn func() error) error {
	if dirfd == unix.AT_FDCWD {
		return fn()
	}
	runtime.LockOSThread()
	if err := unix.PthreadFchdir(dirfd); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	err := fn()
	if unix.PthreadFchdir(-1) == nil {
		runtime.UnlockOSThread()
	}
	return err
}
