package posix

import "golang.org/x/sys/unix"

const enoattr = unix.ENODATA
