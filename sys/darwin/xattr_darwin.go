package darwin

// Extended attributes, on x/sys/unix's *xattr calls (which are on the
// descriptor; github.com/pkg/xattr's F* functions resolve the descriptor's
// path with F_GETPATH and act on the path, which is another file after a
// rename). A missing attribute is ENOATTR. Each call names its file with a
// fsenum.XattrAt: a descriptor, or a path, whose final symbolic link is
// followed unless NoFollow (the l* calls).

import (
	"github.com/extfs/extfs/internal/eintr"
	"github.com/extfs/extfs/internal/fsenum"
	"golang.org/x/sys/unix"
)

// Getxattr returns the value of attribute name of the file at.
func Getxattr(at fsenum.XattrAt, name string) ([]byte, error) {
	get := func(b []byte) (int, error) { return getxattr(at, name, b) }
	return ReadSized(func() (int, error) { return get(nil) }, get)
}

// getxattr is getxattr(2) on the file at into b (nil: its size).
func getxattr(at fsenum.XattrAt, name string, b []byte) (int, error) {
	return eintr.Retry1(func() (int, error) {
		switch {
		case at.Path == "":
			return unix.Fgetxattr(at.Fd, name, b)
		case at.NoFollow:
			return unix.Lgetxattr(at.Path, name, b)
		}
		return unix.Getxattr(at.Path, name, b)
	})
}

// Setxattr sets attribute name of the file at, with the flags of extfs's
// XattrFlag f. On a path, XATTR_CREATE and XATTR_REPLACE go to the kernel,
// which checks them atomically. On a descriptor they are checked first with
// a look at the attribute (FsetxattrCheck), not atomically with the set:
// x/sys/unix's Fsetxattr drops its flags argument.
func Setxattr(at fsenum.XattrAt, name string, value []byte, f fsenum.XattrFlag) error {
	flags := xattrFlags(f)
	if at.Path != "" {
		set := unix.Setxattr
		if at.NoFollow {
			set = unix.Lsetxattr
		}
		return eintr.Retry(func() error { return set(at.Path, name, value, flags) })
	}
	if flags&(XATTR_CREATE|XATTR_REPLACE) != 0 {
		_, err := getxattr(at, name, nil)
		if err != nil && err != unix.ENOATTR {
			return err
		}
		if err := FsetxattrCheck(err == nil, flags); err != nil {
			return err
		}
	}
	return eintr.Retry(func() error { return unix.Fsetxattr(at.Fd, name, value, 0) })
}

// Listxattr returns the attribute names of the file at.
func Listxattr(at fsenum.XattrAt) ([]string, error) {
	list := func(b []byte) (int, error) {
		return eintr.Retry1(func() (int, error) {
			switch {
			case at.Path == "":
				return unix.Flistxattr(at.Fd, b)
			case at.NoFollow:
				return unix.Llistxattr(at.Path, b)
			}
			return unix.Listxattr(at.Path, b)
		})
	}
	b, err := ReadSized(func() (int, error) { return list(nil) }, list)
	return SplitNames(b), err
}

// Removexattr removes attribute name of the file at.
func Removexattr(at fsenum.XattrAt, name string) error {
	if at.Path == "" {
		return eintr.Retry(func() error { return unix.Fremovexattr(at.Fd, name) })
	}
	remove := unix.Removexattr
	if at.NoFollow {
		remove = unix.Lremovexattr
	}
	return eintr.Retry(func() error { return remove(at.Path, name) })
}
