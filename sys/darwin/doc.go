// Package darwin runs file operations on macOS for extfs, on
// golang.org/x/sys/unix and without cgo.
//
// The package has two halves. The files without a build constraint hold the
// decisions — which fcntl an access hint becomes, how many bytes
// F_PREALLOCATE must ask for, which part of a range F_PUNCHHOLE can take,
// which errno means "the filesystem cannot" — as pure functions over the
// macOS ABI values of consts.go, so that their tests run on every OS, Linux
// CI included. The files named *_darwin.go make the system calls those
// decisions describe, and nothing else.
//
// Errors from system calls are the raw syscall.Errno, except that an errno
// by which a filesystem says it lacks a command but which does not say so
// itself (ENOTTY) is wrapped to also match errors.ErrUnsupported (see
// Classify). Callers wrap errors in *fs.PathError. File descriptors are
// plain ints that the caller keeps open for the duration of a call.
//
// # What macOS lacks, and what is done instead
//
//   - fallocate(2): F_PREALLOCATE adds storage after the physical end of
//     file and never changes the size, so Preallocate asks for the storage
//     missing below off+n (PreallocPlan) and then grows the size with
//     ftruncate. It cannot fill holes below the physical end of file.
//   - FALLOC_FL_PUNCH_HOLE: F_PUNCHHOLE needs block-aligned ranges; PunchHole
//     punches the aligned middle and writes zeros over the partial blocks at
//     either end, within the file size (PunchPlan). No zero-range, collapse,
//     insert or unshare.
//   - posix_fadvise(2): F_RDADVISE (read ahead a range), F_RDAHEAD and
//     F_NOCACHE (per open file, not per range); nothing drops a range from
//     the cache (AdvicePlan).
//   - fdatasync(2): Fsync is F_FULLFSYNC, as os.File.Sync does on macOS,
//     falling back to fsync(2) where the filesystem lacks it.
//   - futimens(2): x/sys/unix has no futimens for darwin. Futimes uses
//     futimes(2), microsecond precision; an omitted time is read first with
//     fstat (Timevals). With a directory and a name, UtimensAt keeps
//     nanoseconds and UTIME_OMIT.
//   - mknodat(2), mkfifoat(2): x/sys/unix has neither for darwin. Mknodat and
//     Mkfifoat run mknod(2) and mkfifo(2) with the thread's working directory
//     set to the directory descriptor (InDir, pthread_fchdir_np).
//   - fsetxattr(2) flags: x/sys/unix's Fsetxattr drops its flags argument
//     (it passes options 0). Setxattr on a descriptor carries out
//     XATTR_CREATE and XATTR_REPLACE by looking first (FsetxattrCheck) — not
//     atomically. On a path it passes the flags to the kernel.
//   - openat2(2) RESOLVE_BENEATH: none; extfs resolves names beneath a
//     directory one component at a time (dir_unix.go in package extfs).
package darwin
