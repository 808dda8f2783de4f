package darwin

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Compile-time proof that consts.go matches golang.org/x/sys/unix for darwin:
// each index is a constant that must be 0, or the package does not build.
// (F_ALLOCATEPERSIST and UTIME_OMIT are not in x/sys/unix; consts.go cites
// their headers.)
func _() {
	var same [1]struct{}
	_ = same[EPERM-unix.EPERM]
	_ = same[ENOENT-unix.ENOENT]
	_ = same[EINTR-unix.EINTR]
	_ = same[EBADF-unix.EBADF]
	_ = same[EEXIST-unix.EEXIST]
	_ = same[ENOTDIR-unix.ENOTDIR]
	_ = same[EISDIR-unix.EISDIR]
	_ = same[EINVAL-unix.EINVAL]
	_ = same[ENOTTY-unix.ENOTTY]
	_ = same[EFBIG-unix.EFBIG]
	_ = same[ENOSPC-unix.ENOSPC]
	_ = same[ERANGE-unix.ERANGE]
	_ = same[ENOTSUP-unix.ENOTSUP]
	_ = same[ELOOP-unix.ELOOP]
	_ = same[ENOTEMPTY-unix.ENOTEMPTY]
	_ = same[ENOSYS-unix.ENOSYS]
	_ = same[ENOATTR-unix.ENOATTR]
	_ = same[EOPNOTSUPP-unix.EOPNOTSUPP]

	_ = same[F_GETFL-unix.F_GETFL]
	_ = same[F_PREALLOCATE-unix.F_PREALLOCATE]
	_ = same[F_RDADVISE-unix.F_RDADVISE]
	_ = same[F_RDAHEAD-unix.F_RDAHEAD]
	_ = same[F_NOCACHE-unix.F_NOCACHE]
	_ = same[F_FULLFSYNC-unix.F_FULLFSYNC]
	_ = same[F_PUNCHHOLE-unix.F_PUNCHHOLE]
	_ = same[F_ALLOCATECONTIG-unix.F_ALLOCATECONTIG]
	_ = same[F_ALLOCATEALL-unix.F_ALLOCATEALL]
	_ = same[F_PEOFPOSMODE-unix.F_PEOFPOSMODE]

	_ = same[O_RDONLY-unix.O_RDONLY]
	_ = same[O_ACCMODE-unix.O_ACCMODE]
	_ = same[O_APPEND-unix.O_APPEND]

	_ = same[S_IFMT-unix.S_IFMT]
	_ = same[S_IFIFO-unix.S_IFIFO]
	_ = same[S_IFCHR-unix.S_IFCHR]
	_ = same[S_IFDIR-unix.S_IFDIR]
	_ = same[S_IFBLK-unix.S_IFBLK]
	_ = same[S_IFREG-unix.S_IFREG]
	_ = same[S_IFLNK-unix.S_IFLNK]
	_ = same[S_IFSOCK-unix.S_IFSOCK]
	_ = same[S_ISUID-unix.S_ISUID]
	_ = same[S_ISGID-unix.S_ISGID]
	_ = same[S_ISVTX-unix.S_ISVTX]

	_ = same[UF_NODUMP-unix.UF_NODUMP]
	_ = same[UF_IMMUTABLE-unix.UF_IMMUTABLE]
	_ = same[UF_APPEND-unix.UF_APPEND]
	_ = same[UF_COMPRESSED-unix.UF_COMPRESSED]
	_ = same[SF_IMMUTABLE-unix.SF_IMMUTABLE]
	_ = same[SF_APPEND-unix.SF_APPEND]

	_ = same[XATTR_NOFOLLOW-unix.XATTR_NOFOLLOW]
	_ = same[XATTR_CREATE-unix.XATTR_CREATE]
	_ = same[XATTR_REPLACE-unix.XATTR_REPLACE]

	_ = same[ENXIO-unix.ENXIO]
	_ = same[EACCES-unix.EACCES]
	_ = same[EXDEV-unix.EXDEV]
	_ = same[CLONE_NOFOLLOW-unix.CLONE_NOFOLLOW]
	_ = same[CLONE_NOOWNERCOPY-unix.CLONE_NOOWNERCOPY]
	_ = same[RENAME_EXCL-unix.RENAME_EXCL]
	_ = same[SEEK_HOLE-unix.SEEK_HOLE]
	_ = same[SEEK_DATA-unix.SEEK_DATA]
	_ = same[UF_DATAVAULT-unix.UF_DATAVAULT]
	_ = same[UF_SETTABLE-unix.UF_SETTABLE]
	_ = same[SF_NOUNLINK-unix.SF_NOUNLINK]
	_ = same[ATTR_BIT_MAP_COUNT-unix.ATTR_BIT_MAP_COUNT]
	_ = same[ATTR_CMN_CRTIME-unix.ATTR_CMN_CRTIME]
	_ = same[ATTR_CMN_MODTIME-unix.ATTR_CMN_MODTIME]
	_ = same[ATTR_CMN_ACCTIME-unix.ATTR_CMN_ACCTIME]
	_ = same[ATTR_CMN_FLAGS-unix.ATTR_CMN_FLAGS]
	_ = same[FSOPT_NOFOLLOW-unix.FSOPT_NOFOLLOW]
}

// The fcntl arguments ride in an unix.Fstore_t's storage (see fcntlPtr):
// they must fit. A negative array length does not compile.
var (
	_ [unsafe.Sizeof(unix.Fstore_t{}) - unsafe.Sizeof(Fpunchhole{})]byte
	_ [unsafe.Sizeof(unix.Fstore_t{}) - unsafe.Sizeof(unix.Radvisory_t{})]byte
)
