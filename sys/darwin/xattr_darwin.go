package darwin

// Extended attributes, on x/sys/unix's *xattr calls (which are on the
// descriptor; github.com/pkg/xattr's F* functions resolve the descriptor's
// path with F_GETPATH and act on the path, which is another file after a
// rename). A missing attribute is ENOATTR.

import (
	"github.com/extfs/extfs/internal/eintr"
	"golang.org/x/sys/unix"
)

// Fgetxattr returns the value of attribute name of the open file fd.
func Fgetxattr(fd int, name string) ([]byte, error) {
	return ReadSized(
		func() (int, error) { return eintr.Retry1(func() (int, error) { return unix.Fgetxattr(fd, name, nil) }) },
		func(b []byte) (int, error) {
			return eintr.Retry1(func() (int, error) { return unix.Fgetxattr(fd, name, b) })
		},
	)
}

// Getxattr returns the value of attribute name of the file at path; with
// nofollow, of a symbolic link itself.
func Getxattr(path, name string, nofollow bool) ([]byte, error) {
	get := unix.Getxattr
	if nofollow {
		get = unix.Lgetxattr
	}
	return ReadSized(
		func() (int, error) { return eintr.Retry1(func() (int, error) { return get(path, name, nil) }) },
		func(b []byte) (int, error) { return eintr.Retry1(func() (int, error) { return get(path, name, b) }) },
	)
}

// Fsetxattr sets attribute name of the open file fd. flags may hold
// XATTR_CREATE or XATTR_REPLACE: x/sys/unix's Fsetxattr drops its flags
// argument, so they are checked first with Fgetxattr (FsetxattrCheck), not
// atomically with the set.
func Fsetxattr(fd int, name string, value []byte, flags int) error {
	if flags&(XATTR_CREATE|XATTR_REPLACE) != 0 {
		_, err := eintr.Retry1(func() (int, error) { return unix.Fgetxattr(fd, name, nil) })
		if err != nil && err != unix.ENOATTR {
			return err
		}
		if err := FsetxattrCheck(err == nil, flags); err != nil {
			return err
		}
	}
	return eintr.Retry(func() error { return unix.Fsetxattr(fd, name, value, 0) })
}

// Setxattr sets attribute name of the file at path (of a symbolic link
// itself with nofollow). flags (XATTR_CREATE, XATTR_REPLACE) go to the
// kernel, which checks them atomically.
func Setxattr(path, name string, value []byte, flags int, nofollow bool) error {
	set := unix.Setxattr
	if nofollow {
		set = unix.Lsetxattr
	}
	return eintr.Retry(func() error { return set(path, name, value, flags) })
}

// Flistxattr returns the attribute names of the open file fd.
func Flistxattr(fd int) ([]string, error) {
	b, err := ReadSized(
		func() (int, error) { return eintr.Retry1(func() (int, error) { return unix.Flistxattr(fd, nil) }) },
		func(b []byte) (int, error) {
			return eintr.Retry1(func() (int, error) { return unix.Flistxattr(fd, b) })
		},
	)
	return SplitNames(b), err
}

// Listxattr returns the attribute names of the file at path (of a symbolic
// link itself with nofollow).
func Listxattr(path string, nofollow bool) ([]string, error) {
	list := unix.Listxattr
	if nofollow {
		list = unix.Llistxattr
	}
	b, err := ReadSized(
		func() (int, error) { return eintr.Retry1(func() (int, error) { return list(path, nil) }) },
		func(b []byte) (int, error) { return eintr.Retry1(func() (int, error) { return list(path, b) }) },
	)
	return SplitNames(b), err
}

// Fremovexattr removes attribute name of the open file fd.
func Fremovexattr(fd int, name string) error {
	return eintr.Retry(func() error { return unix.Fremovexattr(fd, name) })
}

// Removexattr removes attribute name of the file at path (of a symbolic
// link itself with nofollow).
func Removexattr(path, name string, nofollow bool) error {
	remove := unix.Removexattr
	if nofollow {
		remove = unix.Lremovexattr
	}
	return eintr.Retry(func() error { return remove(path, name) })
}
