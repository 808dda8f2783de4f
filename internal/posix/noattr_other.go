//go:build freebsd || openbsd || netbsd

package posix

import "golang.org/x/sys/unix"

const enoattr = unix.ENOATTR
