package bench

// The floor of BenchmarkCopyTree and BenchmarkCopyTreeUpdate: bare loops of
// the system calls that copying (or checking) the benchmark tree cannot do
// without, through golang.org/x/sys/unix, no *os.File, no checks. They know
// the tree's shape (a root of directories of regular files) and nothing
// else.

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// bareTreeCopy copies the benchmark tree src to dst from workers
// goroutines, each taking whole directories: per file openat, statx,
// openat(O_CREAT), FICLONE (clone) or copy_file_range, flistxattr,
// utimensat, close, close; per directory mkdirat, openat, getdents. With
// osFile, the same with each file's descriptor in an *os.File as CopyTree
// holds it (the source opened O_NONBLOCK, os.NewFile, closed through it):
// what the *os.File costs.
func bareTreeCopy(src, dst string, workers int, clone, osFile bool) error {
	if err := unix.Mkdir(dst, 0o755); err != nil {
		return err
	}
	return bareTreeDirs(src, dst, workers, func(sfd, dfd int, names []string) error {
		var st unix.Statx_t
		buf := make([]byte, 256)
		for _, name := range names {
			flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
			if osFile {
				flags |= unix.O_NONBLOCK
			}
			in, err := unix.Openat(sfd, name, flags, 0)
			if err != nil {
				return err
			}
			if err := unix.Statx(in, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &st); err != nil {
				return err
			}
			out, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(st.Mode&0o7777))
			if err != nil {
				return err
			}
			if clone {
				err = unix.IoctlFileClone(out, in)
			} else {
				for left := int64(st.Size); left > 0 && err == nil; {
					var n int
					n, err = unix.CopyFileRange(in, nil, out, nil, int(left), 0)
					if n == 0 && err == nil {
						err = errors.New("copy_file_range: early EOF")
					}
					left -= int64(n)
				}
			}
			if err != nil {
				return err
			}
			if _, err := unix.Flistxattr(in, buf); err != nil && err != unix.EOPNOTSUPP {
				return err
			}
			ts := []unix.Timespec{{Sec: st.Atime.Sec, Nsec: int64(st.Atime.Nsec)}, {Sec: st.Mtime.Sec, Nsec: int64(st.Mtime.Nsec)}}
			if err := unix.UtimesNanoAt(out, "", ts, unix.AT_EMPTY_PATH); err != nil {
				return err
			}
			if osFile {
				// As CopyTree does it: the wrapping after the open, the
				// closing at the end.
				os.NewFile(uintptr(in), name).Close()
				os.NewFile(uintptr(out), name).Close()
				continue
			}
			unix.Close(in)
			unix.Close(out)
		}
		return nil
	})
}

// bareTreeStat checks the copy dst of the benchmark tree src as a no-op
// update does: per directory openat and getdents of the source, per file a
// statx in each tree, from workers goroutines.
func bareTreeStat(src, dst string, workers int) error {
	return bareTreeDirs(src, dst, workers, func(sfd, dfd int, names []string) error {
		var s, d unix.Statx_t
		for _, name := range names {
			if err := unix.Statx(dfd, name, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &d); err != nil {
				return err
			}
			if err := unix.Statx(sfd, name, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &s); err != nil {
				return err
			}
		}
		return nil
	})
}

// bareTreeDirs runs fn for each directory of src with it open, its
// destination (mkdirat'd if missing) open, and its names, from workers
// goroutines taking directories from a shared counter.
func bareTreeDirs(src, dst string, workers int, fn func(sfd, dfd int, names []string) error) error {
	subs, err := bareNames(src)
	if err != nil {
		return err
	}
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(subs) || errs[w] != nil {
					return
				}
				errs[w] = bareDir(src+"/"+subs[i], dst+"/"+subs[i], fn)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func bareDir(src, dst string, fn func(sfd, dfd int, names []string) error) error {
	if err := unix.Mkdir(dst, 0o700); err != nil && err != unix.EEXIST {
		return err
	}
	sfd, err := unix.Open(src, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(sfd)
	names, err := readNames(sfd)
	if err != nil {
		return err
	}
	dfd, err := unix.Open(dst, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	return fn(sfd, dfd, names)
}

// bareNames reads the names in dir.
func bareNames(dir string) ([]string, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readNames(fd)
}

// readNames reads the names in the open directory fd with getdents.
func readNames(fd int) ([]string, error) {
	var names []string
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}
