package posix

import "golang.org/x/sys/unix"

// nofollowErrno is what open(2) with O_NOFOLLOW says of a symbolic link.
const nofollowErrno = unix.EMLINK
