package darwin

// The fcntl-based calls on an open file: Fsync, Fadvise, Preallocate,
// PunchHole. What to ask for is decided in alloc.go and advice.go.

import (
	"unsafe"

	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

func fcntl(fd, cmd, arg int) (val int, err error) {
	err = eintr.Retry(func() (err error) {
		val, err = unix.FcntlInt(uintptr(fd), cmd, arg)
		return err
	})
	return val, err
}

// fcntlPtr is fcntl(fd, cmd, arg) where arg points at a struct in buf.
// x/sys/unix exports pointer fcntls only for its own structs (FcntlFstore,
// FcntlFlock). FcntlFstore hands its pointer to fcntl(2) untouched, so any
// argument that fits in an Fstore_t can be laid out in one (check_darwin.go
// proves that Fpunchhole and Radvisory_t fit); the kernel copies in only its
// own struct's size.
func fcntlPtr(fd, cmd int, buf *unix.Fstore_t) error {
	return eintr.Retry(func() error { return unix.FcntlFstore(uintptr(fd), cmd, buf) })
}

func fstat(fd int) (*unix.Stat_t, error) {
	st := new(unix.Stat_t)
	err := eintr.Retry(func() error { return unix.Fstat(fd, st) })
	return st, err
}

// Fsync commits the file to stable storage: F_FULLFSYNC, which also flushes
// the drive's cache (plain fsync(2) on macOS does not), as os.File.Sync does;
// fsync(2) where the filesystem has no F_FULLFSYNC (FullFsyncFallback).
// macOS has no cheaper call that is as durable, so it serves Datasync too.
func Fsync(fd int) error {
	_, err := fcntl(fd, unix.F_FULLFSYNC, 0)
	if FullFsyncFallback(err) {
		err = eintr.Retry(func() error { return unix.Fsync(fd) })
	}
	return err
}

// Fadvise carries out advice a for [off, off+n) (n == 0: to the end of the
// file) as AdvicePlan says. Advice macOS has no call for fails with ENOTSUP.
func Fadvise(fd int, off, n int64, a fsenum.Advice) error {
	calls, rdadvise, ok := AdvicePlan(a)
	switch {
	case !ok:
		return ENOTSUP
	case rdadvise:
		return readAdvise(fd, off, n)
	}
	for _, c := range calls {
		if _, err := fcntl(fd, c.Cmd, c.Arg); err != nil {
			return Classify(err)
		}
	}
	return nil
}

// readAdvise is F_RDADVISE over [off, off+n), clipped to the file.
func readAdvise(fd int, off, n int64) error {
	st, err := fstat(fd)
	if err != nil {
		return err
	}
	start, end := RdadviseRange(st.Size, off, n)
	for start < end {
		count := RdadviseCount(start, end)
		var buf unix.Fstore_t
		ra := (*unix.Radvisory_t)(unsafe.Pointer(&buf))
		ra.Offset, ra.Count = start, count
		if err := fcntlPtr(fd, unix.F_RDADVISE, &buf); err != nil {
			if RdadviseIgnore(err) {
				return nil
			}
			return Classify(err)
		}
		start += int64(count)
	}
	return nil
}

// Fallocate carries out mode over [off, off+n): Preallocate, or PunchHole;
// ENOTSUP for a mode macOS has no call for (AllocModeOK).
func Fallocate(fd int, mode fsenum.AllocMode, off, n int64) error {
	switch {
	case !AllocModeOK(mode):
		return ENOTSUP
	case mode&fsenum.AllocPunchHole != 0:
		return PunchHole(fd, off, n)
	}
	return Preallocate(fd, off, n, mode&fsenum.AllocKeepSize != 0)
}

// Preallocate gives [off, off+n) storage with F_PREALLOCATE and, unless
// keepSize, grows the file to off+n with ftruncate (PreallocPlan,
// FstoreAttempts). The file must be open for writing (EBADF).
func Preallocate(fd int, off, n int64, keepSize bool) error {
	st, err := fstat(fd)
	if err != nil {
		return err
	}
	length, truncateTo := PreallocPlan(st.Size, st.Blocks*512, off, n, keepSize)
	if length > 0 {
		for _, flags := range FstoreAttempts(keepSize) {
			fst := unix.Fstore_t{Flags: flags, Posmode: unix.F_PEOFPOSMODE, Length: length}
			if err = fcntlPtr(fd, unix.F_PREALLOCATE, &fst); !FstoreRetry(err) {
				break
			}
		}
		if err != nil {
			return Classify(err)
		}
	}
	if truncateTo > 0 {
		return growTo(fd, truncateTo)
	}
	return nil
}

// growTo sets the size to size unless the file is already that large: the
// size is read again just before, so that a concurrent writer's growth since
// Preallocate's fstat is never cut off. (There is still a window between
// this fstat and ftruncate; Linux's fallocate(2) has none.)
func growTo(fd int, size int64) error {
	st, err := fstat(fd)
	if err != nil || st.Size >= size {
		return err
	}
	return eintr.Retry(func() error { return unix.Ftruncate(fd, size) })
}

// PunchHole deallocates [off, off+n) with F_PUNCHHOLE where it covers whole
// blocks and writes zeros over the partial blocks at either end, within the
// file's size (PunchPlan, PunchCheck). The size does not change.
func PunchHole(fd int, off, n int64) error {
	st, err := fstat(fd)
	if err != nil {
		return err
	}
	var sfs unix.Statfs_t
	if err := eintr.Retry(func() error { return unix.Fstatfs(fd, &sfs) }); err != nil {
		return err
	}
	flags, err := fcntl(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	bsize := int64(sfs.Bsize)
	if bsize <= 0 {
		bsize = 4096 // f_bsize is never 0; if it were, partial blocks would be written as if 4 KiB
	}
	p := PunchPlan(off, n, st.Size, bsize)
	if err := PunchCheck(flags, p); err != nil {
		return err
	}
	if p.Hole.Len > 0 {
		var buf unix.Fstore_t
		fp := (*Fpunchhole)(unsafe.Pointer(&buf))
		fp.Offset, fp.Length = p.Hole.Off, p.Hole.Len
		if err := fcntlPtr(fd, unix.F_PUNCHHOLE, &buf); err != nil {
			return Classify(err)
		}
	}
	for _, z := range p.Zero {
		if err := writeZeros(fd, z); err != nil {
			return err
		}
	}
	return nil
}

// writeZeros writes zeros over span z with pwrite(2).
func writeZeros(fd int, z Span) error {
	if z.Len <= 0 {
		return nil
	}
	zeros := make([]byte, min(z.Len, 64<<10))
	for z.Len > 0 {
		var n int
		err := eintr.Retry(func() (err error) {
			n, err = unix.Pwrite(fd, zeros[:min(int64(len(zeros)), z.Len)], z.Off)
			return err
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return unix.EIO // pwrite(2) of a regular file never writes nothing without an error
		}
		z.Off += int64(n)
		z.Len -= int64(n)
	}
	return nil
}

// RemoveAt is unlinkat(2) of a file or, with isDir, of an empty directory.
// Removing a directory without isDir fails with Linux's EISDIR rather than
// macOS's EPERM, so that a caller (extfs's Batch.Remove) knows to try again
// as a directory.
func RemoveAt(dirfd int, path string, isDir bool) error {
	if isDir {
		return Unlinkat(dirfd, path, unix.AT_REMOVEDIR)
	}
	err := Unlinkat(dirfd, path, 0)
	if UnlinkMaybeDir(err) {
		if st, serr := Fstatat(dirfd, path, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&S_IFMT == S_IFDIR {
			return EISDIR
		}
	}
	return err
}
