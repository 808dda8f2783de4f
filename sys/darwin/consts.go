package darwin

import (
	"syscall"

	"github.com/extfs/extfs/internal/unixmode"
)

// macOS ABI values the decisions of this package are made with. They are
// written out here, rather than taken from golang.org/x/sys/unix, so that
// the decisions build, and their tests run, on every OS. check_darwin.go
// proves at compile time that each equals x/sys/unix's value where x/sys/unix
// has one; the others cite their header.

// Errnos, from <sys/errno.h>.
const (
	EPERM      = syscall.Errno(1)
	ENOENT     = syscall.Errno(2)
	EINTR      = syscall.Errno(4)
	EBADF      = syscall.Errno(9)
	EEXIST     = syscall.Errno(17)
	ENOTDIR    = syscall.Errno(20)
	EISDIR     = syscall.Errno(21)
	EINVAL     = syscall.Errno(22)
	ENOTTY     = syscall.Errno(25)
	EFBIG      = syscall.Errno(27)
	ENOSPC     = syscall.Errno(28)
	ERANGE     = syscall.Errno(34)
	ENOTSUP    = syscall.Errno(45)
	ELOOP      = syscall.Errno(62)
	ENOTEMPTY  = syscall.Errno(66)
	ENOSYS     = syscall.Errno(78)
	ENOATTR    = syscall.Errno(93)
	EOPNOTSUPP = syscall.Errno(102)
)

// fcntl(2) commands and arguments, from <sys/fcntl.h>.
const (
	F_GETFL       = 3
	F_PREALLOCATE = 42
	F_RDADVISE    = 44
	F_RDAHEAD     = 45
	F_NOCACHE     = 48
	F_FULLFSYNC   = 51
	F_PUNCHHOLE   = 99

	// fst_flags of F_PREALLOCATE.
	F_ALLOCATECONTIG = 0x2
	F_ALLOCATEALL    = 0x4
	// F_ALLOCATEPERSIST keeps space past the end of file after close(2);
	// without it the space is given back on close. Not in x/sys/unix.
	// Kernels older than the flag ignore it (kern_descrip.c tests
	// fst_flags bit by bit and rejects no unknown bit).
	F_ALLOCATEPERSIST = 0x8

	// fst_posmode of F_PREALLOCATE: allocate from the physical end of file.
	// (F_VOLPOSMODE, 4, takes a position on the volume, not in the file.)
	F_PEOFPOSMODE = 3
)

// open(2) flags, from <sys/fcntl.h>.
const (
	O_RDONLY  = 0x0
	O_ACCMODE = 0x3
	O_APPEND  = 0x8
)

// File types and mode bits, from <sys/stat.h>: POSIX's, the same as Linux's.
const (
	S_IFMT   = unixmode.S_IFMT
	S_IFIFO  = unixmode.S_IFIFO
	S_IFCHR  = unixmode.S_IFCHR
	S_IFDIR  = unixmode.S_IFDIR
	S_IFBLK  = unixmode.S_IFBLK
	S_IFREG  = unixmode.S_IFREG
	S_IFLNK  = unixmode.S_IFLNK
	S_IFSOCK = unixmode.S_IFSOCK
	S_ISUID  = unixmode.S_ISUID
	S_ISGID  = unixmode.S_ISGID
	S_ISVTX  = unixmode.S_ISVTX
)

// st_flags bits (chflags(2)), from <sys/stat.h>.
const (
	UF_NODUMP     = 0x1
	UF_IMMUTABLE  = 0x2
	UF_APPEND     = 0x4
	UF_COMPRESSED = 0x20
	SF_IMMUTABLE  = 0x20000
	SF_APPEND     = 0x40000
)

// Extended attributes, from <sys/xattr.h>.
const (
	XATTR_NOFOLLOW = 0x1
	XATTR_CREATE   = 0x2
	XATTR_REPLACE  = 0x4

	// XATTR_MAXNAMELEN is the longest name, in bytes; the system calls
	// copy the name into a buffer of XATTR_MAXNAMELEN+1 bytes and fail
	// with ENAMETOOLONG beyond it.
	XATTR_MAXNAMELEN = 127
)

// UTIME_OMIT, in a tv_nsec given to utimensat(2), leaves that time alone.
// From <sys/stat.h>; not in x/sys/unix for darwin. (Linux's is 1<<30 - 2.)
const UTIME_OMIT = -2

// The values of cloning and copying.
const (
	ENXIO  = syscall.Errno(6)
	EACCES = syscall.Errno(13)
	EXDEV  = syscall.Errno(18)

	// clonefile(2) flags, from <sys/clonefile.h>. (CLONE_ACL, 0x4, exists
	// from macOS 13 only; older kernels refuse it with EINVAL.)
	CLONE_NOFOLLOW    = 0x1
	CLONE_NOOWNERCOPY = 0x2

	// renameatx_np(2) flag, from <stdio.h>: fail with EEXIST rather than
	// replace.
	RENAME_EXCL = 0x4

	// lseek(2) whence, from <sys/unistd.h>. Not Linux's values: there
	// SEEK_DATA is 3 and SEEK_HOLE 4.
	SEEK_HOLE = 3
	SEEK_DATA = 4

	// st_flags, from <sys/stat.h> (see also consts.go).
	UF_DATAVAULT = 0x80
	UF_SETTABLE  = 0xffff // every flag the owner may set or clear
	SF_NOUNLINK  = 0x100000

	// setattrlist(2), from <sys/attr.h>.
	ATTR_BIT_MAP_COUNT = 5
	ATTR_CMN_CRTIME    = 0x200
	ATTR_CMN_MODTIME   = 0x400
	ATTR_CMN_ACCTIME   = 0x1000
	ATTR_CMN_FLAGS     = 0x40000
	FSOPT_NOFOLLOW     = 0x1
)
